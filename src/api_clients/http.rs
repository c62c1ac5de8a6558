//! HTTP for API clients (admin only, but for a client registering its own key). Secrets appear in
//! exactly two responses: creation and rotation.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::keys::{self, PublicKeyInput};
use super::{ApiClient, ApiClientChanges, ApiClientFilter, ApiClientWithSecret, NewApiClient};
use crate::auth::{Caller, tokens};
use crate::http::State;
use crate::http::extract::{IfMatch, JsonBody, SyncListing};
use crate::http::problem::ApiError;
use crate::pagination::{ChangedSince, Page, PageParams};
use crate::preconditions::etag;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_api_clients)
        .service(create_api_client)
        .service(get_api_client)
        .service(update_api_client)
        .service(rotate_api_client_secret)
        .service(register_api_client_key)
        .service(remove_api_client_key);
}

/// List API clients (admin).
#[utoipa::path(tag = "api-clients", security(("bearer" = [])), params(PageParams, ChangedSince, ApiClientFilter), responses(
    (status = 200, description = "A page of API clients", body = Page<ApiClient>),
    (status = 403, description = "Only the admin manages API clients"),
))]
#[get("/api-clients")]
pub async fn list_api_clients(
    state: State,
    caller: Caller,
    query: SyncListing<ApiClientFilter>,
) -> Result<HttpResponse, ApiError> {
    let (page, filter) = (query.request()?, query.filter);
    let found = state
        .db
        .run(move |conn| super::list(conn, &caller, &filter, &page))
        .await?;
    Ok(HttpResponse::Ok().json(found))
}

/// Register a partner system (admin). The answer carries the client secret, shown this once.
#[utoipa::path(tag = "api-clients", security(("bearer" = [])), request_body = NewApiClient, responses(
    (status = 201, description = "Created; store the secret now", body = ApiClientWithSecret),
    (status = 403, description = "Only the admin manages API clients"),
))]
#[post("/api-clients")]
pub async fn create_api_client(
    state: State,
    caller: Caller,
    body: JsonBody<NewApiClient>,
) -> Result<HttpResponse, ApiError> {
    caller.require_admin()?;
    let new = body.into_inner();
    super::validate_new(&new)?;
    let secret = tokens::random_secret();
    let hash = state.hash_secret(secret.clone()).await?;
    let client_id = super::new_client_id();
    let client = state
        .db
        .run(move |conn| super::create(conn, &caller, &new, &client_id, &hash))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/api-clients/{}", client.id)))
        .insert_header((header::ETAG, etag(client.version)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(ApiClientWithSecret {
            client,
            client_secret: secret,
        }))
}

/// Read an API client (admin). The secret is never shown again.
#[utoipa::path(tag = "api-clients", security(("bearer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, description = "The API client", body = ApiClient),
    (status = 403, description = "Only the admin manages API clients"),
))]
#[get("/api-clients/{id}")]
pub async fn get_api_client(state: State, caller: Caller, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = state.db.run(move |conn| super::get(conn, &caller, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(found.version)))
        .json(found))
}

/// Rename, disable or re-enable an API client (admin). Disabling ends its sessions.
#[utoipa::path(tag = "api-clients", security(("bearer" = [])), params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read: `*` for any version, a weak tag never matches")),
    request_body = ApiClientChanges, responses(
    (status = 200, description = "Updated", body = ApiClient),
    (status = 403, description = "Only the admin manages API clients"),
))]
#[patch("/api-clients/{id}")]
pub async fn update_api_client(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    body: JsonBody<ApiClientChanges>,
) -> Result<HttpResponse, ApiError> {
    let (id, changes) = (id.into_inner(), body.into_inner());
    let updated = state
        .db
        .run(move |conn| super::update(conn, &caller, id, &version.0, &changes))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(updated.version)))
        .json(updated))
}

/// Issue a new secret (admin): the old one stops working and the client's sessions end.
#[utoipa::path(tag = "api-clients", security(("bearer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, description = "The new secret; store it now", body = ApiClientWithSecret),
    (status = 403, description = "Only the admin manages API clients"),
))]
#[post("/api-clients/{id}/rotate-secret")]
pub async fn rotate_api_client_secret(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    caller.require_admin()?;
    let id = id.into_inner();
    let secret = tokens::random_secret();
    let hash = state.hash_secret(secret.clone()).await?;
    let client = state
        .db
        .run(move |conn| super::rotate_secret(conn, &caller, id, &hash))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::ETAG, etag(client.version)))
        .json(ApiClientWithSecret {
            client,
            client_secret: secret,
        }))
}

/// Register or replace the client's public key for `private_key_jwt`.
///
/// By the admin, or by the client itself with its current token, to rotate its key. From then on the client signs in with
/// assertions signed by that key alone: its secret no longer works. Its sessions end.
#[utoipa::path(tag = "api-clients", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = PublicKeyInput, responses(
    (status = 200, description = "Registered", body = ApiClient),
    (status = 403, description = "Only the admin, or the client itself, registers its key"),
    (status = 422, description = "Not a public RSA, EC or Ed25519 JWK"),
))]
#[put("/api-clients/{id}/public-key")]
pub async fn register_api_client_key(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    body: JsonBody<PublicKeyInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, input) = (id.into_inner(), body.into_inner());
    let client = state
        .db
        .run(move |conn| keys::register(conn, &caller, id, &input))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(client.version)))
        .json(client))
}

/// Remove the client's public key (admin); rotate its secret to let it sign in with one again.
#[utoipa::path(tag = "api-clients", security(("bearer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, description = "Removed", body = ApiClient),
    (status = 403, description = "Only the admin removes a client's key"),
))]
#[delete("/api-clients/{id}/public-key")]
pub async fn remove_api_client_key(state: State, caller: Caller, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let client = state.db.run(move |conn| keys::remove(conn, &caller, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(client.version)))
        .json(client))
}
