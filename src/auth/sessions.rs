//! Refresh tokens: the long-lived half of a login, stored only as digests.
//!
//! Each login starts a family; every refresh uses up the presented token and issues the next one
//! of the same family. Presenting a used token again means it leaked (or a client replayed it),
//! so the whole family is revoked. Logout revokes the family too.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Account, Principal, tokens};
use crate::db::{DbConnection, write_transaction};
use crate::error::{AuthFailure, Error};
use crate::schema::refresh_tokens;
use crate::timestamps;

#[derive(Queryable, Selectable, Debug)]
#[diesel(table_name = refresh_tokens, check_for_backend(crate::db::MultiBackend))]
struct RefreshToken {
    id: i64,
    family: String,
    user_id: Option<i64>,
    api_client_id: Option<i64>,
    expires_at: NaiveDateTime,
    used_at: Option<NaiveDateTime>,
    revoked_at: Option<NaiveDateTime>,
}

impl RefreshToken {
    fn principal(&self) -> Option<Principal> {
        match (self.user_id, self.api_client_id) {
            (Some(id), None) => Some(Principal::User(id)),
            (None, Some(id)) => Some(Principal::ApiClient(id)),
            _ => None,
        }
    }
}

fn ttl_delta(ttl: Duration) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(ttl).unwrap_or(chrono::TimeDelta::MAX)
}

fn insert(conn: &mut DbConnection, principal: Principal, family: &str, ttl: Duration) -> Result<String, Error> {
    let secret = tokens::random_secret();
    let now = timestamps::now();
    let (user_id, api_client_id) = match principal {
        Principal::User(id) => (Some(id), None),
        Principal::ApiClient(id) => (None, Some(id)),
    };
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::token_hash.eq(tokens::digest(&secret)),
            refresh_tokens::family.eq(family),
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::api_client_id.eq(api_client_id),
            refresh_tokens::issued_at.eq(now),
            refresh_tokens::expires_at.eq(now + ttl_delta(ttl)),
        ))
        .execute(conn)?;
    Ok(secret)
}

/// Starts a new session family for a successful login; returns the refresh token.
pub fn start(conn: &mut DbConnection, principal: Principal, ttl: Duration) -> Result<String, Error> {
    insert(conn, principal, &uuid::Uuid::new_v4().to_string(), ttl)
}

enum Rotation {
    Rotated(Account, String),
    Refused,
}

/// Uses up `presented` and issues its successor, for an account that is still active.
pub fn rotate(conn: &mut DbConnection, presented: &str, ttl: Duration) -> Result<(Account, String), Error> {
    let hash = tokens::digest(presented);
    // Refusals that revoke a family must still commit, so they are values here, not errors.
    let rotation = write_transaction(conn, |conn| -> Result<Rotation, Error> {
        let Some(row) = refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(&hash))
            .select(RefreshToken::as_select())
            .first(conn)
            .optional()?
        else {
            return Ok(Rotation::Refused);
        };
        let now = timestamps::now();
        if row.revoked_at.is_some() || row.used_at.is_some() {
            revoke_family(conn, &row.family)?;
            return Ok(Rotation::Refused);
        }
        if row.expires_at <= now {
            return Ok(Rotation::Refused);
        }
        let account = match row.principal() {
            Some(principal) => Account::load(conn, principal)?,
            None => None,
        };
        let Some(account) = account.filter(|a| a.active) else {
            revoke_family(conn, &row.family)?;
            return Ok(Rotation::Refused);
        };
        // Only one of two concurrent refreshes with the same token may use it up.
        let used = diesel::update(refresh_tokens::table)
            .filter(refresh_tokens::id.eq(row.id))
            .filter(refresh_tokens::used_at.is_null())
            .filter(refresh_tokens::revoked_at.is_null())
            .set(refresh_tokens::used_at.eq(now))
            .execute(conn)?;
        if used != 1 {
            return Ok(Rotation::Refused);
        }
        let next = insert(conn, account.principal, &row.family, ttl)?;
        Ok(Rotation::Rotated(account, next))
    })?;
    match rotation {
        Rotation::Rotated(account, next) => Ok((account, next)),
        Rotation::Refused => Err(Error::Unauthenticated(AuthFailure::InvalidRefreshToken)),
    }
}

/// Logout: revokes the session the token belongs to. Unknown tokens are ignored, so logging out
/// twice is harmless.
pub fn end(conn: &mut DbConnection, presented: &str) -> Result<(), Error> {
    let hash = tokens::digest(presented);
    write_transaction(conn, |conn| {
        let family = refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(&hash))
            .select(refresh_tokens::family)
            .first::<String>(conn)
            .optional()?;
        if let Some(family) = family {
            revoke_family(conn, &family)?;
        }
        Ok(())
    })
}

fn revoke_family(conn: &mut DbConnection, family: &str) -> Result<(), Error> {
    diesel::update(refresh_tokens::table)
        .filter(refresh_tokens::family.eq(family))
        .filter(refresh_tokens::revoked_at.is_null())
        .set(refresh_tokens::revoked_at.eq(timestamps::now()))
        .execute(conn)?;
    Ok(())
}

/// Ends every session of a principal: on deactivation, password change or secret rotation.
pub fn revoke_all(conn: &mut DbConnection, principal: Principal) -> Result<(), Error> {
    let now = timestamps::now();
    let open = refresh_tokens::revoked_at.is_null();
    match principal {
        Principal::User(id) => diesel::update(refresh_tokens::table)
            .filter(refresh_tokens::user_id.eq(id).and(open))
            .set(refresh_tokens::revoked_at.eq(now))
            .execute(conn)?,
        Principal::ApiClient(id) => diesel::update(refresh_tokens::table)
            .filter(refresh_tokens::api_client_id.eq(id).and(open))
            .set(refresh_tokens::revoked_at.eq(now))
            .execute(conn)?,
    };
    Ok(())
}
