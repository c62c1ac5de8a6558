//! The fund by Police & Crime Plan priority: money planned and spent on the lines serving each.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::ReportFilter;
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::error::Error;
use crate::money::Money;
use crate::schema::{fund_years, plan_line_priorities, priorities};
use crate::tables::{CsvRow, Table};

/// Said with every priority report, because its rows do not add up to its totals.
pub const COUNTED_PER_PRIORITY: &str = "A plan line serving several priorities counts in full under each of them, \
     so the rows add up to more than the totals; the totals count every line once.";

/// The approved plans' lines serving one priority in one fund year.
#[derive(Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[schema(example = json!({"fund_year": "2017-18", "priority": 3, "title": "Protecting people at risk of abuse",
    "plan_lines": 4, "planned": "327200.00", "spent": "327200.00"}))]
pub struct PriorityYear {
    pub fund_year: String,
    /// The priority's number in the fund year's Police & Crime Plan.
    pub priority: i32,
    pub title: String,
    /// Lines of approved plans serving the priority.
    pub plan_lines: i64,
    /// Those lines' amounts, each in full.
    pub planned: Money,
    /// Their actual spend in submitted final reports; zero until reported.
    pub spent: Money,
}

/// Every line of the approved plans counted once.
#[derive(Serialize, ToSchema, Debug, Clone, Default, PartialEq, Eq)]
pub struct PriorityTotals {
    pub plan_lines: i64,
    /// Lines serving more than one priority: each is in several rows, once here.
    pub lines_serving_several_priorities: i64,
    pub planned: Money,
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

diesel::table! {
    /// Every line of an approved plan (a view: see its migration).
    approved_plan_lines (plan_line_id) {
        plan_line_id -> BigInt,
        fund_year_id -> BigInt,
        fund_year -> Text,
        partnership_id -> BigInt,
        planned -> BigInt,
        spent -> Nullable<BigInt>,
        priorities_served -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(approved_plan_lines, plan_line_priorities);

/// `$query` (over the approved plans' lines) narrowed to the report's fund year and partnership
/// (`None`: every one). A macro because the two queries it narrows select different columns.
macro_rules! lines_in_scope {
    ($query:expr, $fund_year:expr, $partnership:expr) => {{
        let mut query = $query.into_boxed();
        if let Some(label) = $fund_year {
            query = query.filter(approved_plan_lines::fund_year.eq(label.clone()));
        }
        if let Some(id) = $partnership {
            query = query.filter(approved_plan_lines::partnership_id.eq(id));
        }
        query
    }};
}

pub fn by_priority(conn: &mut DbConnection, caller: &Caller, filter: &ReportFilter) -> Result<FundByPriority, Error> {
    let note = COUNTED_PER_PRIORITY.to_owned();
    let Some(scope) = filter.scope(caller) else {
        return Ok(FundByPriority {
            note,
            rows: Vec::new(),
            totals: PriorityTotals::default(),
        });
    };
    let (fund_year, partnership) = (scope.fund_year.as_ref(), scope.partnership);
    let mut priorities_of_years = fund_years::table
        .inner_join(priorities::table.on(priorities::priority_set_id.eq(fund_years::priority_set_id)))
        .order((fund_years::starts_on, priorities::number))
        .select((
            fund_years::id,
            fund_years::label,
            priorities::id,
            priorities::number,
            priorities::title,
        ))
        .into_boxed();
    if let Some(label) = fund_year {
        priorities_of_years = priorities_of_years.filter(fund_years::label.eq(label.clone()));
    }
    let priorities_of_years: Vec<(i64, String, i64, i32, String)> = priorities_of_years.load(conn)?;
    let served: Vec<(i64, i64, Money, Option<Money>)> = lines_in_scope!(
        approved_plan_lines::table
            .inner_join(
                plan_line_priorities::table
                    .on(plan_line_priorities::plan_line_id.eq(approved_plan_lines::plan_line_id)),
            )
            .select((
                approved_plan_lines::fund_year_id,
                plan_line_priorities::priority_id,
                approved_plan_lines::planned,
                approved_plan_lines::spent,
            )),
        fund_year,
        partnership
    )
    .load(conn)?;
    let lines: Vec<(Money, Option<Money>, i64)> = lines_in_scope!(
        approved_plan_lines::table.select((
            approved_plan_lines::planned,
            approved_plan_lines::spent,
            approved_plan_lines::priorities_served,
        )),
        fund_year,
        partnership
    )
    .load(conn)?;
    let mut by_priority: HashMap<(i64, i64), Vec<LineSpend>> = HashMap::new();
    for (year, priority, planned, spent) in served {
        by_priority.entry((year, priority)).or_default().push((planned, spent));
    }
    let rows = priorities_of_years
        .into_iter()
        .map(|(year, fund_year, priority_id, priority, title)| {
            let lines = by_priority.remove(&(year, priority_id)).unwrap_or_default();
            let (plan_lines, planned, spent) = count_and_sum(lines.into_iter())?;
            Ok(PriorityYear {
                fund_year,
                priority,
                title,
                plan_lines,
                planned,
                spent,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let (plan_lines, planned, spent) = count_and_sum(lines.iter().map(|(planned, spent, _)| (*planned, *spent)))?;
    let totals = PriorityTotals {
        plan_lines,
        lines_serving_several_priorities: lines.iter().filter(|(_, _, served)| *served > 1).count() as i64,
        planned,
        spent,
    };
    Ok(FundByPriority { note, rows, totals })
}

/// A line's planned amount and its spend, if reported.
type LineSpend = (Money, Option<Money>);

/// How many lines, what they plan and what they spent (a line not yet reported spent nothing).
fn count_and_sum(lines: impl Iterator<Item = LineSpend> + Clone) -> Result<(i64, Money, Money), Error> {
    let overflow = || Error::internal("report total overflow");
    Ok((
        lines.clone().count() as i64,
        Money::sum(lines.clone().map(|(planned, _)| planned)).ok_or_else(overflow)?,
        Money::sum(lines.filter_map(|(_, spent)| spent)).ok_or_else(overflow)?,
    ))
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
