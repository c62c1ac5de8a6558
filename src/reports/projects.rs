//! The half-year returns' projects by RAG rating and by provider status.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::ReportFilter;
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::error::Error;
use crate::half_year_returns::{Half, ProviderStatus, Rag};
use crate::money::Money;
use crate::tables::{CsvRow, Table};

/// The projects of submitted half-year returns with one RAG rating, for one half of a fund year.
#[derive(Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[schema(example = json!({"fund_year": "2017-18", "half": "first", "rag": "achieved", "projects": 4,
    "funding": "327200.00", "expenditure_to_date": "131900.00"}))]
pub struct RagHalf {
    pub fund_year: String,
    pub half: Half,
    pub rag: Rag,
    pub projects: i64,
    /// What the plan gives the projects' lines.
    pub funding: Money,
    /// The projects' expenditure to date, as the returns itemise it.
    pub expenditure_to_date: Money,
}

/// The projects of submitted half-year returns whose providers have one status, for one half of
/// a fund year.
#[derive(Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[schema(example = json!({"fund_year": "2017-18", "half": "first", "provider_status": "voluntary",
    "projects": 5, "funding": "363200.00", "expenditure_to_date": "131900.00"}))]
pub struct ProviderStatusHalf {
    pub fund_year: String,
    pub half: Half,
    pub provider_status: ProviderStatus,
    pub projects: i64,
    pub funding: Money,
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

diesel::table! {
    /// Every project of a submitted half-year return (a view: see its migration).
    submitted_projects (project_id) {
        project_id -> BigInt,
        fund_year -> Text,
        starts_on -> Date,
        partnership_id -> BigInt,
        half -> Text,
        rag -> Text,
        provider_status -> Text,
        funding -> BigInt,
        expenditure_to_date -> BigInt,
    }
}

type ProjectRow = (String, NaiveDate, Half, Rag, ProviderStatus, Money, Money);

/// The projects of one fund year and half that share the word a report groups by.
struct ProjectGroup<K> {
    fund_year: String,
    half: Half,
    key: K,
    funding: Vec<Money>,
    spent: Vec<Money>,
}

/// The projects of the submitted returns in the report's scope, a group per fund year, half and
/// the word `by` gives, in that order: how many, their funding and their expenditure to date.
fn grouped<K: Copy>(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &ReportFilter,
    by: fn(&ProjectRow) -> (K, &'static str),
) -> Result<Vec<ProjectGroup<K>>, Error> {
    let Some(scope) = filter.scope(caller) else {
        return Ok(Vec::new());
    };
    let mut query = submitted_projects::table
        .select((
            submitted_projects::fund_year,
            submitted_projects::starts_on,
            submitted_projects::half,
            submitted_projects::rag,
            submitted_projects::provider_status,
            submitted_projects::funding,
            submitted_projects::expenditure_to_date,
        ))
        .into_boxed();
    if let Some(label) = scope.fund_year {
        query = query.filter(submitted_projects::fund_year.eq(label));
    }
    if let Some(id) = scope.partnership {
        query = query.filter(submitted_projects::partnership_id.eq(id));
    }
    let projects: Vec<ProjectRow> = query.load(conn)?;
    let mut groups: BTreeMap<(NaiveDate, String, &'static str, &'static str), ProjectGroup<K>> = BTreeMap::new();
    for project in &projects {
        let (key, word) = by(project);
        let (fund_year, starts_on, half, .., funding, spent) = project;
        let group = groups
            .entry((*starts_on, fund_year.clone(), half.as_str(), word))
            .or_insert_with(|| ProjectGroup {
                fund_year: fund_year.clone(),
                half: *half,
                key,
                funding: Vec::new(),
                spent: Vec::new(),
            });
        group.funding.push(*funding);
        group.spent.push(*spent);
    }
    Ok(groups.into_values().collect())
}

impl<K> ProjectGroup<K> {
    /// How many projects, their funding and their expenditure to date.
    fn figures(&self) -> Result<(i64, Money, Money), Error> {
        let overflow = || Error::internal("report total overflow");
        Ok((
            self.funding.len() as i64,
            Money::sum(self.funding.iter().copied()).ok_or_else(overflow)?,
            Money::sum(self.spent.iter().copied()).ok_or_else(overflow)?,
        ))
    }
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
    let rows = grouped(conn, caller, filter, |p| (p.3, p.3.as_str()))?
        .into_iter()
        .map(|group| {
            let (projects, funding, expenditure_to_date) = group.figures()?;
            Ok(RagHalf {
                fund_year: group.fund_year,
                half: group.half,
                rag: group.key,
                projects,
                funding,
                expenditure_to_date,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let totals = totals(rows.iter().map(|r| (r.projects, r.funding, r.expenditure_to_date)))?;
    Ok(ProjectsByRag { rows, totals })
}

pub fn by_provider_status(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &ReportFilter,
) -> Result<ProjectsByProviderStatus, Error> {
    let rows = grouped(conn, caller, filter, |p| (p.4, p.4.as_str()))?
        .into_iter()
        .map(|group| {
            let (projects, funding, expenditure_to_date) = group.figures()?;
            Ok(ProviderStatusHalf {
                fund_year: group.fund_year,
                half: group.half,
                provider_status: group.key,
                projects,
                funding,
                expenditure_to_date,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
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
