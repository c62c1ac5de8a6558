//! Writing commissioning papers: a new draft, its content replaced with only the rows that
//! changed rewritten, and what the board decided.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::auth::{Caller, Role};
use crate::db::DbConnection;
use crate::documents::Located;
use crate::documents::children::{self, Child};
use crate::error::{Error, Violations};
use crate::fund_years::{self, FundYear};
use crate::priority_sets;
use crate::schema::{
    allocations, commissioning_paper_years, commissioning_papers, commissioning_priorities,
    commissioning_priority_aims, plan_line_recommendations, recommendation_priorities, recommendations,
};
use crate::timestamps;
use crate::workflow::Status;

use super::read::{PriorityRow, RecommendationRow, aims_of, priorities_of, recommendations_of, served_by, years_of};
use crate::commissioning::model::*;
use crate::commissioning::rules;

/// The fund years named, in the order given: 422 on `fund_years` for a label that is not one.
fn named_years(v: &mut Violations, conn: &mut DbConnection, labels: &[String]) -> Result<Vec<FundYear>, Error> {
    let mut years = Vec::new();
    for label in labels {
        match fund_years::find_by_label(conn, label)? {
            Some(year) => years.push(year),
            None => v.add(
                "fund_years",
                "unknown_fund_year",
                format!("there is no fund year {label}"),
            ),
        }
    }
    Ok(years)
}

/// The Police & Crime Plan priority numbers every one of these years has.
fn shared_plan_priorities(conn: &mut DbConnection, years: &[FundYear]) -> Result<BTreeSet<i32>, Error> {
    let mut shared: Option<BTreeSet<i32>> = None;
    for year in years {
        let numbers: BTreeSet<i32> = priority_sets::priorities_of(conn, year.priority_set_id)?
            .into_iter()
            .map(|p| p.number)
            .collect();
        shared = Some(match shared {
            Some(before) => before.intersection(&numbers).copied().collect(),
            None => numbers,
        });
    }
    Ok(shared.unwrap_or_default())
}

pub(super) fn insert(conn: &mut DbConnection, caller: &Caller, input: &CommissioningPaperInput) -> Result<i64, Error> {
    caller.require(&[Role::CspManager])?;
    let partnership_id = caller
        .partnership_id
        .ok_or_else(|| Error::internal("a manager without a partnership"))?;
    let mut v = Violations::new();
    let labels = input.fund_years.clone().unwrap_or_default();
    rules::check_fund_years(&mut v, &labels);
    let mut years = named_years(&mut v, conn, &labels)?;
    years.sort_by_key(|year| year.starts_on);
    let allocation = match years.first() {
        Some(first) => {
            let found = allocations::table
                .filter(allocations::partnership_id.eq(partnership_id))
                .filter(allocations::fund_year_id.eq(first.id))
                .select(allocations::id)
                .first::<i64>(conn)
                .optional()?;
            v.check(
                found.is_some(),
                "fund_years",
                "no_allocation",
                format!(
                    "the partnership has no allocation in {}, the earliest year named",
                    first.label
                ),
            );
            found
        }
        None => None,
    };
    let plan_priorities = match years.len() == labels.len() && !years.is_empty() {
        true => Some(shared_plan_priorities(conn, &years)?),
        false => None,
    };
    rules::check_content(&mut v, input, plan_priorities.as_ref());
    v.finish()?;
    let allocation_id = allocation.ok_or_else(|| Error::internal("allocation checked above"))?;
    let now = timestamps::now();
    let id: i64 = diesel::insert_into(commissioning_papers::table)
        .values((
            commissioning_papers::allocation_id.eq(allocation_id),
            commissioning_papers::title.eq(input.title.trim()),
            commissioning_papers::context.eq(input.context.trim()),
            commissioning_papers::board.eq(""),
            commissioning_papers::review_comment.eq(""),
            commissioning_papers::status.eq(Status::Draft),
            commissioning_papers::version.eq(1),
            commissioning_papers::created_at.eq(now),
            commissioning_papers::updated_at.eq(now),
        ))
        .returning(commissioning_papers::id)
        .get_result(conn)?;
    for year in &years {
        diesel::insert_into(commissioning_paper_years::table)
            .values((
                commissioning_paper_years::paper_id.eq(id),
                commissioning_paper_years::fund_year_id.eq(year.id),
            ))
            .execute(conn)?;
    }
    write_content(conn, id, input)?;
    Ok(id)
}

/// Replaces a draft paper's content. Priorities and recommendations keep their identity by
/// number, so plan lines citing a recommendation still do; a cited recommendation cannot be
/// removed.
pub(super) fn update(
    conn: &mut DbConnection,
    document: &Located,
    input: &CommissioningPaperInput,
) -> Result<(), Error> {
    let stored: Vec<(i64, String)> = years_of(conn, &[document.id()])?
        .remove(&document.id())
        .unwrap_or_default();
    let labels: Vec<String> = stored.iter().map(|(_, label)| label.clone()).collect();
    let mut v = Violations::new();
    if let Some(sent) = &input.fund_years {
        let mut sent = sent.clone();
        sent.sort();
        let mut stored_labels = labels.clone();
        stored_labels.sort();
        v.check(
            sent == stored_labels,
            "fund_years",
            "immutable",
            format!("cannot change; it is {}", labels.join(", ")),
        );
    }
    let mut years = Vec::new();
    for (id, _) in &stored {
        years.push(fund_years::find(conn, *id)?.ok_or(Error::NotFound("fund year"))?);
    }
    let plan_priorities = shared_plan_priorities(conn, &years)?;
    rules::check_content(&mut v, input, Some(&plan_priorities));
    v.finish()?;
    diesel::update(commissioning_papers::table.find(document.id()))
        .set((
            commissioning_papers::title.eq(input.title.trim()),
            commissioning_papers::context.eq(input.context.trim()),
        ))
        .execute(conn)?;
    write_content(conn, document.id(), input)
}

/// Writes the priorities and recommendations as the input has them, touching only the rows whose
/// content changed (see [`children`]).
fn write_content(conn: &mut DbConnection, paper_id: i64, input: &CommissioningPaperInput) -> Result<(), Error> {
    let stored_priorities = priorities_of(conn, paper_id)?;
    let mut aims = aims_of(conn, &stored_priorities.iter().map(|p| p.id).collect::<Vec<_>>())?;
    let stored_recommendations = recommendations_of(conn, paper_id)?;
    let mut served = served_by(conn, &stored_recommendations.iter().map(|r| r.id).collect::<Vec<_>>())?;

    let mut v = Violations::new();
    let changes = children::changes(
        stored_recommendations.iter().map(|r| (r.number, r)),
        input.recommendations.iter().map(|r| (r.number, r)),
        recommendation_holds,
    );
    for old in changes.removed {
        let cited = plan_line_recommendations::table
            .filter(plan_line_recommendations::recommendation_id.eq(old.id))
            .count()
            .get_result::<i64>(conn)?;
        if cited > 0 {
            v.add(
                "recommendations",
                "in_use",
                format!(
                    "recommendation {} cannot be removed: a plan line carries it out",
                    old.number
                ),
            );
        } else {
            diesel::delete(
                recommendation_priorities::table.filter(recommendation_priorities::recommendation_id.eq(old.id)),
            )
            .execute(conn)?;
            diesel::delete(recommendations::table.find(old.id)).execute(conn)?;
        }
    }
    v.finish()?;
    for child in changes.wanted {
        let (id, wanted) = match child {
            Child::Unchanged(old, wanted) => (old.id, wanted),
            Child::Changed(old, wanted) => {
                diesel::update(recommendations::table.find(old.id))
                    .set(recommendation_values(wanted))
                    .execute(conn)?;
                (old.id, wanted)
            }
            Child::Added(number, wanted) => (
                diesel::insert_into(recommendations::table)
                    .values((
                        recommendations::paper_id.eq(paper_id),
                        recommendations::number.eq(number),
                        recommendation_values(wanted),
                    ))
                    .returning(recommendations::id)
                    .get_result(conn)?,
                wanted,
            ),
        };
        let before = served.remove(&id).unwrap_or_default();
        write_numbers(conn, &before, &wanted.priorities, |conn, number, add| {
            if add {
                diesel::insert_into(recommendation_priorities::table)
                    .values((
                        recommendation_priorities::recommendation_id.eq(id),
                        recommendation_priorities::priority_number.eq(number),
                    ))
                    .execute(conn)
            } else {
                diesel::delete(
                    recommendation_priorities::table
                        .filter(recommendation_priorities::recommendation_id.eq(id))
                        .filter(recommendation_priorities::priority_number.eq(number)),
                )
                .execute(conn)
            }
        })?;
    }

    let changes = children::changes(
        stored_priorities.iter().map(|p| (p.number, p)),
        input.priorities.iter().map(|p| (p.number, p)),
        |old: &PriorityRow, wanted| old.title == wanted.title.trim() && old.source == wanted.source,
    );
    for old in changes.removed {
        diesel::delete(
            commissioning_priority_aims::table
                .filter(commissioning_priority_aims::commissioning_priority_id.eq(old.id)),
        )
        .execute(conn)?;
        diesel::delete(commissioning_priorities::table.find(old.id)).execute(conn)?;
    }
    for child in changes.wanted {
        let values = |p: &CommissioningPriorityInput| {
            (
                commissioning_priorities::title.eq(p.title.trim().to_owned()),
                commissioning_priorities::source.eq(p.source),
            )
        };
        let (id, wanted) = match child {
            Child::Unchanged(old, wanted) => (old.id, wanted),
            Child::Changed(old, wanted) => {
                diesel::update(commissioning_priorities::table.find(old.id))
                    .set(values(wanted))
                    .execute(conn)?;
                (old.id, wanted)
            }
            Child::Added(number, wanted) => (
                diesel::insert_into(commissioning_priorities::table)
                    .values((
                        commissioning_priorities::paper_id.eq(paper_id),
                        commissioning_priorities::number.eq(number),
                        values(wanted),
                    ))
                    .returning(commissioning_priorities::id)
                    .get_result(conn)?,
                wanted,
            ),
        };
        let before = aims.remove(&id).unwrap_or_default();
        write_numbers(conn, &before, &wanted.plan_priorities, |conn, number, add| {
            if add {
                diesel::insert_into(commissioning_priority_aims::table)
                    .values((
                        commissioning_priority_aims::commissioning_priority_id.eq(id),
                        commissioning_priority_aims::plan_priority.eq(number),
                    ))
                    .execute(conn)
            } else {
                diesel::delete(
                    commissioning_priority_aims::table
                        .filter(commissioning_priority_aims::commissioning_priority_id.eq(id))
                        .filter(commissioning_priority_aims::plan_priority.eq(number)),
                )
                .execute(conn)
            }
        })?;
    }
    Ok(())
}

/// A set of numbers under one row: `write(conn, number, true)` adds one, `false` removes one;
/// numbers both stored and wanted are left alone.
fn write_numbers(
    conn: &mut DbConnection,
    stored: &[i32],
    wanted: &[i32],
    mut write: impl FnMut(&mut DbConnection, i32, bool) -> QueryResult<usize>,
) -> Result<(), Error> {
    let changes = children::changes(
        stored.iter().map(|n| (*n, n)),
        wanted.iter().map(|n| (*n, n)),
        |_, _| true,
    );
    for old in changes.removed {
        write(conn, *old, false)?;
    }
    for child in changes.wanted {
        if let Child::Added(number, _) = child {
            write(conn, number, true)?;
        }
    }
    Ok(())
}

type RecommendationValues<'a> = (
    diesel::dsl::Eq<recommendations::area_need, &'a str>,
    diesel::dsl::Eq<recommendations::recommendation, &'a str>,
    diesel::dsl::Eq<recommendations::opcc_contribution_state, AmountState>,
    diesel::dsl::Eq<recommendations::opcc_contribution_pence, Option<crate::money::Money>>,
    diesel::dsl::Eq<recommendations::total_budget_state, AmountState>,
    diesel::dsl::Eq<recommendations::total_budget_pence, Option<crate::money::Money>>,
);

fn recommendation_values(r: &RecommendationInput) -> RecommendationValues<'_> {
    (
        recommendations::area_need.eq(r.area_need.trim()),
        recommendations::recommendation.eq(r.recommendation.trim()),
        recommendations::opcc_contribution_state.eq(r.opcc_contribution.state),
        recommendations::opcc_contribution_pence.eq(r.opcc_contribution.amount),
        recommendations::total_budget_state.eq(r.total_budget.state),
        recommendations::total_budget_pence.eq(r.total_budget.amount),
    )
}

fn recommendation_holds(old: &RecommendationRow, wanted: &RecommendationInput) -> bool {
    old.area_need == wanted.area_need.trim()
        && old.recommendation == wanted.recommendation.trim()
        && old.opcc_contribution() == wanted.opcc_contribution
        && old.total_budget() == wanted.total_budget
}

/// Records the board meeting the paper is put to.
pub(in crate::commissioning) fn set_meeting(
    conn: &mut DbConnection,
    paper_id: i64,
    board: &str,
    meeting_on: NaiveDate,
) -> Result<(), Error> {
    diesel::update(commissioning_papers::table.find(paper_id))
        .set((
            commissioning_papers::board.eq(board.trim()),
            commissioning_papers::meeting_on.eq(Some(meeting_on)),
            commissioning_papers::decided_on.eq(None::<NaiveDate>),
            commissioning_papers::review_comment.eq(""),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records the day the board decided (and, when it sent the paper back, why).
pub(in crate::commissioning) fn set_decision(
    conn: &mut DbConnection,
    paper_id: i64,
    decided_on: NaiveDate,
    comment: &str,
) -> Result<(), Error> {
    diesel::update(commissioning_papers::table.find(paper_id))
        .set((
            commissioning_papers::decided_on.eq(Some(decided_on)),
            commissioning_papers::review_comment.eq(comment.trim()),
        ))
        .execute(conn)?;
    Ok(())
}
