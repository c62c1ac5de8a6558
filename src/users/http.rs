//! HTTP for user accounts (admin only).

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::identities::{self, Identity, NewIdentity};
use super::{NewUser, User, UserChanges, UserFilter};
use crate::auth::Caller;
use crate::http::State;
use crate::http::extract::{IfMatch, JsonBody, SyncListing};
use crate::http::problem::ApiError;
use crate::pagination::{ChangedSince, Page, PageParams};
use crate::preconditions::etag;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_users)
        .service(create_user)
        .service(get_user)
        .service(update_user)
        .service(list_user_identities)
        .service(link_user_identity)
        .service(unlink_user_identity);
}

/// List users, filtered by role, partnership or active flag (admin).
#[utoipa::path(tag = "users", security(("bearer" = [])), params(PageParams, ChangedSince, UserFilter), responses(
    (status = 200, description = "A page of users", body = Page<User>),
    (status = 403, description = "Only the admin manages users"),
))]
#[get("/users")]
pub async fn list_users(
    state: State,
    caller: Caller,
    query: SyncListing<UserFilter>,
) -> Result<HttpResponse, ApiError> {
    let (page, filter) = (query.request()?, query.filter);
    let found = state
        .db
        .run(move |conn| super::list(conn, &caller, &filter, &page))
        .await?;
    Ok(HttpResponse::Ok().json(found))
}

/// Create a user (admin).
///
/// With an initial password, or none for someone who signs in only at their organisation's
/// identity provider.
#[utoipa::path(tag = "users", security(("bearer" = [])), request_body = NewUser, responses(
    (status = 201, description = "Created", body = User),
    (status = 403, description = "Only the admin manages users"),
    (status = 409, description = "The e-mail address is in use"),
))]
#[post("/users")]
pub async fn create_user(state: State, caller: Caller, body: JsonBody<NewUser>) -> Result<HttpResponse, ApiError> {
    caller.require_admin()?;
    let new = body.into_inner();
    super::validate_new(&new)?;
    // Without a password, the hash of a secret nobody is told: no password will match it.
    let password = new.password.clone().unwrap_or_else(crate::auth::tokens::random_secret);
    let hash = state.hash_secret(password).await?;
    let created = state
        .db
        .run(move |conn| super::create(conn, &caller, &new, &hash))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/users/{}", created.id)))
        .insert_header((header::ETAG, etag(created.version)))
        .json(created))
}

/// Read a user (admin).
#[utoipa::path(tag = "users", security(("bearer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, description = "The user", body = User),
    (status = 403, description = "Only the admin manages users"),
))]
#[get("/users/{id}")]
pub async fn get_user(state: State, caller: Caller, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = state.db.run(move |conn| super::get(conn, &caller, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(found.version)))
        .json(found))
}

/// Change a user: details, role and partnership, active flag, or password (admin).
/// Deactivating, a new password, or a new role or partnership ends the user's sessions.
#[utoipa::path(tag = "users", security(("bearer" = [])), params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read: `*` for any version, a weak tag never matches")),
    request_body = UserChanges, responses(
    (status = 200, description = "Updated", body = User),
    (status = 403, description = "Only the admin manages users"),
    (status = 409, description = "The e-mail address is in use, or this would leave no active admin"),
))]
#[patch("/users/{id}")]
pub async fn update_user(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    version: IfMatch,
    body: JsonBody<UserChanges>,
) -> Result<HttpResponse, ApiError> {
    caller.require_admin()?;
    let (id, changes) = (id.into_inner(), body.into_inner());
    super::validate_changes(&changes)?;
    let hash = match &changes.password {
        Some(password) => Some(state.hash_secret(password.clone()).await?),
        None => None,
    };
    let updated = state
        .db
        .run(move |conn| super::update(conn, &caller, id, &version.0, &changes, hash.as_deref()))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(updated.version)))
        .json(updated))
}

/// The user's identities at trusted identity providers (admin).
#[utoipa::path(tag = "users", security(("bearer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, description = "The identities, oldest first", body = Vec<Identity>),
    (status = 403, description = "Only the admin manages users"),
))]
#[get("/users/{id}/identities")]
pub async fn list_user_identities(state: State, caller: Caller, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = state.db.run(move |conn| identities::list(conn, &caller, id)).await?;
    Ok(HttpResponse::Ok().json(found))
}

/// Link an identity at a trusted identity provider to the user (admin): that person then signs
/// in there and acts here with this user's role and partnership. The provider must be one that
/// signs in the user's organisation.
#[utoipa::path(tag = "users", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = NewIdentity, responses(
    (status = 201, description = "Linked", body = Identity),
    (status = 403, description = "Only the admin manages users"),
    (status = 409, description = "The identity is linked to another user, or the user has one at this issuer"),
    (status = 422, description = "The issuer is not trusted, or signs in another organisation"),
))]
#[post("/users/{id}/identities")]
pub async fn link_user_identity(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    body: JsonBody<NewIdentity>,
) -> Result<HttpResponse, ApiError> {
    let (id, new) = (id.into_inner(), body.into_inner());
    let providers = state.clone();
    let linked = state
        .db
        .run(move |conn| identities::link(conn, &caller, &providers.providers, id, &new))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/users/{id}/identities/{}", linked.id)))
        .json(linked))
}

/// Unlink an identity from the user (admin): tokens for it stop working at once.
#[utoipa::path(tag = "users", security(("bearer" = [])), params(("id" = i64, Path), ("identity_id" = i64, Path)), responses(
    (status = 204, description = "Unlinked"),
    (status = 403, description = "Only the admin manages users"),
))]
#[delete("/users/{id}/identities/{identity_id}")]
pub async fn unlink_user_identity(
    state: State,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (id, identity_id) = path.into_inner();
    state
        .db
        .run(move |conn| identities::unlink(conn, &caller, id, identity_id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
