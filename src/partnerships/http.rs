//! HTTP for partnerships: anyone signed in reads those they may see; the admin manages them.

use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{NewPartnership, Partnership, PartnershipChanges, PartnershipFilter};
use crate::auth::Caller;
use crate::http::State;
use crate::http::extract::{IfMatch, JsonBody, SyncListing};
use crate::http::problem::ApiError;
use crate::pagination::{ChangedSince, Page, PageParams};
use crate::preconditions::etag;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_partnerships)
        .service(create_partnership)
        .service(get_partnership)
        .service(update_partnership);
}

/// List partnerships: all of them for OPCC roles, only their own for a partnership's people.
#[utoipa::path(tag = "partnerships", security(("bearer" = [])), params(PageParams, ChangedSince, PartnershipFilter),
    responses((status = 200, description = "A page of partnerships", body = Page<Partnership>)))]
#[get("/partnerships")]
pub async fn list_partnerships(
    state: State,
    caller: Caller,
    query: SyncListing<PartnershipFilter>,
) -> Result<HttpResponse, ApiError> {
    let (page, filter) = (query.request()?, query.filter);
    let found = state
        .db
        .run(move |conn| super::list(conn, &caller, &filter, &page))
        .await?;
    Ok(HttpResponse::Ok().json(found))
}

/// Create a partnership (admin).
#[utoipa::path(tag = "partnerships", security(("bearer" = [])), request_body = NewPartnership, responses(
    (status = 201, description = "Created", body = Partnership),
    (status = 403, description = "Only the admin creates partnerships"),
    (status = 409, description = "A partnership with this name exists"),
))]
#[post("/partnerships")]
pub async fn create_partnership(
    state: State,
    caller: Caller,
    body: JsonBody<NewPartnership>,
) -> Result<HttpResponse, ApiError> {
    let new = body.into_inner();
    let created = state.db.run(move |conn| super::create(conn, &caller, new)).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/partnerships/{}", created.id)))
        .insert_header((header::ETAG, etag(created.version)))
        .json(created))
}

/// Read a partnership.
#[utoipa::path(tag = "partnerships", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, description = "The partnership", body = Partnership)))]
#[get("/partnerships/{id}")]
pub async fn get_partnership(state: State, caller: Caller, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = state.db.run(move |conn| super::get(conn, &caller, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(found.version)))
        .json(found))
}

/// Change a partnership's name, area or lead authority (admin).
#[utoipa::path(tag = "partnerships", security(("bearer" = [])), params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read: `*` for any version, a weak tag never matches")),
    request_body = PartnershipChanges, responses(
    (status = 200, description = "Updated", body = Partnership),
    (status = 403, description = "Only the admin changes partnerships"),
    (status = 409, description = "A partnership with this name exists"),
))]
#[patch("/partnerships/{id}")]
pub async fn update_partnership(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    body: JsonBody<PartnershipChanges>,
) -> Result<HttpResponse, ApiError> {
    let (id, changes) = (id.into_inner(), body.into_inner());
    let updated = state
        .db
        .run(move |conn| super::update(conn, &caller, id, &version.0, changes))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(updated.version)))
        .json(updated))
}
