//! The half-year returns' projects by RAG rating and by provider status.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ReportFilter, SUBMITTED, partnership_of, pence};
use crate::auth::Caller;
use crate::db::{DbConnection, MultiBackend};
use crate::error::Error;
use crate::half_year_returns::{Half, ProviderStatus, Rag};
use crate::money::Money;
use crate::tables::{CsvRow, Table};

/// The projects of submitted half-year returns with one RAG rating, for one half of a fund year.
#[derive(QueryableByName, Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[schema(example = json!({"fund_year": "2017-18", "half": "first", "rag": "achieved", "projects": 4,
    "funding": "327200.00", "expenditure_to_date": "131900.00"}))]
pub struct RagHalf {
    #[diesel(sql_type = Text)]
    pub fund_year: String,
    #[diesel(sql_type = Text)]
    pub half: Half,
    #[diesel(sql_type = Text)]
    pub rag: Rag,
    #[diesel(sql_type = BigInt)]
    pub projects: i64,
    /// What the plan gives the projects' lines.
    #[diesel(sql_type = BigInt)]
    pub funding: Money,
    /// The projects' expenditure to date, as the returns itemise it.
    #[diesel(sql_type = BigInt)]
    pub expenditure_to_date: Money,
}

/// The projects of submitted half-year returns whose providers have one status, for one half of
/// a fund year.
#[derive(QueryableByName, Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[schema(example = json!({"fund_year": "2017-18", "half": "first", "provider_status": "voluntary",
    "projects": 5, "funding": "363200.00", "expenditure_to_date": "131900.00"}))]
pub struct ProviderStatusHalf {
    #[diesel(sql_type = Text)]
    pub fund_year: String,
    #[diesel(sql_type = Text)]
    pub half: Half,
    #[diesel(sql_type = Text)]
    pub provider_status: ProviderStatus,
    #[diesel(sql_type = BigInt)]
    pub projects: i64,
    #[diesel(sql_type = BigInt)]
    pub funding: Money,
    #[diesel(sql_type = BigInt)]
    pub expenditure_to_date: Money,
}

/// Projects counted once each.
#[derive(Serialize, ToSchema, Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectTotals {
    pub projects: i64,
    pub funding: Money,
    pub expenditure_to_date: Money,
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct ProjectsByRag {
    pub rows: Vec<RagHalf>,
    pub totals: ProjectTotals,
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct ProjectsByProviderStatus {
    pub rows: Vec<ProviderStatusHalf>,
    pub totals: ProjectTotals,
}

/// The column of `half_year_projects` a report groups by; never text from a request.
#[derive(Clone, Copy)]
enum Grouping {
    Rag,
    ProviderStatus,
}

impl Grouping {
    fn column(self) -> &'static str {
        match self {
            Grouping::Rag => "rag",
            Grouping::ProviderStatus => "provider_status",
        }
    }
}

fn grouped<Row: QueryableByName<MultiBackend> + 'static>(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &ReportFilter,
    grouping: Grouping,
) -> Result<Vec<Row>, Error> {
    let Ok(partnership) = partnership_of(caller, filter) else {
        return Ok(Vec::new());
    };
    let column = grouping.column();
    let (funding, spent) = (pence("SUM(l.amount_pence)"), pence("SUM(e.spent)"));
    let sql = format!(
        "SELECT y.label AS fund_year, r.half AS half, p.{column} AS {column}, COUNT(*) AS projects, \
                {funding} AS funding, {spent} AS expenditure_to_date \
         FROM half_year_projects p \
         JOIN half_year_returns r ON r.id = p.half_year_return_id \
         JOIN plan_lines l ON l.id = p.plan_line_id \
         JOIN allocations a ON a.id = r.allocation_id \
         JOIN fund_years y ON y.id = a.fund_year_id \
         LEFT JOIN (SELECT half_year_project_id, SUM(amount_pence) AS spent \
                    FROM half_year_expenditure_items GROUP BY half_year_project_id) e \
             ON e.half_year_project_id = p.id \
         WHERE r.status IN {SUBMITTED} AND ($1 = '' OR y.label = $1) AND ($2 = 0 OR a.partnership_id = $2) \
         GROUP BY y.label, y.starts_on, r.half, p.{column} \
         ORDER BY y.starts_on, r.half, p.{column}"
    );
    Ok(diesel::sql_query(sql)
        .bind::<Text, _>(filter.fund_year.clone().unwrap_or_default())
        .bind::<BigInt, _>(partnership.unwrap_or(0))
        .load(conn)?)
}

fn totals(rows: impl Iterator<Item = (i64, Money, Money)> + Clone) -> Result<ProjectTotals, Error> {
    let overflow = || Error::internal("report total overflow");
    Ok(ProjectTotals {
        projects: rows.clone().map(|r| r.0).sum(),
        funding: Money::sum(rows.clone().map(|r| r.1)).ok_or_else(overflow)?,
        expenditure_to_date: Money::sum(rows.map(|r| r.2)).ok_or_else(overflow)?,
    })
}

pub fn by_rag(conn: &mut DbConnection, caller: &Caller, filter: &ReportFilter) -> Result<ProjectsByRag, Error> {
    let rows: Vec<RagHalf> = grouped(conn, caller, filter, Grouping::Rag)?;
    let totals = totals(rows.iter().map(|r| (r.projects, r.funding, r.expenditure_to_date)))?;
    Ok(ProjectsByRag { rows, totals })
}

pub fn by_provider_status(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &ReportFilter,
) -> Result<ProjectsByProviderStatus, Error> {
    let rows: Vec<ProviderStatusHalf> = grouped(conn, caller, filter, Grouping::ProviderStatus)?;
    let totals = totals(rows.iter().map(|r| (r.projects, r.funding, r.expenditure_to_date)))?;
    Ok(ProjectsByProviderStatus { rows, totals })
}

impl CsvRow for RagHalf {
    const COLUMNS: &'static [&'static str] =
        &["fund_year", "half", "rag", "projects", "funding", "expenditure_to_date"];
}

impl CsvRow for ProviderStatusHalf {
    const COLUMNS: &'static [&'static str] = &[
        "fund_year",
        "half",
        "provider_status",
        "projects",
        "funding",
        "expenditure_to_date",
    ];
}

impl Table for ProjectsByRag {
    type Row = RagHalf;
    fn rows(&self) -> &[RagHalf] {
        &self.rows
    }
}

impl Table for ProjectsByProviderStatus {
    type Row = ProviderStatusHalf;
    fn rows(&self) -> &[ProviderStatusHalf] {
        &self.rows
    }
}
