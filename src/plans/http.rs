//! HTTP for Spending Intentions Plans: the document, its review and its history.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::amendments::{self, Amendment, AmendmentInput};
use super::review::{self, DecisionsInput};
use super::{Plan, PlanInput, PlanSummary};
use crate::auth::Caller;
use crate::db::write_transaction;
use crate::documents::DocumentFilter;
use crate::history::Entry;
use crate::http::State;
use crate::http::extract::{JsonBody, QueryParams, SyncListing};
use crate::http::problem::ApiError;
use crate::lifecycle::http::{ChangesRequest, DryRun, IfMatch, act, confirm_declarant, handle};
use crate::pagination::{ChangedSince, Page, PageParams};
use crate::signatures::{Signature, SignatureInput};
use crate::versions::{Version, VersionSummary};
use crate::workflow::Transition;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_plans)
        .service(create_plan)
        .service(get_plan)
        .service(replace_plan)
        .service(submit_plan)
        .service(withdraw_plan)
        .service(start_plan_review)
        .service(record_plan_decisions)
        .service(request_plan_changes)
        .service(approve_plan)
        .service(revise_plan)
        .service(plan_signatures)
        .service(plan_versions)
        .service(plan_version)
        .service(plan_history)
        .service(propose_plan_amendment)
        .service(list_plan_amendments)
        .service(get_plan_amendment)
        .service(approve_plan_amendment)
        .service(decline_plan_amendment);
}

/// List plans visible to you.
///
/// By fund year, partnership and status; without their lines.
#[utoipa::path(tag = "plans", security(("bearer" = [])), params(PageParams, ChangedSince, DocumentFilter),
    responses((status = 200, description = "A page of summaries", body = Page<PlanSummary>)))]
#[get("/plans")]
pub async fn list_plans(
    state: State,
    caller: Caller,
    query: SyncListing<DocumentFilter>,
) -> Result<HttpResponse, ApiError> {
    handle::list::<Plan>(state, caller, query).await
}

/// Start the Spending Intentions Plan of an allocation (the partnership's manager). One plan per allocation; its lines may not add up to more than the grant plus carry-forward.
#[utoipa::path(tag = "plans", security(("bearer" = [])), params(DryRun), request_body = PlanInput, responses(
    (status = 201, description = "Created as a draft; the ETag is its version", body = Plan),
    (status = 200, description = "With `dry_run=true`: the document as it would be created; nothing was stored", body = Plan),
    (status = 403, description = "Only the partnership's manager writes its documents"),
))]
#[post("/plans")]
pub async fn create_plan(
    state: State,
    caller: Caller,
    dry_run: QueryParams<DryRun>,
    body: JsonBody<PlanInput>,
) -> Result<HttpResponse, ApiError> {
    handle::create::<Plan>(state, caller, dry_run, body).await
}

/// Read a plan with its lines, totals, review and the transitions you may take.
///
/// With `Accept: application/pdf`, the plan as its paper form, the Spending Intentions Plan: a
/// PDF/A-2b record with the signatures on it and the SHA-256 of the content it shows.
#[utoipa::path(tag = "plans", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, description = "The document; the ETag is its version", content(
        (Plan = "application/json"),
        (String = "application/pdf"),
    ))))]
#[get("/plans/{id}")]
pub async fn get_plan(
    req: HttpRequest,
    state: State,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    handle::read_or_record::<Plan>(&req, state, caller, id.into_inner()).await
}

/// Replace a draft plan's lines (the partnership's manager). Lines are matched by number, so returns and reports citing a line keep citing it.
#[utoipa::path(tag = "plans", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read"), DryRun),
    request_body = PlanInput, responses(
    (status = 200, description = "Replaced (with `dry_run=true`: as it would be; nothing was stored)", body = Plan),
    (status = 403, description = "Only the partnership's manager writes its documents"),
    (status = 409, description = "Not a draft"),
    (status = 412, description = "The document changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[put("/plans/{id}")]
pub async fn replace_plan(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    dry_run: QueryParams<DryRun>,
    body: JsonBody<PlanInput>,
) -> Result<HttpResponse, ApiError> {
    handle::replace::<Plan>(state, caller, id.into_inner(), version, dry_run, body).await
}
/// Sign and submit the plan (the partnership's manager), confirming your password. The
/// signature binds to the SHA-256 of the plan's content.
#[utoipa::path(tag = "plans", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read"), DryRun),
    request_body = SignatureInput, responses(
    (status = 200, description = "Submitted (with `dry_run=true`: as it would be; nothing was stored)", body = Plan),
    (status = 403, description = "Only the partnership's manager submits its plan"),
    (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
    (status = 412, description = "The plan changed since you read it"),
    (status = 428, description = "If-Match is missing"),
    (status = 429, description = "Too many wrong passwords"),
))]
#[post("/plans/{id}/submit")]
pub async fn submit_plan(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    dry_run: QueryParams<DryRun>,
    body: JsonBody<SignatureInput>,
) -> Result<HttpResponse, ApiError> {
    handle::sign::<Plan>(state, caller, id.into_inner(), version, dry_run, body).await
}

/// Record decisions on lines (an OPCC reviewer, during review): approved or declined, with a
/// comment.
#[utoipa::path(tag = "plans", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read")),
    request_body = DecisionsInput, responses(
    (status = 200, description = "Recorded", body = Plan),
    (status = 403, description = "Only an OPCC reviewer decides"),
    (status = 409, description = "Not under review"),
    (status = 412, description = "The plan changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[post("/plans/{id}/decisions")]
pub async fn record_plan_decisions(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    body: JsonBody<DecisionsInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, input) = (id.into_inner(), body.into_inner());
    act::<Plan, _>(&state, caller, id, DryRun::default(), move |conn, caller| {
        review::record_decisions(conn, caller, id, version.0, &input)
    })
    .await
}

/// Approve the plan (an OPCC reviewer) once every line has a decision; the approved amount is
/// the sum of the approved lines.
#[utoipa::path(tag = "plans", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read")), responses(
    (status = 200, description = "Approved", body = Plan),
    (status = 403, description = "Only an OPCC reviewer approves"),
    (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
    (status = 412, description = "The plan changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[post("/plans/{id}/approve")]
pub async fn approve_plan(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    act::<Plan, _>(&state, caller, id, DryRun::default(), move |conn, caller| {
        review::approve(conn, caller, id, version.0)
    })
    .await
}

/// Withdraw it before review starts (the partnership's manager): back to draft, signatures void.
#[utoipa::path(tag = "plans", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read")), responses(
    (status = 200, description = "Withdrawn to draft", body = Plan),
    (status = 403, description = "Not the partnership's manager"),
    (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
    (status = 412, description = "The document changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[post("/plans/{id}/withdraw")]
pub async fn withdraw_plan(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
) -> Result<HttpResponse, ApiError> {
    handle::withdraw::<Plan>(state, caller, id.into_inner(), version).await
}

/// Start reviewing it (an OPCC reviewer).
#[utoipa::path(tag = "plans", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read")), responses(
    (status = 200, description = "Under review", body = Plan),
    (status = 403, description = "Not an OPCC reviewer"),
    (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
    (status = 412, description = "The document changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[post("/plans/{id}/start-review")]
pub async fn start_plan_review(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
) -> Result<HttpResponse, ApiError> {
    handle::start_review::<Plan>(state, caller, id.into_inner(), version).await
}

/// Send it back to the partnership with the changes needed (an OPCC reviewer).
#[utoipa::path(tag = "plans", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read")),
    request_body = ChangesRequest, responses(
    (status = 200, description = "Changes requested", body = Plan),
    (status = 403, description = "Not an OPCC reviewer"),
    (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
    (status = 412, description = "The document changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[post("/plans/{id}/request-changes")]
pub async fn request_plan_changes(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    body: JsonBody<ChangesRequest>,
) -> Result<HttpResponse, ApiError> {
    handle::request_changes::<Plan>(state, caller, id.into_inner(), version, body).await
}

/// Reopen it as a draft after changes were requested (the partnership's manager); its
/// signatures become void.
#[utoipa::path(tag = "plans", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read")), responses(
    (status = 200, description = "A draft again", body = Plan),
    (status = 403, description = "Not the partnership's manager"),
    (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
    (status = 412, description = "The document changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[post("/plans/{id}/revise")]
pub async fn revise_plan(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
) -> Result<HttpResponse, ApiError> {
    handle::revise::<Plan>(state, caller, id.into_inner(), version).await
}

/// Its signatures, each with `valid`: not voided, and the content still hashes as signed.
#[utoipa::path(tag = "plans", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, description = "The signatures, oldest first", body = Vec<Signature>)))]
#[get("/plans/{id}/signatures")]
pub async fn plan_signatures(state: State, caller: Caller, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    handle::signatures::<Plan>(state, caller, id.into_inner()).await
}

/// Its snapshots: what was submitted, approved or accepted, oldest first.
#[utoipa::path(tag = "plans", security(("bearer" = [])), params(("id" = i64, Path), PageParams),
    responses((status = 200, description = "A page of snapshots", body = Page<VersionSummary>)))]
#[get("/plans/{id}/versions")]
pub async fn plan_versions(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    page: QueryParams<PageParams>,
) -> Result<HttpResponse, ApiError> {
    handle::versions::<Plan>(state, caller, id.into_inner(), page).await
}

/// One snapshot, with the document exactly as it then read.
///
/// With `Accept: application/pdf`, that version as the Spending Intentions Plan, a PDF/A-2b
/// record with the signatures on its content and the SHA-256 of that content; rendered once and
/// kept, so the same bytes are served every time (`record_sha256` in the JSON view is theirs).
#[utoipa::path(tag = "plans", security(("bearer" = [])), params(("id" = i64, Path), ("number" = i32, Path)),
    responses((status = 200, description = "The snapshot", content(
        (Version = "application/json"),
        (String = "application/pdf"),
    ))))]
#[get("/plans/{id}/versions/{number}")]
pub async fn plan_version(
    req: HttpRequest,
    state: State,
    caller: Caller,
    path: web::Path<(i64, i32)>,
) -> Result<HttpResponse, ApiError> {
    let (id, number) = path.into_inner();
    handle::version_or_record::<Plan>(&req, state, caller, id, number).await
}

/// Its history: every edit and transition, oldest first.
#[utoipa::path(tag = "plans", security(("bearer" = [])), params(("id" = i64, Path), PageParams),
    responses((status = 200, description = "A page of history entries", body = Page<Entry>)))]
#[get("/plans/{id}/history")]
pub async fn plan_history(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    page: QueryParams<PageParams>,
) -> Result<HttpResponse, ApiError> {
    handle::history::<Plan>(state, caller, id.into_inner(), page).await
}
/// Propose an amendment to an approved plan (the partnership's manager).
///
/// Confirming your password: its lines as they should become. Within the fund year's threshold it takes effect at once (status `applied`);
/// otherwise it waits for a reviewer (status `proposed`).
#[utoipa::path(tag = "plans", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The plan's ETag you read")),
    request_body = AmendmentInput, responses(
    (status = 201, description = "Recorded: applied, or waiting for review", body = Amendment),
    (status = 403, description = "Only the partnership's manager amends its plan"),
    (status = 409, description = "The plan is not approved, or an amendment already waits for review"),
    (status = 412, description = "The plan changed since you read it"),
    (status = 428, description = "If-Match is missing"),
    (status = 429, description = "Too many wrong passwords"),
))]
#[post("/plans/{id}/amendments")]
pub async fn propose_plan_amendment(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    body: JsonBody<AmendmentInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, input) = (id.into_inner(), body.into_inner());
    confirm_declarant::<Plan>(
        &state,
        &caller,
        id,
        version.0.clone(),
        Transition::Amend,
        input.password.clone(),
    )
    .await?;
    let amendment = state
        .db
        .run(move |conn| write_transaction(conn, |conn| amendments::propose(conn, &caller, id, version.0, &input)))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/plans/{id}/amendments/{}", amendment.id),
        ))
        .json(amendment))
}

/// List a plan's amendments, oldest first.
#[utoipa::path(tag = "plans", security(("bearer" = [])), params(("id" = i64, Path), PageParams),
    responses((status = 200, description = "A page of amendments", body = Page<Amendment>)))]
#[get("/plans/{id}/amendments")]
pub async fn list_plan_amendments(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    page: QueryParams<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let (id, page) = (id.into_inner(), page.0.request()?);
    Ok(HttpResponse::Ok().json(
        state
            .db
            .run(move |conn| amendments::list(conn, &caller, id, &page))
            .await?,
    ))
}

/// Read an amendment.
#[utoipa::path(tag = "plans", security(("bearer" = [])), params(("id" = i64, Path), ("amendment_id" = i64, Path)),
    responses((status = 200, description = "The amendment", body = Amendment)))]
#[get("/plans/{id}/amendments/{amendment_id}")]
pub async fn get_plan_amendment(
    state: State,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (id, amendment_id) = path.into_inner();
    Ok(HttpResponse::Ok().json(
        state
            .db
            .run(move |conn| amendments::get(conn, &caller, id, amendment_id))
            .await?,
    ))
}

/// A reviewer's comment on an amendment.
#[derive(serde::Deserialize, utoipa::ToSchema, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct AmendmentDecision {
    #[serde(default)]
    pub comment: String,
}

/// Approve a proposed amendment (an OPCC reviewer): it takes effect as a new approved plan
/// version.
#[utoipa::path(tag = "plans", security(("bearer" = [])),
    params(("id" = i64, Path), ("amendment_id" = i64, Path), ("If-Match" = String, Header, description = "The plan's ETag you read")),
    request_body = AmendmentDecision, responses(
    (status = 200, description = "Approved and in effect", body = Amendment),
    (status = 403, description = "Only an OPCC reviewer decides amendments"),
    (status = 409, description = "The amendment is not waiting for review"),
    (status = 412, description = "The plan changed since you read it"),
    (status = 428, description = "If-Match is missing"),
))]
#[post("/plans/{id}/amendments/{amendment_id}/approve")]
pub async fn approve_plan_amendment(
    state: State,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    version: IfMatch,
    body: JsonBody<AmendmentDecision>,
) -> Result<HttpResponse, ApiError> {
    let ((id, amendment_id), comment) = (path.into_inner(), body.into_inner().comment);
    let amendment = state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                amendments::decide(conn, &caller, id, amendment_id, version.0, true, &comment)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(amendment))
}

/// Decline a proposed amendment (an OPCC reviewer), saying why. The plan does not change.
#[utoipa::path(tag = "plans", security(("bearer" = [])), params(("id" = i64, Path), ("amendment_id" = i64, Path)),
    request_body = AmendmentDecision, responses(
    (status = 200, description = "Declined", body = Amendment),
    (status = 403, description = "Only an OPCC reviewer decides amendments"),
    (status = 409, description = "The amendment is not waiting for review"),
))]
#[post("/plans/{id}/amendments/{amendment_id}/decline")]
pub async fn decline_plan_amendment(
    state: State,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    body: JsonBody<AmendmentDecision>,
) -> Result<HttpResponse, ApiError> {
    let ((id, amendment_id), comment) = (path.into_inner(), body.into_inner().comment);
    let amendment = state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                amendments::decide(
                    conn,
                    &caller,
                    id,
                    amendment_id,
                    crate::documents::Precondition::Missing,
                    false,
                    &comment,
                )
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(amendment))
}
