//! Webhooks as a partner system receives them: a receiver on loopback records every delivery,
//! checks its Standard Webhooks signature, and can fail on purpose.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::fixtures::{Cycle, cycle};
use crate::support::{Options, TestApp};

/// One request as the receiver got it.
#[derive(Clone, Debug)]
struct Delivery {
    path: String,
    webhook_id: String,
    timestamp: String,
    signature: String,
    traceparent: String,
    body: String,
}

impl Delivery {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("the body is JSON")
    }

    /// Whether one of its signatures is the HMAC of `id.timestamp.body` under `secret`.
    fn signed_with(&self, secret: &str) -> bool {
        let key = BASE64
            .decode(secret.strip_prefix("whsec_").expect("a whsec_ secret"))
            .expect("base64");
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("a key");
        mac.update(format!("{}.{}.{}", self.webhook_id, self.timestamp, self.body).as_bytes());
        let expected = format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()));
        self.signature.split(' ').any(|s| s == expected)
    }
}

#[derive(Default)]
struct Received {
    deliveries: Vec<Delivery>,
    /// Requests still to answer with 500.
    failures_left: usize,
}

/// An endpoint on loopback that records what it receives.
struct Receiver {
    base: String,
    received: Arc<Mutex<Received>>,
}

async fn receive(request: HttpRequest, body: web::Bytes, received: web::Data<Mutex<Received>>) -> HttpResponse {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let mut received = received.lock().expect("the lock");
    received.deliveries.push(Delivery {
        path: request.path().to_owned(),
        webhook_id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        traceparent: header("traceparent"),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    if received.failures_left > 0 {
        received.failures_left -= 1;
        HttpResponse::InternalServerError().body("receiver is down for maintenance")
    } else {
        HttpResponse::NoContent().finish()
    }
}

impl Receiver {
    fn start(failures: usize) -> Receiver {
        let received = web::Data::new(Mutex::new(Received {
            deliveries: Vec::new(),
            failures_left: failures,
        }));
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let base = format!("http://{}", listener.local_addr().expect("an address"));
        let shared = received.clone();
        let server = HttpServer::new(move || App::new().app_data(shared.clone()).default_service(web::to(receive)))
            .workers(1)
            .listen(listener)
            .expect("the receiver listens")
            .run();
        actix_web::rt::spawn(server);
        Receiver {
            base,
            received: received.into_inner(),
        }
    }

    fn deliveries(&self) -> Vec<Delivery> {
        self.received.lock().expect("the lock").deliveries.clone()
    }

    fn at(&self, path: &str) -> Vec<Delivery> {
        self.deliveries().into_iter().filter(|d| d.path == path).collect()
    }

    /// Waits (up to 20 s) until `path` has received `count` deliveries.
    async fn wait_for(&self, path: &str, count: usize) -> Vec<Delivery> {
        for _ in 0..400 {
            if self.at(path).len() >= count {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        let got = self.at(path);
        assert!(got.len() >= count, "{path} received {} of {count}: {got:?}", got.len());
        got
    }
}

/// Subscribes; answers the subscription's id and secret.
async fn subscribe(app: &TestApp, token: &str, body: Value) -> (i64, String) {
    let created = app
        .post("/api/v1/webhook-subscriptions")
        .token(token)
        .json(&body)
        .await
        .expect(201)
        .body;
    let secret = created["secret"].as_str().expect("the secret, shown once").to_owned();
    assert!(secret.starts_with("whsec_"));
    (created["id"].as_i64().expect("an id"), secret)
}

/// Waits until the subscription's first message has `attempts` recorded: the clock must not move
/// on before the worker has scheduled the next attempt by it.
async fn wait_recorded(app: &TestApp, subscription: i64, attempts: usize) {
    for _ in 0..400 {
        let messages = app
            .get(&format!("/api/v1/webhook-subscriptions/{subscription}/messages"))
            .token(&app.admin_token)
            .send()
            .await
            .expect(200)
            .body;
        if messages["items"][0]["attempts"].as_u64() >= u64::try_from(attempts).ok() {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("attempt {attempts} was never recorded");
}

async fn submitted_plan(c: &Cycle) -> (i64, String) {
    let id = c.plan("plymouth-2021-22-plan", c.plymouth_2021, &c.manager).await;
    let path = format!("/api/v1/plans/{id}");
    c.act(&path, "submit", &c.manager, c.signature()).await.expect(200);
    (id, path)
}

#[actix_web::test]
async fn a_committed_change_reaches_each_subscription_once_signed_and_only_its_partnership_s() {
    let c = cycle().await;
    let receiver = Receiver::start(0);
    let admin = c.app.admin_token.clone();
    let (opcc, opcc_secret) = subscribe(
        &c.app,
        &admin,
        json!({"url": format!("{}/opcc", receiver.base), "event_types": ["plan.submitted", "plan.review_started"],
               "description": "OPCC grants system"}),
    )
    .await;
    let (plymouth, plymouth_secret) = subscribe(
        &c.app,
        &c.manager,
        json!({"url": format!("{}/plymouth", receiver.base), "event_types": ["plan.submitted"]}),
    )
    .await;
    let (torbay, _) = subscribe(
        &c.app,
        &c.torbay_manager,
        json!({"url": format!("{}/torbay", receiver.base), "event_types": ["plan.submitted", "plan.review_started"]}),
    )
    .await;

    let (plan_id, path) = submitted_plan(&c).await;
    c.act(&path, "start-review", &c.reviewer, json!({})).await.expect(200);

    let to_opcc = receiver.wait_for("/opcc", 2).await;
    let to_plymouth = receiver.wait_for("/plymouth", 1).await;
    let submitted = to_opcc[0].json();
    assert_eq!(submitted["type"], "plan.submitted");
    assert_eq!(to_opcc[1].json()["type"], "plan.review_started", "in order");
    assert_eq!(submitted["data"]["object"]["kind"], "plan");
    assert_eq!(submitted["data"]["object"]["id"], plan_id);
    let url = submitted["data"]["object"]["url"].as_str().unwrap_or("");
    assert!(url.starts_with("http://") && url.ends_with(&path), "{url}");
    assert_eq!(submitted["data"]["state"], "submitted");
    let entry = &submitted["data"]["history_entry"];
    assert_eq!(entry["action"], "submit");
    assert_eq!(entry["entity_id"], plan_id);
    let checkpoint = &submitted["data"]["checkpoint"];
    assert!(
        checkpoint["entry_id"].as_i64() >= entry["id"].as_i64(),
        "the checkpoint covers the entry: {checkpoint}"
    );
    assert!(
        to_opcc
            .iter()
            .all(|d| d.signed_with(&opcc_secret) && d.webhook_id.starts_with("msg_"))
    );
    assert!(!to_opcc[0].signed_with(&plymouth_secret));
    assert!(to_plymouth[0].signed_with(&plymouth_secret));
    assert_eq!(to_plymouth[0].json()["data"]["history_entry"], *entry);

    // Once each: nothing more arrives, and Torbay's subscription heard nothing of Plymouth.
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.at("/opcc").len(), 2);
    assert_eq!(receiver.at("/plymouth").len(), 1);
    assert!(receiver.at("/torbay").is_empty());
    let torbay_log = c
        .app
        .get(&format!("/api/v1/webhook-subscriptions/{torbay}/messages"))
        .token(&c.torbay_manager)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(torbay_log["items"], json!([]));

    // The delivery log.
    let messages = c
        .app
        .get(&format!("/api/v1/webhook-subscriptions/{opcc}/messages"))
        .token(&admin)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(messages["items"][0]["webhook_id"], to_opcc[0].webhook_id);
    assert_eq!(messages["items"][0]["status"], "delivered");
    assert_eq!(messages["items"][0]["attempts"], 1);
    assert_eq!(
        messages["items"][0]["body"],
        to_opcc[0].json(),
        "the log shows the body exactly as delivered"
    );
    let attempts = c
        .app
        .get(&format!("/api/v1/webhook-subscriptions/{opcc}/attempts"))
        .token(&admin)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(attempts["items"][0]["response_status"], 204);
    assert_eq!(attempts["items"][0]["delivered"], true);

    // Who may see and make what.
    let own = c
        .app
        .get("/api/v1/webhook-subscriptions")
        .token(&c.manager)
        .send()
        .await
        .expect(200)
        .body;
    let ids: Vec<i64> = own["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["id"].as_i64())
        .collect();
    assert_eq!(ids, [plymouth]);
    for (token, id) in [(&c.torbay_manager, plymouth), (&c.manager, opcc)] {
        c.app
            .get(&format!("/api/v1/webhook-subscriptions/{id}"))
            .token(token)
            .send()
            .await
            .expect_problem(404, "not-found");
    }
    let secret_hidden = c
        .app
        .get(&format!("/api/v1/webhook-subscriptions/{plymouth}"))
        .token(&c.treasurer)
        .send()
        .await
        .expect(200)
        .body;
    assert!(secret_hidden.get("secret").is_none());
    let body = json!({"url": "https://grants.example.gov.uk/events", "event_types": ["plan.approved"]});
    c.app
        .post("/api/v1/webhook-subscriptions")
        .token(&c.reviewer)
        .json(&body)
        .await
        .expect_problem(403, "forbidden");
    let mut elsewhere = body.clone();
    elsewhere["partnership_id"] = json!(c.torbay);
    let refused = c
        .app
        .post("/api/v1/webhook-subscriptions")
        .token(&c.manager)
        .json(&elsewhere)
        .await
        .expect_problem(422, "validation");
    assert_eq!(refused.violations(), ["partnership_id:own_partnership"]);
}

#[actix_web::test]
async fn a_receiver_failing_three_times_gets_the_same_message_until_it_succeeds() {
    let c = cycle().await;
    let receiver = Receiver::start(3);
    let admin = c.app.admin_token.clone();
    let (subscription, old_secret) = subscribe(
        &c.app,
        &admin,
        json!({"url": format!("{}/opcc", receiver.base), "event_types": ["plan.submitted"]}),
    )
    .await;
    c.app.set_clock("2030-01-01T09:00:00Z");
    submitted_plan(&c).await;
    receiver.wait_for("/opcc", 1).await;
    // Retries wait 5 s, then 5 minutes, then 30 minutes: the clock moves past each.
    for (at, count) in [
        ("2030-01-01T09:01:00Z", 2),
        ("2030-01-01T09:10:00Z", 3),
        ("2030-01-01T10:00:00Z", 4),
    ] {
        wait_recorded(&c.app, subscription, count - 1).await;
        c.app.set_clock(at);
        receiver.wait_for("/opcc", count).await;
    }
    wait_recorded(&c.app, subscription, 4).await;
    let got = receiver.at("/opcc");
    assert_eq!(got.len(), 4);
    assert!(
        got.iter()
            .all(|d| d.webhook_id == got[0].webhook_id && d.body == got[0].body)
    );
    assert!(got.iter().all(|d| d.signed_with(&old_secret)));
    let attempts = c
        .app
        .get(&format!("/api/v1/webhook-subscriptions/{subscription}/attempts"))
        .token(&admin)
        .send()
        .await
        .expect(200)
        .body;
    let statuses: Vec<i64> = attempts["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["response_status"].as_i64())
        .collect();
    assert_eq!(statuses, [500, 500, 500, 204]);
    assert_eq!(
        attempts["items"][0]["response_excerpt"],
        "receiver is down for maintenance"
    );
    let messages = c
        .app
        .get(&format!("/api/v1/webhook-subscriptions/{subscription}/messages"))
        .token(&admin)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(messages["items"][0]["status"], "delivered");
    assert_eq!(messages["items"][0]["attempts"], 4);

    // A rotated secret: both sign during the overlap; a redelivery keeps the id and the body.
    let rotated = c
        .app
        .post(&format!("/api/v1/webhook-subscriptions/{subscription}/rotate-secret"))
        .token(&admin)
        .json(&json!({"overlap_seconds": 3600}))
        .await
        .expect(200)
        .body;
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    let overlap_ends = rotated["previous_secret_expires_at"].as_str().unwrap();
    assert!(
        overlap_ends.starts_with("2030-01-01T11:00") && overlap_ends.ends_with('Z'),
        "{overlap_ends}"
    );
    assert_ne!(new_secret, old_secret);
    let webhook_id = got[0].webhook_id.clone();
    c.app
        .post(&format!(
            "/api/v1/webhook-subscriptions/{subscription}/messages/{webhook_id}/redeliver"
        ))
        .token(&admin)
        .json(&json!({}))
        .await
        .expect(202);
    let again = receiver.wait_for("/opcc", 5).await;
    assert_eq!(again[4].webhook_id, webhook_id);
    assert_eq!(again[4].body, got[0].body);
    assert!(again[4].signed_with(&new_secret) && again[4].signed_with(&old_secret));
    assert_eq!(again[4].signature.split(' ').count(), 2);
    c.app
        .post(&format!(
            "/api/v1/webhook-subscriptions/{subscription}/messages/msg_unknown/redeliver"
        ))
        .token(&admin)
        .json(&json!({}))
        .await
        .expect_problem(404, "not-found");
}

#[actix_web::test]
async fn a_rolled_back_change_is_never_delivered() {
    use cspfund::auth::{Caller, Principal, Role};
    use cspfund::history::{self, Action, Event};
    let c = cycle().await;
    let receiver = Receiver::start(0);
    subscribe(
        &c.app,
        &c.app.admin_token,
        json!({"url": format!("{}/opcc", receiver.base), "event_types": ["plan.approved", "plan.submitted"]}),
    )
    .await;
    let plymouth = c.plymouth;
    let rolled_back = c
        .app
        .state
        .db
        .run(move |conn| {
            cspfund::db::write_transaction(conn, |conn| {
                let reviewer = Caller {
                    principal: Principal::User(1),
                    role: Role::OpccReviewer,
                    partnership_id: None,
                    authentication: Default::default(),
                };
                history::append(
                    conn,
                    Event {
                        actor: &reviewer,
                        partnership_id: Some(plymouth),
                        entity_kind: "plan",
                        entity_id: 1,
                        action: Action::Approve,
                        from_state: None,
                        to_state: None,
                        changed_fields: Vec::new(),
                        details: json!({}),
                    },
                )?;
                Err::<(), _>(cspfund::error::Error::Conflict {
                    detail: "a later step failed".into(),
                    field: None,
                })
            })
        })
        .await;
    assert!(rolled_back.is_err());
    // A committed change after it arrives, and is the only thing that does.
    submitted_plan(&c).await;
    let got = receiver.wait_for("/opcc", 1).await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let types: Vec<Value> = receiver.at("/opcc").iter().map(|d| d.json()["type"].clone()).collect();
    assert_eq!(types, ["plan.submitted"], "{got:?}");
}

#[actix_web::test]
async fn two_instances_on_one_database_deliver_each_message_once_in_order() {
    let c = cycle().await;
    let beside = c.app.spawn_beside().await;
    let receiver = Receiver::start(0);
    subscribe(
        &c.app,
        &c.app.admin_token,
        json!({"url": format!("{}/opcc", receiver.base), "event_types": ["plan.submitted", "plan.withdrawn"]}),
    )
    .await;
    let (_, path) = submitted_plan(&c).await;
    for round in 0..4 {
        c.act(&path, "withdraw", &c.manager, json!({})).await.expect(200);
        let app = if round % 2 == 0 { &beside } else { &c.app };
        let version = c.version(&path).await;
        app.post(&format!("{path}/submit"))
            .token(&c.manager)
            .if_match(&version)
            .json(&c.signature())
            .await
            .expect(200);
    }
    let got = receiver.wait_for("/opcc", 9).await;
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    let got_after = receiver.at("/opcc");
    assert_eq!(got_after.len(), 9, "no message twice: {got:?}");
    let mut ids: Vec<&str> = got_after.iter().map(|d| d.webhook_id.as_str()).collect();
    let entries: Vec<i64> = got_after
        .iter()
        .map(|d| d.json()["data"]["history_entry"]["id"].as_i64().unwrap())
        .collect();
    assert!(entries.windows(2).all(|w| w[0] < w[1]), "in order: {entries:?}");
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 9);
}

#[actix_web::test]
async fn endpoints_inside_the_network_are_refused_unless_the_operator_allows_them() {
    let app = TestApp::spawn_with(Options {
        refuse_private_webhooks: true,
        ..Options::default()
    })
    .await;
    for (url, rule) in [
        ("https://127.0.0.1/events", "url:public_address"),
        ("https://10.0.0.8/events", "url:public_address"),
        ("https://192.168.1.20:8443/events", "url:public_address"),
        ("https://169.254.169.254/latest/meta-data", "url:public_address"),
        ("https://[::1]/events", "url:public_address"),
        ("https://[fd00::1]/events", "url:public_address"),
        ("https://localhost/events", "url:public_address"),
        ("http://grants.example.gov.uk/events", "url:https"),
        ("https://user:pass@grants.example.gov.uk/events", "url:no_credentials"),
        ("grants.example.gov.uk/events", "url:url"),
    ] {
        let refused = app
            .post("/api/v1/webhook-subscriptions")
            .token(&app.admin_token)
            .json(&json!({"url": url, "event_types": ["plan.approved"]}))
            .await
            .expect_problem(422, "validation");
        assert_eq!(refused.violations(), [rule], "{url}");
    }
    app.post("/api/v1/webhook-subscriptions")
        .token(&app.admin_token)
        .json(&json!({"url": "https://grants.example.gov.uk/events", "event_types": ["plan.approved"]}))
        .await
        .expect(201);
    let repeated = app
        .post("/api/v1/webhook-subscriptions")
        .token(&app.admin_token)
        .json(
            &json!({"url": "https://grants.example.gov.uk/events", "event_types": ["plan.approved", "plan.approved"]}),
        )
        .await
        .expect_problem(422, "validation");
    assert_eq!(repeated.violations(), ["event_types:unique"]);
}

#[actix_web::test]
async fn a_deadline_passed_is_announced_once_to_its_partnership() {
    let c = cycle().await;
    let receiver = Receiver::start(0);
    subscribe(
        &c.app,
        &c.torbay_manager,
        json!({"url": format!("{}/torbay", receiver.base), "event_types": ["deadline.overdue"]}),
    )
    .await;
    let look = || c.app.state.db.run(cspfund::webhooks::outbox::announce_overdue);
    let first = look().await.expect("the worker's look");
    assert!(first > 0, "every deadline of 2017-18 and 2021-22 has passed");
    assert_eq!(look().await.expect("a second look"), 0, "each is announced once");
    // Torbay's one allocation (2021-22) owes four documents, none started.
    let got = receiver.wait_for("/torbay", 4).await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.at("/torbay").len(), 4);
    for delivery in &got {
        let payload = delivery.json();
        assert_eq!(payload["type"], "deadline.overdue");
        assert_eq!(payload["data"]["state"], "overdue");
        assert_eq!(payload["data"]["object"]["kind"], "allocation");
        assert_eq!(payload["data"]["object"]["id"], c.torbay_2021);
        assert_eq!(payload["data"]["deadline"]["partnership_id"], c.torbay);
        assert!(payload["data"]["history_entry"].is_null());
    }
}

#[actix_web::test]
async fn an_endpoint_failing_for_over_a_day_is_disabled_and_says_so() {
    let c = cycle().await;
    let receiver = Receiver::start(usize::MAX);
    let admin = c.app.admin_token.clone();
    let (subscription, _) = subscribe(
        &c.app,
        &admin,
        json!({"url": format!("{}/opcc", receiver.base), "event_types": ["plan.submitted"]}),
    )
    .await;
    c.app.set_clock("2030-01-01T00:00:00Z");
    submitted_plan(&c).await;
    receiver.wait_for("/opcc", 1).await;
    // Each retry once its wait (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h) has passed.
    for (at, count) in [
        ("2030-01-01T00:01:00Z", 2),
        ("2030-01-01T00:10:00Z", 3),
        ("2030-01-01T01:00:00Z", 4),
        ("2030-01-01T03:30:00Z", 5),
        ("2030-01-01T09:00:00Z", 6),
        ("2030-01-01T19:30:00Z", 7),
        ("2030-01-02T06:00:00Z", 8),
    ] {
        wait_recorded(&c.app, subscription, count - 1).await;
        c.app.set_clock(at);
        receiver.wait_for("/opcc", count).await;
    }
    let mut disabled = Value::Null;
    for _ in 0..100 {
        disabled = c
            .app
            .get(&format!("/api/v1/webhook-subscriptions/{subscription}"))
            .token(&admin)
            .send()
            .await
            .expect(200)
            .body;
        if disabled["active"] == false {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(disabled["active"], false);
    let reason = disabled["disabled_reason"].as_str().unwrap_or("");
    assert!(
        reason.contains("failed for over a day") && reason.contains("500"),
        "{reason}"
    );
    let messages = c
        .app
        .get(&format!(
            "/api/v1/webhook-subscriptions/{subscription}/messages?status=failed"
        ))
        .token(&admin)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(messages["items"][0]["attempts"], 8);
    c.app.set_clock("2030-01-10T00:00:00Z");
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.at("/opcc").len(), 8, "a disabled endpoint is left alone");
    let enabled = c
        .app
        .patch(&format!("/api/v1/webhook-subscriptions/{subscription}"))
        .header("if-match", "*")
        .token(&admin)
        .json(&json!({"active": true}))
        .await
        .expect(200)
        .body;
    assert_eq!(enabled["active"], true);
    assert!(enabled["disabled_reason"].is_null());
}

#[actix_web::test]
async fn a_delivery_continues_the_trace_of_the_request_that_caused_it() {
    let c = cycle().await;
    let receiver = Receiver::start(0);
    subscribe(
        &c.app,
        &c.manager,
        json!({"url": format!("{}/plymouth", receiver.base), "event_types": ["plan.submitted", "plan.withdrawn"]}),
    )
    .await;
    let id = c.plan("plymouth-2021-22-plan", c.plymouth_2021, &c.manager).await;
    let path = format!("/api/v1/plans/{id}");
    let caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let version = c.version(&path).await;
    c.app
        .post(&format!("{path}/submit"))
        .token(&c.manager)
        .if_match(&version)
        .header("traceparent", caller)
        .json(&c.signature())
        .await
        .expect(200);
    // A request without traceparent starts a trace of its own.
    c.act(&path, "withdraw", &c.manager, json!({})).await.expect(200);
    let delivered = receiver.wait_for("/plymouth", 2).await;
    let fields: Vec<Vec<&str>> = delivered.iter().map(|d| d.traceparent.split('-').collect()).collect();
    assert_eq!(fields[0].len(), 4, "{:?}", delivered[0].traceparent);
    assert_eq!(fields[0][0], "00");
    assert_eq!(fields[0][1], "4bf92f3577b34da6a3ce929d0e0e4736", "the caller's trace");
    assert_ne!(fields[0][2], "00f067aa0ba902b7", "a span of its own");
    assert_eq!(fields[0][3], "01");
    assert_eq!(fields[1].len(), 4, "{:?}", delivered[1].traceparent);
    assert_ne!(fields[1][1], "4bf92f3577b34da6a3ce929d0e0e4736");
}

/// The sender follows no redirect (a receiver cannot send a signed payload elsewhere) and reads
/// only the start of an answer, keeping a short excerpt.
#[actix_web::test]
async fn redirects_are_not_followed_and_long_answers_are_cut_short() {
    let c = cycle().await;
    let receiver = Receiver::start(0);
    let elsewhere = receiver.base.clone();
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    let server = HttpServer::new(move || {
        let elsewhere = elsewhere.clone();
        App::new()
            .route(
                "/moved",
                web::post().to(move || {
                    let target = format!("{elsewhere}/followed");
                    async move {
                        HttpResponse::TemporaryRedirect()
                            .insert_header(("location", target))
                            .finish()
                    }
                }),
            )
            .route(
                "/chatty",
                web::post().to(|| async { HttpResponse::Ok().body("x".repeat(8 * 1024 * 1024)) }),
            )
    })
    .workers(1)
    .listen(listener)
    .expect("the endpoint listens")
    .run();
    actix_web::rt::spawn(server);
    let admin = c.app.admin_token.clone();
    let (moved, _) = subscribe(
        &c.app,
        &admin,
        json!({"url": format!("{base}/moved"), "event_types": ["plan.submitted"]}),
    )
    .await;
    let (chatty, _) = subscribe(
        &c.app,
        &admin,
        json!({"url": format!("{base}/chatty"), "event_types": ["plan.submitted"]}),
    )
    .await;
    submitted_plan(&c).await;
    wait_recorded(&c.app, moved, 1).await;
    wait_recorded(&c.app, chatty, 1).await;
    let attempt = |subscription: i64| {
        let app = &c.app;
        let admin = admin.clone();
        async move {
            app.get(&format!("/api/v1/webhook-subscriptions/{subscription}/attempts"))
                .token(&admin)
                .send()
                .await
                .expect(200)
                .body["items"][0]
                .clone()
        }
    };
    let redirected = attempt(moved).await;
    assert_eq!(redirected["response_status"], 307);
    assert_eq!(redirected["delivered"], false);
    assert!(receiver.at("/followed").is_empty(), "the redirect was not followed");
    let answered = attempt(chatty).await;
    assert_eq!(answered["delivered"], true);
    let excerpt = answered["response_excerpt"].as_str().expect("an excerpt");
    assert_eq!(excerpt.chars().count(), 200);
}

#[actix_web::test]
async fn the_entries_after_the_outboxs_position_are_counted() {
    let c = cycle().await;
    let counted = c
        .app
        .state
        .db
        .run(|conn| {
            let entries = cspfund::history::recorded_after(conn, 0, 10_000)?;
            let third_last = entries[entries.len() - 3].entry.id;
            Ok((
                entries.len(),
                cspfund::history::count_after(conn, 0)?,
                cspfund::history::count_after(conn, third_last)?,
                cspfund::history::count_after(conn, entries[entries.len() - 1].entry.id)?,
            ))
        })
        .await
        .expect("the history is read");
    let (recorded, after_none, after_third_last, after_last) = counted;
    assert!(recorded > 3, "the cycle records its setting up");
    assert_eq!(after_none, i64::try_from(recorded).expect("a count"));
    assert_eq!(after_third_last, 2);
    assert_eq!(after_last, 0);
}

#[actix_web::test]
async fn a_witness_receives_each_checkpoint_signed_after_it_subscribed_and_can_check_it() {
    let c = cycle().await;
    let receiver = Receiver::start(0);
    let admin = c.app.admin_token.clone();
    let before = c
        .app
        .post("/api/v1/history/checkpoints")
        .token(&c.reviewer)
        .send()
        .await
        .expect(200)
        .body;
    let (_, secret) = subscribe(
        &c.app,
        &admin,
        json!({"url": format!("{}/witness", receiver.base), "event_types": ["history.checkpoint_signed"]}),
    )
    .await;
    let mut signed = Vec::new();
    for _ in 0..2 {
        rename_torbay(&c).await;
        signed.push(
            c.app
                .post("/api/v1/history/checkpoints")
                .token(&c.reviewer)
                .send()
                .await
                .expect(200)
                .body,
        );
    }
    receiver.wait_for("/witness", 2).await;
    let last_signed = signed.last().unwrap().clone();
    for _ in 0..100 {
        if receiver
            .at("/witness")
            .iter()
            .any(|d| d.json()["data"]["checkpoint"] == last_signed)
        {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let kept: Vec<Value> = receiver
        .at("/witness")
        .iter()
        .map(|delivery| {
            assert!(delivery.signed_with(&secret));
            let body = delivery.json();
            assert_eq!(body["type"], "history.checkpoint_signed");
            assert_eq!(body["data"]["object"]["kind"], "history");
            assert_eq!(body["data"]["object"]["id"], body["data"]["checkpoint"]["entry_id"]);
            body["data"]["checkpoint"].clone()
        })
        .collect();
    // Each checkpoint signed since it subscribed, once, in order (the service may sign more of
    // its own accord); none signed before.
    let entries: Vec<i64> = kept.iter().map(|k| k["entry_id"].as_i64().unwrap()).collect();
    assert!(entries.windows(2).all(|pair| pair[0] < pair[1]), "{entries:?}");
    assert!(signed.iter().all(|checkpoint| kept.contains(checkpoint)));
    assert!(entries[0] > before["entry_id"].as_i64().unwrap());
    // What a witness kept, it can hold the service to.
    let checked = c
        .app
        .post("/api/v1/history/verification")
        .token(&c.reviewer)
        .json(&json!({"checkpoints": kept}))
        .await
        .expect(200)
        .body;
    assert_eq!(
        (&checked["intact"], &checked["contradicted"]),
        (&json!(true), &json!([]))
    );
}

/// A change to the history: Torbay's area renamed.
async fn rename_torbay(c: &Cycle) {
    let path = format!("/api/v1/partnerships/{}", c.torbay);
    let current = c.app.get(&path).token(&c.app.admin_token).send().await.expect(200).body;
    c.app
        .patch(&path)
        .token(&c.app.admin_token)
        .if_match(&current["version"])
        .json(&json!({"area": format!("Torbay {}", current["version"])}))
        .await
        .expect(200);
}
