//! `cspfund demo`: the seed documents and a login per role, loaded once.

use serde_json::Value;

use crate::support::TestApp;

const DEMO_PASSWORD: &str = "a-demo-password-for-tests";

#[actix_web::test]
async fn the_demo_gives_every_role_a_login_and_the_seed_figures() {
    let app = TestApp::spawn().await;
    let state = app.state.clone();
    let loaded = actix_web::web::block(move || {
        let mut conn = state.db.connection()?;
        cspfund::demo::load(&mut conn, DEMO_PASSWORD, &state.config.service_key)
    })
    .await
    .expect("the demo ran")
    .expect("the demo loads");
    assert!(
        loaded
            .created
            .iter()
            .any(|c| c == "final report 2017-18 Safer Plymouth"),
        "{:?}",
        loaded.created
    );

    for email in [
        "reviewer@opcc.example",
        "manager@safer-plymouth.example",
        "treasurer@safer-plymouth.example",
        "manager@torbay.example",
        "treasurer@torbay.example",
    ] {
        app.login(email, DEMO_PASSWORD).await;
    }
    let plymouth = app.login("treasurer@safer-plymouth.example", DEMO_PASSWORD).await;
    let plans = app.get("/api/v1/plans").token(&plymouth).send().await.expect(200).body;
    let allocated: Vec<&Value> = plans["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| &p["totals"]["allocated"])
        .collect();
    assert_eq!(allocated, ["428246.00", "400568.00"]);
    let reports = app
        .get("/api/v1/final-reports")
        .token(&plymouth)
        .send()
        .await
        .expect(200)
        .body;
    let report = app
        .get(&format!("/api/v1/final-reports/{}", reports["items"][0]["id"]))
        .token(&plymouth)
        .send()
        .await
        .expect(200);
    assert_eq!(report.body["totals"]["moved_by_virements"], "440.00");

    // The January 2017 commissioning paper, agreed, and the 2017-18 plan carrying it out.
    let papers = app
        .get("/api/v1/commissioning-papers")
        .token(&plymouth)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(papers["items"][0]["status"], "agreed");
    let paper = app
        .get(&format!("/api/v1/commissioning-papers/{}", papers["items"][0]["id"]))
        .token(&plymouth)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(paper["title"], "Integrated Commissioning – January 2017");
    assert_eq!(paper["priorities"].as_array().map(Vec::len), Some(8));
    let recommendations: Vec<&Value> = paper["recommendations"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| &r["id"])
        .collect();
    assert_eq!(recommendations.len(), 8);
    let plan = app
        .get(&format!("/api/v1/plans/{}", plans["items"][0]["id"]))
        .token(&plymouth)
        .send()
        .await
        .expect(200)
        .body;
    let cited: Vec<&Value> = plan["lines"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|line| &line["recommendation_id"])
        .collect();
    let by_line: Vec<&Value> = [1, 2, 3, 4, 5, 6, 5, 8]
        .into_iter()
        .map(|number: usize| recommendations[number - 1])
        .collect();
    assert_eq!(
        cited, by_line,
        "each 2017-18 line cites the recommendation it carries out"
    );

    let torbay = app.login("manager@torbay.example", DEMO_PASSWORD).await;
    let returns = app
        .get("/api/v1/half-year-returns")
        .token(&torbay)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(returns["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(returns["items"][0]["partnership"], "Safer Torbay");
    assert_eq!(
        returns["items"][0]["deadline"]["state"], "overdue",
        "Torbay's 2021-22 return is still a draft, long after 5 November 2021"
    );

    let finance = app.login("finance@opcc.example", DEMO_PASSWORD).await;
    let fund = app
        .get("/api/v1/reports/fund-by-partnership?fund_year=2017-18")
        .token(&finance)
        .send()
        .await
        .expect(200)
        .body;
    let plymouth_2017 = &fund["rows"][0];
    assert_eq!(
        (
            &plymouth_2017["claimed"],
            &plymouth_2017["approved_for_payment"],
            &plymouth_2017["paid"],
            &plymouth_2017["outstanding"]
        ),
        (
            &Value::from("200284.00"),
            &Value::from("195000.00"),
            &Value::from("150000.00"),
            &Value::from("45000.00")
        ),
        "the demo's 2017-18 claim is approved in part and part-paid"
    );

    let state = app.state.clone();
    let again = actix_web::web::block(move || {
        let mut conn = state.db.connection()?;
        cspfund::demo::load(&mut conn, DEMO_PASSWORD, &state.config.service_key)
    })
    .await
    .expect("the demo ran")
    .expect("the demo loads");
    assert_eq!(again.created, Vec::<String>::new());
}
