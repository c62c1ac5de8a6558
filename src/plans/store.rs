//! A plan's rows and the queries that read and write them.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::allocations::{self, Allocation};
use crate::auth::{Caller, Role};
use crate::db::DbConnection;
use crate::deadlines::{self, Deadline, Placed};
use crate::documents::{self, Document, DocumentFilter, DocumentKind, Located, Place, Unlocated, document_head};
use crate::error::{Error, Violations};
use crate::measures::{Comparison, Measure, describe_target, stored_comparison, stored_target};
use crate::money::Money;
use crate::pagination::{Page, PageRequest};
use crate::priority_sets::{self, Priority};
use crate::schema::{
    allocations as allocation_rows, attachments, final_report_lines, fund_years, half_year_indicator_actuals,
    half_year_projects, partnerships, plan_line_indicators, plan_line_priorities, plan_line_sub_allocations,
    plan_lines, plans, priorities, virements,
};
use crate::workflow::{Status, Transition};

use crate::{fund_years as years, timestamps};

use super::model::*;
use super::rules;

// ---- Rows ----

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = plans, check_for_backend(crate::db::MultiBackend))]
struct PlanRow {
    id: i64,
    allocation_id: i64,
    status: Status,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    approved_pence: Option<Money>,
    approved_at: Option<NaiveDateTime>,
    review_comment: String,
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = plan_lines, check_for_backend(crate::db::MultiBackend))]
pub(super) struct LineRow {
    pub(super) id: i64,
    pub(super) number: i32,
    pub(super) title: String,
    pub(super) outline: String,
    pub(super) amount_pence: Money,
    pub(super) provider: Option<String>,
    pub(super) total_contract_value_pence: Option<Money>,
    pub(super) outcome_measures: String,
    pub(super) decision: Option<Decision>,
    pub(super) decision_comment: String,
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = plan_line_indicators, check_for_backend(crate::db::MultiBackend))]
pub(super) struct IndicatorRow {
    pub(super) id: i64,
    pub(super) plan_line_id: i64,
    pub(super) number: i32,
    pub(super) name: String,
    pub(super) comparison: Option<String>,
    pub(super) target: Option<String>,
    pub(super) unit: String,
}

impl IndicatorRow {
    pub(super) fn comparison(&self) -> Option<Comparison> {
        stored_comparison(self.comparison.as_deref())
    }

    pub(super) fn target(&self) -> Option<Measure> {
        stored_target(self.target.as_deref())
    }
}

// ---- Reading ----

pub(super) fn load_lines(conn: &mut DbConnection, plan_id: i64) -> Result<Vec<LineRow>, Error> {
    Ok(plan_lines::table
        .filter(plan_lines::plan_id.eq(plan_id))
        .order(plan_lines::number)
        .select(LineRow::as_select())
        .load(conn)?)
}

pub(super) fn indicators_by_line(
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

fn sub_allocations_by_line(
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
fn priorities_by_line(conn: &mut DbConnection, line_ids: &[i64]) -> Result<HashMap<i64, Vec<Priority>>, Error> {
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

fn totals(available: Money, amounts: impl IntoIterator<Item = Money>) -> Result<PlanTotals, Error> {
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
fn head(conn: &mut DbConnection, id: i64) -> Result<Option<(PlanRow, Allocation, Deadline)>, Error> {
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

fn details(conn: &mut DbConnection, plan_id: i64) -> Result<Vec<DetailRow>, Error> {
    let mut rows: Vec<DetailRow> = match conn {
        DbConnection::Pg(pg) => plan_details!(plan_id).load(pg)?,
        DbConnection::Sqlite(sqlite) => plan_details!(plan_id).load(sqlite)?,
    };
    rows.sort_by_key(|&(line_id, part, number, ..)| (line_id, part, number));
    Ok(rows)
}

/// The plan as clients read it, from its head and two more statements: its lines, and
/// everything under them.
fn assemble(
    conn: &mut DbConnection,
    (row, allocation, deadline): (PlanRow, Allocation, Deadline),
) -> Result<Plan, Error> {
    let lines = load_lines(conn, row.id)?;
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
    let totals = totals(allocation.available, lines.iter().map(|l| l.amount_pence))?;
    let review = PlanReview {
        decisions: lines
            .iter()
            .filter_map(|l| {
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
        .map(|line| {
            let sub_allocations = subs.remove(&line.id).unwrap_or_default();
            PlanLine {
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
        id: row.id,
        allocation_id: row.allocation_id,
        fund_year: allocation.fund_year,
        partnership_id: allocation.partnership_id,
        partnership: allocation.partnership,
        deadline,
        status: row.status,
        version: row.version,
        allowed_transitions: Vec::new(),
        lines,
        totals,
        review,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// An indicator as clients read it, with its target in words.
fn indicator(number: i32, name: String, comparison: Option<&str>, target: Option<&str>, unit: String) -> Indicator {
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

fn placed(row: &PlanRow) -> Placed {
    Placed {
        id: row.id,
        allocation_id: row.allocation_id,
        half: None,
        status: row.status,
    }
}

impl Document for Plan {
    const KIND: DocumentKind = DocumentKind::Plan;
    const SIGNING: Transition = Transition::Submit;
    type Input = PlanInput;
    type Summary = PlanSummary;

    fn place(conn: &mut DbConnection, id: i64, _: Unlocated) -> Result<Option<Place>, Error> {
        Ok(plans::table
            .inner_join(allocation_rows::table)
            .filter(plans::id.eq(id))
            .select((
                plans::allocation_id,
                allocation_rows::partnership_id,
                plans::status,
                plans::version,
            ))
            .first::<(i64, i64, Status, i32)>(conn)
            .optional()?
            .map(|(allocation_id, partnership_id, status, version)| Place {
                allocation_id,
                partnership_id,
                status,
                version,
            }))
    }

    fn read(conn: &mut DbConnection, document: &Located) -> Result<Plan, Error> {
        let head = head(conn, document.id())?.ok_or(Error::NotFound("plan"))?;
        assemble(conn, head)
    }

    fn place_and_read(conn: &mut DbConnection, id: i64, _: Unlocated) -> Result<Option<(Place, Plan)>, Error> {
        let Some((row, allocation, deadline)) = head(conn, id)? else {
            return Ok(None);
        };
        let place = Place::in_allocation(&allocation, row.status, row.version);
        Ok(Some((place, assemble(conn, (row, allocation, deadline))?)))
    }

    fn insert(conn: &mut DbConnection, caller: &Caller, input: &PlanInput) -> Result<i64, Error> {
        insert(conn, caller, input)
    }

    fn update(conn: &mut DbConnection, document: &Located, input: &PlanInput) -> Result<(), Error> {
        update(conn, document, input)
    }

    fn list(
        conn: &mut DbConnection,
        caller: &Caller,
        filter: &DocumentFilter,
        page: &PageRequest,
    ) -> Result<Page<PlanSummary>, Error> {
        list(conn, caller, filter, page)
    }

    fn set_status(conn: &mut DbConnection, document: &Located, status: Status, next: i32) -> Result<usize, Error> {
        Ok(diesel::update(
            plans::table
                .filter(plans::id.eq(document.id()))
                .filter(plans::version.eq(document.version())),
        )
        .set((
            plans::status.eq(status),
            plans::version.eq(next),
            plans::updated_at.eq(timestamps::now()),
        ))
        .execute(conn)?)
    }

    fn set_review_comment(conn: &mut DbConnection, document: &Located, comment: &str) -> Result<(), Error> {
        diesel::update(plans::table.find(document.id()))
            .set(plans::review_comment.eq(comment))
            .execute(conn)?;
        Ok(())
    }

    /// The next review decides every line afresh. The reviewer's comment stays, so the manager
    /// can read what to change.
    fn clear_review(conn: &mut DbConnection, document: &Located) -> Result<(), Error> {
        diesel::update(plan_lines::table.filter(plan_lines::plan_id.eq(document.id())))
            .set((
                plan_lines::decision.eq(None::<String>),
                plan_lines::decision_comment.eq(""),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// A plan can be submitted once it has lines.
    fn ensure_complete(conn: &mut DbConnection, document: &Located) -> Result<(), Error> {
        let lines: i64 = plan_lines::table
            .filter(plan_lines::plan_id.eq(document.id()))
            .count()
            .get_result(conn)?;
        let mut v = Violations::new();
        v.check(
            lines > 0,
            "lines",
            "required_for_submission",
            "a plan needs at least one line to be submitted",
        );
        v.finish()
    }

    /// The form's lines as the partnership wrote them; not the priorities' titles, the totals
    /// or the review.
    fn signed_content(&self) -> Value {
        json!({
            "allocation_id": self.allocation_id,
            "fund_year": self.fund_year,
            "lines": self.lines.iter().map(|line| json!({
                "number": line.number,
                "title": line.title,
                "outline": line.outline,
                "amount": line.amount,
                "sub_allocations": line.sub_allocations,
                "provider": line.provider,
                "total_contract_value": line.total_contract_value,
                "priorities": line.priorities.iter().map(|p| p.number).collect::<Vec<_>>(),
                "outcome_measures": line.outcome_measures,
                "indicators": line.indicators.iter().map(|i| json!({
                    "number": i.number,
                    "name": i.name,
                    "comparison": i.comparison,
                    "target": i.target,
                    "unit": i.unit,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    }

    fn id(&self) -> i64 {
        self.id
    }

    fn version(&self) -> i32 {
        self.version
    }

    fn allowed_transitions(&mut self) -> &mut Vec<Transition> {
        &mut self.allowed_transitions
    }
}

fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &DocumentFilter,
    page: &PageRequest,
) -> Result<Page<PlanSummary>, Error> {
    let mut query = plans::table
        .inner_join(
            allocation_rows::table
                .inner_join(fund_years::table)
                .inner_join(partnerships::table),
        )
        .filter(plans::id.gt(page.after))
        .order(plans::id)
        .limit(page.fetch())
        .select((
            PlanRow::as_select(),
            allocation_rows::partnership_id,
            partnerships::name,
            fund_years::label,
            allocation_rows::grant_pence,
            allocation_rows::carry_forward_pence,
        ))
        .into_boxed();
    if let Some(label) = &filter.fund_year {
        query = query.filter(fund_years::label.eq(label.clone()));
    }
    if let Some(ids) = filter.partnerships(caller) {
        query = query.filter(allocation_rows::partnership_id.eq_any(ids));
    }
    if let Some(status) = filter.status {
        query = query.filter(plans::status.eq(status));
    }
    let rows: Vec<(PlanRow, i64, String, String, Money, Money)> = query.load(conn)?;
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
    for (row, partnership_id, partnership, fund_year, grant, carry_forward) in rows {
        let lines = amounts.remove(&row.id).unwrap_or_default();
        let available = Money::sum([grant, carry_forward]).ok_or_else(|| Error::internal("allocation overflow"))?;
        summaries.push(PlanSummary {
            id: row.id,
            allocation_id: row.allocation_id,
            fund_year,
            partnership_id,
            partnership,
            deadline: deadlines
                .remove(&row.id)
                .ok_or_else(|| Error::internal("a plan without a deadline"))?,
            status: row.status,
            version: row.version,
            line_count: lines.len(),
            totals: totals(available, lines)?,
            updated_at: row.updated_at,
        });
    }
    Ok(Page::from_rows(summaries, page, |s| s.id, |s| s))
}

// ---- Writing ----

/// The fund year's priority numbers and their ids, for checking and storing citations.
pub(super) fn priority_ids(conn: &mut DbConnection, allocation: &Allocation) -> Result<HashMap<i32, i64>, Error> {
    let year = years::of_allocation(conn, allocation.fund_year_id)?;
    Ok(priority_sets::priorities_of(conn, year.priority_set_id)?
        .into_iter()
        .map(|p| (p.number, p.id))
        .collect())
}

pub(super) fn check(lines: &[PlanLineInput], allocation: &Allocation, priorities: &HashMap<i32, i64>) -> Violations {
    let numbers: BTreeSet<i32> = priorities.keys().copied().collect();
    let mut v = Violations::new();
    rules::check_lines(&mut v, lines, allocation.available, &numbers);
    v
}

fn insert(conn: &mut DbConnection, caller: &Caller, input: &PlanInput) -> Result<i64, Error> {
    caller.require(&[Role::CspManager])?;
    let Some(allocation_id) = input.allocation_id else {
        return Err(Error::invalid("allocation_id", "required", "is required"));
    };
    let allocation = allocations::referenced(conn, caller, allocation_id)?;
    allocations::hold(conn, allocation_id)?;
    let priorities = priority_ids(conn, &allocation)?;
    let mut v = check(&input.lines, &allocation, &priorities);
    let existing = plans::table
        .filter(plans::allocation_id.eq(allocation_id))
        .select(plans::id)
        .first::<i64>(conn)
        .optional()?;
    v.check(
        existing.is_none(),
        "allocation_id",
        "one_per_allocation",
        format!(
            "the allocation already has a plan (id {})",
            existing.unwrap_or_default()
        ),
    );
    v.finish()?;
    let now = timestamps::now();
    let id: i64 = diesel::insert_into(plans::table)
        .values((
            plans::allocation_id.eq(allocation_id),
            plans::status.eq(Status::Draft),
            plans::version.eq(1),
            plans::created_at.eq(now),
            plans::updated_at.eq(now),
        ))
        .returning(plans::id)
        .get_result(conn)?;
    write_lines(conn, id, &input.lines, &priorities)?;
    Ok(id)
}

/// Replaces a draft plan's lines. Lines keep their identity by number, so returns and reports
/// that cite a line still do; a cited line cannot be removed.
fn update(conn: &mut DbConnection, document: &Located, input: &PlanInput) -> Result<(), Error> {
    let allocation = allocations::find_unscoped(conn, document.allocation_id())?.ok_or(Error::NotFound("plan"))?;
    let priorities = priority_ids(conn, &allocation)?;
    let mut v = check(&input.lines, &allocation, &priorities);
    documents::check_unchanged(&mut v, "allocation_id", input.allocation_id, document.allocation_id());
    v.finish()?;
    write_lines(conn, document.id(), &input.lines, &priorities)
}

/// Why a line or indicator cannot be removed, if something cites it.
fn line_citations(conn: &mut DbConnection, line_id: i64) -> Result<Option<&'static str>, Error> {
    let count = |n: i64| n > 0;
    if count(
        half_year_projects::table
            .filter(half_year_projects::plan_line_id.eq(line_id))
            .count()
            .get_result(conn)?,
    ) {
        return Ok(Some("a half-year return reports on it"));
    }
    if count(
        final_report_lines::table
            .filter(final_report_lines::plan_line_id.eq(line_id))
            .count()
            .get_result(conn)?,
    ) {
        return Ok(Some("a final report reports on it"));
    }
    let moved = virements::table
        .filter(
            virements::from_plan_line_id
                .eq(line_id)
                .or(virements::to_plan_line_id.eq(line_id)),
        )
        .count()
        .get_result(conn)?;
    if count(moved) {
        return Ok(Some("a virement moves money to or from it"));
    }
    if count(
        attachments::table
            .filter(attachments::plan_line_id.eq(line_id))
            .count()
            .get_result(conn)?,
    ) {
        return Ok(Some("evidence is attached to it"));
    }
    Ok(None)
}

/// Writes a plan's lines as the input has them, touching only the rows whose content changed:
/// a save of a long plan that edits one line costs a handful of statements, not hundreds.
pub(super) fn write_lines(
    conn: &mut DbConnection,
    plan_id: i64,
    lines: &[PlanLineInput],
    priorities: &HashMap<i32, i64>,
) -> Result<(), Error> {
    let existing = load_lines(conn, plan_id)?;
    let ids: Vec<i64> = existing.iter().map(|l| l.id).collect();
    let mut stored_subs = sub_allocations_by_line(conn, &ids)?;
    let mut stored_priorities = priorities_by_line(conn, &ids)?;
    let mut stored_indicators = indicators_by_line(conn, &existing)?;
    let mut v = Violations::new();
    for old in existing
        .iter()
        .filter(|old| lines.iter().all(|l| l.number != old.number))
    {
        match line_citations(conn, old.id)? {
            Some(reason) => v.add(
                "lines",
                "in_use",
                format!("line {} cannot be removed: {reason}", old.number),
            ),
            None => {
                diesel::delete(
                    plan_line_sub_allocations::table.filter(plan_line_sub_allocations::plan_line_id.eq(old.id)),
                )
                .execute(conn)?;
                diesel::delete(plan_line_priorities::table.filter(plan_line_priorities::plan_line_id.eq(old.id)))
                    .execute(conn)?;
                diesel::delete(plan_line_indicators::table.filter(plan_line_indicators::plan_line_id.eq(old.id)))
                    .execute(conn)?;
                diesel::delete(plan_lines::table.find(old.id)).execute(conn)?;
            }
        }
    }
    for (i, line) in lines.iter().enumerate() {
        let values = (
            plan_lines::title.eq(line.title.trim()),
            plan_lines::outline.eq(line.outline.trim()),
            plan_lines::amount_pence.eq(line.amount),
            plan_lines::provider.eq(line.provider.as_deref().map(str::trim)),
            plan_lines::total_contract_value_pence.eq(line.total_contract_value),
            plan_lines::outcome_measures.eq(line.outcome_measures.trim()),
        );
        let line_id = match existing.iter().find(|old| old.number == line.number) {
            Some(old) => {
                if !holds(old, line) {
                    diesel::update(plan_lines::table.find(old.id))
                        .set(values)
                        .execute(conn)?;
                }
                old.id
            }
            None => diesel::insert_into(plan_lines::table)
                .values((
                    plan_lines::plan_id.eq(plan_id),
                    plan_lines::number.eq(line.number),
                    values,
                ))
                .returning(plan_lines::id)
                .get_result(conn)?,
        };
        let sub_allocations: Vec<SubAllocation> = line
            .sub_allocations
            .iter()
            .map(|sub| SubAllocation {
                label: sub.label.trim().to_owned(),
                amount: sub.amount,
            })
            .collect();
        if stored_subs.remove(&line_id).unwrap_or_default() != sub_allocations {
            diesel::delete(
                plan_line_sub_allocations::table.filter(plan_line_sub_allocations::plan_line_id.eq(line_id)),
            )
            .execute(conn)?;
            for (position, sub) in (0..).zip(&sub_allocations) {
                diesel::insert_into(plan_line_sub_allocations::table)
                    .values((
                        plan_line_sub_allocations::plan_line_id.eq(line_id),
                        plan_line_sub_allocations::position.eq(position),
                        plan_line_sub_allocations::label.eq(&sub.label),
                        plan_line_sub_allocations::amount_pence.eq(sub.amount),
                    ))
                    .execute(conn)?;
            }
        }
        let cited: BTreeSet<i32> = stored_priorities
            .remove(&line_id)
            .unwrap_or_default()
            .iter()
            .map(|p| p.number)
            .collect();
        if cited != line.priorities.iter().copied().collect() {
            diesel::delete(plan_line_priorities::table.filter(plan_line_priorities::plan_line_id.eq(line_id)))
                .execute(conn)?;
            for number in &line.priorities {
                let priority_id = priorities
                    .get(number)
                    .copied()
                    .ok_or(Error::Internal("priority checked above".into()))?;
                diesel::insert_into(plan_line_priorities::table)
                    .values((
                        plan_line_priorities::plan_line_id.eq(line_id),
                        plan_line_priorities::priority_id.eq(priority_id),
                    ))
                    .execute(conn)?;
            }
        }
        let indicators = stored_indicators.remove(&line_id).unwrap_or_default();
        write_indicators(conn, &mut v, i, line_id, line, &indicators)?;
    }
    v.finish()
}

/// Whether a stored line already holds what the input says of it (texts as stored, trimmed).
fn holds(stored: &LineRow, line: &PlanLineInput) -> bool {
    stored.title == line.title.trim()
        && stored.outline == line.outline.trim()
        && stored.amount_pence == line.amount
        && stored.provider.as_deref() == line.provider.as_deref().map(str::trim)
        && stored.total_contract_value_pence == line.total_contract_value
        && stored.outcome_measures == line.outcome_measures.trim()
}

fn write_indicators(
    conn: &mut DbConnection,
    v: &mut Violations,
    i: usize,
    line_id: i64,
    line: &PlanLineInput,
    existing: &[IndicatorRow],
) -> Result<(), Error> {
    for old in existing
        .iter()
        .filter(|old| line.indicators.iter().all(|i| i.number != old.number))
    {
        let reported = half_year_indicator_actuals::table
            .filter(half_year_indicator_actuals::plan_line_indicator_id.eq(old.id))
            .count()
            .get_result::<i64>(conn)?;
        if reported > 0 {
            v.add(
                format!("lines[{i}].indicators"),
                "in_use",
                format!(
                    "indicator {} cannot be removed: a half-year return reports an actual against it",
                    old.number
                ),
            );
        } else {
            diesel::delete(plan_line_indicators::table.find(old.id)).execute(conn)?;
        }
    }
    for indicator in &line.indicators {
        let values = (
            plan_line_indicators::name.eq(indicator.name.trim()),
            plan_line_indicators::comparison.eq(indicator.comparison.map(Comparison::as_str)),
            plan_line_indicators::target.eq(indicator.target.map(|t| t.to_string())),
            plan_line_indicators::unit.eq(indicator.unit.trim()),
        );
        match existing.iter().find(|old| old.number == indicator.number) {
            Some(old) => {
                let unchanged = old.name == indicator.name.trim()
                    && old.comparison.as_deref() == indicator.comparison.map(Comparison::as_str)
                    && old.target == indicator.target.map(|t| t.to_string())
                    && old.unit == indicator.unit.trim();
                if !unchanged {
                    diesel::update(plan_line_indicators::table.find(old.id))
                        .set(values)
                        .execute(conn)?;
                }
            }
            None => {
                diesel::insert_into(plan_line_indicators::table)
                    .values((
                        plan_line_indicators::plan_line_id.eq(line_id),
                        plan_line_indicators::number.eq(indicator.number),
                        values,
                    ))
                    .execute(conn)?;
            }
        }
    }
    Ok(())
}
