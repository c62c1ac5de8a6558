//! HTTP for webhook subscriptions and their delivery log. The secret appears in two answers
//! only: creation and rotation.

use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::outbox::{self, DeliveryAttempt, Message, MessageFilter};
use super::subscriptions::{
    self, NewSubscription, SecretRotation, Subscription, SubscriptionChanges, SubscriptionFilter,
    SubscriptionWithSecret,
};
use crate::auth::Caller;
use crate::http::State;
use crate::http::extract::{IfMatch, JsonBody, Listing, QueryParams, SyncListing};
use crate::http::problem::ApiError;
use crate::pagination::{ChangedSince, Page, PageParams};
use crate::preconditions::etag;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_webhook_subscriptions)
        .service(create_webhook_subscription)
        .service(get_webhook_subscription)
        .service(update_webhook_subscription)
        .service(rotate_webhook_secret)
        .service(list_webhook_messages)
        .service(list_webhook_attempts)
        .service(redeliver_webhook_message);
}

/// The subscriptions the caller manages: the admin sees all; a partnership sees its own.
#[utoipa::path(tag = "webhooks", security(("bearer" = [])), params(PageParams, ChangedSince, SubscriptionFilter), responses(
    (status = 200, description = "A page of subscriptions", body = Page<Subscription>),
    (status = 403, description = "The admin subscribes for the OPCC; a partnership's manager, treasurer or API client for the partnership"),
))]
#[get("/webhook-subscriptions")]
pub async fn list_webhook_subscriptions(
    state: State,
    caller: Caller,
    query: SyncListing<SubscriptionFilter>,
) -> Result<HttpResponse, ApiError> {
    let (page, filter) = (query.request()?, query.filter);
    let found = state
        .db
        .run(move |conn| subscriptions::list(conn, &caller, &filter, &page))
        .await?;
    Ok(HttpResponse::Ok().json(found))
}

/// Subscribe an endpoint to events. The admin's subscription without `partnership_id` receives
/// every partnership's events; a partnership's receives its own. The answer carries the signing
/// secret, shown this once. Deliveries follow Standard Webhooks 1.0: verify `webhook-signature`
/// (HMAC-SHA256 of `webhook-id`.`webhook-timestamp`.body with the secret's bytes after `whsec_`,
/// base64, after `v1,`; during a rotation several, separated by spaces), refuse timestamps more
/// than 5 minutes off, drop repeats by `webhook-id`, and answer 2xx within the timeout.
#[utoipa::path(tag = "webhooks", security(("bearer" = [])), request_body = NewSubscription, responses(
    (status = 201, description = "Subscribed; store the secret now", body = SubscriptionWithSecret),
    (status = 403, description = "The admin subscribes for the OPCC; a partnership's manager, treasurer or API client for the partnership"),
))]
#[post("/webhook-subscriptions")]
pub async fn create_webhook_subscription(
    state: State,
    caller: Caller,
    body: JsonBody<NewSubscription>,
) -> Result<HttpResponse, ApiError> {
    let new = body.into_inner();
    let allow_private = state.config.webhooks.allow_private;
    let created = state
        .db
        .run(move |conn| subscriptions::create(conn, &caller, &new, allow_private))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/webhook-subscriptions/{}", created.subscription.id),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(created))
}

/// Read a subscription. The secret is never shown again.
#[utoipa::path(tag = "webhooks", security(("bearer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, description = "The subscription", body = Subscription),
    (status = 403, description = "The caller's role does not manage subscriptions"),
))]
#[get("/webhook-subscriptions/{id}")]
pub async fn get_webhook_subscription(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = state.db.run(move |conn| subscriptions::get(conn, &caller, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(found.version)))
        .json(found))
}

/// Change the URL, events or description; switch deliveries off, or on again after the
/// service disabled them. While off, new events are not queued for it; queued ones wait.
#[utoipa::path(tag = "webhooks", security(("bearer" = [])), params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read: `*` for any version, a weak tag never matches")),
    request_body = SubscriptionChanges, responses(
    (status = 200, description = "Updated", body = Subscription),
    (status = 403, description = "The caller's role does not manage subscriptions"),
))]
#[patch("/webhook-subscriptions/{id}")]
pub async fn update_webhook_subscription(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    body: JsonBody<SubscriptionChanges>,
) -> Result<HttpResponse, ApiError> {
    let (id, changes) = (id.into_inner(), body.into_inner());
    let allow_private = state.config.webhooks.allow_private;
    let updated = state
        .db
        .run(move |conn| subscriptions::update(conn, &caller, id, &version.0, &changes, allow_private))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(updated.version)))
        .json(updated))
}

/// Issue a new signing secret. The old one keeps signing beside it (two signatures in
/// `webhook-signature`) for `overlap_seconds`, so the receiver can switch without losing a
/// delivery.
#[utoipa::path(tag = "webhooks", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = SecretRotation, responses(
    (status = 200, description = "The new secret; store it now", body = SubscriptionWithSecret),
    (status = 403, description = "The caller's role does not manage subscriptions"),
))]
#[post("/webhook-subscriptions/{id}/rotate-secret")]
pub async fn rotate_webhook_secret(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    body: JsonBody<SecretRotation>,
) -> Result<HttpResponse, ApiError> {
    let (id, rotation) = (id.into_inner(), body.into_inner());
    let rotated = state
        .db
        .run(move |conn| subscriptions::rotate_secret(conn, &caller, id, &rotation))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(rotated))
}

/// The subscription's messages, oldest first: delivered, pending (with the next attempt's time)
/// or failed.
#[utoipa::path(tag = "webhooks", security(("bearer" = [])), params(("id" = i64, Path), PageParams, MessageFilter), responses(
    (status = 200, description = "A page of messages", body = Page<Message>),
    (status = 403, description = "The caller's role does not manage subscriptions"),
))]
#[get("/webhook-subscriptions/{id}/messages")]
pub async fn list_webhook_messages(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    query: Listing<MessageFilter>,
) -> Result<HttpResponse, ApiError> {
    let (id, page, filter) = (id.into_inner(), query.page.request()?, query.filter);
    let found = state
        .db
        .run(move |conn| outbox::messages(conn, &caller, id, &filter, &page))
        .await?;
    Ok(HttpResponse::Ok().json(found))
}

/// The delivery log: every attempt, oldest first, with the endpoint's status, how long it took
/// and the start of its answer.
#[utoipa::path(tag = "webhooks", security(("bearer" = [])), params(("id" = i64, Path), PageParams), responses(
    (status = 200, description = "A page of delivery attempts", body = Page<DeliveryAttempt>),
    (status = 403, description = "The caller's role does not manage subscriptions"),
))]
#[get("/webhook-subscriptions/{id}/attempts")]
pub async fn list_webhook_attempts(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    page: QueryParams<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let (id, page) = (id.into_inner(), page.0.request()?);
    let found = state
        .db
        .run(move |conn| outbox::attempts(conn, &caller, id, &page))
        .await?;
    Ok(HttpResponse::Ok().json(found))
}

/// Send a delivered or failed message again, with the same `webhook-id` and body.
#[utoipa::path(tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path), ("webhook_id" = String, Path, description = "The message's webhook-id")), responses(
    (status = 202, description = "Queued to be sent again", body = Message),
    (status = 403, description = "The caller's role does not manage subscriptions"),
    (status = 409, description = "The message is still waiting to be delivered"),
))]
#[post("/webhook-subscriptions/{id}/messages/{webhook_id}/redeliver")]
pub async fn redeliver_webhook_message(
    state: State,
    caller: Caller,
    path: web::Path<(i64, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, webhook_id) = path.into_inner();
    let queued = state
        .db
        .run(move |conn| outbox::redeliver(conn, &caller, id, &webhook_id))
        .await?;
    Ok(HttpResponse::Accepted().json(queued))
}
