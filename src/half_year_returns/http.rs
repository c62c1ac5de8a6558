//! HTTP for half-year returns: the document, its signatures, its review and its history.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::review::{self, AcceptReturn};
use super::{HalfYearReturn, HalfYearReturnInput, HalfYearReturnSummary};
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

/// List half-year returns visible to you.
///
/// By fund year, partnership and status; without their projects.
#[utoipa::path(tag = "half-year-returns", security(("bearer" = [])), params(PageParams, ChangedSince, DocumentFilter),
    responses((status = 200, description = "A page of summaries", body = Page<HalfYearReturnSummary>)))]
#[get("/half-year-returns")]
pub async fn list_half_year_returns(
    state: State,
    caller: Caller,
    query: SyncListing<DocumentFilter>,
) -> Result<HttpResponse, ApiError> {
    handle::list::<HalfYearReturn>(state, caller, query).await
}

/// Start a half-year return (the partnership's manager): one per allocation and half; all claims together may not exceed the grant plus carry-forward.
#[utoipa::path(tag = "half-year-returns", security(("bearer" = [])), params(DryRun), request_body = HalfYearReturnInput, responses(
    (status = 201, description = "Created as a draft; the ETag is its version", body = HalfYearReturn),
    (status = 200, description = "With `dry_run=true`: the document as it would be created; nothing was stored", body = HalfYearReturn),
    (status = 403, description = "Only the partnership's manager writes its documents"),
))]
#[post("/half-year-returns")]
pub async fn create_half_year_return(
    state: State,
    caller: Caller,
    dry_run: QueryParams<DryRun>,
    body: JsonBody<HalfYearReturnInput>,
) -> Result<HttpResponse, ApiError> {
    handle::create::<HalfYearReturn>(state, caller, dry_run, body).await
}

/// Read a half-year return.
///
/// With its projects, totals, review and the transitions you may take.
///
/// With `Accept: application/pdf`, as its paper form, the Half Year Report Return (a section
/// for each project A, B, C...): a PDF/A-2b record with the signatures on it and the SHA-256 of
/// the content it shows.
#[utoipa::path(tag = "half-year-returns", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, description = "The document; the ETag is its version", content(
        (HalfYearReturn = "application/json"),
        (String = "application/pdf"),
    ))))]
#[get("/half-year-returns/{id}")]
pub async fn get_half_year_return(
    req: HttpRequest,
    state: State,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    handle::read_or_record::<HalfYearReturn>(&req, state, caller, id.into_inner()).await
}

/// Replace a draft half-year return's content (the partnership's manager).
#[utoipa::path(tag = "half-year-returns", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read"), DryRun),
    request_body = HalfYearReturnInput, responses(
    (status = 200, description = "Replaced (with `dry_run=true`: as it would be; nothing was stored)", body = HalfYearReturn),
    (status = 403, description = "Only the partnership's manager writes its documents"),
    (status = 409, description = "Not a draft"),
    (status = 412, description = "The document changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[put("/half-year-returns/{id}")]
pub async fn replace_half_year_return(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    dry_run: QueryParams<DryRun>,
    body: JsonBody<HalfYearReturnInput>,
) -> Result<HttpResponse, ApiError> {
    handle::replace::<HalfYearReturn>(state, caller, id.into_inner(), version, dry_run, body).await
}
/// Sign the return (the partnership's manager), confirming your password; the treasurer then countersigns the same content.
#[utoipa::path(tag = "half-year-returns", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read"), DryRun),
    request_body = SignatureInput, responses(
    (status = 200, description = "Signed (with `dry_run=true`: as it would be; nothing was stored)", body = HalfYearReturn),
    (status = 403, description = "Only the partnership's manager signs"),
    (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
    (status = 412, description = "The document changed since you read it"),
    (status = 428, description = "If-Match is missing"),
    (status = 429, description = "Too many wrong passwords"),
))]
#[post("/half-year-returns/{id}/sign")]
pub async fn sign_half_year_return(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    dry_run: QueryParams<DryRun>,
    body: JsonBody<SignatureInput>,
) -> Result<HttpResponse, ApiError> {
    handle::sign::<HalfYearReturn>(state, caller, id.into_inner(), version, dry_run, body).await
}

/// Countersign the return (the partnership's treasurer), confirming your password; this submits it. Only the content the manager signed can be countersigned.
#[utoipa::path(tag = "half-year-returns", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read"), DryRun),
    request_body = SignatureInput, responses(
    (status = 200, description = "Countersigned and submitted (with `dry_run=true`: as it would be; nothing was stored)", body = HalfYearReturn),
    (status = 403, description = "Only the partnership's treasurer countersigns"),
    (status = 409, description = "Not signed by the manager yet, or not allowed in this state"),
    (status = 412, description = "The document changed since you read it"),
    (status = 428, description = "If-Match is missing"),
    (status = 429, description = "Too many wrong passwords"),
))]
#[post("/half-year-returns/{id}/countersign")]
pub async fn countersign_half_year_return(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    dry_run: QueryParams<DryRun>,
    body: JsonBody<SignatureInput>,
) -> Result<HttpResponse, ApiError> {
    handle::countersign::<HalfYearReturn>(state, caller, id.into_inner(), version, dry_run, body).await
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
    act::<HalfYearReturn, _>(&state, caller, id, DryRun::default(), move |conn, caller| {
        review::accept(conn, caller, id, version.0, &input)
    })
    .await
}

/// Withdraw it before review starts (the partnership's manager): back to draft, signatures void.
#[utoipa::path(tag = "half-year-returns", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read")), responses(
    (status = 200, description = "Withdrawn to draft", body = HalfYearReturn),
    (status = 403, description = "Not the partnership's manager"),
    (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
    (status = 412, description = "The document changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[post("/half-year-returns/{id}/withdraw")]
pub async fn withdraw_half_year_return(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
) -> Result<HttpResponse, ApiError> {
    handle::withdraw::<HalfYearReturn>(state, caller, id.into_inner(), version).await
}

/// Start reviewing it (an OPCC reviewer).
#[utoipa::path(tag = "half-year-returns", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read")), responses(
    (status = 200, description = "Under review", body = HalfYearReturn),
    (status = 403, description = "Not an OPCC reviewer"),
    (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
    (status = 412, description = "The document changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[post("/half-year-returns/{id}/start-review")]
pub async fn start_half_year_return_review(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
) -> Result<HttpResponse, ApiError> {
    handle::start_review::<HalfYearReturn>(state, caller, id.into_inner(), version).await
}

/// Send it back to the partnership with the changes needed (an OPCC reviewer).
#[utoipa::path(tag = "half-year-returns", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read")),
    request_body = ChangesRequest, responses(
    (status = 200, description = "Changes requested", body = HalfYearReturn),
    (status = 403, description = "Not an OPCC reviewer"),
    (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
    (status = 412, description = "The document changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[post("/half-year-returns/{id}/request-changes")]
pub async fn request_half_year_return_changes(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    body: JsonBody<ChangesRequest>,
) -> Result<HttpResponse, ApiError> {
    handle::request_changes::<HalfYearReturn>(state, caller, id.into_inner(), version, body).await
}

/// Reopen it as a draft after changes were requested (the partnership's manager); its
/// signatures become void.
#[utoipa::path(tag = "half-year-returns", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read")), responses(
    (status = 200, description = "A draft again", body = HalfYearReturn),
    (status = 403, description = "Not the partnership's manager"),
    (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
    (status = 412, description = "The document changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[post("/half-year-returns/{id}/revise")]
pub async fn revise_half_year_return(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
) -> Result<HttpResponse, ApiError> {
    handle::revise::<HalfYearReturn>(state, caller, id.into_inner(), version).await
}

/// Its signatures, each with `valid`: not voided, and the content still hashes as signed.
#[utoipa::path(tag = "half-year-returns", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, description = "The signatures, oldest first", body = Vec<Signature>)))]
#[get("/half-year-returns/{id}/signatures")]
pub async fn half_year_return_signatures(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    handle::signatures::<HalfYearReturn>(state, caller, id.into_inner()).await
}

/// Its snapshots: what was submitted, approved or accepted, oldest first.
#[utoipa::path(tag = "half-year-returns", security(("bearer" = [])), params(("id" = i64, Path), PageParams),
    responses((status = 200, description = "A page of snapshots", body = Page<VersionSummary>)))]
#[get("/half-year-returns/{id}/versions")]
pub async fn half_year_return_versions(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    page: QueryParams<PageParams>,
) -> Result<HttpResponse, ApiError> {
    handle::versions::<HalfYearReturn>(state, caller, id.into_inner(), page).await
}

/// One snapshot, with the document exactly as it then read.
///
/// With `Accept: application/pdf`, that version as the Half Year Report Return, a PDF/A-2b
/// record with the signatures on its content and the SHA-256 of that content; rendered once and
/// kept, so the same bytes are served every time (`record_sha256` in the JSON view is theirs).
#[utoipa::path(tag = "half-year-returns", security(("bearer" = [])), params(("id" = i64, Path), ("number" = i32, Path)),
    responses((status = 200, description = "The snapshot", content(
        (Version = "application/json"),
        (String = "application/pdf"),
    ))))]
#[get("/half-year-returns/{id}/versions/{number}")]
pub async fn half_year_return_version(
    req: HttpRequest,
    state: State,
    caller: Caller,
    path: web::Path<(i64, i32)>,
) -> Result<HttpResponse, ApiError> {
    let (id, number) = path.into_inner();
    handle::version_or_record::<HalfYearReturn>(&req, state, caller, id, number).await
}

/// Its history: every edit and transition, oldest first.
#[utoipa::path(tag = "half-year-returns", security(("bearer" = [])), params(("id" = i64, Path), PageParams),
    responses((status = 200, description = "A page of history entries", body = Page<Entry>)))]
#[get("/half-year-returns/{id}/history")]
pub async fn half_year_return_history(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    page: QueryParams<PageParams>,
) -> Result<HttpResponse, ApiError> {
    handle::history::<HalfYearReturn>(state, caller, id.into_inner(), page).await
}
