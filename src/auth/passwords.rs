//! Password and client-secret hashing with Argon2id.
//!
//! Parameters are OWASP's recommendation for Argon2id (m = 19 MiB, t = 2, p = 1), which is what
//! `Params::DEFAULT` holds; the PHC string stores them, so a future change keeps old hashes valid.
//! Hashing costs tens of milliseconds: callers run it on the blocking pool, never the event loop.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{Error, Violations};

pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 256;

fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::DEFAULT)
}

pub fn hash(secret: &str) -> Result<String, Error> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::internal(format!("hashing failed: {e}")))
}

/// True when `secret` matches `stored`; a malformed stored hash never matches.
pub fn verify(secret: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| hasher().verify_password(secret.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// The password rules: long enough to resist guessing, bounded so hashing stays cheap.
pub fn check_policy(violations: &mut Violations, field: &str, password: &str) {
    let chars = password.chars().count();
    violations.check(
        chars >= MIN_PASSWORD_CHARS,
        field,
        "min_length",
        format!("must be at least {MIN_PASSWORD_CHARS} characters"),
    );
    violations.check(
        chars <= MAX_PASSWORD_CHARS,
        field,
        "max_length",
        format!("must be at most {MAX_PASSWORD_CHARS} characters"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_secret() {
        let stored = hash("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("correct horse battery!", &stored));
        assert!(!verify("anything", "not a hash"));
    }

    #[test]
    fn policy_bounds_length() {
        let mut v = Violations::new();
        check_policy(&mut v, "password", "short");
        check_policy(&mut v, "password", "long enough password");
        assert!(matches!(v.finish(), Err(Error::Invalid(errs)) if errs.len() == 1 && errs[0].rule == "min_length"));
    }
}
