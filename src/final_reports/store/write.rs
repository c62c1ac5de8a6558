//! Writing final reports: a new draft, its lines and virements replaced, checked against the plan.

use diesel::prelude::*;

use crate::allocations::{self, Allocation};
use crate::auth::{Caller, Role};
use crate::db::DbConnection;
use crate::documents::{self, Located};
use crate::error::{Error, Violations};
use crate::indicators;
use crate::plans::{self, LineRef};
use crate::schema::{final_report_indicator_actuals, final_report_lines, final_reports, virements};
use crate::timestamps;
use crate::workflow::Status;

use crate::final_reports::model::*;
use crate::final_reports::rules;

fn check(input: &FinalReportInput, allocation: &Allocation, lines: Option<&[LineRef]>) -> Violations {
    let mut v = Violations::new();
    rules::check(
        &mut v,
        input,
        &rules::Context {
            available: allocation.available,
            lines,
        },
    );
    v
}

pub(super) fn insert(conn: &mut DbConnection, caller: &Caller, input: &FinalReportInput) -> Result<i64, Error> {
    caller.require(&[Role::CspManager])?;
    let Some(allocation_id) = input.allocation_id else {
        return Err(Error::invalid("allocation_id", "required", "is required"));
    };
    let allocation = allocations::referenced(conn, caller, allocation_id)?;
    allocations::hold(conn, allocation_id)?;
    let lines = plans::cited_in(conn, caller, &allocation)?;
    let mut v = check(input, &allocation, lines.as_deref());
    let existing = final_reports::table
        .filter(final_reports::allocation_id.eq(allocation_id))
        .select(final_reports::id)
        .first::<i64>(conn)
        .optional()?;
    v.check(
        existing.is_none(),
        "allocation_id",
        "one_per_allocation",
        "the allocation already has a final report",
    );
    v.finish()?;
    let now = timestamps::now();
    let id: i64 = diesel::insert_into(final_reports::table)
        .values((
            final_reports::allocation_id.eq(allocation_id),
            final_reports::unspent_treatment.eq(input.unspent_treatment),
            final_reports::treatment_notes.eq(input.treatment_notes.trim()),
            final_reports::status.eq(Status::Draft),
            final_reports::version.eq(1),
            final_reports::created_at.eq(now),
            final_reports::updated_at.eq(now),
        ))
        .returning(final_reports::id)
        .get_result(conn)?;
    write_content(conn, id, input, lines.as_deref().unwrap_or_default())?;
    Ok(id)
}

pub(super) fn update(conn: &mut DbConnection, document: &Located, input: &FinalReportInput) -> Result<(), Error> {
    let id = document.id();
    let allocation =
        allocations::find_unscoped(conn, document.allocation_id())?.ok_or(Error::NotFound("final report"))?;
    let lines = plans::cited_by(conn, document)?;
    let mut v = check(input, &allocation, lines.as_deref());
    documents::check_unchanged(&mut v, "allocation_id", input.allocation_id, document.allocation_id());
    v.finish()?;
    diesel::update(final_reports::table.find(id))
        .set((
            final_reports::unspent_treatment.eq(input.unspent_treatment),
            final_reports::treatment_notes.eq(input.treatment_notes.trim()),
        ))
        .execute(conn)?;
    write_content(conn, id, input, lines.as_deref().unwrap_or_default())
}

fn line_id(lines: &[LineRef], number: i32) -> Result<i64, Error> {
    lines
        .iter()
        .find(|l| l.number == number)
        .map(|l| l.id)
        .ok_or_else(|| Error::internal("plan line checked above"))
}

/// Replaces lines and virements wholesale: nothing outside the report refers to them.
fn write_content(
    conn: &mut DbConnection,
    report_id: i64,
    input: &FinalReportInput,
    lines: &[LineRef],
) -> Result<(), Error> {
    let old = final_report_lines::table
        .filter(final_report_lines::final_report_id.eq(report_id))
        .select(final_report_lines::id);
    diesel::delete(
        final_report_indicator_actuals::table.filter(final_report_indicator_actuals::final_report_line_id.eq_any(old)),
    )
    .execute(conn)?;
    diesel::delete(final_report_lines::table.filter(final_report_lines::final_report_id.eq(report_id)))
        .execute(conn)?;
    diesel::delete(virements::table.filter(virements::final_report_id.eq(report_id))).execute(conn)?;
    for (position, line) in (0..).zip(&input.lines) {
        let plan_line = lines
            .iter()
            .find(|l| l.number == line.plan_line)
            .ok_or_else(|| Error::internal("plan line checked above"))?;
        let report_line_id: i64 = diesel::insert_into(final_report_lines::table)
            .values((
                final_report_lines::final_report_id.eq(report_id),
                final_report_lines::position.eq(position),
                final_report_lines::plan_line_id.eq(plan_line.id),
                final_report_lines::actual_spend_pence.eq(line.actual_spend),
                final_report_lines::variance_explanation.eq(line.variance_explanation.trim()),
                final_report_lines::outcomes.eq(line.outcomes.trim()),
                final_report_lines::case_study.eq(line.case_study.trim()),
                final_report_lines::case_study_anonymised.eq(line.case_study_anonymised),
            ))
            .returning(final_report_lines::id)
            .get_result(conn)?;
        for actual in &line.indicator_actuals {
            diesel::insert_into(final_report_indicator_actuals::table)
                .values((
                    final_report_indicator_actuals::final_report_line_id.eq(report_line_id),
                    final_report_indicator_actuals::plan_line_indicator_id.eq(indicators::named(plan_line, actual)?.id),
                    final_report_indicator_actuals::actual.eq(actual.actual.to_string()),
                ))
                .execute(conn)?;
        }
    }
    for (position, virement) in (0..).zip(&input.virements) {
        diesel::insert_into(virements::table)
            .values((
                virements::final_report_id.eq(report_id),
                virements::position.eq(position),
                virements::from_plan_line_id.eq(line_id(lines, virement.from_line)?),
                virements::to_plan_line_id.eq(line_id(lines, virement.to_line)?),
                virements::amount_pence.eq(virement.amount),
                virements::reason.eq(virement.reason.trim()),
            ))
            .execute(conn)?;
    }
    Ok(())
}
