//! The collections exported as CSV, one flat row per plan line, half-year project, final-report
//! line or payment, with its document's fund year, partnership and status. Each chunk is one
//! query (two for plan lines' priorities), ordered by the row's own id.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use serde::Serialize;

use super::Export;
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::error::Error;
use crate::half_year_returns::rules::letter;
use crate::half_year_returns::{Half, ProviderStatus, Rag};
use crate::money::Money;
use crate::pagination::PageRequest;
use crate::payments::{self, Payment, PaymentFilter};
use crate::reports::{ReportFilter, partnership_of};
use crate::schema::{plan_line_priorities, priorities};
use crate::tables::CsvRow;
use crate::workflow::Status;

/// `$1` the fund year label or '', `$2` the partnership or 0, `$3` the key to start after, `$4`
/// the chunk's size. SQLite numbers `$n` parameters in the order they first appear, so each
/// query names them in that order.
const IN_SCOPE: &str = "($1 = '' OR y.label = $1) AND ($2 = 0 OR a.partnership_id = $2)";

/// The partnership the caller's export is confined to, or `None` when nothing can match.
fn scope(caller: &Caller, filter: &ReportFilter) -> Option<(String, i64)> {
    let partnership = partnership_of(caller, filter).ok()?;
    Some((filter.fund_year.clone().unwrap_or_default(), partnership.unwrap_or(0)))
}

fn chunk_of<Row: QueryableByName<crate::db::MultiBackend> + 'static>(
    conn: &mut DbConnection,
    sql: String,
    (fund_year, partnership): (String, i64),
    after: i64,
    limit: i64,
) -> Result<Vec<Row>, Error> {
    Ok(diesel::sql_query(sql)
        .bind::<Text, _>(fund_year)
        .bind::<BigInt, _>(partnership)
        .bind::<BigInt, _>(after)
        .bind::<BigInt, _>(limit)
        .load(conn)?)
}

/// A line of a spending plan, as `GET /plans/{id}` shows it, with its plan's place.
#[derive(QueryableByName, Serialize, Debug, Clone, PartialEq, Eq)]
pub struct PlanLineExport {
    #[serde(skip)]
    #[diesel(sql_type = BigInt)]
    row_key: i64,
    #[diesel(sql_type = BigInt)]
    pub plan_id: i64,
    #[diesel(sql_type = Text)]
    pub fund_year: String,
    #[diesel(sql_type = BigInt)]
    pub partnership_id: i64,
    #[diesel(sql_type = Text)]
    pub partnership: String,
    #[diesel(sql_type = Text)]
    pub plan_status: Status,
    #[diesel(sql_type = Integer)]
    pub number: i32,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub outline: String,
    #[diesel(sql_type = BigInt)]
    pub amount: Money,
    #[diesel(sql_type = Nullable<Text>)]
    pub provider: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub total_contract_value: Option<Money>,
    /// The numbers of the priorities the line serves, separated by semicolons ("2;3;4").
    #[diesel(sql_type = Text)]
    pub priorities: String,
    #[diesel(sql_type = Text)]
    pub outcome_measures: String,
}

impl CsvRow for PlanLineExport {
    const COLUMNS: &'static [&'static str] = &[
        "plan_id",
        "fund_year",
        "partnership_id",
        "partnership",
        "plan_status",
        "number",
        "title",
        "outline",
        "amount",
        "provider",
        "total_contract_value",
        "priorities",
        "outcome_measures",
    ];
}

impl Export for PlanLineExport {
    const FILE_NAME: &'static str = "plan-lines.csv";

    fn chunk(
        conn: &mut DbConnection,
        caller: &Caller,
        filter: &ReportFilter,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Self>, Error> {
        let Some(scope) = scope(caller, filter) else {
            return Ok(Vec::new());
        };
        // Filled in below: the two databases join text differently.
        let sql = format!(
            "SELECT l.id AS row_key, pl.id AS plan_id, y.label AS fund_year, a.partnership_id, \
                    pa.name AS partnership, pl.status AS plan_status, l.number, l.title, l.outline, \
                    l.amount_pence AS amount, l.provider, l.total_contract_value_pence AS total_contract_value, \
                    '' AS priorities, l.outcome_measures \
             FROM plan_lines l JOIN plans pl ON pl.id = l.plan_id \
             JOIN allocations a ON a.id = pl.allocation_id JOIN partnerships pa ON pa.id = a.partnership_id \
             JOIN fund_years y ON y.id = a.fund_year_id \
             WHERE {IN_SCOPE} AND l.id > $3 ORDER BY l.id LIMIT $4"
        );
        let mut rows: Vec<PlanLineExport> = chunk_of(conn, sql, scope, after, limit)?;
        let keys: Vec<i64> = rows.iter().map(|r| r.row_key).collect();
        let mut served: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for (line, number) in plan_line_priorities::table
            .inner_join(priorities::table)
            .filter(plan_line_priorities::plan_line_id.eq_any(&keys))
            .order((plan_line_priorities::plan_line_id, priorities::number))
            .select((plan_line_priorities::plan_line_id, priorities::number))
            .load::<(i64, i32)>(conn)?
        {
            served.entry(line).or_default().push(number.to_string());
        }
        for row in &mut rows {
            row.priorities = served.remove(&row.row_key).unwrap_or_default().join(";");
        }
        Ok(rows)
    }

    fn key(&self) -> i64 {
        self.row_key
    }
}

/// A project of a half-year return, as the return shows it, with the return's place.
#[derive(QueryableByName, Serialize, Debug, Clone, PartialEq, Eq)]
pub struct HalfYearProjectExport {
    #[serde(skip)]
    #[diesel(sql_type = BigInt)]
    row_key: i64,
    #[diesel(sql_type = BigInt)]
    pub half_year_return_id: i64,
    #[diesel(sql_type = Text)]
    pub fund_year: String,
    #[diesel(sql_type = BigInt)]
    pub partnership_id: i64,
    #[diesel(sql_type = Text)]
    pub partnership: String,
    #[diesel(sql_type = Text)]
    pub half: Half,
    #[diesel(sql_type = Text)]
    pub return_status: Status,
    /// Filled in from the project's position: A, B, ...
    #[diesel(sql_type = Text)]
    pub letter: String,
    #[serde(skip)]
    #[diesel(sql_type = Integer)]
    position: i32,
    #[diesel(sql_type = Integer)]
    pub plan_line: i32,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub provider: String,
    #[diesel(sql_type = Text)]
    pub provider_status: ProviderStatus,
    #[diesel(sql_type = Text)]
    pub commissioning_body: String,
    #[diesel(sql_type = BigInt)]
    pub funding: Money,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub total_service_funding: Option<Money>,
    #[diesel(sql_type = BigInt)]
    pub expenditure_to_date: Money,
    #[diesel(sql_type = Text)]
    pub rag: Rag,
    #[diesel(sql_type = Text)]
    pub extent_achieved: String,
    #[diesel(sql_type = Text)]
    pub actions: String,
}

impl CsvRow for HalfYearProjectExport {
    const COLUMNS: &'static [&'static str] = &[
        "half_year_return_id",
        "fund_year",
        "partnership_id",
        "partnership",
        "half",
        "return_status",
        "letter",
        "plan_line",
        "title",
        "provider",
        "provider_status",
        "commissioning_body",
        "funding",
        "total_service_funding",
        "expenditure_to_date",
        "rag",
        "extent_achieved",
        "actions",
    ];
}

impl Export for HalfYearProjectExport {
    const FILE_NAME: &'static str = "half-year-projects.csv";

    fn chunk(
        conn: &mut DbConnection,
        caller: &Caller,
        filter: &ReportFilter,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Self>, Error> {
        let Some(scope) = scope(caller, filter) else {
            return Ok(Vec::new());
        };
        let sql = format!(
            "SELECT p.id AS row_key, r.id AS half_year_return_id, y.label AS fund_year, a.partnership_id, \
                    pa.name AS partnership, r.half, r.status AS return_status, '' AS letter, p.position, \
                    l.number AS plan_line, l.title, p.provider, p.provider_status, p.commissioning_body, \
                    l.amount_pence AS funding, p.total_service_funding_pence AS total_service_funding, \
                    CAST(COALESCE((SELECT SUM(e.amount_pence) FROM half_year_expenditure_items e \
                                   WHERE e.half_year_project_id = p.id), 0) AS BIGINT) AS expenditure_to_date, \
                    p.rag, p.extent_achieved, p.actions \
             FROM half_year_projects p JOIN half_year_returns r ON r.id = p.half_year_return_id \
             JOIN plan_lines l ON l.id = p.plan_line_id \
             JOIN allocations a ON a.id = r.allocation_id JOIN partnerships pa ON pa.id = a.partnership_id \
             JOIN fund_years y ON y.id = a.fund_year_id \
             WHERE {IN_SCOPE} AND p.id > $3 ORDER BY p.id LIMIT $4"
        );
        let mut rows: Vec<HalfYearProjectExport> = chunk_of(conn, sql, scope, after, limit)?;
        for row in &mut rows {
            row.letter = letter(usize::try_from(row.position).unwrap_or_default());
        }
        Ok(rows)
    }

    fn key(&self) -> i64 {
        self.row_key
    }
}

/// A line of a final report, as the report shows it, with the report's place.
#[derive(QueryableByName, Serialize, Debug, Clone, PartialEq, Eq)]
pub struct FinalLineExport {
    #[serde(skip)]
    #[diesel(sql_type = BigInt)]
    row_key: i64,
    #[diesel(sql_type = BigInt)]
    pub final_report_id: i64,
    #[diesel(sql_type = Text)]
    pub fund_year: String,
    #[diesel(sql_type = BigInt)]
    pub partnership_id: i64,
    #[diesel(sql_type = Text)]
    pub partnership: String,
    #[diesel(sql_type = Text)]
    pub report_status: Status,
    #[diesel(sql_type = Integer)]
    pub plan_line: i32,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = BigInt)]
    pub allocated: Money,
    #[diesel(sql_type = BigInt)]
    pub actual_spend: Money,
    #[diesel(sql_type = BigInt)]
    pub variance: Money,
    #[diesel(sql_type = BigInt)]
    pub virements_in: Money,
    #[diesel(sql_type = BigInt)]
    pub virements_out: Money,
    #[diesel(sql_type = BigInt)]
    pub allocated_after_virements: Money,
    #[diesel(sql_type = Text)]
    pub variance_explanation: String,
    #[diesel(sql_type = Text)]
    pub outcomes: String,
}

impl CsvRow for FinalLineExport {
    const COLUMNS: &'static [&'static str] = &[
        "final_report_id",
        "fund_year",
        "partnership_id",
        "partnership",
        "report_status",
        "plan_line",
        "title",
        "allocated",
        "actual_spend",
        "variance",
        "virements_in",
        "virements_out",
        "allocated_after_virements",
        "variance_explanation",
        "outcomes",
    ];
}

impl Export for FinalLineExport {
    const FILE_NAME: &'static str = "final-report-lines.csv";

    fn chunk(
        conn: &mut DbConnection,
        caller: &Caller,
        filter: &ReportFilter,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Self>, Error> {
        let Some(scope) = scope(caller, filter) else {
            return Ok(Vec::new());
        };
        let moved = |end: &str| {
            format!(
                "CAST(COALESCE((SELECT SUM(v.amount_pence) FROM virements v \
                                WHERE v.final_report_id = f.id AND v.{end}_plan_line_id = l.id), 0) AS BIGINT)"
            )
        };
        let sql = format!(
            "SELECT row_key, final_report_id, fund_year, partnership_id, partnership, report_status, plan_line, \
                    title, allocated, actual_spend, actual_spend - allocated AS variance, virements_in, \
                    virements_out, allocated + virements_in - virements_out AS allocated_after_virements, \
                    variance_explanation, outcomes \
             FROM (SELECT fl.id AS row_key, f.id AS final_report_id, y.label AS fund_year, a.partnership_id, \
                          pa.name AS partnership, f.status AS report_status, l.number AS plan_line, l.title, \
                          l.amount_pence AS allocated, fl.actual_spend_pence AS actual_spend, \
                          {into} AS virements_in, {out_of} AS virements_out, fl.variance_explanation, fl.outcomes \
                   FROM final_report_lines fl JOIN final_reports f ON f.id = fl.final_report_id \
                   JOIN plan_lines l ON l.id = fl.plan_line_id \
                   JOIN allocations a ON a.id = f.allocation_id JOIN partnerships pa ON pa.id = a.partnership_id \
                   JOIN fund_years y ON y.id = a.fund_year_id \
                   WHERE {IN_SCOPE} AND fl.id > $3) AS reported \
             ORDER BY row_key LIMIT $4",
            into = moved("to"),
            out_of = moved("from"),
        );
        chunk_of(conn, sql, scope, after, limit)
    }

    fn key(&self) -> i64 {
        self.row_key
    }
}

impl CsvRow for Payment {
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "half_year_return_id",
        "partnership_id",
        "partnership",
        "fund_year",
        "amount",
        "paid_on",
        "remittance_reference",
        "recorded_by",
        "recorded_at",
    ];
}

impl Export for Payment {
    const FILE_NAME: &'static str = "payments.csv";

    fn chunk(
        conn: &mut DbConnection,
        caller: &Caller,
        filter: &ReportFilter,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Self>, Error> {
        let filter = PaymentFilter {
            fund_year: filter.fund_year.clone(),
            partnership_id: filter.partnership_id,
        };
        Ok(payments::list(conn, caller, &filter, &PageRequest { limit, after })?.items)
    }

    fn key(&self) -> i64 {
        self.id
    }
}
