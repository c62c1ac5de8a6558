//! HTTP for the OPCC's reports.

use actix_web::{HttpResponse, get};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{FundByPartnership, ReportFilter};
use crate::auth::Caller;
use crate::http::State;
use crate::http::extract::QueryParams;
use crate::http::problem::ApiError;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(fund_by_partnership);
}

/// The fund by partnership: grant to spend, for each partnership and fund year.
///
/// Grant, carry-forward, available, planned (the approved plan), claimed (submitted returns),
/// approved for payment, paid, outstanding, spent (the submitted final report), virements,
/// variance, unspent and its treatment, and where each document stands; with totals. OPCC roles
/// see every partnership; a partnership sees its own.
#[utoipa::path(tag = "opcc-desk", security(("bearer" = [])), params(ReportFilter),
    responses((status = 200, description = "The fund by partnership", body = FundByPartnership)))]
#[get("/reports/fund-by-partnership")]
pub async fn fund_by_partnership(
    state: State,
    caller: Caller,
    filter: QueryParams<ReportFilter>,
) -> Result<HttpResponse, ApiError> {
    let filter = filter.0;
    Ok(HttpResponse::Ok().json(
        state
            .db
            .run(move |conn| super::by_partnership(conn, &caller, &filter))
            .await?,
    ))
}
