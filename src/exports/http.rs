//! HTTP for CSV: content negotiation for reports, and the streamed collection exports.

use actix_web::web::Bytes;
use actix_web::{HttpResponse, get};
use futures_util::{StreamExt, stream};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{Export, FinalLineExport, HalfYearProjectExport, PlanLineExport};
use crate::auth::Caller;
use crate::db::Database;
use crate::error::Error;
use crate::http::State;
use crate::http::extract::QueryParams;
use crate::http::problem::ApiError;
use crate::payments::Payment;
use crate::reports::ReportFilter;
use crate::tables::http::{TEXT_CSV, attachment};
use crate::tables::{CsvRow, header, lines};

/// Rows fetched per query while streaming: a chunk is all an export holds in memory.
const CHUNK_ROWS: i64 = 500;

/// The columns of each route answering in CSV, for the OpenAPI document.
pub fn csv_routes() -> Vec<(&'static str, &'static [&'static str])> {
    use crate::reports::{IndicatorOutcome, PartnershipYear, PriorityYear, ProviderStatusHalf, RagHalf};
    vec![
        ("/api/v1/reports/fund-by-partnership", PartnershipYear::COLUMNS),
        ("/api/v1/reports/fund-by-priority", PriorityYear::COLUMNS),
        ("/api/v1/reports/projects-by-rag", RagHalf::COLUMNS),
        (
            "/api/v1/reports/projects-by-provider-status",
            ProviderStatusHalf::COLUMNS,
        ),
        ("/api/v1/reports/indicators", IndicatorOutcome::COLUMNS),
        ("/api/v1/exports/plan-lines", PlanLineExport::COLUMNS),
        ("/api/v1/exports/half-year-projects", HalfYearProjectExport::COLUMNS),
        ("/api/v1/exports/final-report-lines", FinalLineExport::COLUMNS),
        ("/api/v1/exports/payments", Payment::COLUMNS),
    ]
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(export_plan_lines)
        .service(export_half_year_projects)
        .service(export_final_report_lines)
        .service(export_payments);
}

/// Streams `E`'s rows as CSV, a chunk per query. A failure after the first bytes can only cut
/// the body short, which the client sees as a broken transfer rather than a short file.
fn streamed<E: Export>(db: Database, caller: Caller, filter: ReportFilter) -> Result<HttpResponse, ApiError> {
    let header = header::<E>(filter.bom.unwrap_or(false))?;
    let chunks = stream::unfold(Some(0_i64), move |after| {
        let (db, caller, filter) = (db.clone(), caller.clone(), filter.clone());
        async move {
            let after = after?;
            let chunk = db
                .run(move |conn| {
                    let rows = E::chunk(conn, &caller, &filter, after, CHUNK_ROWS)?;
                    let next = rows.last().map(E::key).filter(|_| rows.len() as i64 == CHUNK_ROWS);
                    Ok((lines(&rows)?, next))
                })
                .await;
            Some(match chunk {
                Ok((bytes, next)) => (Ok::<_, Error>(Bytes::from(bytes)), next),
                Err(error) => (Err(error), None),
            })
        }
    });
    let body = stream::once(async move { Ok(Bytes::from(header)) }).chain(chunks);
    Ok(HttpResponse::Ok()
        .content_type(TEXT_CSV)
        .insert_header(attachment(E::FILE_NAME))
        .streaming(body))
}

/// Every plan line as CSV, with its plan's fund year, partnership and status.
///
/// Streamed in chunks; a partnership sees its own. Priorities are the numbers the line serves,
/// separated by semicolons.
#[utoipa::path(tag = "opcc-desk", security(("bearer" = [])), params(ReportFilter),
    responses((status = 200, description = "Plan lines as CSV", content_type = "text/csv", body = String)))]
#[get("/exports/plan-lines")]
pub async fn export_plan_lines(
    state: State,
    caller: Caller,
    filter: QueryParams<ReportFilter>,
) -> Result<HttpResponse, ApiError> {
    streamed::<PlanLineExport>(state.db.clone(), caller, filter.0)
}

/// Every half-year return's projects as CSV, with the return's half and status.
///
/// Streamed in chunks; a partnership sees its own.
#[utoipa::path(tag = "opcc-desk", security(("bearer" = [])), params(ReportFilter),
    responses((status = 200, description = "Half-year projects as CSV", content_type = "text/csv", body = String)))]
#[get("/exports/half-year-projects")]
pub async fn export_half_year_projects(
    state: State,
    caller: Caller,
    filter: QueryParams<ReportFilter>,
) -> Result<HttpResponse, ApiError> {
    streamed::<HalfYearProjectExport>(state.db.clone(), caller, filter.0)
}

/// Every final report's lines as CSV: allocated, spent, variance and virements per line.
///
/// Streamed in chunks; a partnership sees its own.
#[utoipa::path(tag = "opcc-desk", security(("bearer" = [])), params(ReportFilter),
    responses((status = 200, description = "Final-report lines as CSV", content_type = "text/csv", body = String)))]
#[get("/exports/final-report-lines")]
pub async fn export_final_report_lines(
    state: State,
    caller: Caller,
    filter: QueryParams<ReportFilter>,
) -> Result<HttpResponse, ApiError> {
    streamed::<FinalLineExport>(state.db.clone(), caller, filter.0)
}

/// Every payment as CSV.
///
/// Streamed in chunks; a partnership sees its own.
#[utoipa::path(tag = "opcc-desk", security(("bearer" = [])), params(ReportFilter),
    responses((status = 200, description = "Payments as CSV", content_type = "text/csv", body = String)))]
#[get("/exports/payments")]
pub async fn export_payments(
    state: State,
    caller: Caller,
    filter: QueryParams<ReportFilter>,
) -> Result<HttpResponse, ApiError> {
    streamed::<Payment>(state.db.clone(), caller, filter.0)
}
