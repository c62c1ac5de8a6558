//! What the grant cycle's documents (plans, half-year returns, final reports) share: their
//! status, who may edit them, and how their lists are filtered.

use diesel::prelude::*;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{Caller, Role};
use crate::db::DbConnection;
use crate::error::Error;
use crate::schema::{allocations, final_reports, half_year_returns, plans};

crate::stored_enum! {
    /// Where a document stands in its approval cycle.
    pub enum Status {
        /// Being written by the partnership; the only state in which content can change.
        Draft => "draft",
    }
}

crate::stored_enum! {
    /// The three kinds of document, as named in attachments and history.
    pub enum DocumentKind {
        Plan => "plan",
        HalfYearReturn => "half_year_return",
        FinalReport => "final_report",
    }
}

/// Filters every document list accepts.
#[derive(Deserialize, IntoParams, Debug, Default, Clone)]
#[into_params(parameter_in = Query)]
pub struct DocumentFilter {
    /// A fund year label, e.g. 2021-22.
    pub fund_year: Option<String>,
    pub partnership_id: Option<i64>,
    pub status: Option<Status>,
}

/// Only a partnership's manager writes its documents, and only while they are drafts.
pub fn ensure_editable(caller: &Caller, partnership_id: i64, status: Status, what: &'static str) -> Result<(), Error> {
    caller.ensure_visible(partnership_id, what)?;
    caller.require(&[Role::CspManager])?;
    if status != Status::Draft {
        return Err(Error::Conflict {
            detail: format!("the {what} is {status}; only a draft can be edited"),
            field: None,
        });
    }
    Ok(())
}

/// A replacement body may repeat an identifying field (allocation, half), but not change it.
pub fn check_unchanged<T: PartialEq + std::fmt::Display>(
    violations: &mut crate::error::Violations,
    field: &str,
    sent: Option<T>,
    current: T,
) {
    if let Some(sent) = sent {
        violations.check(
            sent == current,
            field,
            "immutable",
            format!("cannot change; it is {current}"),
        );
    }
}

/// Where a document belongs, for checks that apply to any kind of document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Located {
    pub kind: DocumentKind,
    pub id: i64,
    pub allocation_id: i64,
    pub partnership_id: i64,
    pub status: Status,
}

impl DocumentKind {
    /// What the document is called in messages.
    pub fn noun(self) -> &'static str {
        match self {
            DocumentKind::Plan => "plan",
            DocumentKind::HalfYearReturn => "half-year return",
            DocumentKind::FinalReport => "final report",
        }
    }
}

/// Finds a document of any kind, if the caller may see it.
pub fn locate(conn: &mut DbConnection, caller: &Caller, kind: DocumentKind, id: i64) -> Result<Located, Error> {
    let found: Option<(i64, i64, Status)> = match kind {
        DocumentKind::Plan => plans::table
            .inner_join(allocations::table)
            .filter(plans::id.eq(id))
            .select((plans::allocation_id, allocations::partnership_id, plans::status))
            .first(conn)
            .optional()?,
        DocumentKind::HalfYearReturn => half_year_returns::table
            .inner_join(allocations::table)
            .filter(half_year_returns::id.eq(id))
            .select((
                half_year_returns::allocation_id,
                allocations::partnership_id,
                half_year_returns::status,
            ))
            .first(conn)
            .optional()?,
        DocumentKind::FinalReport => final_reports::table
            .inner_join(allocations::table)
            .filter(final_reports::id.eq(id))
            .select((
                final_reports::allocation_id,
                allocations::partnership_id,
                final_reports::status,
            ))
            .first(conn)
            .optional()?,
    };
    let (allocation_id, partnership_id, status) = found.ok_or(Error::NotFound(kind.noun()))?;
    caller.ensure_visible(partnership_id, kind.noun())?;
    Ok(Located {
        kind,
        id,
        allocation_id,
        partnership_id,
        status,
    })
}
