//! Reading plans: their rows, one plan assembled from them, and the list.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::allocations::Allocation;
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::deadlines::{self, Deadline, Placed};
use crate::documents::{DocumentFilter, DocumentHeader, DocumentKind, Named, document_head};
use crate::error::Error;
use crate::measures::{Comparison, Measure, describe_target, stored_comparison, stored_target};
use crate::money::Money;
use crate::pagination::{Page, PageRequest};
use crate::priority_sets::Priority;
use crate::schema::{
    allocations as allocation_rows, plan_line_indicators, plan_line_priorities, plan_line_recommendations,
    plan_line_sub_allocations, plan_lines, plans, priorities,
};
use crate::timestamps;
use crate::workflow::Status;

use crate::plans::model::*;

// ---- Rows ----

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = plans, check_for_backend(crate::db::MultiBackend))]
pub(super) struct PlanRow {
    id: i64,
    allocation_id: i64,
    pub(super) status: Status,
    pub(super) version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    approved_pence: Option<Money>,
    approved_at: Option<NaiveDateTime>,
    review_comment: String,
    /// Where its last change stands among all changes: the order `updated_since` lists in.
    revision: i64,
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = plan_lines, check_for_backend(crate::db::MultiBackend))]
pub(in crate::plans) struct LineRow {
    pub(in crate::plans) id: i64,
    pub(in crate::plans) number: i32,
    pub(in crate::plans) title: String,
    pub(in crate::plans) outline: String,
    pub(in crate::plans) amount_pence: Money,
    pub(in crate::plans) provider: Option<String>,
    pub(in crate::plans) total_contract_value_pence: Option<Money>,
    pub(in crate::plans) outcome_measures: String,
    pub(in crate::plans) decision: Option<Decision>,
    pub(in crate::plans) decision_comment: String,
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = plan_line_indicators, check_for_backend(crate::db::MultiBackend))]
pub(in crate::plans) struct IndicatorRow {
    pub(in crate::plans) id: i64,
    pub(in crate::plans) plan_line_id: i64,
    pub(in crate::plans) number: i32,
    pub(in crate::plans) name: String,
    pub(in crate::plans) comparison: Option<String>,
    pub(in crate::plans) target: Option<String>,
    pub(in crate::plans) unit: String,
}

impl IndicatorRow {
    pub(in crate::plans) fn comparison(&self) -> Option<Comparison> {
        stored_comparison(self.comparison.as_deref())
    }

    pub(in crate::plans) fn target(&self) -> Option<Measure> {
        stored_target(self.target.as_deref())
    }
}

// ---- Reading ----

pub(in crate::plans) fn load_lines(conn: &mut DbConnection, plan_id: i64) -> Result<Vec<LineRow>, Error> {
    Ok(plan_lines::table
        .filter(plan_lines::plan_id.eq(plan_id))
        .order(plan_lines::number)
        .select(LineRow::as_select())
        .load(conn)?)
}

/// The recommendation each of these lines carries out, for those that carry one out.
pub(in crate::plans) fn recommendations_by_line(
    conn: &mut DbConnection,
    line_ids: &[i64],
) -> Result<HashMap<i64, i64>, Error> {
    Ok(plan_line_recommendations::table
        .filter(plan_line_recommendations::plan_line_id.eq_any(line_ids))
        .select((
            plan_line_recommendations::plan_line_id,
            plan_line_recommendations::recommendation_id,
        ))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect())
}

pub(in crate::plans) fn indicators_by_line(
    conn: &mut DbConnection,
    lines: &[LineRow],
) -> Result<HashMap<i64, Vec<IndicatorRow>>, Error> {
    let ids: Vec<i64> = lines.iter().map(|l| l.id).collect();
    let mut by_line: HashMap<i64, Vec<IndicatorRow>> = HashMap::new();
    for row in plan_line_indicators::table
        .filter(plan_line_indicators::plan_line_id.eq_any(&ids))
        .order(plan_line_indicators::number)
        .select(IndicatorRow::as_select())
        .load::<IndicatorRow>(conn)?
    {
        by_line.entry(row.plan_line_id).or_default().push(row);
    }
    Ok(by_line)
}

pub(super) fn sub_allocations_by_line(
    conn: &mut DbConnection,
    line_ids: &[i64],
) -> Result<HashMap<i64, Vec<SubAllocation>>, Error> {
    let mut by_line: HashMap<i64, Vec<SubAllocation>> = HashMap::new();
    for (line_id, label, amount) in plan_line_sub_allocations::table
        .filter(plan_line_sub_allocations::plan_line_id.eq_any(line_ids))
        .order((
            plan_line_sub_allocations::plan_line_id,
            plan_line_sub_allocations::position,
        ))
        .select((
            plan_line_sub_allocations::plan_line_id,
            plan_line_sub_allocations::label,
            plan_line_sub_allocations::amount_pence,
        ))
        .load::<(i64, String, Money)>(conn)?
    {
        by_line
            .entry(line_id)
            .or_default()
            .push(SubAllocation { label, amount });
    }
    Ok(by_line)
}

/// The priorities each line cites, in priority number order.
pub(super) fn priorities_by_line(
    conn: &mut DbConnection,
    line_ids: &[i64],
) -> Result<HashMap<i64, Vec<Priority>>, Error> {
    let mut by_line: HashMap<i64, Vec<Priority>> = HashMap::new();
    for (line_id, number, title) in plan_line_priorities::table
        .inner_join(priorities::table)
        .filter(plan_line_priorities::plan_line_id.eq_any(line_ids))
        .order((plan_line_priorities::plan_line_id, priorities::number))
        .select((
            plan_line_priorities::plan_line_id,
            priorities::number,
            priorities::title,
        ))
        .load::<(i64, i32, String)>(conn)?
    {
        by_line.entry(line_id).or_default().push(Priority { number, title });
    }
    Ok(by_line)
}

pub(super) fn totals(available: Money, amounts: impl IntoIterator<Item = Money>) -> Result<PlanTotals, Error> {
    let allocated = Money::sum(amounts).ok_or_else(|| Error::internal("plan total overflow"))?;
    Ok(PlanTotals {
        available,
        allocated,
        unallocated: available
            .checked_sub(allocated)
            .ok_or_else(|| Error::internal("plan total overflow"))?,
    })
}

/// The plan's row with its allocation and deadline, or `None`: one statement, joining the
/// allocation, its fund year and partnership, and the plan's "submitted" snapshots (a row each,
/// the earliest being its first submission).
pub(super) fn head(conn: &mut DbConnection, id: i64) -> Result<Option<(PlanRow, Allocation, Deadline)>, Error> {
    Ok(document_head!(conn, plans, PlanRow, DocumentKind::Plan, id, placed))
}

/// What a row under a plan's line is.
const SUB_ALLOCATION: i32 = 0;
const PRIORITY: i32 = 1;
const INDICATOR: i32 = 2;

/// A row under a plan's line, in the one shape of [`plan_details!`]: line id, which kind of row,
/// its number (a sub-allocation's position), its text (label, title or name), a
/// sub-allocation's amount, and an indicator's comparison, target and unit.
type DetailRow = (
    i64,
    i32,
    i32,
    String,
    Option<Money>,
    Option<String>,
    Option<String>,
    String,
);

/// Everything under a plan's lines (sub-allocations, cited priorities, indicators) as one
/// `UNION ALL`. diesel's multi-backend connection cannot write a UNION, so the query is written
/// once here and run on the connection underneath, where it is prepared and cached like the rest.
macro_rules! plan_details {
    ($plan_id:expr) => {{
        use diesel::sql_types::{BigInt, Integer, Nullable, Text};
        // Sub-allocations come last: their amount column gives the branches' NULLs their type
        // even when the statement is replayed with its parameters written out (bench/load).
        plan_line_priorities::table
            .inner_join(priorities::table)
            .inner_join(plan_lines::table)
            .filter(plan_lines::plan_id.eq($plan_id))
            .select((
                plan_line_priorities::plan_line_id,
                PRIORITY.into_sql::<Integer>(),
                priorities::number,
                priorities::title,
                None::<i64>.into_sql::<Nullable<BigInt>>(),
                None::<String>.into_sql::<Nullable<Text>>(),
                None::<String>.into_sql::<Nullable<Text>>(),
                "".into_sql::<Text>(),
            ))
            .union_all(
                plan_line_indicators::table
                    .inner_join(plan_lines::table)
                    .filter(plan_lines::plan_id.eq($plan_id))
                    .select((
                        plan_line_indicators::plan_line_id,
                        INDICATOR.into_sql::<Integer>(),
                        plan_line_indicators::number,
                        plan_line_indicators::name,
                        None::<i64>.into_sql::<Nullable<BigInt>>(),
                        plan_line_indicators::comparison,
                        plan_line_indicators::target,
                        plan_line_indicators::unit,
                    ))
                    .union_all(
                        plan_line_sub_allocations::table
                            .inner_join(plan_lines::table)
                            .filter(plan_lines::plan_id.eq($plan_id))
                            .select((
                                plan_line_sub_allocations::plan_line_id,
                                SUB_ALLOCATION.into_sql::<Integer>(),
                                plan_line_sub_allocations::position,
                                plan_line_sub_allocations::label,
                                plan_line_sub_allocations::amount_pence.nullable(),
                                None::<String>.into_sql::<Nullable<Text>>(),
                                None::<String>.into_sql::<Nullable<Text>>(),
                                "".into_sql::<Text>(),
                            )),
                    ),
            )
    }};
}

pub(super) fn details(conn: &mut DbConnection, plan_id: i64) -> Result<Vec<DetailRow>, Error> {
    let mut rows: Vec<DetailRow> = match conn {
        DbConnection::Pg(pg) => plan_details!(plan_id).load(pg)?,
        DbConnection::Sqlite(sqlite) => plan_details!(plan_id).load(sqlite)?,
    };
    rows.sort_by_key(|&(line_id, part, number, ..)| (line_id, part, number));
    Ok(rows)
}

/// The plan as clients read it, from its head and two more statements: its lines, and
/// everything under them.
pub(super) fn assemble(
    conn: &mut DbConnection,
    (row, allocation, deadline): (PlanRow, Allocation, Deadline),
) -> Result<Plan, Error> {
    let lines: Vec<(LineRow, Option<i64>)> = plan_lines::table
        .left_join(plan_line_recommendations::table)
        .filter(plan_lines::plan_id.eq(row.id))
        .order(plan_lines::number)
        .select((
            LineRow::as_select(),
            plan_line_recommendations::recommendation_id.nullable(),
        ))
        .load(conn)?;
    let mut subs: HashMap<i64, Vec<SubAllocation>> = HashMap::new();
    let mut cited: HashMap<i64, Vec<Priority>> = HashMap::new();
    let mut indicators: HashMap<i64, Vec<Indicator>> = HashMap::new();
    for (line_id, part, number, text, amount, comparison, target, unit) in details(conn, row.id)? {
        match (part, amount) {
            (SUB_ALLOCATION, Some(amount)) => subs
                .entry(line_id)
                .or_default()
                .push(SubAllocation { label: text, amount }),
            (PRIORITY, _) => cited.entry(line_id).or_default().push(Priority { number, title: text }),
            (INDICATOR, _) => indicators.entry(line_id).or_default().push(indicator(
                number,
                text,
                comparison.as_deref(),
                target.as_deref(),
                unit,
            )),
            _ => return Err(Error::internal("a plan line detail of no known kind")),
        }
    }
    let totals = totals(allocation.available, lines.iter().map(|(l, _)| l.amount_pence))?;
    let review = PlanReview {
        decisions: lines
            .iter()
            .filter_map(|(l, _)| {
                l.decision.map(|decision| LineDecision {
                    line: l.number,
                    decision,
                    comment: l.decision_comment.clone(),
                })
            })
            .collect(),
        approved_amount: row.approved_pence,
        approved_at: row.approved_at.map(timestamps::utc),
        comment: row.review_comment.clone(),
    };
    let lines = lines
        .into_iter()
        .map(|(line, recommendation_id)| {
            let sub_allocations = subs.remove(&line.id).unwrap_or_default();
            PlanLine {
                recommendation_id,
                sub_allocated: Money::sum(sub_allocations.iter().map(|s| s.amount)).unwrap_or(Money::ZERO),
                opcc_share_percent: line
                    .total_contract_value_pence
                    .and_then(|total| line.amount_pence.percent_of(total)),
                priorities: cited.remove(&line.id).unwrap_or_default(),
                indicators: indicators.remove(&line.id).unwrap_or_default(),
                sub_allocations,
                number: line.number,
                title: line.title,
                outline: line.outline,
                amount: line.amount_pence,
                provider: line.provider,
                total_contract_value: line.total_contract_value_pence,
                outcome_measures: line.outcome_measures,
            }
        })
        .collect();
    Ok(Plan {
        header: DocumentHeader::of(crate::documents::stored!(row), &allocation, deadline),
        allowed_transitions: Vec::new(),
        lines,
        totals,
        review,
        created_at: row.created_at,
    })
}

/// An indicator as clients read it, with its target in words.
pub(super) fn indicator(
    number: i32,
    name: String,
    comparison: Option<&str>,
    target: Option<&str>,
    unit: String,
) -> Indicator {
    let comparison = stored_comparison(comparison);
    let target = stored_target(target);
    Indicator {
        target_text: comparison.zip(target).map(|(c, t)| describe_target(c, t, &unit)),
        comparison,
        target,
        number,
        name,
        unit,
    }
}

pub(super) fn placed(row: &PlanRow) -> Placed {
    Placed {
        id: row.id,
        allocation_id: row.allocation_id,
        half: None,
        status: row.status,
    }
}

pub(super) fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &DocumentFilter,
    page: &PageRequest,
) -> Result<Page<PlanSummary>, Error> {
    let rows: Vec<(PlanRow, Named, Money, Money)> = crate::documents::document_list!(
        conn,
        caller,
        filter,
        page,
        plans,
        PlanRow,
        allocation_rows::grant_pence,
        allocation_rows::carry_forward_pence
    );
    let plan_ids: Vec<i64> = rows.iter().map(|r| r.0.id).collect();
    let mut amounts: HashMap<i64, Vec<Money>> = HashMap::new();
    for (plan_id, amount) in plan_lines::table
        .filter(plan_lines::plan_id.eq_any(&plan_ids))
        .select((plan_lines::plan_id, plan_lines::amount_pence))
        .load::<(i64, Money)>(conn)?
    {
        amounts.entry(plan_id).or_default().push(amount);
    }
    let placed_rows: Vec<Placed> = rows.iter().map(|r| placed(&r.0)).collect();
    let mut deadlines = deadlines::of_documents(conn, DocumentKind::Plan, &placed_rows)?;
    let mut summaries = Vec::with_capacity(rows.len());
    for (row, named, grant, carry_forward) in rows {
        let revision = row.revision;
        let lines = amounts.remove(&row.id).unwrap_or_default();
        let available = Money::sum([grant, carry_forward]).ok_or_else(|| Error::internal("allocation overflow"))?;
        let summary = PlanSummary {
            header: DocumentHeader::listed(crate::documents::stored!(row), named, &mut deadlines)?,
            line_count: lines.len(),
            totals: totals(available, lines)?,
        };
        summaries.push((summary, revision));
    }
    Ok(Page::from_rows(
        summaries,
        page,
        |(s, revision)| page.position(s.header.id, *revision),
        |(s, _)| s,
    ))
}

// ---- Writing ----
