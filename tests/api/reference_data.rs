//! Priority sets, fund years and allocations: the admin's reference data and its rules.

use actix_web::http::Method;
use serde_json::{Value, json};

use crate::fixtures::{cycle, seed_for};

#[actix_web::test]
async fn fund_years_are_april_to_march_with_deadlines_in_order() {
    let c = cycle().await;
    let admin = &c.app.admin_token;
    let years = c
        .app
        .get("/api/v1/fund-years")
        .token(&c.manager)
        .send()
        .await
        .expect(200)
        .body;
    let first = &years["items"][0];
    assert_eq!(
        (
            first["label"].as_str(),
            first["starts_on"].as_str(),
            first["ends_on"].as_str()
        ),
        (Some("2017-18"), Some("2017-04-01"), Some("2018-03-31"))
    );
    assert_eq!(first["first_half_return_due"], "2017-11-03");
    assert_eq!(first["second_half_return_due"], "2018-05-04");

    let set = years["items"][0]["priority_set_id"].clone();
    let open = || c.app.post("/api/v1/fund-years").token(admin);
    // The second half's return falls due with the final report unless a case says otherwise.
    let year = |label: &str, plan: &str, half: &str, last: &str| {
        json!({"label": label, "plan_due": plan, "first_half_return_due": half, "second_half_return_due": last,
               "final_report_due": last, "priority_set_id": set})
    };
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            year("2019-21", "2019-05-01", "2019-11-01", "2020-06-01"),
            vec!["label:fund_year_label"],
        ),
        (
            year("2019-20", "2019-03-01", "2019-11-01", "2020-06-01"),
            vec!["plan_due:within_fund_year"],
        ),
        (
            year("2019-20", "2019-05-01", "2020-04-02", "2020-06-01"),
            vec!["first_half_return_due:within_fund_year"],
        ),
        (
            year("2019-20", "2019-05-01", "2019-11-01", "2021-01-01"),
            vec!["final_report_due:within_grace_period"],
        ),
        (
            year("2019-20", "2019-12-01", "2019-11-01", "2020-06-01"),
            vec!["first_half_return_due:after_plan_due"],
        ),
        (
            json!({"label": "2019-20", "plan_due": "2019-05-01", "first_half_return_due": "2019-11-01",
                "second_half_return_due": "2019-10-01", "final_report_due": "2020-06-01", "priority_set_id": set}),
            vec!["second_half_return_due:after_first_half_return_due"],
        ),
        (
            json!({"label": "2019-20", "plan_due": "2019-05-01", "first_half_return_due": "2019-11-01",
                "second_half_return_due": "2020-06-02", "final_report_due": "2020-06-01", "priority_set_id": set}),
            vec!["final_report_due:not_before_second_half_return_due"],
        ),
        (
            json!({"label": "2019-20", "plan_due": "2019-05-01", "first_half_return_due": "2019-11-01",
                "second_half_return_due": "2020-05-01", "final_report_due": "2020-06-01", "priority_set_id": 999}),
            vec!["priority_set_id:exists"],
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(
            open().json(&body).await.expect_problem(422, "validation").violations(),
            expected
        );
    }
    let duplicate = open()
        .json(&year("2017-18", "2017-05-31", "2017-11-03", "2018-06-29"))
        .await;
    assert_eq!(duplicate.expect_problem(409, "conflict").violations(), ["label:unique"]);
    open()
        .json(&year("2019-20", "2019-05-01", "2019-11-01", "2020-06-01"))
        .await
        .expect(201);
    c.app
        .post("/api/v1/fund-years")
        .token(&c.manager)
        .json(&year("2020-21", "2020-05-01", "2020-11-06", "2021-06-30"))
        .await
        .expect_problem(403, "forbidden");
}

#[actix_web::test]
async fn the_admin_alone_maintains_reference_data() {
    let c = cycle().await;
    let set = json!({"name": "Another plan", "starts_on": "2022-04-01", "ends_on": "2025-03-31",
                     "priorities": [{"number": 1, "title": "Safer streets"}]});
    for token in [&c.manager, &c.reviewer, &c.treasurer] {
        c.app
            .post("/api/v1/priority-sets")
            .token(token)
            .json(&set)
            .await
            .expect_problem(403, "forbidden");
        c.app
            .patch(&format!("/api/v1/allocations/{}", c.plymouth_2021))
            .header("if-match", "*")
            .token(token)
            .json(&json!({"grant": "1.00"}))
            .await
            .expect(403);
    }
    let bad_set = json!({"name": "", "starts_on": "2022-04-01", "ends_on": "2021-03-31",
                         "priorities": [{"number": 1, "title": "A"}, {"number": 1, "title": "B"}]});
    let reply = c
        .app
        .post("/api/v1/priority-sets")
        .token(&c.app.admin_token)
        .json(&bad_set)
        .await;
    assert_eq!(
        reply.expect_problem(422, "validation").violations(),
        ["name:blank", "ends_on:after_start", "priorities[1].number:unique"]
    );
}

#[actix_web::test]
async fn allocations_hold_grant_and_purposeful_carry_forward_and_cover_what_is_committed() {
    let c = cycle().await;
    let admin = &c.app.admin_token;
    let allocation = c
        .app
        .get(&format!("/api/v1/allocations/{}", c.plymouth_2017))
        .token(&c.manager)
        .send()
        .await
        .expect(200);
    assert_eq!(allocation.body["grant"], "400568.00");
    assert_eq!(allocation.body["carry_forward"], "27678.00");
    assert_eq!(
        allocation.body["carry_forward_purpose"],
        "MARAC co-ordinator and IDVA hours"
    );
    assert_eq!(allocation.body["available"], "428246.00");
    c.app
        .get(&format!("/api/v1/allocations/{}", c.torbay_2021))
        .token(&c.manager)
        .send()
        .await
        .expect(404);
    let mine = c
        .app
        .get("/api/v1/allocations?fund_year=2021-22")
        .token(&c.manager)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(1));

    let years = c
        .app
        .get("/api/v1/fund-years")
        .token(admin)
        .send()
        .await
        .expect(200)
        .body;
    let year_2017 = years["items"][0]["id"].clone();
    let purposeless = c
        .app
        .post("/api/v1/allocations")
        .token(admin)
        .json(
            &json!({"fund_year_id": year_2017, "partnership_id": c.torbay, "grant": "100.00", "carry_forward": "5.00"}),
        )
        .await;
    assert_eq!(
        purposeless.expect_problem(422, "validation").violations(),
        ["carry_forward_purpose:required"]
    );
    let twice = c
        .app
        .post("/api/v1/allocations")
        .token(admin)
        .json(&json!({"fund_year_id": year_2017, "partnership_id": c.plymouth, "grant": "100.00"}))
        .await;
    assert_eq!(
        twice.expect_problem(422, "validation").violations(),
        ["partnership_id:one_per_fund_year"]
    );

    c.plan("plymouth-2017-18-plan", c.plymouth_2017, &c.manager).await;
    c.app
        .post("/api/v1/half-year-returns")
        .token(&c.manager)
        .json(&seed_for("plymouth-2017-18-half-year-return", c.plymouth_2017))
        .await
        .expect(201);
    let below = c
        .app
        .call(Method::PATCH, &format!("/api/v1/allocations/{}", c.plymouth_2017))
        .token(admin)
        .header("if-match", "*")
        .json(&json!({"carry_forward": "0.00"}))
        .await;
    assert_eq!(
        below.expect_problem(422, "validation").violations(),
        ["grant:below_committed"]
    );
}

/// What a conditional change of `path` answers, with this If-Match (or none).
async fn change(
    c: &crate::fixtures::Cycle,
    method: Method,
    path: &str,
    if_match: Option<&str>,
    body: &Value,
) -> crate::support::Reply {
    let mut call = c.app.call(method, path).token(&c.app.admin_token);
    if let Some(tag) = if_match {
        call = call.header("if-match", tag);
    }
    call.json(body).await
}

#[actix_web::test]
async fn two_admins_editing_a_grant_at_once_cannot_lose_an_edit() {
    let c = cycle().await;
    let path = format!("/api/v1/allocations/{}", c.plymouth_2021);
    let read = c.app.get(&path).token(&c.app.admin_token).send().await.expect(200);
    let etag = read.header("etag").expect("an ETag");
    assert_eq!(etag, format!("\"{}\"", read.body["version"]));

    // Both read the same version; the first to write wins, the second is told.
    let (one, other) = (json!({"grant": "400000.00"}), json!({"grant": "410000.00"}));
    let (first, second) = futures_util::join!(
        change(&c, Method::PATCH, &path, Some(&etag), &one),
        change(&c, Method::PATCH, &path, Some(&etag), &other),
    );
    let mut statuses = [first.status.as_u16(), second.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412]);
    let (won, lost) = if first.status == 200 {
        (first, second)
    } else {
        (second, first)
    };
    let lost = lost.expect_problem(412, "precondition-failed");
    assert!(lost.body["detail"].as_str().unwrap().contains("read it again"));
    let now = c.app.get(&path).token(&c.app.admin_token).send().await.expect(200);
    assert_eq!(now.body["grant"], won.body["grant"], "the winner's edit stands");
    assert_eq!(now.header("etag"), won.header("etag"));
    assert_ne!(now.header("etag").as_deref(), Some(etag.as_str()));
}

#[actix_web::test]
async fn if_match_follows_rfc_9110_on_every_resource_that_changes() {
    let c = cycle().await;
    let set = c
        .app
        .get("/api/v1/priority-sets?limit=1")
        .token(&c.app.admin_token)
        .send()
        .await
        .expect(200);
    let set_id = set.body["items"][0]["id"].as_i64().unwrap();
    let user_id = c.app.get("/api/v1/me").token(&c.manager).send().await.expect(200).body["user"]["id"].clone();
    let client = c
        .app
        .post("/api/v1/api-clients")
        .token(&c.app.admin_token)
        .json(&json!({"name": "Plymouth grants system", "role": "csp_manager", "partnership_id": c.plymouth}))
        .await
        .expect(201);
    let subscription = c
        .app
        .post("/api/v1/webhook-subscriptions")
        .token(&c.app.admin_token)
        .json(&json!({"url": "http://127.0.0.1:9/events", "event_types": ["plan.submitted"]}))
        .await
        .expect(201);
    let fund_year = c
        .app
        .get("/api/v1/fund-years?limit=1")
        .token(&c.app.admin_token)
        .send()
        .await
        .expect(200);
    let cases: Vec<(Method, String, Value)> = vec![
        (
            Method::PATCH,
            format!("/api/v1/partnerships/{}", c.plymouth),
            json!({"area": "Plymouth and district"}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/users/{user_id}"),
            json!({"job_title": "Head of Community Safety"}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/api-clients/{}", client.id()),
            json!({"name": "Grants system"}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/fund-years/{}", fund_year.body["items"][0]["id"]),
            json!({"plan_due": "2017-05-30"}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/allocations/{}", c.plymouth_2017),
            json!({"carry_forward_purpose": "IDVA hours"}),
        ),
        (
            Method::PUT,
            format!("/api/v1/priority-sets/{set_id}"),
            json!({"name": "Police and Crime Plan", "starts_on": "2017-04-01", "ends_on": "2025-03-31",
                   "priorities": (1..=5).map(|n| json!({"number": n, "title": format!("Priority {n}")})).collect::<Vec<_>>()}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/webhook-subscriptions/{}", subscription.id()),
            json!({"description": "OPCC"}),
        ),
    ];
    for (method, path, body) in cases {
        let read = c.app.get(&path).token(&c.app.admin_token).send().await.expect(200);
        let etag = read.header("etag").unwrap_or_else(|| panic!("{path} has an ETag"));
        let version = read.body["version"]
            .as_i64()
            .unwrap_or_else(|| panic!("{path} shows its version"));
        assert_eq!(etag, format!("\"{version}\""));
        // A conditional read of what is unchanged is 304 without a body.
        let unchanged = c
            .app
            .get(&path)
            .token(&c.app.admin_token)
            .header("if-none-match", &etag)
            .send()
            .await
            .expect(304);
        assert_eq!(unchanged.body, Value::Null, "{path}");
        assert_eq!(unchanged.header("etag").as_deref(), Some(etag.as_str()));

        change(&c, method.clone(), &path, None, &body)
            .await
            .expect_problem(428, "precondition-required");
        let weak = format!("W/{etag}");
        change(&c, method.clone(), &path, Some(&weak), &body)
            .await
            .expect_problem(412, "precondition-failed");
        change(&c, method.clone(), &path, Some(&version.to_string()), &body)
            .await
            .expect_problem(400, "malformed-request");
        let stale = format!("\"{}\"", version + 1);
        change(&c, method.clone(), &path, Some(&stale), &body)
            .await
            .expect_problem(412, "precondition-failed");
        let list = format!("{stale}, {etag}");
        let changed = change(&c, method.clone(), &path, Some(&list), &body).await.expect(200);
        assert_eq!(changed.body["version"], version + 1, "{path}");
        assert_eq!(changed.header("etag"), Some(format!("\"{}\"", version + 1)));
        change(&c, method.clone(), &path, Some(&etag), &body)
            .await
            .expect_problem(412, "precondition-failed");
        change(&c, method.clone(), &path, Some("*"), &body).await.expect(200);
        c.app
            .get(&path)
            .token(&c.app.admin_token)
            .header("if-none-match", &etag)
            .send()
            .await
            .expect(200);
    }
}
