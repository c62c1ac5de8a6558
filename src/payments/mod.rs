//! Payments: the OPCC's finance team pays an accepted half-year return's approved claim, in one
//! payment or several, never more than was approved in total. Only the `opcc_finance` role
//! records payments; it reads everything and writes nothing else. A payment once recorded stands:
//! only the finance system's own reference for it may be set or changed afterwards.

pub mod http;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::allocations;
use crate::auth::{Caller, Role};
use crate::db::{DbConnection, MultiBackend};
use crate::documents::{self, Located};
use crate::error::{Error, Violations};
use crate::half_year_returns::{ClaimPayment, HalfYearReturn};
use crate::history::{self, Action, Event};
use crate::money::Money;
use crate::pagination::{Page, PageRequest, in_page_order};
use crate::schema::{allocations as allocation_rows, fund_years, half_year_returns, partnerships, payments};
use crate::workflow::Status;
use crate::{external_references, timestamps};

/// The longest remittance reference accepted.
const MAX_REFERENCE: usize = 100;

/// A payment of an approved claim.
#[derive(Serialize, ToSchema, Debug, Clone)]
#[schema(example = json!({"id": 1, "half_year_return_id": 1, "partnership_id": 1, "partnership": "Safer Plymouth",
    "fund_year": "2017-18", "amount": "150000.00", "paid_on": "2017-12-08", "remittance_reference": "BACS 2017-12-08/0412",
    "external_reference": "PAY-2017-004512", "recorded_by": "user:7", "recorded_at": "2017-12-08T10:15:00Z",
    "updated_at": "2017-12-08T10:15:00Z"}))]
pub struct Payment {
    pub id: i64,
    pub half_year_return_id: i64,
    pub partnership_id: i64,
    pub partnership: String,
    pub fund_year: String,
    pub amount: Money,
    pub paid_on: NaiveDate,
    /// The finance system's reference, quoted on the remittance advice.
    pub remittance_reference: String,
    /// The finance system's own id for the payment, set by finance at or after recording.
    pub external_reference: Option<String>,
    /// Who recorded it: `user:<id>` or `client:<id>`.
    pub recorded_by: String,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub recorded_at: NaiveDateTime,
    /// When it was recorded or its external reference last changed.
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub updated_at: NaiveDateTime,
}

/// A payment to record.
#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"amount": "150000.00", "paid_on": "2017-12-08", "remittance_reference": "BACS 2017-12-08/0412"}))]
pub struct NewPayment {
    pub amount: Money,
    /// Not later than today.
    pub paid_on: NaiveDate,
    pub remittance_reference: String,
    /// The finance system's own id for the payment, 1 to 100 characters.
    #[serde(default)]
    pub external_reference: Option<String>,
}

/// Which payments to list.
#[derive(Deserialize, IntoParams, ToSchema, Debug, Clone, Default)]
#[into_params(parameter_in = Query)]
pub struct PaymentFilter {
    /// Fund year label, e.g. "2017-18".
    pub fund_year: Option<String>,
    pub partnership_id: Option<i64>,
    /// Only those with this external reference (exactly).
    pub external_reference: Option<String>,
}

/// The one thing about a payment that may change: the finance system's reference for it.
#[derive(Deserialize, ToSchema, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"external_reference": "PAY-2017-004512"}))]
pub struct PaymentChanges {
    /// 1 to 100 characters; null removes it.
    #[serde(default, deserialize_with = "crate::patch::present")]
    #[schema(value_type = Option<String>)]
    pub external_reference: Option<Option<String>>,
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = payments, check_for_backend(crate::db::MultiBackend))]
struct PaymentRow {
    id: i64,
    half_year_return_id: i64,
    amount_pence: Money,
    paid_on: NaiveDate,
    remittance_reference: String,
    recorded_by: String,
    recorded_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    external_reference: Option<String>,
    revision: i64,
}

fn view((row, partnership_id, partnership, fund_year): (PaymentRow, i64, String, String)) -> Payment {
    Payment {
        id: row.id,
        half_year_return_id: row.half_year_return_id,
        partnership_id,
        partnership,
        fund_year,
        amount: row.amount_pence,
        paid_on: row.paid_on,
        remittance_reference: row.remittance_reference,
        external_reference: row.external_reference,
        recorded_by: row.recorded_by,
        recorded_at: row.recorded_at,
        updated_at: row.updated_at,
    }
}

/// A payment joined to its return, allocation, partnership and fund year.
type Placed = dsl::InnerJoin<
    payments::table,
    dsl::InnerJoin<
        half_year_returns::table,
        dsl::InnerJoin<dsl::InnerJoin<allocation_rows::table, partnerships::table>, fund_years::table>,
    >,
>;
type PlacedPayments<'a> = dsl::IntoBoxed<
    'a,
    dsl::Select<
        Placed,
        (
            dsl::AsSelect<PaymentRow, MultiBackend>,
            allocation_rows::partnership_id,
            partnerships::name,
            fund_years::label,
        ),
    >,
    MultiBackend,
>;

/// Payments with the partnership and fund year they were paid to.
fn with_places<'a>() -> PlacedPayments<'a> {
    payments::table
        .inner_join(
            half_year_returns::table.inner_join(
                allocation_rows::table
                    .inner_join(partnerships::table)
                    .inner_join(fund_years::table),
            ),
        )
        .select((
            PaymentRow::as_select(),
            allocation_rows::partnership_id,
            partnerships::name,
            fund_years::label,
        ))
        .into_boxed()
}

/// What has been paid against a claim.
fn paid(conn: &mut DbConnection, return_id: i64) -> Result<Money, Error> {
    let amounts: Vec<Money> = payments::table
        .filter(payments::half_year_return_id.eq(return_id))
        .select(payments::amount_pence)
        .load(conn)?;
    Money::sum(amounts).ok_or_else(|| Error::internal("payments overflow"))
}

/// The payment rules: a positive amount, paid no later than today, within what is still to pay.
fn check(v: &mut Violations, new: &NewPayment, outstanding: Money) {
    v.check(new.amount > Money::ZERO, "amount", "positive", "must be more than 0.00");
    v.check(
        new.amount <= outstanding,
        "amount",
        "within_approved",
        format!("only {outstanding} of the approved claim is still to pay"),
    );
    v.check(
        new.paid_on <= timestamps::today(),
        "paid_on",
        "not_in_future",
        "a payment is recorded once made: not later than today",
    );
    v.text("remittance_reference", &new.remittance_reference, MAX_REFERENCE);
    external_references::check(v, new.external_reference.as_deref());
}

/// Records a payment against an accepted return's approved claim.
pub fn record(conn: &mut DbConnection, caller: &Caller, return_id: i64, new: &NewPayment) -> Result<Payment, Error> {
    let claim = documents::locate::<HalfYearReturn>(conn, caller, return_id)?;
    caller.require(&[Role::OpccFinance])?;
    allocations::hold(conn, claim.allocation_id())?;
    if claim.status() != Status::Accepted {
        return Err(Error::Conflict {
            detail: format!(
                "the return is {}: a claim is paid once the return is accepted",
                claim.status()
            ),
            field: None,
        });
    }
    let (claimed, approved): (Money, Option<Money>) = half_year_returns::table
        .find(return_id)
        .select((
            half_year_returns::amount_claimed_pence,
            half_year_returns::claim_approved_pence,
        ))
        .first(conn)?;
    let claim_payment = ClaimPayment::of(claimed, approved, paid(conn, return_id)?);
    let mut v = Violations::new();
    check(&mut v, new, claim_payment.outstanding);
    v.finish()?;
    let now = timestamps::now();
    let id: i64 = diesel::insert_into(payments::table)
        .values((
            payments::half_year_return_id.eq(return_id),
            payments::amount_pence.eq(new.amount),
            payments::paid_on.eq(new.paid_on),
            payments::remittance_reference.eq(new.remittance_reference.trim()),
            payments::external_reference.eq(external_references::stored(new.external_reference.as_deref())),
            payments::recorded_by.eq(caller.principal.subject()),
            payments::recorded_at.eq(now),
            payments::updated_at.eq(now),
        ))
        .returning(payments::id)
        .get_result(conn)?;
    history::append(
        conn,
        Event {
            actor: caller,
            partnership_id: Some(claim.partnership_id()),
            entity_kind: "half_year_return",
            entity_id: return_id,
            action: Action::PaymentRecorded,
            from_state: None,
            to_state: None,
            changed_fields: vec!["payment".into()],
            details: json!({"payment_id": id, "amount": new.amount, "paid_on": new.paid_on,
                            "remittance_reference": new.remittance_reference.trim()}),
        },
    )?;
    get(conn, id)
}

/// The payment, if the caller may see it (who sees its return sees it).
pub fn read(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<Payment, Error> {
    let payment = get(conn, id)?;
    caller.ensure_visible(payment.partnership_id, "payment")?;
    Ok(payment)
}

/// Sets or removes the finance system's reference for a payment (opcc_finance).
pub fn change(conn: &mut DbConnection, caller: &Caller, id: i64, changes: &PaymentChanges) -> Result<Payment, Error> {
    let current = read(conn, caller, id)?;
    caller.require(&[Role::OpccFinance])?;
    let Some(reference) = &changes.external_reference else {
        return Ok(current);
    };
    let mut v = Violations::new();
    external_references::check(&mut v, reference.as_deref());
    v.finish()?;
    diesel::update(payments::table.find(id))
        .set((
            payments::external_reference.eq(external_references::stored(reference.as_deref())),
            payments::updated_at.eq(timestamps::now()),
        ))
        .execute(conn)?;
    let changed = get(conn, id)?;
    let record = history::Record {
        kind: "payment",
        id,
        partnership_id: Some(changed.partnership_id),
    };
    history::record_change(conn, caller, record, Action::Edited, Some(&current), &changed)?;
    Ok(changed)
}

fn get(conn: &mut DbConnection, id: i64) -> Result<Payment, Error> {
    with_places()
        .filter(payments::id.eq(id))
        .first(conn)
        .optional()?
        .map(view)
        .ok_or(Error::NotFound("payment"))
}

/// The payments of one return, oldest first.
pub fn of_return(conn: &mut DbConnection, claim: &Located) -> Result<Vec<Payment>, Error> {
    Ok(with_places()
        .filter(payments::half_year_return_id.eq(claim.id()))
        .order(payments::id)
        .load(conn)?
        .into_iter()
        .map(view)
        .collect())
}

/// Payments the caller may see, oldest first.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &PaymentFilter,
    page: &PageRequest,
) -> Result<Page<Payment>, Error> {
    let mut query = with_places();
    if let Some(label) = &filter.fund_year {
        query = query.filter(fund_years::label.eq(label.clone()));
    }
    if let Some(id) = filter.partnership_id {
        query = query.filter(allocation_rows::partnership_id.eq(id));
    }
    if let Some(reference) = &filter.external_reference {
        query = query.filter(payments::external_reference.eq(reference.clone()));
    }
    if let Some(only) = caller.scope().confined_to() {
        query = query.filter(allocation_rows::partnership_id.eq(only));
    }
    let rows = in_page_order!(query, payments, page).load::<(PaymentRow, i64, String, String)>(conn)?;
    Ok(Page::from_rows(
        rows,
        page,
        |r| page.position(r.0.id, r.0.revision),
        view,
    ))
}
