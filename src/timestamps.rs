//! Timestamps: stored as UTC `TIMESTAMP` (no zone) on both backends, shown as RFC 3339 UTC.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// Now, by the service's clock.
pub fn now() -> NaiveDateTime {
    crate::clock::now()
}

/// Today (UTC), by the service's clock.
pub fn today() -> NaiveDate {
    now().date()
}

pub fn utc(stored: NaiveDateTime) -> DateTime<Utc> {
    stored.and_utc()
}

/// Serializes a stored timestamp as RFC 3339 UTC (`2026-11-22T15:56:00.123456Z`).
pub fn as_utc<S: serde::Serializer>(stored: &NaiveDateTime, serializer: S) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&utc(*stored), serializer)
}

/// Serializes an optional stored timestamp as RFC 3339 UTC, or null.
pub fn optional_as_utc<S: serde::Serializer>(stored: &Option<NaiveDateTime>, serializer: S) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&stored.map(utc), serializer)
}
