//! HTTP for the history: the feed of what happened since a cursor, and the chain's check.

use actix_web::{HttpResponse, get, post};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::{Checkpoint, Feed, HistoryFilter, Verification, checkpoints};
use crate::auth::Caller;
use crate::http::State;
use crate::http::extract::{JsonBody, Listing, QueryParams};
use crate::http::problem::ApiError;
use crate::pagination::{Page, PageParams};
use crate::service_key::PublicKey;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_history)
        .service(verify_history)
        .service(verify_kept_checkpoints)
        .service(list_checkpoints)
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
    let (key, outside) = (
        state.config.service_key.clone(),
        checkpoints::KeptCheckpoint::at(state.config.checkpoint_file.clone()),
    );
    Ok(HttpResponse::Ok().json(
        state
            .db
            .run(move |conn| super::verify_as(conn, &caller, &key, &outside))
            .await?,
    ))
}

/// Checkpoints an outside system kept, to check against the history.
#[derive(Deserialize, ToSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct KeptCheckpoints {
    /// As `GET /history/checkpoints`, the feed or a webhook gave them; at most 1,000.
    pub checkpoints: Vec<Checkpoint>,
}

/// Check checkpoints you kept against the history (the OPCC's roles).
///
/// Walks the whole chain and answers which of the checkpoints, if any, the history as stored now
/// contradicts (`contradicted`): an entry rewritten, or removed, since it was signed.
#[utoipa::path(tag = "history", security(("bearer" = [])), request_body = KeptCheckpoints, responses(
    (status = 200, description = "The outcome of the check", body = Verification),
    (status = 403, description = "Only the OPCC's roles check the history"),
))]
#[post("/history/verification")]
pub async fn verify_kept_checkpoints(
    state: State,
    caller: Caller,
    body: JsonBody<KeptCheckpoints>,
) -> Result<HttpResponse, ApiError> {
    let key = state.config.service_key.clone();
    let kept = body.into_inner().checkpoints;
    Ok(HttpResponse::Ok().json(
        state
            .db
            .run(move |conn| super::verify_kept(conn, &caller, &key, &kept))
            .await?,
    ))
}

/// Every signed checkpoint, oldest first, for an outside system to keep.
///
/// Keep them all: with any one kept, a later rewrite of the history at or before its entry is
/// detected (`POST /history/verification`). The cursor follows `entry_id`.
#[utoipa::path(tag = "history", security(("bearer" = [])), params(PageParams),
    responses((status = 200, description = "A page of checkpoints", body = Page<Checkpoint>)))]
#[get("/history/checkpoints")]
pub async fn list_checkpoints(
    state: State,
    _caller: Caller,
    page: QueryParams<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = page.0.request()?;
    Ok(HttpResponse::Ok().json(state.db.run(move |conn| checkpoints::page(conn, &page)).await?))
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
    let (key, kept) = (
        state.config.service_key.clone(),
        checkpoints::KeptCheckpoint::at(state.config.checkpoint_file.clone()),
    );
    let checkpoint = state
        .db
        .run(move |conn| checkpoints::take(conn, &key, &kept)?.ok_or(crate::error::Error::NotFound("history entry")))
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
