//! Amendments to an approved plan: in-year virements or changed lines. The manager proposes the
//! plan's lines as they should become. A proposal that moves no line by more than the fund
//! year's threshold (an amount and/or a percentage of the line) takes effect at once; any other
//! waits for a reviewer's decision. Each amendment that takes effect makes a new approved plan
//! version, and returns and reports compare against the plan as amended.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::{Decision, Plan, PlanLineInput};
use crate::allocations;
use crate::auth::{Caller, Role};
use crate::db::DbConnection;
use crate::documents::{Document, Located, Precondition, locate};
use crate::error::{Error, Violations};
use crate::fund_years;
use crate::history::{self, Action, Event};
use crate::lifecycle;
use crate::money::Money;
use crate::pagination::{Page, PageRequest};
use crate::schema::{plan_amendments, plan_lines, plans};
use crate::timestamps;
use crate::workflow::{self, Status, Transition};

crate::stored_enum! {
    /// Where an amendment stands.
    pub enum AmendmentStatus {
        /// Waiting for a reviewer's decision.
        Proposed => "proposed",
        /// Took effect at once: within the fund year's threshold.
        Applied => "applied",
        /// Approved by a reviewer, and in effect.
        Approved => "approved",
        Declined => "declined",
    }
}

/// The plan's lines as they should become, and why, confirmed with the manager's password as
/// any signature is.
#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Move £1,500 of the analysis line to WRAP training, which is oversubscribed.",
    "lines": [{"number": 1, "title": "...", "amount": "240819.00"}], "password": "correct horse battery staple"}))]
pub struct AmendmentInput {
    pub reason: String,
    pub lines: Vec<PlanLineInput>,
    /// Your password again (an API client: its secret): an amendment changes a signed plan.
    /// Absent for someone signed in at their organisation's provider, where a recent sign-in
    /// confirms it instead.
    #[schema(format = Password)]
    pub password: Option<String>,
}

/// How one line's amount would change.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct LineChange {
    pub line: i32,
    /// Null for a new line.
    pub from: Option<Money>,
    /// Null for a removed line.
    pub to: Option<Money>,
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct Amendment {
    pub id: i64,
    pub plan_id: i64,
    pub status: AmendmentStatus,
    pub reason: String,
    /// Lines whose amount changes.
    pub changes: Vec<LineChange>,
    /// The largest change of any line, and as a percentage of that line.
    pub largest_change: Money,
    pub largest_change_percent: String,
    /// The proposed lines, as sent.
    pub lines: Vec<PlanLineInput>,
    pub proposed_by: String,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub proposed_at: NaiveDateTime,
    pub decided_by: Option<String>,
    #[schema(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub decided_at: Option<chrono::DateTime<chrono::Utc>>,
    pub decision_comment: String,
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = plan_amendments, check_for_backend(crate::db::MultiBackend))]
struct AmendmentRow {
    id: i64,
    plan_id: i64,
    status: AmendmentStatus,
    reason: String,
    proposal: String,
    largest_change_pence: Money,
    largest_change_percent: String,
    proposed_by: String,
    proposed_at: NaiveDateTime,
    decided_by: Option<String>,
    decided_at: Option<NaiveDateTime>,
    decision_comment: String,
}

/// What a proposal stores: the lines and the computed changes.
#[derive(Serialize, Deserialize)]
struct Proposal {
    lines: Vec<PlanLineInput>,
    changes: Vec<LineChange>,
}

fn view(row: AmendmentRow) -> Result<Amendment, Error> {
    let proposal: Proposal = serde_json::from_str(&row.proposal).map_err(Error::internal)?;
    Ok(Amendment {
        id: row.id,
        plan_id: row.plan_id,
        status: row.status,
        reason: row.reason,
        changes: proposal.changes,
        largest_change: row.largest_change_pence,
        largest_change_percent: row.largest_change_percent,
        lines: proposal.lines,
        proposed_by: row.proposed_by,
        proposed_at: row.proposed_at,
        decided_by: row.decided_by,
        decided_at: row.decided_at.map(timestamps::utc),
        decision_comment: row.decision_comment,
    })
}

/// The changes of amount between the current lines and the proposed ones, and the largest of
/// them in pounds and as a percentage of its line (a new or removed line counts as 100%).
pub fn measure(current: &[(i32, Money)], proposed: &[PlanLineInput]) -> (Vec<LineChange>, Money, Decimal) {
    let numbers: BTreeSet<i32> = current
        .iter()
        .map(|(n, _)| *n)
        .chain(proposed.iter().map(|l| l.number))
        .collect();
    let mut changes = Vec::new();
    let (mut largest, mut largest_percent) = (Money::ZERO, Decimal::ZERO);
    for number in numbers {
        let from = current.iter().find(|(n, _)| *n == number).map(|(_, a)| *a);
        let to = proposed.iter().find(|l| l.number == number).map(|l| l.amount);
        if from == to {
            continue;
        }
        let (a, b) = (from.unwrap_or(Money::ZERO), to.unwrap_or(Money::ZERO));
        let change = Money::from_pence((b.pence() - a.pence()).abs());
        let percent = match from {
            Some(from) if from > Money::ZERO && to.is_some() => {
                change.to_decimal() * Decimal::ONE_HUNDRED / from.to_decimal()
            }
            _ => Decimal::ONE_HUNDRED,
        };
        largest = largest.max(change);
        largest_percent = largest_percent.max(percent);
        changes.push(LineChange { line: number, from, to });
    }
    (changes, largest, largest_percent)
}

/// Whether a change that size takes effect without review under the fund year's thresholds.
pub fn within_threshold(largest: Money, largest_percent: Decimal, amount: Option<Money>, percent: Option<i32>) -> bool {
    if amount.is_none() && percent.is_none() {
        return false;
    }
    amount.is_none_or(|limit| largest <= limit) && percent.is_none_or(|limit| largest_percent <= Decimal::from(limit))
}

fn current_amounts(conn: &mut DbConnection, plan_id: i64) -> Result<Vec<(i32, Money)>, Error> {
    Ok(plan_lines::table
        .filter(plan_lines::plan_id.eq(plan_id))
        .order(plan_lines::number)
        .select((plan_lines::number, plan_lines::amount_pence))
        .load(conn)?)
}

/// Puts amended lines in place: lines already decided keep their decision, new ones are approved
/// (the amendment is), the approved amount is recomputed, and the plan gets a new version. The
/// signatures on the plan as it was are void: they name the amendment that superseded them.
fn apply(
    conn: &mut DbConnection,
    caller: &Caller,
    plan: &Located,
    proposal: &Proposal,
    amendment_id: i64,
) -> Result<(), Error> {
    let allocation = allocations::find_unscoped(conn, plan.allocation_id())?.ok_or(Error::NotFound("plan"))?;
    let priorities = super::store::priority_ids(conn, &allocation)?;
    super::store::write_lines(conn, plan.id(), &proposal.lines, &priorities)?;
    diesel::update(
        plan_lines::table
            .filter(plan_lines::plan_id.eq(plan.id()))
            .filter(plan_lines::decision.is_null()),
    )
    .set(plan_lines::decision.eq(Decision::Approved))
    .execute(conn)?;
    let approved: Vec<Money> = plan_lines::table
        .filter(plan_lines::plan_id.eq(plan.id()))
        .filter(plan_lines::decision.eq(Decision::Approved))
        .select(plan_lines::amount_pence)
        .load(conn)?;
    let approved = Money::sum(approved).ok_or_else(|| Error::internal("approved amount overflow"))?;
    diesel::update(plans::table.find(plan.id()))
        .set(plans::approved_pence.eq(Some(approved)))
        .execute(conn)?;
    let moved: Vec<String> = proposal.changes.iter().map(|c| c.line.to_string()).collect();
    let reason = format!(
        "superseded by amendment {amendment_id}, which changed line {}",
        moved.join(", ")
    );
    let voided = lifecycle::void_signatures(conn, plan, &reason)?;
    lifecycle::advance::<Plan>(conn, plan, Status::Approved)?;
    lifecycle::snapshot::<Plan>(conn, caller, plan, "amended")?;
    record(
        conn,
        caller,
        plan,
        Action::AmendmentApplied,
        json!({"amendment": amendment_id, "approved_amount": approved, "signatures_voided": voided["signatures_voided"]}),
    )
}

fn record(
    conn: &mut DbConnection,
    caller: &Caller,
    plan: &Located,
    action: Action,
    details: serde_json::Value,
) -> Result<(), Error> {
    history::append(
        conn,
        Event {
            actor: caller,
            partnership_id: Some(plan.partnership_id()),
            entity_kind: Plan::KIND.as_str(),
            entity_id: plan.id(),
            action,
            from_state: None,
            to_state: None,
            changed_fields: Vec::new(),
            details,
        },
    )?;
    Ok(())
}

/// The manager proposes an amendment to an approved plan.
pub fn propose(
    conn: &mut DbConnection,
    caller: &Caller,
    plan_id: i64,
    expected: Precondition,
    input: &AmendmentInput,
) -> Result<Amendment, Error> {
    let plan = locate::<Plan>(conn, caller, plan_id)?;
    workflow::check(Plan::KIND, plan.status(), Transition::Amend, caller)?;
    plan.ensure_version(expected)?;
    allocations::hold(conn, plan.allocation_id())?;
    let open = plan_amendments::table
        .filter(plan_amendments::plan_id.eq(plan_id))
        .filter(plan_amendments::status.eq(AmendmentStatus::Proposed))
        .count()
        .get_result::<i64>(conn)?;
    if open > 0 {
        return Err(Error::Conflict {
            detail: "an amendment to this plan is already waiting for review".into(),
            field: None,
        });
    }
    let allocation = allocations::find_unscoped(conn, plan.allocation_id())?.ok_or(Error::NotFound("plan"))?;
    let priorities = super::store::priority_ids(conn, &allocation)?;
    let mut v = super::store::check(conn, &input.lines, &allocation, &priorities)?;
    v.text("reason", &input.reason, 5_000);
    let current = current_amounts(conn, plan_id)?;
    let (changes, largest, largest_percent) = measure(&current, &input.lines);
    v.check(
        !changes.is_empty() || input.lines.len() == current.len(),
        "lines",
        "no_change",
        "the proposal changes nothing",
    );
    v.finish()?;
    let year = fund_years::of_allocation(conn, allocation.fund_year_id)?;
    let immediate = within_threshold(
        largest,
        largest_percent,
        year.amendment_threshold,
        year.amendment_threshold_percent,
    );
    let proposal = Proposal {
        lines: input.lines.clone(),
        changes,
    };
    let stored = serde_json::to_string(&proposal).map_err(Error::internal)?;
    let now = timestamps::now();
    let status = if immediate {
        AmendmentStatus::Applied
    } else {
        AmendmentStatus::Proposed
    };
    let id: i64 = diesel::insert_into(plan_amendments::table)
        .values((
            plan_amendments::plan_id.eq(plan_id),
            plan_amendments::status.eq(status),
            plan_amendments::reason.eq(input.reason.trim()),
            plan_amendments::proposal.eq(stored),
            plan_amendments::largest_change_pence.eq(largest),
            plan_amendments::largest_change_percent.eq(format!("{:.2}", largest_percent.round_dp(2))),
            plan_amendments::proposed_by.eq(caller.principal.subject()),
            plan_amendments::proposed_at.eq(now),
            plan_amendments::decided_at.eq(immediate.then_some(now)),
        ))
        .returning(plan_amendments::id)
        .get_result(conn)?;
    if immediate {
        apply(conn, caller, &plan, &proposal, id)?;
    } else {
        record(
            conn,
            caller,
            &plan,
            Action::AmendmentProposed,
            json!({"amendment": id, "largest_change": largest}),
        )?;
    }
    get(conn, caller, plan_id, id)
}

/// The reviewer's decision on a proposed amendment. Approving applies it (If-Match: the plan's
/// version, as it changes the plan).
pub fn decide(
    conn: &mut DbConnection,
    caller: &Caller,
    plan_id: i64,
    amendment_id: i64,
    expected: Precondition,
    approve: bool,
    comment: &str,
) -> Result<Amendment, Error> {
    let plan = locate::<Plan>(conn, caller, plan_id)?;
    caller.require(&[Role::OpccReviewer])?;
    let row = find_row(conn, plan_id, amendment_id)?;
    if row.status != AmendmentStatus::Proposed || plan.status() != Status::Approved {
        return Err(Error::Conflict {
            detail: format!("the amendment is {}, not waiting for review", row.status),
            field: None,
        });
    }
    let status = if approve {
        plan.ensure_version(expected)?;
        allocations::hold(conn, plan.allocation_id())?;
        let proposal: Proposal = serde_json::from_str(&row.proposal).map_err(Error::internal)?;
        apply(conn, caller, &plan, &proposal, amendment_id)?;
        AmendmentStatus::Approved
    } else {
        let mut v = Violations::new();
        v.text("comment", comment, 5_000);
        v.finish()?;
        record(
            conn,
            caller,
            &plan,
            Action::AmendmentDeclined,
            json!({"amendment": amendment_id, "comment": comment}),
        )?;
        AmendmentStatus::Declined
    };
    diesel::update(plan_amendments::table.find(amendment_id))
        .set((
            plan_amendments::status.eq(status),
            plan_amendments::decided_by.eq(Some(caller.principal.subject())),
            plan_amendments::decided_at.eq(Some(timestamps::now())),
            plan_amendments::decision_comment.eq(comment.trim()),
        ))
        .execute(conn)?;
    get(conn, caller, plan_id, amendment_id)
}

fn find_row(conn: &mut DbConnection, plan_id: i64, id: i64) -> Result<AmendmentRow, Error> {
    plan_amendments::table
        .filter(plan_amendments::id.eq(id))
        .filter(plan_amendments::plan_id.eq(plan_id))
        .select(AmendmentRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("amendment"))
}

pub fn get(conn: &mut DbConnection, caller: &Caller, plan_id: i64, id: i64) -> Result<Amendment, Error> {
    locate::<Plan>(conn, caller, plan_id)?;
    view(find_row(conn, plan_id, id)?)
}

pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    plan_id: i64,
    page: &PageRequest,
) -> Result<Page<Amendment>, Error> {
    locate::<Plan>(conn, caller, plan_id)?;
    let rows: Vec<AmendmentRow> = plan_amendments::table
        .filter(plan_amendments::plan_id.eq(plan_id))
        .filter(plan_amendments::id.gt(page.after))
        .order(plan_amendments::id)
        .limit(page.fetch())
        .select(AmendmentRow::as_select())
        .load(conn)?;
    let views = rows.into_iter().map(view).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(views, page, |a| a.id, |a| a))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(number: i32, pounds: i64) -> PlanLineInput {
        PlanLineInput {
            number,
            title: "x".into(),
            outline: String::new(),
            amount: Money::pounds(pounds),
            sub_allocations: Vec::new(),
            provider: None,
            total_contract_value: None,
            priorities: Vec::new(),
            outcome_measures: String::new(),
            indicators: Vec::new(),
            recommendation_id: None,
        }
    }

    #[test]
    fn a_virement_between_lines_is_measured_by_its_largest_move() {
        let current = [(4, Money::pounds(26_500)), (6, Money::pounds(4_674))];
        let (changes, largest, percent) = measure(&current, &[line(4, 28_000), line(6, 3_174)]);
        assert_eq!(changes.len(), 2);
        assert_eq!(largest, Money::pounds(1_500));
        assert_eq!(percent.round_dp(2).to_string(), "32.09");
        assert!(within_threshold(largest, percent, Some(Money::pounds(2_000)), None));
        assert!(!within_threshold(
            largest,
            percent,
            Some(Money::pounds(2_000)),
            Some(10)
        ));
        assert!(
            !within_threshold(largest, percent, None, None),
            "without thresholds every amendment is reviewed"
        );
        let (_, _, new_line) = measure(&current, &[line(4, 26_500), line(6, 4_674), line(7, 10)]);
        assert_eq!(new_line, Decimal::ONE_HUNDRED);
    }
}
