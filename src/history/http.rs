//! HTTP for the history: the feed of what happened since a cursor, and the chain's check.

use actix_web::{HttpResponse, get, post};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{Checkpoint, Feed, HistoryFilter, Verification, checkpoints};
use crate::auth::Caller;
use crate::http::State;
use crate::http::extract::Listing;
use crate::http::problem::ApiError;
use crate::pagination::PageParams;
use crate::service_key::PublicKey;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_history)
        .service(verify_history)
        .service(take_checkpoint)
        .service(signing_key);
}

/// What happened, oldest first: pass `next_cursor` back as `cursor` to follow the feed. A
/// partnership's people see their partnership's entries; OPCC roles see everything. Each page
/// carries the newest signed checkpoint: keep one, and a later rewrite of the history at or
/// before it is detected.
#[utoipa::path(tag = "history", security(("bearer" = [])), params(PageParams, HistoryFilter),
    responses((status = 200, description = "A page of history entries", body = Feed)))]
#[get("/history")]
pub async fn list_history(
    state: State,
    caller: Caller,
    query: Listing<HistoryFilter>,
) -> Result<HttpResponse, ApiError> {
    let (page, filter) = (query.page.request()?, query.filter);
    Ok(HttpResponse::Ok().json(
        state
            .db
            .run(move |conn| super::list(conn, &caller, &filter, &page))
            .await?,
    ))
}

/// Check the whole hash chain (admin): whether any entry was altered, inserted or removed, and
/// the first that was.
#[utoipa::path(tag = "history", security(("bearer" = [])), responses(
    (status = 200, description = "The outcome of the check", body = Verification),
    (status = 403, description = "Only the admin checks the history"),
))]
#[get("/history/verification")]
pub async fn verify_history(state: State, caller: Caller) -> Result<HttpResponse, ApiError> {
    let key = state.config.service_key.clone();
    Ok(HttpResponse::Ok().json(state.db.run(move |conn| super::verify_as(conn, &caller, &key)).await?))
}

/// A signed checkpoint of the history as it stands now.
///
/// The newest, signing one if the history has grown since. Verify `signature` over the UTF-8 bytes of `message` with the key at
/// `GET /api/v1/signing-key`.
#[utoipa::path(tag = "history", security(("bearer" = [])), responses(
    (status = 200, description = "The newest checkpoint", body = Checkpoint),
    (status = 404, description = "The history is empty"),
))]
#[post("/history/checkpoints")]
pub async fn take_checkpoint(state: State, _caller: Caller) -> Result<HttpResponse, ApiError> {
    let key = state.config.service_key.clone();
    let checkpoint = state
        .db
        .run(move |conn| checkpoints::take(conn, &key)?.ok_or(crate::error::Error::NotFound("history entry")))
        .await?;
    Ok(HttpResponse::Ok().json(checkpoint))
}

/// The service's Ed25519 public key: it signs history checkpoints and attests every document
/// signature. Needs no token.
#[utoipa::path(tag = "history", responses(
    (status = 200, description = "The public key", body = PublicKey),
))]
#[get("/signing-key")]
pub async fn signing_key(state: State) -> Result<HttpResponse, ApiError> {
    let public = state
        .config
        .service_key
        .public()
        .map_err(crate::error::Error::internal)?;
    Ok(HttpResponse::Ok().json(public))
}
