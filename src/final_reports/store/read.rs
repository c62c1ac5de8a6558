//! Reading final reports: their rows, one report assembled from them, and the list.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::allocations::Allocation;
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::deadlines::{self, Deadline, Placed};
use crate::documents::{DocumentFilter, DocumentHeader, DocumentKind, Named, document_head};
use crate::error::Error;
use crate::indicators::IndicatorActual;
use crate::money::Money;
use crate::pagination::{Page, PageRequest};
use crate::schema::{
    final_report_indicator_actuals, final_report_lines, final_reports, plan_line_indicators, plan_lines,
    plans as plan_rows, virements,
};
use crate::workflow::Status;

use crate::final_reports::model::*;

// ---- Rows ----

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = final_reports, check_for_backend(crate::db::MultiBackend))]
pub(super) struct ReportRow {
    id: i64,
    allocation_id: i64,
    unspent_treatment: Option<UnspentTreatment>,
    treatment_notes: String,
    pub(super) status: Status,
    pub(super) version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    unspent_decision: Option<UnspentDecision>,
    unspent_decided_pence: Option<Money>,
    carried_forward_to: Option<i64>,
    review_comment: String,
    offset_against: Option<i64>,
    /// Where its last change stands among all changes: the order `updated_since` lists in.
    revision: i64,
}

/// A report line, read beside the plan line it reports on.
#[derive(Queryable, Debug, Clone)]
struct LineRow {
    id: i64,
    position: i32,
    actual_spend_pence: Money,
    variance_explanation: String,
    outcomes: String,
    case_study: String,
    case_study_anonymised: bool,
}

fn sum(amounts: impl IntoIterator<Item = Money>) -> Result<Money, Error> {
    Money::sum(amounts).ok_or_else(|| Error::internal("sum overflow"))
}

fn difference(a: Money, b: Money) -> Result<Money, Error> {
    a.checked_sub(b).ok_or_else(|| Error::internal("difference overflow"))
}

/// The report's row with its allocation and deadline, or `None`: one statement, joining the
/// allocation, its fund year and partnership, and the report's "submitted" snapshots.
pub(super) fn head(conn: &mut DbConnection, id: i64) -> Result<Option<(ReportRow, Allocation, Deadline)>, Error> {
    Ok(document_head!(
        conn,
        final_reports,
        ReportRow,
        DocumentKind::FinalReport,
        id,
        placed
    ))
}

/// A line of the allocation's plan as the report reads it: id, number, title and amount.
type PlannedLine = (i64, i32, String, Money);

/// What a row of [`report_details!`] is.
const ACTUAL: i32 = 0;
const VIREMENT: i32 = 1;

/// A row of [`report_details!`]: the report line of an actual or the plan line a virement moves
/// from, which kind of row, an actual's id (the order it was reported in) or the plan line a
/// virement moves to, an indicator's number or a virement's position, an indicator's name or a
/// virement's reason, a virement's amount, and an indicator's comparison, target and unit with
/// the actual.
type DetailRow = (
    i64,
    i32,
    i64,
    i32,
    String,
    Option<Money>,
    Option<String>,
    Option<String>,
    String,
    String,
);

/// A report's indicator actuals with their indicators, and its virements, as one `UNION ALL`
/// run on the connection underneath (see `plans::store`).
macro_rules! report_details {
    ($report_id:expr) => {{
        use diesel::sql_types::{BigInt, Integer, Nullable, Text};
        final_report_indicator_actuals::table
            .inner_join(final_report_lines::table)
            .inner_join(plan_line_indicators::table)
            .filter(final_report_lines::final_report_id.eq($report_id))
            .select((
                final_report_indicator_actuals::final_report_line_id,
                ACTUAL.into_sql::<Integer>(),
                final_report_indicator_actuals::id,
                plan_line_indicators::number,
                plan_line_indicators::name,
                None::<i64>.into_sql::<Nullable<BigInt>>(),
                plan_line_indicators::comparison,
                plan_line_indicators::target,
                plan_line_indicators::unit,
                final_report_indicator_actuals::actual,
            ))
            .union_all(
                virements::table
                    .filter(virements::final_report_id.eq($report_id))
                    .select((
                        virements::from_plan_line_id,
                        VIREMENT.into_sql::<Integer>(),
                        virements::to_plan_line_id,
                        virements::position,
                        virements::reason,
                        virements::amount_pence.nullable(),
                        None::<String>.into_sql::<Nullable<Text>>(),
                        None::<String>.into_sql::<Nullable<Text>>(),
                        "".into_sql::<Text>(),
                        "".into_sql::<Text>(),
                    )),
            )
    }};
}

fn details(conn: &mut DbConnection, report_id: i64) -> Result<Vec<DetailRow>, Error> {
    let mut rows: Vec<DetailRow> = match conn {
        DbConnection::Pg(pg) => report_details!(report_id).load(pg)?,
        DbConnection::Sqlite(sqlite) => report_details!(report_id).load(sqlite)?,
    };
    // Actuals in the order they were reported; virements by position.
    rows.sort_by_key(|&(owner, part, order, number, ..)| match part {
        VIREMENT => (part, 0, 0, number),
        _ => (part, owner, order, number),
    });
    Ok(rows)
}

fn number_of(lines: &[PlannedLine], id: i64) -> Result<i32, Error> {
    lines
        .iter()
        .find(|l| l.0 == id)
        .map(|l| l.1)
        .ok_or_else(|| Error::internal("a report cites a line of another plan"))
}

/// The report as clients read it, from its head and two more statements: the plan's lines with
/// the report's line on each, and the actuals and virements.
pub(super) fn assemble(
    conn: &mut DbConnection,
    (row, allocation, deadline): (ReportRow, Allocation, Deadline),
) -> Result<FinalReport, Error> {
    let planned: Vec<(PlannedLine, Option<LineRow>)> = plan_lines::table
        .inner_join(plan_rows::table)
        .left_join(
            final_report_lines::table.on(final_report_lines::plan_line_id
                .eq(plan_lines::id)
                .and(final_report_lines::final_report_id.eq(row.id))),
        )
        .filter(plan_rows::allocation_id.eq(row.allocation_id))
        .select((
            (
                plan_lines::id,
                plan_lines::number,
                plan_lines::title,
                plan_lines::amount_pence,
            ),
            (
                final_report_lines::id,
                final_report_lines::position,
                final_report_lines::actual_spend_pence,
                final_report_lines::variance_explanation,
                final_report_lines::outcomes,
                final_report_lines::case_study,
                final_report_lines::case_study_anonymised,
            )
                .nullable(),
        ))
        .load(conn)?;
    let (plan_lines, report_lines): (Vec<PlannedLine>, Vec<Option<LineRow>>) = planned.into_iter().unzip();
    let mut rows: Vec<(usize, LineRow)> = report_lines
        .into_iter()
        .enumerate()
        .filter_map(|(index, line)| Some((index, line?)))
        .collect();
    rows.sort_by_key(|(_, line)| line.position);
    let mut actuals: HashMap<i64, Vec<IndicatorActual>> = HashMap::new();
    let mut virement_views = Vec::new();
    for (owner, part, order, number, text, amount, comparison, target, unit, actual) in details(conn, row.id)? {
        match (part, amount) {
            (ACTUAL, None) => actuals.entry(owner).or_default().extend(IndicatorActual::stored(
                number,
                text,
                comparison.as_deref(),
                target.as_deref(),
                unit,
                &actual,
            )),
            (VIREMENT, Some(amount)) => virement_views.push(VirementInput {
                from_line: number_of(&plan_lines, owner)?,
                to_line: number_of(&plan_lines, order)?,
                amount,
                reason: text,
            }),
            _ => return Err(Error::internal("a final report detail of no known kind")),
        }
    }
    let mut lines = Vec::with_capacity(rows.len());
    for (index, line) in rows {
        let (_, number, title, allocated) = &plan_lines[index];
        let moved = |pick: fn(&VirementInput) -> i32| {
            sum(virement_views.iter().filter(|v| pick(v) == *number).map(|v| v.amount))
        };
        let (virements_in, virements_out) = (moved(|v| v.to_line)?, moved(|v| v.from_line)?);
        lines.push(FinalLine {
            plan_line: *number,
            title: title.clone(),
            allocated: *allocated,
            actual_spend: line.actual_spend_pence,
            variance: difference(line.actual_spend_pence, *allocated)?,
            variance_explanation: line.variance_explanation,
            allocated_after_virements: difference(sum([*allocated, virements_in])?, virements_out)?,
            virements_in,
            virements_out,
            outcomes: line.outcomes,
            indicator_actuals: actuals.remove(&line.id).unwrap_or_default(),
            case_study: line.case_study,
            case_study_anonymised: line.case_study_anonymised,
        });
    }
    let allocated = sum(lines.iter().map(|l| l.allocated))?;
    let spent = sum(lines.iter().map(|l| l.actual_spend))?;
    let totals = ReportTotals {
        available: allocation.available,
        allocated,
        spent,
        variance: difference(spent, allocated)?,
        moved_by_virements: sum(virement_views.iter().map(|v| v.amount))?,
        unspent: difference(allocation.available, spent)?,
    };
    Ok(FinalReport {
        header: DocumentHeader::of(crate::documents::stored!(row), &allocation, deadline),
        allowed_transitions: Vec::new(),
        lines,
        virements: virement_views,
        totals,
        review: ReportReview {
            unspent_decision: row.unspent_decision,
            unspent_decided: row.unspent_decided_pence,
            carried_forward_to: row.carried_forward_to,
            offset_against: row.offset_against,
            comment: row.review_comment.clone(),
        },
        unspent_treatment: row.unspent_treatment,
        treatment_notes: row.treatment_notes,
        created_at: row.created_at,
    })
}

pub(super) fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &DocumentFilter,
    page: &PageRequest,
) -> Result<Page<FinalReportSummary>, Error> {
    let rows: Vec<(ReportRow, Named)> =
        crate::documents::document_list!(conn, caller, filter, page, final_reports, ReportRow);
    let placed_rows: Vec<Placed> = rows.iter().map(|r| placed(&r.0)).collect();
    let mut deadlines = deadlines::of_documents(conn, DocumentKind::FinalReport, &placed_rows)?;
    let mut summaries = Vec::with_capacity(rows.len());
    for (row, named) in rows {
        let revision = row.revision;
        let summary = FinalReportSummary {
            header: DocumentHeader::listed(crate::documents::stored!(row), named, &mut deadlines)?,
        };
        summaries.push((summary, revision));
    }
    Ok(Page::from_rows(
        summaries,
        page,
        |(s, revision)| page.position(s.header.id, *revision),
        |(s, _)| s,
    ))
}

fn placed(row: &ReportRow) -> Placed {
    Placed {
        id: row.id,
        allocation_id: row.allocation_id,
        half: None,
        status: row.status,
    }
}
