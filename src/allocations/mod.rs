//! Allocations: a partnership's grant for a fund year, plus any carry-forward from the year
//! before with its purpose (2017-18: £27,678 for the MARAC co-ordinator and IDVA hours).

pub mod http;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::db::{DbConnection, write_transaction};
use crate::deadlines::{self, DueDocument, Owing};
use crate::error::{Error, Violations};
use crate::fund_years::DueDates;
use crate::history::Action;
use crate::money::Money;
use crate::pagination::{Page, PageRequest, in_page_order};
use crate::preconditions::Precondition;
use crate::schema::{allocations, fund_years, half_year_returns, partnerships, plan_lines, plans};
use crate::{external_references, fund_years as years, history, partnerships as partnership_records, timestamps};

const MAX_PURPOSE: usize = 1000;

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = allocations, check_for_backend(crate::db::MultiBackend))]
pub struct AllocationRow {
    id: i64,
    fund_year_id: i64,
    partnership_id: i64,
    grant_pence: Money,
    carry_forward_pence: Money,
    carry_forward_purpose: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
    external_reference: Option<String>,
}

/// An allocation as a document's own query selects it (joined with its fund year and partnership),
/// so that reading a document does not take a statement per table.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = allocations, check_for_backend(crate::db::MultiBackend))]
pub struct AllocationOfDocument {
    #[diesel(embed)]
    row: AllocationRow,
    #[diesel(select_expression = fund_years::label)]
    fund_year: String,
    #[diesel(select_expression = partnerships::name)]
    partnership: String,
    #[diesel(select_expression = fund_years::plan_due)]
    plan_due: NaiveDate,
    #[diesel(select_expression = fund_years::first_half_return_due)]
    first_half_due: NaiveDate,
    #[diesel(select_expression = fund_years::second_half_return_due)]
    second_half_due: NaiveDate,
    #[diesel(select_expression = fund_years::final_report_due)]
    final_report_due: NaiveDate,
}

impl AllocationOfDocument {
    /// The allocation, and its fund year's due dates.
    pub fn into_parts(self) -> (Allocation, DueDates) {
        let due = DueDates {
            plan: self.plan_due,
            first_half: self.first_half_due,
            second_half: self.second_half_due,
            final_report: self.final_report_due,
        };
        (view((self.row, self.fund_year, self.partnership)), due)
    }
}

/// A partnership's money for one fund year.
#[derive(Serialize, ToSchema, Debug, Clone)]
#[schema(example = json!({"id": 1, "fund_year_id": 1, "fund_year": "2017-18", "partnership_id": 1,
    "partnership": "Safer Plymouth", "grant": "400568.00", "carry_forward": "27678.00",
    "carry_forward_purpose": "MARAC co-ordinator and IDVA hours", "available": "428246.00",
    "external_reference": "CSP-2017-PLY", "created_at": "2026-11-22T09:00:00Z",
    "updated_at": "2026-11-22T09:00:00Z", "version": 1}))]
pub struct Allocation {
    pub id: i64,
    pub fund_year_id: i64,
    /// The fund year's label, e.g. "2017-18".
    pub fund_year: String,
    pub partnership_id: i64,
    /// The partnership's name.
    pub partnership: String,
    pub grant: Money,
    pub carry_forward: Money,
    pub carry_forward_purpose: Option<String>,
    /// Grant plus carry-forward: what plan lines may add up to.
    pub available: Money,
    /// The finance system's own reference for the allocation (set by the admin).
    pub external_reference: Option<String>,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub updated_at: NaiveDateTime,
    /// Increases with every change; the ETag. Send it back in If-Match to change it.
    pub version: i32,
}

/// An allocation with the four documents it owes (plan, both halves' returns, final report),
/// started or not, and how each stands against its due date.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct AllocationView {
    #[serde(flatten)]
    pub allocation: Allocation,
    pub deadlines: Vec<DueDocument>,
}

/// Adds to each allocation what it owes.
pub fn with_deadlines(conn: &mut DbConnection, allocations: Vec<Allocation>) -> Result<Vec<AllocationView>, Error> {
    let owing: Vec<Owing> = allocations
        .iter()
        .map(|a| Owing {
            allocation_id: a.id,
            partnership_id: a.partnership_id,
            partnership: a.partnership.clone(),
            fund_year: a.fund_year.clone(),
        })
        .collect();
    let mut owed = deadlines::of_allocations(conn, &owing)?;
    Ok(allocations
        .into_iter()
        .map(|allocation| AllocationView {
            deadlines: owed.remove(&allocation.id).unwrap_or_default(),
            allocation,
        })
        .collect())
}

/// One allocation with what it owes.
pub fn with_deadline(conn: &mut DbConnection, allocation: Allocation) -> Result<AllocationView, Error> {
    with_deadlines(conn, vec![allocation])?
        .pop()
        .ok_or_else(|| Error::internal("an allocation went missing"))
}

#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"fund_year_id": 1, "partnership_id": 1, "grant": "400568.00",
    "carry_forward": "27678.00", "carry_forward_purpose": "MARAC co-ordinator and IDVA hours"}))]
pub struct NewAllocation {
    pub fund_year_id: i64,
    pub partnership_id: i64,
    pub grant: Money,
    /// Default "0.00".
    #[serde(default)]
    pub carry_forward: Money,
    /// Required when carry_forward is more than zero.
    pub carry_forward_purpose: Option<String>,
    /// The finance system's own reference for it, 1 to 100 characters.
    #[serde(default)]
    pub external_reference: Option<String>,
}

/// Amounts to change; absent fields keep their value.
#[derive(Deserialize, ToSchema, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct AllocationChanges {
    pub grant: Option<Money>,
    pub carry_forward: Option<Money>,
    pub carry_forward_purpose: Option<String>,
    /// The finance system's own reference; null removes it.
    #[serde(default, deserialize_with = "crate::patch::present")]
    #[schema(value_type = Option<String>)]
    pub external_reference: Option<Option<String>>,
}

#[derive(Deserialize, IntoParams, Debug, Default)]
#[into_params(parameter_in = Query)]
pub struct AllocationFilter {
    /// A fund year label, e.g. 2021-22.
    pub fund_year: Option<String>,
    pub partnership_id: Option<i64>,
    /// Only those with this external reference (exactly).
    pub external_reference: Option<String>,
}

fn view((row, fund_year, partnership): (AllocationRow, String, String)) -> Allocation {
    Allocation {
        id: row.id,
        fund_year_id: row.fund_year_id,
        fund_year,
        partnership_id: row.partnership_id,
        partnership,
        grant: row.grant_pence,
        carry_forward: row.carry_forward_pence,
        carry_forward_purpose: row.carry_forward_purpose,
        available: Money::sum([row.grant_pence, row.carry_forward_pence]).unwrap_or(Money::ZERO),
        external_reference: row.external_reference,
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
    }
}

fn check_amounts(v: &mut Violations, grant: Money, carry_forward: Money, purpose: Option<&str>) {
    v.check(
        carry_forward == Money::ZERO || purpose.is_some_and(|p| !p.trim().is_empty()),
        "carry_forward_purpose",
        "required",
        "is required when money is carried forward",
    );
    v.optional_text("carry_forward_purpose", purpose, MAX_PURPOSE);
    v.check(
        Money::sum([grant, carry_forward]).is_some(),
        "carry_forward",
        "max_amount",
        "grant plus carry-forward is too large",
    );
}

/// The allocation, whoever may see it: for rules run on a document already located. A handler
/// answers with [`get`], which checks the caller may see it.
pub fn find_unscoped(conn: &mut DbConnection, id: i64) -> Result<Option<Allocation>, Error> {
    Ok(allocations::table
        .inner_join(fund_years::table)
        .inner_join(partnerships::table)
        .filter(allocations::id.eq(id))
        .select((AllocationRow::as_select(), fund_years::label, partnerships::name))
        .first(conn)
        .optional()?
        .map(view))
}

/// The allocation, if the caller may see it.
pub fn get(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<Allocation, Error> {
    let allocation = find_unscoped(conn, id)?.ok_or(Error::NotFound("allocation"))?;
    caller.ensure_visible(allocation.partnership_id, "allocation")?;
    Ok(allocation)
}

/// An allocation named in a request body: one the caller cannot see is reported on the field,
/// exactly as one that does not exist.
pub fn referenced(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<Allocation, Error> {
    get(conn, caller, id).map_err(|e| match e {
        Error::NotFound(_) => Error::invalid(
            "allocation_id",
            "exists",
            format!("no allocation {id} is visible to you"),
        ),
        other => other,
    })
}

pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &AllocationFilter,
    page: &PageRequest,
) -> Result<Page<Allocation>, Error> {
    let mut query = allocations::table
        .inner_join(fund_years::table)
        .inner_join(partnerships::table)
        .select((
            AllocationRow::as_select(),
            fund_years::label,
            partnerships::name,
            allocations::revision,
        ))
        .into_boxed();
    if let Some(label) = &filter.fund_year {
        query = query.filter(fund_years::label.eq(label.clone()));
    }
    if let Some(id) = filter.partnership_id {
        query = query.filter(allocations::partnership_id.eq(id));
    }
    if let Some(reference) = &filter.external_reference {
        query = query.filter(allocations::external_reference.eq(reference.clone()));
    }
    if let Some(only) = caller.scope().confined_to() {
        query = query.filter(allocations::partnership_id.eq(only));
    }
    let rows: Vec<(AllocationRow, String, String, i64)> = in_page_order!(query, allocations, page).load(conn)?;
    Ok(Page::from_rows(
        rows,
        page,
        |r| page.position(r.0.id, r.3),
        |(row, label, name, _)| view((row, label, name)),
    ))
}

pub fn create(conn: &mut DbConnection, caller: &Caller, new: &NewAllocation) -> Result<Allocation, Error> {
    caller.require_admin()?;
    let mut v = Violations::new();
    check_amounts(
        &mut v,
        new.grant,
        new.carry_forward,
        new.carry_forward_purpose.as_deref(),
    );
    external_references::check(&mut v, new.external_reference.as_deref());
    v.finish()?;
    write_transaction(conn, |conn| {
        let mut v = Violations::new();
        v.check(
            years::find(conn, new.fund_year_id)?.is_some(),
            "fund_year_id",
            "exists",
            "no fund year has this id",
        );
        v.check(
            partnership_records::find_unscoped(conn, new.partnership_id)?.is_some(),
            "partnership_id",
            "exists",
            "no partnership has this id",
        );
        let existing = allocations::table
            .filter(allocations::fund_year_id.eq(new.fund_year_id))
            .filter(allocations::partnership_id.eq(new.partnership_id))
            .select(allocations::id)
            .first::<i64>(conn)
            .optional()?;
        v.check(
            existing.is_none(),
            "partnership_id",
            "one_per_fund_year",
            "the partnership already has an allocation for this fund year",
        );
        v.finish()?;
        let now = timestamps::now();
        let id: i64 = diesel::insert_into(allocations::table)
            .values((
                allocations::fund_year_id.eq(new.fund_year_id),
                allocations::partnership_id.eq(new.partnership_id),
                allocations::grant_pence.eq(new.grant),
                allocations::carry_forward_pence.eq(new.carry_forward),
                allocations::carry_forward_purpose.eq(new.carry_forward_purpose.as_deref().map(str::trim)),
                allocations::external_reference.eq(external_references::stored(new.external_reference.as_deref())),
                allocations::created_at.eq(now),
                allocations::updated_at.eq(now),
            ))
            .returning(allocations::id)
            .get_result(conn)?;
        let created = find_unscoped(conn, id)?.ok_or(Error::NotFound("allocation"))?;
        history::record_change(conn, caller, record(&created), Action::Created, None, &created)?;
        Ok(created)
    })
}

fn record(allocation: &Allocation) -> history::Record<'static> {
    history::Record {
        kind: "allocation",
        id: allocation.id,
        partnership_id: Some(allocation.partnership_id),
    }
}

/// Holds the allocation's row until the transaction ends. Every write whose rules read the
/// allocation's documents (claims within the grant, plan lines within it, a grant cut above
/// what is committed) holds it before reading, so two such writes on one allocation run one
/// after the other. SQLite's single writer already serialises them; PostgreSQL needs the lock.
pub fn hold(conn: &mut DbConnection, id: i64) -> Result<(), Error> {
    if let DbConnection::Pg(pg) = conn {
        diesel::sql_query("SELECT id FROM allocations WHERE id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::BigInt, _>(id)
            .execute(pg)?;
    }
    Ok(())
}

/// What is already committed against an allocation: its plan lines and its claims.
fn committed(conn: &mut DbConnection, id: i64) -> Result<(Money, Money), Error> {
    let planned: Vec<Money> = plan_lines::table
        .inner_join(plans::table)
        .filter(plans::allocation_id.eq(id))
        .select(plan_lines::amount_pence)
        .load(conn)?;
    let claimed: Vec<Money> = half_year_returns::table
        .filter(half_year_returns::allocation_id.eq(id))
        .select(half_year_returns::amount_claimed_pence)
        .load(conn)?;
    let total = |amounts: Vec<Money>| Money::sum(amounts).ok_or_else(|| Error::internal("allocation sum overflow"));
    Ok((total(planned)?, total(claimed)?))
}

pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    expected: &Precondition,
    changes: &AllocationChanges,
) -> Result<Allocation, Error> {
    caller.require_admin()?;
    write_transaction(conn, |conn| {
        hold(conn, id)?;
        let current = find_unscoped(conn, id)?.ok_or(Error::NotFound("allocation"))?;
        expected.ensure(current.version)?;
        let grant = changes.grant.unwrap_or(current.grant);
        let carry_forward = changes.carry_forward.unwrap_or(current.carry_forward);
        let purpose = changes
            .carry_forward_purpose
            .clone()
            .or(current.carry_forward_purpose.clone());
        let mut v = Violations::new();
        check_amounts(&mut v, grant, carry_forward, purpose.as_deref());
        if let Some(reference) = &changes.external_reference {
            external_references::check(&mut v, reference.as_deref());
        }
        let external_reference = match &changes.external_reference {
            Some(reference) => external_references::stored(reference.as_deref()),
            None => current.external_reference.clone(),
        };
        let (planned, claimed) = committed(conn, id)?;
        let available = Money::sum([grant, carry_forward]).unwrap_or(Money::ZERO);
        v.check(
            available >= planned && available >= claimed,
            "grant",
            "below_committed",
            format!("grant plus carry-forward ({available}) must cover the plan lines ({planned}) and the claims ({claimed})"),
        );
        v.finish()?;
        // Held since the start of the transaction, so the version read is still current.
        diesel::update(allocations::table.find(id))
            .set((
                allocations::version.eq(current.version + 1),
                allocations::grant_pence.eq(grant),
                allocations::carry_forward_pence.eq(carry_forward),
                allocations::carry_forward_purpose.eq(purpose.as_deref().map(str::trim)),
                allocations::external_reference.eq(external_reference),
                allocations::updated_at.eq(timestamps::now()),
            ))
            .execute(conn)?;
        let updated = find_unscoped(conn, id)?.ok_or(Error::NotFound("allocation"))?;
        history::record_change(conn, caller, record(&updated), Action::Edited, Some(&current), &updated)?;
        Ok(updated)
    })
}
