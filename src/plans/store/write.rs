//! Writing plans: a new draft, its lines replaced, and only the rows that changed rewritten.

use std::collections::{BTreeSet, HashMap};

use diesel::prelude::*;

use crate::allocations::{self, Allocation};
use crate::auth::{Caller, Role};
use crate::db::DbConnection;
use crate::documents::{self, Located};
use crate::error::{Error, Violations};
use crate::measures::Comparison;
use crate::priority_sets;
use crate::schema::{
    attachments, final_report_lines, half_year_indicator_actuals, half_year_projects, plan_line_indicators,
    plan_line_priorities, plan_line_sub_allocations, plan_lines, plans, virements,
};
use crate::workflow::Status;
use crate::{fund_years as years, timestamps};

use super::read::{IndicatorRow, LineRow, indicators_by_line, load_lines, priorities_by_line, sub_allocations_by_line};
use crate::plans::model::*;
use crate::plans::rules;

/// The fund year's priority numbers and their ids, for checking and storing citations.
pub(in crate::plans) fn priority_ids(
    conn: &mut DbConnection,
    allocation: &Allocation,
) -> Result<HashMap<i32, i64>, Error> {
    let year = years::of_allocation(conn, allocation.fund_year_id)?;
    Ok(priority_sets::priorities_of(conn, year.priority_set_id)?
        .into_iter()
        .map(|p| (p.number, p.id))
        .collect())
}

pub(in crate::plans) fn check(
    lines: &[PlanLineInput],
    allocation: &Allocation,
    priorities: &HashMap<i32, i64>,
) -> Violations {
    let numbers: BTreeSet<i32> = priorities.keys().copied().collect();
    let mut v = Violations::new();
    rules::check_lines(&mut v, lines, allocation.available, &numbers);
    v
}

pub(super) fn insert(conn: &mut DbConnection, caller: &Caller, input: &PlanInput) -> Result<i64, Error> {
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
pub(super) fn update(conn: &mut DbConnection, document: &Located, input: &PlanInput) -> Result<(), Error> {
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
pub(in crate::plans) fn write_lines(
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
