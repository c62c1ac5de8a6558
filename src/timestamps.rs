//! Timestamps: stored as UTC `TIMESTAMP` (no zone) on both backends, shown as RFC 3339 UTC.
//! Dates are days in the fund's own calendar, Europe/London: a return countersigned at 00:30
//! in Plymouth in summer was submitted that day, not the day before as in UTC.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Europe::London;

/// Now, by the service's clock.
pub fn now() -> NaiveDateTime {
    crate::clock::now()
}

/// Today in Europe/London, by the service's clock: what "due", "overdue" and "not in the
/// future" are judged by.
pub fn today() -> NaiveDate {
    london_date(now())
}

/// The Europe/London calendar day of a stored (UTC) instant.
pub fn london_date(stored: NaiveDateTime) -> NaiveDate {
    stored.and_utc().with_timezone(&London).date_naive()
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

#[cfg(test)]
mod tests {
    use super::london_date;

    fn day_of(utc: &str) -> String {
        let at: chrono::DateTime<chrono::Utc> = utc.parse().expect("an instant");
        london_date(at.naive_utc()).to_string()
    }

    #[test]
    fn a_day_in_london_starts_at_local_midnight_in_summer_and_winter() {
        // Summer time: midnight in London is 23:00 UTC the day before.
        assert_eq!(day_of("2017-05-31T22:59:59Z"), "2017-05-31");
        assert_eq!(day_of("2017-05-31T23:00:00Z"), "2017-06-01");
        // Winter: London is on UTC.
        assert_eq!(day_of("2017-11-03T23:59:59Z"), "2017-11-03");
        assert_eq!(day_of("2017-11-04T00:00:00Z"), "2017-11-04");
    }

    #[test]
    fn the_day_follows_both_clock_changes() {
        // Clocks go forward at 01:00 UTC on 26 March 2017: that evening midnight is 23:00 UTC.
        assert_eq!(day_of("2017-03-26T00:59:59Z"), "2017-03-26");
        assert_eq!(day_of("2017-03-26T01:00:00Z"), "2017-03-26");
        assert_eq!(day_of("2017-03-26T22:59:59Z"), "2017-03-26");
        assert_eq!(day_of("2017-03-26T23:00:00Z"), "2017-03-27");
        // They go back at 01:00 UTC on 29 October 2017: the day before ends at 23:00 UTC, that
        // day at midnight UTC.
        assert_eq!(day_of("2017-10-28T23:00:00Z"), "2017-10-29");
        assert_eq!(day_of("2017-10-29T00:59:59Z"), "2017-10-29");
        assert_eq!(day_of("2017-10-29T23:00:00Z"), "2017-10-29");
        assert_eq!(day_of("2017-10-30T00:00:00Z"), "2017-10-30");
    }
}
