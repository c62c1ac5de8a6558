//! A half-year return's acceptance by the OPCC, once signed, countersigned (which submits it)
//! and reviewed: its claim is approved for payment.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::HalfYearReturn;
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::documents::Precondition;
use crate::error::{Error, Violations};
use crate::lifecycle;
use crate::money::Money;
use crate::schema::half_year_returns;
use crate::timestamps;
use crate::workflow::Transition;

/// The longest reason for approving less than the claim.
const MAX_REASON: usize = 2000;

/// The reviewer's acceptance: the claim is approved for payment on the given date, in full or
/// in part.
#[derive(Deserialize, ToSchema, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"payment_date": "2017-11-30", "approved_amount": "195000.00",
    "reason": "Project H's £5,284 waits for the commissioning date"}))]
pub struct AcceptReturn {
    /// When the claim is approved for payment; today if absent.
    pub payment_date: Option<NaiveDate>,
    /// How much of the claim is approved for payment; the whole claim if absent.
    pub approved_amount: Option<Money>,
    /// Why less than the claim is approved: required then.
    pub reason: Option<String>,
}

/// The claim approval rules: no more than was claimed, nothing negative, and a reason for
/// approving less.
fn check_approval(v: &mut Violations, claimed: Money, approved: Money, reason: &str) {
    v.check(
        approved >= Money::ZERO,
        "approved_amount",
        "minimum",
        "cannot be negative",
    );
    v.check(
        approved <= claimed,
        "approved_amount",
        "within_claim",
        format!("cannot be more than the {claimed} claimed"),
    );
    v.check(
        approved >= claimed || !reason.is_empty(),
        "reason",
        "required",
        "say why less than the claim is approved",
    );
    v.optional_text("reason", Some(reason), MAX_REASON);
}

pub fn accept(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    expected: Precondition,
    input: &AcceptReturn,
) -> Result<(), Error> {
    let step = lifecycle::begin::<HalfYearReturn>(conn, caller, id, expected, Transition::Accept)?;
    let claimed: Money = half_year_returns::table
        .find(id)
        .select(half_year_returns::amount_claimed_pence)
        .first(conn)?;
    let approved = input.approved_amount.unwrap_or(claimed);
    let reason = input.reason.as_deref().map(str::trim).unwrap_or("");
    let mut v = Violations::new();
    check_approval(&mut v, claimed, approved, reason);
    v.finish()?;
    let date = input.payment_date.unwrap_or_else(timestamps::today);
    diesel::update(half_year_returns::table.find(id))
        .set((
            half_year_returns::claim_approved_pence.eq(Some(approved)),
            half_year_returns::claim_approved_on.eq(Some(date)),
            half_year_returns::claim_approval_reason.eq(reason),
        ))
        .execute(conn)?;
    lifecycle::finish::<HalfYearReturn>(
        conn,
        caller,
        &step,
        json!({"claimed": claimed, "claim_approved": approved, "claim_approved_on": date, "reason": reason}),
    )
}
