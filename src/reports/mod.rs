//! Reports for the OPCC's desk, computed by the database in one aggregate query each rather than
//! by reading every document. Every report's rows are flat, so each is also a CSV table.
//! Reviewers, finance and the admin see every partnership; a partnership's people see their own.

mod fund;
pub mod http;
mod indicators;
mod priorities;
mod projects;

pub use fund::*;
pub use indicators::*;
pub use priorities::*;
pub use projects::*;

use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;

/// Which fund year and partnership a report covers.
#[derive(Deserialize, IntoParams, ToSchema, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportFilter {
    /// Fund year label, e.g. "2017-18"; every year if absent.
    pub fund_year: Option<String>,
    pub partnership_id: Option<i64>,
}

/// The partnership a report is confined to: the caller's own for a partnership role (a filter
/// naming another gives nothing), else the filter's. `Err(())` when nothing can match.
pub(crate) fn partnership_of(caller: &Caller, filter: &ReportFilter) -> Result<Option<i64>, ()> {
    match (caller.scope().confined_to(), filter.partnership_id) {
        (Some(own), Some(asked)) if own != asked => Err(()),
        (Some(own), _) => Ok(Some(own)),
        (None, asked) => Ok(asked),
    }
}

/// Documents counted once submitted: not drafts, nor signed by the manager only.
pub(crate) const SUBMITTED: &str = "('submitted', 'under_review', 'changes_requested', 'approved', 'accepted')";

/// A sum of integer pence as BIGINT on both databases (PostgreSQL's SUM of BIGINT is NUMERIC).
pub(crate) fn pence(sum: &str) -> String {
    format!("CAST(COALESCE(({sum}), 0) AS BIGINT)")
}
