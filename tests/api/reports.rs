//! The fund at a glance, from the seed 2017-18 year: every figure to the penny, and each
//! partnership seeing only its own rows.

use serde_json::{Value, json};

use crate::fixtures::{Cycle, cycle, seed_for};

/// The 2017-18 year carried through: plan approved, first half's return accepted with £195,000
/// of its claim approved and £150,000 paid, final report countersigned.
pub async fn year_2017_carried_through(c: &Cycle) {
    year_2017_carried_through_with(c, seed_for("plymouth-2017-18-plan", c.plymouth_2017)).await;
}

/// The 2017-18 year carried through from this plan.
pub async fn year_2017_carried_through_with(c: &Cycle, plan: Value) {
    let finance = c.app.user("finance@opcc.example", "opcc_finance", None).await;
    let plan = c
        .app
        .post("/api/v1/plans")
        .token(&c.manager)
        .json(&plan)
        .await
        .expect(201)
        .id();
    let plan_path = format!("/api/v1/plans/{plan}");
    c.act(&plan_path, "submit", &c.manager, c.signature()).await.expect(200);
    c.act(&plan_path, "start-review", &c.reviewer, json!({}))
        .await
        .expect(200);
    let decisions: Vec<Value> = (1..=8)
        .map(|line| json!({"line": line, "decision": "approved"}))
        .collect();
    c.act(&plan_path, "decisions", &c.reviewer, json!({"decisions": decisions}))
        .await
        .expect(200);
    c.act(&plan_path, "approve", &c.reviewer, json!({})).await.expect(200);

    let id = c
        .app
        .post("/api/v1/half-year-returns")
        .token(&c.manager)
        .json(&seed_for("plymouth-2017-18-half-year-return", c.plymouth_2017))
        .await
        .expect(201)
        .id();
    let path = format!("/api/v1/half-year-returns/{id}");
    c.act(&path, "sign", &c.manager, c.signature()).await.expect(200);
    c.act(&path, "countersign", &c.treasurer, c.signature())
        .await
        .expect(200);
    c.act(&path, "start-review", &c.reviewer, json!({})).await.expect(200);
    c.act(
        &path,
        "accept",
        &c.reviewer,
        json!({"approved_amount": "195000.00", "reason": "Project H waits for its commissioning date"}),
    )
    .await
    .expect(200);
    c.app
        .post(&format!("{path}/payments"))
        .token(&finance)
        .json(&json!({"amount": "150000.00", "paid_on": "2017-12-08", "remittance_reference": "BACS 0412"}))
        .await
        .expect(201);

    let id = c
        .app
        .post("/api/v1/final-reports")
        .token(&c.manager)
        .json(&seed_for("plymouth-2017-18-final-report", c.plymouth_2017))
        .await
        .expect(201)
        .id();
    let path = format!("/api/v1/final-reports/{id}");
    c.act(&path, "sign", &c.manager, c.signature()).await.expect(200);
    c.act(&path, "countersign", &c.treasurer, c.signature())
        .await
        .expect(200);
}

async fn report(c: &Cycle, query: &str, token: &str) -> Value {
    c.app
        .get(&format!("/api/v1/reports/fund-by-partnership{query}"))
        .token(token)
        .send()
        .await
        .expect(200)
        .body
}

#[actix_web::test]
async fn the_2017_18_year_reconciles_to_the_penny() {
    let c = cycle().await;
    year_2017_carried_through(&c).await;
    let r = report(&c, "?fund_year=2017-18", &c.reviewer).await;
    assert_eq!(
        r["rows"],
        json!([{"allocation_id": c.plymouth_2017, "partnership_id": c.plymouth, "partnership": "Safer Plymouth",
            "partnership_external_reference": null, "allocation_external_reference": null,
            "fund_year": "2017-18", "grant": "400568.00", "carry_forward": "27678.00", "available": "428246.00",
            "planned": "428246.00", "claimed": "200284.00", "approved_for_payment": "195000.00",
            "paid": "150000.00", "outstanding": "45000.00", "spent": "428246.00", "moved_by_virements": "440.00",
            "variance": "0.00", "unspent": "0.00", "unspent_decision": null, "owed_back": "0.00",
            "offset_to_next_year": "0.00", "offset_from_previous_year": "0.00", "plan_status": "approved",
            "first_half_status": "accepted", "second_half_status": null, "final_report_status": "submitted"}])
    );
    assert_eq!(r["totals"]["available"], "428246.00");
    assert_eq!(r["totals"]["outstanding"], "45000.00");

    let all = report(&c, "", &c.reviewer).await;
    let rows: Vec<(&str, &str, &str)> = all["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["fund_year"].as_str().unwrap(),
                r["partnership"].as_str().unwrap(),
                r["available"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("2017-18", "Safer Plymouth", "428246.00"),
            ("2021-22", "Safer Plymouth", "400568.00"),
            ("2021-22", "Safer Torbay", "180000.00"),
        ]
    );
    assert_eq!(all["totals"]["available"], "1008814.00");
    assert_eq!(all["totals"]["paid"], "150000.00");
}

#[actix_web::test]
async fn a_partnership_sees_only_its_own_rows() {
    let c = cycle().await;
    let torbay = report(&c, "", &c.torbay_manager).await;
    assert_eq!(torbay["rows"].as_array().map(Vec::len), Some(1));
    assert_eq!(torbay["rows"][0]["partnership"], "Safer Torbay");
    assert_eq!(torbay["rows"][0]["planned"], "0.00");
    assert_eq!(torbay["rows"][0]["plan_status"], Value::Null);
    let elsewhere = report(&c, &format!("?partnership_id={}", c.plymouth), &c.torbay_manager).await;
    assert_eq!(elsewhere["rows"], json!([]));
    assert_eq!(elsewhere["totals"]["available"], "0.00");
    let plymouth = report(&c, "", &c.treasurer).await;
    assert_eq!(plymouth["rows"].as_array().map(Vec::len), Some(2));
}

async fn named_report(c: &Cycle, name: &str, query: &str, token: &str) -> Value {
    c.app
        .get(&format!("/api/v1/reports/{name}{query}"))
        .token(token)
        .send()
        .await
        .expect(200)
        .body
}

#[actix_web::test]
async fn by_priority_a_line_counts_under_each_priority_it_serves_and_once_in_the_totals() {
    let c = cycle().await;
    year_2017_carried_through(&c).await;
    let r = named_report(&c, "fund-by-priority", "?fund_year=2017-18", &c.reviewer).await;
    let rows: Vec<(i64, i64, &str, &str)> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["priority"].as_i64().unwrap(),
                r["plan_lines"].as_i64().unwrap(),
                r["planned"].as_str().unwrap(),
                r["spent"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (1, 4, "101046.00", "101046.00"),
            (2, 5, "204046.00", "204486.00"),
            (3, 4, "327200.00", "327200.00"),
            (4, 3, "283700.00", "283700.00"),
            (5, 1, "39000.00", "38560.00"),
        ]
    );
    assert_eq!(r["rows"][2]["title"], "Protecting people at risk of abuse");
    assert_eq!(
        r["totals"],
        json!({"plan_lines": 8, "lines_serving_several_priorities": 8, "planned": "428246.00", "spent": "428246.00"})
    );
    assert!(r["note"].as_str().unwrap().contains("counts in full under each"));

    let torbay = named_report(&c, "fund-by-priority", "?fund_year=2017-18", &c.torbay_manager).await;
    assert_eq!(torbay["rows"][0]["plan_lines"], 0);
    assert_eq!(torbay["totals"]["planned"], "0.00");
}

#[actix_web::test]
async fn half_year_projects_by_rag_and_by_provider_status() {
    let c = cycle().await;
    year_2017_carried_through(&c).await;
    let rag = named_report(&c, "projects-by-rag", "?fund_year=2017-18", &c.reviewer).await;
    assert_eq!(
        rag["rows"],
        json!([
            {"fund_year": "2017-18", "half": "first", "rag": "achieved", "projects": 4,
             "funding": "327200.00", "expenditure_to_date": "131900.00"},
            {"fund_year": "2017-18", "half": "first", "rag": "behind", "projects": 1,
             "funding": "39000.00", "expenditure_to_date": "0.00"},
            {"fund_year": "2017-18", "half": "first", "rag": "on_track", "projects": 3,
             "funding": "62046.00", "expenditure_to_date": "1330.06"},
        ])
    );
    assert_eq!(
        rag["totals"],
        json!({"projects": 8, "funding": "428246.00", "expenditure_to_date": "133230.06"})
    );
    let status = named_report(&c, "projects-by-provider-status", "", &c.reviewer).await;
    let rows: Vec<(&str, i64, &str)> = status["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["provider_status"].as_str().unwrap(),
                r["projects"].as_i64().unwrap(),
                r["funding"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(rows, [("statutory", 3, "65046.00"), ("voluntary", 5, "363200.00")]);
    let torbay = named_report(&c, "projects-by-rag", "", &c.torbay_manager).await;
    assert_eq!(torbay["rows"], json!([]));
}

#[actix_web::test]
async fn indicators_set_each_target_against_half_year_and_year_end_actuals() {
    let c = cycle().await;
    year_2017_carried_through(&c).await;
    let r = named_report(&c, "indicators", "?fund_year=2017-18", &c.treasurer).await;
    let engagement = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["plan_line"] == 1 && row["indicator"] == 2)
        .unwrap();
    assert_eq!(engagement["target_text"], ">= 75 %");
    assert_eq!(engagement["year_end_actual"], "84");
    assert_eq!(engagement["year_end_met"], true);
    assert_eq!(engagement["second_half_actual"], Value::Null);
    assert_eq!(engagement["second_half_met"], Value::Null);
    let supported = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["plan_line"] == 1 && row["indicator"] == 1)
        .unwrap();
    assert_eq!(supported["first_half_actual"], "100");
    assert_eq!(supported["first_half_met"], true);
    assert_eq!(supported["year_end_actual"], Value::Null);
    let totals = &r["totals"];
    assert_eq!(totals["met_at_year_end"], 4);
    assert_eq!(totals["not_met_at_year_end"], 0);
    assert_eq!(
        totals["with_target"].as_i64().unwrap() - 4,
        totals["awaiting_year_end"].as_i64().unwrap()
    );
    let torbay = named_report(&c, "indicators", "?fund_year=2017-18", &c.torbay_manager).await;
    assert_eq!(torbay["rows"], json!([]));
}

/// The 2017-18 final report £10,200 underspent, signed, countersigned and in review.
async fn underspent_report_in_review(c: &Cycle) -> String {
    c.plan("plymouth-2017-18-plan", c.plymouth_2017, &c.manager).await;
    let mut report = seed_for("plymouth-2017-18-final-report", c.plymouth_2017);
    report["lines"][0]["actual_spend"] = json!("150000.00");
    report["lines"][0]["variance_explanation"] = json!("IDVA vacancy for four months");
    report["unspent_treatment"] = json!("return_to_opcc");
    let id = c
        .app
        .post("/api/v1/final-reports")
        .token(&c.manager)
        .json(&report)
        .await
        .expect(201)
        .id();
    let path = format!("/api/v1/final-reports/{id}");
    c.act(&path, "sign", &c.manager, c.signature()).await.expect(200);
    c.act(&path, "countersign", &c.treasurer, c.signature())
        .await
        .expect(200);
    c.act(&path, "start-review", &c.reviewer, json!({})).await.expect(200);
    path
}

fn row<'a>(report: &'a Value, fund_year: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["fund_year"] == fund_year && r["partnership"] == "Safer Plymouth")
        .unwrap()
}

#[actix_web::test]
async fn an_unspent_balance_returned_is_owed_back() {
    let c = cycle().await;
    let path = underspent_report_in_review(&c).await;
    c.act(&path, "accept", &c.reviewer, json!({"unspent_decision": "returned"}))
        .await
        .expect(200);
    let r = report(&c, "", &c.reviewer).await;
    let year = row(&r, "2017-18");
    assert_eq!(year["unspent"], "10200.00");
    assert_eq!(year["unspent_decision"], "returned");
    assert_eq!(year["owed_back"], "10200.00");
    assert_eq!(year["offset_to_next_year"], "0.00");
    assert_eq!(r["totals"]["owed_back"], "10200.00");
}

#[actix_web::test]
async fn an_unspent_balance_offset_is_deducted_from_the_next_years_allocation() {
    let c = cycle().await;
    let path = underspent_report_in_review(&c).await;
    let no_next_year = c
        .act(&path, "accept", &c.reviewer, json!({"unspent_decision": "offset"}))
        .await
        .expect_problem(422, "validation");
    assert_eq!(no_next_year.violations(), ["unspent_decision:next_allocation_required"]);
    let next = c.plymouth_2018_19().await;
    let accepted = c
        .act(&path, "accept", &c.reviewer, json!({"unspent_decision": "offset"}))
        .await
        .expect(200)
        .body;
    assert_eq!(accepted["review"]["offset_against"], next);
    assert_eq!(accepted["review"]["carried_forward_to"], Value::Null);
    let r = report(&c, "", &c.reviewer).await;
    assert_eq!(row(&r, "2017-18")["offset_to_next_year"], "10200.00");
    assert_eq!(row(&r, "2017-18")["owed_back"], "0.00");
    let next_year = row(&r, "2018-19");
    assert_eq!(next_year["offset_from_previous_year"], "10200.00");
    assert_eq!(next_year["carry_forward"], "0.00");
    assert_eq!(next_year["grant"], "400568.00");
    assert_eq!(
        r["totals"]["offset_to_next_year"],
        r["totals"]["offset_from_previous_year"]
    );
}
