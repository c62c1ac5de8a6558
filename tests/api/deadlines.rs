//! Deadlines by the service's clock: a missing document falls overdue the day after its due
//! date, a document submitted after it is marked late, and each partnership sees its own.

use serde_json::{Value, json};

use crate::fixtures::{Cycle, cycle};

async fn deadlines(c: &Cycle, query: &str, token: &str) -> Value {
    c.app
        .get(&format!("/api/v1/deadlines?{query}"))
        .token(token)
        .send()
        .await
        .expect(200)
        .body
}

/// The state of the one deadline of Plymouth's 2017-18 allocation of this kind and half.
async fn state_of(c: &Cycle, kind: &str, half: Option<&str>) -> (String, i64) {
    let query = format!("fund_year=2017-18&partnership_id={}", c.plymouth);
    let list = deadlines(c, &query, &c.reviewer).await;
    let item = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == kind && i["half"] == json!(half))
        .cloned()
        .unwrap();
    (
        item["deadline"]["state"].as_str().unwrap().to_owned(),
        item["deadline"]["days_late"].as_i64().unwrap(),
    )
}

#[actix_web::test]
async fn a_missing_return_falls_overdue_the_day_after_its_due_date() {
    let c = cycle().await;
    c.app.set_clock("2017-10-01T09:00:00Z");
    assert_eq!(
        state_of(&c, "half_year_return", Some("first")).await,
        ("upcoming".into(), 0)
    );
    c.app.set_clock("2017-11-03T17:00:00Z");
    assert_eq!(
        state_of(&c, "half_year_return", Some("first")).await,
        ("due_soon".into(), 0)
    );
    c.app.set_clock("2017-11-04T09:00:00Z");
    assert_eq!(
        state_of(&c, "half_year_return", Some("first")).await,
        ("overdue".into(), 1)
    );
    assert_eq!(
        state_of(&c, "half_year_return", Some("second")).await,
        ("upcoming".into(), 0)
    );
    c.app.set_clock("2018-05-05T09:00:00Z");
    assert_eq!(
        state_of(&c, "half_year_return", Some("second")).await,
        ("overdue".into(), 1)
    );
    assert_eq!(state_of(&c, "final_report", None).await, ("upcoming".into(), 0));
    let list = deadlines(&c, "fund_year=2017-18", &c.reviewer).await;
    assert_eq!(list["as_of"], "2018-05-05");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(4));
}

#[actix_web::test]
async fn documents_submitted_after_their_due_date_are_marked_late() {
    let c = cycle().await;
    c.app.set_clock("2017-05-30T10:00:00Z");
    let plan = c.plan("plymouth-2017-18-plan", c.plymouth_2017, &c.manager).await;
    let plan_path = format!("/api/v1/plans/{plan}");
    let submitted = c
        .act(&plan_path, "submit", &c.manager, c.signature())
        .await
        .expect(200)
        .body;
    assert_eq!(
        submitted["deadline"],
        json!({"due_on": "2017-05-31", "submitted_on": "2017-05-30", "state": "submitted",
               "overdue": false, "submitted_late": false, "days_late": 0})
    );

    c.app.set_clock("2017-11-08T10:00:00Z");
    let id = c
        .app
        .post("/api/v1/half-year-returns")
        .token(&c.manager)
        .json(&crate::fixtures::seed_for(
            "plymouth-2017-18-half-year-return",
            c.plymouth_2017,
        ))
        .await
        .expect(201)
        .id();
    let path = format!("/api/v1/half-year-returns/{id}");
    let draft = c.app.get(&path).token(&c.manager).send().await.expect(200).body;
    assert_eq!(draft["deadline"]["state"], "overdue");
    assert_eq!(draft["deadline"]["days_late"], 5);
    c.act(&path, "sign", &c.manager, c.signature()).await.expect(200);
    let signed_only = c.app.get(&path).token(&c.manager).send().await.expect(200).body;
    assert_eq!(
        signed_only["deadline"]["state"], "overdue",
        "a return is submitted when countersigned"
    );
    c.app.set_clock("2017-11-09T10:00:00Z");
    let countersigned = c
        .act(&path, "countersign", &c.treasurer, c.signature())
        .await
        .expect(200)
        .body;
    assert_eq!(
        countersigned["deadline"],
        json!({"due_on": "2017-11-03", "submitted_on": "2017-11-09", "state": "submitted_late",
               "overdue": false, "submitted_late": true, "days_late": 6})
    );
    let listed = c
        .app
        .get("/api/v1/half-year-returns")
        .token(&c.reviewer)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(listed["items"][0]["deadline"], countersigned["deadline"]);

    let allocation = c
        .app
        .get(&format!("/api/v1/allocations/{}", c.plymouth_2017))
        .token(&c.treasurer)
        .send()
        .await
        .expect(200)
        .body;
    let states: Vec<(Value, Value, Value)> = allocation["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["kind"].clone(), d["half"].clone(), d["deadline"]["state"].clone()))
        .collect();
    assert_eq!(
        states,
        [
            (json!("plan"), Value::Null, json!("submitted")),
            (json!("half_year_return"), json!("first"), json!("submitted_late")),
            (json!("half_year_return"), json!("second"), json!("upcoming")),
            (json!("final_report"), Value::Null, json!("upcoming")),
        ]
    );
    assert_eq!(allocation["deadlines"][1]["document_id"], id);
}

#[actix_web::test]
async fn deadlines_filter_by_kind_and_state_and_a_partnership_sees_its_own() {
    let c = cycle().await;
    c.app.set_clock("2021-11-06T09:00:00Z");
    let overdue = deadlines(&c, "state=overdue", &c.reviewer).await;
    let rows: Vec<(Value, Value, Value)> = overdue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["partnership"].clone(), d["fund_year"].clone(), d["kind"].clone()))
        .collect();
    // 2017-18 is long past: all four of Plymouth's are overdue; in 2021-22 the plan and the
    // first half's return are, for both partnerships.
    assert_eq!(rows.len(), 8);
    assert!(rows.contains(&(json!("Safer Torbay"), json!("2021-22"), json!("half_year_return"))));
    let torbay = deadlines(&c, "state=overdue", &c.torbay_manager).await;
    assert!(
        torbay["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["partnership"] == "Safer Torbay")
    );
    assert_eq!(torbay["items"].as_array().map(Vec::len), Some(2));
    let plans = deadlines(&c, "kind=plan&fund_year=2021-22", &c.reviewer).await;
    assert_eq!(plans["items"].as_array().map(Vec::len), Some(2));
    let refused = c
        .app
        .get("/api/v1/deadlines?state=late")
        .token(&c.reviewer)
        .send()
        .await
        .expect_problem(422, "validation");
    assert_eq!(refused.violations(), vec!["state:enum"]);
}

#[actix_web::test]
async fn deadlines_turn_at_midnight_in_london_in_summer_and_in_winter() {
    let c = cycle().await;
    // Summer time: the plan is due on 31 May 2017; 23:30 UTC that day is 00:30 on 1 June in
    // Plymouth, so it is overdue, and a plan submitted then is a day late.
    c.app.set_clock("2017-05-31T22:30:00Z");
    assert_eq!(state_of(&c, "plan", None).await, ("due_soon".into(), 0));
    c.app.set_clock("2017-05-31T23:30:00Z");
    assert_eq!(state_of(&c, "plan", None).await, ("overdue".into(), 1));
    let list = deadlines(&c, "fund_year=2017-18", &c.reviewer).await;
    assert_eq!(list["as_of"], "2017-06-01");
    let plan = c.plan("plymouth-2017-18-plan", c.plymouth_2017, &c.manager).await;
    let submitted = c
        .act(&format!("/api/v1/plans/{plan}"), "submit", &c.manager, c.signature())
        .await
        .expect(200)
        .body;
    assert_eq!(
        submitted["deadline"],
        json!({"due_on": "2017-05-31", "submitted_on": "2017-06-01", "state": "submitted_late",
               "overdue": false, "submitted_late": true, "days_late": 1})
    );

    // Winter: the first half's return is due on 3 November 2017, when London keeps UTC.
    c.app.set_clock("2017-11-03T23:30:00Z");
    assert_eq!(
        state_of(&c, "half_year_return", Some("first")).await,
        ("due_soon".into(), 0)
    );
    c.app.set_clock("2017-11-04T00:00:01Z");
    assert_eq!(
        state_of(&c, "half_year_return", Some("first")).await,
        ("overdue".into(), 1)
    );
}
