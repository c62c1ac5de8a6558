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
use crate::documents::{Precondition, lifecycle};
use crate::error::Error;
use crate::money::Money;
use crate::schema::half_year_returns;
use crate::workflow::Transition;

/// The reviewer's acceptance: the claim is approved for payment on the given date.
#[derive(Deserialize, ToSchema, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"payment_date": "2017-11-30"}))]
pub struct AcceptReturn {
    /// When the claim is approved for payment; today if absent.
    pub payment_date: Option<NaiveDate>,
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
    let date = input.payment_date.unwrap_or_else(|| chrono::Utc::now().date_naive());
    diesel::update(half_year_returns::table.find(id))
        .set((
            half_year_returns::claim_approved_pence.eq(Some(claimed)),
            half_year_returns::claim_approved_on.eq(Some(date)),
        ))
        .execute(conn)?;
    lifecycle::finish::<HalfYearReturn>(
        conn,
        caller,
        &step,
        json!({"claim_approved": claimed, "claim_approved_on": date}),
    )
}
