//! The fund reports as a Police and Crime Panel paper: a table per fund year with its totals,
//! by partnership or by priority, typeset as a PDF/A record like the forms.

use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveTime};
use serde_json::{Value, json};

use super::ReportFilter;
use crate::auth::Caller;
use crate::canonical;
use crate::db::DbConnection;
use crate::error::Error;
use crate::records::{self, Form, Sheet, text};

/// Which fund report a paper shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FundPaper {
    ByPartnership,
    ByPriority,
}

impl FundPaper {
    fn title(self) -> &'static str {
        match self {
            FundPaper::ByPartnership => "The fund by partnership",
            FundPaper::ByPriority => "The fund by Police & Crime Plan priority",
        }
    }

    fn headers(self) -> Vec<&'static str> {
        match self {
            FundPaper::ByPartnership => vec![
                "Partnership",
                "Grant £",
                "Carried forward £",
                "Available £",
                "Planned £",
                "Claimed £",
                "Approved £",
                "Paid £",
                "Outstanding £",
                "Spent £",
                "Unspent £",
                "Plan · H1 · H2 · Final",
            ],
            FundPaper::ByPriority => vec!["Priority", "Plan lines", "Planned £", "Spent £"],
        }
    }

    /// A row's cells, as printed.
    fn cells(self, row: &Value) -> Vec<String> {
        match self {
            FundPaper::ByPartnership => {
                let mut cells = vec![text(&row["partnership"])];
                cells.extend(PARTNERSHIP_AMOUNTS.iter().map(|column| records::pounds(&row[*column])));
                let stands = [
                    "plan_status",
                    "first_half_status",
                    "second_half_status",
                    "final_report_status",
                ]
                .iter()
                .map(|column| row[*column].as_str().map_or("–".to_owned(), |s| s.replace('_', " ")))
                .collect::<Vec<_>>();
                cells.push(stands.join(" · "));
                cells
            }
            FundPaper::ByPriority => vec![
                format!("{}. {}", row["priority"], text(&row["title"])),
                row["plan_lines"].to_string(),
                records::pounds(&row["planned"]),
                records::pounds(&row["spent"]),
            ],
        }
    }

    /// A year's totals, as printed under its table.
    fn total_cells(self, totals: &Value) -> Vec<String> {
        match self {
            FundPaper::ByPartnership => {
                let mut cells = vec!["Total".to_owned()];
                cells.extend(
                    PARTNERSHIP_AMOUNTS
                        .iter()
                        .map(|column| records::pounds(&totals[*column])),
                );
                cells.push(String::new());
                cells
            }
            FundPaper::ByPriority => vec![
                "Total (each line once)".to_owned(),
                totals["plan_lines"].to_string(),
                records::pounds(&totals["planned"]),
                records::pounds(&totals["spent"]),
            ],
        }
    }
}

/// The amounts of the fund by partnership a paper prints, in order.
const PARTNERSHIP_AMOUNTS: [&str; 10] = [
    "grant",
    "carry_forward",
    "available",
    "planned",
    "claimed",
    "approved_for_payment",
    "paid",
    "outstanding",
    "spent",
    "unspent",
];

/// The paper of a fund report as of a day: the report for the filter's fund years, each year
/// computed on its own so its totals are that year's. `check_at` is the report's address in the
/// API. Dated by the day, so the same figures give the same bytes all day.
pub fn sheet<T: serde::Serialize>(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &ReportFilter,
    compute: fn(&mut DbConnection, &Caller, &ReportFilter) -> Result<T, Error>,
    paper: FundPaper,
    check_at: String,
    as_of: NaiveDate,
) -> Result<Sheet, Error> {
    let whole = serde_json::to_value(compute(conn, caller, filter)?).map_err(Error::internal)?;
    let years: BTreeSet<String> = whole["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|row| row["fund_year"].as_str().map(str::to_owned))
        .collect();
    let mut tables = Vec::new();
    for year in years {
        let one_year = ReportFilter {
            fund_year: Some(year.clone()),
            partnership_id: filter.partnership_id,
            bom: None,
        };
        let report = serde_json::to_value(compute(conn, caller, &one_year)?).map_err(Error::internal)?;
        tables.push(json!({
            "fund_year": year,
            "fund_year_span": records::fund_year_span(&year),
            "rows": report["rows"].as_array().into_iter().flatten().map(|row| paper.cells(row)).collect::<Vec<_>>(),
            "totals": paper.total_cells(&report["totals"]),
        }));
    }
    let data = json!({
        "title": paper.title(),
        "headers": paper.headers(),
        "years": tables,
        "note": text(&whole["note"]),
        "as_of": records::long_date(&json!(as_of.to_string())),
        "content_sha256": canonical::digest(&whole),
        "check_at": check_at,
    });
    Ok(Sheet {
        form: Form::FundReport,
        data,
        ident: format!("cspfund-{}", check_at),
        dated: as_of.and_time(NaiveTime::MIN),
        check_at,
    })
}
