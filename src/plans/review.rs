//! A plan's review by the OPCC, once its manager has submitted it signed: a reviewer decides
//! each line (the form's "Approved" column) and approves the plan, whose approved amount is the
//! sum of the approved lines.

use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::{Decision, LineDecision, Plan};
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::documents::Precondition;
use crate::error::{Error, Violations};
use crate::lifecycle;
use crate::money::Money;
use crate::schema::{plan_lines, plans};
use crate::timestamps;
use crate::workflow::Transition;
use diesel::prelude::*;

/// The reviewer's decisions on some or all lines.
#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decisions": [
    {"line": 1, "decision": "approved"},
    {"line": 5, "decision": "declined", "comment": "Outside the fund's purpose this year."}]}))]
pub struct DecisionsInput {
    pub decisions: Vec<LineDecision>,
}

pub fn record_decisions(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    expected: Precondition,
    input: &DecisionsInput,
) -> Result<(), Error> {
    let step = lifecycle::begin::<Plan>(conn, caller, id, expected, Transition::RecordDecisions)?;
    let lines: Vec<(i64, i32)> = plan_lines::table
        .filter(plan_lines::plan_id.eq(id))
        .select((plan_lines::id, plan_lines::number))
        .load(conn)?;
    let mut v = Violations::new();
    v.check(
        !input.decisions.is_empty(),
        "decisions",
        "required",
        "give at least one decision",
    );
    for (i, decision) in input.decisions.iter().enumerate() {
        v.check(
            lines.iter().any(|(_, n)| *n == decision.line),
            format!("decisions[{i}].line"),
            "not_in_plan",
            format!("the plan has no line {}", decision.line),
        );
        v.check(
            input.decisions.iter().filter(|d| d.line == decision.line).count() == 1,
            format!("decisions[{i}].line"),
            "unique",
            "is decided twice",
        );
        v.optional_text(&format!("decisions[{i}].comment"), Some(&decision.comment), 5_000);
    }
    v.finish()?;
    for decision in &input.decisions {
        if let Some((line_id, _)) = lines.iter().find(|(_, n)| *n == decision.line) {
            diesel::update(plan_lines::table.find(line_id))
                .set((
                    plan_lines::decision.eq(decision.decision),
                    plan_lines::decision_comment.eq(decision.comment.trim()),
                ))
                .execute(conn)?;
        }
    }
    lifecycle::finish::<Plan>(conn, caller, &step, json!({"decisions": input.decisions}))
}

/// Approves a plan every line of which has a decision; the approved amount is the approved lines'.
pub fn approve(conn: &mut DbConnection, caller: &Caller, id: i64, expected: Precondition) -> Result<(), Error> {
    let step = lifecycle::begin::<Plan>(conn, caller, id, expected, Transition::Approve)?;
    let lines: Vec<(i32, Money, Option<Decision>)> = plan_lines::table
        .filter(plan_lines::plan_id.eq(id))
        .order(plan_lines::number)
        .select((plan_lines::number, plan_lines::amount_pence, plan_lines::decision))
        .load(conn)?;
    let undecided: Vec<String> = lines
        .iter()
        .filter(|(_, _, d)| d.is_none())
        .map(|(n, _, _)| n.to_string())
        .collect();
    if !undecided.is_empty() {
        return Err(Error::invalid(
            "decisions",
            "undecided_lines",
            format!(
                "decide every line before approving; undecided: {}",
                undecided.join(", ")
            ),
        ));
    }
    let approved = Money::sum(
        lines
            .iter()
            .filter(|(_, _, d)| *d == Some(Decision::Approved))
            .map(|(_, amount, _)| *amount),
    )
    .ok_or_else(|| Error::internal("approved amount overflow"))?;
    diesel::update(plans::table.find(id))
        .set((
            plans::approved_pence.eq(Some(approved)),
            plans::approved_at.eq(Some(timestamps::now())),
        ))
        .execute(conn)?;
    lifecycle::finish::<Plan>(conn, caller, &step, json!({"approved_amount": approved}))
}
