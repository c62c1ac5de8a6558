//! HTTP for half-year returns.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{HalfYearReturn, HalfYearReturnInput, HalfYearReturnSummary};
use crate::auth::Caller;
use crate::documents::DocumentFilter;
use crate::http::State;
use crate::http::extract::{JsonBody, QueryParams};
use crate::http::problem::ApiError;
use crate::pagination::{Page, PageParams};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_half_year_returns)
        .service(create_half_year_return)
        .service(get_half_year_return)
        .service(replace_half_year_return);
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
    (status = 201, description = "Created as a draft", body = HalfYearReturn),
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
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/half-year-returns/{}", created.id)))
        .json(created))
}

/// Read a half-year return with its projects and totals.
#[utoipa::path(tag = "half-year-returns", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, description = "The return", body = HalfYearReturn)))]
#[get("/half-year-returns/{id}")]
pub async fn get_half_year_return(state: State, caller: Caller, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    Ok(HttpResponse::Ok().json(state.db.run(move |conn| super::get(conn, &caller, id)).await?))
}

/// Replace a draft half-year return's content (the partnership's manager).
#[utoipa::path(tag = "half-year-returns", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = HalfYearReturnInput, responses(
    (status = 200, description = "Replaced", body = HalfYearReturn),
    (status = 403, description = "Only the partnership's manager writes its returns"),
    (status = 409, description = "The return is not a draft"),
))]
#[put("/half-year-returns/{id}")]
pub async fn replace_half_year_return(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    body: JsonBody<HalfYearReturnInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, input) = (id.into_inner(), body.into_inner());
    Ok(HttpResponse::Ok().json(
        state
            .db
            .run(move |conn| super::replace(conn, &caller, id, &input))
            .await?,
    ))
}
