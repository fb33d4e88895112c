//! Keyset paging over lists ordered newest first by `(created_at, id)`.
//!
//! A page ends at its last row; the next page starts strictly after it in that order. Paging
//! by time alone would skip rows that share the boundary's second, which is common when one
//! transaction writes several of them.

use crate::AppError;
use crate::platform::error::PlatformError;

/// Where the next page starts: after the row `(at, id)`, in `(at, id)` descending order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageCursor {
    /// The boundary row's creation time (unix seconds).
    pub at: i64,
    /// The boundary row's id (ties on `at` are ordered by id).
    pub id: String,
}

impl PageCursor {
    /// The start of a list: before every row.
    pub fn start() -> PageCursor {
        PageCursor {
            at: i64::MAX,
            id: String::new(),
        }
    }

    /// Rows strictly older than `before` (the older `before=<unix time>` parameter).
    pub fn before_time(before: i64) -> PageCursor {
        PageCursor {
            at: before,
            id: String::new(),
        }
    }

    /// The cursor after `(at, id)`.
    pub fn after(at: i64, id: &str) -> PageCursor {
        PageCursor {
            at,
            id: id.to_owned(),
        }
    }

    /// The opaque text form handed to clients.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.at, self.id)
    }

    /// Parses [`PageCursor::encode`]'s form.
    pub fn parse(text: &str, field: &'static str) -> Result<PageCursor, AppError> {
        let invalid = || AppError::from(PlatformError::InvalidCursor { field });
        let (at, id) = text.split_once('.').ok_or_else(invalid)?;
        let at: i64 = at.parse().map_err(|_| invalid())?;
        if id.is_empty()
            || id.len() > 100
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(invalid());
        }
        Ok(PageCursor::after(at, id))
    }

    /// The cursor from the optional `cursor` and `before` parameters (`cursor` wins).
    pub fn from_params(cursor: Option<&str>, before: Option<i64>) -> Result<PageCursor, AppError> {
        match (cursor, before) {
            (Some(text), _) => PageCursor::parse(text, "cursor"),
            (None, Some(before)) => Ok(PageCursor::before_time(before)),
            (None, None) => Ok(PageCursor::start()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_junk() {
        let cursor = PageCursor::after(1_767_225_600, "ord_0a1b");
        assert_eq!(
            PageCursor::parse(&cursor.encode(), "cursor").unwrap(),
            cursor
        );
        for junk in ["", "123", "x.ord_1", "1.", "1.a b", "1.a'--"] {
            assert!(PageCursor::parse(junk, "cursor").is_err(), "{junk}");
        }
    }
}

/// One page of a list and where the next one starts (`None` on the last page).
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows, newest first.
    pub items: Vec<T>,
    /// Pass back to get the next page.
    pub next: Option<PageCursor>,
}

/// The cursor after a full page's last row (`None` when the page was not full).
pub(crate) fn next_cursor<T>(
    rows: &[T],
    limit: i64,
    key: impl Fn(&T) -> (i64, &str),
) -> Option<PageCursor> {
    if (rows.len() as i64) < limit.clamp(1, 500) {
        return None;
    }
    rows.last().map(|row| {
        let (at, id) = key(row);
        PageCursor::after(at, id)
    })
}
