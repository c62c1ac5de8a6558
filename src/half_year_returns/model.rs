//! What clients send and what they see of a half-year return.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::schema::Object;

use crate::documents::DocumentHeader;
pub use crate::fund_years::Half;
pub use crate::indicators::{IndicatorActual, IndicatorActualInput};
use crate::money::Money;
use crate::timestamps;
use crate::workflow::Transition;

crate::stored_enum! {
    /// The provider's status, as the form asks.
    pub enum ProviderStatus {
        Statutory => "statutory",
        Voluntary => "voluntary",
        Independent => "independent",
    }
}

crate::stored_enum! {
    /// The RAG rating: Outcomes Achieved / On Track to Achieve / Not Achieved-Behind Schedule.
    pub enum Rag {
        Achieved => "achieved",
        OnTrack => "on_track",
        Behind => "behind",
    }
}

/// A half-year return's content. `allocation_id` and `half` are required when creating; a
/// replacement may repeat them but not change them.
#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"allocation_id": 1, "half": "first", "half_year_end": "2017-10-31",
    "amount_claimed": "200284.00", "invoice_reference": "SP-CSF-2017-18-H1",
    "projects": [{"plan_line": 1, "provider": "Sanctuary Housing Association", "provider_status": "voluntary",
        "commissioning_body": "Plymouth City Council", "total_service_funding": "552500.00",
        "expenditure": [{"description": "Refuge, dispersed units, support, IDVA and MARAC, DASH training", "amount": "80100.00"}],
        "intended_outcomes": "Improve the safety of victims and their families.",
        "how_measured": "Quarterly performance returns and review meetings.",
        "extent_achieved": "100% positive outcomes reported.",
        "indicator_actuals": [{"indicator": 1, "actual": "100"}],
        "actions": "Funding for the MARAC co-ordinator post to be reviewed.", "rag": "achieved"}]}))]
pub struct HalfYearReturnInput {
    pub allocation_id: Option<i64>,
    pub half: Option<Half>,
    /// The last day of the half reported on; within the fund year.
    pub half_year_end: NaiveDate,
    /// The amount claimed for this half. All claims on an allocation together may not exceed it.
    pub amount_claimed: Money,
    /// The invoice submitted with the return.
    #[serde(default)]
    pub invoice_reference: String,
    /// Projects in letter order: the first is A.
    #[serde(default)]
    pub projects: Vec<ProjectInput>,
}

#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct ProjectInput {
    /// The number of the plan line the project delivers.
    pub plan_line: i32,
    pub provider: String,
    pub provider_status: ProviderStatus,
    /// Through which body the provider receives its funding (e.g. the council, a YOT).
    #[serde(default)]
    pub commissioning_body: String,
    /// The whole service's funding, of which this fund pays `share_of_service_percent`.
    pub total_service_funding: Option<Money>,
    /// Expenditure to date, item by item (staffing, referrals, materials, rent...).
    #[serde(default)]
    pub expenditure: Vec<ExpenditureItem>,
    #[serde(default)]
    pub intended_outcomes: String,
    #[serde(default)]
    pub how_measured: String,
    /// The extent to which outcomes have been achieved, in words.
    #[serde(default)]
    pub extent_achieved: String,
    /// Actual figures against the plan line's indicators.
    #[serde(default)]
    pub indicator_actuals: Vec<IndicatorActualInput>,
    /// Actions put in place to achieve outcomes.
    #[serde(default)]
    pub actions: String,
    pub rag: Rag,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ExpenditureItem {
    pub description: String,
    pub amount: Money,
}

// ---- What clients see ----

#[derive(Serialize, ToSchema, Debug, Clone)]
#[schema(example = json!({
        "allocation_id": 1,
        "allowed_transitions": [
            "sign"
        ],
        "amount_claimed": "200284.00",
        "created_at": "2026-11-22T09:00:00Z",
        "fund_year": "2017-18",
        "half": "first",
        "half_year_end": "2017-10-31",
        "id": 1,
        "invoice_reference": "SP-CSF-2017-18-H1",
        "partnership": "Safer Plymouth",
        "partnership_id": 1,
        "projects": [
            {
                "actions": "Additional funding for the MARAC co-ordinator post to be reviewed with the wider system.",
                "commissioning_body": "Plymouth City Council",
                "expenditure": [
                    {
                        "amount": "80100.00",
                        "description": "Provision of a refuge, dispersed units, support, IDVA and MARAC services, DASH training"
                    }
                ],
                "expenditure_to_date": "80100.00",
                "extent_achieved": "Outcomes for the service's clients remain high, with reports of achieving 100% positive...",
                "funding": "160200.00",
                "how_measured": "Ongoing contract monitoring including quarterly performance returns and review meetings.",
                "indicator_actuals": [
                    {
                        "actual": "100",
                        "comparison": "equal_to",
                        "indicator": 1,
                        "met": true,
                        "name": "Victims engaging with the service supported to minimise risk",
                        "target": "100",
                        "target_text": "= 100 %",
                        "unit": "%"
                    }
                ],
                "intended_outcomes": "Improve the safety of victims and their families and encourage them to engage with serv...",
                "letter": "A",
                "plan_line": 1,
                "provider": "Sanctuary Housing Association",
                "provider_status": "voluntary",
                "rag": "achieved",
                "share_of_service_percent": "29.00",
                "title": "Plymouth Domestic Abuse Service",
                "total_service_funding": "552500.00"
            }
        ],
        "review": {
            "claim_approved": null,
            "claim_approved_on": null,
            "claim_approval_reason": "",
            "comment": ""
        },
        "payment": {"claimed": "200284.00", "approved": null, "paid": "0.00", "outstanding": "0.00"},
        "status": "draft",
        "totals": {
            "allocated": "428246.00",
            "available": "428246.00",
            "claimed": "200284.00",
            "claimed_to_date": "200284.00",
            "expenditure_to_date": "133230.06",
            "unclaimed": "227962.00"
        },
        "updated_at": "2026-11-22T09:00:00Z",
        "deadline": {"due_on": "2021-11-05", "submitted_on": null, "state": "overdue", "overdue": true, "submitted_late": false, "days_late": 2000},
        "version": 1
    }))]
pub struct HalfYearReturn {
    #[serde(flatten)]
    #[schema(schema_with = header_schema)]
    pub header: DocumentHeader,
    pub half: Half,
    pub half_year_end: NaiveDate,
    pub amount_claimed: Money,
    pub invoice_reference: String,
    /// What you may do to the return now, as POST /half-year-returns/{id}/<transition>.
    pub allowed_transitions: Vec<Transition>,
    pub projects: Vec<Project>,
    pub totals: ReturnTotals,
    /// The OPCC's review: the claim approved for payment, or why changes were requested.
    pub review: ReturnReview,
    pub payment: ClaimPayment,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub created_at: NaiveDateTime,
}

/// A return's header; its version is the ETag to send back.
fn header_schema() -> Object {
    DocumentHeader::in_view("return")
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct Project {
    /// A, B, C... in the order given.
    #[schema(example = "A")]
    pub letter: String,
    pub plan_line: i32,
    /// The plan line's title.
    pub title: String,
    pub provider: String,
    pub provider_status: ProviderStatus,
    pub commissioning_body: String,
    /// What this fund gives the project: its plan line's amount.
    pub funding: Money,
    pub total_service_funding: Option<Money>,
    /// `funding` as a percentage of `total_service_funding`, to two places.
    pub share_of_service_percent: Option<String>,
    pub expenditure: Vec<ExpenditureItem>,
    /// Sum of the expenditure items.
    pub expenditure_to_date: Money,
    pub intended_outcomes: String,
    pub how_measured: String,
    pub extent_achieved: String,
    pub indicator_actuals: Vec<IndicatorActual>,
    pub actions: String,
    pub rag: Rag,
}

#[derive(Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct ReturnReview {
    /// The claim approved for payment when the return was accepted.
    pub claim_approved: Option<Money>,
    pub claim_approved_on: Option<NaiveDate>,
    /// Why less than the claim was approved; empty when all of it was.
    pub claim_approval_reason: String,
    /// Why changes were last requested.
    pub comment: String,
}

/// The claim's way to the bank: claimed, approved for payment, paid by the OPCC's finance team,
/// and what is still to pay.
#[derive(Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct ClaimPayment {
    pub claimed: Money,
    /// Null until the return is accepted.
    pub approved: Option<Money>,
    pub paid: Money,
    /// Approved minus paid; zero until approved.
    pub outstanding: Money,
}

impl ClaimPayment {
    /// Claimed, approved, paid and outstanding for one return, given what has been paid.
    pub fn of(claimed: Money, approved: Option<Money>, paid: Money) -> ClaimPayment {
        ClaimPayment {
            claimed,
            approved,
            paid,
            outstanding: approved.and_then(|a| a.checked_sub(paid)).unwrap_or(Money::ZERO),
        }
    }
}

#[derive(Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct ReturnTotals {
    /// Grant plus carry-forward.
    pub available: Money,
    /// Sum of the projects' funding.
    pub allocated: Money,
    /// Claimed by this return.
    pub claimed: Money,
    /// Claimed by all the allocation's half-year returns.
    pub claimed_to_date: Money,
    /// Available minus claimed to date.
    pub unclaimed: Money,
    /// Sum of the projects' expenditure to date.
    pub expenditure_to_date: Money,
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct HalfYearReturnSummary {
    #[serde(flatten)]
    #[schema(inline)]
    pub header: DocumentHeader,
    pub half: Half,
    pub half_year_end: NaiveDate,
    pub amount_claimed: Money,
}
