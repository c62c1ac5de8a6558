//! Trusted identity providers: the organisations' own OpenID Connect issuers (the OPCC's tenant,
//! each council's), whose access tokens this service accepts as a resource server.
//!
//! Each issuer is configured with the audience it issues for this service and the one
//! organisation whose people it may sign in. Its discovery document and signing keys (JWKS) are
//! fetched when first needed and kept; a token signed with a key not yet seen makes one refetch,
//! at most once per refetch interval, so a key rotation at the provider needs no restart and a
//! stranger's tokens with made-up key ids cannot make the service hammer the provider.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Role;
pub use crate::config::identity_providers::{Organisation, TrustedIssuer};
use crate::error::{AuthFailure, Error, StepUp};

/// Clock difference tolerated between a provider and this service, in seconds, on `exp`, `nbf`
/// and `iat`.
pub const CLOCK_LEEWAY_SECS: u64 = 60;

/// How long fetched keys are used before they are fetched again on the next token.
const KEYS_MAX_AGE: Duration = Duration::from_secs(3_600);

/// Discovery documents and key sets are small; a provider answering more is not believed.
const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// The signature algorithms accepted: asymmetric only, so never `none` and never an HMAC keyed
/// with a provider's public key.
pub const ALLOWED_ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

impl Organisation {
    /// Whether an account with this role and partnership belongs to the organisation.
    pub fn admits(self, role: Role, partnership_id: Option<i64>) -> bool {
        match self {
            Organisation::Opcc => !role.is_partnership_role(),
            Organisation::Partnership(id) => role.is_partnership_role() && partnership_id == Some(id),
        }
    }
}

impl TrustedIssuer {
    fn requires_mfa(&self) -> bool {
        !self.mfa_acr_values.is_empty() || !self.mfa_amr_values.is_empty()
    }

    fn shows_mfa(&self, sign_in: &ProviderSignIn) -> bool {
        sign_in
            .acr
            .as_ref()
            .is_some_and(|acr| self.mfa_acr_values.contains(acr))
            || sign_in.amr.iter().any(|method| self.mfa_amr_values.contains(method))
    }

    /// Why a sign-in is not enough for a declaration, as the RFC 9470 challenge says it.
    pub fn step_up_needed(&self, sign_in: &ProviderSignIn, now: i64) -> Option<StepUp> {
        let max_age = i64::try_from(self.signing_max_age).unwrap_or(i64::MAX);
        let stale = match sign_in.auth_time {
            Some(at) => now.saturating_sub(at) > max_age,
            None => true,
        };
        let weak = self.requires_mfa() && !self.shows_mfa(sign_in);
        if !stale && !weak {
            return None;
        }
        let reason = match (stale, weak) {
            (true, true) => "a declaration needs a recent multi-factor sign-in",
            (true, false) => "a declaration needs a recent sign-in",
            _ => "a declaration needs a multi-factor sign-in",
        };
        Some(StepUp {
            max_age: stale.then_some(self.signing_max_age),
            acr_values: if weak { self.mfa_acr_values.clone() } else { Vec::new() },
            detail: format!(
                "{reason} at {}: send the person back to sign in{} and present the new access token",
                self.issuer,
                if stale { " again (max_age=0)" } else { "" }
            ),
        })
    }
}

/// What a provider's access token says of the person's sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProviderSignIn {
    /// The provider that signed the person in.
    pub issuer: String,
    /// The person at that provider (for Microsoft Entra ID, the object id).
    pub subject: String,
    /// When the person last authenticated there (seconds since 1970).
    pub auth_time: Option<i64>,
    /// The authentication context class the provider reports.
    pub acr: Option<String>,
    /// The authentication methods the provider reports (`pwd`, `mfa`, `otp`, ...).
    pub amr: Vec<String>,
    /// A verified e-mail address, when the token carries one.
    #[serde(skip)]
    pub verified_email: Option<String>,
}

#[derive(Deserialize)]
struct AccessTokenClaims {
    iss: String,
    sub: String,
    iat: i64,
    #[serde(default)]
    auth_time: Option<i64>,
    #[serde(default)]
    acr: Option<String>,
    #[serde(default)]
    amr: Option<Vec<String>>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    email_verified: Option<bool>,
}

/// The keys last fetched from one issuer.
#[derive(Default)]
struct KeyCache {
    jwks_uri: Option<String>,
    keys: HashMap<String, Jwk>,
    fetched_at: Option<Instant>,
}

struct Provider {
    trusted: TrustedIssuer,
    cache: tokio::sync::Mutex<KeyCache>,
}

/// The trusted issuers and their keys.
pub struct Providers {
    providers: Vec<Provider>,
    client: reqwest::Client,
    refetch_interval: Duration,
}

/// The `iss` of a token, read before its signature is checked, only to choose which keys check
/// it.
pub fn unverified_issuer(token: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Issuer {
        iss: String,
    }
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    serde_json::from_slice::<Issuer>(&bytes).ok().map(|i| i.iss)
}

impl Providers {
    pub fn new(trusted: Vec<TrustedIssuer>, refetch_interval: Duration) -> Result<Providers, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot prepare the HTTP client for identity providers: {e}"))?;
        Ok(Providers {
            providers: trusted
                .into_iter()
                .map(|trusted| Provider {
                    trusted,
                    cache: tokio::sync::Mutex::new(KeyCache::default()),
                })
                .collect(),
            client,
            refetch_interval,
        })
    }

    pub fn trusted(&self) -> impl Iterator<Item = &TrustedIssuer> {
        self.providers.iter().map(|p| &p.trusted)
    }

    pub fn find(&self, issuer: &str) -> Option<&TrustedIssuer> {
        self.trusted().find(|t| t.issuer == issuer)
    }

    /// Checks a provider's access token in full: an allowed asymmetric algorithm, a key the
    /// issuer publishes, the `typ` it sets, `iss`, `aud`, `exp`, `nbf` and `iat`.
    pub async fn verify(&self, token: &str) -> Result<(&TrustedIssuer, ProviderSignIn), Error> {
        let invalid = || Error::Unauthenticated(AuthFailure::InvalidToken);
        let issuer = unverified_issuer(token).ok_or_else(invalid)?;
        let provider = self
            .providers
            .iter()
            .find(|p| p.trusted.issuer == issuer)
            .ok_or_else(invalid)?;
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid())?;
        if !ALLOWED_ALGORITHMS.contains(&header.alg) {
            return Err(invalid());
        }
        if let Some(expected) = &provider.trusted.token_type {
            let typ = header.typ.as_deref().unwrap_or("");
            let typ = typ.strip_prefix("application/").unwrap_or(typ);
            if !typ.eq_ignore_ascii_case(expected) {
                return Err(invalid());
            }
        }
        let jwk = self.key(provider, header.kid.as_deref()).await?.ok_or_else(invalid)?;
        if jwk
            .common
            .key_algorithm
            .is_some_and(|declared| algorithm_name(&declared) != algorithm_name(&header.alg))
        {
            return Err(invalid());
        }
        let key = DecodingKey::from_jwk(&jwk).map_err(|_| invalid())?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&provider.trusted.issuer]);
        validation.set_audience(&[&provider.trusted.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = CLOCK_LEEWAY_SECS;
        let claims = jsonwebtoken::decode::<AccessTokenClaims>(token, &key, &validation)
            .map_err(|_| invalid())?
            .claims;
        if issued_in_the_future(claims.iat, chrono::Utc::now().timestamp()) || claims.sub.is_empty() {
            return Err(invalid());
        }
        Ok((
            &provider.trusted,
            ProviderSignIn {
                issuer: claims.iss,
                subject: claims.sub,
                auth_time: claims.auth_time,
                acr: claims.acr,
                amr: claims.amr.unwrap_or_default(),
                verified_email: claims.email.filter(|_| claims.email_verified == Some(true)),
            },
        ))
    }

    /// The issuer's key `kid` (or its only key, for a token naming none): from the cache, or
    /// fetched when the cache is old or lacks it and the last fetch is at least the refetch
    /// interval ago.
    async fn key(&self, provider: &Provider, kid: Option<&str>) -> Result<Option<Jwk>, Error> {
        let mut cache = provider.cache.lock().await;
        let fresh = cache.fetched_at.is_some_and(|at| at.elapsed() < KEYS_MAX_AGE);
        if fresh && let Some(jwk) = pick(&cache.keys, kid) {
            return Ok(Some(jwk));
        }
        let may_fetch = cache.fetched_at.is_none_or(|at| at.elapsed() >= self.refetch_interval);
        if may_fetch {
            crate::metrics::provider_key_fetch();
            cache.fetched_at = Some(Instant::now());
            match self.fetch_keys(&provider.trusted, &mut cache).await {
                Ok(keys) => cache.keys = keys,
                Err(problem) => {
                    tracing::warn!(issuer = %provider.trusted.issuer, "cannot fetch the identity provider's keys: {problem}");
                    if cache.keys.is_empty() {
                        return Err(Error::ProviderUnreachable(provider.trusted.issuer.clone()));
                    }
                }
            }
        }
        Ok(pick(&cache.keys, kid))
    }

    async fn fetch_keys(&self, trusted: &TrustedIssuer, cache: &mut KeyCache) -> Result<HashMap<String, Jwk>, String> {
        let jwks_uri = match &cache.jwks_uri {
            Some(uri) => uri.clone(),
            None => {
                #[derive(Deserialize)]
                struct Discovery {
                    issuer: String,
                    jwks_uri: String,
                }
                let address = format!(
                    "{}/.well-known/openid-configuration",
                    trusted.issuer.trim_end_matches('/')
                );
                let discovery: Discovery = serde_json::from_slice(&self.get(&address).await?)
                    .map_err(|e| format!("{address}: not a discovery document: {e}"))?;
                if discovery.issuer != trusted.issuer {
                    return Err(format!(
                        "{address} names the issuer {}, not {}",
                        discovery.issuer, trusted.issuer
                    ));
                }
                cache.jwks_uri = Some(discovery.jwks_uri.clone());
                discovery.jwks_uri
            }
        };
        #[derive(Deserialize)]
        struct KeySet {
            keys: Vec<serde_json::Value>,
        }
        let set: KeySet = serde_json::from_slice(&self.get(&jwks_uri).await?)
            .map_err(|e| format!("{jwks_uri}: not a key set: {e}"))?;
        // Keys of kinds this service cannot use (encryption keys, unknown curves) are passed
        // over, not fatal: the provider may publish them for other relying parties.
        Ok(set
            .keys
            .into_iter()
            .filter(|key| key.get("use").is_none_or(|u| u == "sig"))
            .filter_map(|key| serde_json::from_value::<Jwk>(key).ok())
            .map(|jwk| (jwk.common.key_id.clone().unwrap_or_default(), jwk))
            .collect())
    }

    async fn get(&self, address: &str) -> Result<Vec<u8>, String> {
        let mut response = self
            .client
            .get(address)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| format!("{address}: {e}"))?;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| format!("{address}: {e}"))? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_DOCUMENT_BYTES {
                return Err(format!("{address}: answered more than {MAX_DOCUMENT_BYTES} bytes"));
            }
        }
        Ok(body)
    }
}

/// Whether a token says it was issued later than now, beyond the clock difference tolerated.
fn issued_in_the_future(iat: i64, now: i64) -> bool {
    iat > now.saturating_add(i64::try_from(CLOCK_LEEWAY_SECS).unwrap_or(0))
}

fn pick(keys: &HashMap<String, Jwk>, kid: Option<&str>) -> Option<Jwk> {
    match kid {
        Some(kid) => keys.get(kid).cloned(),
        None if keys.len() == 1 => keys.values().next().cloned(),
        None => None,
    }
}

pub fn algorithm_name<T: Serialize>(algorithm: &T) -> Option<String> {
    serde_json::to_value(algorithm)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trusted(organisation: Organisation) -> TrustedIssuer {
        TrustedIssuer {
            issuer: "https://login.plymouth.example".into(),
            audience: "cspfund".into(),
            organisation,
            link_by_email: false,
            signing_max_age: 300,
            mfa_acr_values: Vec::new(),
            mfa_amr_values: Vec::new(),
            token_type: Some("at+jwt".into()),
        }
    }

    fn sign_in(auth_time: Option<i64>, amr: &[&str]) -> ProviderSignIn {
        ProviderSignIn {
            issuer: "https://login.plymouth.example".into(),
            subject: "officer".into(),
            auth_time,
            acr: None,
            amr: amr.iter().map(|m| (*m).to_owned()).collect(),
            verified_email: None,
        }
    }

    #[test]
    fn an_issuer_signs_in_only_its_own_organisation() {
        let plymouth = Organisation::Partnership(3);
        assert!(plymouth.admits(Role::CspManager, Some(3)));
        assert!(plymouth.admits(Role::Treasurer, Some(3)));
        assert!(!plymouth.admits(Role::CspManager, Some(4)));
        assert!(!plymouth.admits(Role::Admin, None));
        assert!(Organisation::Opcc.admits(Role::OpccReviewer, None));
        assert!(!Organisation::Opcc.admits(Role::CspManager, Some(3)));
    }

    #[test]
    fn a_declaration_needs_a_recent_sign_in_and_multi_factor_where_asked() {
        let now = 1_800_000_000;
        let issuer = trusted(Organisation::Partnership(3));
        assert_eq!(issuer.step_up_needed(&sign_in(Some(now - 300), &[]), now), None);
        let stale = issuer.step_up_needed(&sign_in(Some(now - 301), &[]), now).unwrap();
        assert_eq!(stale.max_age, Some(300));
        assert!(stale.acr_values.is_empty());
        assert!(
            stale.detail.starts_with("a declaration needs a recent sign-in at "),
            "{}",
            stale.detail
        );
        assert!(issuer.step_up_needed(&sign_in(None, &[]), now).is_some());

        let strict = TrustedIssuer {
            mfa_acr_values: vec!["urn:council:mfa".into()],
            mfa_amr_values: vec!["mfa".into()],
            ..issuer
        };
        let weak = strict.step_up_needed(&sign_in(Some(now), &["pwd"]), now).unwrap();
        assert_eq!(weak.max_age, None);
        assert_eq!(weak.acr_values, vec!["urn:council:mfa".to_owned()]);
        assert!(
            weak.detail
                .starts_with("a declaration needs a multi-factor sign-in at "),
            "{}",
            weak.detail
        );
        let both = strict.step_up_needed(&sign_in(Some(now - 301), &["pwd"]), now).unwrap();
        assert_eq!(both.max_age, Some(300));
        assert!(
            both.detail
                .starts_with("a declaration needs a recent multi-factor sign-in at "),
            "{}",
            both.detail
        );
        assert_eq!(strict.step_up_needed(&sign_in(Some(now), &["pwd", "mfa"]), now), None);
        let mut by_acr = sign_in(Some(now), &[]);
        by_acr.acr = Some("urn:council:mfa".into());
        assert_eq!(strict.step_up_needed(&by_acr, now), None);

        // Either list alone asks for multi-factor.
        let only_amr = TrustedIssuer {
            mfa_acr_values: Vec::new(),
            ..strict.clone()
        };
        assert!(only_amr.step_up_needed(&sign_in(Some(now), &["pwd"]), now).is_some());
        assert_eq!(only_amr.step_up_needed(&sign_in(Some(now), &["mfa"]), now), None);
        let only_acr = TrustedIssuer {
            mfa_amr_values: Vec::new(),
            ..strict
        };
        assert!(only_acr.step_up_needed(&sign_in(Some(now), &["mfa"]), now).is_some());
        assert_eq!(only_acr.step_up_needed(&by_acr, now), None);
    }

    #[test]
    fn a_token_may_be_issued_up_to_the_leeway_ahead_of_this_clock() {
        let now = 1_800_000_000;
        assert!(!issued_in_the_future(now + 60, now));
        assert!(issued_in_the_future(now + 61, now));
        assert!(!issued_in_the_future(now - 3_600, now));
    }

    #[test]
    fn the_issuer_is_read_before_the_signature_only_to_choose_keys() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"iss":"https://login.plymouth.example","sub":"x"}"#);
        assert_eq!(
            unverified_issuer(&format!("e30.{payload}.c2ln")).as_deref(),
            Some("https://login.plymouth.example")
        );
        assert_eq!(unverified_issuer("not a token"), None);
    }
}
