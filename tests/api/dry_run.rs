//! Validate first: a partner system rehearses creating, replacing and signing a document with
//! `?dry_run=true` and gets the real answer, while nothing is stored and no history written.

use serde_json::json;

use crate::fixtures::{cycle, seed_for};

#[actix_web::test]
async fn create_replace_and_sign_can_be_rehearsed_without_storing_anything() {
    let c = cycle().await;
    let app = &c.app;
    let history = || async {
        app.get("/api/v1/history?limit=200")
            .token(&app.admin_token)
            .send()
            .await
            .expect(200)
            .body["items"]
            .as_array()
            .map_or(0, Vec::len)
    };
    let entries = history().await;
    let plan = seed_for("plymouth-2021-22-plan", c.plymouth_2021);

    // Creating: the document as it would be, with its totals, but no plan exists after.
    let rehearsed = app
        .post("/api/v1/plans?dry_run=true")
        .token(&c.manager)
        .json(&plan)
        .await
        .expect(200);
    assert_eq!(rehearsed.body["totals"]["allocated"], "400568.00");
    assert_eq!(rehearsed.body["status"], "draft");
    assert!(rehearsed.header("location").is_none());
    let plans = app.get("/api/v1/plans").token(&c.manager).send().await.expect(200);
    assert_eq!(plans.body["items"], json!([]));
    assert_eq!(history().await, entries);

    // A broken plan is refused exactly as the real request would be.
    let mut too_much = plan.clone();
    too_much["lines"][0]["amount"] = json!("400000.00");
    let refused = app
        .post("/api/v1/plans?dry_run=true")
        .token(&c.manager)
        .json(&too_much)
        .await
        .expect_problem(422, "validation");
    assert_eq!(refused.violations(), vec!["lines:exceeds_available"]);
    let real = app
        .post("/api/v1/plans")
        .token(&c.manager)
        .json(&too_much)
        .await
        .expect_problem(422, "validation");
    assert_eq!(refused.body, real.body);

    // Replacing and signing a real draft: rehearsed, the draft is as it was.
    let id = c.plan("plymouth-2021-22-plan", c.plymouth_2021, &c.manager).await;
    let path = format!("/api/v1/plans/{id}");
    let before = app.get(&path).token(&c.manager).send().await.expect(200).body;
    let entries = history().await;
    let mut changed = plan.clone();
    changed["lines"][0]["title"] = json!("A new title");
    let replaced = app
        .call(actix_web::http::Method::PUT, &format!("{path}?dry_run=true"))
        .token(&c.manager)
        .if_match(&before["version"])
        .json(&changed)
        .await
        .expect(200);
    assert_eq!(replaced.body["lines"][0]["title"], "A new title");
    let submitted = app
        .post(&format!("{path}/submit?dry_run=true"))
        .token(&c.manager)
        .if_match(&before["version"])
        .json(&c.signature())
        .await
        .expect(200);
    assert_eq!(submitted.body["status"], "submitted");
    // A rehearsal checks the password too, and the state: a wrong one is refused as for real.
    let wrong = app
        .post(&format!("{path}/submit?dry_run=true"))
        .token(&c.manager)
        .if_match(&before["version"])
        .json(&json!({"password": "not-my-password"}))
        .await
        .expect_problem(422, "validation");
    assert_eq!(wrong.violations(), ["password:password_mismatch"]);
    let after = app.get(&path).token(&c.manager).send().await.expect(200).body;
    assert_eq!(after, before);
    let signatures = app
        .get(&format!("{path}/signatures"))
        .token(&c.manager)
        .send()
        .await
        .expect(200);
    assert_eq!(signatures.body, json!([]));
    assert_eq!(history().await, entries);

    // And the real submission still works at the version read.
    c.act(&path, "submit", &c.manager, c.signature()).await.expect(200);
}

/// A return's whole signing path rehearsed: create, replace, sign, countersign, and a step the
/// state does not allow; each answers as for real, and nothing is stored.
#[actix_web::test]
async fn a_returns_create_replace_sign_and_countersign_can_be_rehearsed() {
    let c = cycle().await;
    let app = &c.app;
    c.plan("plymouth-2017-18-plan", c.plymouth_2017, &c.manager).await;
    let body = seed_for("plymouth-2017-18-half-year-return", c.plymouth_2017);
    let rehearsed = app
        .post("/api/v1/half-year-returns?dry_run=true")
        .token(&c.manager)
        .json(&body)
        .await
        .expect(200);
    assert_eq!(rehearsed.body["amount_claimed"], "200284.00");
    let listed = app
        .get("/api/v1/half-year-returns")
        .token(&c.manager)
        .send()
        .await
        .expect(200);
    assert_eq!(listed.body["items"], json!([]));

    let path = c.draft_return_2017_only().await;
    let before = app.get(&path).token(&c.manager).send().await.expect(200).body;
    let rehearse = |step: &str, token: &str, body: serde_json::Value| {
        let (target, token) = (format!("{path}{step}?dry_run=true"), token.to_owned());
        let version = before["version"].clone();
        let replace = step.is_empty();
        async move {
            let call = if replace {
                app.call(actix_web::http::Method::PUT, &target)
            } else {
                app.post(&target)
            };
            call.token(&token).if_match(&version).json(&body).await
        }
    };
    let mut changed = body.clone();
    changed["invoice_reference"] = json!("SP-CSF-2017-18-H1-REVISED");
    let replaced = rehearse("", &c.manager, changed).await.expect(200);
    assert_eq!(replaced.body["invoice_reference"], "SP-CSF-2017-18-H1-REVISED");
    let signed = rehearse("/sign", &c.manager, c.signature()).await.expect(200);
    assert_eq!(signed.body["status"], "signed");
    let wrong = rehearse("/sign", &c.manager, json!({"password": "not-my-password"}))
        .await
        .expect_problem(422, "validation");
    assert_eq!(wrong.violations(), ["password:password_mismatch"]);
    // Countersigning a draft: the state refuses it in rehearsal as it would for real.
    let early = rehearse("/countersign", &c.treasurer, c.signature())
        .await
        .expect_problem(409, "conflict");
    assert_eq!(early.body["allowed_transitions"], json!([]));
    assert_eq!(app.get(&path).token(&c.manager).send().await.expect(200).body, before);

    // Signed for real, the countersignature is rehearsed and the return stays signed.
    c.act(&path, "sign", &c.manager, c.signature()).await.expect(200);
    let signed = app.get(&path).token(&c.treasurer).send().await.expect(200).body;
    let countersigned = app
        .post(&format!("{path}/countersign?dry_run=true"))
        .token(&c.treasurer)
        .if_match(&signed["version"])
        .json(&c.signature())
        .await
        .expect(200);
    assert_eq!(countersigned.body["status"], "submitted");
    assert_eq!(app.get(&path).token(&c.treasurer).send().await.expect(200).body, signed);
    let signatures = app
        .get(&format!("{path}/signatures"))
        .token(&c.treasurer)
        .send()
        .await
        .expect(200);
    assert_eq!(signatures.body.as_array().map(Vec::len), Some(1));
}
