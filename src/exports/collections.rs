//! The collections exported as CSV, one flat row per plan line, half-year project, final-report
//! line or payment, with its document's fund year, partnership and status. Each chunk is one
//! query (two for plan lines' priorities), ordered by the row's own id.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::Text;
use serde::Serialize;

use super::Export;
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::error::Error;
use crate::half_year_returns::rules::letter;
use crate::half_year_returns::{Half, ProviderStatus, Rag};
use crate::money::Money;
use crate::pagination::{Order, PageRequest};
use crate::payments::{self, Payment, PaymentFilter};
use crate::reports::ReportFilter;
use crate::schema::{plan_line_priorities, priorities};
use crate::tables::CsvRow;
use crate::workflow::Status;

diesel::table! {
    /// Every plan line with its plan's place (a view: see its migration).
    plan_line_rows (row_key) {
        row_key -> BigInt,
        plan_id -> BigInt,
        fund_year -> Text,
        partnership_id -> BigInt,
        partnership -> Text,
        plan_status -> Text,
        number -> Integer,
        title -> Text,
        outline -> Text,
        amount -> BigInt,
        provider -> Nullable<Text>,
        total_contract_value -> Nullable<BigInt>,
        outcome_measures -> Text,
    }
}

diesel::table! {
    /// Every project of a half-year return with the return's place (a view).
    half_year_project_rows (row_key) {
        row_key -> BigInt,
        half_year_return_id -> BigInt,
        fund_year -> Text,
        partnership_id -> BigInt,
        partnership -> Text,
        half -> Text,
        return_status -> Text,
        position -> Integer,
        plan_line -> Integer,
        title -> Text,
        provider -> Text,
        provider_status -> Text,
        commissioning_body -> Text,
        funding -> BigInt,
        total_service_funding -> Nullable<BigInt>,
        expenditure_to_date -> BigInt,
        rag -> Text,
        extent_achieved -> Text,
        actions -> Text,
    }
}

diesel::table! {
    /// Every line of a final report with the report's place and the virements into and out of it
    /// (a view).
    final_report_line_rows (row_key) {
        row_key -> BigInt,
        final_report_id -> BigInt,
        fund_year -> Text,
        partnership_id -> BigInt,
        partnership -> Text,
        report_status -> Text,
        plan_line -> Integer,
        title -> Text,
        allocated -> BigInt,
        actual_spend -> BigInt,
        variance -> BigInt,
        virements_in -> BigInt,
        virements_out -> BigInt,
        allocated_after_virements -> BigInt,
        variance_explanation -> Text,
        outcomes -> Text,
    }
}

/// Up to `$limit` rows of the view `$rows` after key `$after`, in key order, in the caller's scope.
/// A macro because the views are three types.
macro_rules! chunk_of {
    ($conn:expr, $rows:ident, $row:ty, $caller:expr, $filter:expr, $after:expr, $limit:expr) => {{
        let Some(scope) = $filter.scope($caller) else {
            return Ok(Vec::new());
        };
        let mut query = $rows::table
            .filter($rows::row_key.gt($after))
            .order($rows::row_key)
            .limit($limit)
            .select(<$row>::as_select())
            .into_boxed();
        if let Some(label) = scope.fund_year {
            query = query.filter($rows::fund_year.eq(label));
        }
        if let Some(id) = scope.partnership {
            query = query.filter($rows::partnership_id.eq(id));
        }
        let rows: Vec<$row> = query.load($conn)?;
        rows
    }};
}

/// A column the export fills in after reading, empty as read.
type FilledIn = diesel::dsl::AsExprOf<&'static str, Text>;

/// A line of a spending plan, as `GET /plans/{id}` shows it, with its plan's place.
#[derive(Queryable, Selectable, Serialize, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = plan_line_rows, check_for_backend(crate::db::MultiBackend))]
pub struct PlanLineExport {
    #[serde(skip)]
    row_key: i64,
    pub plan_id: i64,
    pub fund_year: String,
    pub partnership_id: i64,
    pub partnership: String,
    pub plan_status: Status,
    pub number: i32,
    pub title: String,
    pub outline: String,
    pub amount: Money,
    pub provider: Option<String>,
    pub total_contract_value: Option<Money>,
    /// The numbers of the priorities the line serves, separated by semicolons ("2;3;4").
    #[diesel(select_expression = "".into_sql::<Text>(), select_expression_type = FilledIn)]
    pub priorities: String,
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
        // Priorities filled in below: the two databases join text differently.
        let mut rows = chunk_of!(conn, plan_line_rows, PlanLineExport, caller, filter, after, limit);
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
#[derive(Queryable, Selectable, Serialize, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = half_year_project_rows, check_for_backend(crate::db::MultiBackend))]
pub struct HalfYearProjectExport {
    #[serde(skip)]
    row_key: i64,
    pub half_year_return_id: i64,
    pub fund_year: String,
    pub partnership_id: i64,
    pub partnership: String,
    pub half: Half,
    pub return_status: Status,
    /// Filled in from the project's position: A, B, ...
    #[diesel(select_expression = "".into_sql::<Text>(), select_expression_type = FilledIn)]
    pub letter: String,
    #[serde(skip)]
    position: i32,
    pub plan_line: i32,
    pub title: String,
    pub provider: String,
    pub provider_status: ProviderStatus,
    pub commissioning_body: String,
    pub funding: Money,
    pub total_service_funding: Option<Money>,
    pub expenditure_to_date: Money,
    pub rag: Rag,
    pub extent_achieved: String,
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
        let mut rows = chunk_of!(
            conn,
            half_year_project_rows,
            HalfYearProjectExport,
            caller,
            filter,
            after,
            limit
        );
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
#[derive(Queryable, Selectable, Serialize, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = final_report_line_rows, check_for_backend(crate::db::MultiBackend))]
pub struct FinalLineExport {
    #[serde(skip)]
    row_key: i64,
    pub final_report_id: i64,
    pub fund_year: String,
    pub partnership_id: i64,
    pub partnership: String,
    pub report_status: Status,
    pub plan_line: i32,
    pub title: String,
    pub allocated: Money,
    pub actual_spend: Money,
    pub variance: Money,
    pub virements_in: Money,
    pub virements_out: Money,
    pub allocated_after_virements: Money,
    pub variance_explanation: String,
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
        Ok(chunk_of!(
            conn,
            final_report_line_rows,
            FinalLineExport,
            caller,
            filter,
            after,
            limit
        ))
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
        "external_reference",
        "recorded_by",
        "recorded_at",
        "updated_at",
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
            external_reference: None,
        };
        Ok(payments::list(
            conn,
            caller,
            &filter,
            &PageRequest {
                limit,
                after,
                order: Order::Id,
            },
        )?
        .items)
    }

    fn key(&self) -> i64 {
        self.id
    }
}
