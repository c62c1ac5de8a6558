//! HTTP for Spending Intentions Plans.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{Plan, PlanInput, PlanSummary};
use crate::auth::Caller;
use crate::documents::DocumentFilter;
use crate::http::State;
use crate::http::extract::{JsonBody, QueryParams};
use crate::http::problem::ApiError;
use crate::pagination::{Page, PageParams};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_plans)
        .service(create_plan)
        .service(get_plan)
        .service(replace_plan);
}

/// List plans visible to you, by fund year, partnership and status.
#[utoipa::path(tag = "plans", security(("bearer" = [])), params(PageParams, DocumentFilter),
    responses((status = 200, description = "A page of plans, without their lines", body = Page<PlanSummary>)))]
#[get("/plans")]
pub async fn list_plans(
    state: State,
    caller: Caller,
    page: QueryParams<PageParams>,
    filter: QueryParams<DocumentFilter>,
) -> Result<HttpResponse, ApiError> {
    let (page, filter) = (page.0.request()?, filter.0);
    Ok(HttpResponse::Ok().json(
        state
            .db
            .run(move |conn| super::list(conn, &caller, &filter, &page))
            .await?,
    ))
}

/// Start the Spending Intentions Plan of an allocation (the partnership's manager). One plan per
/// allocation; its lines may not add up to more than the grant plus carry-forward.
#[utoipa::path(tag = "plans", security(("bearer" = [])), request_body = PlanInput, responses(
    (status = 201, description = "Created as a draft", body = Plan),
    (status = 403, description = "Only the partnership's manager writes its plan"),
))]
#[post("/plans")]
pub async fn create_plan(state: State, caller: Caller, body: JsonBody<PlanInput>) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let plan = state.db.run(move |conn| super::create(conn, &caller, &input)).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/plans/{}", plan.id)))
        .json(plan))
}

/// Read a plan with its lines and totals.
#[utoipa::path(tag = "plans", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, description = "The plan", body = Plan)))]
#[get("/plans/{id}")]
pub async fn get_plan(state: State, caller: Caller, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    Ok(HttpResponse::Ok().json(state.db.run(move |conn| super::get(conn, &caller, id)).await?))
}

/// Replace a draft plan's lines (the partnership's manager). Lines are matched by number, so
/// returns and reports citing a line keep citing it.
#[utoipa::path(tag = "plans", security(("bearer" = [])), params(("id" = i64, Path)), request_body = PlanInput,
    responses(
    (status = 200, description = "Replaced", body = Plan),
    (status = 403, description = "Only the partnership's manager writes its plan"),
    (status = 409, description = "The plan is not a draft"),
))]
#[put("/plans/{id}")]
pub async fn replace_plan(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    body: JsonBody<PlanInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, input) = (id.into_inner(), body.into_inner());
    Ok(HttpResponse::Ok().json(
        state
            .db
            .run(move |conn| super::replace(conn, &caller, id, &input))
            .await?,
    ))
}
