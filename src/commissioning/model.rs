//! What clients send and what they see of a commissioning paper.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::money::Money;
use crate::priority_sets::Priority;
use crate::timestamps;
use crate::workflow::{Status, Transition};

crate::stored_enum! {
    /// Where a partnership's priority comes from.
    pub enum PrioritySource {
        /// Found by the annual Crime Strategic Assessment (e.g. Hate Crime).
        StrategicAssessment => "strategic_assessment",
        /// An emerging area the Organised Crime Local Profiles raise (e.g. Modern Slavery).
        Emerging => "emerging",
        /// A cross-cutting issue (e.g. mental health, alcohol and drugs).
        CrossCutting => "cross_cutting",
    }
}

crate::stored_enum! {
    /// Whether an amount of a recommendation is known, and if not, why not.
    pub enum AmountState {
        /// The amount is given.
        Known => "known",
        /// "Tbc": still to be confirmed.
        ToBeConfirmed => "to_be_confirmed",
        /// Asked of its funder, awaiting its confirmation.
        AwaitingConfirmation => "awaiting_confirmation",
        /// There is none.
        NoAmount => "none",
    }
}

/// An amount a recommendation proposes: known, or one of the explicit states, never a zero
/// standing for "not known".
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"state": "known", "amount": "110000.00"}))]
pub struct ProposedAmount {
    pub state: AmountState,
    /// Given exactly when `state` is `known`, and then more than zero.
    #[serde(default)]
    pub amount: Option<Money>,
}

impl ProposedAmount {
    pub fn known(&self) -> Option<Money> {
        self.amount.filter(|_| self.state == AmountState::Known)
    }
}

/// A commissioning paper's content. `fund_years` is required when creating; a replacement may
/// repeat it but not change it.
#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"fund_years": ["2017-18", "2018-19"], "title": "Integrated Commissioning – January 2017",
    "context": "Plymouth has been awarded £400,568 for each of 2017-18 and 2018-19.",
    "priorities": [{"number": 1, "title": "Domestic Abuse and Sexual Violence including Child Sexual Exploitation",
        "source": "strategic_assessment", "plan_priorities": [3, 4]}],
    "recommendations": [{"number": 1,
        "area_need": "Support victims of Domestic Abuse with an integrated service.",
        "recommendation": "Continue to commission the Plymouth Domestic Abuse contract",
        "opcc_contribution": {"state": "known", "amount": "110000.00"},
        "total_budget": {"state": "known", "amount": "501753.00"}, "priorities": [1]}]}))]
pub struct CommissioningPaperInput {
    /// The fund years the paper covers, e.g. ["2017-18", "2018-19"]; the partnership needs an
    /// allocation in the earliest.
    #[serde(default)]
    pub fund_years: Option<Vec<String>>,
    pub title: String,
    /// The paper's context: the grant, what the OPCC funds county-wide alongside it, the strategic
    /// picture.
    #[serde(default)]
    pub context: String,
    #[serde(default)]
    pub priorities: Vec<CommissioningPriorityInput>,
    #[serde(default)]
    pub recommendations: Vec<RecommendationInput>,
}

/// One of the partnership's own priorities, identified by its number within the paper.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct CommissioningPriorityInput {
    pub number: i32,
    pub title: String,
    pub source: PrioritySource,
    /// Numbers of the Police & Crime Plan priorities it serves, in the priority set of every fund
    /// year the paper covers.
    pub plan_priorities: Vec<i32>,
}

/// A row of the paper's recommendations table, identified by its number within the paper.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct RecommendationInput {
    pub number: i32,
    /// The area or need it answers.
    pub area_need: String,
    pub recommendation: String,
    /// What the OPCC's grant would pay.
    pub opcc_contribution: ProposedAmount,
    /// The whole service's budget; the OPCC's contribution cannot exceed it when both are known.
    pub total_budget: ProposedAmount,
    /// Numbers of the paper's own priorities it serves.
    #[serde(default)]
    pub priorities: Vec<i32>,
}

/// Putting a paper to the partnership's board.
#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"board": "Safer Plymouth", "meeting_on": "2017-01-24"}))]
pub struct TableInput {
    /// The board or meeting that discusses it.
    pub board: String,
    pub meeting_on: NaiveDate,
}

/// The board's agreement, as the manager records it.
#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decided_on": "2017-01-24"}))]
pub struct AgreeInput {
    /// The day the board agreed; not before the meeting it was put to.
    pub decided_on: NaiveDate,
}

/// The board sending the paper back, as the manager records it.
#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decided_on": "2017-01-24", "reason": "Cost the healthy relationships work first."}))]
pub struct SendBackInput {
    pub decided_on: NaiveDate,
    pub reason: String,
}

// ---- What clients see ----

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct CommissioningPriority {
    pub number: i32,
    pub title: String,
    pub source: PrioritySource,
    /// The Police & Crime Plan priorities it serves, titled as in the earliest fund year's set.
    pub plan_priorities: Vec<Priority>,
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct Recommendation {
    /// Plan lines cite a recommendation by this id.
    pub id: i64,
    pub number: i32,
    pub area_need: String,
    pub recommendation: String,
    pub opcc_contribution: ProposedAmount,
    pub total_budget: ProposedAmount,
    pub priorities: Vec<i32>,
}

/// The board meeting a paper was put to, and what it decided.
#[derive(Serialize, ToSchema, Debug, Clone, Default)]
pub struct BoardDecision {
    /// The board or meeting; empty until the paper is tabled.
    pub board: String,
    pub meeting_on: Option<NaiveDate>,
    /// When the board agreed it or sent it back.
    pub decided_on: Option<NaiveDate>,
    /// Why the board sent it back.
    pub comment: String,
}

#[derive(Serialize, ToSchema, Debug, Clone)]
#[schema(example = json!({"id": 1, "partnership_id": 1, "partnership": "Safer Plymouth",
    "fund_years": ["2017-18", "2018-19"], "status": "agreed", "version": 3,
    "title": "Integrated Commissioning – January 2017", "context": "",
    "priorities": [{"number": 1, "title": "Hate Crime", "source": "strategic_assessment",
        "plan_priorities": [{"number": 1, "title": "Connecting Communities and Policing"}]}],
    "recommendations": [{"id": 1, "number": 1, "area_need": "Support victims of Domestic Abuse.",
        "recommendation": "Continue to commission the Plymouth Domestic Abuse contract",
        "opcc_contribution": {"state": "known", "amount": "110000.00"},
        "total_budget": {"state": "known", "amount": "501753.00"}, "priorities": [1]}],
    "board": {"board": "Safer Plymouth", "meeting_on": "2017-01-24", "decided_on": "2017-01-24", "comment": ""},
    "allowed_transitions": ["revise"],
    "created_at": "2017-01-10T09:00:00Z", "updated_at": "2017-01-24T16:00:00Z"}))]
pub struct CommissioningPaper {
    pub id: i64,
    pub partnership_id: i64,
    pub partnership: String,
    pub fund_years: Vec<String>,
    pub status: Status,
    /// The version read: send it back in If-Match to change the paper.
    pub version: i32,
    pub title: String,
    pub context: String,
    pub priorities: Vec<CommissioningPriority>,
    pub recommendations: Vec<Recommendation>,
    pub board: BoardDecision,
    /// What you may do to the paper now, as POST /commissioning-papers/{id}/<transition>.
    pub allowed_transitions: Vec<Transition>,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub updated_at: NaiveDateTime,
}

/// A commissioning paper in a list.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct CommissioningPaperSummary {
    pub id: i64,
    pub partnership_id: i64,
    pub partnership: String,
    pub fund_years: Vec<String>,
    pub status: Status,
    pub version: i32,
    pub title: String,
    pub recommendation_count: i64,
    pub meeting_on: Option<NaiveDate>,
    pub decided_on: Option<NaiveDate>,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub updated_at: NaiveDateTime,
}
