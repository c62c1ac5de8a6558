//! Reports for the OPCC's desk, computed by the database in one aggregate query each rather than
//! by reading every document. Every report's rows are flat, so each is also a CSV table.
//! Reviewers, finance and the admin see every partnership; a partnership's people see their own.

mod fund;
pub mod http;
mod indicators;
mod paper;
mod priorities;
mod projects;
mod recommendations;

pub use fund::*;
pub use indicators::*;
pub use priorities::*;
pub use projects::*;
pub use recommendations::*;

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

/// What a report covers, `None` for every fund year or every partnership.
pub(crate) struct Scope {
    pub fund_year: Option<String>,
    pub partnership: Option<i64>,
}

impl ReportFilter {
    /// What the report covers for this caller, or `None` when nothing can match. An empty fund
    /// year or a partnership 0, like none, means every one.
    pub(crate) fn scope(&self, caller: &Caller) -> Option<Scope> {
        let partnership = partnership_of(caller, self).ok()?;
        Some(Scope {
            fund_year: self.fund_year.clone().filter(|label| !label.is_empty()),
            partnership: partnership.filter(|&id| id != 0),
        })
    }
}

/// Documents counted once submitted: not drafts, nor signed by the manager only. The report
/// views spell the same list; a test below holds them to it.
pub(crate) const SUBMITTED_STATUSES: [Status; 5] = [
    Status::Submitted,
    Status::UnderReview,
    Status::ChangesRequested,
    Status::Approved,
    Status::Accepted,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::final_reports::UnspentDecision;
    use crate::half_year_returns::Half;

    /// The views the reports and exports read, in both dialects.
    const VIEWS: [&str; 6] = [
        include_str!("../../migrations/postgres/2026-11-24-000013_fund_by_partnership_view/up.sql"),
        include_str!("../../migrations/sqlite/2026-11-24-000013_fund_by_partnership_view/up.sql"),
        include_str!("../../migrations/postgres/2026-12-05-000019_report_views/up.sql"),
        include_str!("../../migrations/sqlite/2026-12-05-000019_report_views/up.sql"),
        include_str!("../../migrations/postgres/2026-12-05-000020_export_views/up.sql"),
        include_str!("../../migrations/sqlite/2026-12-05-000020_export_views/up.sql"),
    ];

    /// Every quoted word in a view's SQL (comments aside), with the column it is compared to.
    fn words_compared(view: &str) -> Vec<(String, String)> {
        let sql: String = view
            .lines()
            .filter(|line| !line.trim_start().starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n");
        let mut words = Vec::new();
        let mut column = String::new();
        for (i, part) in sql.split('\'').enumerate() {
            if i % 2 == 0 {
                let before = part.trim_end().trim_end_matches(['(', ',', '=', ' ']).trim_end();
                if !part.trim().starts_with(',') {
                    column = before
                        .trim_end_matches(" IN")
                        .rsplit(['.', ' ', '('])
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                }
            } else {
                words.push((column.clone(), part.to_owned()));
            }
        }
        words
    }

    #[test]
    fn the_views_spell_only_the_words_of_the_enums() {
        let mut compared = 0;
        for view in VIEWS {
            let words = words_compared(view);
            compared += words.len();
            for (column, word) in words {
                let known = match column.as_str() {
                    "status" => word.parse::<Status>().is_ok(),
                    "half" => word.parse::<Half>().is_ok(),
                    "unspent_decision" => word.parse::<UnspentDecision>().is_ok(),
                    _ => false,
                };
                assert!(known, "{column} = '{word}' is no word of the column's enum");
            }
        }
        assert!(compared > 20, "the words were found");
    }

    #[test]
    fn every_list_of_statuses_in_the_views_is_the_submitted_documents() {
        let listed: Vec<String> = SUBMITTED_STATUSES.iter().map(|s| format!("'{s}'")).collect();
        let submitted = format!("status IN ({})", listed.join(", "));
        for view in VIEWS {
            assert_eq!(
                view.matches(" IN (").count(),
                view.matches(&submitted).count(),
                "{view}"
            );
        }
    }
}
