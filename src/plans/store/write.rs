//! Writing plans: a new draft, its lines replaced, and only the rows that changed rewritten.

use std::collections::{BTreeSet, HashMap};

use diesel::prelude::*;

use crate::allocations::{self, Allocation};
use crate::auth::{Caller, Role};
use crate::commissioning;
use crate::db::DbConnection;
use crate::documents::children::{self, Child};
use crate::documents::{self, Located};
use crate::error::{Error, Violations};
use crate::measures::Comparison;
use crate::priority_sets::{self, Priority};
use crate::schema::{
    attachments, final_report_lines, half_year_indicator_actuals, half_year_projects, plan_line_indicators,
    plan_line_priorities, plan_line_recommendations, plan_line_sub_allocations, plan_lines, plans, virements,
};
use crate::workflow::Status;
use crate::{fund_years as years, timestamps};

use super::read::{
    IndicatorRow, LineRow, indicators_by_line, load_lines, priorities_by_line, recommendations_by_line,
    sub_allocations_by_line,
};
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

/// Checks lines against the money and priorities of their allocation, and the recommendations
/// they carry out against the partnership's agreed commissioning papers.
pub(in crate::plans) fn check(
    conn: &mut DbConnection,
    lines: &[PlanLineInput],
    allocation: &Allocation,
    priorities: &HashMap<i32, i64>,
) -> Result<Violations, Error> {
    let numbers: BTreeSet<i32> = priorities.keys().copied().collect();
    let mut v = Violations::new();
    rules::check_lines(&mut v, lines, allocation.available, &numbers);
    let cited: Vec<(String, i64)> = lines
        .iter()
        .enumerate()
        .filter_map(|(i, line)| Some((format!("lines[{i}].recommendation_id"), line.recommendation_id?)))
        .collect();
    commissioning::check_cited(conn, &mut v, allocation, &cited)?;
    Ok(v)
}

pub(super) fn insert(conn: &mut DbConnection, caller: &Caller, input: &PlanInput) -> Result<i64, Error> {
    caller.require(&[Role::CspManager])?;
    let Some(allocation_id) = input.allocation_id else {
        return Err(Error::invalid("allocation_id", "required", "is required"));
    };
    let allocation = allocations::referenced(conn, caller, allocation_id)?;
    allocations::hold(conn, allocation_id)?;
    let priorities = priority_ids(conn, &allocation)?;
    let mut v = check(conn, &input.lines, &allocation, &priorities)?;
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
    let mut v = check(conn, &input.lines, &allocation, &priorities)?;
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

/// Writes a plan's lines as the input has them, touching only the rows whose content changed
/// (see [`children`]).
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
    let mut stored_recommendations = recommendations_by_line(conn, &ids)?;
    let mut v = Violations::new();
    let changes = children::changes(
        existing.iter().map(|old| (old.number, old)),
        lines.iter().map(|line| (line.number, line)),
        holds,
    );
    for old in changes.removed {
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
                diesel::delete(
                    plan_line_recommendations::table.filter(plan_line_recommendations::plan_line_id.eq(old.id)),
                )
                .execute(conn)?;
                diesel::delete(plan_lines::table.find(old.id)).execute(conn)?;
            }
        }
    }
    for (i, child) in changes.wanted.into_iter().enumerate() {
        let (line_id, line) = match child {
            Child::Unchanged(old, line) => (old.id, line),
            Child::Changed(old, line) => {
                diesel::update(plan_lines::table.find(old.id))
                    .set(line_values(line))
                    .execute(conn)?;
                (old.id, line)
            }
            Child::Added(number, line) => (
                diesel::insert_into(plan_lines::table)
                    .values((
                        plan_lines::plan_id.eq(plan_id),
                        plan_lines::number.eq(number),
                        line_values(line),
                    ))
                    .returning(plan_lines::id)
                    .get_result(conn)?,
                line,
            ),
        };
        let subs = stored_subs.remove(&line_id).unwrap_or_default();
        write_sub_allocations(conn, line_id, &subs, &line.sub_allocations)?;
        let cited = stored_priorities.remove(&line_id).unwrap_or_default();
        write_priorities(conn, line_id, &cited, &line.priorities, priorities)?;
        let indicators = stored_indicators.remove(&line_id).unwrap_or_default();
        write_indicators(conn, &mut v, i, line_id, line, &indicators)?;
        let carried_out = stored_recommendations.remove(&line_id);
        write_recommendation(conn, line_id, carried_out, line.recommendation_id)?;
    }
    v.finish()
}

type LineValues<'a> = (
    diesel::dsl::Eq<plan_lines::title, &'a str>,
    diesel::dsl::Eq<plan_lines::outline, &'a str>,
    diesel::dsl::Eq<plan_lines::amount_pence, crate::money::Money>,
    diesel::dsl::Eq<plan_lines::provider, Option<&'a str>>,
    diesel::dsl::Eq<plan_lines::total_contract_value_pence, Option<crate::money::Money>>,
    diesel::dsl::Eq<plan_lines::outcome_measures, &'a str>,
);

/// A line's columns as stored: texts trimmed.
fn line_values(line: &PlanLineInput) -> LineValues<'_> {
    (
        plan_lines::title.eq(line.title.trim()),
        plan_lines::outline.eq(line.outline.trim()),
        plan_lines::amount_pence.eq(line.amount),
        plan_lines::provider.eq(line.provider.as_deref().map(str::trim)),
        plan_lines::total_contract_value_pence.eq(line.total_contract_value),
        plan_lines::outcome_measures.eq(line.outcome_measures.trim()),
    )
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

/// A line's sub-allocations, by position.
fn write_sub_allocations(
    conn: &mut DbConnection,
    line_id: i64,
    stored: &[SubAllocation],
    wanted: &[SubAllocation],
) -> Result<(), Error> {
    let changes = children::changes((0..).zip(stored), (0..).zip(wanted), |old, sub| {
        old.label == sub.label.trim() && old.amount == sub.amount
    });
    let at = |position: i32| {
        plan_line_sub_allocations::table
            .filter(plan_line_sub_allocations::plan_line_id.eq(line_id))
            .filter(plan_line_sub_allocations::position.eq(position))
    };
    if !changes.removed.is_empty() {
        let kept = i32::try_from(wanted.len()).map_err(|_| Error::internal("too many sub-allocations"))?;
        diesel::delete(
            plan_line_sub_allocations::table
                .filter(plan_line_sub_allocations::plan_line_id.eq(line_id))
                .filter(plan_line_sub_allocations::position.ge(kept)),
        )
        .execute(conn)?;
    }
    for (position, child) in (0..).zip(changes.wanted) {
        let values = |sub: &SubAllocation| {
            (
                plan_line_sub_allocations::label.eq(sub.label.trim().to_owned()),
                plan_line_sub_allocations::amount_pence.eq(sub.amount),
            )
        };
        match child {
            Child::Unchanged(..) => {}
            Child::Changed(_, sub) => {
                diesel::update(at(position)).set(values(sub)).execute(conn)?;
            }
            Child::Added(position, sub) => {
                diesel::insert_into(plan_line_sub_allocations::table)
                    .values((
                        plan_line_sub_allocations::plan_line_id.eq(line_id),
                        plan_line_sub_allocations::position.eq(position),
                        values(sub),
                    ))
                    .execute(conn)?;
            }
        }
    }
    Ok(())
}

/// The recommendation a line carries out, if any: kept, replaced, added or removed.
fn write_recommendation(
    conn: &mut DbConnection,
    line_id: i64,
    stored: Option<i64>,
    wanted: Option<i64>,
) -> Result<(), Error> {
    let of_line = plan_line_recommendations::table.filter(plan_line_recommendations::plan_line_id.eq(line_id));
    match (stored, wanted) {
        (before, after) if before == after => {}
        (Some(_), None) => {
            diesel::delete(of_line).execute(conn)?;
        }
        (Some(_), Some(recommendation)) => {
            diesel::update(of_line)
                .set(plan_line_recommendations::recommendation_id.eq(recommendation))
                .execute(conn)?;
        }
        (None, Some(recommendation)) => {
            diesel::insert_into(plan_line_recommendations::table)
                .values((
                    plan_line_recommendations::plan_line_id.eq(line_id),
                    plan_line_recommendations::recommendation_id.eq(recommendation),
                ))
                .execute(conn)?;
        }
        (None, None) => {}
    }
    Ok(())
}

/// The fund year's priorities a line cites, by number.
fn write_priorities(
    conn: &mut DbConnection,
    line_id: i64,
    stored: &[Priority],
    wanted: &[i32],
    priorities: &HashMap<i32, i64>,
) -> Result<(), Error> {
    let changes = children::changes(
        stored.iter().map(|p| (p.number, p)),
        wanted.iter().map(|n| (*n, n)),
        |_, _| true,
    );
    let priority_id = |number: i32| {
        priorities
            .get(&number)
            .copied()
            .ok_or(Error::Internal("priority checked above".into()))
    };
    for old in changes.removed {
        diesel::delete(
            plan_line_priorities::table
                .filter(plan_line_priorities::plan_line_id.eq(line_id))
                .filter(plan_line_priorities::priority_id.eq(priority_id(old.number)?)),
        )
        .execute(conn)?;
    }
    for child in changes.wanted {
        if let Child::Added(number, _) = child {
            diesel::insert_into(plan_line_priorities::table)
                .values((
                    plan_line_priorities::plan_line_id.eq(line_id),
                    plan_line_priorities::priority_id.eq(priority_id(number)?),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// A line's indicators, by number; one a half-year return reports against stays.
fn write_indicators(
    conn: &mut DbConnection,
    v: &mut Violations,
    i: usize,
    line_id: i64,
    line: &PlanLineInput,
    existing: &[IndicatorRow],
) -> Result<(), Error> {
    let changes = children::changes(
        existing.iter().map(|old| (old.number, old)),
        line.indicators.iter().map(|indicator| (indicator.number, indicator)),
        |old, indicator| {
            old.name == indicator.name.trim()
                && old.comparison.as_deref() == indicator.comparison.map(Comparison::as_str)
                && old.target == indicator.target.map(|t| t.to_string())
                && old.unit == indicator.unit.trim()
        },
    );
    for old in changes.removed {
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
    for child in changes.wanted {
        let values = |indicator: &IndicatorInput| {
            (
                plan_line_indicators::name.eq(indicator.name.trim().to_owned()),
                plan_line_indicators::comparison.eq(indicator.comparison.map(Comparison::as_str)),
                plan_line_indicators::target.eq(indicator.target.map(|t| t.to_string())),
                plan_line_indicators::unit.eq(indicator.unit.trim().to_owned()),
            )
        };
        match child {
            Child::Unchanged(..) => {}
            Child::Changed(old, indicator) => {
                diesel::update(plan_line_indicators::table.find(old.id))
                    .set(values(indicator))
                    .execute(conn)?;
            }
            Child::Added(number, indicator) => {
                diesel::insert_into(plan_line_indicators::table)
                    .values((
                        plan_line_indicators::plan_line_id.eq(line_id),
                        plan_line_indicators::number.eq(number),
                        values(indicator),
                    ))
                    .execute(conn)?;
            }
        }
    }
    Ok(())
}
