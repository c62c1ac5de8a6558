//! HTTP for final reports.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{FinalReport, FinalReportInput, FinalReportSummary};
use crate::auth::Caller;
use crate::documents::DocumentFilter;
use crate::http::State;
use crate::http::extract::{JsonBody, QueryParams};
use crate::http::problem::ApiError;
use crate::pagination::{Page, PageParams};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_final_reports)
        .service(create_final_report)
        .service(get_final_report)
        .service(replace_final_report);
}

/// List final reports visible to you, by fund year, partnership and status.
#[utoipa::path(tag = "final-reports", security(("bearer" = [])), params(PageParams, DocumentFilter),
    responses((status = 200, description = "A page of final reports, without their lines", body = Page<FinalReportSummary>)))]
#[get("/final-reports")]
pub async fn list_final_reports(
    state: State,
    caller: Caller,
    page: QueryParams<PageParams>,
    filter: QueryParams<DocumentFilter>,
) -> Result<HttpResponse, ApiError> {
    let (page, filter) = (page.0.request()?, filter.0);
    Ok(HttpResponse::Ok().json(
        state
            .db
            .run(move |conn| super::list(conn, &caller, &filter, &page))
            .await?,
    ))
}

/// Start the final evaluation report of an allocation (the partnership's manager): one per
/// allocation; variances need explaining and virements may move only underspend.
#[utoipa::path(tag = "final-reports", security(("bearer" = [])), request_body = FinalReportInput, responses(
    (status = 201, description = "Created as a draft", body = FinalReport),
    (status = 403, description = "Only the partnership's manager writes its reports"),
))]
#[post("/final-reports")]
pub async fn create_final_report(
    state: State,
    caller: Caller,
    body: JsonBody<FinalReportInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let created = state.db.run(move |conn| super::create(conn, &caller, &input)).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/final-reports/{}", created.id)))
        .json(created))
}

/// Read a final report with its lines, virements and totals.
#[utoipa::path(tag = "final-reports", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, description = "The report", body = FinalReport)))]
#[get("/final-reports/{id}")]
pub async fn get_final_report(state: State, caller: Caller, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    Ok(HttpResponse::Ok().json(state.db.run(move |conn| super::get(conn, &caller, id)).await?))
}

/// Replace a draft final report's content (the partnership's manager).
#[utoipa::path(tag = "final-reports", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = FinalReportInput, responses(
    (status = 200, description = "Replaced", body = FinalReport),
    (status = 403, description = "Only the partnership's manager writes its reports"),
    (status = 409, description = "The report is not a draft"),
))]
#[put("/final-reports/{id}")]
pub async fn replace_final_report(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    body: JsonBody<FinalReportInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, input) = (id.into_inner(), body.into_inner());
    Ok(HttpResponse::Ok().json(
        state
            .db
            .run(move |conn| super::replace(conn, &caller, id, &input))
            .await?,
    ))
}
