//! HTTP for allocations: the admin sets them; partnerships read their own, the OPCC all.

use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{AllocationChanges, AllocationFilter, AllocationView, NewAllocation};
use crate::auth::Caller;
use crate::http::State;
use crate::http::extract::{IfMatch, JsonBody, SyncListing};
use crate::http::problem::ApiError;
use crate::pagination::{ChangedSince, Page, PageParams};
use crate::preconditions::etag;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_allocations)
        .service(create_allocation)
        .service(get_allocation)
        .service(update_allocation);
}

/// List allocations visible to you, by fund year and partnership.
#[utoipa::path(tag = "reference-data", security(("bearer" = [])), params(PageParams, ChangedSince, AllocationFilter),
    responses((status = 200, description = "A page of allocations", body = Page<AllocationView>)))]
#[get("/allocations")]
pub async fn list_allocations(
    state: State,
    caller: Caller,
    query: SyncListing<AllocationFilter>,
) -> Result<HttpResponse, ApiError> {
    let (page, filter) = (query.request()?, query.filter);
    Ok(HttpResponse::Ok().json(
        state
            .db
            .run(move |conn| {
                let page = super::list(conn, &caller, &filter, &page)?;
                Ok(Page {
                    items: super::with_deadlines(conn, page.items)?,
                    next_cursor: page.next_cursor,
                })
            })
            .await?,
    ))
}

/// Set a partnership's allocation for a fund year (admin).
#[utoipa::path(tag = "reference-data", security(("bearer" = [])), request_body = NewAllocation, responses(
    (status = 201, description = "Created", body = AllocationView),
    (status = 403, description = "Only the admin sets allocations"),
))]
#[post("/allocations")]
pub async fn create_allocation(
    state: State,
    caller: Caller,
    body: JsonBody<NewAllocation>,
) -> Result<HttpResponse, ApiError> {
    let new = body.into_inner();
    let created = state
        .db
        .run(move |conn| {
            let created = super::create(conn, &caller, &new)?;
            super::with_deadline(conn, created)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/allocations/{}", created.allocation.id),
        ))
        .insert_header((header::ETAG, etag(created.allocation.version)))
        .json(created))
}

/// Read an allocation.
#[utoipa::path(tag = "reference-data", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, description = "The allocation", body = AllocationView)))]
#[get("/allocations/{id}")]
pub async fn get_allocation(state: State, caller: Caller, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = state
        .db
        .run(move |conn| {
            let allocation = super::get(conn, &caller, id)?;
            super::with_deadline(conn, allocation)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(found.allocation.version)))
        .json(found))
}

/// Change an allocation's grant or carry-forward (admin). It must still cover the plan lines
/// and the claims made against it.
#[utoipa::path(tag = "reference-data", security(("bearer" = [])), params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read: `*` for any version, a weak tag never matches")),
    request_body = AllocationChanges, responses(
    (status = 200, description = "Updated", body = AllocationView),
    (status = 403, description = "Only the admin sets allocations"),
))]
#[patch("/allocations/{id}")]
pub async fn update_allocation(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    body: JsonBody<AllocationChanges>,
) -> Result<HttpResponse, ApiError> {
    let (id, changes) = (id.into_inner(), body.into_inner());
    let updated = state
        .db
        .run(move |conn| {
            let updated = super::update(conn, &caller, id, &version.0, &changes)?;
            super::with_deadline(conn, updated)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(updated.allocation.version)))
        .json(updated))
}
