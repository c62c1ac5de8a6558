//! The service's Ed25519 key. It signs the history's checkpoints and attests every document
//! signature, so that anyone holding the published public key can check them with standard
//! tools, without trusting the database: someone who can write to the database but does not
//! hold this key cannot forge either.

use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// The key pair; cheap to clone.
#[derive(Clone)]
pub struct ServiceKey {
    signing: Arc<SigningKey>,
}

/// The public half, as published at `GET /api/v1/signing-key`.
#[derive(Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[schema(example = json!({"algorithm": "Ed25519", "key_id": "5f0c6d1e2a3b4c5d",
    "public_key": "0tqDQBYRm0rOsDvBF3wLxe2ZPOb29zYxkTsrc2hqfXk=",
    "public_key_pem": "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA0tqDQBYRm0rOsDvBF3wLxe2ZPOb29zYxkTsrc2hqfXk=\n-----END PUBLIC KEY-----\n"}))]
pub struct PublicKey {
    /// Always `Ed25519`.
    pub algorithm: String,
    /// The first 16 hex digits of the SHA-256 of the raw public key; checkpoints and
    /// attestations name the key that made them.
    pub key_id: String,
    /// The raw 32-byte public key, base64.
    pub public_key: String,
    /// The same key as a PEM SubjectPublicKeyInfo, as `openssl pkeyutl -verify -pubin` reads it.
    pub public_key_pem: String,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("not an Ed25519 private key in PKCS#8 PEM (generate one with: openssl genpkey -algorithm ed25519)")]
    Unreadable,
    #[error("cannot encode the key: {0}")]
    Encode(String),
}

impl ServiceKey {
    pub fn generate() -> ServiceKey {
        ServiceKey {
            signing: Arc::new(SigningKey::generate(&mut rand::rngs::OsRng)),
        }
    }

    /// Reads a PKCS#8 PEM private key, as `openssl genpkey -algorithm ed25519` writes it, or
    /// just the base64 line between its markers (easier to pass in one environment variable).
    pub fn from_pem(pem: &str) -> Result<ServiceKey, KeyError> {
        let pem = pem.trim();
        let key = if pem.starts_with("-----") {
            SigningKey::from_pkcs8_pem(pem).map_err(|_| KeyError::Unreadable)?
        } else {
            // The base64 line alone is the key's DER.
            let base64: String = pem.chars().filter(|c| !c.is_whitespace()).collect();
            let der = BASE64.decode(base64).map_err(|_| KeyError::Unreadable)?;
            SigningKey::from_pkcs8_der(&der).map_err(|_| KeyError::Unreadable)?
        };
        Ok(ServiceKey { signing: Arc::new(key) })
    }

    pub fn to_pem(&self) -> Result<String, KeyError> {
        self.signing
            .to_pkcs8_pem(LineEnding::LF)
            .map(|pem| pem.to_string())
            .map_err(|e| KeyError::Encode(e.to_string()))
    }

    /// Reads the key from a file.
    pub fn read(path: &Path) -> std::io::Result<Result<ServiceKey, KeyError>> {
        std::fs::read_to_string(path).map(|pem| ServiceKey::from_pem(&pem))
    }

    pub fn key_id(&self) -> String {
        key_id(&self.signing.verifying_key())
    }

    /// Signs `message`; the signature in base64.
    pub fn sign(&self, message: &str) -> String {
        BASE64.encode(self.signing.sign(message.as_bytes()).to_bytes())
    }

    /// Whether `signature` (base64) is this key's signature of `message`.
    pub fn verifies(&self, message: &str, signature: &str) -> bool {
        let Ok(bytes) = BASE64.decode(signature) else {
            return false;
        };
        let Ok(signature) = Signature::from_slice(&bytes) else {
            return false;
        };
        self.signing
            .verifying_key()
            .verify(message.as_bytes(), &signature)
            .is_ok()
    }

    pub fn public(&self) -> Result<PublicKey, KeyError> {
        let verifying = self.signing.verifying_key();
        Ok(PublicKey {
            algorithm: "Ed25519".into(),
            key_id: key_id(&verifying),
            public_key: BASE64.encode(verifying.as_bytes()),
            public_key_pem: verifying
                .to_public_key_pem(LineEnding::LF)
                .map_err(|e| KeyError::Encode(e.to_string()))?,
        })
    }
}

fn key_id(key: &VerifyingKey) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..8])
}

impl std::fmt::Debug for ServiceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceKey").field("key_id", &self.key_id()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_message_and_survives_a_pem_round_trip() {
        let key = ServiceKey::generate();
        let signature = key.sign("entry 60");
        assert!(key.verifies("entry 60", &signature));
        assert!(!key.verifies("entry 61", &signature));
        let pem = key.to_pem().expect("a PEM");
        let again = ServiceKey::from_pem(&pem).expect("the PEM reads back");
        assert_eq!(again.key_id(), key.key_id());
        assert!(again.verifies("entry 60", &signature));
        assert!(!ServiceKey::generate().verifies("entry 60", &signature));
        assert!(ServiceKey::from_pem("not a key").is_err());
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        assert_eq!(
            ServiceKey::from_pem(&body).expect("the base64 alone reads").key_id(),
            key.key_id()
        );
    }
}
