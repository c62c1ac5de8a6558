//! What a webhook announces: event types in the fund's words, which history entries raise them,
//! and the payload every delivery carries.

use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::deadlines::DueDocument;
use crate::error::Error;
use crate::history::{Action, Checkpoint, Entry};
use crate::timestamps;
use crate::workflow::DocumentKind;

crate::stored_enum! {
    /// An event a subscription can ask for: `<object>.<what happened>`.
    pub enum EventType {
        /// A plan was signed and submitted to the OPCC.
        PlanSubmitted => "plan.submitted",
        /// A submitted plan was withdrawn to draft.
        PlanWithdrawn => "plan.withdrawn",
        PlanReviewStarted => "plan.review_started",
        /// The OPCC sent a plan back for changes.
        PlanChangesRequested => "plan.changes_requested",
        PlanApproved => "plan.approved",
        PlanAmendmentProposed => "plan.amendment_proposed",
        PlanAmendmentApplied => "plan.amendment_applied",
        PlanAmendmentDeclined => "plan.amendment_declined",
        /// The manager signed a half-year return; it awaits the treasurer.
        HalfYearReturnSigned => "half_year_return.signed",
        /// The treasurer countersigned a half-year return: it is submitted to the OPCC.
        HalfYearReturnCountersigned => "half_year_return.countersigned",
        HalfYearReturnWithdrawn => "half_year_return.withdrawn",
        HalfYearReturnReviewStarted => "half_year_return.review_started",
        HalfYearReturnChangesRequested => "half_year_return.changes_requested",
        HalfYearReturnAccepted => "half_year_return.accepted",
        /// A half-year return was accepted and its claim approved for payment.
        ClaimApproved => "claim.approved",
        /// Finance recorded a payment of an approved claim.
        PaymentRecorded => "payment.recorded",
        FinalReportSigned => "final_report.signed",
        FinalReportCountersigned => "final_report.countersigned",
        FinalReportWithdrawn => "final_report.withdrawn",
        FinalReportReviewStarted => "final_report.review_started",
        FinalReportChangesRequested => "final_report.changes_requested",
        FinalReportAccepted => "final_report.accepted",
        /// A document passed its due date without being submitted.
        DeadlineOverdue => "deadline.overdue",
        /// The service signed a checkpoint of the history: a witness keeps it.
        HistoryCheckpointSigned => "history.checkpoint_signed",
    }
}

impl EventType {
    /// What happened, in one sentence, for the API document.
    pub fn summary(self) -> &'static str {
        use EventType::*;
        match self {
            PlanSubmitted => "A plan was submitted to the OPCC",
            PlanWithdrawn => "A submitted plan was withdrawn to draft",
            PlanReviewStarted => "The OPCC started reviewing a plan",
            PlanChangesRequested => "The OPCC sent a plan back for changes",
            PlanApproved => "The OPCC approved a plan",
            PlanAmendmentProposed => "The partnership proposed an amendment to an approved plan",
            PlanAmendmentApplied => "The OPCC applied a plan amendment",
            PlanAmendmentDeclined => "The OPCC declined a plan amendment",
            HalfYearReturnSigned => "The manager signed a half-year return; it awaits the treasurer",
            HalfYearReturnCountersigned => "The treasurer countersigned a half-year return: it is submitted",
            HalfYearReturnWithdrawn => "A half-year return was withdrawn to draft",
            HalfYearReturnReviewStarted => "The OPCC started reviewing a half-year return",
            HalfYearReturnChangesRequested => "The OPCC sent a half-year return back for changes",
            HalfYearReturnAccepted => "The OPCC accepted a half-year return",
            ClaimApproved => "A half-year return was accepted and its claim approved for payment",
            PaymentRecorded => "Finance recorded a payment of a half-year return's approved claim",
            FinalReportSigned => "The manager signed a final report; it awaits the treasurer",
            FinalReportCountersigned => "The treasurer countersigned a final report: it is submitted",
            FinalReportWithdrawn => "A final report was withdrawn to draft",
            FinalReportReviewStarted => "The OPCC started reviewing a final report",
            FinalReportChangesRequested => "The OPCC sent a final report back for changes",
            FinalReportAccepted => "The OPCC accepted a final report",
            DeadlineOverdue => "A plan, half-year return or final report passed its due date unsubmitted",
            HistoryCheckpointSigned => "The service signed a checkpoint of the history, for witnesses to keep",
        }
    }
}

/// The events a history entry raises.
pub fn raised_by(entity_kind: &str, action: Action) -> &'static [EventType] {
    use EventType::*;
    let Ok(kind) = entity_kind.parse::<DocumentKind>() else {
        return &[];
    };
    match (kind, action) {
        (DocumentKind::Plan, Action::Submit) => &[PlanSubmitted],
        (DocumentKind::Plan, Action::Withdraw) => &[PlanWithdrawn],
        (DocumentKind::Plan, Action::StartReview) => &[PlanReviewStarted],
        (DocumentKind::Plan, Action::RequestChanges) => &[PlanChangesRequested],
        (DocumentKind::Plan, Action::Approve) => &[PlanApproved],
        (DocumentKind::Plan, Action::AmendmentProposed) => &[PlanAmendmentProposed],
        (DocumentKind::Plan, Action::AmendmentApplied) => &[PlanAmendmentApplied],
        (DocumentKind::Plan, Action::AmendmentDeclined) => &[PlanAmendmentDeclined],
        (DocumentKind::HalfYearReturn, Action::Sign) => &[HalfYearReturnSigned],
        (DocumentKind::HalfYearReturn, Action::Countersign) => &[HalfYearReturnCountersigned],
        (DocumentKind::HalfYearReturn, Action::Withdraw) => &[HalfYearReturnWithdrawn],
        (DocumentKind::HalfYearReturn, Action::StartReview) => &[HalfYearReturnReviewStarted],
        (DocumentKind::HalfYearReturn, Action::RequestChanges) => &[HalfYearReturnChangesRequested],
        (DocumentKind::HalfYearReturn, Action::Accept) => &[HalfYearReturnAccepted, ClaimApproved],
        (DocumentKind::HalfYearReturn, Action::PaymentRecorded) => &[PaymentRecorded],
        (DocumentKind::FinalReport, Action::Sign) => &[FinalReportSigned],
        (DocumentKind::FinalReport, Action::Countersign) => &[FinalReportCountersigned],
        (DocumentKind::FinalReport, Action::Withdraw) => &[FinalReportWithdrawn],
        (DocumentKind::FinalReport, Action::StartReview) => &[FinalReportReviewStarted],
        (DocumentKind::FinalReport, Action::RequestChanges) => &[FinalReportChangesRequested],
        (DocumentKind::FinalReport, Action::Accept) => &[FinalReportAccepted],
        _ => &[],
    }
}

/// What a delivery's body holds, as the Standard Webhooks specification lays it out.
#[derive(Serialize, ToSchema, Debug, Clone)]
#[schema(example = json!({"type": "half_year_return.countersigned", "timestamp": "2017-11-03T09:30:00.000000Z",
    "data": {"object": {"kind": "half_year_return", "id": 1, "partnership_id": 1,
        "url": "https://cspfund.example.gov.uk/api/v1/half-year-returns/1"},
        "state": "submitted", "history_entry": {"id": 42, "occurred_at": "2017-11-03T09:30:00.000000Z",
        "actor": "user:4", "actor_role": "treasurer", "partnership_id": 1, "entity_kind": "half_year_return",
        "entity_id": 1, "action": "countersign", "from_state": "signed", "to_state": "submitted",
        "changed_fields": [], "details": {}, "previous_hash": "5d41402abc4b2a76b9719d911017c592ae7f7e2c1b8a9d4d2c0f9d7e6b5a4c3d",
        "hash": "7f1e9b0c2d3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e"},
        "deadline": null, "checkpoint": null}}))]
#[schema(as = WebhookPayload)]
pub struct Payload {
    /// The event type.
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// When it happened.
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub timestamp: NaiveDateTime,
    pub data: EventData,
}

/// The object an event is about, its new state, and where it came from.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct EventData {
    pub object: EventObject,
    /// The object's state after the event: a document's status, or `overdue`. Null when the
    /// event did not change it (a payment recorded).
    pub state: Option<String>,
    /// The history entry the event came from; null for `deadline.overdue`, which no one did.
    pub history_entry: Option<Entry>,
    /// For `deadline.overdue`: what is due and how late.
    pub deadline: Option<DueDocument>,
    /// The newest signed checkpoint of the history when the message was first sent (for
    /// `history.checkpoint_signed`, the checkpoint signed): keep it, and
    /// `cspfund verify-history --checkpoint` or `POST /history/verification` detects a later
    /// rewrite of any entry before it.
    pub checkpoint: Option<Checkpoint>,
}

/// The object an event is about.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct EventObject {
    /// plan, half_year_return, final_report, allocation (a deadline for a document not yet
    /// started), or history (a checkpoint, its id the entry it covers).
    pub kind: String,
    pub id: i64,
    pub partnership_id: Option<i64>,
    /// Where to read it in this API.
    pub url: String,
}

/// Where the API serves an object, below the service's public address.
fn path_of(kind: &str, id: i64) -> String {
    let collection = kind
        .parse::<DocumentKind>()
        .map(DocumentKind::collection)
        .unwrap_or("allocations");
    format!("/api/v1/{collection}/{id}")
}

impl Payload {
    /// The payload of an event a history entry raised. The object's URL is a path until the
    /// message is first sent, when the public address is put before it.
    pub fn of_entry(event_type: EventType, entry: &Entry) -> Payload {
        Payload {
            event_type,
            timestamp: entry.occurred_at,
            data: EventData {
                object: EventObject {
                    kind: entry.entity_kind.clone(),
                    id: entry.entity_id,
                    partnership_id: entry.partnership_id,
                    url: path_of(&entry.entity_kind, entry.entity_id),
                },
                state: entry.to_state.clone(),
                history_entry: Some(entry.clone()),
                deadline: None,
                checkpoint: None,
            },
        }
    }

    /// The payload of a deadline passed: about the document if it was started, else its
    /// allocation.
    /// The payload announcing a checkpoint to witnesses: the object is the history entry it
    /// covers.
    pub fn of_checkpoint(checkpoint: &Checkpoint) -> Payload {
        Payload {
            event_type: EventType::HistoryCheckpointSigned,
            timestamp: timestamps::now(),
            data: EventData {
                object: EventObject {
                    kind: "history".into(),
                    id: checkpoint.entry_id,
                    partnership_id: None,
                    url: "/api/v1/history/checkpoints".into(),
                },
                state: None,
                history_entry: None,
                deadline: None,
                checkpoint: Some(checkpoint.clone()),
            },
        }
    }

    pub fn of_overdue(due: &DueDocument) -> Payload {
        let (kind, id) = match due.document_id {
            Some(id) => (due.kind.as_str().to_owned(), id),
            None => ("allocation".to_owned(), due.allocation_id),
        };
        Payload {
            event_type: EventType::DeadlineOverdue,
            timestamp: timestamps::now(),
            data: EventData {
                object: EventObject {
                    url: path_of(&kind, id),
                    kind,
                    id,
                    partnership_id: Some(due.partnership_id),
                },
                state: Some("overdue".into()),
                history_entry: None,
                deadline: Some(due.clone()),
                checkpoint: None,
            },
        }
    }
}

/// The body first sent: the stored payload with the public address before the object's path
/// and the newest checkpoint, unless it announces one of its own. Kept, so every retry sends the
/// same bytes.
pub fn body(payload: &str, public_url: &str, checkpoint: Option<&Checkpoint>) -> Result<String, Error> {
    let mut payload: Value = serde_json::from_str(payload).map_err(Error::internal)?;
    if let Some(url) = payload.pointer_mut("/data/object/url")
        && let Some(path) = url.as_str()
    {
        *url = json!(format!("{public_url}{path}"));
    }
    if let Some(data) = payload.get_mut("data").and_then(Value::as_object_mut)
        && data.get("checkpoint").is_none_or(Value::is_null)
    {
        data.insert("checkpoint".into(), json!(checkpoint));
    }
    serde_json::to_string(&payload).map_err(Error::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fund_names_its_events_and_an_accepted_return_approves_its_claim() {
        assert_eq!(
            raised_by("half_year_return", Action::Accept),
            &[EventType::HalfYearReturnAccepted, EventType::ClaimApproved]
        );
        assert_eq!(raised_by("plan", Action::Approve), &[EventType::PlanApproved]);
        assert!(raised_by("plan", Action::Edited).is_empty());
        assert!(raised_by("user", Action::Created).is_empty());
    }
}
