//! HTTP for Spending Intentions Plans: the document, its review and its history.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::amendments::{self, Amendment, AmendmentInput};
use super::review::{self, DecisionsInput};
use super::{Plan, PlanInput, PlanSummary};
use crate::auth::Caller;
use crate::db::write_transaction;
use crate::documents::DocumentKind;
use crate::documents::http::{DryRun, IfMatch, SigningStep, act, act_as, confirm_signer};
use crate::http::State;
use crate::http::extract::{JsonBody, QueryParams};
use crate::http::problem::ApiError;
use crate::pagination::{Page, PageParams};
use crate::signatures::SignatureInput;
use crate::workflow::Transition;

const KIND: DocumentKind = DocumentKind::Plan;

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

crate::document_crud_routes! {
    document: Plan, input: PlanInput, summary: PlanSummary, tag: "plans",
    list: list_plans = "/plans",
    "List plans visible to you, by fund year, partnership and status (without their lines).",
    create: create_plan = "/plans",
    "Start the Spending Intentions Plan of an allocation (the partnership's manager). One plan per allocation; its lines may not add up to more than the grant plus carry-forward.",
    read: get_plan = "/plans/{id}",
    "Read a plan with its lines, totals, review and the transitions you may take.",
    replace: replace_plan = "/plans/{id}",
    "Replace a draft plan's lines (the partnership's manager). Lines are matched by number, so returns and reports citing a line keep citing it.",
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
    let id = id.into_inner();
    let step = SigningStep {
        kind: KIND,
        id,
        expected: version.0,
        transition: Transition::Submit,
    };
    let signer = confirm_signer(&state, &caller, step, body.into_inner()).await?;
    act_as(&state, caller, KIND, id, dry_run.0, move |conn, caller| {
        review::submit(conn, caller, id, version.0, &signer)
    })
    .await
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
    act(&state, caller, KIND, id, move |conn, caller| {
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
    act(&state, caller, KIND, id, move |conn, caller| {
        review::approve(conn, caller, id, version.0)
    })
    .await
}

crate::document_routes! {
    kind: KIND, tag: "plans", view: Plan,
    withdraw: withdraw_plan = "/plans/{id}/withdraw",
    start_review: start_plan_review = "/plans/{id}/start-review",
    request_changes: request_plan_changes = "/plans/{id}/request-changes",
    revise: revise_plan = "/plans/{id}/revise",
    signatures: plan_signatures = "/plans/{id}/signatures",
    versions: plan_versions = "/plans/{id}/versions",
    version: plan_version = "/plans/{id}/versions/{number}",
    history: plan_history = "/plans/{id}/history",
}

/// Propose an amendment to an approved plan (the partnership's manager): its lines as they
/// should become. Within the fund year's threshold it takes effect at once (status `applied`);
/// otherwise it waits for a reviewer (status `proposed`).
#[utoipa::path(tag = "plans", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The plan's ETag you read")),
    request_body = AmendmentInput, responses(
    (status = 201, description = "Recorded: applied, or waiting for review", body = Amendment),
    (status = 403, description = "Only the partnership's manager amends its plan"),
    (status = 409, description = "The plan is not approved, or an amendment already waits for review"),
    (status = 412, description = "The plan changed since you read it"),
    (status = 428, description = "If-Match is missing"),
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
