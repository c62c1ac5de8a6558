//! A final report's acceptance by the OPCC, once signed, countersigned and reviewed, with a
//! decision on the unspent balance: returned, carried forward into the partnership's next
//! allocation (with its purpose), or offset against next year's grant: deducted from what the
//! OPCC pays on the partnership's next allocation, which the fund report shows.

use diesel::prelude::*;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::{FinalReport, UnspentDecision};
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::documents::{Document, Precondition};
use crate::error::{Error, Violations};
use crate::history::{self, Action, Event};
use crate::lifecycle;
use crate::money::Money;
use crate::schema::{allocations, final_reports, fund_years};
use crate::workflow::Transition;
use crate::{fund_years as years, timestamps};

/// The reviewer's acceptance, with the decision on any unspent balance.
#[derive(Deserialize, ToSchema, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"unspent_decision": "carried_forward", "carry_forward_purpose": "IDVA hours"}))]
pub struct AcceptReport {
    /// Required when money is unspent.
    pub unspent_decision: Option<UnspentDecision>,
    /// Required when carrying forward: what the money is for next year.
    pub carry_forward_purpose: Option<String>,
}

/// The partnership's allocation for the fund year after `label`.
fn next_allocation(conn: &mut DbConnection, label: &str, partnership_id: i64) -> Result<Option<i64>, Error> {
    let Some((starts_on, _)) = years::period_of(label) else {
        return Ok(None);
    };
    let next_label = format!(
        "{}-{:02}",
        chrono::Datelike::year(&starts_on) + 1,
        (chrono::Datelike::year(&starts_on) + 2) % 100
    );
    Ok(allocations::table
        .inner_join(fund_years::table)
        .filter(fund_years::label.eq(next_label))
        .filter(allocations::partnership_id.eq(partnership_id))
        .select(allocations::id)
        .first(conn)
        .optional()?)
}

pub fn accept(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    expected: Precondition,
    input: &AcceptReport,
) -> Result<(), Error> {
    let step = lifecycle::begin::<FinalReport>(conn, caller, id, expected, Transition::Accept)?;
    let report = FinalReport::read(conn, &step.document)?;
    let unspent = report.totals.unspent;
    let mut v = Violations::new();
    if unspent > Money::ZERO {
        v.check(
            input.unspent_decision.is_some(),
            "unspent_decision",
            "required",
            format!("{unspent} is unspent: decide whether it is returned, carried forward or offset"),
        );
    } else {
        v.check(
            input.unspent_decision.is_none(),
            "unspent_decision",
            "nothing_unspent",
            "nothing is unspent to decide on",
        );
    }
    let purpose = input.carry_forward_purpose.as_deref().map(str::trim).unwrap_or("");
    let (mut carried_to, mut offset_against) = (None, None);
    match input.unspent_decision {
        Some(UnspentDecision::CarriedForward) => {
            v.check(
                !purpose.is_empty(),
                "carry_forward_purpose",
                "required",
                "say what the carried-forward money is for",
            );
            carried_to = next_allocation(conn, &report.header.fund_year, report.header.partnership_id)?;
            v.check(
                carried_to.is_some(),
                "unspent_decision",
                "next_allocation_required",
                "the partnership has no allocation for the next fund year to carry the money into",
            );
        }
        Some(UnspentDecision::Offset) => {
            offset_against = next_allocation(conn, &report.header.fund_year, report.header.partnership_id)?;
            v.check(
                offset_against.is_some(),
                "unspent_decision",
                "next_allocation_required",
                "the partnership has no allocation for the next fund year to offset the money against",
            );
        }
        Some(UnspentDecision::Returned) | None => {}
    }
    v.finish()?;
    if let Some(next) = carried_to {
        let (carried, previous_purpose): (Money, Option<String>) = allocations::table
            .find(next)
            .select((allocations::carry_forward_pence, allocations::carry_forward_purpose))
            .first(conn)?;
        let total = carried
            .checked_add(unspent)
            .ok_or_else(|| Error::internal("carry-forward overflow"))?;
        let purpose = match previous_purpose.filter(|p| !p.is_empty()) {
            Some(previous) => format!("{previous}; {purpose}"),
            None => purpose.to_owned(),
        };
        diesel::update(allocations::table.find(next))
            .set((
                allocations::version.eq(allocations::version + 1),
                allocations::carry_forward_pence.eq(total),
                allocations::carry_forward_purpose.eq(&purpose),
                allocations::updated_at.eq(timestamps::now()),
            ))
            .execute(conn)?;
        history::append(
            conn,
            Event {
                actor: caller,
                partnership_id: Some(report.header.partnership_id),
                entity_kind: "allocation",
                entity_id: next,
                action: Action::CarryForwardReceived,
                from_state: None,
                to_state: None,
                changed_fields: vec!["carry_forward".into(), "carry_forward_purpose".into()],
                details: json!({"from_final_report": id, "amount": unspent, "carry_forward": total, "purpose": purpose}),
            },
        )?;
    }
    diesel::update(final_reports::table.find(id))
        .set((
            final_reports::unspent_decision.eq(input.unspent_decision),
            final_reports::unspent_decided_pence.eq(Some(unspent)),
            final_reports::carried_forward_to.eq(carried_to),
            final_reports::offset_against.eq(offset_against),
        ))
        .execute(conn)?;
    lifecycle::finish::<FinalReport>(
        conn,
        caller,
        &step,
        json!({"unspent": unspent, "unspent_decision": input.unspent_decision, "carried_forward_to": carried_to,
               "offset_against": offset_against}),
    )
}
