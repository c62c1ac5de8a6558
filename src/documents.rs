//! What the grant cycle's documents (plans, half-year returns, final reports) share: their
//! status, who may edit them, and how their lists are filtered.

use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{Caller, Role};
use crate::error::Error;

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
