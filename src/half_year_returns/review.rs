//! A half-year return's way through the OPCC: signed by the manager, countersigned by the
//! treasurer (which submits it), reviewed, and accepted with its claim approved for payment.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::KIND;
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::documents::Precondition;
use crate::documents::lifecycle;
use crate::error::{Error, Violations};
use crate::money::Money;
use crate::schema::{half_year_projects, half_year_returns};
use crate::signatures::Signer;
use crate::workflow::Transition;

/// A return can be signed once it reports on a project and names its invoice.
fn ready(conn: &mut DbConnection, id: i64) -> Result<(), Error> {
    let projects: i64 = half_year_projects::table
        .filter(half_year_projects::half_year_return_id.eq(id))
        .count()
        .get_result(conn)?;
    let invoice: String = half_year_returns::table
        .find(id)
        .select(half_year_returns::invoice_reference)
        .first(conn)?;
    let mut v = Violations::new();
    v.check(
        projects > 0,
        "projects",
        "required_for_submission",
        "report on at least one project before signing",
    );
    v.check(
        !invoice.trim().is_empty(),
        "invoice_reference",
        "required_for_submission",
        "submit the invoice with the return: give its reference",
    );
    v.finish()
}

pub fn sign(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    expected: Precondition,
    signer: &Signer,
) -> Result<(), Error> {
    lifecycle::sign_as_manager(conn, caller, KIND, id, expected, signer, |conn| ready(conn, id))
}

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
    let step = lifecycle::begin(conn, caller, KIND, id, expected, Transition::Accept)?;
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
    lifecycle::finish(
        conn,
        caller,
        &step,
        json!({"claim_approved": claimed, "claim_approved_on": date}),
    )
}
