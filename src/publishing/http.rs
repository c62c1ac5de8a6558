//! HTTP for publishing: the OPCC's settings (admin) and the 360Giving export.

use actix_web::http::header;
use actix_web::{HttpResponse, get, put};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{PublishingInput, PublishingSettings};
use crate::auth::Caller;
use crate::db::write_transaction;
use crate::error::Error;
use crate::http::State;
use crate::http::extract::{IfMatch, JsonBody, QueryParams};
use crate::http::problem::ApiError;
use crate::preconditions::etag;
use crate::reports::ReportFilter;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(get_publishing)
        .service(put_publishing)
        .service(export_360giving);
}

/// The OPCC's publishing settings: its name, org-id and 360Giving prefix.
#[utoipa::path(tag = "opcc-desk", security(("bearer" = [])), responses(
    (status = 200, description = "The settings", body = PublishingSettings),
    (status = 404, description = "Not set yet"),
))]
#[get("/publishing")]
pub async fn get_publishing(state: State, _caller: Caller) -> Result<HttpResponse, ApiError> {
    let settings = state
        .db
        .run(|conn| super::settings(conn)?.ok_or(Error::NotFound("publishing settings")))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(settings.version)))
        .json(settings))
}

/// Set the OPCC's publishing settings (admin).
///
/// Partnerships' own org-ids are set on each partnership.
#[utoipa::path(tag = "opcc-desk", security(("bearer" = [])), params(("If-Match" = Option<String>, Header, description = "The ETag you read: `*` for any version, a weak tag never matches. Not needed for the first settings, which nothing can have read")),
    request_body = PublishingInput, responses(
    (status = 200, description = "Set", body = PublishingSettings),
    (status = 403, description = "Only the admin sets them"),
))]
#[put("/publishing")]
pub async fn put_publishing(
    state: State,
    caller: Caller,
    version: IfMatch,
    body: JsonBody<PublishingInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let settings = state
        .db
        .run(move |conn| write_transaction(conn, |conn| super::set(conn, &caller, &version.0, &input)))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(settings.version)))
        .json(settings))
}

/// The grants as a 360Giving data package (standard 1.4).
///
/// One grant per allocation, to the partnership's lead authority (its org-id, or an id in the
/// OPCC's prefix if it has none), with the fund year as grant programme, the grant awarded and
/// the amount paid so far; and an onward grant (`relatedActivity` naming the allocation's grant)
/// for each provider line of the approved plan, paid as the submitted final report says. Amounts
/// are JSON numbers, as the standard requires, written exactly. Validates against the 360Giving
/// package schema when it holds at least one grant. A partnership sees its own.
#[utoipa::path(tag = "opcc-desk", security(("bearer" = [])), params(ReportFilter), responses(
    (status = 200, description = "A 360Giving data package", content_type = "application/json", body = crate::open_json::JsonObject),
    (status = 409, description = "The OPCC's publishing settings are not set"),
))]
#[get("/exports/360giving")]
pub async fn export_360giving(
    state: State,
    caller: Caller,
    filter: QueryParams<ReportFilter>,
) -> Result<HttpResponse, ApiError> {
    let filter = filter.0;
    let package = state.db.run(move |conn| super::package(conn, &caller, &filter)).await?;
    Ok(HttpResponse::Ok().json(package))
}
