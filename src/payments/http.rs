//! HTTP for payments: finance records them against an accepted return; everyone who sees the
//! return sees them.

use actix_web::{HttpResponse, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{NewPayment, Payment, PaymentChanges, PaymentFilter};
use crate::auth::Caller;
use crate::db::write_transaction;
use crate::documents;
use crate::half_year_returns::HalfYearReturn;
use crate::http::State;
use crate::http::extract::{JsonBody, SyncListing};
use crate::http::problem::ApiError;
use crate::pagination::{ChangedSince, Page, PageParams};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(record_payment)
        .service(list_return_payments)
        .service(list_payments)
        .service(get_payment)
        .service(change_payment);
}

/// Record a payment of an accepted return's approved claim (opcc_finance).
///
/// One claim may be paid in several payments; together they never exceed the approved amount.
#[utoipa::path(tag = "opcc-desk", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = NewPayment, responses(
    (status = 201, description = "Recorded", body = Payment),
    (status = 403, description = "Only the OPCC's finance role records payments"),
    (status = 404, description = "No such return visible to you"),
    (status = 409, description = "The return is not accepted yet"),
))]
#[post("/half-year-returns/{id}/payments")]
pub async fn record_payment(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    body: JsonBody<NewPayment>,
) -> Result<HttpResponse, ApiError> {
    let (id, new) = (id.into_inner(), body.into_inner());
    let payment = state
        .db
        .run(move |conn| write_transaction(conn, |conn| super::record(conn, &caller, id, &new)))
        .await?;
    Ok(HttpResponse::Created().json(payment))
}

/// The payments of a return's claim, oldest first.
#[utoipa::path(tag = "opcc-desk", security(("bearer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, description = "The return's payments", body = Vec<Payment>),
    (status = 404, description = "No such return visible to you"),
))]
#[get("/half-year-returns/{id}/payments")]
pub async fn list_return_payments(state: State, caller: Caller, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    Ok(HttpResponse::Ok().json(
        state
            .db
            .run(move |conn| {
                let claim = documents::locate::<HalfYearReturn>(conn, &caller, id)?;
                super::of_return(conn, &claim)
            })
            .await?,
    ))
}

/// Payments visible to you, oldest first, by fund year and partnership.
#[utoipa::path(tag = "opcc-desk", security(("bearer" = [])), params(PageParams, ChangedSince, PaymentFilter),
    responses((status = 200, description = "A page of payments", body = Page<Payment>)))]
#[get("/payments")]
pub async fn list_payments(
    state: State,
    caller: Caller,
    query: SyncListing<PaymentFilter>,
) -> Result<HttpResponse, ApiError> {
    let (page, filter) = (query.request()?, query.filter);
    Ok(HttpResponse::Ok().json(
        state
            .db
            .run(move |conn| super::list(conn, &caller, &filter, &page))
            .await?,
    ))
}

/// Read a payment.
#[utoipa::path(tag = "opcc-desk", security(("bearer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, description = "The payment", body = Payment),
    (status = 404, description = "No such payment visible to you"),
))]
#[get("/payments/{id}")]
pub async fn get_payment(state: State, caller: Caller, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    Ok(HttpResponse::Ok().json(state.db.run(move |conn| super::read(conn, &caller, id)).await?))
}

/// Set or remove the finance system's reference for a payment (opcc_finance).
///
/// The amount, date and remittance reference of a recorded payment never change; its external
/// reference is the finance system's own id for it, which may be known only later.
#[utoipa::path(tag = "opcc-desk", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = PaymentChanges, responses(
    (status = 200, description = "The payment", body = Payment),
    (status = 403, description = "Only the OPCC's finance role changes payments"),
    (status = 404, description = "No such payment visible to you"),
))]
#[patch("/payments/{id}")]
pub async fn change_payment(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    body: JsonBody<PaymentChanges>,
) -> Result<HttpResponse, ApiError> {
    let (id, changes) = (id.into_inner(), body.into_inner());
    let payment = state
        .db
        .run(move |conn| write_transaction(conn, |conn| super::change(conn, &caller, id, &changes)))
        .await?;
    Ok(HttpResponse::Ok().json(payment))
}
