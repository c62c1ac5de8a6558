//! HTTP for final reports: the document, its signatures, its review and its history.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::review::{self, AcceptReport};
use super::{FinalReport, FinalReportInput, FinalReportSummary};
use crate::auth::Caller;
use crate::documents::DocumentFilter;
use crate::history::Entry;
use crate::http::State;
use crate::http::extract::{JsonBody, QueryParams, SyncListing};
use crate::http::problem::ApiError;
use crate::lifecycle::http::{ChangesRequest, DryRun, IfMatch, act, handle};
use crate::pagination::{ChangedSince, Page, PageParams};
use crate::signatures::{Signature, SignatureInput};
use crate::versions::{Version, VersionSummary};

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

/// List final reports visible to you.
///
/// By fund year, partnership and status; without their lines.
#[utoipa::path(tag = "final-reports", security(("bearer" = [])), params(PageParams, ChangedSince, DocumentFilter),
    responses((status = 200, description = "A page of summaries", body = Page<FinalReportSummary>)))]
#[get("/final-reports")]
pub async fn list_final_reports(
    state: State,
    caller: Caller,
    query: SyncListing<DocumentFilter>,
) -> Result<HttpResponse, ApiError> {
    handle::list::<FinalReport>(state, caller, query).await
}

/// Start the final evaluation report of an allocation (the partnership's manager): one per allocation; variances need explaining and virements may move only underspend.
#[utoipa::path(tag = "final-reports", security(("bearer" = [])), params(DryRun), request_body = FinalReportInput, responses(
    (status = 201, description = "Created as a draft; the ETag is its version", body = FinalReport),
    (status = 200, description = "With `dry_run=true`: the document as it would be created; nothing was stored", body = FinalReport),
    (status = 403, description = "Only the partnership's manager writes its documents"),
))]
#[post("/final-reports")]
pub async fn create_final_report(
    state: State,
    caller: Caller,
    dry_run: QueryParams<DryRun>,
    body: JsonBody<FinalReportInput>,
) -> Result<HttpResponse, ApiError> {
    handle::create::<FinalReport>(state, caller, dry_run, body).await
}

/// Read a final report.
///
/// With its lines, virements, totals, review and the transitions you may take.
///
/// With `Accept: application/pdf`, as its paper form, the Final Evaluation Report: a PDF/A-2b
/// record with the signatures on it and the SHA-256 of the content it shows.
#[utoipa::path(tag = "final-reports", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, description = "The document; the ETag is its version", content(
        (FinalReport = "application/json"),
        (String = "application/pdf"),
    ))))]
#[get("/final-reports/{id}")]
pub async fn get_final_report(
    req: HttpRequest,
    state: State,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    handle::read_or_record::<FinalReport>(&req, state, caller, id.into_inner()).await
}

/// Replace a draft final report's content (the partnership's manager).
#[utoipa::path(tag = "final-reports", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read"), DryRun),
    request_body = FinalReportInput, responses(
    (status = 200, description = "Replaced (with `dry_run=true`: as it would be; nothing was stored)", body = FinalReport),
    (status = 403, description = "Only the partnership's manager writes its documents"),
    (status = 409, description = "Not a draft"),
    (status = 412, description = "The document changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[put("/final-reports/{id}")]
pub async fn replace_final_report(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    dry_run: QueryParams<DryRun>,
    body: JsonBody<FinalReportInput>,
) -> Result<HttpResponse, ApiError> {
    handle::replace::<FinalReport>(state, caller, id.into_inner(), version, dry_run, body).await
}
/// Sign the report (the partnership's manager), confirming your password; the treasurer then countersigns the same content.
#[utoipa::path(tag = "final-reports", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read"), DryRun),
    request_body = SignatureInput, responses(
    (status = 200, description = "Signed (with `dry_run=true`: as it would be; nothing was stored)", body = FinalReport),
    (status = 403, description = "Only the partnership's manager signs"),
    (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
    (status = 412, description = "The document changed since you read it"),
    (status = 428, description = "If-Match is missing"),
    (status = 429, description = "Too many wrong passwords"),
))]
#[post("/final-reports/{id}/sign")]
pub async fn sign_final_report(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    dry_run: QueryParams<DryRun>,
    body: JsonBody<SignatureInput>,
) -> Result<HttpResponse, ApiError> {
    handle::sign::<FinalReport>(state, caller, id.into_inner(), version, dry_run, body).await
}

/// Countersign the report (the partnership's treasurer), confirming your password; this submits it. Only the content the manager signed can be countersigned.
#[utoipa::path(tag = "final-reports", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read"), DryRun),
    request_body = SignatureInput, responses(
    (status = 200, description = "Countersigned and submitted (with `dry_run=true`: as it would be; nothing was stored)", body = FinalReport),
    (status = 403, description = "Only the partnership's treasurer countersigns"),
    (status = 409, description = "Not signed by the manager yet, or not allowed in this state"),
    (status = 412, description = "The document changed since you read it"),
    (status = 428, description = "If-Match is missing"),
    (status = 429, description = "Too many wrong passwords"),
))]
#[post("/final-reports/{id}/countersign")]
pub async fn countersign_final_report(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    dry_run: QueryParams<DryRun>,
    body: JsonBody<SignatureInput>,
) -> Result<HttpResponse, ApiError> {
    handle::countersign::<FinalReport>(state, caller, id.into_inner(), version, dry_run, body).await
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
    act::<FinalReport, _>(&state, caller, id, DryRun::default(), move |conn, caller| {
        review::accept(conn, caller, id, version.0, &input)
    })
    .await
}

/// Withdraw it before review starts (the partnership's manager): back to draft, signatures void.
#[utoipa::path(tag = "final-reports", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read")), responses(
    (status = 200, description = "Withdrawn to draft", body = FinalReport),
    (status = 403, description = "Not the partnership's manager"),
    (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
    (status = 412, description = "The document changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[post("/final-reports/{id}/withdraw")]
pub async fn withdraw_final_report(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
) -> Result<HttpResponse, ApiError> {
    handle::withdraw::<FinalReport>(state, caller, id.into_inner(), version).await
}

/// Start reviewing it (an OPCC reviewer).
#[utoipa::path(tag = "final-reports", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read")), responses(
    (status = 200, description = "Under review", body = FinalReport),
    (status = 403, description = "Not an OPCC reviewer"),
    (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
    (status = 412, description = "The document changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[post("/final-reports/{id}/start-review")]
pub async fn start_final_report_review(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
) -> Result<HttpResponse, ApiError> {
    handle::start_review::<FinalReport>(state, caller, id.into_inner(), version).await
}

/// Send it back to the partnership with the changes needed (an OPCC reviewer).
#[utoipa::path(tag = "final-reports", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read")),
    request_body = ChangesRequest, responses(
    (status = 200, description = "Changes requested", body = FinalReport),
    (status = 403, description = "Not an OPCC reviewer"),
    (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
    (status = 412, description = "The document changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[post("/final-reports/{id}/request-changes")]
pub async fn request_final_report_changes(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    body: JsonBody<ChangesRequest>,
) -> Result<HttpResponse, ApiError> {
    handle::request_changes::<FinalReport>(state, caller, id.into_inner(), version, body).await
}

/// Reopen it as a draft after changes were requested (the partnership's manager); its
/// signatures become void.
#[utoipa::path(tag = "final-reports", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read")), responses(
    (status = 200, description = "A draft again", body = FinalReport),
    (status = 403, description = "Not the partnership's manager"),
    (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
    (status = 412, description = "The document changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[post("/final-reports/{id}/revise")]
pub async fn revise_final_report(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
) -> Result<HttpResponse, ApiError> {
    handle::revise::<FinalReport>(state, caller, id.into_inner(), version).await
}

/// Its signatures, each with `valid`: not voided, and the content still hashes as signed.
#[utoipa::path(tag = "final-reports", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, description = "The signatures, oldest first", body = Vec<Signature>)))]
#[get("/final-reports/{id}/signatures")]
pub async fn final_report_signatures(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    handle::signatures::<FinalReport>(state, caller, id.into_inner()).await
}

/// Its snapshots: what was submitted, approved or accepted, oldest first.
#[utoipa::path(tag = "final-reports", security(("bearer" = [])), params(("id" = i64, Path), PageParams),
    responses((status = 200, description = "A page of snapshots", body = Page<VersionSummary>)))]
#[get("/final-reports/{id}/versions")]
pub async fn final_report_versions(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    page: QueryParams<PageParams>,
) -> Result<HttpResponse, ApiError> {
    handle::versions::<FinalReport>(state, caller, id.into_inner(), page).await
}

/// One snapshot, with the document exactly as it then read.
///
/// With `Accept: application/pdf`, that version as the Final Evaluation Report, a PDF/A-2b
/// record with the signatures on its content and the SHA-256 of that content; rendered once and
/// kept, so the same bytes are served every time (`record_sha256` in the JSON view is theirs).
#[utoipa::path(tag = "final-reports", security(("bearer" = [])), params(("id" = i64, Path), ("number" = i32, Path)),
    responses((status = 200, description = "The snapshot", content(
        (Version = "application/json"),
        (String = "application/pdf"),
    ))))]
#[get("/final-reports/{id}/versions/{number}")]
pub async fn final_report_version(
    req: HttpRequest,
    state: State,
    caller: Caller,
    path: web::Path<(i64, i32)>,
) -> Result<HttpResponse, ApiError> {
    let (id, number) = path.into_inner();
    handle::version_or_record::<FinalReport>(&req, state, caller, id, number).await
}

/// Its history: every edit and transition, oldest first.
#[utoipa::path(tag = "final-reports", security(("bearer" = [])), params(("id" = i64, Path), PageParams),
    responses((status = 200, description = "A page of history entries", body = Page<Entry>)))]
#[get("/final-reports/{id}/history")]
pub async fn final_report_history(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    page: QueryParams<PageParams>,
) -> Result<HttpResponse, ApiError> {
    handle::history::<FinalReport>(state, caller, id.into_inner(), page).await
}
