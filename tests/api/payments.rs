//! Claims approved in full or in part, and paid by the OPCC's finance role in one or more
//! payments, never more than approved.

use serde_json::{Value, json};

use crate::fixtures::cycle;

#[actix_web::test]
async fn a_claim_approved_in_part_is_paid_in_two_payments_and_no_further() {
    let c = cycle().await;
    let finance = c.app.user("finance@opcc.example", "opcc_finance", None).await;
    let path = c.draft_return_2017().await;
    let pay = |body: Value, token: String| {
        let path = path.clone();
        let app = &c.app;
        async move { app.post(&format!("{path}/payments")).token(&token).json(&body).await }
    };
    let payment =
        |amount: &str| json!({"amount": amount, "paid_on": "2017-12-08", "remittance_reference": "BACS 0412"});

    c.act(&path, "sign", &c.manager, c.signature()).await.expect(200);
    c.act(&path, "countersign", &c.treasurer, c.signature())
        .await
        .expect(200);
    c.act(&path, "start-review", &finance, json!({}))
        .await
        .expect_problem(403, "forbidden");
    c.act(&path, "start-review", &c.reviewer, json!({})).await.expect(200);
    pay(payment("100.00"), finance.clone())
        .await
        .expect_problem(409, "conflict");

    let refused = c
        .act(&path, "accept", &c.reviewer, json!({"approved_amount": "195000.00"}))
        .await
        .expect_problem(422, "validation")
        .violations();
    assert_eq!(refused, ["reason:required"]);
    let refused = c
        .act(
            &path,
            "accept",
            &c.reviewer,
            json!({"approved_amount": "200284.01", "reason": "x"}),
        )
        .await
        .expect_problem(422, "validation")
        .violations();
    assert_eq!(refused, ["approved_amount:within_claim"]);
    let accepted = c
        .act(
            &path,
            "accept",
            &c.reviewer,
            json!({"approved_amount": "195000.00", "reason": "Project H waits for its commissioning date",
                   "payment_date": "2017-11-30"}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(accepted["review"]["claim_approved"], "195000.00");
    assert_eq!(
        accepted["review"]["claim_approval_reason"],
        "Project H waits for its commissioning date"
    );
    assert_eq!(
        accepted["payment"],
        json!({"claimed": "200284.00", "approved": "195000.00", "paid": "0.00", "outstanding": "195000.00"})
    );
    // Each signature, the submission and what the OPCC accepted are kept as the return read then.
    let reasons = c.version_reasons(&path, &c.reviewer).await;
    assert_eq!(reasons, ["signed", "signed", "submitted", "accepted"]);

    for token in [&c.manager, &c.treasurer, &c.reviewer, &c.app.admin_token] {
        pay(payment("100.00"), token.clone())
            .await
            .expect_problem(403, "forbidden");
    }
    pay(payment("150000.00"), finance.clone()).await.expect(201);
    let too_much = pay(payment("45000.01"), finance.clone())
        .await
        .expect_problem(422, "validation")
        .violations();
    assert_eq!(too_much, ["amount:within_approved"]);
    // Nothing paid is no payment, though it is within what is outstanding.
    let nothing = pay(payment("0.00"), finance.clone())
        .await
        .expect_problem(422, "validation")
        .violations();
    assert_eq!(nothing, ["amount:positive"]);
    let future = pay(
        json!({"amount": "1.00", "paid_on": "2999-01-01", "remittance_reference": " "}),
        finance.clone(),
    )
    .await
    .expect_problem(422, "validation")
    .violations();
    assert_eq!(future, ["paid_on:not_in_future", "remittance_reference:blank"]);
    // 23:30 UTC on 31 May is 00:30 on 1 June in London: a payment made that morning is not in
    // the future.
    c.app.set_clock("2018-05-31T23:30:00Z");
    let second = pay(
        json!({"amount": "45000.00", "paid_on": "2018-06-01", "remittance_reference": "BACS 0601"}),
        finance.clone(),
    )
    .await
    .expect(201)
    .body;
    assert_eq!(second["amount"], "45000.00");
    assert_eq!(second["partnership"], "Safer Plymouth");
    assert_eq!(second["fund_year"], "2017-18");

    let read = c.app.get(&path).token(&finance).send().await.expect(200).body;
    assert_eq!(
        read["payment"],
        json!({"claimed": "200284.00", "approved": "195000.00", "paid": "195000.00", "outstanding": "0.00"})
    );
    let refused = pay(payment("0.01"), finance.clone())
        .await
        .expect_problem(422, "validation");
    assert_eq!(refused.violations(), vec!["amount:within_approved"]);
    let listed = c
        .app
        .get(&format!("{path}/payments"))
        .token(&c.treasurer)
        .send()
        .await
        .expect(200)
        .body;
    let amounts: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["amount"].as_str().unwrap())
        .collect();
    assert_eq!(amounts, ["150000.00", "45000.00"]);
    c.app
        .get(&format!("{path}/payments"))
        .token(&c.torbay_manager)
        .send()
        .await
        .expect_problem(404, "not-found");
    let torbay = c
        .app
        .get("/api/v1/payments")
        .token(&c.torbay_manager)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(torbay["items"], json!([]));
    let all = c
        .app
        .get("/api/v1/payments?fund_year=2017-18")
        .token(&finance)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(2));
    let history = c
        .app
        .get(&format!("{path}/history"))
        .token(&c.manager)
        .send()
        .await
        .expect(200)
        .body;
    let actions: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.iter().filter(|a| **a == "payment-recorded").count(), 2);
}
