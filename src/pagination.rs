//! Keyset pagination shared by every collection: items in ascending id order (stable while rows
//! are added), `limit` per page, and an opaque cursor to continue after the last item.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
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

/// A validated page request: return rows with id greater than `after`, at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: i64,
    pub after: i64,
}

impl PageParams {
    pub fn request(&self) -> Result<PageRequest, Error> {
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
            None => Some(0),
            Some(cursor) => decode_cursor(cursor),
        };
        violations.check(
            after.is_some(),
            "cursor",
            "cursor",
            "is not a cursor this service issued; pass a next_cursor value unchanged",
        );
        violations.finish()?;
        Ok(PageRequest {
            limit,
            after: after.unwrap_or(0),
        })
    }
}

impl PageRequest {
    /// Rows to fetch: one more than the page, to learn whether another page follows.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }
}

fn encode_cursor(after: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("after:{after}"))
}

fn decode_cursor(cursor: &str) -> Option<i64> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix("after:")?.parse().ok().filter(|id: &i64| *id >= 0)
}

/// One page of a collection.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `request.fetch()` rows ordered by `id`.
    pub fn from_rows<R>(
        mut rows: Vec<R>,
        request: &PageRequest,
        id: impl Fn(&R) -> i64,
        view: impl FnMut(R) -> T,
    ) -> Page<T> {
        let limit = usize::try_from(request.limit).unwrap_or(usize::MAX);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = if more {
            rows.last().map(|r| encode_cursor(id(r)))
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
        assert_eq!(decode_cursor(&encode_cursor(42)), Some(42));
        assert_eq!(decode_cursor("garbage"), None);
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode("after:-3")), None);
    }

    #[test]
    fn pages_know_whether_more_follow() {
        let request = PageRequest { limit: 2, after: 0 };
        let page = Page::from_rows(vec![1, 2, 3], &request, |r| *r, |r| r * 10);
        assert_eq!(page.items, vec![10, 20]);
        assert_eq!(page.next_cursor.as_deref().and_then(decode_cursor), Some(2));
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
        assert_eq!(
            PageParams::default().request().ok(),
            Some(PageRequest { limit: 50, after: 0 })
        );
    }
}
