//! Spending Intentions Plans through the API, checked against the 2021-22 seed plan.

use serde_json::{Value, json};

use crate::fixtures::{cycle, seed, seed_for};

fn amounts(lines: &Value, field: &str) -> Vec<String> {
    lines
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| l[field].as_str().unwrap_or("?").to_owned())
        .collect()
}

#[actix_web::test]
async fn the_2021_22_plan_reads_back_exactly() {
    let c = cycle().await;
    let created = c
        .app
        .post("/api/v1/plans")
        .token(&c.manager)
        .json(&seed_for("plymouth-2021-22-plan", c.plymouth_2021))
        .await
        .expect(201);
    let id = created.id();
    assert_eq!(created.header("location"), Some(format!("/api/v1/plans/{id}")));

    let plan = c
        .app
        .get(&format!("/api/v1/plans/{id}"))
        .token(&c.reviewer)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(plan["fund_year"], "2021-22");
    assert_eq!(plan["partnership"], "Safer Plymouth");
    assert_eq!(plan["status"], "draft");
    assert_eq!(plan["version"], 1);
    assert_eq!(
        amounts(&plan["lines"], "amount"),
        ["240819.00", "25000.00", "93575.00", "26500.00", "10000.00", "4674.00"]
    );
    assert_eq!(
        plan["totals"],
        json!({"available": "400568.00", "allocated": "400568.00", "unallocated": "0.00"})
    );

    let first = &plan["lines"][0];
    assert_eq!(amounts(&first["sub_allocations"], "amount"), ["210000.00", "30819.00"]);
    assert_eq!(first["sub_allocated"], "240819.00");
    assert_eq!(first["total_contract_value"], "573300.00");
    assert_eq!(first["opcc_share_percent"], "42.01");
    assert_eq!(
        first["priorities"],
        json!([{"number": 3, "title": "Protecting people at risk of abuse"},
               {"number": 4, "title": "Supporting victims and witnesses and helping them to get justice"}])
    );
    assert_eq!(first["indicators"][2]["target_text"], "< 20 %");
    assert_eq!(first["indicators"][3]["target_text"], Value::Null);

    let fourth = &plan["lines"][3];
    assert_eq!(
        amounts(&fourth["sub_allocations"], "amount"),
        ["4000.00", "5000.00", "4000.00", "3500.00", "10000.00"]
    );
    assert_eq!(fourth["sub_allocated"], "26500.00");
    assert_eq!(fourth["priorities"].as_array().map(Vec::len), Some(5));
}

#[actix_web::test]
async fn plans_list_by_fund_year_partnership_and_status() {
    let c = cycle().await;
    c.plan("plymouth-2021-22-plan", c.plymouth_2021, &c.manager).await;
    c.plan("plymouth-2017-18-plan", c.plymouth_2017, &c.manager).await;
    c.plan("torbay-2021-22-plan", c.torbay_2021, &c.torbay_manager).await;

    let all = c
        .app
        .get("/api/v1/plans")
        .token(&c.reviewer)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(3));
    let year = c
        .app
        .get("/api/v1/plans?fund_year=2021-22")
        .token(&c.reviewer)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(year["items"].as_array().map(Vec::len), Some(2));
    let torbay = c
        .app
        .get(&format!("/api/v1/plans?partnership_id={}&status=draft", c.torbay))
        .token(&c.reviewer)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(torbay["items"][0]["totals"]["allocated"], "160000.00");
    assert_eq!(torbay["items"][0]["totals"]["unallocated"], "20000.00");
    let paged = c
        .app
        .get("/api/v1/plans?limit=2")
        .token(&c.reviewer)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(paged["items"].as_array().map(Vec::len), Some(2));
    assert!(paged["next_cursor"].is_string());

    // A partnership sees only its own plans, even when it asks for another's.
    let mine = c
        .app
        .get("/api/v1/plans")
        .token(&c.torbay_manager)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(1));
    let theirs = c
        .app
        .get(&format!("/api/v1/plans?partnership_id={}", c.plymouth))
        .token(&c.torbay_manager)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(theirs["items"], json!([]));
    // Naming its own partnership narrows nothing away.
    let own = c
        .app
        .get(&format!("/api/v1/plans?partnership_id={}", c.torbay))
        .token(&c.torbay_manager)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(own["items"], mine["items"]);
}

#[actix_web::test]
async fn every_plan_rule_is_refused_with_its_field() {
    let c = cycle().await;
    let post = || c.app.post("/api/v1/plans").token(&c.manager);
    let with_line = |line: Value| json!({"allocation_id": c.plymouth_2021, "lines": [line]});
    let line = |extra: Value| {
        let mut l = json!({"number": 1, "title": "A line", "amount": "1000.00", "priorities": [1]});
        if let (Some(l), Some(extra)) = (l.as_object_mut(), extra.as_object()) {
            l.extend(extra.clone());
        }
        l
    };
    let cases: Vec<(Value, &str)> = vec![
        (
            with_line(line(json!({"amount": "400568.01"}))),
            "lines:exceeds_available",
        ),
        (
            with_line(line(json!({"amount": "10.005"}))),
            "lines[0].amount:max_two_decimal_places",
        ),
        (
            with_line(line(json!({"amount": "-1.00"}))),
            "lines[0].amount:non_negative",
        ),
        (
            with_line(line(json!({"amount": 1000}))),
            "lines[0].amount:decimal_format",
        ),
        (
            with_line(line(
                json!({"sub_allocations": [{"label": "a", "amount": "600.00"}, {"label": "b", "amount": "400.01"}]}),
            )),
            "lines[0].sub_allocations:exceeds_line",
        ),
        (
            with_line(line(json!({"priorities": [1, 9]}))),
            "lines[0].priorities[1]:unknown_priority",
        ),
        (
            with_line(line(json!({"total_contract_value": "999.99"}))),
            "lines[0].total_contract_value:below_line_amount",
        ),
        (with_line(line(json!({"title": " "}))), "lines[0].title:blank"),
        (
            with_line(line(
                json!({"indicators": [{"number": 1, "name": "Re-referral rate", "comparison": "less_than"}]}),
            )),
            "lines[0].indicators[0].target:target_and_comparison",
        ),
        (
            with_line(line(
                json!({"indicators": [{"number": 1, "name": "Rate", "comparison": "lower", "target": "20"}]}),
            )),
            "lines[0].indicators[0].comparison:enum",
        ),
        (
            json!({"allocation_id": c.plymouth_2021, "lines": [line(json!({})), line(json!({}))]}),
            "lines[1].number:unique",
        ),
        (json!({"lines": []}), "allocation_id:required"),
        (
            json!({"allocation_id": c.torbay_2021, "lines": []}),
            "allocation_id:exists",
        ),
        (json!({"allocation_id": 987654, "lines": []}), "allocation_id:exists"),
    ];
    for (body, expected) in cases {
        let reply = post().json(&body).await.expect_problem(422, "validation");
        assert_eq!(reply.violations(), [expected], "{body}");
    }
    let listed = c
        .app
        .get("/api/v1/plans")
        .token(&c.manager)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(listed["items"], json!([]), "nothing was stored");

    c.plan("plymouth-2021-22-plan", c.plymouth_2021, &c.manager).await;
    let second = post()
        .json(&seed_for("plymouth-2021-22-plan", c.plymouth_2021))
        .await
        .expect_problem(422, "validation");
    assert_eq!(second.violations(), ["allocation_id:one_per_allocation"]);
}

#[actix_web::test]
async fn only_the_partnerships_manager_writes_its_plan() {
    let c = cycle().await;
    let body = seed_for("plymouth-2021-22-plan", c.plymouth_2021);
    for token in [&c.treasurer, &c.reviewer, &c.app.admin_token] {
        c.app
            .post("/api/v1/plans")
            .token(token)
            .json(&body)
            .await
            .expect_problem(403, "forbidden");
    }
    let id = c.plan("plymouth-2021-22-plan", c.plymouth_2021, &c.manager).await;
    let path = format!("/api/v1/plans/{id}");
    c.app.get(&path).token(&c.treasurer).send().await.expect(200);
    // Another partnership's plan is not found, with or without If-Match.
    c.app
        .get(&path)
        .token(&c.torbay_manager)
        .send()
        .await
        .expect_problem(404, "not-found");
    c.app
        .call(actix_web::http::Method::PUT, &path)
        .token(&c.torbay_manager)
        .json(&seed("plymouth-2021-22-plan"))
        .await
        .expect(404);
    c.app
        .call(actix_web::http::Method::PUT, &path)
        .token(&c.treasurer)
        .json(&seed("plymouth-2021-22-plan"))
        .await
        .expect(403);
}

#[actix_web::test]
async fn a_save_changes_what_it_changes_and_keeps_the_rest() {
    let c = cycle().await;
    let id = c.plan("plymouth-2021-22-plan", c.plymouth_2021, &c.manager).await;
    let mut changed = seed("plymouth-2021-22-plan");
    changed["lines"][0]["sub_allocations"] = json!([
        {"label": "Plymouth Domestic Abuse Service", "amount": "200000.00"},
        {"label": "  Perpetrator pilot match funding  ", "amount": "40819.00"},
    ]);
    changed["lines"][1]["priorities"] = json!([4, 5]);
    changed["lines"][2]["indicators"] = json!([
        {"number": 2, "name": "Successful completions", "comparison": "at_least", "target": "40", "unit": "%"},
        {"number": 3, "name": "Waiting time under three weeks", "unit": ""},
    ]);
    changed["lines"][3]["title"] = json!("Exploitation and lived experience");
    let first_three_subs: Vec<Value> = changed["lines"][3]["sub_allocations"]
        .as_array()
        .map(|subs| subs[..3].to_vec())
        .unwrap_or_default();
    changed["lines"][3]["sub_allocations"] = json!(first_three_subs);
    let saved = c
        .app
        .call(actix_web::http::Method::PUT, &format!("/api/v1/plans/{id}"))
        .token(&c.manager)
        .if_match(&json!(1))
        .json(&changed)
        .await
        .expect(200)
        .body;
    let plan = c
        .app
        .get(&format!("/api/v1/plans/{id}"))
        .token(&c.manager)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(saved["lines"], plan["lines"]);
    let lines = &plan["lines"];
    assert_eq!(
        lines[0]["sub_allocations"],
        json!([
            {"label": "Plymouth Domestic Abuse Service", "amount": "200000.00"},
            {"label": "Perpetrator pilot match funding", "amount": "40819.00"},
        ])
    );
    let cited = |line: &Value| -> Vec<i64> {
        line["priorities"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["number"].as_i64())
            .collect()
    };
    assert_eq!(cited(&lines[0]), [3, 4]);
    assert_eq!(cited(&lines[1]), [4, 5]);
    let indicators: Vec<(i64, &str, Option<&str>)> = lines[2]["indicators"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| {
            (
                i["number"].as_i64().unwrap_or(0),
                i["name"].as_str().unwrap_or(""),
                i["target"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        indicators,
        [
            (2, "Successful completions", Some("40")),
            (3, "Waiting time under three weeks", None)
        ]
    );
    assert_eq!(lines[3]["title"], "Exploitation and lived experience");
    assert_eq!(lines[3]["sub_allocations"], json!(first_three_subs));
    assert_eq!(lines[0]["indicators"].as_array().map(Vec::len), Some(5));
    assert_eq!(lines[0]["amount"], "240819.00");
}

#[actix_web::test]
async fn replacing_a_plan_keeps_lines_by_number_and_counts_versions() {
    let c = cycle().await;
    let id = c.plan("plymouth-2021-22-plan", c.plymouth_2021, &c.manager).await;
    let mut changed = seed("plymouth-2021-22-plan");
    changed["lines"][5]["amount"] = json!("4000.00");
    changed["lines"].as_array_mut().map(|lines| lines.remove(4));
    let put = || {
        c.app
            .call(actix_web::http::Method::PUT, &format!("/api/v1/plans/{id}"))
            .token(&c.manager)
    };
    put().json(&changed).await.expect_problem(428, "precondition-required");
    let stale = put()
        .header("if-match", "\"7\"")
        .json(&changed)
        .await
        .expect_problem(412, "precondition-failed");
    assert_eq!(stale.header("etag").as_deref(), Some("\"1\""));
    let reply = put().if_match(&json!(1)).json(&changed).await.expect(200);
    assert_eq!(reply.header("etag").as_deref(), Some("\"2\""));
    let plan = reply.body;
    assert_eq!(plan["version"], 2);
    let numbers: Vec<i64> = plan["lines"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l["number"].as_i64())
        .collect();
    assert_eq!(numbers, [1, 2, 3, 4, 6]);
    assert_eq!(plan["totals"]["unallocated"], "10674.00");

    changed["allocation_id"] = json!(c.plymouth_2017);
    let moved = put()
        .if_match(&json!(2))
        .json(&changed)
        .await
        .expect_problem(422, "validation");
    assert_eq!(moved.violations(), ["allocation_id:immutable"]);
}

#[actix_web::test]
async fn a_plan_takes_if_match_as_rfc_9110_has_it() {
    let c = cycle().await;
    let id = c.plan("plymouth-2021-22-plan", c.plymouth_2021, &c.manager).await;
    let path = format!("/api/v1/plans/{id}");
    let plan = seed("plymouth-2021-22-plan");
    let put = |tag: &'static str| {
        c.app
            .call(actix_web::http::Method::PUT, &path)
            .token(&c.manager)
            .header("if-match", tag)
            .json(&plan)
    };
    // A weak tag never matches and an unquoted one is not an entity tag at all.
    put("W/\"1\"").await.expect_problem(412, "precondition-failed");
    put("1").await.expect_problem(400, "malformed-request");
    let saved = put("\"9\", \"1\"").await.expect(200);
    assert_eq!(saved.header("etag").as_deref(), Some("\"2\""));
    put("*").await.expect(200);
    let unchanged = c
        .app
        .get(&path)
        .token(&c.manager)
        .header("if-none-match", "W/\"3\"")
        .send()
        .await
        .expect(304);
    assert_eq!(unchanged.header("etag").as_deref(), Some("\"3\""));
}
