//! HTTP for final reports: the document, its signatures, its review and its history.

use actix_web::{HttpResponse, get, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::review::{self, AcceptReport};
use super::{FinalReport, FinalReportInput, FinalReportSummary, KIND};
use crate::auth::Caller;
use crate::documents::http::{IfMatch, act};
use crate::http::State;
use crate::http::extract::JsonBody;
use crate::http::problem::ApiError;
use crate::pagination::Page;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_final_reports)
        .service(create_final_report)
        .service(get_final_report)
        .service(replace_final_report)
        .service(sign_final_report)
        .service(countersign_final_report)
        .service(withdraw_final_report)
        .service(start_final_report_review)
        .service(request_final_report_changes)
        .service(accept_final_report)
        .service(revise_final_report)
        .service(final_report_signatures)
        .service(final_report_versions)
        .service(final_report_version)
        .service(final_report_history);
}

crate::document_crud_routes! {
    document: FinalReport, input: FinalReportInput, summary: FinalReportSummary, tag: "final-reports",
    list: list_final_reports = "/final-reports",
    "List final reports visible to you, by fund year, partnership and status (without their lines).",
    create: create_final_report = "/final-reports",
    "Start the final evaluation report of an allocation (the partnership's manager): one per allocation; variances need explaining and virements may move only underspend.",
    read: get_final_report = "/final-reports/{id}",
    "Read a final report with its lines, virements, totals, review and the transitions you may take.",
    replace: replace_final_report = "/final-reports/{id}",
    "Replace a draft final report's content (the partnership's manager).",
}

crate::signing_routes! {
    kind: KIND, tag: "final-reports", view: FinalReport, sign: review::sign,
    sign_route: sign_final_report = "/final-reports/{id}/sign",
    "Sign the report (the partnership's manager), confirming your password; the treasurer then countersigns the same content.",
    countersign_route: countersign_final_report = "/final-reports/{id}/countersign",
    "Countersign the report (the partnership's treasurer), confirming your password; this submits it. Only the content the manager signed can be countersigned.",
}

/// Accept the report (an OPCC reviewer), deciding on the unspent balance: returned, carried
/// forward into the partnership's next allocation with its purpose, or offset.
#[utoipa::path(tag = "final-reports", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read")),
    request_body = AcceptReport, responses(
    (status = 200, description = "Accepted; the unspent balance decided", body = FinalReport),
    (status = 403, description = "Only an OPCC reviewer accepts"),
    (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
    (status = 412, description = "The report changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[post("/final-reports/{id}/accept")]
pub async fn accept_final_report(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    body: JsonBody<AcceptReport>,
) -> Result<HttpResponse, ApiError> {
    let (id, input) = (id.into_inner(), body.into_inner());
    act(&state, caller, KIND, id, move |conn, caller| {
        review::accept(conn, caller, id, version.0, &input)
    })
    .await
}

crate::document_routes! {
    kind: KIND, tag: "final-reports", view: FinalReport,
    withdraw: withdraw_final_report = "/final-reports/{id}/withdraw",
    start_review: start_final_report_review = "/final-reports/{id}/start-review",
    request_changes: request_final_report_changes = "/final-reports/{id}/request-changes",
    revise: revise_final_report = "/final-reports/{id}/revise",
    signatures: final_report_signatures = "/final-reports/{id}/signatures",
    versions: final_report_versions = "/final-reports/{id}/versions",
    version: final_report_version = "/final-reports/{id}/versions/{number}",
    history: final_report_history = "/final-reports/{id}/history",
}
