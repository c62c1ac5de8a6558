//! Accounts as sign-in meets them: the people and partner systems behind a token or a login.
//! Above `users` and `api_clients`, which keep the accounts, and above `auth`, which says what
//! a caller may do; this is where a token's principal becomes an account, credentials find the
//! account they name, and the sign-in endpoints live.

pub mod http;

use crate::api_clients::{self, ApiClient};
use crate::auth::login::{Candidate, ClientLogin, Credentials, PasswordLogin};
use crate::auth::throttle::ThrottleKey;
use crate::auth::{Account, Principal};
use crate::db::DbConnection;
use crate::error::Error;
use crate::users::{self, User};

/// The principal's current role, partnership and active flag: read afresh for every request, so
/// a deactivated or moved account stops acting at once.
pub fn load(conn: &mut DbConnection, principal: Principal) -> Result<Option<Account>, Error> {
    Ok(match principal {
        Principal::User(id) => users::find_unscoped(conn, id)?.as_ref().map(of_user),
        Principal::ApiClient(id) => api_clients::find_unscoped(conn, id)?.as_ref().map(of_client),
    })
}

/// The account the credentials name and its stored hash, if it exists.
pub fn find_candidate(conn: &mut DbConnection, credentials: &Credentials) -> Result<Option<Candidate>, Error> {
    Ok(match credentials {
        Credentials::Password(PasswordLogin { email, .. }) => {
            users::find_by_email(conn, email)?.map(|u| Candidate::new(of_user(&u), u.password_hash))
        }
        // A client that registered a public key signs in with it alone: its old secret is retired.
        Credentials::ClientSecret(ClientLogin { client_id, .. }) => api_clients::find_by_client_id(conn, client_id)?
            .filter(|c| c.public_key.is_none())
            .map(|c| Candidate::new(of_client(&c), c.secret_hash)),
    })
}

fn of_user(user: &User) -> Account {
    Account {
        principal: Principal::User(user.id),
        role: user.role,
        partnership_id: user.partnership_id,
        active: user.active,
    }
}

fn of_client(client: &ApiClient) -> Account {
    Account {
        principal: Principal::ApiClient(client.id),
        role: client.role,
        partnership_id: client.partnership_id,
        active: client.active,
    }
}

/// What failed logins are counted under: the account the credentials name.
pub fn throttle_key(credentials: &Credentials) -> ThrottleKey {
    match credentials {
        Credentials::Password(PasswordLogin { email, .. }) => ThrottleKey::Account(users::normalise_email(email)),
        Credentials::ClientSecret(ClientLogin { client_id, .. }) => ThrottleKey::Account(client_id.clone()),
    }
}
