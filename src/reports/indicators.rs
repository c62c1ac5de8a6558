//! Indicators: each approved plan line's targets against the actuals reported at half year and
//! at year end. One query gathers them; whether a target is met is judged exactly, by the same
//! comparison the documents use.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ReportFilter, SUBMITTED, partnership_of};
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::error::Error;
use crate::measures::{Comparison, Measure, describe_target};
use crate::tables::{CsvRow, Table};

#[derive(QueryableByName)]
struct IndicatorRow {
    #[diesel(sql_type = Text)]
    fund_year: String,
    #[diesel(sql_type = BigInt)]
    partnership_id: i64,
    #[diesel(sql_type = Text)]
    partnership: String,
    #[diesel(sql_type = Integer)]
    plan_line: i32,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Integer)]
    indicator: i32,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Nullable<Text>)]
    comparison: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    target: Option<String>,
    #[diesel(sql_type = Text)]
    unit: String,
    #[diesel(sql_type = Nullable<Text>)]
    first_half_actual: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    second_half_actual: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
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
    let Ok(partnership) = partnership_of(caller, filter) else {
        return Ok(IndicatorOutcomes {
            rows: Vec::new(),
            totals: IndicatorTotals::default(),
        });
    };
    let half_year_actual = |half: &str| {
        format!(
            "(SELECT MAX(ha.actual) FROM half_year_indicator_actuals ha \
              JOIN half_year_projects hp ON hp.id = ha.half_year_project_id \
              JOIN half_year_returns r ON r.id = hp.half_year_return_id \
              WHERE ha.plan_line_indicator_id = i.id AND r.half = '{half}' AND r.status IN {SUBMITTED})"
        )
    };
    let sql = format!(
        "SELECT y.label AS fund_year, a.partnership_id, pa.name AS partnership, l.number AS plan_line, \
                l.title, i.number AS indicator, i.name, i.comparison, i.target, i.unit, \
                {first} AS first_half_actual, {second} AS second_half_actual, \
                (SELECT MAX(fa.actual) FROM final_report_indicator_actuals fa \
                 JOIN final_report_lines fl ON fl.id = fa.final_report_line_id \
                 JOIN final_reports f ON f.id = fl.final_report_id \
                 WHERE fa.plan_line_indicator_id = i.id AND f.status IN {SUBMITTED}) AS year_end_actual \
         FROM plan_line_indicators i \
         JOIN plan_lines l ON l.id = i.plan_line_id \
         JOIN plans pl ON pl.id = l.plan_id \
         JOIN allocations a ON a.id = pl.allocation_id \
         JOIN partnerships pa ON pa.id = a.partnership_id \
         JOIN fund_years y ON y.id = a.fund_year_id \
         WHERE pl.status = 'approved' AND ($1 = '' OR y.label = $1) AND ($2 = 0 OR a.partnership_id = $2) \
         ORDER BY y.starts_on, pa.name, a.id, l.number, i.number",
        first = half_year_actual("first"),
        second = half_year_actual("second"),
    );
    let rows: Vec<IndicatorRow> = diesel::sql_query(sql)
        .bind::<Text, _>(filter.fund_year.clone().unwrap_or_default())
        .bind::<BigInt, _>(partnership.unwrap_or(0))
        .load(conn)?;
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
