//! HTTP for the OPCC's reports.

use actix_web::{HttpRequest, HttpResponse, get};
use utoipa_actix_web::service_config::ServiceConfig;

use serde::Serialize;

use super::paper::FundPaper;
use super::{
    ContributionsToConfirm, FundByPartnership, FundByPriority, IndicatorOutcomes, ProjectsByProviderStatus,
    ProjectsByRag, RecommendationOutcomes, ReportFilter,
};
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::error::Error;
use crate::http::State;
use crate::http::extract::QueryParams;
use crate::http::problem::ApiError;
use crate::records;
use crate::tables::Table;
use crate::tables::http::negotiated;
use crate::timestamps;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(fund_by_partnership)
        .service(fund_by_priority)
        .service(projects_by_rag)
        .service(projects_by_provider_status)
        .service(indicator_outcomes)
        .service(recommendation_outcomes)
        .service(contributions_to_confirm);
}

/// Computes a report for the caller and answers it as JSON, or CSV when asked.
async fn answer<T: Table + Serialize + Send + 'static>(
    req: HttpRequest,
    state: State,
    caller: Caller,
    filter: QueryParams<ReportFilter>,
    compute: fn(&mut DbConnection, &Caller, &ReportFilter) -> Result<T, Error>,
    file_name: &str,
) -> Result<HttpResponse, ApiError> {
    let filter = filter.0;
    let bom = filter.bom.unwrap_or(false);
    let report = state.db.run(move |conn| compute(conn, &caller, &filter)).await?;
    negotiated(&req, &report, bom, file_name)
}

/// A fund report as JSON, CSV when asked, or with `Accept: application/pdf` as a Police and
/// Crime Panel paper: a table per fund year with its totals.
async fn answer_or_paper<T: Table + Serialize + Send + 'static>(
    req: HttpRequest,
    state: State,
    caller: Caller,
    filter: QueryParams<ReportFilter>,
    compute: fn(&mut DbConnection, &Caller, &ReportFilter) -> Result<T, Error>,
    paper: FundPaper,
    file_name: &str,
) -> Result<HttpResponse, ApiError> {
    if !records::http::prefers_pdf(&req) {
        return answer(req, state, caller, filter, compute, &format!("{file_name}.csv")).await;
    }
    let filter = filter.0;
    let check_at = format!("{}{}", state.config.public_url, req.uri());
    let sheet = state
        .db
        .run(move |conn| super::paper::sheet(conn, &caller, &filter, compute, paper, check_at, timestamps::today()))
        .await?;
    let pdf = records::typeset(sheet).await?;
    Ok(records::http::pdf(pdf, &format!("{file_name}.pdf")))
}

/// The fund by partnership: grant to spend, for each partnership and fund year.
///
/// Grant, carry-forward, available, planned (the approved plan), claimed (submitted returns),
/// approved for payment, paid, outstanding, spent (the submitted final report), virements,
/// variance, unspent and its treatment, and where each document stands; with totals. OPCC roles
/// see every partnership; a partnership sees its own.
#[utoipa::path(tag = "opcc-desk", security(("bearer" = [])), params(ReportFilter),
    responses((status = 200, description = "The fund by partnership; its rows as CSV with `Accept: text/csv`; a Police and Crime Panel paper (PDF/A, a table per fund year with totals) with `Accept: application/pdf`",
        content((FundByPartnership = "application/json"), (String = "text/csv"), (String = "application/pdf")))))]
#[get("/reports/fund-by-partnership")]
pub async fn fund_by_partnership(
    req: HttpRequest,
    state: State,
    caller: Caller,
    filter: QueryParams<ReportFilter>,
) -> Result<HttpResponse, ApiError> {
    answer_or_paper(
        req,
        state,
        caller,
        filter,
        super::by_partnership,
        FundPaper::ByPartnership,
        "fund-by-partnership",
    )
    .await
}

/// The fund by Police & Crime Plan priority: planned and spent on the lines serving each.
///
/// A row per priority of each fund year's plan, those nothing serves included. A plan line
/// serving several priorities counts in full under each, so the rows add up to more than the
/// totals, which count every line once; `note` says so with every answer.
#[utoipa::path(tag = "opcc-desk", security(("bearer" = [])), params(ReportFilter),
    responses((status = 200, description = "The fund by priority; its rows as CSV with `Accept: text/csv`; a Police and Crime Panel paper (PDF/A, a table per fund year with totals) with `Accept: application/pdf`",
        content((FundByPriority = "application/json"), (String = "text/csv"), (String = "application/pdf")))))]
#[get("/reports/fund-by-priority")]
pub async fn fund_by_priority(
    req: HttpRequest,
    state: State,
    caller: Caller,
    filter: QueryParams<ReportFilter>,
) -> Result<HttpResponse, ApiError> {
    answer_or_paper(
        req,
        state,
        caller,
        filter,
        super::by_priority,
        FundPaper::ByPriority,
        "fund-by-priority",
    )
    .await
}

/// Half-year projects by RAG rating: how many, their funding and expenditure to date.
///
/// From submitted half-year returns, a row per fund year, half and rating.
#[utoipa::path(tag = "opcc-desk", security(("bearer" = [])), params(ReportFilter),
    responses((status = 200, description = "Projects by RAG rating; its rows as CSV with `Accept: text/csv`",
        content((ProjectsByRag = "application/json"), (String = "text/csv")))))]
#[get("/reports/projects-by-rag")]
pub async fn projects_by_rag(
    req: HttpRequest,
    state: State,
    caller: Caller,
    filter: QueryParams<ReportFilter>,
) -> Result<HttpResponse, ApiError> {
    answer(req, state, caller, filter, super::by_rag, "projects-by-rag.csv").await
}

/// Half-year projects by provider status (statutory, voluntary, independent).
///
/// From submitted half-year returns, a row per fund year, half and status.
#[utoipa::path(tag = "opcc-desk", security(("bearer" = [])), params(ReportFilter),
    responses((status = 200, description = "Projects by provider status; its rows as CSV with `Accept: text/csv`",
        content((ProjectsByProviderStatus = "application/json"), (String = "text/csv")))))]
#[get("/reports/projects-by-provider-status")]
pub async fn projects_by_provider_status(
    req: HttpRequest,
    state: State,
    caller: Caller,
    filter: QueryParams<ReportFilter>,
) -> Result<HttpResponse, ApiError> {
    answer(
        req,
        state,
        caller,
        filter,
        super::by_provider_status,
        "projects-by-provider-status.csv",
    )
    .await
}

/// Indicators: each target against the actuals at half year and at year end, met or not.
///
/// Every indicator of the approved plans' lines, with the actuals of the submitted half-year
/// returns and final report. `met` is null for qualitative indicators and actuals not yet
/// reported.
#[utoipa::path(tag = "opcc-desk", security(("bearer" = [])), params(ReportFilter),
    responses((status = 200, description = "Indicator outcomes; its rows as CSV with `Accept: text/csv`",
        content((IndicatorOutcomes = "application/json"), (String = "text/csv")))))]
#[get("/reports/indicators")]
pub async fn indicator_outcomes(
    req: HttpRequest,
    state: State,
    caller: Caller,
    filter: QueryParams<ReportFilter>,
) -> Result<HttpResponse, ApiError> {
    answer(req, state, caller, filter, super::indicator_outcomes, "indicators.csv").await
}

/// Commissioning recommendations from proposal to spend.
///
/// Every recommendation of the commissioning papers covering the fund year: the OPCC contribution
/// and total budget proposed, the approved plan lines carrying it out (`planned`), their spend in
/// submitted final reports (`spent`), and `funded: false` for those no approved line carries out.
#[utoipa::path(tag = "opcc-desk", security(("bearer" = [])), params(ReportFilter),
    responses((status = 200, description = "Recommendations and their outcomes; its rows as CSV with `Accept: text/csv`",
        content((RecommendationOutcomes = "application/json"), (String = "text/csv")))))]
#[get("/reports/recommendations")]
pub async fn recommendation_outcomes(
    req: HttpRequest,
    state: State,
    caller: Caller,
    filter: QueryParams<ReportFilter>,
) -> Result<HttpResponse, ApiError> {
    answer(
        req,
        state,
        caller,
        filter,
        super::recommendation_outcomes,
        "recommendations.csv",
    )
    .await
}

/// OPCC contributions still to be confirmed, by partnership and priority.
///
/// Recommendations of papers put to a board or agreed whose OPCC contribution is "to be confirmed"
/// or "awaiting confirmation": a row per partnership priority each serves.
#[utoipa::path(tag = "opcc-desk", security(("bearer" = [])), params(ReportFilter),
    responses((status = 200, description = "Contributions to confirm; its rows as CSV with `Accept: text/csv`",
        content((ContributionsToConfirm = "application/json"), (String = "text/csv")))))]
#[get("/reports/contributions-to-confirm")]
pub async fn contributions_to_confirm(
    req: HttpRequest,
    state: State,
    caller: Caller,
    filter: QueryParams<ReportFilter>,
) -> Result<HttpResponse, ApiError> {
    answer(
        req,
        state,
        caller,
        filter,
        super::contributions_to_confirm,
        "contributions-to-confirm.csv",
    )
    .await
}
