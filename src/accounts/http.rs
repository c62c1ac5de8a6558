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

use crate::api_clients::keys;
use crate::api_clients::{self, ApiClient};
use crate::auth::login::{ClientLogin, Credentials, PasswordLogin};
use crate::auth::throttle::ThrottleKey;
use crate::auth::{Account, Authentication, Caller, Principal, Role, passwords, providers, sessions, tokens};
use crate::error::{AuthFailure, Error, Violations};
use crate::http::extract::{JsonBody, media_type, read_body};
use crate::http::problem::{ApiError, OtherStandardsError};
use crate::http::{AppState, State};
use crate::partnerships::{self, Partnership};
use crate::users::{self, User, identities};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(issue_token)
        .service(oauth_token)
        .service(list_identity_providers)
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

/// Authenticates the request: a valid access token of this service whose principal is still
/// active with the same role and partnership as when the token was issued, or a trusted
/// identity provider's access token for a person linked to an active account here.
impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Caller, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<State>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| Error::internal("application state is not configured"))?;
            let token = token.ok_or(Error::Unauthenticated(AuthFailure::MissingToken))?;
            let from_provider = providers::unverified_issuer(&token)
                .is_some_and(|issuer| issuer != tokens::ISSUER && state.providers.find(&issuer).is_some());
            if from_provider {
                return Ok(provider_caller(&state, &token).await?);
            }
            let (principal, claims) = state.tokens.verify(&token)?;
            let account = state.db.run(move |conn| super::load(conn, principal)).await?;
            match account {
                Some(a) if a.active && a.role == claims.role && a.partnership_id == claims.partnership_id => {
                    Ok(Caller::from_account(&a))
                }
                _ => Err(Error::Unauthenticated(AuthFailure::InvalidToken).into()),
            }
        })
    }
}

/// The caller a provider's access token signs in: the account linked to that person, which
/// must be active and belong to the organisation the provider signs in for. Roles and
/// partnerships come from the account, never from the token.
async fn provider_caller(state: &State, token: &str) -> Result<Caller, Error> {
    let (trusted, sign_in) = state.providers.verify(token).await?;
    let trusted = trusted.clone();
    let (checked, signed_in) = (trusted.clone(), sign_in.clone());
    let user = state
        .db
        .run(move |conn| identities::account_for(conn, &checked, &signed_in))
        .await?
        .ok_or_else(|| {
            Error::Forbidden(format!(
                "no account here for this sign-in at {}; ask the fund administrator to link it to your account",
                trusted.issuer
            ))
        })?;
    if !user.active {
        return Err(Error::Unauthenticated(AuthFailure::InvalidToken));
    }
    if !trusted.organisation.admits(user.role, user.partnership_id) {
        return Err(Error::Forbidden(format!(
            "{} signs in people of another organisation than your account's; sign in at your own organisation's provider",
            trusted.issuer
        )));
    }
    Ok(Caller {
        principal: Principal::User(user.id),
        role: user.role,
        partnership_id: user.partnership_id,
        authentication: Authentication::Provider(sign_in),
    })
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
    /// Single use: exchange it at `/auth/refresh` for a new pair. Absent for the
    /// `client_credentials` grant, whose client asks again with its credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Seconds until the refresh token expires.
    #[schema(example = 1209600)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_expires_in: Option<u64>,
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

impl TokenResponse {
    /// An access token, and the refresh token that goes with it if there is one.
    fn new(state: &AppState, access_token: String, refresh_token: Option<String>) -> TokenResponse {
        TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: state.tokens.access_ttl().as_secs(),
            refresh_expires_in: refresh_token.as_ref().map(|_| state.config.refresh_token_ttl.as_secs()),
            refresh_token,
        }
    }
}

async fn token_pair(state: &AppState, account: Account) -> Result<TokenResponse, ApiError> {
    let ttl = state.config.refresh_token_ttl;
    let principal = account.principal;
    let refresh_token = state.db.run(move |conn| sessions::start(conn, principal, ttl)).await?;
    Ok(TokenResponse::new(
        state,
        state.tokens.issue(&account)?,
        Some(refresh_token),
    ))
}

/// The OAuth 2.0 token request is a form (`application/x-www-form-urlencoded`), not JSON.
impl FromRequest for TokenForm {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<TokenForm, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let form = media_type(req).as_deref() == Some("application/x-www-form-urlencoded");
        let body = read_body(req, payload);
        Box::pin(async move {
            if !form {
                return Err(ApiError::UnsupportedMediaType(
                    "send the OAuth 2.0 form (Content-Type: application/x-www-form-urlencoded)".into(),
                ));
            }
            Ok(TokenForm::read(&body.await?))
        })
    }
}

/// The OAuth 2.0 token request (RFC 6749 section 4.4 and 6, RFC 7523 section 2.2).
#[derive(Deserialize, ToSchema, Debug, Default)]
pub struct TokenForm {
    /// `client_credentials` or `refresh_token`.
    #[schema(example = "client_credentials")]
    pub grant_type: Option<String>,
    /// With `client_secret_post`, or beside `client_assertion`. With `client_secret_basic` the id
    /// and secret go in the Authorization header instead.
    pub client_id: Option<String>,
    #[schema(format = Password)]
    pub client_secret: Option<String>,
    /// `urn:ietf:params:oauth:client-assertion-type:jwt-bearer` for `private_key_jwt`.
    pub client_assertion_type: Option<String>,
    /// A JWT signed with the client's registered key: `iss` and `sub` its client id, `aud` this
    /// token endpoint's address, `jti` never used before, `exp` within the hour.
    pub client_assertion: Option<String>,
    /// For `grant_type=refresh_token`.
    pub refresh_token: Option<String>,
    /// Accepted and ignored: a client's role and partnership decide what it may do.
    pub scope: Option<String>,
    /// Set when a parameter was sent twice, which RFC 6749 forbids.
    #[serde(skip)]
    #[schema(ignore)]
    repeated: Option<String>,
}

impl TokenForm {
    fn read(body: &[u8]) -> TokenForm {
        let mut seen = std::collections::HashSet::new();
        let repeated = form_urlencoded::parse(body)
            .map(|(name, _)| name.into_owned())
            .find(|name| !seen.insert(name.clone()));
        let mut form: TokenForm = serde_urlencoded::from_bytes(body).unwrap_or_default();
        form.repeated = repeated;
        form
    }
}

/// An OAuth 2.0 error (RFC 6749 section 5.2), answered to requests in the OAuth form.
#[derive(Serialize, ToSchema, Debug)]
pub struct OAuthError {
    /// `invalid_request`, `invalid_client`, `invalid_grant` or `unsupported_grant_type`.
    #[schema(example = "invalid_client")]
    pub error: &'static str,
    pub error_description: String,
}

fn oauth_refusal(error: &'static str, description: impl Into<String>) -> HttpResponse {
    let mut response = if error == "invalid_client" {
        HttpResponse::Unauthorized()
    } else {
        HttpResponse::BadRequest()
    };
    if error == "invalid_client" {
        response.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"cspfund\""));
    }
    let mut response = response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(OAuthError {
            error,
            error_description: description.into(),
        });
    response.extensions_mut().insert(OtherStandardsError);
    response
}

/// An OAuth 2.0 error code and its description, before it is answered.
struct Refusal(&'static str, String);

/// How a client proves itself at the token endpoint.
enum ClientAuthentication {
    /// `client_secret_basic` or `client_secret_post`.
    Secret(ClientLogin),
    /// `private_key_jwt`.
    Assertion {
        client_id: Option<String>,
        assertion: String,
    },
}

/// The client's authentication, from the Authorization header or the form: exactly one method.
fn client_authentication(req: &HttpRequest, form: &TokenForm) -> Result<Option<ClientAuthentication>, Refusal> {
    let basic = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, encoded)| encoded.trim().to_owned());
    let methods = [
        basic.is_some(),
        form.client_secret.is_some(),
        form.client_assertion.is_some(),
    ];
    if methods.iter().filter(|m| **m).count() > 1 {
        return Err(Refusal(
            "invalid_request",
            "use one client authentication method: client_secret_basic, client_secret_post or private_key_jwt".into(),
        ));
    }
    if let Some(encoded) = basic {
        // RFC 6749 section 2.3.1: the id and secret are form-encoded before base64.
        let decoded = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, encoded)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        let Some((id, secret)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
            return Err(Refusal("invalid_client", "the Basic credentials are malformed".into()));
        };
        let unescape = |part: &str| -> String {
            form_urlencoded::parse(format!("v={part}").as_bytes())
                .map(|(_, value)| value.into_owned())
                .next()
                .unwrap_or_default()
        };
        return Ok(Some(ClientAuthentication::Secret(ClientLogin {
            client_id: unescape(id),
            client_secret: unescape(secret),
        })));
    }
    if let Some(client_secret) = &form.client_secret {
        let Some(client_id) = &form.client_id else {
            return Err(Refusal(
                "invalid_request",
                "client_id is required with client_secret".into(),
            ));
        };
        return Ok(Some(ClientAuthentication::Secret(ClientLogin {
            client_id: client_id.clone(),
            client_secret: client_secret.clone(),
        })));
    }
    if let Some(assertion) = &form.client_assertion {
        if form.client_assertion_type.as_deref() != Some(keys::ASSERTION_TYPE) {
            return Err(Refusal(
                "invalid_request",
                format!("client_assertion_type must be {}", keys::ASSERTION_TYPE),
            ));
        }
        return Ok(Some(ClientAuthentication::Assertion {
            client_id: form.client_id.clone(),
            assertion: assertion.clone(),
        }));
    }
    Ok(None)
}

/// Checks credentials under the login throttle: the account they name, or `None` for any failure
/// (which counts towards a lockout). Throttling and overload are errors (429, 503).
async fn authenticate(state: &State, req: &HttpRequest, credentials: Credentials) -> Result<Option<Account>, ApiError> {
    let account_key = super::throttle_key(&credentials);
    let mut keys = vec![account_key.clone()];
    keys.extend(client_address(req, &state.config.trusted_proxies).map(ThrottleKey::Address));
    // Before anything else costs: a storm of logins is refused here at no database work.
    let slot = state.hasher.reserve()?;

    let throttle = state.clone();
    let checked = keys.clone();
    let (credentials, candidate) = state
        .db
        .run(move |conn| {
            throttle.throttle.check(conn, &checked)?;
            let candidate = super::find_candidate(conn, &credentials)?;
            Ok((credentials, candidate))
        })
        .await?;
    let authenticated = state
        .authenticator
        .verify(&state.hasher, slot, &credentials, candidate)
        .await?;
    settle(state, keys, authenticated).await
}

/// Records a login's outcome with the throttle.
async fn settle(state: &State, keys: Vec<ThrottleKey>, outcome: Option<Account>) -> Result<Option<Account>, ApiError> {
    let throttle = state.clone();
    state
        .db
        .run(move |conn| {
            match &outcome {
                Some(_) => throttle.throttle.record_success(conn, &keys[0])?,
                None => throttle.throttle.record_failure(conn, &keys)?,
            }
            Ok(outcome)
        })
        .await
        .map_err(ApiError::from)
}

/// A client assertion (`private_key_jwt`), under the same throttle as a secret.
async fn authenticate_by_assertion(
    state: &State,
    req: &HttpRequest,
    client_id: Option<String>,
    assertion: String,
) -> Result<Option<Account>, ApiError> {
    let named = client_id
        .clone()
        .or_else(|| providers::unverified_issuer(&assertion))
        .unwrap_or_default();
    let mut keys = vec![ThrottleKey::Account(named)];
    keys.extend(client_address(req, &state.config.trusted_proxies).map(ThrottleKey::Address));
    let public_url = &state.config.public_url;
    let endpoint = format!("{public_url}/api/v1/oauth/token");
    let throttle = state.clone();
    let checked = keys.clone();
    let account = state
        .db
        .run(move |conn| {
            throttle.throttle.check(conn, &checked)?;
            keys::verify_assertion(conn, &assertion, client_id.as_deref(), &endpoint)
        })
        .await?;
    settle(state, keys, account).await
}

/// Log in: exchange credentials for an access token and a refresh token.
///
/// A person's e-mail and password, or a partner system's client id and secret. Wrong e-mail,
/// wrong password, unknown client and inactive account all get the same 401. After repeated
/// failures for one account or from one address, attempts are refused with 429 until
/// Retry-After has passed. People who sign in at their organisation's identity provider do not
/// come here: its access token is used directly. Stock OAuth 2.0 libraries use
/// `/oauth/token` instead.
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
    let Some(account) = authenticate(&state, &req, credentials).await? else {
        return Err(Error::Unauthenticated(AuthFailure::InvalidCredentials).into());
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(token_pair(&state, account).await?))
}

/// The OAuth 2.0 token endpoint (RFC 6749), as stock OAuth 2.0 libraries speak it.
///
/// `grant_type=client_credentials`, the client authenticated by `client_secret_basic`,
/// `client_secret_post` or `private_key_jwt` (RFC 7523; its key registered at
/// `PUT /api-clients/{id}/public-key`), answers an access token; `grant_type=refresh_token`
/// answers the next pair. Errors are RFC 6749 section 5.2 JSON (`invalid_request`,
/// `invalid_client`, `invalid_grant`, `unsupported_grant_type`); a lockout after repeated
/// failures is 429 as at `/auth/token`.
#[utoipa::path(tag = "auth", request_body(content((TokenForm = "application/x-www-form-urlencoded"))), responses(
    (status = 200, description = "A token", body = TokenResponse),
    (status = 400, description = "Malformed, or the grant is invalid or not supported (RFC 6749 section 5.2)", content(
        (OAuthError = "application/json"),
        (crate::http::problem::Problem = "application/problem+json"),
    )),
    (status = 401, description = "The client could not be authenticated: `invalid_client`", content(
        (OAuthError = "application/json"),
        (crate::http::problem::Problem = "application/problem+json"),
    )),
    (status = 429, description = "Too many failed attempts"),
))]
#[post("/oauth/token")]
pub async fn oauth_token(state: State, req: HttpRequest, form: TokenForm) -> Result<HttpResponse, ApiError> {
    grant(state, req, form).await
}

/// A grant requested in the OAuth 2.0 form.
async fn grant(state: State, req: HttpRequest, form: TokenForm) -> Result<HttpResponse, ApiError> {
    if let Some(name) = &form.repeated {
        return Ok(oauth_refusal(
            "invalid_request",
            format!("{name} is sent more than once"),
        ));
    }
    let client = match client_authentication(&req, &form) {
        Ok(client) => client,
        Err(Refusal(error, description)) => return Ok(oauth_refusal(error, description)),
    };
    match form.grant_type.as_deref() {
        Some("client_credentials") => {
            let account = match client {
                Some(ClientAuthentication::Secret(login)) => {
                    authenticate(&state, &req, Credentials::ClientSecret(login)).await?
                }
                Some(ClientAuthentication::Assertion { client_id, assertion }) => {
                    authenticate_by_assertion(&state, &req, client_id, assertion).await?
                }
                None => {
                    return Ok(oauth_refusal(
                        "invalid_client",
                        "authenticate the client: client_secret_basic, client_secret_post or private_key_jwt",
                    ));
                }
            };
            let Some(account) = account else {
                return Ok(oauth_refusal("invalid_client", "the client credentials are not valid"));
            };
            // RFC 6749 section 4.4.3: no refresh token; the client asks again with its credentials.
            Ok(HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .json(TokenResponse::new(&state, state.tokens.issue(&account)?, None)))
        }
        Some("refresh_token") => {
            let Some(presented) = form.refresh_token else {
                return Ok(oauth_refusal("invalid_request", "refresh_token is required"));
            };
            match refreshed(&state, presented).await {
                Ok(tokens) => Ok(HttpResponse::Ok()
                    .insert_header((header::CACHE_CONTROL, "no-store"))
                    .json(tokens)),
                Err(ApiError::Domain(Error::Unauthenticated(_))) => Ok(oauth_refusal(
                    "invalid_grant",
                    "the refresh token is invalid, expired, revoked or already used",
                )),
                Err(other) => Err(other),
            }
        }
        Some(other) => Ok(oauth_refusal(
            "unsupported_grant_type",
            format!("{other:?} is not supported here: use client_credentials or refresh_token"),
        )),
        None => Ok(oauth_refusal("invalid_request", "grant_type is required")),
    }
}

/// A refresh token exchanged for the next pair (the same pair again within the grace window).
async fn refreshed(state: &State, presented: String) -> Result<TokenResponse, ApiError> {
    let rotation = sessions::Rotation {
        ttl: state.config.refresh_token_ttl,
        grace: state.config.refresh_grace,
    };
    let keys = state.clone();
    let rotated = state
        .db
        .run(move |conn| sessions::rotate(conn, &keys.config.jwt_secret, &presented, rotation, super::load))
        .await?;
    let access_token =
        state
            .tokens
            .issue_with_refresh(&rotated.account, rotated.access_issued_at, &rotated.refresh_token)?;
    Ok(TokenResponse::new(state, access_token, Some(rotated.refresh_token)))
}

/// Exchange a refresh token for a new access token and refresh token. The presented refresh
/// token is used up: presented again within a few seconds (`CSPFUND_REFRESH_GRACE`, two browser
/// tabs refreshing at once) it gives the same new pair, while that is unused; after that,
/// presenting it again revokes the whole session.
#[utoipa::path(tag = "auth", request_body = RefreshRequest, responses(
    (status = 200, description = "New tokens", body = TokenResponse),
    (status = 401, description = "The refresh token is invalid, expired, revoked or already used"),
))]
#[post("/auth/refresh")]
pub async fn refresh_access_token(state: State, body: JsonBody<RefreshRequest>) -> Result<HttpResponse, ApiError> {
    let tokens = refreshed(&state, body.into_inner().refresh_token).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(tokens))
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

/// A trusted identity provider, as a front end needs it to send people there to sign in.
#[derive(Serialize, ToSchema, Debug)]
#[schema(example = json!({"issuer": "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",
    "audience": "api://cspfund", "organisation": "partnership", "partnership_id": 1, "signing_max_age": 300,
    "mfa_acr_values": []}))]
pub struct IdentityProvider {
    /// The issuer: its discovery document is at `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    /// The audience to ask it for an access token for.
    pub audience: String,
    /// Whose people it signs in: `opcc`, or the people of one `partnership`.
    #[schema(example = "partnership")]
    pub organisation: &'static str,
    /// The partnership, for a council's provider.
    pub partnership_id: Option<i64>,
    /// Seconds a sign-in may be old for a declaration; older, the front end signs the person in
    /// again (`max_age=0`) before submitting, signing or countersigning.
    pub signing_max_age: u64,
    /// The `acr_values` a declaration needs, if the operator asks for them.
    pub mfa_acr_values: Vec<String>,
}

/// The identity providers this service trusts.
///
/// For a front end to offer each organisation its own. Empty when people sign in with passwords kept here. Needs no token.
#[utoipa::path(tag = "auth", responses(
    (status = 200, description = "The trusted identity providers", body = Vec<IdentityProvider>),
))]
#[get("/auth/identity-providers")]
pub async fn list_identity_providers(state: State) -> HttpResponse {
    let listed: Vec<IdentityProvider> = state
        .providers
        .trusted()
        .map(|trusted| {
            let (organisation, partnership_id) = match trusted.organisation {
                providers::Organisation::Opcc => ("opcc", None),
                providers::Organisation::Partnership(id) => ("partnership", Some(id)),
            };
            IdentityProvider {
                issuer: trusted.issuer.clone(),
                audience: trusted.audience.clone(),
                organisation,
                partnership_id,
                signing_max_age: trusted.signing_max_age,
                mfa_acr_values: trusted.mfa_acr_values.clone(),
            }
        })
        .collect();
    HttpResponse::Ok().json(listed)
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
                Some(id) => partnerships::find_unscoped(conn, id)?,
                None => None,
            };
            let (user, api_client) = match caller.principal {
                Principal::User(id) => (users::find_unscoped(conn, id)?, None),
                Principal::ApiClient(id) => (None, api_clients::find_unscoped(conn, id)?),
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

/// The caller's own name and position, as their account holds them, and, for someone signed in
/// at an identity provider, that sign-in.
pub struct Confirmed {
    pub display_name: Option<String>,
    pub job_title: Option<String>,
    pub sign_in: Option<providers::ProviderSignIn>,
}

/// Confirms the caller for a declaration (a submission, a signature, an amendment). Someone
/// signed in at a provider needs a recent (and, where the operator asks, multi-factor) sign-in
/// there, shown by the token, and sends no password; otherwise the RFC 9470 challenge says what
/// sign-in is needed. Everyone else gives their password (an API client: its secret) again.
pub async fn confirm_declarant(
    state: &State,
    caller: &Caller,
    password: Option<String>,
) -> Result<Confirmed, ApiError> {
    let Authentication::Provider(sign_in) = &caller.authentication else {
        let password = password.ok_or_else(|| {
            Error::invalid(
                "password",
                "required",
                "is required: confirm the declaration with your password (an API client: its client secret)",
            )
        })?;
        return confirm_identity(state, caller, password, "password").await;
    };
    if password.is_some() {
        return Err(Error::invalid(
            "password",
            "not_applicable",
            "must be absent: you signed in at your organisation's provider, and a recent sign-in there confirms the \
             declaration",
        )
        .into());
    }
    let trusted = state
        .providers
        .find(&sign_in.issuer)
        .ok_or(Error::Unauthenticated(AuthFailure::InvalidToken))?;
    if let Some(step_up) = trusted.step_up_needed(sign_in, chrono::Utc::now().timestamp()) {
        return Err(Error::StepUpRequired(step_up).into());
    }
    let Principal::User(id) = caller.principal else {
        return Err(Error::internal("a provider's sign-in is always a person's").into());
    };
    let user = state
        .db
        .run(move |conn| users::find_unscoped(conn, id)?.ok_or(Error::NotFound("user")))
        .await?;
    Ok(Confirmed {
        display_name: Some(user.display_name),
        job_title: Some(user.job_title),
        sign_in: Some(sign_in.clone()),
    })
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
    let slot = state.hasher.reserve()?;
    let principal = caller.principal;
    let throttle = state.clone();
    // The same count as the account's logins (its e-mail, a client's id): one lockout per
    // account, however the guesses arrive.
    let (hash, confirmed, key) = state
        .db
        .run(move |conn| {
            let (hash, confirmed, key) = match principal {
                Principal::User(id) => {
                    let user = users::find_unscoped(conn, id)?.ok_or(Error::NotFound("user"))?;
                    (
                        user.password_hash,
                        Confirmed {
                            display_name: Some(user.display_name),
                            job_title: Some(user.job_title),
                            sign_in: None,
                        },
                        ThrottleKey::Account(users::normalise_email(&user.email)),
                    )
                }
                Principal::ApiClient(id) => {
                    let client = api_clients::find_unscoped(conn, id)?.ok_or(Error::NotFound("API client"))?;
                    (
                        client.secret_hash,
                        Confirmed {
                            display_name: None,
                            job_title: None,
                            sign_in: None,
                        },
                        ThrottleKey::Account(client.client_id),
                    )
                }
            };
            throttle.throttle.check(conn, std::slice::from_ref(&key))?;
            Ok((hash, confirmed, key))
        })
        .await?;
    let matches = state.hasher.verify(slot, secret, hash).await?;
    if !matches {
        let throttle = state.clone();
        state
            .db
            .run(move |conn| throttle.throttle.record_failure(conn, &[key]))
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
