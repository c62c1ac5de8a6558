//! HTTP for commissioning papers: the paper, its board's decisions, its versions and history.

use actix_web::{HttpResponse, get, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{
    AgreeInput, CommissioningPaper, CommissioningPaperInput, CommissioningPaperSummary, SendBackInput, TableInput,
};
use crate::auth::Caller;
use crate::documents::DocumentFilter;
use crate::history::Entry;
use crate::http::State;
use crate::http::extract::{JsonBody, QueryParams, SyncListing};
use crate::http::problem::ApiError;
use crate::lifecycle::http::{DryRun, IfMatch, act, handle};
use crate::pagination::{ChangedSince, Page, PageParams};
use crate::versions::{Version, VersionSummary};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_commissioning_papers)
        .service(create_commissioning_paper)
        .service(get_commissioning_paper)
        .service(replace_commissioning_paper)
        .service(table_commissioning_paper)
        .service(withdraw_commissioning_paper)
        .service(agree_commissioning_paper)
        .service(send_back_commissioning_paper)
        .service(revise_commissioning_paper)
        .service(commissioning_paper_versions)
        .service(commissioning_paper_version)
        .service(commissioning_paper_history);
}

/// List commissioning papers visible to you.
///
/// By the fund year they cover, partnership and status; without their priorities and
/// recommendations. The OPCC's roles see every partnership's papers.
#[utoipa::path(tag = "commissioning", security(("bearer" = [])), params(PageParams, ChangedSince, DocumentFilter),
    responses((status = 200, description = "A page of summaries", body = Page<CommissioningPaperSummary>)))]
#[get("/commissioning-papers")]
pub async fn list_commissioning_papers(
    state: State,
    caller: Caller,
    query: SyncListing<DocumentFilter>,
) -> Result<HttpResponse, ApiError> {
    handle::list::<CommissioningPaper>(state, caller, query).await
}

/// Start a commissioning paper (the partnership's manager).
///
/// For one or more fund years, the earliest of which the partnership has an allocation in. Each
/// priority serves Police & Crime Plan priorities of every year covered; each recommendation's
/// amounts are known or say why not, and the OPCC contribution never exceeds a known total budget.
#[utoipa::path(tag = "commissioning", security(("bearer" = [])), params(DryRun), request_body = CommissioningPaperInput, responses(
    (status = 201, description = "Created as a draft; the ETag is its version", body = CommissioningPaper),
    (status = 200, description = "With `dry_run=true`: the paper as it would be created; nothing was stored", body = CommissioningPaper),
    (status = 403, description = "Only the partnership's manager writes its papers"),
))]
#[post("/commissioning-papers")]
pub async fn create_commissioning_paper(
    state: State,
    caller: Caller,
    dry_run: QueryParams<DryRun>,
    body: JsonBody<CommissioningPaperInput>,
) -> Result<HttpResponse, ApiError> {
    handle::create::<CommissioningPaper>(state, caller, dry_run, body).await
}

/// Read a commissioning paper.
///
/// With its priorities, recommendations, the board's decision and the transitions you may take.
#[utoipa::path(tag = "commissioning", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, description = "The paper; the ETag is its version", body = CommissioningPaper)))]
#[get("/commissioning-papers/{id}")]
pub async fn get_commissioning_paper(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    handle::read::<CommissioningPaper>(state, caller, id.into_inner()).await
}

/// Replace a draft paper's content (the partnership's manager).
///
/// Priorities and recommendations keep their identity by number; a recommendation a plan line
/// carries out cannot be removed.
#[utoipa::path(tag = "commissioning", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read"), DryRun),
    request_body = CommissioningPaperInput, responses(
    (status = 200, description = "Replaced (with `dry_run=true`: as it would be; nothing was stored)", body = CommissioningPaper),
    (status = 403, description = "Only the partnership's manager writes its papers"),
    (status = 409, description = "Not a draft"),
    (status = 412, description = "The paper changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[put("/commissioning-papers/{id}")]
pub async fn replace_commissioning_paper(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    dry_run: QueryParams<DryRun>,
    body: JsonBody<CommissioningPaperInput>,
) -> Result<HttpResponse, ApiError> {
    handle::replace::<CommissioningPaper>(state, caller, id.into_inner(), version, dry_run, body).await
}

/// Put the paper to a board meeting (the partnership's manager).
///
/// Names the board and the day it meets; the paper must recommend something. A snapshot of the
/// paper as tabled is kept.
#[utoipa::path(tag = "commissioning", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read")),
    request_body = TableInput, responses(
    (status = 200, description = "For discussion", body = CommissioningPaper),
    (status = 403, description = "Not the partnership's manager"),
    (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
    (status = 412, description = "The paper changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[post("/commissioning-papers/{id}/table")]
pub async fn table_commissioning_paper(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    body: JsonBody<TableInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, input) = (id.into_inner(), body.into_inner());
    act::<CommissioningPaper, _>(&state, caller, id, DryRun::default(), move |conn, caller| {
        super::table(conn, caller, id, version.0, &input)
    })
    .await
}

/// Take the paper off the board's agenda (the partnership's manager): a draft again.
#[utoipa::path(tag = "commissioning", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read")), responses(
    (status = 200, description = "Withdrawn to draft", body = CommissioningPaper),
    (status = 403, description = "Not the partnership's manager"),
    (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
    (status = 412, description = "The paper changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[post("/commissioning-papers/{id}/withdraw")]
pub async fn withdraw_commissioning_paper(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
) -> Result<HttpResponse, ApiError> {
    handle::withdraw::<CommissioningPaper>(state, caller, id.into_inner(), version).await
}

/// Record that the board agreed the paper (the partnership's manager).
///
/// Dated no earlier than the meeting. Plan lines may then carry out its recommendations; it changes
/// only by a new version.
#[utoipa::path(tag = "commissioning", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read")),
    request_body = AgreeInput, responses(
    (status = 200, description = "Agreed", body = CommissioningPaper),
    (status = 403, description = "Not the partnership's manager"),
    (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
    (status = 412, description = "The paper changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[post("/commissioning-papers/{id}/agree")]
pub async fn agree_commissioning_paper(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    body: JsonBody<AgreeInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, input) = (id.into_inner(), body.into_inner());
    act::<CommissioningPaper, _>(&state, caller, id, DryRun::default(), move |conn, caller| {
        super::agree(conn, caller, id, version.0, &input)
    })
    .await
}

/// Record that the board sent the paper back, and why (the partnership's manager).
#[utoipa::path(tag = "commissioning", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read")),
    request_body = SendBackInput, responses(
    (status = 200, description = "Sent back", body = CommissioningPaper),
    (status = 403, description = "Not the partnership's manager"),
    (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
    (status = 412, description = "The paper changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[post("/commissioning-papers/{id}/send-back")]
pub async fn send_back_commissioning_paper(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    body: JsonBody<SendBackInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, input) = (id.into_inner(), body.into_inner());
    act::<CommissioningPaper, _>(&state, caller, id, DryRun::default(), move |conn, caller| {
        super::send_back(conn, caller, id, version.0, &input)
    })
    .await
}

/// Reopen the paper as a draft (the partnership's manager).
///
/// After the board sent it back, or to start the next version of an agreed paper; the agreed
/// version stays among its snapshots.
#[utoipa::path(tag = "commissioning", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read")), responses(
    (status = 200, description = "A draft again", body = CommissioningPaper),
    (status = 403, description = "Not the partnership's manager"),
    (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
    (status = 412, description = "The paper changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[post("/commissioning-papers/{id}/revise")]
pub async fn revise_commissioning_paper(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    act::<CommissioningPaper, _>(&state, caller, id, DryRun::default(), move |conn, caller| {
        super::revise(conn, caller, id, version.0)
    })
    .await
}

/// Its snapshots: what was tabled and agreed, oldest first.
#[utoipa::path(tag = "commissioning", security(("bearer" = [])), params(("id" = i64, Path), PageParams),
    responses((status = 200, description = "A page of snapshots", body = Page<VersionSummary>)))]
#[get("/commissioning-papers/{id}/versions")]
pub async fn commissioning_paper_versions(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    page: QueryParams<PageParams>,
) -> Result<HttpResponse, ApiError> {
    handle::versions::<CommissioningPaper>(state, caller, id.into_inner(), page).await
}

/// One snapshot, with the paper exactly as it then read.
#[utoipa::path(tag = "commissioning", security(("bearer" = [])), params(("id" = i64, Path), ("number" = i32, Path)),
    responses((status = 200, description = "The snapshot", body = Version)))]
#[get("/commissioning-papers/{id}/versions/{number}")]
pub async fn commissioning_paper_version(
    state: State,
    caller: Caller,
    path: web::Path<(i64, i32)>,
) -> Result<HttpResponse, ApiError> {
    let (id, number) = path.into_inner();
    handle::version::<CommissioningPaper>(state, caller, id, number).await
}

/// Its history: every edit and decision, oldest first.
#[utoipa::path(tag = "commissioning", security(("bearer" = [])), params(("id" = i64, Path), PageParams),
    responses((status = 200, description = "A page of history entries", body = Page<Entry>)))]
#[get("/commissioning-papers/{id}/history")]
pub async fn commissioning_paper_history(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    page: QueryParams<PageParams>,
) -> Result<HttpResponse, ApiError> {
    handle::history::<CommissioningPaper>(state, caller, id.into_inner(), page).await
}
