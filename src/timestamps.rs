//! Timestamps: stored as UTC `TIMESTAMP` (no zone) on both backends, shown as RFC 3339 UTC.

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};

/// Now, to the microsecond: the precision both databases keep, so a value read back equals the
/// value written.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

pub fn utc(stored: NaiveDateTime) -> DateTime<Utc> {
    stored.and_utc()
}

/// Serializes a stored timestamp as RFC 3339 UTC (`2026-11-22T15:56:00.123456Z`).
pub fn as_utc<S: serde::Serializer>(stored: &NaiveDateTime, serializer: S) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&utc(*stored), serializer)
}
