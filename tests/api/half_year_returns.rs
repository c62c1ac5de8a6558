//! Half-year returns through the API, checked against the 2017-18 seed return.

use actix_web::http::Method;
use serde_json::{Value, json};

use crate::fixtures::{Cycle, cycle, seed_for};

async fn with_2017_plan() -> Cycle {
    let c = cycle().await;
    c.plan("plymouth-2017-18-plan", c.plymouth_2017, &c.manager).await;
    c
}

#[actix_web::test]
async fn the_2017_18_half_year_return_reads_back_exactly() {
    let c = with_2017_plan().await;
    let id = c
        .app
        .post("/api/v1/half-year-returns")
        .token(&c.manager)
        .json(&seed_for("plymouth-2017-18-half-year-return", c.plymouth_2017))
        .await
        .expect(201)
        .id();
    let r = c
        .app
        .get(&format!("/api/v1/half-year-returns/{id}"))
        .token(&c.treasurer)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(r["fund_year"], "2017-18");
    assert_eq!(r["half"], "first");
    assert_eq!(r["amount_claimed"], "200284.00");
    let letters: Vec<&str> = r["projects"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["letter"].as_str())
        .collect();
    assert_eq!(letters, ["A", "B", "C", "D", "E", "F", "G", "H"]);
    let funding: Vec<&str> = r["projects"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["funding"].as_str())
        .collect();
    assert_eq!(
        funding,
        [
            "160200.00",
            "25000.00",
            "98500.00",
            "43500.00",
            "36000.00",
            "16046.00",
            "10000.00",
            "39000.00"
        ]
    );
    assert_eq!(
        r["totals"],
        json!({"available": "428246.00", "allocated": "428246.00", "claimed": "200284.00",
               "claimed_to_date": "200284.00", "unclaimed": "227962.00", "expenditure_to_date": "133230.06"})
    );
    let a = &r["projects"][0];
    assert_eq!(a["rag"], "achieved");
    assert_eq!(a["share_of_service_percent"], "29.00");
    assert_eq!(a["indicator_actuals"][0]["met"], true);
    let b = &r["projects"][1];
    assert_eq!(b["indicator_actuals"][0]["target_text"], ">= 100 %");
    assert_eq!(b["indicator_actuals"][0]["met"], false);
    let f = &r["projects"][5];
    assert_eq!(f["expenditure_to_date"], "1330.06");
    assert_eq!(f["provider_status"], "statutory");
    assert_eq!(r["projects"][7]["rag"], "behind");

    let listed = c
        .app
        .get("/api/v1/half-year-returns?fund_year=2017-18")
        .token(&c.reviewer)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(listed["items"][0]["amount_claimed"], "200284.00");
    c.app
        .get(&format!("/api/v1/half-year-returns/{id}"))
        .token(&c.torbay_manager)
        .send()
        .await
        .expect(404);
}

#[actix_web::test]
async fn every_return_rule_is_refused_with_its_field() {
    let c = with_2017_plan().await;
    let base = seed_for("plymouth-2017-18-half-year-return", c.plymouth_2017);
    let variant = |change: &dyn Fn(&mut Value)| {
        let mut body = base.clone();
        change(&mut body);
        body
    };
    let cases: Vec<(Value, &str)> = vec![
        (
            variant(&|b| b["amount_claimed"] = json!("428246.01")),
            "amount_claimed:exceeds_unclaimed",
        ),
        (
            variant(&|b| b["half_year_end"] = json!("2018-04-01")),
            "half_year_end:within_fund_year",
        ),
        (variant(&|b| b["half"] = json!("third")), "half:enum"),
        (
            variant(&|b| b["projects"][0]["plan_line"] = json!(9)),
            "projects[0].plan_line:not_in_plan",
        ),
        (
            variant(&|b| b["projects"][2]["plan_line"] = json!(1)),
            "projects[2].plan_line:unique",
        ),
        (
            variant(&|b| b["projects"][0]["provider_status"] = json!("charity")),
            "projects[0].provider_status:enum",
        ),
        (
            variant(&|b| b["projects"][0]["rag"] = json!("green")),
            "projects[0].rag:enum",
        ),
        (
            variant(&|b| b["projects"][0]["total_service_funding"] = json!("160199.99")),
            "projects[0].total_service_funding:below_funding",
        ),
        (
            variant(&|b| b["projects"][0]["indicator_actuals"] = json!([{"indicator": 7, "actual": "1"}])),
            "projects[0].indicator_actuals[0].indicator:not_an_indicator",
        ),
        (
            variant(&|b| b["projects"][0]["indicator_actuals"] = json!([{"indicator": 1, "actual": "lots"}])),
            "projects[0].indicator_actuals[0].actual:decimal_format",
        ),
        (
            variant(&|b| b["projects"][5]["expenditure"][4]["amount"] = json!("251.065")),
            "projects[5].expenditure[4].amount:max_two_decimal_places",
        ),
        (
            variant(&|b| b["allocation_id"] = json!(c.torbay_2021)),
            "allocation_id:exists",
        ),
    ];
    for (body, expected) in cases {
        let reply = c
            .app
            .post("/api/v1/half-year-returns")
            .token(&c.manager)
            .json(&body)
            .await;
        assert_eq!(reply.expect_problem(422, "validation").violations(), [expected]);
    }

    // Without a plan, there are no lines to report against.
    let no_plan = c
        .app
        .post("/api/v1/half-year-returns")
        .token(&c.manager)
        .json(&json!({"allocation_id": c.plymouth_2021, "half": "first", "half_year_end": "2021-09-30",
                      "amount_claimed": "1.00", "projects": [{"plan_line": 1, "provider": "x", "provider_status": "statutory", "rag": "on_track"}]}))
        .await;
    assert_eq!(
        no_plan.expect_problem(422, "validation").violations(),
        ["projects[0].plan_line:no_plan"]
    );

    c.app
        .post("/api/v1/half-year-returns")
        .token(&c.manager)
        .json(&base)
        .await
        .expect(201);
    let again = c
        .app
        .post("/api/v1/half-year-returns")
        .token(&c.manager)
        .json(&base)
        .await;
    assert_eq!(
        again.expect_problem(422, "validation").violations(),
        ["half:one_per_half"]
    );

    // The second half may claim only what is left: 428,246.00 - 200,284.00.
    let second = |claim: &str| {
        json!({"allocation_id": c.plymouth_2017, "half": "second", "half_year_end": "2018-03-31",
               "amount_claimed": claim, "invoice_reference": "SP-CSF-2017-18-H2"})
    };
    let over = c
        .app
        .post("/api/v1/half-year-returns")
        .token(&c.manager)
        .json(&second("227962.01"))
        .await;
    assert_eq!(
        over.expect_problem(422, "validation").violations(),
        ["amount_claimed:exceeds_unclaimed"]
    );
    let rest = c
        .app
        .post("/api/v1/half-year-returns")
        .token(&c.manager)
        .json(&second("227962.00"))
        .await
        .expect(201);
    assert_eq!(rest.body["totals"]["unclaimed"], "0.00");
    assert_eq!(rest.body["totals"]["claimed_to_date"], "428246.00");
    // The allocation's second return: its Location names it, not the first.
    let id = rest.id();
    assert_ne!(id, 1);
    assert_eq!(rest.header("location"), Some(format!("/api/v1/half-year-returns/{id}")));
}

#[actix_web::test]
async fn a_plan_line_reported_on_cannot_be_removed_from_the_plan() {
    let c = cycle().await;
    let plan = c.plan("plymouth-2017-18-plan", c.plymouth_2017, &c.manager).await;
    c.app
        .post("/api/v1/half-year-returns")
        .token(&c.manager)
        .json(&seed_for("plymouth-2017-18-half-year-return", c.plymouth_2017))
        .await
        .expect(201);
    let mut fewer = seed_for("plymouth-2017-18-plan", c.plymouth_2017);
    fewer["lines"].as_array_mut().map(|lines| lines.pop());
    let reply = c
        .app
        .call(Method::PUT, &format!("/api/v1/plans/{plan}"))
        .token(&c.manager)
        .if_match(&json!(1))
        .json(&fewer)
        .await;
    assert_eq!(reply.expect_problem(422, "validation").violations(), ["lines:in_use"]);
    let mut no_indicator = seed_for("plymouth-2017-18-plan", c.plymouth_2017);
    no_indicator["lines"][1]["indicators"] = json!([]);
    let reply = c
        .app
        .call(Method::PUT, &format!("/api/v1/plans/{plan}"))
        .token(&c.manager)
        .if_match(&json!(1))
        .json(&no_indicator)
        .await;
    assert_eq!(
        reply.expect_problem(422, "validation").violations(),
        ["lines[1].indicators:in_use"]
    );
}

#[actix_web::test]
async fn replacing_a_return_updates_its_figures() {
    let c = with_2017_plan().await;
    let id = c
        .app
        .post("/api/v1/half-year-returns")
        .token(&c.manager)
        .json(&seed_for("plymouth-2017-18-half-year-return", c.plymouth_2017))
        .await
        .expect(201)
        .id();
    let mut changed = seed_for("plymouth-2017-18-half-year-return", c.plymouth_2017);
    changed["amount_claimed"] = json!("150000.00");
    if let Some(projects) = changed["projects"].as_array_mut() {
        projects.truncate(2);
    }
    // Actuals and spending are read back in the order they were reported.
    changed["projects"][0]["indicator_actuals"] = json!([
        {"indicator": 3, "actual": "4"},
        {"indicator": 1, "actual": "95"}
    ]);
    changed["projects"][0]["expenditure"] = json!([
        {"description": "Quarter two", "amount": "2.50"},
        {"description": "Quarter one", "amount": "1.25"}
    ]);
    let path = format!("/api/v1/half-year-returns/{id}");
    let r = c
        .app
        .call(Method::PUT, &path)
        .token(&c.manager)
        .if_match(&json!(1))
        .json(&changed)
        .await
        .expect(200)
        .body;
    assert_eq!(r["version"], 2);
    assert_eq!(r["totals"]["allocated"], "185200.00");
    assert_eq!(r["totals"]["unclaimed"], "278246.00");
    let a = &r["projects"][0];
    let reported: Vec<(i64, &str)> = a["indicator_actuals"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| Some((x["indicator"].as_i64()?, x["actual"].as_str()?)))
        .collect();
    assert_eq!(reported, [(3, "4"), (1, "95")]);
    assert_eq!(
        a["expenditure"],
        json!([{"description": "Quarter two", "amount": "2.50"}, {"description": "Quarter one", "amount": "1.25"}])
    );
    assert_eq!(a["expenditure_to_date"], "3.75");
    changed["half"] = json!("second");
    let moved = c
        .app
        .call(Method::PUT, &path)
        .token(&c.manager)
        .if_match(&json!(2))
        .json(&changed)
        .await;
    assert_eq!(moved.expect_problem(422, "validation").violations(), ["half:immutable"]);
    c.app
        .call(Method::PUT, &path)
        .token(&c.treasurer)
        .if_match(&json!(2))
        .json(&changed)
        .await
        .expect(403);
}

/// Withdrawing a return after it was signed and countersigned voids both signatures, saying
/// why; signing again starts afresh.
#[actix_web::test]
async fn withdrawing_a_return_voids_its_signatures() {
    let c = crate::fixtures::cycle().await;
    let path = c.draft_return_2017().await;
    c.act(&path, "sign", &c.manager, c.signature()).await.expect(200);
    c.act(&path, "countersign", &c.treasurer, c.signature())
        .await
        .expect(200);
    let withdrawn = c
        .act(&path, "withdraw", &c.manager, serde_json::json!({}))
        .await
        .expect(200);
    assert_eq!(withdrawn.body["status"], "draft");
    let signatures = c.signatures(&path, &c.treasurer).await;
    let signatures = signatures.as_array().expect("a list");
    assert_eq!(signatures.len(), 2);
    for signature in signatures {
        assert_eq!(signature["valid"], false, "{signature}");
        assert_eq!(signature["void_reason"], "withdrawn by the partnership", "{signature}");
    }
    c.act(&path, "sign", &c.manager, c.signature()).await.expect(200);
    let signatures = c.signatures(&path, &c.treasurer).await;
    let valid: Vec<&serde_json::Value> = signatures
        .as_array()
        .expect("a list")
        .iter()
        .filter(|s| s["valid"] == true)
        .collect();
    assert_eq!(valid.len(), 1);
    assert_eq!(valid[0]["capacity"], "csp_manager");
}
