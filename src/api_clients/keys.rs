//! A partner system's public key, for `private_key_jwt` (RFC 7523): the system signs a short-lived
//! assertion with its private key to obtain a token, so no secret of this service sits on its
//! servers. Registering a key retires the client's secret: from then on it signs in with the key
//! alone.

use chrono::DateTime;
use diesel::prelude::*;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk};
use jsonwebtoken::{DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

use super::{ApiClient, find_by_client_id, find_unscoped, record};
use crate::auth::providers::{ALLOWED_ALGORITHMS, CLOCK_LEEWAY_SECS, algorithm_name};
use crate::auth::{Account, Caller, Principal, sessions};
use crate::canonical;
use crate::db::{DbConnection, write_transaction};
use crate::error::{Error, FieldError};
use crate::history::{self, Action};
use crate::schema::{api_clients, client_assertions};
use crate::timestamps;

/// The assertion type RFC 7523 names for a client authenticating with a signed JWT.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The longest an assertion may live: it is made for one request, but stock libraries give it
/// an hour (Authlib does), and its id is kept until it expires.
const MAX_ASSERTION_LIFETIME_SECS: i64 = 3_600;

/// What the admin, or the client itself, sends to register a key.
#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"public_key": {"kty": "OKP", "crv": "Ed25519", "kid": "plymouth-2026-12",
    "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}))]
pub struct PublicKeyInput {
    /// A public JWK (RSA, EC P-256/P-384 or Ed25519), without any private part.
    #[schema(value_type = PublicJwk)]
    pub public_key: Value,
}

/// A public JSON Web Key (RFC 7517) as the API describes it: its type and the members of the
/// kinds accepted; other members are allowed, as JSON Schema allows them unless told otherwise.
/// A type for the API document only; keys are read and checked as JSON.
pub enum PublicJwk {}

/// The members of a public key the API names, each text when present, and what each is.
const NAMED_MEMBERS: [(&str, &str); 9] = [
    ("kty", "Key type: `RSA`, `EC` or `OKP` (Ed25519)."),
    ("crv", "Curve of an EC or OKP key: `P-256`, `P-384` or `Ed25519`."),
    ("x", "Public x coordinate (EC) or public key (OKP), base64url."),
    ("y", "Public y coordinate of an EC key, base64url."),
    ("n", "Modulus of an RSA key, base64url."),
    ("e", "Exponent of an RSA key, base64url."),
    ("alg", "The algorithm the key is for, e.g. `RS256`, `ES256`, `EdDSA`."),
    ("use", "`sig` when given."),
    ("kid", "Key id."),
];

impl PartialSchema for PublicJwk {
    fn schema() -> RefOr<Schema> {
        let described = ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some("A public JSON Web Key (RFC 7517)."));
        NAMED_MEMBERS
            .iter()
            .fold(described, |key, (name, description)| {
                let member = ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some(*description));
                key.property(*name, member)
            })
            .required("kty")
            .into()
    }
}

impl ToSchema for PublicJwk {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("PublicJwk")
    }
}

/// Checks a key and gives it as stored: canonical JSON of the public JWK.
fn checked(key: &Value) -> Result<String, Error> {
    let refuse = |rule: &str, message: &str| Error::invalid("public_key", rule, message);
    let Value::Object(fields) = key else {
        return Err(refuse("type", "must be a JWK object"));
    };
    // Private parts of RSA, EC and OKP keys, and a symmetric key's value.
    if ["d", "p", "q", "dp", "dq", "qi", "oth", "k"]
        .iter()
        .any(|private| fields.contains_key(*private))
    {
        return Err(refuse(
            "public_only",
            "holds a private or secret part; send the public key only, and keep the private key on your own servers",
        ));
    }
    // As the API document describes them (RFC 7517 writes each as a string): a `null` or an
    // object there would be stored and shown as sent, though no reader of keys expects it.
    let mistyped: Vec<FieldError> = NAMED_MEMBERS
        .iter()
        .filter(|(name, _)| fields.get(*name).is_some_and(|value| !value.is_string()))
        .map(|(name, _)| FieldError::new(format!("public_key.{name}"), "type", "must be text"))
        .collect();
    if !mistyped.is_empty() {
        return Err(Error::Invalid(mistyped));
    }
    let jwk: Jwk = serde_json::from_value(key.clone()).map_err(|_| refuse("jwk", "is not a JWK this service reads"))?;
    if matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_)) {
        return Err(refuse("asymmetric", "must be an RSA, EC or Ed25519 public key"));
    }
    if let Some(declared) = &jwk.common.key_algorithm
        && !ALLOWED_ALGORITHMS
            .iter()
            .any(|allowed| algorithm_name(allowed) == algorithm_name(declared))
    {
        return Err(refuse(
            "algorithm",
            "names an algorithm this service does not accept for signatures",
        ));
    }
    DecodingKey::from_jwk(&jwk).map_err(|_| refuse("jwk", "is not a usable public key"))?;
    Ok(canonical::canonical_json(key))
}

/// Registers (or replaces) a client's public key: the admin's call, or the client's own. The
/// client's sessions end, as they do when a secret is rotated.
pub fn register(conn: &mut DbConnection, caller: &Caller, id: i64, input: &PublicKeyInput) -> Result<ApiClient, Error> {
    may_manage(caller, id)?;
    let key = checked(&input.public_key)?;
    set(conn, caller, id, Some(&key))
}

/// Removes a client's public key (admin): it then needs a new secret to sign in.
pub fn remove(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<ApiClient, Error> {
    caller.require_admin()?;
    set(conn, caller, id, None)
}

fn may_manage(caller: &Caller, id: i64) -> Result<(), Error> {
    if caller.principal == Principal::ApiClient(id) {
        return Ok(());
    }
    caller.require_admin()
}

fn set(conn: &mut DbConnection, caller: &Caller, id: i64, key: Option<&str>) -> Result<ApiClient, Error> {
    write_transaction(conn, |conn| {
        let current = find_unscoped(conn, id)?.ok_or(Error::NotFound("API client"))?;
        let client: ApiClient = diesel::update(api_clients::table.find(id))
            .set((
                api_clients::version.eq(api_clients::version + 1),
                api_clients::public_key.eq(key),
                api_clients::updated_at.eq(timestamps::now()),
            ))
            .returning(crate::db::columns_of::<ApiClient>())
            .get_result(conn)?;
        sessions::revoke_all(conn, Principal::ApiClient(id))?;
        history::record_change(conn, caller, record(&client), Action::Edited, Some(&current), &client)?;
        Ok(client)
    })
}

#[derive(Deserialize)]
struct AssertionClaims {
    jti: String,
    exp: i64,
}

/// The account a client assertion signs in: signed with the client's registered key, by the
/// client (`iss` and `sub` its client id), for this service's token endpoint (`aud`), short-lived,
/// and never seen before. `None` for anything else, which the caller answers as one failure.
pub fn verify_assertion(
    conn: &mut DbConnection,
    assertion: &str,
    client_id: Option<&str>,
    token_endpoint: &str,
) -> Result<Option<Account>, Error> {
    let Ok(header) = jsonwebtoken::decode_header(assertion) else {
        return Ok(None);
    };
    if !ALLOWED_ALGORITHMS.contains(&header.alg) {
        return Ok(None);
    }
    let Some(claimed) = crate::auth::providers::unverified_issuer(assertion) else {
        return Ok(None);
    };
    if client_id.is_some_and(|given| given != claimed) {
        return Ok(None);
    }
    let Some(client) = find_by_client_id(conn, &claimed)? else {
        return Ok(None);
    };
    let Some(jwk) = client
        .public_key
        .as_deref()
        .and_then(|k| serde_json::from_str::<Jwk>(k).ok())
    else {
        return Ok(None);
    };
    if jwk
        .common
        .key_algorithm
        .is_some_and(|declared| algorithm_name(&declared) != algorithm_name(&header.alg))
    {
        return Ok(None);
    }
    let Ok(key) = DecodingKey::from_jwk(&jwk) else {
        return Ok(None);
    };
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[&client.client_id]);
    validation.sub = Some(client.client_id.clone());
    validation.set_audience(&[token_endpoint]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.validate_nbf = true;
    validation.leeway = CLOCK_LEEWAY_SECS;
    let Ok(data) = jsonwebtoken::decode::<AssertionClaims>(assertion, &key, &validation) else {
        return Ok(None);
    };
    let now = chrono::Utc::now().timestamp();
    let claims = data.claims;
    if claims.exp - now > MAX_ASSERTION_LIFETIME_SECS || claims.jti.is_empty() || claims.jti.len() > 255 {
        return Ok(None);
    }
    let Some(expires_at) = DateTime::from_timestamp(claims.exp, 0).map(|at| at.naive_utc()) else {
        return Ok(None);
    };
    let first_use = write_transaction(conn, |conn| -> Result<bool, Error> {
        diesel::delete(
            client_assertions::table
                .filter(client_assertions::api_client_id.eq(client.id))
                .filter(client_assertions::expires_at.lt(chrono::Utc::now().naive_utc())),
        )
        .execute(conn)?;
        let seen = client_assertions::table
            .filter(client_assertions::api_client_id.eq(client.id))
            .filter(client_assertions::jti.eq(&claims.jti))
            .count()
            .get_result::<i64>(conn)?;
        if seen > 0 {
            return Ok(false);
        }
        diesel::insert_into(client_assertions::table)
            .values((
                client_assertions::api_client_id.eq(client.id),
                client_assertions::jti.eq(&claims.jti),
                client_assertions::expires_at.eq(expires_at),
            ))
            .execute(conn)?;
        Ok(true)
    })?;
    Ok((first_use && client.active).then_some(Account {
        principal: Principal::ApiClient(client.id),
        role: client.role,
        partnership_id: client.partnership_id,
        active: client.active,
    }))
}
