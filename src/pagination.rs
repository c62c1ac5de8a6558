//! Keyset pagination shared by every collection: items in ascending id order (stable while rows
//! are added), `limit` per page, and an opaque cursor to continue after the last item.
//!
//! With `updated_since`, a collection lists instead what changed at or after that instant, in the
//! order the changes were committed (each row's revision, drawn under the write lock): an item
//! changed while a client pages moves behind its cursor and comes again with its new content; none
//! is passed over.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDateTime, TimeDelta, Timelike, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{Error, Violations};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page; omit (or leave empty) for the first page.
    pub cursor: Option<String>,
}

/// The sync parameter every top-level collection takes beside its page.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangedSince {
    /// Only items changed (or created) at or after this instant, RFC 3339 (`2026-12-01T00:00:00Z`),
    /// oldest change first. Pass the same value with each `cursor`. For a nightly sync, keep the
    /// largest `updated_at` you received and pass it next time: items changed at that instant come
    /// again, so store them by `id`.
    #[param(value_type = Option<String>, format = DateTime)]
    pub updated_since: Option<DateTime<Utc>>,
}

/// An instant at the microsecond precision timestamps are stored (and cursors written) with,
/// rounded up: what changed at or after it is what changed at or after the instant given.
fn to_stored_precision(since: DateTime<Utc>) -> NaiveDateTime {
    let since = since.naive_utc();
    let below_a_microsecond = i64::from(since.nanosecond() % 1_000);
    if below_a_microsecond == 0 {
        since
    } else {
        since + TimeDelta::nanoseconds(1_000 - below_a_microsecond)
    }
}

/// The order a collection is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// By id: rows with id greater than `after`.
    Id,
    /// By change: rows changed at or after `since`, with revision greater than `after`.
    Changes { since: NaiveDateTime },
}

/// A validated page request: at most `limit` rows after position `after` in `order`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: i64,
    pub after: i64,
    pub order: Order,
}

impl PageParams {
    /// The request for a top-level collection, in change order when `changed.updated_since` is given.
    pub fn request_changed(&self, changed: &ChangedSince) -> Result<PageRequest, Error> {
        let order = changed.updated_since.map_or(Order::Id, |since| Order::Changes {
            since: to_stored_precision(since),
        });
        self.request_in(order)
    }

    /// The request for a collection read only by id.
    pub fn request(&self) -> Result<PageRequest, Error> {
        self.request_in(Order::Id)
    }

    fn request_in(&self, order: Order) -> Result<PageRequest, Error> {
        let mut violations = Violations::new();
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        violations.check(
            (1..=MAX_LIMIT).contains(&limit),
            "limit",
            "range",
            format!("must be between 1 and {MAX_LIMIT}"),
        );
        // An empty cursor is the first page, as an absent one: what a client sends when it
        // passes on a null next_cursor as text.
        let after = match self.cursor.as_deref().filter(|c| !c.is_empty()) {
            None => Some((order, 0)),
            Some(cursor) => decode_cursor(cursor),
        };
        violations.check(
            after.is_some(),
            "cursor",
            "cursor",
            "is not a cursor this service issued; pass a next_cursor value unchanged",
        );
        let after = after.unwrap_or((order, 0));
        violations.check(
            after.0 == order,
            "cursor",
            "same_query",
            "continues another listing; pass the updated_since it was issued with, unchanged",
        );
        violations.finish()?;
        Ok(PageRequest {
            limit,
            after: after.1,
            order,
        })
    }
}

impl PageRequest {
    /// The first page in id order.
    pub fn first(limit: i64) -> PageRequest {
        PageRequest {
            limit,
            after: 0,
            order: Order::Id,
        }
    }

    /// Rows to fetch: one more than the page, to learn whether another page follows.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }

    /// A row's position in this request's order.
    pub fn position(&self, id: i64, revision: i64) -> i64 {
        match self.order {
            Order::Id => id,
            Order::Changes { .. } => revision,
        }
    }
}

/// Orders a boxed query of `$table` for `$page` (by id, or by revision among the rows updated since
/// the instant asked for) and limits it to the rows the page needs.
macro_rules! in_page_order {
    ($query:expr, $table:ident, $page:expr) => {{
        let page: &$crate::pagination::PageRequest = $page;
        match page.order {
            $crate::pagination::Order::Id => $query.filter($table::id.gt(page.after)).order($table::id.asc()),
            $crate::pagination::Order::Changes { since } => $query
                .filter($table::updated_at.ge(since))
                .filter($table::revision.gt(page.after))
                .order($table::revision.asc()),
        }
        .limit(page.fetch())
    }};
}
pub(crate) use in_page_order;

fn encode_cursor(order: Order, after: i64) -> String {
    let text = match order {
        Order::Id => format!("after:{after}"),
        Order::Changes { since } => format!("changed:{after}:{}", since.and_utc().timestamp_micros()),
    };
    URL_SAFE_NO_PAD.encode(text)
}

fn decode_cursor(cursor: &str) -> Option<(Order, i64)> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (order, after) = if let Some(id) = text.strip_prefix("after:") {
        (Order::Id, id.parse().ok()?)
    } else {
        let (revision, since) = text.strip_prefix("changed:")?.split_once(':')?;
        let since = DateTime::from_timestamp_micros(since.parse().ok()?)?.naive_utc();
        (Order::Changes { since }, revision.parse().ok()?)
    };
    (after >= 0).then_some((order, after))
}

/// One page of a collection.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `request.fetch()` rows in the request's order; `position` gives a
    /// row's place in it ([`PageRequest::position`]).
    pub fn from_rows<R>(
        mut rows: Vec<R>,
        request: &PageRequest,
        position: impl Fn(&R) -> i64,
        view: impl FnMut(R) -> T,
    ) -> Page<T> {
        let limit = usize::try_from(request.limit).unwrap_or(usize::MAX);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = if more {
            rows.last().map(|r| encode_cursor(request.order, position(r)))
        } else {
            None
        };
        Page {
            items: rows.into_iter().map(view).collect(),
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_forgeries() {
        assert_eq!(decode_cursor(&encode_cursor(Order::Id, 42)), Some((Order::Id, 42)));
        let since = DateTime::from_timestamp_micros(1_764_547_200_123_456)
            .unwrap()
            .naive_utc();
        let changes = Order::Changes { since };
        assert_eq!(decode_cursor(&encode_cursor(changes, 7)), Some((changes, 7)));
        assert_eq!(decode_cursor("garbage"), None);
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode("after:-3")), None);
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode("changed:3")), None);
    }

    #[test]
    fn a_cursor_continues_only_the_listing_it_came_from() {
        let since = "2026-12-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let changed = ChangedSince {
            updated_since: Some(since),
        };
        let by_id = PageParams {
            limit: None,
            cursor: Some(encode_cursor(Order::Id, 5)),
        };
        assert!(by_id.request().is_ok());
        assert!(matches!(by_id.request_changed(&changed), Err(Error::Invalid(errs)) if errs[0].rule == "same_query"));
        let by_change = PageParams {
            limit: None,
            cursor: Some(encode_cursor(
                Order::Changes {
                    since: since.naive_utc(),
                },
                5,
            )),
        };
        let request = by_change.request_changed(&changed).unwrap();
        assert_eq!((request.after, request.position(1, 9)), (5, 9));
        assert!(by_change.request().is_err());
    }

    #[test]
    fn an_instant_finer_than_a_microsecond_is_rounded_up_and_its_cursors_continue_it() {
        let fine = ChangedSince {
            updated_since: Some("2026-12-01T00:00:00.123456001Z".parse().unwrap()),
        };
        let first = PageParams::default().request_changed(&fine).unwrap();
        let since = "2026-12-01T00:00:00.123457Z"
            .parse::<DateTime<Utc>>()
            .unwrap()
            .naive_utc();
        assert_eq!(first.order, Order::Changes { since });
        let next = PageParams {
            limit: None,
            cursor: Some(encode_cursor(first.order, 3)),
        };
        assert_eq!(next.request_changed(&fine).unwrap().after, 3);
    }

    #[test]
    fn pages_know_whether_more_follow() {
        let request = PageRequest::first(2);
        let page = Page::from_rows(vec![1, 2, 3], &request, |r| *r, |r| r * 10);
        assert_eq!(page.items, vec![10, 20]);
        assert_eq!(
            page.next_cursor.as_deref().and_then(decode_cursor),
            Some((Order::Id, 2))
        );
        let last = Page::from_rows(vec![3], &request, |r| *r, |r| r);
        assert_eq!(last.next_cursor, None);
    }

    #[test]
    fn limits_are_bounded() {
        let params = PageParams {
            limit: Some(500),
            cursor: Some("x".into()),
        };
        assert!(matches!(params.request(), Err(Error::Invalid(errs)) if errs.len() == 2));
        assert_eq!(PageParams::default().request().ok(), Some(PageRequest::first(50)));
    }
}
