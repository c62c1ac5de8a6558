//! Reading half-year returns: their rows, one return assembled from them, and the list.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::allocations::Allocation;
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::deadlines::{self, Deadline, Placed};
use crate::documents::{DocumentFilter, DocumentHeader, DocumentKind, Named, document_head};
use crate::error::Error;
use crate::indicators::IndicatorActual;
use crate::money::Money;
use crate::pagination::{Page, PageRequest};
use crate::schema::{
    half_year_expenditure_items, half_year_indicator_actuals, half_year_projects, half_year_returns,
    payments as payment_rows, plan_line_indicators, plan_lines,
};
use crate::workflow::Status;

use crate::half_year_returns::model::*;
use crate::half_year_returns::rules::letter;

// ---- Rows ----

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = half_year_returns, check_for_backend(crate::db::MultiBackend))]
pub(super) struct ReturnRow {
    id: i64,
    pub(super) allocation_id: i64,
    pub(super) half: Half,
    half_year_end: NaiveDate,
    amount_claimed_pence: Money,
    invoice_reference: String,
    pub(super) status: Status,
    pub(super) version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    claim_approved_pence: Option<Money>,
    claim_approved_on: Option<NaiveDate>,
    review_comment: String,
    claim_approval_reason: String,
    /// Where its last change stands among all changes: the order `updated_since` lists in.
    revision: i64,
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = half_year_projects, check_for_backend(crate::db::MultiBackend))]
struct ProjectRow {
    id: i64,
    provider: String,
    provider_status: ProviderStatus,
    commissioning_body: String,
    total_service_funding_pence: Option<Money>,
    intended_outcomes: String,
    how_measured: String,
    extent_achieved: String,
    actions: String,
    rag: Rag,
}

fn sum(amounts: impl IntoIterator<Item = Money>) -> Result<Money, Error> {
    Money::sum(amounts).ok_or_else(|| Error::internal("sum overflow"))
}

/// What the allocation's other returns have claimed.
pub(super) fn claimed_elsewhere(conn: &mut DbConnection, allocation_id: i64, except: i64) -> Result<Money, Error> {
    let claims: Vec<Money> = half_year_returns::table
        .filter(half_year_returns::allocation_id.eq(allocation_id))
        .filter(half_year_returns::id.ne(except))
        .select(half_year_returns::amount_claimed_pence)
        .load(conn)?;
    sum(claims)
}

/// The return's row with its allocation and deadline, or `None`: one statement, joining the
/// allocation, its fund year and partnership, and the return's "submitted" snapshots.
pub(super) fn head(conn: &mut DbConnection, id: i64) -> Result<Option<(ReturnRow, Allocation, Deadline)>, Error> {
    Ok(document_head!(
        conn,
        half_year_returns,
        ReturnRow,
        DocumentKind::HalfYearReturn,
        id,
        placed
    ))
}

/// What a row of [`return_details!`] is.
const ITEM: i32 = 0;
const ACTUAL: i32 = 1;
const CLAIM: i32 = 2;
const PAYMENT: i32 = 3;

/// A row of [`return_details!`]: whose it is (the project of an item or actual, else its own
/// id), which kind of row, an actual's id (the order it was reported in), an item's position or
/// an indicator's number, an item's description or an indicator's name, the amount of an item,
/// claim or payment, and an indicator's comparison, target and unit with the actual.
type DetailRow = (
    i64,
    i32,
    i64,
    i32,
    String,
    Option<Money>,
    Option<String>,
    Option<String>,
    String,
    String,
);

/// Everything a return's projects hold beyond themselves (expenditure items, indicator actuals
/// with their indicators), the claims of every return of its allocation and the payments made
/// against it, as one `UNION ALL` run on the connection underneath (see `plans::store`).
macro_rules! return_details {
    ($return_id:expr, $allocation_id:expr) => {{
        use diesel::sql_types::{BigInt, Integer, Nullable, Text};
        // Actuals come last: their columns give the other branches' constants and NULLs their
        // types even when the statement is replayed with its parameters written out (bench/load).
        half_year_returns::table
            .filter(half_year_returns::allocation_id.eq($allocation_id))
            .select((
                half_year_returns::id,
                CLAIM.into_sql::<Integer>(),
                0_i64.into_sql::<BigInt>(),
                0.into_sql::<Integer>(),
                "".into_sql::<Text>(),
                half_year_returns::amount_claimed_pence.nullable(),
                None::<String>.into_sql::<Nullable<Text>>(),
                None::<String>.into_sql::<Nullable<Text>>(),
                "".into_sql::<Text>(),
                "".into_sql::<Text>(),
            ))
            .union_all(
                payment_rows::table
                    .filter(payment_rows::half_year_return_id.eq($return_id))
                    .select((
                        payment_rows::id,
                        PAYMENT.into_sql::<Integer>(),
                        0_i64.into_sql::<BigInt>(),
                        0.into_sql::<Integer>(),
                        "".into_sql::<Text>(),
                        payment_rows::amount_pence.nullable(),
                        None::<String>.into_sql::<Nullable<Text>>(),
                        None::<String>.into_sql::<Nullable<Text>>(),
                        "".into_sql::<Text>(),
                        "".into_sql::<Text>(),
                    ))
                    .union_all(
                        half_year_expenditure_items::table
                            .inner_join(half_year_projects::table)
                            .filter(half_year_projects::half_year_return_id.eq($return_id))
                            .select((
                                half_year_expenditure_items::half_year_project_id,
                                ITEM.into_sql::<Integer>(),
                                0_i64.into_sql::<BigInt>(),
                                half_year_expenditure_items::position,
                                half_year_expenditure_items::description,
                                half_year_expenditure_items::amount_pence.nullable(),
                                None::<String>.into_sql::<Nullable<Text>>(),
                                None::<String>.into_sql::<Nullable<Text>>(),
                                "".into_sql::<Text>(),
                                "".into_sql::<Text>(),
                            ))
                            .union_all(
                                half_year_indicator_actuals::table
                                    .inner_join(half_year_projects::table)
                                    .inner_join(plan_line_indicators::table)
                                    .filter(half_year_projects::half_year_return_id.eq($return_id))
                                    .select((
                                        half_year_indicator_actuals::half_year_project_id,
                                        ACTUAL.into_sql::<Integer>(),
                                        half_year_indicator_actuals::id,
                                        plan_line_indicators::number,
                                        plan_line_indicators::name,
                                        None::<i64>.into_sql::<Nullable<BigInt>>(),
                                        plan_line_indicators::comparison,
                                        plan_line_indicators::target,
                                        plan_line_indicators::unit,
                                        half_year_indicator_actuals::actual,
                                    )),
                            ),
                    ),
            )
    }};
}

fn details(conn: &mut DbConnection, return_id: i64, allocation_id: i64) -> Result<Vec<DetailRow>, Error> {
    let mut rows: Vec<DetailRow> = match conn {
        DbConnection::Pg(pg) => return_details!(return_id, allocation_id).load(pg)?,
        DbConnection::Sqlite(sqlite) => return_details!(return_id, allocation_id).load(sqlite)?,
    };
    rows.sort_by_key(|&(owner, part, order, number, ..)| (part, owner, order, number));
    Ok(rows)
}

/// What a return's details add up to, by project.
#[derive(Default)]
struct Details {
    items: HashMap<i64, Vec<ExpenditureItem>>,
    actuals: HashMap<i64, Vec<IndicatorActual>>,
    claimed_to_date: Vec<Money>,
    paid: Vec<Money>,
}

impl Details {
    fn of(rows: Vec<DetailRow>) -> Result<Details, Error> {
        let mut details = Details::default();
        for (owner, part, _, number, text, amount, comparison, target, unit, actual) in rows {
            match (part, amount) {
                (ITEM, Some(amount)) => details.items.entry(owner).or_default().push(ExpenditureItem {
                    description: text,
                    amount,
                }),
                (CLAIM, Some(amount)) => details.claimed_to_date.push(amount),
                (PAYMENT, Some(amount)) => details.paid.push(amount),
                (ACTUAL, None) => details
                    .actuals
                    .entry(owner)
                    .or_default()
                    .extend(IndicatorActual::stored(
                        number,
                        text,
                        comparison.as_deref(),
                        target.as_deref(),
                        unit,
                        &actual,
                    )),
                _ => return Err(Error::internal("a return detail of no known kind")),
            }
        }
        Ok(details)
    }
}

/// The return as clients read it, from its head and two more statements: its projects with
/// the plan lines they report on, and everything else under them.
pub(super) fn assemble(
    conn: &mut DbConnection,
    (row, allocation, deadline): (ReturnRow, Allocation, Deadline),
) -> Result<HalfYearReturn, Error> {
    let projects: Vec<(ProjectRow, i32, String, Money)> = half_year_projects::table
        .inner_join(plan_lines::table)
        .filter(half_year_projects::half_year_return_id.eq(row.id))
        .order(half_year_projects::position)
        .select((
            ProjectRow::as_select(),
            plan_lines::number,
            plan_lines::title,
            plan_lines::amount_pence,
        ))
        .load(conn)?;
    let mut details = Details::of(details(conn, row.id, row.allocation_id)?)?;
    let claimed_to_date = sum(details.claimed_to_date)?;
    let mut views = Vec::with_capacity(projects.len());
    for (index, (project, plan_line, title, funding)) in projects.into_iter().enumerate() {
        let expenditure = details.items.remove(&project.id).unwrap_or_default();
        views.push(Project {
            letter: letter(index),
            plan_line,
            title,
            provider: project.provider,
            provider_status: project.provider_status,
            commissioning_body: project.commissioning_body,
            funding,
            share_of_service_percent: project
                .total_service_funding_pence
                .and_then(|total| funding.percent_of(total)),
            total_service_funding: project.total_service_funding_pence,
            expenditure_to_date: sum(expenditure.iter().map(|e| e.amount))?,
            expenditure,
            intended_outcomes: project.intended_outcomes,
            how_measured: project.how_measured,
            extent_achieved: project.extent_achieved,
            indicator_actuals: details.actuals.remove(&project.id).unwrap_or_default(),
            actions: project.actions,
            rag: project.rag,
        });
    }
    let totals = ReturnTotals {
        available: allocation.available,
        allocated: sum(views.iter().map(|p| p.funding))?,
        claimed: row.amount_claimed_pence,
        claimed_to_date,
        unclaimed: allocation
            .available
            .checked_sub(claimed_to_date)
            .ok_or_else(|| Error::internal("claims overflow"))?,
        expenditure_to_date: sum(views.iter().map(|p| p.expenditure_to_date))?,
    };
    Ok(HalfYearReturn {
        header: DocumentHeader::of(crate::documents::stored!(row), &allocation, deadline),
        half: row.half,
        half_year_end: row.half_year_end,
        amount_claimed: row.amount_claimed_pence,
        invoice_reference: row.invoice_reference,
        allowed_transitions: Vec::new(),
        projects: views,
        totals,
        review: ReturnReview {
            claim_approved: row.claim_approved_pence,
            claim_approved_on: row.claim_approved_on,
            claim_approval_reason: row.claim_approval_reason.clone(),
            comment: row.review_comment.clone(),
        },
        payment: ClaimPayment::of(row.amount_claimed_pence, row.claim_approved_pence, sum(details.paid)?),
        created_at: row.created_at,
    })
}

pub(super) fn find_row(conn: &mut DbConnection, id: i64) -> Result<ReturnRow, Error> {
    half_year_returns::table
        .find(id)
        .select(ReturnRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("half-year return"))
}

pub(super) fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &DocumentFilter,
    page: &PageRequest,
) -> Result<Page<HalfYearReturnSummary>, Error> {
    let rows: Vec<(ReturnRow, Named)> =
        crate::documents::document_list!(conn, caller, filter, page, half_year_returns, ReturnRow);
    let placed_rows: Vec<Placed> = rows.iter().map(|r| placed(&r.0)).collect();
    let mut deadlines = deadlines::of_documents(conn, DocumentKind::HalfYearReturn, &placed_rows)?;
    let mut summaries = Vec::with_capacity(rows.len());
    for (row, named) in rows {
        let summary = HalfYearReturnSummary {
            header: DocumentHeader::listed(crate::documents::stored!(row), named, &mut deadlines)?,
            half: row.half,
            half_year_end: row.half_year_end,
            amount_claimed: row.amount_claimed_pence,
        };
        summaries.push((summary, row.revision));
    }
    Ok(Page::from_rows(
        summaries,
        page,
        |(s, revision)| page.position(s.header.id, *revision),
        |(s, _)| s,
    ))
}

fn placed(row: &ReturnRow) -> Placed {
    Placed {
        id: row.id,
        allocation_id: row.allocation_id,
        half: Some(row.half),
        status: row.status,
    }
}
