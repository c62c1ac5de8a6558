//! The fund by Police & Crime Plan priority: money planned and spent on the lines serving each.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ReportFilter, SUBMITTED, partnership_of, pence};
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::error::Error;
use crate::money::Money;
use crate::tables::{CsvRow, Table};

/// Said with every priority report, because its rows do not add up to its totals.
pub const COUNTED_PER_PRIORITY: &str = "A plan line serving several priorities counts in full under each of them, \
     so the rows add up to more than the totals; the totals count every line once.";

/// The approved plans' lines serving one priority in one fund year.
#[derive(QueryableByName, Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[schema(example = json!({"fund_year": "2017-18", "priority": 3, "title": "Protecting people at risk of abuse",
    "plan_lines": 4, "planned": "327200.00", "spent": "327200.00"}))]
pub struct PriorityYear {
    #[diesel(sql_type = Text)]
    pub fund_year: String,
    /// The priority's number in the fund year's Police & Crime Plan.
    #[diesel(sql_type = Integer)]
    pub priority: i32,
    #[diesel(sql_type = Text)]
    pub title: String,
    /// Lines of approved plans serving the priority.
    #[diesel(sql_type = BigInt)]
    pub plan_lines: i64,
    /// Those lines' amounts, each in full.
    #[diesel(sql_type = BigInt)]
    pub planned: Money,
    /// Their actual spend in submitted final reports; zero until reported.
    #[diesel(sql_type = BigInt)]
    pub spent: Money,
}

/// Every line of the approved plans counted once.
#[derive(QueryableByName, Serialize, ToSchema, Debug, Clone, Default, PartialEq, Eq)]
pub struct PriorityTotals {
    #[diesel(sql_type = BigInt)]
    pub plan_lines: i64,
    /// Lines serving more than one priority: each is in several rows, once here.
    #[diesel(sql_type = BigInt)]
    pub lines_serving_several_priorities: i64,
    #[diesel(sql_type = BigInt)]
    pub planned: Money,
    #[diesel(sql_type = BigInt)]
    pub spent: Money,
}

/// The fund by priority: a row per priority and fund year (priorities nothing serves included),
/// and totals that count each line once.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct FundByPriority {
    #[schema(
        example = "A plan line serving several priorities counts in full under each of them, so the rows add up to more than the totals; the totals count every line once."
    )]
    pub note: String,
    pub rows: Vec<PriorityYear>,
    pub totals: PriorityTotals,
}

/// The approved plans' lines in the report's scope, with the spend the submitted final report
/// gives each. `$1` is the fund year label or '', `$2` the partnership id or 0.
fn lines_in_scope() -> String {
    format!(
        "SELECT l.id AS plan_line_id, a.fund_year_id, l.amount_pence AS planned, fl.actual_spend_pence AS spent \
         FROM plan_lines l \
         JOIN plans pl ON pl.id = l.plan_id \
         JOIN allocations a ON a.id = pl.allocation_id \
         JOIN fund_years ly ON ly.id = a.fund_year_id \
         LEFT JOIN final_report_lines fl ON fl.plan_line_id = l.id AND fl.final_report_id IN \
             (SELECT f.id FROM final_reports f WHERE f.status IN {SUBMITTED}) \
         WHERE pl.status = 'approved' AND ($1 = '' OR ly.label = $1) AND ($2 = 0 OR a.partnership_id = $2)"
    )
}

pub fn by_priority(conn: &mut DbConnection, caller: &Caller, filter: &ReportFilter) -> Result<FundByPriority, Error> {
    let note = COUNTED_PER_PRIORITY.to_owned();
    let Ok(partnership) = partnership_of(caller, filter) else {
        return Ok(FundByPriority {
            note,
            rows: Vec::new(),
            totals: PriorityTotals::default(),
        });
    };
    let lines = lines_in_scope();
    let (planned, spent) = (pence("SUM(served.planned)"), pence("SUM(served.spent)"));
    let rows_sql = format!(
        "SELECT y.label AS fund_year, pr.number AS priority, pr.title AS title, \
                COUNT(served.plan_line_id) AS plan_lines, {planned} AS planned, {spent} AS spent \
         FROM fund_years y \
         JOIN priorities pr ON pr.priority_set_id = y.priority_set_id \
         LEFT JOIN (SELECT lp.priority_id, scoped.* FROM plan_line_priorities lp \
                    JOIN ({lines}) scoped ON scoped.plan_line_id = lp.plan_line_id) served \
             ON served.fund_year_id = y.id AND served.priority_id = pr.id \
         WHERE ($1 = '' OR y.label = $1) \
         GROUP BY y.id, y.label, y.starts_on, pr.id, pr.number, pr.title \
         ORDER BY y.starts_on, pr.number"
    );
    let (planned, spent) = (pence("SUM(scoped.planned)"), pence("SUM(scoped.spent)"));
    let totals_sql = format!(
        "SELECT COUNT(*) AS plan_lines, {planned} AS planned, {spent} AS spent, \
                {several} AS lines_serving_several_priorities \
         FROM ({lines}) scoped",
        several = pence(
            "SUM(CASE WHEN (SELECT COUNT(*) FROM plan_line_priorities lp \
                            WHERE lp.plan_line_id = scoped.plan_line_id) > 1 THEN 1 ELSE 0 END)"
        ),
    );
    let fund_year = filter.fund_year.clone().unwrap_or_default();
    let partnership = partnership.unwrap_or(0);
    let rows: Vec<PriorityYear> = diesel::sql_query(rows_sql)
        .bind::<Text, _>(&fund_year)
        .bind::<BigInt, _>(partnership)
        .load(conn)?;
    let totals: PriorityTotals = diesel::sql_query(totals_sql)
        .bind::<Text, _>(&fund_year)
        .bind::<BigInt, _>(partnership)
        .get_result(conn)?;
    Ok(FundByPriority { note, rows, totals })
}

impl CsvRow for PriorityYear {
    const COLUMNS: &'static [&'static str] = &["fund_year", "priority", "title", "plan_lines", "planned", "spent"];
}

impl Table for FundByPriority {
    type Row = PriorityYear;
    fn rows(&self) -> &[PriorityYear] {
        &self.rows
    }
}
