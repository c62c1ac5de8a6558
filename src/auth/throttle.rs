//! Slows down password guessing: after too many failed logins for one account, or from one
//! address, further attempts are refused (429 with Retry-After) until the window has passed.
//!
//! Counts are kept in the database, so every instance of the service counts the same failures
//! and a restart forgives nothing. Expired counts are swept as new failures are recorded.

use std::net::IpAddr;
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};

use crate::db::DbConnection;
use crate::error::Error;
use crate::schema::login_failures;
use crate::timestamps;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ThrottleKey {
    /// A login name (e-mail, lower-cased) or API client id.
    Account(String),
    Address(IpAddr),
}

impl ThrottleKey {
    /// How the key is stored.
    fn stored(&self) -> String {
        match self {
            ThrottleKey::Account(name) => format!("account:{name}"),
            ThrottleKey::Address(address) => format!("address:{address}"),
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub per_account: u32,
    pub per_address: u32,
    pub window: Duration,
}

pub struct LoginThrottle {
    limits: Limits,
}

impl LoginThrottle {
    pub fn new(limits: Limits) -> Self {
        LoginThrottle { limits }
    }

    fn limit(&self, key: &ThrottleKey) -> u32 {
        match key {
            ThrottleKey::Account(_) => self.limits.per_account,
            ThrottleKey::Address(_) => self.limits.per_address,
        }
    }

    fn window(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.limits.window).unwrap_or(chrono::Duration::days(1))
    }

    /// Refuses when any key has used up its failures in the current window.
    pub fn check(&self, conn: &mut DbConnection, keys: &[ThrottleKey]) -> Result<(), Error> {
        let stored: Vec<String> = keys.iter().map(ThrottleKey::stored).collect();
        let counts: Vec<(String, i32, NaiveDateTime)> = login_failures::table
            .filter(login_failures::key.eq_any(&stored))
            .select((
                login_failures::key,
                login_failures::failures,
                login_failures::window_started_at,
            ))
            .load(conn)?;
        let now = timestamps::now();
        let wait = keys
            .iter()
            .filter_map(|key| {
                let (_, failures, since) = counts.iter().find(|(k, _, _)| *k == key.stored())?;
                let ends = *since + self.window();
                let used_up = u32::try_from(*failures).unwrap_or(0) >= self.limit(key);
                (ends > now && used_up).then(|| (ends - now).num_seconds())
            })
            .max();
        match wait {
            Some(wait) => {
                crate::metrics::login_locked_out();
                Err(Error::Throttled {
                    retry_after_secs: u64::try_from(wait).unwrap_or(1).max(1),
                })
            }
            None => Ok(()),
        }
    }

    /// Counts a failure against each key: the first in a window starts it.
    pub fn record_failure(&self, conn: &mut DbConnection, keys: &[ThrottleKey]) -> Result<(), Error> {
        crate::metrics::login_failed();
        let now = timestamps::now();
        let window_start = now - self.window();
        // Not `write_transaction`: a failed login is not the work an Idempotency-Key stands for.
        // Its first statement writes, so SQLite takes the write lock at once.
        conn.transaction(|conn| {
            diesel::delete(login_failures::table.filter(login_failures::window_started_at.le(window_start)))
                .execute(conn)?;
            for key in keys {
                diesel::sql_query(
                    "INSERT INTO login_failures (key, failures, window_started_at) VALUES ($1, 1, $2) \
                     ON CONFLICT (key) DO UPDATE SET failures = login_failures.failures + 1",
                )
                .bind::<Text, _>(key.stored())
                .bind::<Timestamp, _>(now)
                .execute(conn)?;
            }
            Ok::<_, diesel::result::Error>(())
        })?;
        Ok(())
    }

    /// A successful login clears the account's count (not the address's).
    pub fn record_success(&self, conn: &mut DbConnection, account: &ThrottleKey) -> Result<(), Error> {
        diesel::delete(login_failures::table.filter(login_failures::key.eq(account.stored()))).execute(conn)?;
        Ok(())
    }
}
