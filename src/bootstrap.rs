//! The first admin: without one nobody can create partnerships or users.

use crate::auth::{Role, passwords};
use crate::config::BootstrapAdmin;
use crate::db::{DbConnection, write_transaction};
use crate::error::Error;
use crate::users::{self, NewUser, User};

pub const ADMIN_DISPLAY_NAME: &str = "OPCC administrator";
pub const ADMIN_JOB_TITLE: &str = "System administrator";

/// Creates an admin account; fails on a bad e-mail, a weak password or an e-mail in use.
pub fn create_admin(conn: &mut DbConnection, email: &str, display_name: &str, password: &str) -> Result<User, Error> {
    let new = NewUser {
        email: email.to_owned(),
        display_name: display_name.to_owned(),
        job_title: ADMIN_JOB_TITLE.to_owned(),
        role: Role::Admin,
        partnership_id: None,
        password: Some(password.to_owned()),
    };
    users::validate_new(&new)?;
    let hash = passwords::hash(password)?;
    write_transaction(conn, |conn| users::insert(conn, &new, &hash))
}

/// Creates the configured admin at start-up, only when no active admin exists yet. Without a
/// configured password one is generated and printed this once, so that no default password
/// ever opens a new deployment.
pub fn ensure_admin(conn: &mut DbConnection, admin: &BootstrapAdmin) -> Result<Option<User>, Error> {
    if users::any_active_admin(conn)? {
        return Ok(None);
    }
    let generated = admin.password.is_none().then(crate::auth::tokens::random_secret);
    let password = admin.password.as_deref().or(generated.as_deref()).unwrap_or_default();
    let created = create_admin(conn, &admin.email, ADMIN_DISPLAY_NAME, password)?;
    tracing::info!(email = %created.email, "created the first admin from CSPFUND_ADMIN_EMAIL");
    if let Some(password) = generated {
        // Standard error rather than the log, which may be shipped elsewhere.
        eprintln!(
            "cspfund: the first admin is {} with the generated password {password}\n\
             cspfund: it is shown only this once; sign in and change it (POST /api/v1/me/password)",
            created.email
        );
    }
    Ok(Some(created))
}
