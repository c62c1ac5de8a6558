//! Password and client-secret hashing with Argon2id.
//!
//! Parameters are OWASP's recommendation for Argon2id (m = 19 MiB, t = 2, p = 1), which is what
//! `Params::DEFAULT` holds; the PHC string stores them, so a future change keeps old hashes valid.
//! Each hash needs its 19 MiB of working memory: a [`Workspace`] holds it and is reused, so the
//! service's memory stays bounded by the number of workspaces (see `auth::hashing`).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use crate::error::{Error, Violations};

pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 256;

/// The working memory of one Argon2 computation, kept between computations.
#[derive(Default)]
pub struct Workspace {
    memory: Vec<Block>,
}

impl Workspace {
    fn blocks(&mut self, params: &Params) -> &mut [Block] {
        let needed = params.block_count();
        if self.memory.len() < needed {
            self.memory.resize(needed, Block::new());
        }
        &mut self.memory[..needed]
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) for `secret`, with a fresh salt.
    pub fn hash(&mut self, secret: &str) -> Result<String, Error> {
        let failed = |e: &dyn std::fmt::Display| Error::internal(format!("hashing failed: {e}"));
        let params = Params::DEFAULT;
        let salt = SaltString::generate(&mut OsRng);
        let mut salt_bytes = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(|e| failed(&e))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let memory = self.blocks(&params);
        let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
            argon2
                .hash_password_into_with_memory(secret.as_bytes(), salt_bytes, out, &mut *memory)
                .map_err(|_| argon2::password_hash::Error::Crypto)
        })
        .map_err(|e| failed(&e))?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: (&params).try_into().map_err(|e| failed(&e))?,
            salt: Some(salt.as_salt()),
            hash: Some(output),
        };
        Ok(phc.to_string())
    }

    /// True when `secret` matches `stored`; a malformed stored hash never matches.
    pub fn verify(&mut self, secret: &str, stored: &str) -> bool {
        self.recompute(secret, stored).unwrap_or(false)
    }

    fn recompute(&mut self, secret: &str, stored: &str) -> Option<bool> {
        let parsed = PasswordHash::new(stored).ok()?;
        let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
        let version = parsed
            .version
            .map(Version::try_from)
            .transpose()
            .ok()?
            .unwrap_or_default();
        let params = Params::try_from(&parsed).ok()?;
        let expected = parsed.hash?;
        let mut salt_bytes = [0u8; 64];
        let salt_bytes = parsed.salt?.decode_b64(&mut salt_bytes).ok()?;
        let argon2 = Argon2::new(algorithm, version, params.clone());
        let memory = self.blocks(&params);
        let computed = Output::init_with(expected.len(), |out| {
            argon2
                .hash_password_into_with_memory(secret.as_bytes(), salt_bytes, out, &mut *memory)
                .map_err(|_| argon2::password_hash::Error::Crypto)
        })
        .ok()?;
        // `Output`'s equality is constant-time.
        Some(computed == expected)
    }
}

/// Hashes once, outside the service's hashing threads (command line, start-up).
pub fn hash(secret: &str) -> Result<String, Error> {
    Workspace::default().hash(secret)
}

/// Verifies once, outside the service's hashing threads.
pub fn verify(secret: &str, stored: &str) -> bool {
    Workspace::default().verify(secret, stored)
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
    use argon2::PasswordHasher;
    use argon2::password_hash::PasswordVerifier;

    use super::*;

    #[test]
    fn hashes_verify_only_their_secret() {
        let mut workspace = Workspace::default();
        let stored = workspace.hash("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(workspace.verify("correct horse battery", &stored));
        assert!(!workspace.verify("correct horse battery!", &stored));
        assert!(!workspace.verify("anything", "not a hash"));
    }

    #[test]
    fn hashes_agree_with_the_reference_implementation() {
        let reference = Argon2::default();
        let salt = SaltString::generate(&mut OsRng);
        let theirs = reference.hash_password(b"a shared secret", &salt).unwrap().to_string();
        assert!(verify("a shared secret", &theirs));
        let ours = hash("a shared secret").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(reference.verify_password(b"a shared secret", &parsed).is_ok());
        assert!(reference.verify_password(b"another secret", &parsed).is_err());
    }

    #[test]
    fn policy_bounds_length() {
        let mut v = Violations::new();
        check_policy(&mut v, "password", "short");
        check_policy(&mut v, "password", "long enough password");
        assert!(matches!(v.finish(), Err(Error::Invalid(errs)) if errs.len() == 1 && errs[0].rule == "min_length"));
    }
}
