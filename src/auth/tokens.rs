//! Access tokens (short-lived JWTs) and refresh-token secrets.
//!
//! JWTs are HS256 with the algorithm pinned on verification, and carry issuer, audience, expiry,
//! subject, role and partnership. They only say who the caller was at issue: each request still
//! checks that the principal is active and holds the same role and partnership.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Account, Principal, Role};
use crate::error::{AuthFailure, Error};

pub const ISSUER: &str = "cspfund";
pub const AUDIENCE: &str = "cspfund-api";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partnership_id: Option<i64>,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

/// Signs and verifies access tokens with the service's secret.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    access_ttl: Duration,
}

impl TokenKeys {
    pub fn new(secret: &[u8], access_ttl: Duration) -> TokenKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Issuer and verifier share a clock (or nearly: instances behind one load balancer).
        validation.leeway = 5;
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl,
        }
    }

    pub fn access_ttl(&self) -> Duration {
        self.access_ttl
    }

    pub fn issue(&self, account: &Account) -> Result<String, Error> {
        self.issue_at(
            account,
            chrono::Utc::now().timestamp(),
            uuid::Uuid::new_v4().to_string(),
        )
    }

    /// The access token issued with a refresh token: the same bytes each time it is asked for
    /// with the same refresh token, issue time and account.
    pub fn issue_with_refresh(&self, account: &Account, issued_at: i64, refresh_token: &str) -> Result<String, Error> {
        self.issue_at(account, issued_at, digest(refresh_token)[..32].to_owned())
    }

    fn issue_at(&self, account: &Account, now: i64, jti: String) -> Result<String, Error> {
        let claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: account.principal.subject(),
            role: account.role,
            partnership_id: account.partnership_id,
            iat: now,
            exp: now + i64::try_from(self.access_ttl.as_secs()).unwrap_or(i64::MAX / 2),
            jti,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| Error::internal(format!("signing an access token failed: {e}")))
    }

    /// The token's principal and claims, if the signature, algorithm, issuer, audience and
    /// expiry all check out.
    pub fn verify(&self, token: &str) -> Result<(Principal, Claims), Error> {
        let invalid = Error::Unauthenticated(AuthFailure::InvalidToken);
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| Error::Unauthenticated(AuthFailure::InvalidToken))?;
        let principal = Principal::from_subject(&data.claims.sub).ok_or(invalid)?;
        Ok((principal, data.claims))
    }
}

pub use crate::secrets::random_secret;

/// Refresh tokens are stored only as this digest; they are random, so a fast hash suffices.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> Account {
        Account {
            principal: Principal::User(5),
            role: Role::CspManager,
            partnership_id: Some(2),
            active: true,
        }
    }

    #[test]
    fn issued_tokens_verify_with_their_claims() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(60));
        let token = keys.issue(&account()).unwrap();
        let (principal, claims) = keys.verify(&token).unwrap();
        assert_eq!(principal, Principal::User(5));
        assert_eq!(claims.role, Role::CspManager);
        assert_eq!(claims.partnership_id, Some(2));
        assert_eq!(claims.exp - claims.iat, 60);
    }

    #[test]
    fn tokens_of_another_key_or_algorithm_are_refused() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(60));
        let other = TokenKeys::new(b"fedcba9876543210fedcba9876543210", Duration::from_secs(60));
        let token = other.issue(&account()).unwrap();
        assert!(keys.verify(&token).is_err());
        // The same claims signed with HS512 and the right key: refused, the algorithm is pinned.
        let (_, claims) = other.verify(&token).unwrap();
        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &claims,
            &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
        )
        .unwrap();
        assert!(keys.verify(&hs512).is_err());
    }

    #[test]
    fn secrets_are_random_and_digests_stable() {
        assert_ne!(random_secret(), random_secret());
        assert_eq!(random_secret().len(), 43);
        assert_eq!(digest("a"), digest("a"));
        assert_eq!(digest("a").len(), 64);
    }
}
