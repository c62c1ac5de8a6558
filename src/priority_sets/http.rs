//! HTTP for priority sets: everyone signed in reads them; the admin maintains them.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{PrioritySet, PrioritySetInput};
use crate::auth::Caller;
use crate::http::State;
use crate::http::extract::{IfMatch, JsonBody, SyncListing, Unfiltered};
use crate::http::problem::ApiError;
use crate::pagination::{ChangedSince, Page, PageParams};
use crate::preconditions::etag;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_priority_sets)
        .service(create_priority_set)
        .service(get_priority_set)
        .service(replace_priority_set);
}

/// List Police & Crime Plan priority sets.
#[utoipa::path(tag = "reference-data", security(("bearer" = [])), params(PageParams, ChangedSince),
    responses((status = 200, description = "A page of priority sets", body = Page<PrioritySet>)))]
#[get("/priority-sets")]
pub async fn list_priority_sets(
    state: State,
    _caller: Caller,
    query: SyncListing<Unfiltered>,
) -> Result<HttpResponse, ApiError> {
    let page = query.request()?;
    Ok(HttpResponse::Ok().json(state.db.run(move |conn| super::list(conn, &page)).await?))
}

/// Create a priority set (admin).
#[utoipa::path(tag = "reference-data", security(("bearer" = [])), request_body = PrioritySetInput, responses(
    (status = 201, description = "Created", body = PrioritySet),
    (status = 403, description = "Only the admin maintains reference data"),
    (status = 409, description = "A set with this name exists"),
))]
#[post("/priority-sets")]
pub async fn create_priority_set(
    state: State,
    caller: Caller,
    body: JsonBody<PrioritySetInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let created = state.db.run(move |conn| super::create(conn, &caller, &input)).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/priority-sets/{}", created.id)))
        .insert_header((header::ETAG, etag(created.version)))
        .json(created))
}

/// Read a priority set.
#[utoipa::path(tag = "reference-data", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, description = "The priority set", body = PrioritySet)))]
#[get("/priority-sets/{id}")]
pub async fn get_priority_set(state: State, caller: Caller, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = state.db.run(move |conn| super::get(conn, &caller, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(found.version)))
        .json(found))
}

/// Replace a priority set's name, period and priorities (admin). Priorities cited by plan lines
/// cannot be removed.
#[utoipa::path(tag = "reference-data", security(("bearer" = [])), params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read: `*` for any version, a weak tag never matches")),
    request_body = PrioritySetInput, responses(
    (status = 200, description = "Replaced", body = PrioritySet),
    (status = 403, description = "Only the admin maintains reference data"),
    (status = 409, description = "A set with this name exists"),
))]
#[put("/priority-sets/{id}")]
pub async fn replace_priority_set(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    body: JsonBody<PrioritySetInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, input) = (id.into_inner(), body.into_inner());
    let replaced = state
        .db
        .run(move |conn| super::replace(conn, &caller, id, &version.0, &input))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(replaced.version)))
        .json(replaced))
}
