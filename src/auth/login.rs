//! Checking credentials: a user's e-mail and password, or an API client's id and secret.
//!
//! Every attempt runs exactly one Argon2 verification, against a decoy hash when the account does
//! not exist, so a wrong e-mail and a wrong password take the same time and get the same answer.

use utoipa::ToSchema;

use super::hashing::{SecretHasher, Slot};
use super::{Account, passwords, tokens};
use crate::error::Error;

pub enum Credentials {
    Password(PasswordLogin),
    ClientSecret(ClientLogin),
}

/// A person logs in with their e-mail and password.
#[derive(Debug, ToSchema)]
#[schema(example = json!({"email": "manager@safer-plymouth.example", "password": "correct horse battery staple"}))]
pub struct PasswordLogin {
    pub email: String,
    #[schema(format = Password)]
    pub password: String,
}

/// A partner system logs in with its API client's id and secret.
#[derive(Debug, ToSchema)]
pub struct ClientLogin {
    pub client_id: String,
    #[schema(format = Password)]
    pub client_secret: String,
}

impl Credentials {
    /// The secret presented: a password or a client secret.
    fn secret(&self) -> &str {
        match self {
            Credentials::Password(PasswordLogin { password, .. }) => password,
            Credentials::ClientSecret(ClientLogin { client_secret, .. }) => client_secret,
        }
    }
}

/// The account the credentials name and its stored hash, if it exists.
pub struct Candidate {
    account: Account,
    secret_hash: String,
}

impl Candidate {
    pub fn new(account: Account, secret_hash: String) -> Candidate {
        Candidate { account, secret_hash }
    }
}

pub struct Authenticator {
    decoy_hash: String,
}

impl Authenticator {
    pub fn new() -> Result<Authenticator, Error> {
        Ok(Authenticator {
            decoy_hash: passwords::hash(&tokens::random_secret())?,
        })
    }

    /// The authenticated account, or `None` for a wrong secret, an unknown or an inactive account.
    pub async fn verify(
        &self,
        hasher: &SecretHasher,
        slot: Slot,
        credentials: &Credentials,
        candidate: Option<Candidate>,
    ) -> Result<Option<Account>, Error> {
        let secret = credentials.secret().to_owned();
        Ok(match candidate {
            Some(Candidate { account, secret_hash }) => {
                let matches = hasher.verify(slot, secret, secret_hash).await?;
                (matches && account.active).then_some(account)
            }
            None => {
                hasher.verify(slot, secret, self.decoy_hash.clone()).await?;
                None
            }
        })
    }
}
