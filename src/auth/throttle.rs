//! Slows down password guessing: after too many failed logins for one account, or from one
//! address, further attempts are refused (429 with Retry-After) until the window has passed.
//!
//! Counts live in memory, per instance: a restart forgives, and several instances each allow the
//! limit. That bounds guessing to a handful of tries per window per instance, which with 12+
//! character passwords is what matters.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::Error;

/// Entries kept before expired ones are swept.
const SWEEP_THRESHOLD: usize = 10_000;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ThrottleKey {
    /// A login name (e-mail, lower-cased) or API client id.
    Account(String),
    Address(IpAddr),
}

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub per_account: u32,
    pub per_address: u32,
    pub window: Duration,
}

struct Failures {
    count: u32,
    since: Instant,
}

pub struct LoginThrottle {
    limits: Limits,
    failures: Mutex<HashMap<ThrottleKey, Failures>>,
}

impl LoginThrottle {
    pub fn new(limits: Limits) -> Self {
        LoginThrottle {
            limits,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn limit(&self, key: &ThrottleKey) -> u32 {
        match key {
            ThrottleKey::Account(_) => self.limits.per_account,
            ThrottleKey::Address(_) => self.limits.per_address,
        }
    }

    fn with_failures<T>(&self, f: impl FnOnce(&mut HashMap<ThrottleKey, Failures>) -> T) -> T {
        // A poisoned lock only means another thread panicked mid-update of plain counters.
        let mut failures = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut failures)
    }

    /// Refuses when any key has used up its failures in the current window.
    pub fn check(&self, keys: &[ThrottleKey]) -> Result<(), Error> {
        let now = Instant::now();
        let window = self.limits.window;
        let wait = self.with_failures(|failures| {
            keys.iter()
                .filter_map(|key| {
                    let entry = failures.get(key)?;
                    let elapsed = now.duration_since(entry.since);
                    (elapsed < window && entry.count >= self.limit(key)).then(|| window - elapsed)
                })
                .max()
        });
        match wait {
            Some(wait) => Err(Error::Throttled {
                retry_after_secs: wait.as_secs().max(1),
            }),
            None => Ok(()),
        }
    }

    pub fn record_failure(&self, keys: &[ThrottleKey]) {
        let now = Instant::now();
        let window = self.limits.window;
        self.with_failures(|failures| {
            if failures.len() > SWEEP_THRESHOLD {
                failures.retain(|_, f| now.duration_since(f.since) < window);
            }
            for key in keys {
                let entry = failures.entry(key.clone()).or_insert(Failures { count: 0, since: now });
                if now.duration_since(entry.since) >= window {
                    *entry = Failures { count: 0, since: now };
                }
                entry.count += 1;
            }
        });
    }

    /// A successful login clears the account's count (not the address's).
    pub fn record_success(&self, account: &ThrottleKey) {
        self.with_failures(|failures| failures.remove(account));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle() -> LoginThrottle {
        LoginThrottle::new(Limits {
            per_account: 3,
            per_address: 5,
            window: Duration::from_secs(600),
        })
    }

    #[test]
    fn account_is_refused_after_its_limit() {
        let t = throttle();
        let keys = [ThrottleKey::Account("a@x".into())];
        for _ in 0..3 {
            assert!(t.check(&keys).is_ok());
            t.record_failure(&keys);
        }
        assert!(matches!(t.check(&keys), Err(Error::Throttled { retry_after_secs }) if retry_after_secs > 590));
        assert!(t.check(&[ThrottleKey::Account("b@x".into())]).is_ok());
    }

    #[test]
    fn success_clears_the_account() {
        let t = throttle();
        let account = ThrottleKey::Account("a@x".into());
        t.record_failure(std::slice::from_ref(&account));
        t.record_failure(std::slice::from_ref(&account));
        t.record_success(&account);
        t.record_failure(std::slice::from_ref(&account));
        t.record_failure(std::slice::from_ref(&account));
        assert!(t.check(&[account]).is_ok());
    }

    #[test]
    fn address_limit_spans_accounts() {
        let t = throttle();
        let addr = ThrottleKey::Address(IpAddr::from([10, 0, 0, 1]));
        for i in 0..5 {
            t.record_failure(&[ThrottleKey::Account(format!("u{i}@x")), addr.clone()]);
        }
        assert!(t.check(&[ThrottleKey::Account("new@x".into()), addr]).is_err());
    }
}
