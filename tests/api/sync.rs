//! Keeping another system's copy current: every collection lists what changed since an instant,
//! in the order the changes were committed, and payments, partnerships and allocations carry the
//! finance system's own reference for them.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::fixtures::{Cycle, cycle};
use crate::support::TestApp;

const LONG_AGO: &str = "2000-01-01T00:00:00Z";

/// Every item of one listing by change, following `next_cursor` to the end, `limit` at a time,
/// with the same `updated_since` on each page.
async fn sync_all(app: &TestApp, path: &str, since: &str, token: &str, limit: u32) -> Vec<Value> {
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get(&format!("{path}?updated_since={since}&limit={limit}&cursor={cursor}"))
            .token(token)
            .send()
            .await
            .expect(200)
            .body;
        seen.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => return seen,
        }
    }
}

async fn rename_area(app: &TestApp, id: i64, area: &str) {
    let path = format!("/api/v1/partnerships/{id}");
    let current = app.get(&path).token(&app.admin_token).send().await.expect(200).body;
    app.patch(&path)
        .token(&app.admin_token)
        .if_match(&current["version"])
        .json(&json!({"area": area}))
        .await
        .expect(200);
}

fn ids_and_areas(items: &[Value]) -> Vec<(i64, String)> {
    items
        .iter()
        .map(|p| (p["id"].as_i64().unwrap(), p["area"].as_str().unwrap().to_owned()))
        .collect()
}

#[actix_web::test]
async fn paging_by_change_passes_over_nothing_another_client_writes_meanwhile() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for name in [
        "Safer Plymouth",
        "Safer Torbay",
        "Safer Devon",
        "Safer Cornwall",
        "Safer Exeter",
    ] {
        ids.push(app.partnership(name).await);
    }
    let admin = app.admin_token.clone();
    let first = app
        .get(&format!("/api/v1/partnerships?updated_since={LONG_AGO}&limit=2"))
        .token(&admin)
        .send()
        .await
        .expect(200)
        .body;
    let mut seen: Vec<Value> = first["items"].as_array().unwrap().clone();
    // While the client pages: one item it has read changes, one it has not read yet changes, and
    // a new one is created.
    rename_area(&app, ids[0], "Plymouth and the Sound").await;
    rename_area(&app, ids[3], "Cornwall and Scilly").await;
    let added = app.partnership("Safer Somerset").await;
    let mut cursor = first["next_cursor"].as_str().unwrap().to_owned();
    loop {
        let page = app
            .get(&format!(
                "/api/v1/partnerships?updated_since={LONG_AGO}&limit=2&cursor={cursor}"
            ))
            .token(&admin)
            .send()
            .await
            .expect(200)
            .body;
        seen.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    // Oldest change first: the three never changed, then the two changes and the new one in the
    // order they were made. The item not yet read comes once, as changed; the one read comes
    // again with its change.
    assert_eq!(
        ids_and_areas(&seen),
        [
            (ids[0], "Safer Plymouth".to_owned()),
            (ids[1], "Safer Torbay".to_owned()),
            (ids[2], "Safer Devon".to_owned()),
            (ids[4], "Safer Exeter".to_owned()),
            (ids[0], "Plymouth and the Sound".to_owned()),
            (ids[3], "Cornwall and Scilly".to_owned()),
            (added, "Safer Somerset".to_owned()),
        ]
    );
    // Without updated_since the collection is still read by id.
    let by_id = app
        .get("/api/v1/partnerships")
        .token(&admin)
        .send()
        .await
        .expect(200)
        .body;
    let listed: Vec<i64> = by_id["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, [ids.clone(), vec![added]].concat());
}

#[actix_web::test]
async fn a_copy_kept_by_the_nightly_pattern_matches_the_service_after_concurrent_writes() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for name in ["Safer Plymouth", "Safer Torbay", "Safer Devon", "Safer Cornwall"] {
        ids.push(app.partnership(name).await);
    }
    let admin = app.admin_token.clone();
    let writes = async {
        for round in 0..6 {
            for id in &ids {
                rename_area(&app, *id, &format!("area {id} round {round}")).await;
            }
        }
    };
    // The copy: the latest of each item, by id, and the largest updated_at received.
    let mut copy: BTreeMap<i64, Value> = BTreeMap::new();
    let mut watermark = LONG_AGO.to_owned();
    let reads = async {
        let mut passes = Vec::new();
        for _ in 0..4 {
            passes.push(sync_all(&app, "/api/v1/partnerships", LONG_AGO, &admin, 1).await);
        }
        passes
    };
    let ((), passes) = futures_util::join!(writes, reads);
    for item in passes.into_iter().flatten() {
        copy.insert(item["id"].as_i64().unwrap(), item);
    }
    for item in copy.values() {
        watermark = watermark.max(item["updated_at"].as_str().unwrap().to_owned());
    }
    // The next night: only what changed at or after the watermark, which brings the copy level.
    let since = watermark.replace('+', "%2B");
    for item in sync_all(&app, "/api/v1/partnerships", &since, &admin, 3).await {
        assert!(item["updated_at"].as_str().unwrap() >= watermark.as_str());
        copy.insert(item["id"].as_i64().unwrap(), item);
    }
    let now = app
        .get("/api/v1/partnerships")
        .token(&admin)
        .send()
        .await
        .expect(200)
        .body;
    let service: BTreeMap<i64, Value> = now["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_i64().unwrap(), p.clone()))
        .collect();
    assert_eq!(copy, service);
    for id in &ids {
        assert_eq!(service[id]["area"], format!("area {id} round 5"));
    }
}

#[actix_web::test]
async fn updated_since_lists_only_what_changed_at_or_after_the_instant() {
    let app = TestApp::spawn().await;
    let plymouth = app.partnership("Safer Plymouth").await;
    let torbay = app.partnership("Safer Torbay").await;
    app.set_clock("2031-01-01T00:00:00Z");
    rename_area(&app, torbay, "Torbay and Brixham").await;
    let changed_at = app
        .get(&format!("/api/v1/partnerships/{torbay}"))
        .token(&app.admin_token)
        .send()
        .await
        .expect(200)
        .body["updated_at"]
        .as_str()
        .unwrap()
        .to_owned();
    let listed = |since: String| {
        let app = &app;
        async move {
            let page = app
                .get(&format!("/api/v1/partnerships?updated_since={since}"))
                .token(&app.admin_token)
                .send()
                .await
                .expect(200)
                .body;
            let ids: Vec<i64> = page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_i64().unwrap())
                .collect();
            ids
        }
    };
    assert_eq!(listed(LONG_AGO.into()).await, [plymouth, torbay]);
    // An instant may be written with any offset: half past midnight in Paris is 23:30 UTC.
    assert_eq!(listed("2031-01-01T00:30:00%2B01:00".into()).await, [torbay]);
    // The bound is inclusive, to the microsecond.
    assert_eq!(listed(changed_at.clone()).await, [torbay]);
    let at: chrono::DateTime<chrono::Utc> = changed_at.parse().unwrap();
    let just_after = (at + chrono::TimeDelta::microseconds(1)).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    assert!(listed(just_after).await.is_empty());

    let refused = app
        .get("/api/v1/partnerships?updated_since=yesterday")
        .token(&app.admin_token)
        .send()
        .await
        .expect_problem(422, "validation")
        .violations();
    assert!(
        refused.len() == 1 && refused[0].starts_with("updated_since:"),
        "{refused:?}"
    );
    // A cursor continues only the listing it came from.
    let by_id = app
        .get("/api/v1/partnerships?limit=1")
        .token(&app.admin_token)
        .send()
        .await
        .expect(200)
        .body;
    let cursor = by_id["next_cursor"].as_str().unwrap();
    let refused = app
        .get(&format!(
            "/api/v1/partnerships?limit=1&cursor={cursor}&updated_since={LONG_AGO}"
        ))
        .token(&app.admin_token)
        .send()
        .await
        .expect_problem(422, "validation")
        .violations();
    assert_eq!(refused, ["cursor:same_query"]);
    let by_change = app
        .get(&format!("/api/v1/partnerships?limit=1&updated_since={LONG_AGO}"))
        .token(&app.admin_token)
        .send()
        .await
        .expect(200)
        .body;
    let cursor = by_change["next_cursor"].as_str().unwrap();
    for other in ["", "&updated_since=2001-01-01T00:00:00Z"] {
        let refused = app
            .get(&format!("/api/v1/partnerships?limit=1&cursor={cursor}{other}"))
            .token(&app.admin_token)
            .send()
            .await
            .expect_problem(422, "validation")
            .violations();
        assert_eq!(refused, ["cursor:same_query"]);
    }
}

#[actix_web::test]
async fn every_collection_lists_its_changes_with_updated_at() {
    let c = cycle().await;
    let finance = c.app.user("finance@opcc.example", "opcc_finance", None).await;
    let return_path = c.draft_return_2017().await;
    paid_return(&c, &return_path, &finance).await;
    c.app
        .post("/api/v1/webhook-subscriptions")
        .token(&c.app.admin_token)
        .json(&json!({"url": "https://opcc.example/hooks", "event_types": ["plan.submitted"]}))
        .await
        .expect(201);
    let admin = c.app.admin_token.clone();
    for (path, token) in [
        ("/api/v1/partnerships", &admin),
        ("/api/v1/users", &admin),
        ("/api/v1/api-clients", &admin),
        ("/api/v1/priority-sets", &admin),
        ("/api/v1/fund-years", &admin),
        ("/api/v1/allocations", &admin),
        ("/api/v1/plans", &c.reviewer),
        ("/api/v1/half-year-returns", &c.reviewer),
        ("/api/v1/final-reports", &c.reviewer),
        ("/api/v1/commissioning-papers", &c.reviewer),
        ("/api/v1/payments", &finance),
        ("/api/v1/webhook-subscriptions", &admin),
    ] {
        let everything = sync_all(&c.app, path, LONG_AGO, token, 200).await;
        let by_id = c
            .app
            .get(&format!("{path}?limit=200"))
            .token(token)
            .send()
            .await
            .expect(200)
            .body;
        let mut ids: Vec<i64> = everything.iter().map(|item| item["id"].as_i64().unwrap()).collect();
        ids.sort_unstable();
        let listed: Vec<i64> = by_id["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, listed, "{path}");
        for item in &everything {
            assert!(item["updated_at"].is_string(), "{path}: {item}");
        }
        let future = c
            .app
            .get(&format!("{path}?updated_since=2999-01-01T00:00:00Z"))
            .token(token)
            .send()
            .await
            .expect(200)
            .body;
        assert_eq!(future["items"], json!([]), "{path}");
    }
}

/// Takes the seed's return through signing and acceptance and pays 150,000.00 of it with the
/// finance system's reference "PAY-2017-004512"; returns the payment.
async fn paid_return(c: &Cycle, path: &str, finance: &str) -> Value {
    c.act(path, "sign", &c.manager, c.signature()).await.expect(200);
    c.act(path, "countersign", &c.treasurer, c.signature())
        .await
        .expect(200);
    c.act(path, "start-review", &c.reviewer, json!({})).await.expect(200);
    c.act(path, "accept", &c.reviewer, json!({"approved_amount": "200284.00"}))
        .await
        .expect(200);
    c.app
        .post(&format!("{path}/payments"))
        .token(finance)
        .json(
            &json!({"amount": "150000.00", "paid_on": "2017-12-08", "remittance_reference": "BACS 0412",
                      "external_reference": " PAY-2017-004512 "}),
        )
        .await
        .expect(201)
        .body
}

#[actix_web::test]
async fn the_finance_systems_references_are_kept_found_exported_and_recorded() {
    let c = cycle().await;
    let admin = c.app.admin_token.clone();
    let finance = c.app.user("finance@opcc.example", "opcc_finance", None).await;

    // A partnership's and an allocation's, set by the admin only.
    let partnership = format!("/api/v1/partnerships/{}", c.plymouth);
    let allocation = format!("/api/v1/allocations/{}", c.plymouth_2017);
    for path in [&partnership, &allocation] {
        let current = c.app.get(path).token(&admin).send().await.expect(200).body;
        c.app
            .patch(path)
            .token(&c.manager)
            .if_match(&current["version"])
            .json(&json!({"external_reference": "X"}))
            .await
            .expect_problem(403, "forbidden");
        let refused = c
            .app
            .patch(path)
            .token(&admin)
            .if_match(&current["version"])
            .json(&json!({"external_reference": "x".repeat(101)}))
            .await
            .expect_problem(422, "validation")
            .violations();
        assert_eq!(refused, ["external_reference:max_length"]);
    }
    let set = |path: String, reference: Value| {
        let app = &c.app;
        let admin = admin.clone();
        async move {
            let current = app.get(&path).token(&admin).send().await.expect(200).body;
            app.patch(&path)
                .token(&admin)
                .if_match(&current["version"])
                .json(&json!({"external_reference": reference}))
                .await
                .expect(200)
                .body
        }
    };
    let changed = set(partnership.clone(), json!(" SUP-000412 ")).await;
    assert_eq!(changed["external_reference"], "SUP-000412");
    let changed = set(allocation.clone(), json!("CSP-2017-PLY")).await;
    assert_eq!(changed["external_reference"], "CSP-2017-PLY");
    assert_eq!(changed["grant"], "400568.00");
    // The partnership reads its own references.
    let own = c.app.get(&partnership).token(&c.manager).send().await.expect(200).body;
    assert_eq!(own["external_reference"], "SUP-000412");

    let found = c
        .app
        .get("/api/v1/partnerships?external_reference=SUP-000412")
        .token(&admin)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    assert_eq!(found["items"][0]["id"], c.plymouth);
    let found = c
        .app
        .get("/api/v1/allocations?external_reference=CSP-2017-PLY")
        .token(&c.reviewer)
        .send()
        .await
        .expect(200)
        .body;
    let found: Vec<i64> = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(found, [c.plymouth_2017]);
    let report = c
        .app
        .get("/api/v1/reports/fund-by-partnership?fund_year=2017-18")
        .token(&c.reviewer)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(report["rows"][0]["partnership_external_reference"], "SUP-000412");
    assert_eq!(report["rows"][0]["allocation_external_reference"], "CSP-2017-PLY");
    let csv = c
        .app
        .get("/api/v1/reports/fund-by-partnership?fund_year=2017-18")
        .token(&c.reviewer)
        .header("accept", "text/csv")
        .send()
        .await
        .expect(200)
        .body;
    let csv = csv.as_str().unwrap();
    assert!(csv.starts_with(
        "allocation_id,partnership_id,partnership,partnership_external_reference,allocation_external_reference,"
    ));
    assert!(
        csv.contains(",Safer Plymouth,SUP-000412,CSP-2017-PLY,2017-18,"),
        "{csv}"
    );

    // A payment's, set by finance when recording it or later.
    let return_path = c.draft_return_2017().await;
    let payment = paid_return(&c, &return_path, &finance).await;
    assert_eq!(payment["external_reference"], "PAY-2017-004512");
    let path = format!("/api/v1/payments/{}", payment["id"]);
    for token in [&c.manager, &c.treasurer, &c.reviewer, &admin] {
        c.app
            .patch(&path)
            .token(token)
            .json(&json!({"external_reference": "X"}))
            .await
            .expect_problem(403, "forbidden");
    }
    c.app
        .get(&path)
        .token(&c.torbay_manager)
        .send()
        .await
        .expect_problem(404, "not-found");
    let changed = c
        .app
        .patch(&path)
        .token(&finance)
        .json(&json!({"external_reference": "PAY-2017-004513"}))
        .await
        .expect(200)
        .body;
    assert_eq!(changed["external_reference"], "PAY-2017-004513");
    assert_eq!(
        (&changed["amount"], &changed["remittance_reference"]),
        (&json!("150000.00"), &json!("BACS 0412"))
    );
    let read = c.app.get(&path).token(&c.treasurer).send().await.expect(200).body;
    assert_eq!(read, changed);
    let found = c
        .app
        .get("/api/v1/payments?external_reference=PAY-2017-004513")
        .token(&finance)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(found["items"], json!([changed]));
    let csv = c
        .app
        .get("/api/v1/exports/payments")
        .token(&finance)
        .header("accept", "text/csv")
        .send()
        .await
        .expect(200)
        .body;
    assert!(csv.as_str().unwrap().contains(",BACS 0412,PAY-2017-004513,"), "{csv}");

    // Each change is in the history, naming the field.
    for (kind, id) in [
        ("partnership", c.plymouth),
        ("allocation", c.plymouth_2017),
        ("payment", payment["id"].as_i64().unwrap()),
    ] {
        let entries = c
            .app
            .get(&format!("/api/v1/history?entity_kind={kind}&entity_id={id}"))
            .token(&admin)
            .send()
            .await
            .expect(200)
            .body;
        let last = entries["items"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (&last["action"], &last["changed_fields"]),
            (&json!("edited"), &json!(["external_reference"])),
            "{kind}"
        );
    }
    // Null removes a reference.
    let removed = c
        .app
        .patch(&path)
        .token(&finance)
        .json(&json!({"external_reference": null}))
        .await
        .expect(200)
        .body;
    assert_eq!(removed["external_reference"], Value::Null);
}
