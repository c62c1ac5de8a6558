//! The fund by partnership: each allocation's money from grant to spend, and where each of its
//! documents stands.

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::ReportFilter;
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::error::Error;
use crate::final_reports::UnspentDecision;
use crate::money::Money;
use crate::schema::{allocations, partnerships};
use crate::tables::{CsvRow, Table};
use crate::workflow::Status;

diesel::table! {
    /// The view of the same name (migrations): a row per allocation.
    fund_by_partnership (allocation_id) {
        allocation_id -> BigInt,
        partnership_id -> BigInt,
        partnership -> Text,
        fund_year -> Text,
        starts_on -> Date,
        grant -> BigInt,
        carry_forward -> BigInt,
        available -> BigInt,
        planned -> BigInt,
        claimed -> BigInt,
        approved_for_payment -> BigInt,
        paid -> BigInt,
        outstanding -> BigInt,
        spent -> BigInt,
        moved_by_virements -> BigInt,
        variance -> BigInt,
        unspent -> BigInt,
        unspent_decision -> Nullable<Text>,
        owed_back -> BigInt,
        offset_to_next_year -> BigInt,
        offset_from_previous_year -> BigInt,
        plan_status -> Nullable<Text>,
        first_half_status -> Nullable<Text>,
        second_half_status -> Nullable<Text>,
        final_report_status -> Nullable<Text>,
    }
}

diesel::joinable!(fund_by_partnership -> allocations (allocation_id));
diesel::joinable!(fund_by_partnership -> partnerships (partnership_id));
diesel::allow_tables_to_appear_in_same_query!(fund_by_partnership, allocations);
diesel::allow_tables_to_appear_in_same_query!(fund_by_partnership, partnerships);

/// One partnership's money for one fund year, from grant to spend.
#[derive(Queryable, Selectable, Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = fund_by_partnership, check_for_backend(crate::db::MultiBackend))]
#[schema(example = json!({"allocation_id": 1, "partnership_id": 1, "partnership": "Safer Plymouth",
    "partnership_external_reference": "SUP-000412", "allocation_external_reference": "CSP-2017-PLY",
    "fund_year": "2017-18", "grant": "400568.00", "carry_forward": "27678.00", "available": "428246.00",
    "planned": "428246.00", "claimed": "200284.00", "approved_for_payment": "195000.00", "paid": "150000.00",
    "outstanding": "45000.00", "spent": "428246.00", "moved_by_virements": "440.00", "variance": "0.00",
    "unspent": "0.00", "unspent_decision": null, "owed_back": "0.00", "offset_to_next_year": "0.00",
    "offset_from_previous_year": "0.00", "plan_status": "approved", "first_half_status": "accepted",
    "second_half_status": null, "final_report_status": "submitted"}))]
pub struct PartnershipYear {
    pub allocation_id: i64,
    pub partnership_id: i64,
    pub partnership: String,
    /// The finance system's reference for the partnership.
    #[diesel(select_expression = partnerships::external_reference)]
    pub partnership_external_reference: Option<String>,
    /// The finance system's reference for the allocation.
    #[diesel(select_expression = allocations::external_reference)]
    pub allocation_external_reference: Option<String>,
    pub fund_year: String,
    pub grant: Money,
    pub carry_forward: Money,
    /// Grant plus carry-forward.
    pub available: Money,
    /// The lines of the approved plan; zero until the plan is approved.
    pub planned: Money,
    /// Claimed by the half-year returns submitted (countersigned) so far.
    pub claimed: Money,
    /// Approved for payment when the returns were accepted.
    pub approved_for_payment: Money,
    pub paid: Money,
    /// Approved for payment, not yet paid.
    pub outstanding: Money,
    /// Actual spend in the submitted final report; zero until it is submitted.
    pub spent: Money,
    /// Moved between lines by the final report's virements.
    pub moved_by_virements: Money,
    /// Spent minus planned (negative: underspent against the plan).
    pub variance: Money,
    /// Available minus spent, once the final report is submitted; zero before.
    pub unspent: Money,
    /// What the OPCC decided for the unspent balance on accepting the final report.
    pub unspent_decision: Option<UnspentDecision>,
    /// The unspent balance owed back to the OPCC, when the decision was to return it.
    pub owed_back: Money,
    /// The unspent balance to deduct from the next year's allocation, when offset.
    pub offset_to_next_year: Money,
    /// The previous year's unspent balance offset against this allocation: paid this much less.
    pub offset_from_previous_year: Money,
    /// Null while the document has not been started.
    pub plan_status: Option<Status>,
    pub first_half_status: Option<Status>,
    pub second_half_status: Option<Status>,
    pub final_report_status: Option<Status>,
}

/// The fund at a glance: a row per partnership and fund year, and their totals.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct FundByPartnership {
    pub rows: Vec<PartnershipYear>,
    pub totals: FundTotals,
}

/// The money columns summed over the rows.
#[derive(Serialize, ToSchema, Debug, Clone, Default, PartialEq, Eq)]
pub struct FundTotals {
    pub grant: Money,
    pub carry_forward: Money,
    pub available: Money,
    pub planned: Money,
    pub claimed: Money,
    pub approved_for_payment: Money,
    pub paid: Money,
    pub outstanding: Money,
    pub spent: Money,
    pub unspent: Money,
    pub owed_back: Money,
    pub offset_to_next_year: Money,
    pub offset_from_previous_year: Money,
}

impl FundTotals {
    fn of(rows: &[PartnershipYear]) -> Result<FundTotals, Error> {
        let total = |column: fn(&PartnershipYear) -> Money| {
            Money::sum(rows.iter().map(column)).ok_or_else(|| Error::internal("report total overflow"))
        };
        Ok(FundTotals {
            grant: total(|r| r.grant)?,
            carry_forward: total(|r| r.carry_forward)?,
            available: total(|r| r.available)?,
            planned: total(|r| r.planned)?,
            claimed: total(|r| r.claimed)?,
            approved_for_payment: total(|r| r.approved_for_payment)?,
            paid: total(|r| r.paid)?,
            outstanding: total(|r| r.outstanding)?,
            spent: total(|r| r.spent)?,
            unspent: total(|r| r.unspent)?,
            owed_back: total(|r| r.owed_back)?,
            offset_to_next_year: total(|r| r.offset_to_next_year)?,
            offset_from_previous_year: total(|r| r.offset_from_previous_year)?,
        })
    }
}

pub fn by_partnership(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &ReportFilter,
) -> Result<FundByPartnership, Error> {
    let Some(scope) = filter.scope(caller) else {
        return Ok(FundByPartnership {
            rows: Vec::new(),
            totals: FundTotals::default(),
        });
    };
    let mut query = fund_by_partnership::table
        .inner_join(allocations::table)
        .inner_join(partnerships::table)
        .order((
            fund_by_partnership::starts_on,
            fund_by_partnership::partnership,
            fund_by_partnership::allocation_id,
        ))
        .select(PartnershipYear::as_select())
        .into_boxed();
    if let Some(label) = scope.fund_year {
        query = query.filter(fund_by_partnership::fund_year.eq(label));
    }
    if let Some(id) = scope.partnership {
        query = query.filter(fund_by_partnership::partnership_id.eq(id));
    }
    let rows: Vec<PartnershipYear> = query.load(conn)?;
    let totals = FundTotals::of(&rows)?;
    Ok(FundByPartnership { rows, totals })
}

impl CsvRow for PartnershipYear {
    const COLUMNS: &'static [&'static str] = &[
        "allocation_id",
        "partnership_id",
        "partnership",
        "partnership_external_reference",
        "allocation_external_reference",
        "fund_year",
        "grant",
        "carry_forward",
        "available",
        "planned",
        "claimed",
        "approved_for_payment",
        "paid",
        "outstanding",
        "spent",
        "moved_by_virements",
        "variance",
        "unspent",
        "unspent_decision",
        "owed_back",
        "offset_to_next_year",
        "offset_from_previous_year",
        "plan_status",
        "first_half_status",
        "second_half_status",
        "final_report_status",
    ];
}

impl Table for FundByPartnership {
    type Row = PartnershipYear;
    fn rows(&self) -> &[PartnershipYear] {
        &self.rows
    }
}
