//! HTTP for fund years: everyone signed in reads them; the admin opens them and sets deadlines.

use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{FundYear, FundYearChanges, NewFundYear};
use crate::auth::Caller;
use crate::http::State;
use crate::http::extract::{IfMatch, JsonBody, SyncListing, Unfiltered};
use crate::http::problem::ApiError;
use crate::pagination::{ChangedSince, Page, PageParams};
use crate::preconditions::etag;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_fund_years)
        .service(open_fund_year)
        .service(get_fund_year)
        .service(update_fund_year);
}

/// List fund years.
#[utoipa::path(tag = "reference-data", security(("bearer" = [])), params(PageParams, ChangedSince),
    responses((status = 200, description = "A page of fund years", body = Page<FundYear>)))]
#[get("/fund-years")]
pub async fn list_fund_years(
    state: State,
    _caller: Caller,
    query: SyncListing<Unfiltered>,
) -> Result<HttpResponse, ApiError> {
    let page = query.request()?;
    Ok(HttpResponse::Ok().json(state.db.run(move |conn| super::list(conn, &page)).await?))
}

/// Open a fund year with its deadlines (admin).
#[utoipa::path(tag = "reference-data", security(("bearer" = [])), request_body = NewFundYear, responses(
    (status = 201, description = "Opened", body = FundYear),
    (status = 403, description = "Only the admin maintains reference data"),
    (status = 409, description = "The fund year exists"),
))]
#[post("/fund-years")]
pub async fn open_fund_year(
    state: State,
    caller: Caller,
    body: JsonBody<NewFundYear>,
) -> Result<HttpResponse, ApiError> {
    let new = body.into_inner();
    let created = state.db.run(move |conn| super::create(conn, &caller, &new)).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/fund-years/{}", created.id)))
        .insert_header((header::ETAG, etag(created.version)))
        .json(created))
}

/// Read a fund year.
#[utoipa::path(tag = "reference-data", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, description = "The fund year", body = FundYear)))]
#[get("/fund-years/{id}")]
pub async fn get_fund_year(state: State, caller: Caller, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = state.db.run(move |conn| super::get(conn, &caller, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(found.version)))
        .json(found))
}

/// Change a fund year's deadlines or priority set (admin).
#[utoipa::path(tag = "reference-data", security(("bearer" = [])), params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read: `*` for any version, a weak tag never matches")),
    request_body = FundYearChanges, responses(
    (status = 200, description = "Updated", body = FundYear),
    (status = 403, description = "Only the admin maintains reference data"),
))]
#[patch("/fund-years/{id}")]
pub async fn update_fund_year(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    body: JsonBody<FundYearChanges>,
) -> Result<HttpResponse, ApiError> {
    let (id, changes) = (id.into_inner(), body.into_inner());
    let updated = state
        .db
        .run(move |conn| super::update(conn, &caller, id, &version.0, &changes))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(updated.version)))
        .json(updated))
}
