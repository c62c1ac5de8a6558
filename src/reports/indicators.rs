//! Indicators: each approved plan line's targets against the actuals reported at half year and
//! at year end. One query gathers them; whether a target is met is judged exactly, by the same
//! comparison the documents use.

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::ReportFilter;
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::error::Error;
use crate::measures::{Comparison, Measure, describe_target};
use crate::tables::{CsvRow, Table};

diesel::table! {
    /// Every indicator of an approved plan's lines, with its actuals (a view: see its migration).
    indicator_outcomes (allocation_id, plan_line, indicator) {
        fund_year -> Text,
        starts_on -> Date,
        allocation_id -> BigInt,
        partnership_id -> BigInt,
        partnership -> Text,
        plan_line -> Integer,
        title -> Text,
        indicator -> Integer,
        name -> Text,
        comparison -> Nullable<Text>,
        target -> Nullable<Text>,
        unit -> Text,
        first_half_actual -> Nullable<Text>,
        second_half_actual -> Nullable<Text>,
        year_end_actual -> Nullable<Text>,
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = indicator_outcomes, check_for_backend(crate::db::MultiBackend))]
struct IndicatorRow {
    fund_year: String,
    partnership_id: i64,
    partnership: String,
    plan_line: i32,
    title: String,
    indicator: i32,
    name: String,
    comparison: Option<String>,
    target: Option<String>,
    unit: String,
    first_half_actual: Option<String>,
    second_half_actual: Option<String>,
    year_end_actual: Option<String>,
}

/// One indicator of an approved plan line, its target and what was reported against it. `met`
/// is null for a qualitative indicator or an actual not yet reported.
#[derive(Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[schema(example = json!({"fund_year": "2017-18", "partnership_id": 1, "partnership": "Safer Plymouth",
    "plan_line": 1, "title": "Plymouth Domestic Abuse Service", "indicator": 2,
    "name": "Victims referred to the service who engage with it", "comparison": "at_least", "target": "75",
    "unit": "%", "target_text": ">= 75 %", "first_half_actual": "68", "first_half_met": false,
    "second_half_actual": null, "second_half_met": null, "year_end_actual": "84", "year_end_met": true}))]
pub struct IndicatorOutcome {
    pub fund_year: String,
    pub partnership_id: i64,
    pub partnership: String,
    pub plan_line: i32,
    pub title: String,
    /// The indicator's number within the plan line.
    pub indicator: i32,
    pub name: String,
    pub comparison: Option<Comparison>,
    pub target: Option<Measure>,
    pub unit: String,
    pub target_text: Option<String>,
    /// From the submitted first half-year return.
    pub first_half_actual: Option<Measure>,
    pub first_half_met: Option<bool>,
    /// From the submitted second half-year return.
    pub second_half_actual: Option<Measure>,
    pub second_half_met: Option<bool>,
    /// From the submitted final report.
    pub year_end_actual: Option<Measure>,
    pub year_end_met: Option<bool>,
}

/// Counts over the indicators with a target.
#[derive(Serialize, ToSchema, Debug, Clone, Default, PartialEq, Eq)]
pub struct IndicatorTotals {
    pub indicators: i64,
    /// Indicators with a measurable target.
    pub with_target: i64,
    pub met_at_year_end: i64,
    pub not_met_at_year_end: i64,
    /// With a target but no year-end actual yet.
    pub awaiting_year_end: i64,
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct IndicatorOutcomes {
    pub rows: Vec<IndicatorOutcome>,
    pub totals: IndicatorTotals,
}

impl IndicatorRow {
    fn judge(self) -> IndicatorOutcome {
        let comparison = self.comparison.as_deref().and_then(Comparison::parse);
        let target: Option<Measure> = self.target.as_deref().and_then(|t| t.parse().ok());
        let measured = comparison.zip(target);
        let actual = |text: Option<String>| -> (Option<Measure>, Option<bool>) {
            let actual: Option<Measure> = text.and_then(|t| t.parse().ok());
            (actual, measured.zip(actual).map(|((c, t), a)| c.met(a, t)))
        };
        let (first_half_actual, first_half_met) = actual(self.first_half_actual);
        let (second_half_actual, second_half_met) = actual(self.second_half_actual);
        let (year_end_actual, year_end_met) = actual(self.year_end_actual);
        IndicatorOutcome {
            target_text: measured.map(|(c, t)| describe_target(c, t, &self.unit)),
            fund_year: self.fund_year,
            partnership_id: self.partnership_id,
            partnership: self.partnership,
            plan_line: self.plan_line,
            title: self.title,
            indicator: self.indicator,
            name: self.name,
            comparison,
            target,
            unit: self.unit,
            first_half_actual,
            first_half_met,
            second_half_actual,
            second_half_met,
            year_end_actual,
            year_end_met,
        }
    }
}

impl IndicatorTotals {
    fn of(rows: &[IndicatorOutcome]) -> IndicatorTotals {
        let count = |keep: fn(&IndicatorOutcome) -> bool| rows.iter().filter(|r| keep(r)).count() as i64;
        IndicatorTotals {
            indicators: rows.len() as i64,
            with_target: count(|r| r.target_text.is_some()),
            met_at_year_end: count(|r| r.year_end_met == Some(true)),
            not_met_at_year_end: count(|r| r.year_end_met == Some(false)),
            awaiting_year_end: count(|r| r.target_text.is_some() && r.year_end_actual.is_none()),
        }
    }
}

pub fn indicator_outcomes(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &ReportFilter,
) -> Result<IndicatorOutcomes, Error> {
    let Some(scope) = filter.scope(caller) else {
        return Ok(IndicatorOutcomes {
            rows: Vec::new(),
            totals: IndicatorTotals::default(),
        });
    };
    let mut query = indicator_outcomes::table
        .order((
            indicator_outcomes::starts_on,
            indicator_outcomes::partnership,
            indicator_outcomes::allocation_id,
            indicator_outcomes::plan_line,
            indicator_outcomes::indicator,
        ))
        .select(IndicatorRow::as_select())
        .into_boxed();
    if let Some(label) = scope.fund_year {
        query = query.filter(indicator_outcomes::fund_year.eq(label));
    }
    if let Some(id) = scope.partnership {
        query = query.filter(indicator_outcomes::partnership_id.eq(id));
    }
    let rows: Vec<IndicatorRow> = query.load(conn)?;
    let rows: Vec<IndicatorOutcome> = rows.into_iter().map(IndicatorRow::judge).collect();
    let totals = IndicatorTotals::of(&rows);
    Ok(IndicatorOutcomes { rows, totals })
}

impl CsvRow for IndicatorOutcome {
    const COLUMNS: &'static [&'static str] = &[
        "fund_year",
        "partnership_id",
        "partnership",
        "plan_line",
        "title",
        "indicator",
        "name",
        "comparison",
        "target",
        "unit",
        "target_text",
        "first_half_actual",
        "first_half_met",
        "second_half_actual",
        "second_half_met",
        "year_end_actual",
        "year_end_met",
    ];
}

impl Table for IndicatorOutcomes {
    type Row = IndicatorOutcome;
    fn rows(&self) -> &[IndicatorOutcome] {
        &self.rows
    }
}
