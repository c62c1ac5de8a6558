//! HTTP for half-year returns: the document, its signatures, its review and its history.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::review::{self, AcceptReturn};
use super::{HalfYearReturn, HalfYearReturnInput, HalfYearReturnSummary, KIND};
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
    cfg.service(list_half_year_returns)
        .service(create_half_year_return)
        .service(get_half_year_return)
        .service(replace_half_year_return)
        .service(sign_half_year_return)
        .service(countersign_half_year_return)
        .service(withdraw_half_year_return)
        .service(start_half_year_return_review)
        .service(request_half_year_return_changes)
        .service(accept_half_year_return)
        .service(revise_half_year_return)
        .service(half_year_return_signatures)
        .service(half_year_return_versions)
        .service(half_year_return_version)
        .service(half_year_return_history);
}

/// List half-year returns visible to you, by fund year, partnership and status.
#[utoipa::path(tag = "half-year-returns", security(("bearer" = [])), params(PageParams, DocumentFilter),
    responses((status = 200, description = "A page of returns, without their projects", body = Page<HalfYearReturnSummary>)))]
#[get("/half-year-returns")]
pub async fn list_half_year_returns(
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

/// Start a half-year return (the partnership's manager): one per allocation and half; all
/// claims together may not exceed the grant plus carry-forward.
#[utoipa::path(tag = "half-year-returns", security(("bearer" = [])), request_body = HalfYearReturnInput, responses(
    (status = 201, description = "Created as a draft; the ETag is its version", body = HalfYearReturn),
    (status = 403, description = "Only the partnership's manager writes its returns"),
))]
#[post("/half-year-returns")]
pub async fn create_half_year_return(
    state: State,
    caller: Caller,
    body: JsonBody<HalfYearReturnInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let created = state.db.run(move |conn| super::create(conn, &caller, &input)).await?;
    let mut response = respond_with(StatusCode::CREATED, &created)?;
    if let Ok(location) = header::HeaderValue::from_str(&format!("/api/v1/half-year-returns/{}", created.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Read a half-year return with its projects, totals, review and the transitions you may take.
#[utoipa::path(tag = "half-year-returns", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, description = "The return; the ETag is its version", body = HalfYearReturn)))]
#[get("/half-year-returns/{id}")]
pub async fn get_half_year_return(state: State, caller: Caller, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = state.db.run(move |conn| super::get(conn, &caller, id)).await?;
    respond_with(StatusCode::OK, &found)
}

/// Replace a draft half-year return's content (the partnership's manager).
#[utoipa::path(tag = "half-year-returns", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read")),
    request_body = HalfYearReturnInput, responses(
    (status = 200, description = "Replaced", body = HalfYearReturn),
    (status = 403, description = "Only the partnership's manager writes its returns"),
    (status = 409, description = "The return is not a draft"),
    (status = 412, description = "The return changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[put("/half-year-returns/{id}")]
pub async fn replace_half_year_return(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    body: JsonBody<HalfYearReturnInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, input) = (id.into_inner(), body.into_inner());
    let replaced = state
        .db
        .run(move |conn| super::replace(conn, &caller, id, version.0, &input))
        .await?;
    respond_with(StatusCode::OK, &replaced)
}

/// Sign the return (the partnership's manager), confirming your password; the treasurer then
/// countersigns the same content.
#[utoipa::path(tag = "half-year-returns", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read")),
    request_body = SignatureInput, responses(
    (status = 200, description = "Signed", body = HalfYearReturn),
    (status = 403, description = "Only the partnership's manager signs"),
    (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
    (status = 412, description = "The return changed since you read it"),
    (status = 428, description = "If-Match is missing"),
    (status = 429, description = "Too many wrong passwords"),
))]
#[post("/half-year-returns/{id}/sign")]
pub async fn sign_half_year_return(
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

/// Countersign the return (the partnership's treasurer), confirming your password; this
/// submits it. Only the content the manager signed can be countersigned.
#[utoipa::path(tag = "half-year-returns", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read")),
    request_body = SignatureInput, responses(
    (status = 200, description = "Countersigned and submitted", body = HalfYearReturn),
    (status = 403, description = "Only the partnership's treasurer countersigns"),
    (status = 409, description = "Not signed by the manager yet, or not allowed in this state"),
    (status = 412, description = "The return changed since you read it"),
    (status = 428, description = "If-Match is missing"),
    (status = 429, description = "Too many wrong passwords"),
))]
#[post("/half-year-returns/{id}/countersign")]
pub async fn countersign_half_year_return(
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

/// Accept the return (an OPCC reviewer): its claim is approved for payment.
#[utoipa::path(tag = "half-year-returns", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read")),
    request_body = AcceptReturn, responses(
    (status = 200, description = "Accepted; the claim is approved for payment", body = HalfYearReturn),
    (status = 403, description = "Only an OPCC reviewer accepts"),
    (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
    (status = 412, description = "The return changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[post("/half-year-returns/{id}/accept")]
pub async fn accept_half_year_return(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    body: JsonBody<AcceptReturn>,
) -> Result<HttpResponse, ApiError> {
    let (id, input) = (id.into_inner(), body.into_inner());
    act(&state, caller, KIND, id, move |conn, caller| {
        review::accept(conn, caller, id, version.0, &input)
    })
    .await
}

crate::document_routes! {
    kind: KIND, tag: "half-year-returns", view: HalfYearReturn,
    withdraw: withdraw_half_year_return = "/half-year-returns/{id}/withdraw",
    start_review: start_half_year_return_review = "/half-year-returns/{id}/start-review",
    request_changes: request_half_year_return_changes = "/half-year-returns/{id}/request-changes",
    revise: revise_half_year_return = "/half-year-returns/{id}/revise",
    signatures: half_year_return_signatures = "/half-year-returns/{id}/signatures",
    versions: half_year_return_versions = "/half-year-returns/{id}/versions",
    version: half_year_return_version = "/half-year-returns/{id}/versions/{number}",
    history: half_year_return_history = "/half-year-returns/{id}/history",
}
