//! Money rules that read an allocation's documents and then write hold under concurrent
//! requests: two changes that each pass alone but not together never both succeed.

use futures_util::future::join;
use serde_json::{Value, json};

use crate::fixtures::{Cycle, cycle, seed, seed_for};
use crate::support::Reply;

const ROUNDS: usize = 12;

async fn replace(c: &Cycle, path: &str, body: &Value) -> Reply {
    let version = c.version(path).await;
    c.app
        .call(actix_web::http::Method::PUT, path)
        .token(&c.manager)
        .if_match(&version)
        .json(body)
        .await
}

#[actix_web::test]
async fn two_halves_claiming_at_once_never_exceed_the_allocation() {
    let c = cycle().await;
    let first = c.draft_return_2017().await;
    let second_id = c
        .app
        .post("/api/v1/half-year-returns")
        .token(&c.manager)
        .json(
            &json!({"allocation_id": c.plymouth_2017, "half": "second", "half_year_end": "2018-03-31",
                      "amount_claimed": "0.00", "invoice_reference": "SP-CSF-2017-18-H2"}),
        )
        .await
        .expect(201)
        .id();
    let second = format!("/api/v1/half-year-returns/{second_id}");
    let claim_first = |amount: &str| {
        let mut body = seed_for("plymouth-2017-18-half-year-return", c.plymouth_2017);
        body["amount_claimed"] = json!(amount);
        body
    };
    let claim_second = |amount: &str| {
        json!({"allocation_id": c.plymouth_2017, "half": "second", "half_year_end": "2018-03-31",
               "amount_claimed": amount, "invoice_reference": "SP-CSF-2017-18-H2"})
    };
    // £428,246 is available: £300,000 and £200,000 each fit beside the other's starting claim,
    // not together.
    for round in 0..ROUNDS {
        let (a, b) = (claim_first("300000.00"), claim_second("200000.00"));
        let (va, vb) = (c.version(&first).await, c.version(&second).await);
        let put = |path: &str, version: &Value| {
            c.app
                .call(actix_web::http::Method::PUT, path)
                .token(&c.manager)
                .if_match(version)
        };
        let (ra, rb) = join(put(&first, &va).json(&a), put(&second, &vb).json(&b)).await;
        let passed = [&ra, &rb].iter().filter(|r| r.status.as_u16() == 200).count();
        assert_eq!(
            passed, 1,
            "round {round}: exactly one claim fits: {} / {}",
            ra.body, rb.body
        );
        for refused in [&ra, &rb].into_iter().filter(|r| r.status.as_u16() != 200) {
            assert_eq!(refused.status.as_u16(), 422, "{}", refused.body);
            assert_eq!(refused.violations(), vec!["amount_claimed:exceeds_unclaimed"]);
        }
        let totals = c.app.get(&first).token(&c.manager).send().await.expect(200).body["totals"].clone();
        assert!(
            totals["unclaimed"].as_str().is_some_and(|u| !u.starts_with('-')),
            "round {round}: {totals}"
        );
        replace(&c, &first, &claim_first("200284.00")).await.expect(200);
        replace(&c, &second, &claim_second("0.00")).await.expect(200);
    }
}

#[actix_web::test]
async fn an_allocation_cut_while_a_plan_grows_never_leaves_the_plan_above_it() {
    let c = cycle().await;
    let id = c.plan("plymouth-2021-22-plan", c.plymouth_2021, &c.manager).await;
    let plan = format!("/api/v1/plans/{id}");
    let allocation = format!("/api/v1/allocations/{}", c.plymouth_2021);
    let with_first_line = |amount: &str| {
        let mut body = seed("plymouth-2021-22-plan");
        body["lines"][0]["amount"] = json!(amount);
        body["lines"][0]["sub_allocations"] = json!([]);
        body
    };
    replace(&c, &plan, &with_first_line("200000.00")).await.expect(200);
    // The plan's lines come to £359,749; the grant is £400,568. Growing the first line by
    // £30,000 fits the grant; cutting the grant by £30,000 fits the plan; not both.
    for round in 0..ROUNDS {
        let grow = with_first_line("230000.00");
        let version = c.version(&plan).await;
        let save = c
            .app
            .call(actix_web::http::Method::PUT, &plan)
            .token(&c.manager)
            .if_match(&version)
            .json(&grow);
        let smaller = json!({"grant": "370568.00"});
        let cut = c
            .app
            .patch(&allocation)
            .header("if-match", "*")
            .token(&c.app.admin_token)
            .json(&smaller);
        let (saved, cut) = join(save, cut).await;
        let passed = [&saved, &cut].iter().filter(|r| r.status.as_u16() == 200).count();
        assert_eq!(
            passed, 1,
            "round {round}: the plan or the cut, not both; got {} and {}",
            saved.status, cut.status
        );
        let totals = c.app.get(&plan).token(&c.manager).send().await.expect(200).body["totals"].clone();
        assert!(
            totals["unallocated"].as_str().is_some_and(|u| !u.starts_with('-')),
            "round {round}: {totals}"
        );
        c.app
            .patch(&allocation)
            .header("if-match", "*")
            .token(&c.app.admin_token)
            .json(&json!({"grant": "400568.00"}))
            .await
            .expect(200);
        replace(&c, &plan, &with_first_line("200000.00")).await.expect(200);
    }
}

/// Finance staff paying one claim twice at once (two tabs, a double click): the allocation's row
/// lock makes the second see the first, so the claim is never paid beyond what was approved.
#[actix_web::test]
async fn payments_recorded_at_once_never_pay_more_than_approved() {
    let c = cycle().await;
    let finance = c.app.user("finance@opcc.example", "opcc_finance", None).await;
    let path = c.draft_return_2017().await;
    c.act(&path, "sign", &c.manager, c.signature()).await.expect(200);
    c.act(&path, "countersign", &c.treasurer, c.signature())
        .await
        .expect(200);
    c.act(&path, "start-review", &c.reviewer, json!({})).await.expect(200);
    c.act(&path, "accept", &c.reviewer, json!({})).await.expect(200);
    // £200,284 approved; each payment is £60,000, so three fit.
    let payments = (0..10).map(|i| {
        let body = json!({"amount": "60000.00", "paid_on": "2017-12-08", "remittance_reference": format!("BACS {i}")});
        let (app, path, finance) = (&c.app, path.clone(), finance.clone());
        async move { app.post(&format!("{path}/payments")).token(&finance).json(&body).await }
    });
    let replies = futures_util::future::join_all(payments).await;
    let recorded = replies.iter().filter(|r| r.status.as_u16() == 201).count();
    assert_eq!(recorded, 3, "{:?}", replies.iter().map(|r| &r.body).collect::<Vec<_>>());
    for refused in replies.iter().filter(|r| r.status.as_u16() != 201) {
        assert_eq!(refused.status.as_u16(), 422, "{}", refused.body);
        assert_eq!(refused.violations(), ["amount:within_approved"]);
    }
    let read = c.app.get(&path).token(&finance).send().await.expect(200).body;
    assert_eq!(
        read["payment"],
        json!({"claimed": "200284.00", "approved": "200284.00", "paid": "180000.00", "outstanding": "20284.00"})
    );
}
