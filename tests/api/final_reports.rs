//! Final evaluation reports through the API, checked against the 2017-18 seed report.

use actix_web::http::Method;
use serde_json::{Value, json};

use crate::fixtures::{Cycle, cycle, seed_for};

async fn with_2017_plan() -> Cycle {
    let c = cycle().await;
    c.plan("plymouth-2017-18-plan", c.plymouth_2017, &c.manager).await;
    c
}

#[actix_web::test]
async fn the_2017_18_final_report_balances_with_its_440_virement() {
    let c = with_2017_plan().await;
    let id = c
        .app
        .post("/api/v1/final-reports")
        .token(&c.manager)
        .json(&seed_for("plymouth-2017-18-final-report", c.plymouth_2017))
        .await
        .expect(201)
        .id();
    let r = c
        .app
        .get(&format!("/api/v1/final-reports/{id}"))
        .token(&c.reviewer)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(
        r["totals"],
        json!({"available": "428246.00", "allocated": "428246.00", "spent": "428246.00", "variance": "0.00",
               "moved_by_virements": "440.00", "unspent": "0.00"})
    );
    let asb = &r["lines"][5];
    assert_eq!(asb["title"], "ASB, low level and emerging crime");
    assert_eq!(asb["allocated"], "16046.00");
    assert_eq!(asb["actual_spend"], "16486.00");
    assert_eq!(asb["variance"], "440.00");
    assert_eq!(asb["virements_in"], "440.00");
    assert_eq!(asb["allocated_after_virements"], "16486.00");
    let infrastructure = &r["lines"][7];
    assert_eq!(infrastructure["variance"], "-440.00");
    assert_eq!(infrastructure["virements_out"], "440.00");
    assert_eq!(infrastructure["allocated_after_virements"], "38560.00");
    assert_eq!(
        r["virements"],
        json!([{"from_line": 8, "to_line": 6, "amount": "440.00",
        "reason": "Infrastructure underspend meets the ASB overspend"}])
    );
    assert_eq!(r["unspent_treatment"], Value::Null);
    let engagement = &r["lines"][0]["indicator_actuals"][0];
    assert_eq!(engagement["name"], "Victims referred to the service who engage with it");
    assert_eq!(engagement["target_text"], ">= 75 %");
    assert_eq!(engagement["actual"], "84");
    assert_eq!(engagement["met"], true);
    assert_eq!(r["lines"][0]["indicator_actuals"].as_array().map(Vec::len), Some(3));
    assert_eq!(r["lines"][2]["indicator_actuals"], json!([]));
}

#[actix_web::test]
async fn every_report_rule_is_refused_with_its_field() {
    let c = with_2017_plan().await;
    let base = seed_for("plymouth-2017-18-final-report", c.plymouth_2017);
    let variant = |change: &dyn Fn(&mut Value)| {
        let mut body = base.clone();
        change(&mut body);
        body
    };
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            variant(&|b| b["virements"][0]["amount"] = json!("441.00")),
            vec![
                "virements[0].amount:exceeds_underspend",
                "lines[7].actual_spend:overspend_not_covered",
            ],
        ),
        (
            variant(&|b| b["virements"] = json!([])),
            vec!["lines[5].actual_spend:overspend_not_covered"],
        ),
        (
            variant(&|b| b["lines"][5]["variance_explanation"] = json!("")),
            vec!["lines[5].variance_explanation:explanation_required"],
        ),
        (
            variant(&|b| b["lines"][0]["case_study_anonymised"] = json!(false)),
            vec!["lines[0].case_study_anonymised:anonymised_confirmation_required"],
        ),
        (
            variant(&|b| b["virements"][0]["to_line"] = json!(8)),
            vec![
                "virements[0].to_line:same_line",
                "lines[5].actual_spend:overspend_not_covered",
            ],
        ),
        (
            variant(&|b| b["lines"][0]["indicator_actuals"][0]["indicator"] = json!(9)),
            vec!["lines[0].indicator_actuals[0].indicator:not_an_indicator"],
        ),
        (
            variant(&|b| b["lines"][0]["indicator_actuals"][1]["indicator"] = json!(2)),
            vec!["lines[0].indicator_actuals[1].indicator:unique"],
        ),
        (
            variant(&|b| b["lines"][0]["plan_line"] = json!(12)),
            vec!["lines[0].plan_line:not_in_plan"],
        ),
        (
            variant(&|b| b["lines"][1]["plan_line"] = json!(1)),
            vec![
                "lines[1].plan_line:unique",
                "lines[1].variance_explanation:explanation_required",
            ],
        ),
        (
            variant(&|b| b["unspent_treatment"] = json!("return_to_opcc")),
            vec!["unspent_treatment:nothing_unspent"],
        ),
        (
            variant(&|b| b["lines"][0]["actual_spend"] = json!("160199.999")),
            vec!["lines[0].actual_spend:max_two_decimal_places"],
        ),
        (
            variant(&|b| {
                b["lines"][0]["actual_spend"] = json!("150000.00");
                b["lines"][0]["variance_explanation"] = json!("Vacancy in the IDVA team");
            }),
            vec!["unspent_treatment:required"],
        ),
    ];
    for (body, expected) in cases {
        let reply = c.app.post("/api/v1/final-reports").token(&c.manager).json(&body).await;
        assert_eq!(reply.expect_problem(422, "validation").violations(), expected);
    }

    // An underspend with a proposed treatment is accepted and leaves the balance to return.
    let treated = variant(&|b| {
        b["lines"][0]["actual_spend"] = json!("150000.00");
        b["lines"][0]["variance_explanation"] = json!("Vacancy in the IDVA team");
        b["unspent_treatment"] = json!("return_to_opcc");
    });
    let created = c
        .app
        .post("/api/v1/final-reports")
        .token(&c.manager)
        .json(&treated)
        .await
        .expect(201);
    assert_eq!(created.body["totals"]["unspent"], "10200.00");
    let again = c.app.post("/api/v1/final-reports").token(&c.manager).json(&base).await;
    assert_eq!(
        again.expect_problem(422, "validation").violations(),
        ["allocation_id:one_per_allocation"]
    );

    let path = format!("/api/v1/final-reports/{}", created.id());
    let replaced = c
        .app
        .call(Method::PUT, &path)
        .token(&c.manager)
        .if_match(&json!(1))
        .json(&base)
        .await
        .expect(200);
    assert_eq!(replaced.body["totals"]["unspent"], "0.00");
    assert_eq!(replaced.body["version"], 2);
    c.app
        .call(Method::PUT, &path)
        .token(&c.torbay_manager)
        .if_match(&json!(2))
        .json(&base)
        .await
        .expect(404);
}
