//! HTTP for half-year returns: the document, its signatures, its review and its history.

use actix_web::{HttpResponse, get, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::review::{self, AcceptReturn};
use super::{HalfYearReturn, HalfYearReturnInput, HalfYearReturnSummary, KIND};
use crate::auth::Caller;
use crate::documents::http::{IfMatch, act};
use crate::http::State;
use crate::http::extract::JsonBody;
use crate::http::problem::ApiError;
use crate::pagination::Page;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_half_year_returns)
        .service(create_half_year_return)
        .service(get_half_year_return)
        .service(replace_half_year_return)
        .service(sign_half_year_return)
        .service(countersign_half_year_return)
        .service(withdraw_half_year_return)
        .service(start_half_year_return_review)
        .service(request_half_year_return_changes)
        .service(accept_half_year_return)
        .service(revise_half_year_return)
        .service(half_year_return_signatures)
        .service(half_year_return_versions)
        .service(half_year_return_version)
        .service(half_year_return_history);
}

crate::document_crud_routes! {
    document: HalfYearReturn, input: HalfYearReturnInput, summary: HalfYearReturnSummary, tag: "half-year-returns",
    list: list_half_year_returns = "/half-year-returns",
    "List half-year returns visible to you, by fund year, partnership and status (without their projects).",
    create: create_half_year_return = "/half-year-returns",
    "Start a half-year return (the partnership's manager): one per allocation and half; all claims together may not exceed the grant plus carry-forward.",
    read: get_half_year_return = "/half-year-returns/{id}",
    "Read a half-year return with its projects, totals, review and the transitions you may take.",
    replace: replace_half_year_return = "/half-year-returns/{id}",
    "Replace a draft half-year return's content (the partnership's manager).",
}

crate::signing_routes! {
    kind: KIND, tag: "half-year-returns", view: HalfYearReturn, sign: review::sign,
    sign_route: sign_half_year_return = "/half-year-returns/{id}/sign",
    "Sign the return (the partnership's manager), confirming your password; the treasurer then countersigns the same content.",
    countersign_route: countersign_half_year_return = "/half-year-returns/{id}/countersign",
    "Countersign the return (the partnership's treasurer), confirming your password; this submits it. Only the content the manager signed can be countersigned.",
}

/// Accept the return (an OPCC reviewer): its claim is approved for payment.
#[utoipa::path(tag = "half-year-returns", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read")),
    request_body = AcceptReturn, responses(
    (status = 200, description = "Accepted; the claim is approved for payment", body = HalfYearReturn),
    (status = 403, description = "Only an OPCC reviewer accepts"),
    (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
    (status = 412, description = "The return changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[post("/half-year-returns/{id}/accept")]
pub async fn accept_half_year_return(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    body: JsonBody<AcceptReturn>,
) -> Result<HttpResponse, ApiError> {
    let (id, input) = (id.into_inner(), body.into_inner());
    act(&state, caller, KIND, id, move |conn, caller| {
        review::accept(conn, caller, id, version.0, &input)
    })
    .await
}

crate::document_routes! {
    kind: KIND, tag: "half-year-returns", view: HalfYearReturn,
    withdraw: withdraw_half_year_return = "/half-year-returns/{id}/withdraw",
    start_review: start_half_year_return_review = "/half-year-returns/{id}/start-review",
    request_changes: request_half_year_return_changes = "/half-year-returns/{id}/request-changes",
    revise: revise_half_year_return = "/half-year-returns/{id}/revise",
    signatures: half_year_return_signatures = "/half-year-returns/{id}/signatures",
    versions: half_year_return_versions = "/half-year-returns/{id}/versions",
    version: half_year_return_version = "/half-year-returns/{id}/versions/{number}",
    history: half_year_return_history = "/half-year-returns/{id}/history",
}
