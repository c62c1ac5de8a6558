//! HTTP for the history: the feed of what happened since a cursor, and the chain's check.

use actix_web::{HttpResponse, get};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{Entry, HistoryFilter, Verification};
use crate::auth::Caller;
use crate::http::State;
use crate::http::extract::QueryParams;
use crate::http::problem::ApiError;
use crate::pagination::{Page, PageParams};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_history).service(verify_history);
}

/// What happened, oldest first: pass `next_cursor` back as `cursor` to follow the feed. A
/// partnership's people see their partnership's entries; OPCC roles see everything.
#[utoipa::path(tag = "history", security(("bearer" = [])), params(PageParams, HistoryFilter),
    responses((status = 200, description = "A page of history entries", body = Page<Entry>)))]
#[get("/history")]
pub async fn list_history(
    state: State,
    caller: Caller,
    page: QueryParams<PageParams>,
    filter: QueryParams<HistoryFilter>,
) -> Result<HttpResponse, ApiError> {
    let (page, filter) = (page.0.request()?, filter.0);
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
    Ok(HttpResponse::Ok().json(state.db.run(move |conn| super::verify_as(conn, &caller)).await?))
}
