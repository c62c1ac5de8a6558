//! HTTP for authentication: the `Caller` extractor every protected handler uses, the token
//! endpoints, and the caller's own account.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, get, post};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{AdditionalProperties, OneOfBuilder, Schema};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::login::{self, ClientLogin, Credentials, PasswordLogin};
use super::throttle::ThrottleKey;
use super::{Account, Caller, Principal, Role, passwords, sessions};
use crate::api_clients::{self, ApiClient};
use crate::error::{AuthFailure, Error, Violations};
use crate::http::extract::JsonBody;
use crate::http::problem::ApiError;
use crate::http::{AppState, State};
use crate::partnerships::{self, Partnership};
use crate::users::{self, User};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(issue_token)
        .service(refresh_access_token)
        .service(logout)
        .service(get_me)
        .service(change_my_password);
}

fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
}

/// Authenticates the request: a valid access token whose principal is still active with the
/// same role and partnership as when the token was issued.
impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Caller, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<State>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| Error::internal("application state is not configured"))?;
            let token = token.ok_or(Error::Unauthenticated(AuthFailure::MissingToken))?;
            let (principal, claims) = state.tokens.verify(&token)?;
            let account = state.db.run(move |conn| Account::load(conn, principal)).await?;
            match account {
                Some(a) if a.active && a.role == claims.role && a.partnership_id == claims.partnership_id => {
                    Ok(Caller::from_account(&a))
                }
                _ => Err(Error::Unauthenticated(AuthFailure::InvalidToken).into()),
            }
        })
    }
}

/// Either a user's e-mail and password, or an API client's id and secret. Read as one object so
/// that a body mixing the two, or missing half of one, is told exactly which field is wrong.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    #[serde(default, deserialize_with = "credential")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "credential")]
    pub password: Option<String>,
    #[serde(default, deserialize_with = "credential")]
    pub client_id: Option<String>,
    #[serde(default, deserialize_with = "credential")]
    pub client_secret: Option<String>,
}

/// A credential is absent or a string: `"client_id": null` beside an e-mail is not the password
/// shape, as the published `oneOf` says.
fn credential<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    String::deserialize(deserializer).map(Some)
}

/// Published as what it is: exactly one of the two credential shapes.
impl PartialSchema for TokenRequest {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(Ref::from_schema_name("PasswordLogin"))
            .item(Ref::from_schema_name("ClientLogin"))
            .description(Some(
                "Either a person's e-mail and password, or a partner system's client id and secret.",
            ))
            .into()
    }
}

impl ToSchema for TokenRequest {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        // Each shape admits no other field: `{"email": .., "client_id": null}` is refused.
        let closed = |mut schema: RefOr<Schema>| {
            if let RefOr::T(Schema::Object(object)) = &mut schema {
                object.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
            }
            schema
        };
        schemas.push(("PasswordLogin".into(), closed(PasswordLogin::schema())));
        schemas.push(("ClientLogin".into(), closed(ClientLogin::schema())));
    }
}

impl TokenRequest {
    fn credentials(self) -> Result<Credentials, Error> {
        match self {
            TokenRequest {
                email: Some(email),
                password: Some(password),
                client_id: None,
                client_secret: None,
            } => Ok(Credentials::Password(PasswordLogin { email, password })),
            TokenRequest {
                email: None,
                password: None,
                client_id: Some(client_id),
                client_secret: Some(client_secret),
            } => Ok(Credentials::ClientSecret(ClientLogin {
                client_id,
                client_secret,
            })),
            request => {
                let mut v = Violations::new();
                let user = request.email.is_some() || request.password.is_some();
                let client = request.client_id.is_some() || request.client_secret.is_some();
                if user && client {
                    v.add(
                        "client_id",
                        "exclusive",
                        "send either email and password, or client_id and client_secret",
                    );
                } else if client {
                    v.check(
                        request.client_id.is_some(),
                        "client_id",
                        "required",
                        "is required with client_secret",
                    );
                    v.check(
                        request.client_secret.is_some(),
                        "client_secret",
                        "required",
                        "is required with client_id",
                    );
                } else {
                    v.check(request.email.is_some(), "email", "required", "is required");
                    v.check(request.password.is_some(), "password", "required", "is required");
                }
                Err(v.into_error())
            }
        }
    }
}

/// OAuth2-shaped token answer.
#[derive(Serialize, ToSchema, Debug)]
pub struct TokenResponse {
    /// A JWT to send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: u64,
    /// Single use: exchange it at `/auth/refresh` for a new pair.
    pub refresh_token: String,
    /// Seconds until the refresh token expires.
    #[schema(example = 1209600)]
    pub refresh_expires_in: u64,
}

#[derive(Deserialize, ToSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

fn client_address(req: &HttpRequest, trusted_proxies: &[IpAddr]) -> Option<IpAddr> {
    let forwarded_for = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    let peer = req.peer_addr().map(|a| a.ip());
    if let Some(peer) = peer.filter(|p| !forwarded_for.is_empty() && !trusted_proxies.contains(p)) {
        warn_of_untrusted_proxy(peer);
    }
    address_of_client(peer, &forwarded_for, trusted_proxies)
}

/// Behind a proxy that is not listed, every client shares the proxy's address for the
/// per-address login limit, so a few strangers' failed logins lock everyone out. Said once.
fn warn_of_untrusted_proxy(peer: IpAddr) {
    static WARNED: std::sync::Once = std::sync::Once::new();
    WARNED.call_once(|| {
        tracing::warn!(
            %peer,
            "X-Forwarded-For arrived from {peer}, which is not in CSPFUND_TRUSTED_PROXIES, so it is ignored and \
             every client behind that proxy shares one address for the per-address login limit; if {peer} is \
             your reverse proxy, set CSPFUND_TRUSTED_PROXIES={peer}"
        );
    });
}

/// The client's address: the peer's, unless the peer is a trusted proxy, in which case the
/// nearest address in `X-Forwarded-For` that is not itself a trusted proxy. Anyone else can
/// write that header, so it is believed from the proxies alone.
fn address_of_client(peer: Option<IpAddr>, forwarded_for: &str, trusted_proxies: &[IpAddr]) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted_proxies.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<Option<IpAddr>> = forwarded_for
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| a.parse().ok())
        .collect();
    for hop in forwarded.iter().rev() {
        match hop {
            Some(address) if trusted_proxies.contains(address) => continue,
            Some(address) => return Some(*address),
            // An address the proxy did not write: stop believing the header there.
            None => break,
        }
    }
    Some(peer)
}

async fn token_pair(state: &AppState, account: Account) -> Result<TokenResponse, ApiError> {
    let ttl = state.config.refresh_token_ttl;
    let principal = account.principal;
    let refresh_token = state.db.run(move |conn| sessions::start(conn, principal, ttl)).await?;
    Ok(TokenResponse {
        access_token: state.tokens.issue(&account)?,
        token_type: "Bearer",
        expires_in: state.tokens.access_ttl().as_secs(),
        refresh_token,
        refresh_expires_in: ttl.as_secs(),
    })
}

/// Log in: exchange credentials for an access token and a refresh token.
///
/// Wrong e-mail, wrong password, unknown client and inactive account all get the same 401.
/// After repeated failures for one account or from one address, attempts are refused with 429
/// until Retry-After has passed.
#[utoipa::path(tag = "auth", request_body = TokenRequest, responses(
    (status = 200, description = "Logged in", body = TokenResponse),
    (status = 401, description = "The credentials are not valid"),
    (status = 429, description = "Too many failed attempts"),
))]
#[post("/auth/token")]
pub async fn issue_token(
    state: State,
    req: HttpRequest,
    body: JsonBody<TokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let credentials = body.into_inner().credentials()?;
    let account_key = credentials.throttle_key();
    let mut keys = vec![account_key.clone()];
    keys.extend(client_address(&req, &state.config.trusted_proxies).map(ThrottleKey::Address));
    // Before anything else costs: a storm of logins is refused here at no database work.
    let slot = state.hasher.reserve()?;

    let throttle = state.clone();
    let checked = keys.clone();
    let (credentials, candidate) = state
        .db
        .run(move |conn| {
            throttle.throttle.check(conn, &checked)?;
            let candidate = login::find_candidate(conn, &credentials)?;
            Ok((credentials, candidate))
        })
        .await?;
    let authenticated = state
        .authenticator
        .verify(&state.hasher, slot, &credentials, candidate)
        .await?;

    let throttle = state.clone();
    let Some(account) = authenticated else {
        state
            .db
            .run(move |conn| throttle.throttle.record_failure(conn, &keys))
            .await?;
        return Err(Error::Unauthenticated(AuthFailure::InvalidCredentials).into());
    };
    state
        .db
        .run(move |conn| throttle.throttle.record_success(conn, &account_key))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(token_pair(&state, account).await?))
}

/// Exchange a refresh token for a new access token and refresh token. The presented refresh
/// token is used up; presenting it again revokes the whole session.
#[utoipa::path(tag = "auth", request_body = RefreshRequest, responses(
    (status = 200, description = "New tokens", body = TokenResponse),
    (status = 401, description = "The refresh token is invalid, expired, revoked or already used"),
))]
#[post("/auth/refresh")]
pub async fn refresh_access_token(state: State, body: JsonBody<RefreshRequest>) -> Result<HttpResponse, ApiError> {
    let presented = body.into_inner().refresh_token;
    let ttl = state.config.refresh_token_ttl;
    let (account, refresh_token) = state
        .db
        .run(move |conn| sessions::rotate(conn, &presented, ttl))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(TokenResponse {
            access_token: state.tokens.issue(&account)?,
            token_type: "Bearer",
            expires_in: state.tokens.access_ttl().as_secs(),
            refresh_token,
            refresh_expires_in: ttl.as_secs(),
        }))
}

/// Log out: revoke the session the refresh token belongs to. Access tokens already issued stay
/// valid until they expire (minutes).
#[utoipa::path(tag = "auth", request_body = RefreshRequest, responses(
    (status = 204, description = "Logged out (also when the token was unknown or already revoked)"),
))]
#[post("/auth/logout")]
pub async fn logout(state: State, body: JsonBody<RefreshRequest>) -> Result<HttpResponse, ApiError> {
    let presented = body.into_inner().refresh_token;
    state.db.run(move |conn| sessions::end(conn, &presented)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller: a user or an API client, with role and partnership.
#[derive(Serialize, ToSchema, Debug)]
pub struct Me {
    pub role: Role,
    /// The partnership a csp_manager or treasurer acts for.
    pub partnership: Option<Partnership>,
    /// Present when the caller is a person.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    /// Present when the caller is a partner system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_client: Option<ApiClient>,
}

/// Who am I: the authenticated caller's account.
#[utoipa::path(tag = "auth", security(("bearer" = [])), responses((status = 200, description = "The caller", body = Me)))]
#[get("/me")]
pub async fn get_me(state: State, caller: Caller) -> Result<HttpResponse, ApiError> {
    let me = state
        .db
        .run(move |conn| {
            let partnership = match caller.partnership_id {
                Some(id) => partnerships::find(conn, id)?,
                None => None,
            };
            let (user, api_client) = match caller.principal {
                Principal::User(id) => (users::find(conn, id)?, None),
                Principal::ApiClient(id) => (None, api_clients::find(conn, id)?),
            };
            Ok(Me {
                role: caller.role,
                partnership,
                user,
                api_client,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(me))
}

#[derive(Deserialize, ToSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    #[schema(format = Password)]
    pub current_password: String,
    /// At least 12 characters.
    #[schema(format = Password)]
    pub new_password: String,
}

/// Change my password. Ends all my sessions, including this one's refresh token.
#[utoipa::path(tag = "auth", security(("bearer" = [])), request_body = PasswordChange, responses(
    (status = 204, description = "Password changed"),
    (status = 403, description = "API clients have no password"),
    (status = 429, description = "Too many wrong current passwords"),
))]
#[post("/me/password")]
pub async fn change_my_password(
    state: State,
    caller: Caller,
    body: JsonBody<PasswordChange>,
) -> Result<HttpResponse, ApiError> {
    if let Principal::ApiClient(_) = caller.principal {
        return Err(Error::Forbidden("API clients have no password; an admin rotates their secret".into()).into());
    }
    let change = body.into_inner();
    let mut violations = Violations::new();
    passwords::check_policy(&mut violations, "new_password", &change.new_password);
    violations.finish()?;
    confirm_identity(&state, &caller, change.current_password, "current_password").await?;
    let hash = state.hash_secret(change.new_password).await?;
    state
        .db
        .run(move |conn| users::set_own_password(conn, &caller, &hash))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's own name and position, as their account holds them.
pub struct Confirmed {
    pub display_name: Option<String>,
    pub job_title: Option<String>,
}

/// Confirms the caller by their password given again (an API client: its secret), so a stolen
/// access token alone cannot change a password or sign. A wrong one is refused on `field` and
/// counts towards the login throttle.
pub async fn confirm_identity(
    state: &State,
    caller: &Caller,
    secret: String,
    field: &'static str,
) -> Result<Confirmed, ApiError> {
    let key = [ThrottleKey::Account(caller.principal.subject())];
    let slot = state.hasher.reserve()?;
    let principal = caller.principal;
    let throttle = state.clone();
    let checked = key.clone();
    let (hash, confirmed) = state
        .db
        .run(move |conn| {
            throttle.throttle.check(conn, &checked)?;
            Ok(match principal {
                Principal::User(id) => {
                    let user = users::find(conn, id)?.ok_or(Error::NotFound("user"))?;
                    (
                        user.password_hash,
                        Confirmed {
                            display_name: Some(user.display_name),
                            job_title: Some(user.job_title),
                        },
                    )
                }
                Principal::ApiClient(id) => {
                    let client = api_clients::find(conn, id)?.ok_or(Error::NotFound("API client"))?;
                    (
                        client.secret_hash,
                        Confirmed {
                            display_name: None,
                            job_title: None,
                        },
                    )
                }
            })
        })
        .await?;
    let matches = state.hasher.verify(slot, secret, hash).await?;
    if !matches {
        let throttle = state.clone();
        state
            .db
            .run(move |conn| throttle.throttle.record_failure(conn, &key))
            .await?;
        return Err(Error::invalid(
            field,
            "password_mismatch",
            "is not your password (an API client's: its client secret)",
        )
        .into());
    }
    Ok(confirmed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_forwarded_for_is_believed_from_the_trusted_proxy_alone() {
        let proxy = IpAddr::from([127, 0, 0, 1]);
        let stranger = IpAddr::from([81, 2, 69, 160]);
        let client = IpAddr::from([203, 0, 113, 7]);
        // Through the proxy: the address it saw, not what the client claimed before it.
        assert_eq!(
            address_of_client(Some(proxy), "10.9.9.9, 203.0.113.7", &[proxy]),
            Some(client)
        );
        // Straight from a stranger, the header is ignored.
        assert_eq!(
            address_of_client(Some(stranger), "203.0.113.7", &[proxy]),
            Some(stranger)
        );
        // With no proxies configured, nobody's header counts.
        assert_eq!(address_of_client(Some(proxy), "203.0.113.7", &[]), Some(proxy));
        // A proxy that forwards no client, or garbage, is the client itself.
        assert_eq!(address_of_client(Some(proxy), "", &[proxy]), Some(proxy));
        assert_eq!(address_of_client(Some(proxy), "not-an-address", &[proxy]), Some(proxy));
    }
}
