//! Commissioning: the paper in which a partnership sets out its priorities (from its Crime
//! Strategic Assessment, emerging areas, cross-cutting issues), how each serves the Police and
//! Crime Plan, and the recommendations its board discusses, each with the OPCC contribution and the
//! service's total budget it proposes ("Integrated Commissioning – January 2017", Safer Plymouth).
//! Plan lines cite the recommendation they carry out, so a recommendation can be followed to the
//! money planned and spent on it (`crate::reports::recommendations`).
//!
//! A paper is a document like the others (versions, history, evidence, the lifecycle's checks);
//! it belongs to the allocation of the earliest fund year it covers. Its workflow is
//! `workflow::COMMISSIONING_PAPER`: the manager puts it to the board and records the board's
//! decision.

pub mod http;
mod model;
pub mod rules;
mod store;

pub use model::*;
pub use store::years_of;

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde_json::json;

use crate::allocations::Allocation;
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::documents::{Document, Precondition};
use crate::error::{Error, Violations};
use crate::lifecycle;
use crate::schema::{allocations, commissioning_paper_years, commissioning_papers, recommendations};
use crate::workflow::{Status, Transition};

/// The manager puts a complete paper to a named board meeting.
pub fn table(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    expected: Precondition,
    input: &TableInput,
) -> Result<(), Error> {
    let mut v = Violations::new();
    v.text("board", &input.board, 300);
    v.finish()?;
    let step = lifecycle::begin::<CommissioningPaper>(conn, caller, id, expected, Transition::Table)?;
    CommissioningPaper::ensure_complete(conn, &step.document)?;
    store::set_meeting(conn, id, &input.board, input.meeting_on)?;
    let details = json!({"board": input.board.trim(), "meeting_on": input.meeting_on});
    lifecycle::finish::<CommissioningPaper>(conn, caller, &step, details)
}

/// The board's decision, as the manager records it: not dated before the meeting it was put to.
fn decide(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    expected: Precondition,
    transition: Transition,
    decided_on: NaiveDate,
    comment: &str,
) -> Result<(), Error> {
    let step = lifecycle::begin::<CommissioningPaper>(conn, caller, id, expected, transition)?;
    let (row, ..) = store::head(conn, id)?.ok_or(Error::NotFound("commissioning paper"))?;
    if let Some(meeting_on) = row.meeting_on.filter(|met| decided_on < *met) {
        return Err(Error::invalid(
            "decided_on",
            "before_meeting",
            format!("the board met on {meeting_on}; it cannot have decided before"),
        ));
    }
    store::set_decision(conn, id, decided_on, comment)?;
    let details = json!({"decided_on": decided_on, "reason": comment.trim()});
    lifecycle::finish::<CommissioningPaper>(conn, caller, &step, details)
}

/// The board agreed the paper.
pub fn agree(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    expected: Precondition,
    input: &AgreeInput,
) -> Result<(), Error> {
    decide(conn, caller, id, expected, Transition::Agree, input.decided_on, "")
}

/// The board sent the paper back, saying why.
pub fn send_back(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    expected: Precondition,
    input: &SendBackInput,
) -> Result<(), Error> {
    let mut v = Violations::new();
    v.text("reason", &input.reason, 5_000);
    v.finish()?;
    decide(
        conn,
        caller,
        id,
        expected,
        Transition::SendBack,
        input.decided_on,
        &input.reason,
    )
}

/// The manager reopens a paper as a draft: one sent back, or an agreed one to start its next
/// version (the agreed version stays among its snapshots).
pub fn revise(conn: &mut DbConnection, caller: &Caller, id: i64, expected: Precondition) -> Result<(), Error> {
    let step = lifecycle::begin::<CommissioningPaper>(conn, caller, id, expected, Transition::Revise)?;
    let details = json!({"after": step.document.status()});
    lifecycle::finish::<CommissioningPaper>(conn, caller, &step, details)
}

/// Where a cited recommendation is: its paper, the paper's status and partnership, and whether
/// the paper covers the fund year asked about.
struct CitedRecommendation {
    paper_id: i64,
    status: Status,
    partnership_id: i64,
    covers_year: bool,
}

/// Checks the recommendations plan lines cite (`(field, recommendation id)`): each must be in an
/// agreed paper of the plan's partnership that covers the plan's fund year. Another
/// partnership's recommendation reads as one that does not exist.
pub fn check_cited(
    conn: &mut DbConnection,
    v: &mut Violations,
    allocation: &Allocation,
    cited: &[(String, i64)],
) -> Result<(), Error> {
    if cited.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = cited.iter().map(|(_, id)| *id).collect();
    let rows: Vec<(i64, i64, Status, i64)> = recommendations::table
        .inner_join(commissioning_papers::table.inner_join(allocations::table))
        .filter(recommendations::id.eq_any(&ids))
        .select((
            recommendations::id,
            commissioning_papers::id,
            commissioning_papers::status,
            allocations::partnership_id,
        ))
        .load(conn)?;
    let paper_ids: Vec<i64> = rows.iter().map(|r| r.1).collect();
    let covering: Vec<i64> = commissioning_paper_years::table
        .filter(commissioning_paper_years::paper_id.eq_any(&paper_ids))
        .filter(commissioning_paper_years::fund_year_id.eq(allocation.fund_year_id))
        .select(commissioning_paper_years::paper_id)
        .load(conn)?;
    let found: HashMap<i64, CitedRecommendation> = rows
        .into_iter()
        .map(|(id, paper_id, status, partnership_id)| {
            (
                id,
                CitedRecommendation {
                    paper_id,
                    status,
                    partnership_id,
                    covers_year: covering.contains(&paper_id),
                },
            )
        })
        .collect();
    for (field, id) in cited {
        match found.get(id).filter(|r| r.partnership_id == allocation.partnership_id) {
            None => v.add(
                field.clone(),
                "unknown_recommendation",
                format!("no commissioning paper of {} has recommendation {id}", allocation.partnership),
            ),
            Some(r) if r.status != Status::Agreed => v.add(
                field.clone(),
                "paper_not_agreed",
                format!(
                    "recommendation {id} is in commissioning paper {}, which is {}; only an agreed paper's recommendations are carried out",
                    r.paper_id, r.status
                ),
            ),
            Some(r) if !r.covers_year => v.add(
                field.clone(),
                "paper_not_for_fund_year",
                format!(
                    "commissioning paper {} does not cover {}",
                    r.paper_id, allocation.fund_year
                ),
            ),
            Some(_) => {}
        }
    }
    Ok(())
}
