//! What clients send and what they see of a plan.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::schema::Object;

use crate::documents::DocumentHeader;
use crate::measures::{Comparison, Measure};
use crate::money::Money;
use crate::priority_sets::Priority;
use crate::timestamps;
use crate::workflow::Transition;

/// A plan's content. `allocation_id` is required when creating; a replacement may repeat it but
/// not change it.
#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"allocation_id": 2, "lines": [{"number": 1,
    "title": "Domestic abuse: integrated victim service",
    "outline": "Continue to commission the Plymouth Domestic Abuse Service; support the perpetrator pilot.",
    "amount": "240819.00",
    "sub_allocations": [{"label": "Plymouth Domestic Abuse Service", "amount": "210000.00"},
                        {"label": "Perpetrator pilot match funding", "amount": "30819.00"}],
    "provider": "Sanctuary Supported Living", "total_contract_value": "573300.00",
    "priorities": [3, 4], "outcome_measures": "Quarterly contract monitoring.",
    "indicators": [{"number": 1, "name": "Victims referred who engage", "comparison": "at_least",
                    "target": "75", "unit": "%"},
                   {"number": 2, "name": "Re-referral rate", "comparison": "less_than", "target": "20", "unit": "%"}]}]}))]
pub struct PlanInput {
    pub allocation_id: Option<i64>,
    pub lines: Vec<PlanLineInput>,
}

/// One line of a plan, identified by its number (1, 2, ...), which returns and reports cite.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct PlanLineInput {
    pub number: i32,
    pub title: String,
    #[serde(default)]
    pub outline: String,
    /// The amount allocated to the line.
    pub amount: Money,
    /// Bracketed parts of the amount, e.g. £240,819 = £210,000 + £30,819; they may not exceed it.
    #[serde(default)]
    pub sub_allocations: Vec<SubAllocation>,
    pub provider: Option<String>,
    /// The whole contract's value, of which the line pays a share (computed as `opcc_share_percent`).
    pub total_contract_value: Option<Money>,
    /// Numbers of the fund year's Police & Crime Plan priorities the line serves.
    #[serde(default)]
    pub priorities: Vec<i32>,
    /// How the outcomes will be measured.
    #[serde(default)]
    pub outcome_measures: String,
    #[serde(default)]
    pub indicators: Vec<IndicatorInput>,
    /// The id of the recommendation the line carries out, from an agreed commissioning paper of
    /// the partnership covering the fund year.
    #[serde(default)]
    pub recommendation_id: Option<i64>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SubAllocation {
    pub label: String,
    pub amount: Money,
}

/// A measurable indicator: "re-referral rate less than 20 %". Qualitative indicators ("staff
/// trained are satisfied") have neither comparison nor target.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct IndicatorInput {
    /// Identifies the indicator within its line; returns report actuals against it.
    pub number: i32,
    pub name: String,
    pub comparison: Option<Comparison>,
    pub target: Option<Measure>,
    /// e.g. "%", "people", "sessions".
    #[serde(default)]
    pub unit: String,
}

// ---- What clients see ----

#[derive(Serialize, ToSchema, Debug, Clone)]
#[schema(example = json!({
        "allocation_id": 2,
        "allowed_transitions": [
            "submit"
        ],
        "created_at": "2026-11-22T09:00:00Z",
        "fund_year": "2021-22",
        "id": 2,
        "lines": [
            {
                "amount": "240819.00",
                "indicators": [
                    {
                        "comparison": "equal_to",
                        "name": "Victims engaging with the service supported to minimise risk",
                        "number": 1,
                        "target": "100",
                        "target_text": "= 100 %",
                        "unit": "%"
                    },
                    {
                        "comparison": "at_least",
                        "name": "Victims referred to the service who engage with it",
                        "number": 2,
                        "target": "75",
                        "target_text": ">= 75 %",
                        "unit": "%"
                    },
                    {
                        "comparison": "less_than",
                        "name": "Re-referral rate",
                        "number": 3,
                        "target": "20",
                        "target_text": "< 20 %",
                        "unit": "%"
                    },
                    {
                        "comparison": null,
                        "name": "Staff trained are satisfied",
                        "number": 4,
                        "target": null,
                        "target_text": null,
                        "unit": ""
                    },
                    {
                        "comparison": "at_least",
                        "name": "Victims exiting the service in a planned way",
                        "number": 5,
                        "target": "90",
                        "target_text": ">= 90 %",
                        "unit": "%"
                    }
                ],
                "number": 1,
                "opcc_share_percent": "42.01",
                "outcome_measures": "The Plymouth Domestic Abuse Service contract receives ongoing contract monitoring inclu...",
                "outline": "Continue to commission the Plymouth Domestic Abuse Service: refuge and safe house accom...",
                "priorities": [
                    {
                        "number": 3,
                        "title": "Protecting people at risk of abuse"
                    },
                    {
                        "number": 4,
                        "title": "Supporting victims and witnesses and helping them to get justice"
                    }
                ],
                "provider": "Plymouth Domestic Abuse Service",
                "sub_allocated": "240819.00",
                "sub_allocations": [
                    {
                        "amount": "210000.00",
                        "label": "Plymouth Domestic Abuse Service"
                    },
                    {
                        "amount": "30819.00",
                        "label": "Perpetrator pilot match funding"
                    }
                ],
                "title": "Support victims of domestic abuse with an integrated service",
                "total_contract_value": "573300.00"
            }
        ],
        "partnership": "Safer Plymouth",
        "partnership_id": 1,
        "review": {
            "approved_amount": null,
            "approved_at": null,
            "comment": "",
            "decisions": []
        },
        "status": "draft",
        "totals": {
            "allocated": "400568.00",
            "available": "400568.00",
            "unallocated": "0.00"
        },
        "updated_at": "2026-11-22T09:00:00Z",
        "deadline": {"due_on": "2021-05-28", "submitted_on": null, "state": "overdue", "overdue": true, "submitted_late": false, "days_late": 2000},
        "version": 1
    }))]
pub struct Plan {
    #[serde(flatten)]
    #[schema(schema_with = header_schema)]
    pub header: DocumentHeader,
    /// What you may do to the plan now, as POST /plans/{id}/<transition>.
    pub allowed_transitions: Vec<Transition>,
    pub lines: Vec<PlanLine>,
    pub totals: PlanTotals,
    /// The OPCC's review: line decisions, the approved amount, the reason changes were requested.
    pub review: PlanReview,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub created_at: NaiveDateTime,
}

/// A plan's header; its version is the ETag to send back.
fn header_schema() -> Object {
    DocumentHeader::in_view("plan")
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct PlanLine {
    pub number: i32,
    pub title: String,
    pub outline: String,
    pub amount: Money,
    pub sub_allocations: Vec<SubAllocation>,
    /// Sum of the sub-allocations.
    pub sub_allocated: Money,
    pub provider: Option<String>,
    pub total_contract_value: Option<Money>,
    /// The line's amount as a percentage of the total contract value, to two places.
    #[schema(example = "28.99")]
    pub opcc_share_percent: Option<String>,
    pub priorities: Vec<Priority>,
    pub outcome_measures: String,
    pub indicators: Vec<Indicator>,
    /// The commissioning paper's recommendation the line carries out, if any.
    pub recommendation_id: Option<i64>,
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct Indicator {
    pub number: i32,
    pub name: String,
    pub comparison: Option<Comparison>,
    pub target: Option<Measure>,
    pub unit: String,
    /// The target written out, e.g. "< 20 %".
    pub target_text: Option<String>,
}

crate::stored_enum! {
    /// A reviewer's decision on one line (the form's "Approved" column).
    pub enum Decision {
        Approved => "approved",
        Declined => "declined",
    }
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct PlanReview {
    pub decisions: Vec<LineDecision>,
    /// Sum of the approved lines, once the plan is approved.
    pub approved_amount: Option<Money>,
    #[schema(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub approved_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Why changes were last requested.
    pub comment: String,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LineDecision {
    /// The plan line's number.
    pub line: i32,
    pub decision: Decision,
    #[serde(default)]
    pub comment: String,
}

/// Money available to the plan and how much of it the lines use.
#[derive(Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct PlanTotals {
    /// Grant plus carry-forward.
    pub available: Money,
    /// Sum of the lines.
    pub allocated: Money,
    /// Available minus allocated.
    pub unallocated: Money,
}

/// A plan in a list: its figures without its lines.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct PlanSummary {
    #[serde(flatten)]
    #[schema(inline)]
    pub header: DocumentHeader,
    pub line_count: usize,
    pub totals: PlanTotals,
}
