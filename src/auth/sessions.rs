//! Refresh tokens: the long-lived half of a login, stored only as digests.
//!
//! Each login starts a family; every refresh uses up the presented token and issues the next one
//! of the same family. Presenting a used token again means it leaked (or a client replayed it),
//! so the whole family is revoked; except within a short grace window after its use, while its
//! successor is still unused, where it gives that same successor again: two browser tabs that
//! refresh at the same moment both carry on. Logout revokes the family too.
//!
//! A successor is derived from the token it replaces with the service's secret (HMAC-SHA256), so
//! it can be given again without being stored anywhere but as a digest.

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
    access_issued_at: Option<i64>,
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

fn insert(
    conn: &mut DbConnection,
    principal: Principal,
    family: &str,
    secret: String,
    access_issued_at: Option<i64>,
    ttl: Duration,
) -> Result<String, Error> {
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
            refresh_tokens::access_issued_at.eq(access_issued_at),
        ))
        .execute(conn)?;
    Ok(secret)
}

/// Starts a new session family for a successful login; returns the refresh token.
pub fn start(conn: &mut DbConnection, principal: Principal, ttl: Duration) -> Result<String, Error> {
    insert(
        conn,
        principal,
        &uuid::Uuid::new_v4().to_string(),
        tokens::random_secret(),
        None,
        ttl,
    )
}

/// The refresh token that replaces `presented`: the same every time it is asked for.
fn successor(key: &[u8], presented: &str) -> Result<String, Error> {
    use base64::Engine;
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).map_err(Error::internal)?;
    mac.update(b"cspfund refresh token successor\n");
    mac.update(presented.as_bytes());
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

/// A session carried on: the account, its new refresh token, and when (Unix seconds) the access
/// token that goes with it is issued, the same for every answer within the grace window.
pub struct Rotated {
    pub account: Account,
    pub refresh_token: String,
    pub access_issued_at: i64,
}

/// How rotation treats a refresh token presented again soon after its use.
#[derive(Clone, Copy, Debug)]
pub struct Rotation {
    pub ttl: Duration,
    pub grace: Duration,
}

enum Outcome {
    Rotated(Rotated),
    Refused,
}

/// How a token's principal is read as an account (`accounts::load`): the sessions sit below the
/// accounts they belong to.
pub type AccountLoader = fn(&mut DbConnection, Principal) -> Result<Option<Account>, Error>;

/// Uses up `presented` and issues its successor, for an account that is still active.
pub fn rotate(
    conn: &mut DbConnection,
    key: &[u8],
    presented: &str,
    rotation: Rotation,
    load: AccountLoader,
) -> Result<Rotated, Error> {
    let ttl = rotation.ttl;
    let hash = tokens::digest(presented);
    // Refusals that revoke a family must still commit, so they are values here, not errors.
    let next = successor(key, presented)?;
    let outcome = write_transaction(conn, |conn| -> Result<Outcome, Error> {
        let Some(row) = refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(&hash))
            .select(RefreshToken::as_select())
            .first(conn)
            .optional()?
        else {
            return Ok(Outcome::Refused);
        };
        let now = timestamps::now();
        if let (Some(used_at), None) = (row.used_at, row.revoked_at)
            && !rotation.grace.is_zero()
            && now - used_at <= ttl_delta(rotation.grace)
            && let Some(again) = given_again(conn, &row, &next, load)?
        {
            return Ok(Outcome::Rotated(again));
        }
        if row.revoked_at.is_some() || row.used_at.is_some() {
            revoke_family(conn, &row.family)?;
            return Ok(Outcome::Refused);
        }
        if row.expires_at <= now {
            return Ok(Outcome::Refused);
        }
        let account = match row.principal() {
            Some(principal) => load(conn, principal)?,
            None => None,
        };
        let Some(account) = account.filter(|a| a.active) else {
            revoke_family(conn, &row.family)?;
            return Ok(Outcome::Refused);
        };
        // Only one of two concurrent refreshes with the same token may use it up.
        let used = diesel::update(refresh_tokens::table)
            .filter(refresh_tokens::id.eq(row.id))
            .filter(refresh_tokens::used_at.is_null())
            .filter(refresh_tokens::revoked_at.is_null())
            .set(refresh_tokens::used_at.eq(now))
            .execute(conn)?;
        if used != 1 {
            // Another refresh with the same token committed first: the same successor, if in time.
            return Ok(match given_again(conn, &row, &next, load)? {
                Some(again) => Outcome::Rotated(again),
                None => Outcome::Refused,
            });
        }
        let access_issued_at = chrono::Utc::now().timestamp();
        let refresh_token = insert(
            conn,
            account.principal,
            &row.family,
            next.clone(),
            Some(access_issued_at),
            ttl,
        )?;
        Ok(Outcome::Rotated(Rotated {
            account,
            refresh_token,
            access_issued_at,
        }))
    })?;
    match outcome {
        Outcome::Rotated(rotated) => Ok(rotated),
        Outcome::Refused => Err(Error::Unauthenticated(AuthFailure::InvalidRefreshToken)),
    }
}

/// Within the grace window: the successor already issued for a used token, while it is itself
/// unused and its account still active.
fn given_again(
    conn: &mut DbConnection,
    used: &RefreshToken,
    next: &str,
    load: AccountLoader,
) -> Result<Option<Rotated>, Error> {
    let successor = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(tokens::digest(next)))
        .filter(refresh_tokens::family.eq(&used.family))
        .select(RefreshToken::as_select())
        .first(conn)
        .optional()?;
    let Some(successor) = successor.filter(|s| s.used_at.is_none() && s.revoked_at.is_none()) else {
        return Ok(None);
    };
    let account = match used.principal() {
        Some(principal) => load(conn, principal)?,
        None => None,
    };
    Ok(match (account.filter(|a| a.active), successor.access_issued_at) {
        (Some(account), Some(access_issued_at)) => Some(Rotated {
            account,
            refresh_token: next.to_owned(),
            access_issued_at,
        }),
        _ => None,
    })
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
