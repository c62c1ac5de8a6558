//! HTTP for deadlines: what is due, due soon and overdue, across the partnerships a caller sees.

use actix_web::{HttpResponse, get};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{DeadlineFilter, DueDocuments};
use crate::auth::Caller;
use crate::http::State;
use crate::http::extract::QueryParams;
use crate::http::problem::ApiError;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_deadlines);
}

/// What is due, due soon and overdue.
///
/// Every document each allocation owes (plan, first and second half's return, final report),
/// started or not, with its due date and whether it is due soon, overdue or was submitted late,
/// by the service's clock. OPCC roles see every partnership; a partnership sees its own.
#[utoipa::path(tag = "opcc-desk", security(("bearer" = [])), params(DeadlineFilter),
    responses((status = 200, description = "What is due", body = DueDocuments)))]
#[get("/deadlines")]
pub async fn list_deadlines(
    state: State,
    caller: Caller,
    filter: QueryParams<DeadlineFilter>,
) -> Result<HttpResponse, ApiError> {
    let filter = filter.0;
    Ok(HttpResponse::Ok().json(state.db.run(move |conn| super::list(conn, &caller, &filter)).await?))
}
