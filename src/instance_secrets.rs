//! The secrets every instance of one database must share: the access-token secret and the
//! service's signing key. A secret generated into one instance's data directory serves that
//! instance alone; a second instance generating its own would issue tokens the first refuses and
//! sign checkpoints with another key. So the database keeps a fingerprint of each (never the
//! secret), and an instance whose generated secret differs from it refuses to start.

use diesel::RunQueryDsl;
use diesel::sql_types::Text;
use sha2::{Digest, Sha256};

use crate::config::{Config, SecretOrigin};
use crate::db::{DbConnection, write_transaction};
use crate::error::Error;

/// One shared secret, as this instance holds it.
struct Held {
    name: &'static str,
    fingerprint: String,
    origin: SecretOrigin,
    /// What the operator sets to give every instance the same one, and how to make it.
    remedy: &'static str,
}

#[derive(diesel::QueryableByName)]
struct Stored {
    #[diesel(sql_type = Text)]
    fingerprint: String,
}

/// Records the fingerprints of secrets given by the operator (they are authoritative) and of
/// generated ones where none is recorded; answers which settings are missing when a generated
/// secret differs from the one the database already knows.
pub fn agree(conn: &mut DbConnection, config: &Config) -> Result<Vec<&'static str>, Error> {
    let held = [
        Held {
            name: "access_token_secret",
            fingerprint: hex::encode(Sha256::digest(
                [b"cspfund access-token secret\n".as_slice(), &config.jwt_secret].concat(),
            )),
            origin: config.jwt_secret_origin,
            remedy: "CSPFUND_JWT_SECRET (make one with: openssl rand -base64 48)",
        },
        Held {
            name: "signing_key",
            fingerprint: config.service_key.key_id(),
            origin: config.service_key_origin,
            remedy: "CSPFUND_SIGNING_KEY (make one with: openssl genpkey -algorithm ed25519)",
        },
    ];
    write_transaction(conn, |conn| {
        let mut missing = Vec::new();
        for secret in &held {
            let statement = match secret.origin {
                SecretOrigin::Given => {
                    "INSERT INTO instance_secrets (name, fingerprint) VALUES ($1, $2) \
                     ON CONFLICT (name) DO UPDATE SET fingerprint = excluded.fingerprint"
                }
                SecretOrigin::Generated => {
                    "INSERT INTO instance_secrets (name, fingerprint) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING"
                }
            };
            diesel::sql_query(statement)
                .bind::<Text, _>(secret.name)
                .bind::<Text, _>(&secret.fingerprint)
                .execute(conn)?;
            let stored: Stored = diesel::sql_query("SELECT fingerprint FROM instance_secrets WHERE name = $1")
                .bind::<Text, _>(secret.name)
                .get_result(conn)?;
            if stored.fingerprint != secret.fingerprint {
                missing.push(secret.remedy);
            }
        }
        Ok(missing)
    })
}

/// The refusal an operator reads when generated secrets cannot serve.
pub fn refusal(missing: &[&str]) -> String {
    format!(
        "this database is already used by an instance with other secrets (generated in another data \
         directory, or given before); instances sharing a database must hold the same ones. Set on every \
         instance: {}",
        missing.join("; ")
    )
}
