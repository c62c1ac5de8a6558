//! The fund by partnership: each allocation's money from grant to spend, and where each of its
//! documents stands.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ReportFilter, SUBMITTED, partnership_of, pence};
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::error::Error;
use crate::exports::{CsvRow, Table};
use crate::final_reports::UnspentDecision;
use crate::money::Money;
use crate::workflow::Status;

/// One partnership's money for one fund year, from grant to spend.
#[derive(QueryableByName, Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[schema(example = json!({"allocation_id": 1, "partnership_id": 1, "partnership": "Safer Plymouth",
    "fund_year": "2017-18", "grant": "400568.00", "carry_forward": "27678.00", "available": "428246.00",
    "planned": "428246.00", "claimed": "200284.00", "approved_for_payment": "195000.00", "paid": "150000.00",
    "outstanding": "45000.00", "spent": "428246.00", "moved_by_virements": "440.00", "variance": "0.00",
    "unspent": "0.00", "unspent_decision": null, "owed_back": "0.00", "offset_to_next_year": "0.00",
    "offset_from_previous_year": "0.00", "plan_status": "approved", "first_half_status": "accepted",
    "second_half_status": null, "final_report_status": "submitted"}))]
pub struct PartnershipYear {
    #[diesel(sql_type = BigInt)]
    pub allocation_id: i64,
    #[diesel(sql_type = BigInt)]
    pub partnership_id: i64,
    #[diesel(sql_type = Text)]
    pub partnership: String,
    #[diesel(sql_type = Text)]
    pub fund_year: String,
    #[diesel(sql_type = BigInt)]
    pub grant: Money,
    #[diesel(sql_type = BigInt)]
    pub carry_forward: Money,
    /// Grant plus carry-forward.
    #[diesel(sql_type = BigInt)]
    pub available: Money,
    /// The lines of the approved plan; zero until the plan is approved.
    #[diesel(sql_type = BigInt)]
    pub planned: Money,
    /// Claimed by the half-year returns submitted (countersigned) so far.
    #[diesel(sql_type = BigInt)]
    pub claimed: Money,
    /// Approved for payment when the returns were accepted.
    #[diesel(sql_type = BigInt)]
    pub approved_for_payment: Money,
    #[diesel(sql_type = BigInt)]
    pub paid: Money,
    /// Approved for payment, not yet paid.
    #[diesel(sql_type = BigInt)]
    pub outstanding: Money,
    /// Actual spend in the submitted final report; zero until it is submitted.
    #[diesel(sql_type = BigInt)]
    pub spent: Money,
    /// Moved between lines by the final report's virements.
    #[diesel(sql_type = BigInt)]
    pub moved_by_virements: Money,
    /// Spent minus planned (negative: underspent against the plan).
    #[diesel(sql_type = BigInt)]
    pub variance: Money,
    /// Available minus spent, once the final report is submitted; zero before.
    #[diesel(sql_type = BigInt)]
    pub unspent: Money,
    /// What the OPCC decided for the unspent balance on accepting the final report.
    #[diesel(sql_type = Nullable<Text>)]
    pub unspent_decision: Option<UnspentDecision>,
    /// The unspent balance owed back to the OPCC, when the decision was to return it.
    #[diesel(sql_type = BigInt)]
    pub owed_back: Money,
    /// The unspent balance to deduct from the next year's allocation, when offset.
    #[diesel(sql_type = BigInt)]
    pub offset_to_next_year: Money,
    /// The previous year's unspent balance offset against this allocation: paid this much less.
    #[diesel(sql_type = BigInt)]
    pub offset_from_previous_year: Money,
    /// Null while the document has not been started.
    #[diesel(sql_type = Nullable<Text>)]
    pub plan_status: Option<Status>,
    #[diesel(sql_type = Nullable<Text>)]
    pub first_half_status: Option<Status>,
    #[diesel(sql_type = Nullable<Text>)]
    pub second_half_status: Option<Status>,
    #[diesel(sql_type = Nullable<Text>)]
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
    let Ok(partnership) = partnership_of(caller, filter) else {
        return Ok(FundByPartnership {
            rows: Vec::new(),
            totals: FundTotals::default(),
        });
    };
    let planned = pence(
        "SELECT SUM(l.amount_pence) FROM plan_lines l JOIN plans pl ON pl.id = l.plan_id \
         WHERE pl.allocation_id = a.id AND pl.status = 'approved'",
    );
    let claimed = pence(&format!(
        "SELECT SUM(r.amount_claimed_pence) FROM half_year_returns r \
         WHERE r.allocation_id = a.id AND r.status IN {SUBMITTED}"
    ));
    let approved = pence(
        "SELECT SUM(r.claim_approved_pence) FROM half_year_returns r \
         WHERE r.allocation_id = a.id AND r.status = 'accepted'",
    );
    let paid = pence(
        "SELECT SUM(pay.amount_pence) FROM payments pay \
         JOIN half_year_returns r ON r.id = pay.half_year_return_id WHERE r.allocation_id = a.id",
    );
    let spent = pence(&format!(
        "SELECT SUM(fl.actual_spend_pence) FROM final_report_lines fl \
         JOIN final_reports f ON f.id = fl.final_report_id \
         WHERE f.allocation_id = a.id AND f.status IN {SUBMITTED}"
    ));
    let moved = pence(&format!(
        "SELECT SUM(v.amount_pence) FROM virements v JOIN final_reports f ON f.id = v.final_report_id \
         WHERE f.allocation_id = a.id AND f.status IN {SUBMITTED}"
    ));
    let decided = |decision: &str| {
        pence(&format!(
            "SELECT SUM(f.unspent_decided_pence) FROM final_reports f \
             WHERE f.allocation_id = a.id AND f.unspent_decision = '{decision}'"
        ))
    };
    let (owed_back, offset_out) = (decided("returned"), decided("offset"));
    let offset_in = pence("SELECT SUM(f.unspent_decided_pence) FROM final_reports f WHERE f.offset_against = a.id");
    let reported =
        format!("EXISTS (SELECT 1 FROM final_reports f WHERE f.allocation_id = a.id AND f.status IN {SUBMITTED})");
    let sql = format!(
        "SELECT allocation_id, partnership_id, partnership, fund_year, \"grant\", carry_forward, available, \
                planned, claimed, approved_for_payment, paid, approved_for_payment - paid AS outstanding, \
                spent, moved_by_virements, spent - planned AS variance, \
                CASE WHEN reported THEN available - spent ELSE 0 END AS unspent, \
                unspent_decision, owed_back, offset_to_next_year, offset_from_previous_year, plan_status, first_half_status, second_half_status, final_report_status \
         FROM (SELECT a.id AS allocation_id, a.partnership_id, p.name AS partnership, y.label AS fund_year, \
                      y.starts_on, a.grant_pence AS \"grant\", a.carry_forward_pence AS carry_forward, \
                      a.grant_pence + a.carry_forward_pence AS available, \
                      {planned} AS planned, {claimed} AS claimed, {approved} AS approved_for_payment, \
                      {paid} AS paid, {spent} AS spent, {moved} AS moved_by_virements, {reported} AS reported, \
                      {owed_back} AS owed_back, {offset_out} AS offset_to_next_year, \
                      {offset_in} AS offset_from_previous_year, \
                      (SELECT f.unspent_decision FROM final_reports f WHERE f.allocation_id = a.id) AS unspent_decision, \
                      (SELECT pl.status FROM plans pl WHERE pl.allocation_id = a.id) AS plan_status, \
                      (SELECT r.status FROM half_year_returns r WHERE r.allocation_id = a.id AND r.half = 'first') \
                          AS first_half_status, \
                      (SELECT r.status FROM half_year_returns r WHERE r.allocation_id = a.id AND r.half = 'second') \
                          AS second_half_status, \
                      (SELECT f.status FROM final_reports f WHERE f.allocation_id = a.id) AS final_report_status \
               FROM allocations a \
               JOIN partnerships p ON p.id = a.partnership_id \
               JOIN fund_years y ON y.id = a.fund_year_id \
               WHERE ($1 = '' OR y.label = $1) AND ($2 = 0 OR a.partnership_id = $2)) AS allocation_money \
         ORDER BY starts_on, partnership, allocation_id"
    );
    let rows: Vec<PartnershipYear> = diesel::sql_query(sql)
        .bind::<Text, _>(filter.fund_year.clone().unwrap_or_default())
        .bind::<BigInt, _>(partnership.unwrap_or(0))
        .load(conn)?;
    let totals = FundTotals::of(&rows)?;
    Ok(FundByPartnership { rows, totals })
}

impl CsvRow for PartnershipYear {
    const COLUMNS: &'static [&'static str] = &[
        "allocation_id",
        "partnership_id",
        "partnership",
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
