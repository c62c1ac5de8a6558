//! What clients send and what they see of a final report.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::schema::Object;

use crate::documents::DocumentHeader;
use crate::indicators::{IndicatorActual, IndicatorActualInput};
use crate::money::Money;
use crate::timestamps;
use crate::workflow::Transition;

crate::stored_enum! {
    /// What the partnership proposes for money left unspent at year end.
    pub enum UnspentTreatment {
        ReturnToOpcc => "return_to_opcc",
        CarryForward => "carry_forward",
        OffsetNextYear => "offset_next_year",
    }
}

/// A final report's content. `allocation_id` is required when creating; a replacement may
/// repeat it but not change it.
#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"allocation_id": 1,
    "lines": [
        {"plan_line": 6, "actual_spend": "16486.00", "variance_explanation": "Overspent by £440 (Recovery café rental, PSPO materials).",
         "outcomes": "4.4% reduction in ASB across the city.", "case_study": "A young person diverted from ASB through the Recovery café.",
         "case_study_anonymised": true},
        {"plan_line": 8, "actual_spend": "38560.00", "variance_explanation": "Underspend £440, offset against the ASB overspend.",
         "outcomes": "Strategic Crime Assessment delivered."}],
    "virements": [{"from_line": 8, "to_line": 6, "amount": "440.00", "reason": "Infrastructure underspend meets the ASB overspend"}]}))]
pub struct FinalReportInput {
    pub allocation_id: Option<i64>,
    #[serde(default)]
    pub lines: Vec<FinalLineInput>,
    #[serde(default)]
    pub virements: Vec<VirementInput>,
    /// Required once every plan line is reported and money is left unspent.
    pub unspent_treatment: Option<UnspentTreatment>,
    #[serde(default)]
    pub treatment_notes: String,
}

#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct FinalLineInput {
    /// The number of the plan line reported on.
    pub plan_line: i32,
    pub actual_spend: Money,
    /// Required whenever the spend differs from the allocation.
    #[serde(default)]
    pub variance_explanation: String,
    #[serde(default)]
    pub outcomes: String,
    /// One particularly successful, anonymised positive outcome.
    #[serde(default)]
    pub case_study: String,
    /// The manager's confirmation that the case study holds no personal data; required with one.
    #[serde(default)]
    pub case_study_anonymised: bool,
    /// Year-end figures against the plan line's indicators, for the form's outcomes section.
    #[serde(default)]
    pub indicator_actuals: Vec<IndicatorActualInput>,
}

/// Money moved from one line's underspend to another line.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct VirementInput {
    pub from_line: i32,
    pub to_line: i32,
    pub amount: Money,
    pub reason: String,
}

// ---- What clients see ----

#[derive(Serialize, ToSchema, Debug, Clone)]
#[schema(example = json!({
        "allocation_id": 1,
        "allowed_transitions": [
            "sign"
        ],
        "created_at": "2026-11-22T09:00:00Z",
        "fund_year": "2017-18",
        "id": 1,
        "lines": [
            {
                "actual_spend": "160200.00",
                "allocated": "160200.00",
                "allocated_after_virements": "160200.00",
                "case_study": "A mother of two supported by the IDVA service through MARAC moved with her children int...",
                "case_study_anonymised": true,
                "outcomes": "The service supported 2,067 victims of domestic abuse; 440 IDVA clients were reviewed a...",
                "plan_line": 1,
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
                "title": "Plymouth Domestic Abuse Service",
                "variance": "0.00",
                "variance_explanation": "",
                "virements_in": "0.00",
                "virements_out": "0.00"
            }
        ],
        "partnership": "Safer Plymouth",
        "partnership_id": 1,
        "review": {
            "carried_forward_to": null,
            "offset_against": null,
            "comment": "",
            "unspent_decided": null,
            "unspent_decision": null
        },
        "status": "draft",
        "totals": {
            "allocated": "428246.00",
            "available": "428246.00",
            "moved_by_virements": "440.00",
            "spent": "428246.00",
            "unspent": "0.00",
            "variance": "0.00"
        },
        "treatment_notes": "",
        "unspent_treatment": null,
        "updated_at": "2026-11-22T09:00:00Z",
        "deadline": {"due_on": "2022-06-30", "submitted_on": null, "state": "overdue", "overdue": true, "submitted_late": false, "days_late": 2000},
        "version": 1,
        "virements": [
            {
                "amount": "440.00",
                "from_line": 8,
                "reason": "Infrastructure underspend meets the ASB overspend",
                "to_line": 6
            }
        ]
    }))]
pub struct FinalReport {
    #[serde(flatten)]
    #[schema(schema_with = header_schema)]
    pub header: DocumentHeader,
    /// What you may do to the report now, as POST /final-reports/{id}/<transition>.
    pub allowed_transitions: Vec<Transition>,
    pub lines: Vec<FinalLine>,
    pub virements: Vec<VirementInput>,
    pub totals: ReportTotals,
    /// The OPCC's review: the decision on the unspent balance, or why changes were requested.
    pub review: ReportReview,
    pub unspent_treatment: Option<UnspentTreatment>,
    pub treatment_notes: String,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub created_at: NaiveDateTime,
}

/// A report's header; its version is the ETag to send back.
fn header_schema() -> Object {
    DocumentHeader::in_view("report")
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct FinalLine {
    pub plan_line: i32,
    pub title: String,
    /// The plan line's amount.
    pub allocated: Money,
    pub actual_spend: Money,
    /// Spend minus allocation: positive is an overspend, negative an underspend.
    #[schema(example = "440.00")]
    pub variance: Money,
    pub variance_explanation: String,
    pub virements_in: Money,
    pub virements_out: Money,
    /// Allocated plus virements in, minus virements out.
    pub allocated_after_virements: Money,
    pub outcomes: String,
    /// Year-end figures against the plan line's indicators, each with its target and whether
    /// it was met.
    pub indicator_actuals: Vec<IndicatorActual>,
    pub case_study: String,
    pub case_study_anonymised: bool,
}

crate::stored_enum! {
    /// What the OPCC decided for the unspent balance when accepting the report.
    pub enum UnspentDecision {
        /// Returned to the OPCC.
        Returned => "returned",
        /// Added to the partnership's allocation for the next fund year, with its purpose.
        CarriedForward => "carried_forward",
        /// Offset against the next year's grant.
        Offset => "offset",
    }
}

#[derive(Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct ReportReview {
    pub unspent_decision: Option<UnspentDecision>,
    /// The unspent balance the decision covers.
    pub unspent_decided: Option<Money>,
    /// The next year's allocation the balance was carried forward into.
    pub carried_forward_to: Option<i64>,
    /// The next year's allocation the balance is deducted from, when offset.
    pub offset_against: Option<i64>,
    /// Why changes were last requested.
    pub comment: String,
}

#[derive(Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct ReportTotals {
    /// Grant plus carry-forward.
    pub available: Money,
    /// Sum of the reported lines' allocations.
    pub allocated: Money,
    pub spent: Money,
    /// Spent minus allocated.
    pub variance: Money,
    /// Money moved by virements (it moves; it is never created).
    pub moved_by_virements: Money,
    /// Available minus spent: to be returned, carried forward or offset.
    pub unspent: Money,
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct FinalReportSummary {
    #[serde(flatten)]
    #[schema(inline)]
    pub header: DocumentHeader,
}
