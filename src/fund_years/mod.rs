//! Fund years: the financial year (1 April to 31 March, written "2021-22"), its deadlines, and
//! the Police & Crime Plan priorities its plans cite.

pub mod http;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::db::{DbConnection, write_transaction};
use crate::error::{Error, Violations};
use crate::history::Action;
use crate::money::Money;
use crate::pagination::{Page, PageRequest, in_page_order};
use crate::preconditions::{Precondition, changed_meanwhile};
use crate::schema::{allocations, fund_years, plans};
use crate::{history, priority_sets, timestamps};

/// How long after the year ends a final report may fall due.
const FINAL_REPORT_GRACE_DAYS: i64 = 183;

#[derive(Queryable, Selectable, Serialize, ToSchema, Debug, Clone)]
#[diesel(table_name = fund_years, check_for_backend(crate::db::MultiBackend))]
#[schema(example = json!({"id": 2, "label": "2021-22", "starts_on": "2021-04-01", "ends_on": "2022-03-31",
    "plan_due": "2021-05-28", "first_half_return_due": "2021-11-05", "second_half_return_due": "2022-05-06",
    "final_report_due": "2022-06-30", "priority_set_id": 1, "created_at": "2026-11-22T09:00:00Z", "updated_at": "2026-11-22T09:00:00Z",
    "amendment_threshold": "5000.00", "amendment_threshold_percent": 10, "version": 1}))]
pub struct FundYear {
    pub id: i64,
    /// The financial year, e.g. "2021-22".
    pub label: String,
    /// Always 1 April.
    pub starts_on: NaiveDate,
    /// Always 31 March of the next calendar year.
    pub ends_on: NaiveDate,
    /// Spending Intentions Plans are due.
    pub plan_due: NaiveDate,
    /// First-half returns (April to September) are due (e.g. Friday 3 November).
    pub first_half_return_due: NaiveDate,
    /// Second-half returns (October to March) are due, at most six months after the year ends.
    pub second_half_return_due: NaiveDate,
    /// Final evaluation reports are due (up to six months after the year ends).
    pub final_report_due: NaiveDate,
    /// The Police & Crime Plan priorities plan lines cite this year.
    pub priority_set_id: i64,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub updated_at: NaiveDateTime,
    /// An amendment to an approved plan that moves at most this much on any line takes effect
    /// without review (with `amendment_threshold_percent`, both must hold). Null: always reviewed.
    #[diesel(column_name = amendment_threshold_pence)]
    pub amendment_threshold: Option<Money>,
    /// The same, as a percentage of the line's amount.
    pub amendment_threshold_percent: Option<i32>,
    /// Increases with every change; the ETag. Send it back in If-Match to change it.
    pub version: i32,
}

#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"label": "2021-22", "plan_due": "2021-05-28", "first_half_return_due": "2021-11-05",
    "second_half_return_due": "2022-05-06", "final_report_due": "2022-06-30", "priority_set_id": 1}))]
pub struct NewFundYear {
    /// "YYYY-YY": the year starting 1 April YYYY.
    pub label: String,
    pub plan_due: NaiveDate,
    pub first_half_return_due: NaiveDate,
    pub second_half_return_due: NaiveDate,
    pub final_report_due: NaiveDate,
    pub priority_set_id: i64,
    /// Plan amendments moving at most this much per line take effect without review.
    pub amendment_threshold: Option<Money>,
    /// ... and at most this percentage of the line (0 to 100).
    pub amendment_threshold_percent: Option<i32>,
}

/// Deadlines or priority set to change; absent fields keep their value.
#[derive(Deserialize, ToSchema, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct FundYearChanges {
    pub plan_due: Option<NaiveDate>,
    pub first_half_return_due: Option<NaiveDate>,
    pub second_half_return_due: Option<NaiveDate>,
    pub final_report_due: Option<NaiveDate>,
    /// Cannot change once a plan of the year exists (its lines cite the current set).
    pub priority_set_id: Option<i64>,
    #[serde(default, deserialize_with = "crate::patch::present")]
    #[schema(value_type = Option<Money>)]
    pub amendment_threshold: Option<Option<Money>>,
    #[serde(default, deserialize_with = "crate::patch::present")]
    #[schema(value_type = Option<i32>)]
    pub amendment_threshold_percent: Option<Option<i32>>,
}

fn check_threshold_percent(v: &mut Violations, percent: Option<i32>) {
    if let Some(percent) = percent {
        v.check(
            (0..=100).contains(&percent),
            "amendment_threshold_percent",
            "range",
            "must be between 0 and 100",
        );
    }
}

/// The first and last day of a financial year label such as "2021-22".
pub fn period_of(label: &str) -> Option<(NaiveDate, NaiveDate)> {
    let (start, end) = label.split_once('-')?;
    if start.len() != 4 || end.len() != 2 || !start.bytes().chain(end.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i32 = start.parse().ok()?;
    let next: i32 = end.parse().ok()?;
    if (year + 1) % 100 != next {
        return None;
    }
    Some((
        NaiveDate::from_ymd_opt(year, 4, 1)?,
        NaiveDate::from_ymd_opt(year + 1, 3, 31)?,
    ))
}

crate::stored_enum! {
    /// Which half of the fund year a return covers.
    pub enum Half {
        First => "first",
        Second => "second",
    }
}

/// A fund year's due dates, one per document.
#[derive(Debug, Clone, Copy)]
pub struct DueDates {
    pub plan: NaiveDate,
    pub first_half: NaiveDate,
    pub second_half: NaiveDate,
    pub final_report: NaiveDate,
}

/// The deadline rules: the plan and the first half's return due within the year, in that order;
/// the second half's return after the first, and the final report no earlier than it, at most
/// six months after the year ends.
fn check_deadlines(v: &mut Violations, starts_on: NaiveDate, ends_on: NaiveDate, due: DueDates) {
    let within = |d: NaiveDate| (starts_on..=ends_on).contains(&d);
    let year = format!("{starts_on} to {ends_on}");
    v.check(
        within(due.plan),
        "plan_due",
        "within_fund_year",
        format!("must fall within the fund year ({year})"),
    );
    v.check(
        within(due.first_half),
        "first_half_return_due",
        "within_fund_year",
        format!("must fall within the fund year ({year})"),
    );
    v.check(
        due.first_half > due.plan,
        "first_half_return_due",
        "after_plan_due",
        "must be after plan_due",
    );
    v.check(
        due.second_half > due.first_half,
        "second_half_return_due",
        "after_first_half_return_due",
        "must be after first_half_return_due",
    );
    v.check(
        due.final_report >= due.second_half,
        "final_report_due",
        "not_before_second_half_return_due",
        "must be on or after second_half_return_due",
    );
    let latest = ends_on + chrono::TimeDelta::days(FINAL_REPORT_GRACE_DAYS);
    v.check(
        due.final_report <= latest,
        "final_report_due",
        "within_grace_period",
        format!("must be no later than {latest}"),
    );
}

pub fn find(conn: &mut DbConnection, id: i64) -> Result<Option<FundYear>, Error> {
    Ok(fund_years::table
        .find(id)
        .select(FundYear::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_label(conn: &mut DbConnection, label: &str) -> Result<Option<FundYear>, Error> {
    Ok(fund_years::table
        .filter(fund_years::label.eq(label))
        .select(FundYear::as_select())
        .first(conn)
        .optional()?)
}

/// A fund year, for a handler: every signed-in caller reads the fund's years.
pub fn get(conn: &mut DbConnection, _caller: &Caller, id: i64) -> Result<FundYear, Error> {
    find(conn, id)?.ok_or(Error::NotFound("fund year"))
}

/// The fund year an existing allocation names, for the rules of its documents.
pub fn of_allocation(conn: &mut DbConnection, fund_year_id: i64) -> Result<FundYear, Error> {
    find(conn, fund_year_id)?.ok_or(Error::NotFound("fund year"))
}

pub fn list(conn: &mut DbConnection, page: &PageRequest) -> Result<Page<FundYear>, Error> {
    let query = fund_years::table
        .select((FundYear::as_select(), fund_years::revision))
        .into_boxed();
    let rows: Vec<(FundYear, i64)> = in_page_order!(query, fund_years, page).load(conn)?;
    Ok(Page::from_rows(
        rows,
        page,
        |(y, revision)| page.position(y.id, *revision),
        |(y, _)| y,
    ))
}

pub fn create(conn: &mut DbConnection, caller: &Caller, new: &NewFundYear) -> Result<FundYear, Error> {
    caller.require_admin()?;
    let mut v = Violations::new();
    let period = period_of(new.label.trim());
    v.check(
        period.is_some(),
        "label",
        "fund_year_label",
        "must be a financial year like \"2021-22\"",
    );
    if let Some((starts_on, ends_on)) = period {
        check_deadlines(
            &mut v,
            starts_on,
            ends_on,
            DueDates {
                plan: new.plan_due,
                first_half: new.first_half_return_due,
                second_half: new.second_half_return_due,
                final_report: new.final_report_due,
            },
        );
    }
    v.finish()?;
    let Some((starts_on, ends_on)) = period else {
        return Err(Error::invalid(
            "label",
            "fund_year_label",
            "must be a financial year like \"2021-22\"",
        ));
    };
    write_transaction(conn, |conn| {
        if !priority_sets::exists(conn, new.priority_set_id)? {
            return Err(Error::invalid(
                "priority_set_id",
                "exists",
                "no priority set has this id",
            ));
        }
        if find_by_label(conn, new.label.trim())?.is_some() {
            return Err(Error::duplicate(
                "label",
                format!("the fund year {} exists", new.label.trim()),
            ));
        }
        let now = timestamps::now();
        let created: FundYear = diesel::insert_into(fund_years::table)
            .values((
                fund_years::label.eq(new.label.trim()),
                fund_years::starts_on.eq(starts_on),
                fund_years::ends_on.eq(ends_on),
                fund_years::plan_due.eq(new.plan_due),
                fund_years::first_half_return_due.eq(new.first_half_return_due),
                fund_years::second_half_return_due.eq(new.second_half_return_due),
                fund_years::final_report_due.eq(new.final_report_due),
                fund_years::priority_set_id.eq(new.priority_set_id),
                fund_years::created_at.eq(now),
                fund_years::updated_at.eq(now),
                fund_years::amendment_threshold_pence.eq(new.amendment_threshold),
                fund_years::amendment_threshold_percent.eq(new.amendment_threshold_percent),
            ))
            .returning(crate::db::columns_of::<FundYear>())
            .get_result(conn)?;
        history::record_change(conn, caller, record(&created), Action::Created, None, &created)?;
        Ok(created)
    })
}

fn record(year: &FundYear) -> history::Record<'static> {
    history::Record {
        kind: "fund_year",
        id: year.id,
        partnership_id: None,
    }
}

pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    expected: &Precondition,
    changes: &FundYearChanges,
) -> Result<FundYear, Error> {
    caller.require_admin()?;
    write_transaction(conn, |conn| {
        let current = get(conn, caller, id)?;
        expected.ensure(current.version)?;
        let due = DueDates {
            plan: changes.plan_due.unwrap_or(current.plan_due),
            first_half: changes.first_half_return_due.unwrap_or(current.first_half_return_due),
            second_half: changes.second_half_return_due.unwrap_or(current.second_half_return_due),
            final_report: changes.final_report_due.unwrap_or(current.final_report_due),
        };
        let mut v = Violations::new();
        check_deadlines(&mut v, current.starts_on, current.ends_on, due);
        let threshold = changes.amendment_threshold.unwrap_or(current.amendment_threshold);
        let threshold_percent = changes
            .amendment_threshold_percent
            .unwrap_or(current.amendment_threshold_percent);
        check_threshold_percent(&mut v, threshold_percent);
        if let Some(set) = changes.priority_set_id.filter(|s| *s != current.priority_set_id) {
            v.check(
                priority_sets::exists(conn, set)?,
                "priority_set_id",
                "exists",
                "no priority set has this id",
            );
            let plans_of_year = plans::table
                .inner_join(allocations::table)
                .filter(allocations::fund_year_id.eq(id))
                .count()
                .get_result::<i64>(conn)?;
            v.check(
                plans_of_year == 0,
                "priority_set_id",
                "in_use",
                format!("{plans_of_year} plan(s) of this year cite the current priority set"),
            );
        }
        v.finish()?;
        let updated: FundYear = diesel::update(fund_years::table.find(id))
            .filter(fund_years::version.eq(current.version))
            .set((
                fund_years::version.eq(current.version + 1),
                fund_years::plan_due.eq(due.plan),
                fund_years::first_half_return_due.eq(due.first_half),
                fund_years::second_half_return_due.eq(due.second_half),
                fund_years::final_report_due.eq(due.final_report),
                fund_years::priority_set_id.eq(changes.priority_set_id.unwrap_or(current.priority_set_id)),
                fund_years::updated_at.eq(timestamps::now()),
                fund_years::amendment_threshold_pence.eq(threshold),
                fund_years::amendment_threshold_percent.eq(threshold_percent),
            ))
            .returning(crate::db::columns_of::<FundYear>())
            .get_result(conn)
            .map_err(changed_meanwhile)?;
        history::record_change(conn, caller, record(&updated), Action::Edited, Some(&current), &updated)?;
        Ok(updated)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn labels_name_april_to_march() {
        assert_eq!(period_of("2021-22"), Some((d("2021-04-01"), d("2022-03-31"))));
        assert_eq!(period_of("1999-00"), Some((d("1999-04-01"), d("2000-03-31"))));
        assert_eq!(period_of("2021-23"), None);
        assert_eq!(period_of("21-22"), None);
    }

    #[test]
    fn deadlines_fall_in_order_within_the_year() {
        let (start, end) = (d("2017-04-01"), d("2018-03-31"));
        let mut ok = Violations::new();
        let due = |plan, first_half, second_half, final_report| DueDates {
            plan: d(plan),
            first_half: d(first_half),
            second_half: d(second_half),
            final_report: d(final_report),
        };
        check_deadlines(
            &mut ok,
            start,
            end,
            due("2017-05-31", "2017-11-03", "2018-05-04", "2018-06-29"),
        );
        assert!(ok.is_empty());
        let mut bad = Violations::new();
        check_deadlines(
            &mut bad,
            start,
            end,
            due("2017-03-01", "2017-02-01", "2017-01-01", "2019-01-01"),
        );
        let rules: Vec<String> = match bad.finish() {
            Err(Error::Invalid(errors)) => errors.into_iter().map(|e| format!("{}:{}", e.field, e.rule)).collect(),
            _ => Vec::new(),
        };
        assert_eq!(
            rules,
            [
                "plan_due:within_fund_year",
                "first_half_return_due:within_fund_year",
                "first_half_return_due:after_plan_due",
                "second_half_return_due:after_first_half_return_due",
                "final_report_due:within_grace_period"
            ]
        );
    }
}
