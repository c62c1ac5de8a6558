//! HTTP for final reports: the document, its signatures, its review and its history.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::review::{self, AcceptReport};
use super::{FinalReport, FinalReportInput, FinalReportSummary, KIND};
use crate::auth::Caller;
use crate::documents::DocumentFilter;
use crate::documents::http::{IfMatch, act, confirm_signer, respond_with};
use crate::documents::lifecycle;
use crate::http::State;
use crate::http::extract::{JsonBody, QueryParams};
use crate::http::problem::ApiError;
use crate::pagination::{Page, PageParams};
use crate::signatures::SignatureInput;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_final_reports)
        .service(create_final_report)
        .service(get_final_report)
        .service(replace_final_report)
        .service(sign_final_report)
        .service(countersign_final_report)
        .service(withdraw_final_report)
        .service(start_final_report_review)
        .service(request_final_report_changes)
        .service(accept_final_report)
        .service(revise_final_report)
        .service(final_report_signatures)
        .service(final_report_versions)
        .service(final_report_version)
        .service(final_report_history);
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
    (status = 201, description = "Created as a draft; the ETag is its version", body = FinalReport),
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
    let mut response = respond_with(StatusCode::CREATED, &created)?;
    if let Ok(location) = header::HeaderValue::from_str(&format!("/api/v1/final-reports/{}", created.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Read a final report with its lines, virements, totals, review and the transitions you may take.
#[utoipa::path(tag = "final-reports", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, description = "The report; the ETag is its version", body = FinalReport)))]
#[get("/final-reports/{id}")]
pub async fn get_final_report(state: State, caller: Caller, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = state.db.run(move |conn| super::get(conn, &caller, id)).await?;
    respond_with(StatusCode::OK, &found)
}

/// Replace a draft final report's content (the partnership's manager).
#[utoipa::path(tag = "final-reports", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read")),
    request_body = FinalReportInput, responses(
    (status = 200, description = "Replaced", body = FinalReport),
    (status = 403, description = "Only the partnership's manager writes its reports"),
    (status = 409, description = "The return is not a draft"),
    (status = 412, description = "The report changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[put("/final-reports/{id}")]
pub async fn replace_final_report(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    body: JsonBody<FinalReportInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, input) = (id.into_inner(), body.into_inner());
    let replaced = state
        .db
        .run(move |conn| super::replace(conn, &caller, id, version.0, &input))
        .await?;
    respond_with(StatusCode::OK, &replaced)
}

/// Sign the report (the partnership's manager), confirming your password; the treasurer then
/// countersigns the same content.
#[utoipa::path(tag = "final-reports", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read")),
    request_body = SignatureInput, responses(
    (status = 200, description = "Signed", body = FinalReport),
    (status = 403, description = "Only the partnership's manager signs"),
    (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
    (status = 412, description = "The report changed since you read it"),
    (status = 428, description = "If-Match is missing"),
    (status = 429, description = "Too many wrong passwords"),
))]
#[post("/final-reports/{id}/sign")]
pub async fn sign_final_report(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    body: JsonBody<SignatureInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let signer = confirm_signer(&state, &caller, body.into_inner()).await?;
    act(&state, caller, KIND, id, move |conn, caller| {
        review::sign(conn, caller, id, version.0, &signer)
    })
    .await
}

/// Countersign the report (the partnership's treasurer), confirming your password; this
/// submits it. Only the content the manager signed can be countersigned.
#[utoipa::path(tag = "final-reports", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read")),
    request_body = SignatureInput, responses(
    (status = 200, description = "Countersigned and submitted", body = FinalReport),
    (status = 403, description = "Only the partnership's treasurer countersigns"),
    (status = 409, description = "Not signed by the manager yet, or not allowed in this state"),
    (status = 412, description = "The report changed since you read it"),
    (status = 428, description = "If-Match is missing"),
    (status = 429, description = "Too many wrong passwords"),
))]
#[post("/final-reports/{id}/countersign")]
pub async fn countersign_final_report(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    body: JsonBody<SignatureInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let signer = confirm_signer(&state, &caller, body.into_inner()).await?;
    act(&state, caller, KIND, id, move |conn, caller| {
        lifecycle::countersign(conn, caller, KIND, id, version.0, &signer)
    })
    .await
}

/// Accept the report (an OPCC reviewer), deciding on the unspent balance: returned, carried
/// forward into the partnership's next allocation with its purpose, or offset.
#[utoipa::path(tag = "final-reports", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read")),
    request_body = AcceptReport, responses(
    (status = 200, description = "Accepted; the unspent balance decided", body = FinalReport),
    (status = 403, description = "Only an OPCC reviewer accepts"),
    (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
    (status = 412, description = "The report changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[post("/final-reports/{id}/accept")]
pub async fn accept_final_report(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    body: JsonBody<AcceptReport>,
) -> Result<HttpResponse, ApiError> {
    let (id, input) = (id.into_inner(), body.into_inner());
    act(&state, caller, KIND, id, move |conn, caller| {
        review::accept(conn, caller, id, version.0, &input)
    })
    .await
}

crate::document_routes! {
    kind: KIND, tag: "final-reports", view: FinalReport,
    withdraw: withdraw_final_report = "/final-reports/{id}/withdraw",
    start_review: start_final_report_review = "/final-reports/{id}/start-review",
    request_changes: request_final_report_changes = "/final-reports/{id}/request-changes",
    revise: revise_final_report = "/final-reports/{id}/revise",
    signatures: final_report_signatures = "/final-reports/{id}/signatures",
    versions: final_report_versions = "/final-reports/{id}/versions",
    version: final_report_version = "/final-reports/{id}/versions/{number}",
    history: final_report_history = "/final-reports/{id}/history",
}
