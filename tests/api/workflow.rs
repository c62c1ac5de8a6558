//! The approval workflow end to end: the 2021-22 plan and the 2017-18 half-year return and
//! final report through every state as the right roles, and every wrong role, wrong state and
//! other partnership refused with the right status.

use serde_json::{Value, json};

use crate::fixtures::{cycle, seed, seed_for};

fn actions(history: &Value) -> Vec<String> {
    history["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["action"].as_str().map(str::to_owned))
        .collect()
}

fn transitions(document: &Value) -> Vec<String> {
    document["allowed_transitions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str().map(str::to_owned))
        .collect()
}

#[actix_web::test]
async fn the_2021_22_plan_is_submitted_reviewed_line_by_line_and_approved() {
    let c = cycle().await;
    let id = c.plan("plymouth-2021-22-plan", c.plymouth_2021, &c.manager).await;
    let path = format!("/api/v1/plans/{id}");
    let as_manager = c.app.get(&path).token(&c.manager).send().await.expect(200).body;
    assert_eq!(transitions(&as_manager), ["submit"]);
    assert_eq!(
        transitions(&c.app.get(&path).token(&c.reviewer).send().await.expect(200).body),
        Vec::<String>::new()
    );

    // Wrong role, wrong state, other partnership, no If-Match, wrong password.
    let refused = c
        .act(&path, "start-review", &c.reviewer, json!({}))
        .await
        .expect_problem(409, "conflict");
    assert_eq!(refused.body["allowed_transitions"], json!([]));
    c.act(&path, "submit", &c.treasurer, c.signature())
        .await
        .expect_problem(403, "forbidden");
    c.act(&path, "submit", &c.torbay_manager, c.signature())
        .await
        .expect_problem(404, "not-found");
    c.app
        .post(&format!("{path}/submit"))
        .token(&c.manager)
        .json(&c.signature())
        .await
        .expect_problem(428, "precondition-required");
    let wrong = c
        .act(&path, "submit", &c.manager, json!({"password": "not-my-password"}))
        .await;
    assert_eq!(
        wrong.expect_problem(422, "validation").violations(),
        ["password:password_mismatch"]
    );
    c.app
        .post(&format!("{path}/submit"))
        .token(&c.manager)
        .header("if-match", "\"99\"")
        .json(&c.signature())
        .await
        .expect_problem(412, "precondition-failed");

    let submitted = c.act(&path, "submit", &c.manager, c.signature()).await.expect(200).body;
    assert_eq!(submitted["status"], "submitted");
    assert_eq!(transitions(&submitted), ["withdraw"]);
    let edit = c
        .app
        .call(actix_web::http::Method::PUT, &path)
        .token(&c.manager)
        .if_match(&submitted["version"]);
    edit.json(&seed("plymouth-2021-22-plan"))
        .await
        .expect_problem(409, "conflict");

    // Withdrawn before review: back to draft, the signature void; then submitted again.
    c.act(&path, "withdraw", &c.manager, json!({})).await.expect(200);
    let signatures = c.signatures(&path, &c.reviewer).await;
    assert_eq!(signatures[0]["valid"], false);
    assert_eq!(signatures[0]["void_reason"], "withdrawn by the partnership");
    c.act(
        &path,
        "submit",
        &c.manager,
        json!({"password": crate::support::PASSWORD, "printed_name": "Matt Garrett",
        "position": "Service Director, Community Connections, Plymouth City Council"}),
    )
    .await
    .expect(200);
    c.act(&path, "withdraw", &c.reviewer, json!({}))
        .await
        .expect_problem(403, "forbidden");
    c.act(&path, "start-review", &c.reviewer, json!({})).await.expect(200);
    c.act(&path, "withdraw", &c.manager, json!({}))
        .await
        .expect_problem(409, "conflict");

    let undecided = c
        .act(&path, "approve", &c.reviewer, json!({}))
        .await
        .expect_problem(422, "validation");
    assert_eq!(undecided.violations(), ["decisions:undecided_lines"]);
    let decisions: Vec<Value> = (1..=6)
        .map(|line| {
            let decision = if line == 5 { "declined" } else { "approved" };
            json!({"line": line, "decision": decision, "comment": if line == 5 { "Fund through the PCC's contract" } else { "" }})
        })
        .collect();
    c.act(&path, "decisions", &c.manager, json!({"decisions": decisions}))
        .await
        .expect_problem(403, "forbidden");
    let bad = c
        .act(
            &path,
            "decisions",
            &c.reviewer,
            json!({"decisions": [{"line": 9, "decision": "approved"}]}),
        )
        .await;
    assert_eq!(
        bad.expect_problem(422, "validation").violations(),
        ["decisions[0].line:not_in_plan"]
    );
    c.act(&path, "decisions", &c.reviewer, json!({"decisions": decisions}))
        .await
        .expect(200);
    let approved = c.act(&path, "approve", &c.reviewer, json!({})).await.expect(200).body;
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["review"]["approved_amount"], "390568.00");
    assert_eq!(approved["review"]["decisions"][4]["decision"], "declined");
    c.act(&path, "request-changes", &c.reviewer, json!({"reason": "late"}))
        .await
        .expect_problem(409, "conflict");

    let signatures = c.signatures(&path, &c.treasurer).await;
    assert_eq!(
        signatures[1]["valid"], true,
        "the standing signature still matches the approved content"
    );
    assert_eq!(signatures[1]["printed_name"], "Matt Garrett");
    assert_eq!(signatures[1]["capacity"], "csp_manager");
    let reasons = c.version_reasons(&path, &c.reviewer).await;
    assert_eq!(reasons, ["signed", "submitted", "signed", "submitted", "approved"]);
    let first = c
        .app
        .get(&format!("{path}/versions/2"))
        .token(&c.manager)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(first["content"]["status"], "submitted");
    assert_eq!(first["content"]["totals"]["allocated"], "400568.00");
    let history = c
        .app
        .get(&format!("{path}/history"))
        .token(&c.manager)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(
        actions(&history),
        [
            "created",
            "submit",
            "withdraw",
            "submit",
            "start-review",
            "decisions",
            "approve"
        ]
    );
    assert_eq!(history["items"][6]["from_state"], "under_review");
    assert_eq!(history["items"][6]["to_state"], "approved");
}

#[actix_web::test]
async fn a_plan_sent_back_is_revised_edited_and_resubmitted() {
    let c = cycle().await;
    let id = c.plan("plymouth-2021-22-plan", c.plymouth_2021, &c.manager).await;
    let path = format!("/api/v1/plans/{id}");
    c.app.set_clock("2021-05-20T10:00:00Z");
    c.act(&path, "submit", &c.manager, c.signature()).await.expect(200);
    c.act(&path, "start-review", &c.reviewer, json!({})).await.expect(200);
    let refused = c
        .act(&path, "request-changes", &c.reviewer, json!({"reason": ""}))
        .await
        .expect_problem(422, "validation");
    assert_eq!(refused.violations(), vec!["reason:blank"]);
    let sent_back = c
        .act(
            &path,
            "request-changes",
            &c.reviewer,
            json!({"reason": "Line 6: name the analyst"}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(sent_back["status"], "changes_requested");
    assert_eq!(sent_back["review"]["comment"], "Line 6: name the analyst");
    c.act(&path, "revise", &c.treasurer, json!({}))
        .await
        .expect_problem(403, "forbidden");
    c.act(&path, "revise", &c.manager, json!({})).await.expect(200);

    let mut changed = seed("plymouth-2021-22-plan");
    changed["lines"][5]["provider"] = json!("Plymouth City Council analysts");
    let version = c.version(&path).await;
    c.app
        .call(actix_web::http::Method::PUT, &path)
        .token(&c.manager)
        .if_match(&version)
        .json(&changed)
        .await
        .expect(200);
    let signatures = c.signatures(&path, &c.manager).await;
    assert_eq!(signatures[0]["valid"], false);
    assert_eq!(signatures[0]["void_reason"], "sent back for changes");
    c.app.set_clock("2021-06-10T10:00:00Z");
    c.act(&path, "submit", &c.manager, c.signature()).await.expect(200);
    let resubmitted = c.app.get(&path).token(&c.reviewer).send().await.expect(200).body;
    assert_eq!(
        resubmitted["deadline"]["submitted_on"], "2021-05-20",
        "a plan's deadline counts its first submission"
    );
    let history = c
        .app
        .get(&format!("{path}/history"))
        .token(&c.reviewer)
        .send()
        .await
        .expect(200)
        .body;
    let edit = history["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["action"] == "edited")
        .cloned()
        .unwrap_or_default();
    assert_eq!(edit["changed_fields"], json!(["lines[5].provider"]));
    assert_eq!(edit["actor_role"], "csp_manager");
}

#[actix_web::test]
async fn the_2017_18_half_year_return_is_signed_countersigned_reviewed_and_accepted() {
    let c = cycle().await;
    let path = c.draft_return_2017().await;
    c.act(&path, "countersign", &c.treasurer, c.signature())
        .await
        .expect_problem(409, "conflict");
    c.act(&path, "sign", &c.treasurer, c.signature())
        .await
        .expect_problem(403, "forbidden");
    c.act(&path, "countersign", &c.manager, c.signature())
        .await
        .expect_problem(403, "forbidden");
    c.act(&path, "sign", &c.torbay_manager, c.signature())
        .await
        .expect_problem(404, "not-found");

    let signed = c.act(&path, "sign", &c.manager, c.signature()).await.expect(200).body;
    assert_eq!(signed["status"], "signed");
    let wrong = c
        .act(
            &path,
            "countersign",
            &c.treasurer,
            json!({"password": "guess-guess-guess"}),
        )
        .await;
    assert_eq!(
        wrong.expect_problem(422, "validation").violations(),
        ["password:password_mismatch"]
    );
    let as_treasurer = c.app.get(&path).token(&c.treasurer).send().await.expect(200).body;
    assert_eq!(transitions(&as_treasurer), ["countersign"]);
    let submitted = c
        .act(&path, "countersign", &c.treasurer, c.signature())
        .await
        .expect(200)
        .body;
    assert_eq!(submitted["status"], "submitted");
    let signatures = c.signatures(&path, &c.reviewer).await;
    assert_eq!(signatures.as_array().map(Vec::len), Some(2));
    assert_eq!(signatures[1]["capacity"], "treasurer");
    assert_eq!(signatures[0]["content_sha256"], signatures[1]["content_sha256"]);
    assert!(
        signatures[1]["declaration"]
            .as_str()
            .is_some_and(|d| d.contains("Treasurer"))
    );

    c.act(&path, "start-review", &c.reviewer, json!({})).await.expect(200);
    c.act(
        &path,
        "request-changes",
        &c.reviewer,
        json!({"reason": "Project H: give a date for the commissioning"}),
    )
    .await
    .expect(200);
    c.act(&path, "revise", &c.manager, json!({})).await.expect(200);
    let signatures = c.signatures(&path, &c.reviewer).await;
    // Both signatures (the manager's and the treasurer's) are there, and both void.
    let signatures = signatures.as_array().expect("a list of signatures");
    assert_eq!(signatures.len(), 2);
    for signature in signatures {
        assert_eq!(signature["valid"], false, "{signature}");
        assert!(signature["voided_at"].is_string(), "{signature}");
    }

    c.act(&path, "sign", &c.manager, c.signature()).await.expect(200);
    c.act(&path, "countersign", &c.treasurer, c.signature())
        .await
        .expect(200);
    c.act(&path, "start-review", &c.reviewer, json!({})).await.expect(200);
    c.act(&path, "accept", &c.manager, json!({}))
        .await
        .expect_problem(403, "forbidden");
    let accepted = c
        .act(&path, "accept", &c.reviewer, json!({"payment_date": "2017-11-30"}))
        .await
        .expect(200)
        .body;
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(
        accepted["review"],
        json!({"claim_approved": "200284.00", "claim_approved_on": "2017-11-30", "claim_approval_reason": "",
               "comment": "Project H: give a date for the commissioning"})
    );
    assert_eq!(transitions(&accepted), Vec::<String>::new());
    let history = c
        .app
        .get(&format!("{path}/history"))
        .token(&c.treasurer)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(
        actions(&history),
        [
            "created",
            "sign",
            "countersign",
            "start-review",
            "request-changes",
            "revise",
            "sign",
            "countersign",
            "start-review",
            "accept"
        ]
    );
}

#[actix_web::test]
async fn a_countersignature_needs_the_managers_signature_on_the_same_content() {
    let c = cycle().await;
    let path = c.draft_return_2017().await;
    c.act(&path, "sign", &c.manager, c.signature()).await.expect(200);
    // Signed content can change only behind the service's back: a signed return is no draft.
    let id = path.rsplit('/').next().unwrap_or_default();
    c.app
        .execute_sql(&format!(
            "UPDATE half_year_returns SET invoice_reference = 'SP-CSF-2017-18-H1-B' WHERE id = {id}"
        ))
        .expect("tamper with the return");
    let signatures = c.signatures(&path, &c.treasurer).await;
    assert_eq!(signatures[0]["valid"], false, "the signed content no longer matches");
    assert_eq!(signatures[0]["changed_fields"], json!(["invoice_reference"]));
    let refused = c
        .act(&path, "countersign", &c.treasurer, c.signature())
        .await
        .expect_problem(409, "conflict");
    assert!(refused.body["detail"].as_str().is_some_and(|d| d.contains("manager")));
}

#[actix_web::test]
async fn the_2017_18_final_report_is_accepted_and_an_unspent_balance_carried_forward() {
    let c = cycle().await;
    c.plan("plymouth-2017-18-plan", c.plymouth_2017, &c.manager).await;
    let mut report = seed_for("plymouth-2017-18-final-report", c.plymouth_2017);
    report["lines"][0]["actual_spend"] = json!("150000.00");
    report["lines"][0]["variance_explanation"] = json!("IDVA vacancy for four months");
    report["lines"][1]["case_study"] = json!("");
    report["unspent_treatment"] = json!("carry_forward");
    // A draft may leave a plan line out; signing may not, and names the line.
    let mut draft = report.clone();
    draft["lines"].as_array_mut().unwrap().remove(6);
    let id = c
        .app
        .post("/api/v1/final-reports")
        .token(&c.manager)
        .json(&draft)
        .await
        .expect(201)
        .id();
    let path = format!("/api/v1/final-reports/{id}");
    let incomplete = c
        .act(&path, "sign", &c.manager, c.signature())
        .await
        .expect_problem(422, "validation");
    assert_eq!(
        incomplete.violations(),
        [
            "lines:required_for_submission",
            "lines[1].case_study:required_for_submission"
        ]
    );
    assert_eq!(
        incomplete.body["errors"][0]["message"],
        "report on every plan line before signing; missing: 7"
    );
    report["lines"][1]["case_study"] = json!("A survivor reports being able to cope with everyday life again.");
    let version = c.version(&path).await;
    c.app
        .call(actix_web::http::Method::PUT, &path)
        .token(&c.manager)
        .if_match(&version)
        .json(&report)
        .await
        .expect(200);

    c.act(&path, "sign", &c.manager, c.signature()).await.expect(200);
    c.act(&path, "countersign", &c.treasurer, c.signature())
        .await
        .expect(200);
    c.act(&path, "start-review", &c.reviewer, json!({})).await.expect(200);
    let missing = c
        .act(&path, "accept", &c.reviewer, json!({}))
        .await
        .expect_problem(422, "validation");
    assert_eq!(missing.violations(), ["unspent_decision:required"]);
    let no_next_year = c
        .act(
            &path,
            "accept",
            &c.reviewer,
            json!({"unspent_decision": "carried_forward", "carry_forward_purpose": "IDVA hours"}),
        )
        .await
        .expect_problem(422, "validation");
    assert_eq!(no_next_year.violations(), ["unspent_decision:next_allocation_required"]);

    let next = c.plymouth_2018_19().await;
    let accepted = c
        .act(
            &path,
            "accept",
            &c.reviewer,
            json!({"unspent_decision": "carried_forward", "carry_forward_purpose": "IDVA hours"}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(accepted["review"]["unspent_decided"], "10200.00");
    assert_eq!(accepted["review"]["carried_forward_to"], next);
    let allocation = c
        .app
        .get(&format!("/api/v1/allocations/{next}"))
        .token(&c.manager)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(allocation["carry_forward"], "10200.00");
    assert_eq!(allocation["carry_forward_purpose"], "IDVA hours");
    assert_eq!(allocation["available"], "410768.00");
    let feed = c
        .app
        .get(&format!("/api/v1/history?entity_kind=allocation&entity_id={next}"))
        .token(&c.reviewer)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(actions(&feed), ["created", "carry-forward-received"]);
}

#[actix_web::test]
async fn another_claim_on_the_allocation_leaves_a_signed_return_valid() {
    let c = cycle().await;
    let path = c.draft_return_2017().await;
    c.act(&path, "sign", &c.manager, c.signature()).await.expect(200);
    c.app
        .post("/api/v1/half-year-returns")
        .token(&c.manager)
        .json(
            &json!({"allocation_id": c.plymouth_2017, "half": "second", "half_year_end": "2018-03-31",
                      "amount_claimed": "227962.00", "invoice_reference": "SP-CSF-2017-18-H2"}),
        )
        .await
        .expect(201);
    let first = c.app.get(&path).token(&c.treasurer).send().await.expect(200).body;
    assert_eq!(
        first["totals"]["unclaimed"], "0.00",
        "the first return's totals see the second claim"
    );
    let signatures = c.signatures(&path, &c.treasurer).await;
    assert_eq!(
        signatures[0]["valid"], true,
        "but what the manager signed has not changed"
    );
    c.act(&path, "countersign", &c.treasurer, c.signature())
        .await
        .expect(200);
}
