//! What a signature binds to, per kind of document: the form's own content. Changes elsewhere
//! (a partnership's name, a signer's display name, another allocation's documents, an amendment
//! to a line the document does not report on) leave it valid; each signed field, changed, voids
//! it with a reason that names the field.

use serde_json::{Value, json};

use crate::fixtures::{Cycle, cycle, seed, seed_for};

async fn signatures(c: &Cycle, path: &str) -> Value {
    c.signatures(path, &c.reviewer).await
}

#[track_caller]
fn assert_all_valid(signatures: &Value, after: &str) {
    let all = signatures.as_array().expect("a list of signatures");
    assert!(!all.is_empty(), "signed");
    for signature in all {
        assert_eq!(signature["valid"], true, "{after}: {signature}");
        assert_eq!(signature["void_reason"], Value::Null, "{after}");
        assert_eq!(signature["changed_fields"], json!([]), "{after}");
    }
}

/// Changes that are not the document's content: the partnership renamed, the manager's display
/// name edited, and a plan started for another allocation.
async fn unrelated_changes(c: &Cycle) {
    let admin = &c.app.admin_token;
    c.app
        .patch(&format!("/api/v1/partnerships/{}", c.plymouth))
        .header("if-match", "*")
        .token(admin)
        .json(&json!({"name": "Safer Plymouth CSP"}))
        .await
        .expect(200);
    let me = c.app.get("/api/v1/me").token(&c.manager).send().await.expect(200).body;
    c.app
        .patch(&format!("/api/v1/users/{}", me["user"]["id"]))
        .header("if-match", "*")
        .token(admin)
        .json(&json!({"display_name": "Matthew Garrett"}))
        .await
        .expect(200);
    c.plan("torbay-2021-22-plan", c.torbay_2021, &c.torbay_manager).await;
}

/// Changes one signed field behind the service's back (a signed document is no draft), checks
/// that every signature names it, then puts it back and checks they hold again.
async fn tamper(c: &Cycle, path: &str, change: &str, undo: &str, field: &str) {
    c.app.execute_sql(change).expect("tamper");
    let changed = signatures(c, path).await;
    for signature in changed.as_array().expect("a list of signatures") {
        assert_eq!(signature["valid"], false, "{change}");
        assert_eq!(signature["changed_fields"], json!([field]), "{change}");
        let reason = signature["void_reason"].as_str().unwrap_or_default();
        assert!(reason.contains(field), "{change}: {reason}");
    }
    c.app.execute_sql(undo).expect("undo");
    assert_all_valid(&signatures(c, path).await, undo);
}

#[actix_web::test]
async fn a_plans_signature_binds_to_its_lines_only() {
    let c = cycle().await;
    let id = c.plan("plymouth-2021-22-plan", c.plymouth_2021, &c.manager).await;
    let path = format!("/api/v1/plans/{id}");
    c.act(&path, "submit", &c.manager, c.signature()).await.expect(200);
    unrelated_changes(&c).await;
    assert_all_valid(&signatures(&c, &path).await, "unrelated changes");

    let line = format!("(SELECT id FROM plan_lines WHERE plan_id = {id} AND number = 1)");
    for (change, undo, field) in [
        (
            format!("UPDATE plan_lines SET amount_pence = amount_pence + 1 WHERE id = {line}"),
            format!("UPDATE plan_lines SET amount_pence = amount_pence - 1 WHERE id = {line}"),
            "lines[0].amount",
        ),
        (
            format!("UPDATE plan_lines SET title = title || '!' WHERE id = {line}"),
            format!("UPDATE plan_lines SET title = substr(title, 1, length(title) - 1) WHERE id = {line}"),
            "lines[0].title",
        ),
        (
            format!("UPDATE plan_lines SET outcome_measures = outcome_measures || '!' WHERE id = {line}"),
            format!(
                "UPDATE plan_lines SET outcome_measures = substr(outcome_measures, 1, length(outcome_measures) - 1) WHERE id = {line}"
            ),
            "lines[0].outcome_measures",
        ),
        (
            format!(
                "UPDATE plan_line_sub_allocations SET label = label || '!' WHERE plan_line_id = {line} AND position = 0"
            ),
            format!(
                "UPDATE plan_line_sub_allocations SET label = substr(label, 1, length(label) - 1) WHERE plan_line_id = {line} AND position = 0"
            ),
            "lines[0].sub_allocations[0].label",
        ),
        (
            format!("UPDATE plan_line_indicators SET name = name || '!' WHERE plan_line_id = {line} AND number = 1"),
            format!(
                "UPDATE plan_line_indicators SET name = substr(name, 1, length(name) - 1) WHERE plan_line_id = {line} AND number = 1"
            ),
            "lines[0].indicators[0].name",
        ),
    ] {
        tamper(&c, &path, &change, &undo, field).await;
    }

    // A signature made before signed content was kept with it can say that, not what, changed.
    c.app
        .execute_sql(&format!(
            "UPDATE signatures SET content = '' WHERE document_kind = 'plan' AND document_id = {id}"
        ))
        .expect("a signature without its content");
    c.app
        .execute_sql(&format!("UPDATE plan_lines SET title = title || '!' WHERE id = {line}"))
        .expect("tamper");
    let changed = signatures(&c, &path).await;
    assert_eq!(changed.as_array().map(Vec::len), Some(1));
    assert_eq!(changed[0]["valid"], false);
    assert_eq!(changed[0]["changed_fields"], json!([]));
    assert_eq!(changed[0]["void_reason"], "the signed content has changed since");
}

#[actix_web::test]
async fn an_amendment_voids_the_plans_signature_saying_which_amendment() {
    let c = cycle().await;
    let id = c.plan("plymouth-2021-22-plan", c.plymouth_2021, &c.manager).await;
    let path = format!("/api/v1/plans/{id}");
    c.act(&path, "submit", &c.manager, c.signature()).await.expect(200);
    c.act(&path, "start-review", &c.reviewer, json!({})).await.expect(200);
    let decisions: Vec<Value> = (1..=6)
        .map(|line| json!({"line": line, "decision": "approved"}))
        .collect();
    c.act(&path, "decisions", &c.reviewer, json!({"decisions": decisions}))
        .await
        .expect(200);
    c.act(&path, "approve", &c.reviewer, json!({})).await.expect(200);

    let mut lines = seed("plymouth-2021-22-plan")["lines"].clone();
    lines[3]["amount"] = json!("28000.00");
    lines[3]["sub_allocations"][3]["amount"] = json!("5000.00");
    lines[5]["amount"] = json!("3174.00");
    let version = c.version(&path).await;
    let amendment = |password: &str| json!({"reason": "WRAP is oversubscribed", "lines": lines, "password": password});
    let wrong = c
        .app
        .post(&format!("{path}/amendments"))
        .token(&c.manager)
        .if_match(&version)
        .json(&amendment("not the password"))
        .await
        .expect_problem(422, "validation");
    assert_eq!(wrong.violations(), ["password:password_mismatch"]);
    let proposed = c
        .app
        .post(&format!("{path}/amendments"))
        .token(&c.manager)
        .if_match(&version)
        .json(&amendment(crate::support::PASSWORD))
        .await
        .expect(201)
        .body;
    let decided = c
        .app
        .post(&format!("{path}/amendments/{}/approve", proposed["id"]))
        .token(&c.reviewer)
        .if_match(&c.version(&path).await)
        .json(&json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(decided["status"], "approved");

    let after = signatures(&c, &path).await;
    assert_eq!(after[0]["valid"], false);
    assert_eq!(
        after[0]["void_reason"],
        format!("superseded by amendment {}, which changed line 4, 6", proposed["id"])
    );
}

#[actix_web::test]
async fn a_half_year_returns_signatures_bind_to_what_the_partnership_reported() {
    let c = cycle().await;
    let path = c.draft_return_2017().await;
    let id = path.rsplit('/').next().unwrap_or_default().to_owned();
    c.act(&path, "sign", &c.manager, c.signature()).await.expect(200);
    c.act(&path, "countersign", &c.treasurer, c.signature())
        .await
        .expect(200);
    unrelated_changes(&c).await;
    // What the plan says of a line (here its title) is the plan's content, not the return's.
    let plans = c
        .app
        .get("/api/v1/plans?fund_year=2017-18")
        .token(&c.manager)
        .send()
        .await
        .expect(200)
        .body;
    let plan = format!("/api/v1/plans/{}", plans["items"][0]["id"]);
    let mut changed = seed("plymouth-2017-18-plan");
    changed["allocation_id"] = json!(c.plymouth_2017);
    let last = changed["lines"].as_array().map_or(0, Vec::len) - 1;
    changed["lines"][last]["title"] = json!("Strategic assessment and analysis");
    c.app
        .call(actix_web::http::Method::PUT, &plan)
        .token(&c.manager)
        .if_match(&c.version(&plan).await)
        .json(&changed)
        .await
        .expect(200);
    assert_all_valid(&signatures(&c, &path).await, "unrelated changes");

    let project = format!("(SELECT id FROM half_year_projects WHERE half_year_return_id = {id} AND position = 0)");
    for (change, undo, field) in [
        (
            format!("UPDATE half_year_returns SET amount_claimed_pence = amount_claimed_pence + 1 WHERE id = {id}"),
            format!("UPDATE half_year_returns SET amount_claimed_pence = amount_claimed_pence - 1 WHERE id = {id}"),
            "amount_claimed",
        ),
        (
            format!("UPDATE half_year_projects SET extent_achieved = extent_achieved || '!' WHERE id = {project}"),
            format!(
                "UPDATE half_year_projects SET extent_achieved = substr(extent_achieved, 1, length(extent_achieved) - 1) WHERE id = {project}"
            ),
            "projects[0].extent_achieved",
        ),
        (
            format!(
                "UPDATE half_year_expenditure_items SET amount_pence = amount_pence + 1 WHERE half_year_project_id = {project} AND position = 0"
            ),
            format!(
                "UPDATE half_year_expenditure_items SET amount_pence = amount_pence - 1 WHERE half_year_project_id = {project} AND position = 0"
            ),
            "projects[0].expenditure[0].amount",
        ),
    ] {
        tamper(&c, &path, &change, &undo, field).await;
    }
}

#[actix_web::test]
async fn a_final_reports_signatures_bind_to_its_spending_and_outcomes() {
    let c = cycle().await;
    c.plan("plymouth-2017-18-plan", c.plymouth_2017, &c.manager).await;
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
    unrelated_changes(&c).await;
    assert_all_valid(&signatures(&c, &path).await, "unrelated changes");

    for (change, undo, field) in [
        (
            format!(
                "UPDATE final_report_lines SET actual_spend_pence = actual_spend_pence + 1 WHERE final_report_id = {id} AND position = 0"
            ),
            format!(
                "UPDATE final_report_lines SET actual_spend_pence = actual_spend_pence - 1 WHERE final_report_id = {id} AND position = 0"
            ),
            "lines[0].actual_spend",
        ),
        (
            format!(
                "UPDATE final_report_lines SET case_study = case_study || '!' WHERE final_report_id = {id} AND position = 0"
            ),
            format!(
                "UPDATE final_report_lines SET case_study = substr(case_study, 1, length(case_study) - 1) WHERE final_report_id = {id} AND position = 0"
            ),
            "lines[0].case_study",
        ),
        (
            format!("UPDATE final_reports SET treatment_notes = treatment_notes || '!' WHERE id = {id}"),
            format!(
                "UPDATE final_reports SET treatment_notes = substr(treatment_notes, 1, length(treatment_notes) - 1) WHERE id = {id}"
            ),
            "treatment_notes",
        ),
    ] {
        tamper(&c, &path, &change, &undo, field).await;
    }
}
