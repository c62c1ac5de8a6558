//! Commissioning papers: Safer Plymouth's January 2017 paper, agreed by its board, carried out by
//! the 2017-18 plan and followed to the money planned and spent, to the penny; its rules, its
//! workflow and its scoping.

use actix_web::http::Method;
use serde_json::{Value, json};

use crate::fixtures::{Cycle, cycle, seed, seed_for};
use crate::reports::year_2017_carried_through_with;

const PAPERS: &str = "/api/v1/commissioning-papers";

/// Which recommendation each line of the 2017-18 plan carries out: (line, recommendation).
const CARRIED_OUT: [(i64, i64); 8] = [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 6), (7, 5), (8, 8)];

/// The seed paper as Safer Plymouth's manager creates it (2018-19 opened first); returns its path.
async fn seed_paper(c: &Cycle) -> String {
    c.plymouth_2018_19().await;
    let created = c
        .app
        .post(PAPERS)
        .token(&c.manager)
        .json(&seed("plymouth-integrated-commissioning-2017"))
        .await
        .expect(201);
    assert_eq!(created.header("etag").as_deref(), Some("\"1\""));
    let path = format!("{PAPERS}/{}", created.id());
    assert_eq!(created.header("location").as_deref(), Some(path.as_str()));
    path
}

/// The seed paper put to the board on 24 January 2017 and agreed that day.
async fn agreed_paper(c: &Cycle) -> (String, Value) {
    let path = seed_paper(c).await;
    c.act(
        &path,
        "table",
        &c.manager,
        json!({"board": "Safer Plymouth", "meeting_on": "2017-01-24"}),
    )
    .await
    .expect(200);
    let agreed = c
        .act(&path, "agree", &c.manager, json!({"decided_on": "2017-01-24"}))
        .await
        .expect(200)
        .body;
    (path, agreed)
}

/// A recommendation's id in a paper as read, by number.
fn recommendation(paper: &Value, number: i64) -> i64 {
    paper["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["number"] == number)
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

/// The seed 2017-18 plan with each line citing the recommendation it carries out.
fn plan_carrying_out(c: &Cycle, paper: &Value) -> Value {
    let mut plan = seed_for("plymouth-2017-18-plan", c.plymouth_2017);
    for line in plan["lines"].as_array_mut().unwrap() {
        let number = line["number"].as_i64().unwrap();
        let (_, cited) = CARRIED_OUT.iter().find(|(l, _)| *l == number).unwrap();
        line["recommendation_id"] = json!(recommendation(paper, *cited));
    }
    plan
}

#[actix_web::test]
async fn the_seed_paper_is_agreed_and_reads_as_filed() {
    let c = cycle().await;
    let (path, paper) = agreed_paper(&c).await;
    assert_eq!(paper["status"], "agreed");
    assert_eq!(paper["fund_years"], json!(["2017-18", "2018-19"]));
    assert_eq!(paper["partnership"], "Safer Plymouth");
    assert_eq!(
        paper["board"],
        json!({"board": "Safer Plymouth", "meeting_on": "2017-01-24", "decided_on": "2017-01-24", "comment": ""})
    );
    assert_eq!(paper["allowed_transitions"], json!(["revise"]));
    let sources: Vec<(&str, &str)> = paper["priorities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["title"].as_str().unwrap(), p["source"].as_str().unwrap()))
        .collect();
    assert_eq!(
        sources[0],
        (
            "Domestic Abuse and Sexual Violence including Child Sexual Exploitation",
            "strategic_assessment"
        )
    );
    assert_eq!(sources[3], ("Modern Slavery", "emerging"));
    assert_eq!(sources[7], ("Alcohol and drugs", "cross_cutting"));
    assert_eq!(
        paper["priorities"][0]["plan_priorities"],
        json!([{"number": 3, "title": "Protecting people at risk of abuse"},
               {"number": 4, "title": "Supporting victims and witnesses and helping them to get justice"}])
    );
    let amounts: Vec<(Value, Value)> = paper["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["opcc_contribution"].clone(), r["total_budget"].clone()))
        .collect();
    assert_eq!(amounts.len(), 8);
    assert_eq!(
        amounts[0],
        (
            json!({"state": "known", "amount": "110000.00"}),
            json!({"state": "known", "amount": "501753.00"})
        )
    );
    assert_eq!(
        amounts[2],
        (
            json!({"state": "known", "amount": "98500.00"}),
            json!({"state": "known", "amount": "2000000.00"})
        )
    );
    assert_eq!(
        amounts[3],
        (
            json!({"state": "awaiting_confirmation", "amount": null}),
            json!({"state": "none", "amount": null})
        )
    );
    assert_eq!(amounts[4].0, json!({"state": "to_be_confirmed", "amount": null}));

    assert_eq!(c.version_reasons(&path, &c.manager).await, ["tabled", "agreed"]);
    let actions: Vec<String> = c
        .app
        .get(&format!("{path}/history"))
        .token(&c.manager)
        .send()
        .await
        .expect(200)
        .body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions, ["created", "table", "agree"]);

    // The OPCC's reviewers and finance read every partnership's papers.
    let finance = c.app.user("finance@opcc.example", "opcc_finance", None).await;
    for token in [&c.reviewer, &finance] {
        let listed = c
            .app
            .get(&format!("{PAPERS}?fund_year=2018-19"))
            .token(token)
            .send()
            .await
            .expect(200)
            .body;
        assert_eq!(listed["items"][0]["recommendation_count"], 8);
        assert_eq!(listed["items"][0]["decided_on"], "2017-01-24");
        c.app.get(&path).token(token).send().await.expect(200);
    }
    let none = c
        .app
        .get(&format!("{PAPERS}?fund_year=2021-22"))
        .token(&c.reviewer)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(none["items"], json!([]));
}

#[actix_web::test]
async fn every_recommendation_is_followed_to_the_money_planned_and_spent() {
    let c = cycle().await;
    let (_, paper) = agreed_paper(&c).await;
    year_2017_carried_through_with(&c, plan_carrying_out(&c, &paper)).await;

    let plans = c
        .app
        .get("/api/v1/plans?fund_year=2017-18")
        .token(&c.manager)
        .send()
        .await
        .expect(200)
        .body;
    let plan_path = format!("/api/v1/plans/{}", plans["items"][0]["id"]);
    let plan = c.app.get(&plan_path).token(&c.manager).send().await.expect(200).body;
    let recommendations: Vec<i64> = paper["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    for line in plan["lines"].as_array().unwrap() {
        let cited = line["recommendation_id"]
            .as_i64()
            .expect("every line traces back to the paper");
        assert!(recommendations.contains(&cited));
    }

    let report = c
        .app
        .get("/api/v1/reports/recommendations?fund_year=2017-18")
        .token(&c.reviewer)
        .send()
        .await
        .expect(200)
        .body;
    let figures: Vec<(i64, Value, Value, i64, &str, &str, bool)> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["number"].as_i64().unwrap(),
                r["opcc_contribution"].clone(),
                r["total_budget"].clone(),
                r["plan_lines"].as_i64().unwrap(),
                r["planned"].as_str().unwrap(),
                r["spent"].as_str().unwrap(),
                r["funded"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        figures,
        [
            (
                1,
                json!("110000.00"),
                json!("501753.00"),
                1,
                "160200.00",
                "160200.00",
                true
            ),
            (2, json!("25000.00"), json!("75000.00"), 1, "25000.00", "25000.00", true),
            (
                3,
                json!("98500.00"),
                json!("2000000.00"),
                1,
                "98500.00",
                "98500.00",
                true
            ),
            (4, Value::Null, Value::Null, 1, "43500.00", "43500.00", true),
            (5, Value::Null, Value::Null, 2, "46000.00", "46000.00", true),
            (6, Value::Null, Value::Null, 1, "16046.00", "16486.00", true),
            (7, Value::Null, Value::Null, 0, "0.00", "0.00", false),
            (8, Value::Null, Value::Null, 1, "39000.00", "38560.00", true),
        ]
    );
    assert_eq!(report["rows"][3]["opcc_contribution_state"], "awaiting_confirmation");
    assert_eq!(report["rows"][6]["opcc_contribution_state"], "to_be_confirmed");
    assert_eq!(report["rows"][0]["fund_years"], "2017-18, 2018-19");

    // The same rows as CSV, for a spreadsheet.
    let csv = c
        .app
        .get("/api/v1/reports/recommendations?fund_year=2017-18")
        .token(&c.manager)
        .header("accept", "text/csv")
        .send()
        .await
        .expect(200);
    let text = csv.body.as_str().unwrap_or_default().to_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "partnership_id,partnership,paper_id,paper_status,fund_years,recommendation_id,number,recommendation,\
         opcc_contribution,opcc_contribution_state,total_budget,total_budget_state,plan_lines,planned,spent,funded"
    );
    assert_eq!(lines.len(), 9);
    assert!(
        lines[1].ends_with(",110000.00,known,501753.00,known,1,160200.00,160200.00,true"),
        "{}",
        lines[1]
    );
    assert!(
        lines[7].ends_with(",to_be_confirmed,,none,0,0.00,0.00,false"),
        "{}",
        lines[7]
    );

    // Another partnership sees none of it.
    let torbay = c
        .app
        .get("/api/v1/reports/recommendations")
        .token(&c.torbay_manager)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(torbay["rows"], json!([]));
}

#[actix_web::test]
async fn the_opcc_sees_what_it_is_asked_to_confirm_by_partnership_and_priority() {
    let c = cycle().await;
    let path = seed_paper(&c).await;
    let asked = |token: String| {
        let app = &c.app;
        async move {
            app.get("/api/v1/reports/contributions-to-confirm")
                .token(&token)
                .send()
                .await
                .expect(200)
                .body
        }
    };
    // A draft asks nothing yet.
    assert_eq!(asked(c.reviewer.clone()).await["rows"], json!([]));
    c.act(
        &path,
        "table",
        &c.manager,
        json!({"board": "Safer Plymouth", "meeting_on": "2017-01-24"}),
    )
    .await
    .expect(200);
    let rows = asked(c.reviewer.clone()).await["rows"].clone();
    let asked_of: Vec<(Value, i64, &str)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["priority"].clone(),
                r["number"].as_i64().unwrap(),
                r["opcc_contribution_state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        asked_of,
        [
            (json!(1), 4, "awaiting_confirmation"),
            (json!(2), 5, "to_be_confirmed"),
            (json!(3), 6, "to_be_confirmed"),
            (json!(3), 7, "to_be_confirmed"),
            (json!(3), 8, "to_be_confirmed"),
            (json!(4), 5, "to_be_confirmed"),
            (json!(4), 7, "to_be_confirmed"),
            (json!(5), 5, "to_be_confirmed"),
            (json!(6), 5, "to_be_confirmed"),
        ]
    );
    assert_eq!(rows[0]["partnership"], "Safer Plymouth");
    assert_eq!(
        rows[0]["priority_title"],
        "Domestic Abuse and Sexual Violence including Child Sexual Exploitation"
    );
    assert_eq!(rows[0]["paper_status"], "for_discussion");
    assert_eq!(asked(c.torbay_manager.clone()).await["rows"], json!([]));
}

#[actix_web::test]
async fn every_rule_is_refused_naming_the_field() {
    let c = cycle().await;
    let post = |body: Value| {
        let app = &c.app;
        let token = c.manager.clone();
        async move { app.post(PAPERS).token(&token).json(&body).await }
    };
    let mut base = seed("plymouth-integrated-commissioning-2017");
    base["fund_years"] = json!(["2017-18"]);
    let with = |change: &dyn Fn(&mut Value)| {
        let mut body = base.clone();
        change(&mut body);
        body
    };
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (with(&|b| b["fund_years"] = json!([])), vec!["fund_years:required"]),
        (
            with(&|b| b["fund_years"] = json!(["2017-18", "2017-18"])),
            vec!["fund_years:unique"],
        ),
        // 2018-19 is not open yet in this cycle.
        (
            with(&|b| b["fund_years"] = json!(["2017-18", "2018-19"])),
            vec!["fund_years:unknown_fund_year"],
        ),
        (
            with(&|b| {
                b.as_object_mut().unwrap().remove("fund_years");
            }),
            vec!["fund_years:required"],
        ),
        (with(&|b| b["title"] = json!("  ")), vec!["title:blank"]),
        (
            with(&|b| b["priorities"][0]["plan_priorities"] = json!([6])),
            vec!["priorities[0].plan_priorities:unknown_priority"],
        ),
        (
            with(&|b| b["priorities"][1]["plan_priorities"] = json!([])),
            vec!["priorities[1].plan_priorities:required"],
        ),
        // Priority 2 is then gone, so recommendation 5 cites a priority the paper lacks.
        (
            with(&|b| b["priorities"][1]["number"] = json!(1)),
            vec![
                "priorities[1].number:unique",
                "recommendations[4].priorities:unknown_priority",
            ],
        ),
        (
            with(&|b| b["recommendations"][1]["opcc_contribution"] = json!({"state": "known", "amount": "75000.01"})),
            vec!["recommendations[1].opcc_contribution:exceeds_total_budget"],
        ),
        (
            with(&|b| b["recommendations"][3]["opcc_contribution"] = json!({"state": "known"})),
            vec!["recommendations[3].opcc_contribution.amount:required"],
        ),
        (
            with(&|b| b["recommendations"][3]["opcc_contribution"] = json!({"state": "known", "amount": "0.00"})),
            vec!["recommendations[3].opcc_contribution.amount:positive"],
        ),
        (
            with(&|b| b["recommendations"][4]["total_budget"] = json!({"state": "to_be_confirmed", "amount": "10.00"})),
            vec!["recommendations[4].total_budget.amount:not_allowed"],
        ),
        (
            with(&|b| b["recommendations"][0]["priorities"] = json!([9])),
            vec!["recommendations[0].priorities:unknown_priority"],
        ),
        (
            with(&|b| b["recommendations"][7]["recommendation"] = json!("")),
            vec!["recommendations[7].recommendation:blank"],
        ),
    ];
    for (body, expected) in cases {
        let reply = post(body).await.expect_problem(422, "validation");
        assert_eq!(reply.violations(), expected);
    }
    // A partnership with no allocation in the first year named.
    let torbay_2017 = c
        .app
        .post(PAPERS)
        .token(&c.torbay_manager)
        .json(&with(&|b| b["fund_years"] = json!(["2017-18"])))
        .await
        .expect_problem(422, "validation");
    assert_eq!(torbay_2017.violations(), ["fund_years:no_allocation"]);
    // Nothing was stored.
    let listed = c.app.get(PAPERS).token(&c.reviewer).send().await.expect(200).body;
    assert_eq!(listed["items"], json!([]));
}

#[actix_web::test]
async fn plan_lines_carry_out_only_an_agreed_paper_of_their_partnership_and_year() {
    let c = cycle().await;
    let path = seed_paper(&c).await;
    let draft = c.app.get(&path).token(&c.manager).send().await.expect(200).body;
    // A draft paper's recommendation cannot be carried out yet.
    let refused = c
        .app
        .post("/api/v1/plans")
        .token(&c.manager)
        .json(&plan_carrying_out(&c, &draft))
        .await
        .expect_problem(422, "validation");
    assert_eq!(refused.violations()[0], "lines[0].recommendation_id:paper_not_agreed");
    c.act(
        &path,
        "table",
        &c.manager,
        json!({"board": "Safer Plymouth", "meeting_on": "2017-01-24"}),
    )
    .await
    .expect(200);
    let before_meeting = c
        .act(&path, "agree", &c.manager, json!({"decided_on": "2017-01-23"}))
        .await
        .expect_problem(422, "validation");
    assert_eq!(before_meeting.violations(), ["decided_on:before_meeting"]);
    let paper = c
        .act(&path, "agree", &c.manager, json!({"decided_on": "2017-01-24"}))
        .await
        .expect(200)
        .body;

    // Another partnership's recommendation reads as one that does not exist.
    let mut torbay_plan = seed_for("torbay-2021-22-plan", c.torbay_2021);
    torbay_plan["lines"][0]["recommendation_id"] = json!(recommendation(&paper, 1));
    let refused = c
        .app
        .post("/api/v1/plans")
        .token(&c.torbay_manager)
        .json(&torbay_plan)
        .await
        .expect_problem(422, "validation");
    assert_eq!(
        refused.violations(),
        ["lines[0].recommendation_id:unknown_recommendation"]
    );
    assert!(!refused.body.to_string().contains("Safer Plymouth"));

    // The paper does not cover 2021-22.
    let mut plan_2021 = seed_for("plymouth-2021-22-plan", c.plymouth_2021);
    plan_2021["lines"][0]["recommendation_id"] = json!(recommendation(&paper, 1));
    let refused = c
        .app
        .post("/api/v1/plans")
        .token(&c.manager)
        .json(&plan_2021)
        .await
        .expect_problem(422, "validation");
    assert_eq!(
        refused.violations(),
        ["lines[0].recommendation_id:paper_not_for_fund_year"]
    );

    // The 2017-18 plan carries the paper out; the recommendation it cites then stays.
    let plan = c
        .app
        .post("/api/v1/plans")
        .token(&c.manager)
        .json(&plan_carrying_out(&c, &paper))
        .await
        .expect(201)
        .body;
    assert_eq!(plan["lines"][6]["recommendation_id"], json!(recommendation(&paper, 5)));
    // The paper covers 2018-19 too: that year's plan may carry out the same recommendation.
    let allocation_2018 = c
        .app
        .get("/api/v1/allocations?fund_year=2018-19")
        .token(&c.manager)
        .send()
        .await
        .expect(200)
        .body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let mut plan_2018 = seed_for("plymouth-2021-22-plan", allocation_2018);
    plan_2018["lines"][0]["recommendation_id"] = json!(recommendation(&paper, 1));
    c.app
        .post("/api/v1/plans")
        .token(&c.manager)
        .json(&plan_2018)
        .await
        .expect(201);
    c.act(&path, "revise", &c.manager, json!({})).await.expect(200);
    let mut without_first = seed("plymouth-integrated-commissioning-2017");
    without_first["recommendations"].as_array_mut().unwrap().remove(0);
    let version = c.version(&path).await;
    let refused = c
        .app
        .call(Method::PUT, &path)
        .token(&c.manager)
        .if_match(&version)
        .json(&without_first)
        .await
        .expect_problem(422, "validation");
    assert_eq!(refused.violations(), ["recommendations:in_use"]);
    // An uncited one can go, and the rest keep their ids.
    let mut without_seventh = seed("plymouth-integrated-commissioning-2017");
    without_seventh["recommendations"].as_array_mut().unwrap().remove(6);
    let revised = c
        .app
        .call(Method::PUT, &path)
        .token(&c.manager)
        .if_match(&version)
        .json(&without_seventh)
        .await
        .expect(200)
        .body;
    assert_eq!(recommendation(&revised, 1), recommendation(&paper, 1));
    assert_eq!(revised["recommendations"].as_array().unwrap().len(), 7);
    // The agreed version stays as it was agreed.
    let agreed = c
        .app
        .get(&format!("{path}/versions/2"))
        .token(&c.manager)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(agreed["reason"], "agreed");
    assert_eq!(agreed["content"]["recommendations"].as_array().unwrap().len(), 8);
}

#[actix_web::test]
async fn the_workflow_refuses_the_wrong_state_and_the_wrong_role() {
    let c = cycle().await;
    let path = seed_paper(&c).await;
    let meeting = json!({"board": "Safer Plymouth", "meeting_on": "2017-01-24"});
    c.act(&path, "agree", &c.manager, json!({"decided_on": "2017-01-24"}))
        .await
        .expect_problem(409, "conflict");
    c.act(&path, "table", &c.treasurer, meeting.clone())
        .await
        .expect_problem(403, "forbidden");
    c.act(&path, "table", &c.reviewer, meeting.clone())
        .await
        .expect_problem(403, "forbidden");
    let tabled = c
        .act(&path, "table", &c.manager, meeting.clone())
        .await
        .expect(200)
        .body;
    assert_eq!(tabled["status"], "for_discussion");
    assert_eq!(tabled["allowed_transitions"], json!(["withdraw", "agree", "send-back"]));
    // Only a draft is edited.
    let version = c.version(&path).await;
    c.app
        .call(Method::PUT, &path)
        .token(&c.manager)
        .if_match(&version)
        .json(&seed("plymouth-integrated-commissioning-2017"))
        .await
        .expect_problem(409, "conflict");
    c.act(&path, "agree", &c.reviewer, json!({"decided_on": "2017-01-24"}))
        .await
        .expect_problem(403, "forbidden");
    // A stale version is refused.
    c.app
        .post(&format!("{path}/agree"))
        .token(&c.manager)
        .if_match(&json!(1))
        .json(&json!({"decided_on": "2017-01-24"}))
        .await
        .expect_problem(412, "precondition-failed");
    let sent_back = c
        .act(
            &path,
            "send-back",
            &c.manager,
            json!({"decided_on": "2017-01-24", "reason": "Cost the healthy relationships work."}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(sent_back["status"], "changes_requested");
    assert_eq!(sent_back["board"]["comment"], "Cost the healthy relationships work.");
    c.act(&path, "table", &c.manager, meeting.clone())
        .await
        .expect_problem(409, "conflict");
    let draft = c.act(&path, "revise", &c.manager, json!({})).await.expect(200).body;
    assert_eq!(draft["status"], "draft");
    // An empty paper cannot go to the board.
    let mut empty = seed("plymouth-integrated-commissioning-2017");
    empty["recommendations"] = json!([]);
    let version = c.version(&path).await;
    c.app
        .call(Method::PUT, &path)
        .token(&c.manager)
        .if_match(&version)
        .json(&empty)
        .await
        .expect(200);
    let refused = c
        .act(&path, "table", &c.manager, meeting)
        .await
        .expect_problem(422, "validation");
    assert_eq!(refused.violations(), ["recommendations:required"]);
}

#[actix_web::test]
async fn another_partnerships_paper_is_not_found() {
    let c = cycle().await;
    let path = seed_paper(&c).await;
    c.app
        .get(&path)
        .token(&c.torbay_manager)
        .send()
        .await
        .expect_problem(404, "not-found");
    c.app
        .get(&format!("{path}/history"))
        .token(&c.torbay_manager)
        .send()
        .await
        .expect_problem(404, "not-found");
    c.act(
        &path,
        "table",
        &c.torbay_manager,
        json!({"board": "Safer Torbay", "meeting_on": "2017-01-24"}),
    )
    .await
    .expect_problem(404, "not-found");
    c.app
        .post(&format!("{path}/attachments?filename=assessment.pdf"))
        .token(&c.torbay_manager)
        .raw("application/pdf", b"%PDF-1.4 strategic assessment".to_vec())
        .await
        .expect_problem(404, "not-found");
    let listed = c.app.get(PAPERS).token(&c.torbay_manager).send().await.expect(200).body;
    assert_eq!(listed["items"], json!([]));
    let named = c
        .app
        .get(&format!("{PAPERS}?partnership_id={}", c.plymouth))
        .token(&c.torbay_manager)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(named["items"], json!([]));
}

#[actix_web::test]
async fn the_strategic_assessment_is_kept_as_the_papers_evidence() {
    let c = cycle().await;
    let path = seed_paper(&c).await;
    let attached = c
        .app
        .post(&format!(
            "{path}/attachments?filename=Crime%20Strategic%20Assessment%202016.pdf"
        ))
        .token(&c.manager)
        .raw("application/pdf", b"%PDF-1.4 strategic assessment".to_vec())
        .await
        .expect(201)
        .body;
    assert_eq!(attached["document_kind"], "commissioning_paper");
    let on_a_line = c
        .app
        .post(&format!("{path}/attachments?filename=x.pdf&plan_line=1"))
        .token(&c.manager)
        .raw("application/pdf", b"%PDF-1.4".to_vec())
        .await
        .expect_problem(422, "validation");
    assert_eq!(on_a_line.violations(), ["plan_line:not_allowed"]);
    let listed = c
        .app
        .get(&format!("{path}/attachments"))
        .token(&c.reviewer)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(listed["items"][0]["filename"], "Crime Strategic Assessment 2016.pdf");
    assert_eq!(c.version(&path).await, 2);
}
