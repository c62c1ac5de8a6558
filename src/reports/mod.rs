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
use crate::workflow::Status;

/// Which fund year and partnership a report covers.
#[derive(Deserialize, IntoParams, ToSchema, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportFilter {
    /// Fund year label, e.g. "2017-18"; every year if absent.
    pub fund_year: Option<String>,
    pub partnership_id: Option<i64>,
    /// With CSV: `true` starts the file with a UTF-8 byte-order mark, so that Excel shows names
    /// such as "Ysgol Gymraeg" or "Café" rightly when the file is opened by double-click.
    pub bom: Option<bool>,
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

/// The same statuses, for queries written with diesel's DSL.
pub(crate) const SUBMITTED_STATUSES: [Status; 5] = [
    Status::Submitted,
    Status::UnderReview,
    Status::ChangesRequested,
    Status::Approved,
    Status::Accepted,
];

/// A sum of integer pence as BIGINT on both databases (PostgreSQL's SUM of BIGINT is NUMERIC).
pub(crate) fn pence(sum: &str) -> String {
    format!("CAST(COALESCE(({sum}), 0) AS BIGINT)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sql_list_and_the_statuses_name_the_same_documents() {
        let listed: Vec<String> = SUBMITTED_STATUSES.iter().map(|s| format!("'{s}'")).collect();
        assert_eq!(SUBMITTED, format!("({})", listed.join(", ")));
    }

    #[test]
    fn the_fund_view_counts_the_same_documents_as_submitted() {
        for view in [
            include_str!("../../migrations/postgres/2026-11-24-000013_fund_by_partnership_view/up.sql"),
            include_str!("../../migrations/sqlite/2026-11-24-000013_fund_by_partnership_view/up.sql"),
        ] {
            // Claimed, spent, moved by virements and "reported" each count submitted documents.
            assert_eq!(view.matches(SUBMITTED).count(), 4);
            assert_eq!(view.matches(" IN (").count(), 4, "no other list of statuses");
        }
    }
}
