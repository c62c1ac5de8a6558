//! Writing half-year returns: a new draft, its projects replaced, checked against the grant.

use diesel::prelude::*;

use crate::allocations::{self, Allocation};
use crate::auth::{Caller, Role};
use crate::db::DbConnection;
use crate::documents::{self, Located};
use crate::error::{Error, Violations};
use crate::indicators;
use crate::plans::{self, LineRef};
use crate::schema::{half_year_expenditure_items, half_year_indicator_actuals, half_year_projects, half_year_returns};
use crate::workflow::Status;
use crate::{fund_years as years, timestamps};

use super::read::{claimed_elsewhere, find_row};
use crate::half_year_returns::model::*;
use crate::half_year_returns::rules;

fn check(
    conn: &mut DbConnection,
    input: &HalfYearReturnInput,
    allocation: &Allocation,
    lines: Option<&[LineRef]>,
    except: i64,
) -> Result<Violations, Error> {
    let year = years::of_allocation(conn, allocation.fund_year_id)?;
    let context = rules::Context {
        fund_year: (year.starts_on, year.ends_on),
        available: allocation.available,
        claimed_elsewhere: claimed_elsewhere(conn, allocation.id, except)?,
        lines,
    };
    let mut v = Violations::new();
    rules::check(&mut v, input, &context);
    Ok(v)
}

pub(super) fn insert(conn: &mut DbConnection, caller: &Caller, input: &HalfYearReturnInput) -> Result<i64, Error> {
    caller.require(&[Role::CspManager])?;
    let mut v = Violations::new();
    v.check(
        input.allocation_id.is_some(),
        "allocation_id",
        "required",
        "is required",
    );
    v.check(input.half.is_some(), "half", "required", "is required: first or second");
    v.finish()?;
    let (Some(allocation_id), Some(half)) = (input.allocation_id, input.half) else {
        return Err(Error::internal("checked above"));
    };
    let allocation = allocations::referenced(conn, caller, allocation_id)?;
    allocations::hold(conn, allocation_id)?;
    let lines = plans::cited_in(conn, caller, &allocation)?;
    let mut v = check(conn, input, &allocation, lines.as_deref(), 0)?;
    let existing = half_year_returns::table
        .filter(half_year_returns::allocation_id.eq(allocation_id))
        .filter(half_year_returns::half.eq(half))
        .select(half_year_returns::id)
        .first::<i64>(conn)
        .optional()?;
    v.check(
        existing.is_none(),
        "half",
        "one_per_half",
        format!("the allocation already has a {half} half-year return"),
    );
    v.finish()?;
    let now = timestamps::now();
    let id: i64 = diesel::insert_into(half_year_returns::table)
        .values((
            half_year_returns::allocation_id.eq(allocation_id),
            half_year_returns::half.eq(half),
            half_year_returns::half_year_end.eq(input.half_year_end),
            half_year_returns::amount_claimed_pence.eq(input.amount_claimed),
            half_year_returns::invoice_reference.eq(input.invoice_reference.trim()),
            half_year_returns::status.eq(Status::Draft),
            half_year_returns::version.eq(1),
            half_year_returns::created_at.eq(now),
            half_year_returns::updated_at.eq(now),
        ))
        .returning(half_year_returns::id)
        .get_result(conn)?;
    write_projects(conn, id, input, lines.as_deref().unwrap_or_default())?;
    Ok(id)
}

pub(super) fn update(conn: &mut DbConnection, document: &Located, input: &HalfYearReturnInput) -> Result<(), Error> {
    let id = document.id();
    let row = find_row(conn, id)?;
    let allocation = allocations::find_unscoped(conn, row.allocation_id)?.ok_or(Error::NotFound("half-year return"))?;
    let lines = plans::cited_by(conn, document)?;
    let mut v = check(conn, input, &allocation, lines.as_deref(), id)?;
    documents::check_unchanged(&mut v, "allocation_id", input.allocation_id, row.allocation_id);
    documents::check_unchanged(&mut v, "half", input.half, row.half);
    v.finish()?;
    diesel::update(half_year_returns::table.find(id))
        .set((
            half_year_returns::half_year_end.eq(input.half_year_end),
            half_year_returns::amount_claimed_pence.eq(input.amount_claimed),
            half_year_returns::invoice_reference.eq(input.invoice_reference.trim()),
        ))
        .execute(conn)?;
    write_projects(conn, id, input, lines.as_deref().unwrap_or_default())
}

/// Replaces the projects wholesale: nothing outside the return refers to them.
fn write_projects(
    conn: &mut DbConnection,
    return_id: i64,
    input: &HalfYearReturnInput,
    lines: &[LineRef],
) -> Result<(), Error> {
    let old: Vec<i64> = half_year_projects::table
        .filter(half_year_projects::half_year_return_id.eq(return_id))
        .select(half_year_projects::id)
        .load(conn)?;
    diesel::delete(
        half_year_expenditure_items::table.filter(half_year_expenditure_items::half_year_project_id.eq_any(&old)),
    )
    .execute(conn)?;
    diesel::delete(
        half_year_indicator_actuals::table.filter(half_year_indicator_actuals::half_year_project_id.eq_any(&old)),
    )
    .execute(conn)?;
    diesel::delete(half_year_projects::table.filter(half_year_projects::id.eq_any(&old))).execute(conn)?;
    for (position, project) in (0..).zip(&input.projects) {
        let line = lines
            .iter()
            .find(|l| l.number == project.plan_line)
            .ok_or_else(|| Error::internal("plan line checked above"))?;
        let project_id: i64 = diesel::insert_into(half_year_projects::table)
            .values((
                half_year_projects::half_year_return_id.eq(return_id),
                half_year_projects::position.eq(position),
                half_year_projects::plan_line_id.eq(line.id),
                half_year_projects::provider.eq(project.provider.trim()),
                half_year_projects::provider_status.eq(project.provider_status),
                half_year_projects::commissioning_body.eq(project.commissioning_body.trim()),
                half_year_projects::total_service_funding_pence.eq(project.total_service_funding),
                half_year_projects::intended_outcomes.eq(project.intended_outcomes.trim()),
                half_year_projects::how_measured.eq(project.how_measured.trim()),
                half_year_projects::extent_achieved.eq(project.extent_achieved.trim()),
                half_year_projects::actions.eq(project.actions.trim()),
                half_year_projects::rag.eq(project.rag),
            ))
            .returning(half_year_projects::id)
            .get_result(conn)?;
        for (position, item) in (0..).zip(&project.expenditure) {
            diesel::insert_into(half_year_expenditure_items::table)
                .values((
                    half_year_expenditure_items::half_year_project_id.eq(project_id),
                    half_year_expenditure_items::position.eq(position),
                    half_year_expenditure_items::description.eq(item.description.trim()),
                    half_year_expenditure_items::amount_pence.eq(item.amount),
                ))
                .execute(conn)?;
        }
        for actual in &project.indicator_actuals {
            let indicator = indicators::named(line, actual)?;
            diesel::insert_into(half_year_indicator_actuals::table)
                .values((
                    half_year_indicator_actuals::half_year_project_id.eq(project_id),
                    half_year_indicator_actuals::plan_line_indicator_id.eq(indicator.id),
                    half_year_indicator_actuals::actual.eq(actual.actual.to_string()),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}
