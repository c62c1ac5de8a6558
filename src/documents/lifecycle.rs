//! How a document moves: every transition is checked against the workflow table and the
//! client's version, takes effect, advances status and version together, snapshots what the
//! OPCC receives or decides, and lands in the history, all in one transaction.

use serde_json::{Value, json};

use super::{DocumentKind, Located, Precondition, advance, locate};
use crate::auth::Caller;
use crate::canonical;
use crate::db::DbConnection;
use crate::error::Error;
use crate::history::{self, Event, diff};
use crate::signatures::{self, Capacity, Signer};
use crate::workflow::{self, Status, Transition};
use crate::{attachments, final_reports, half_year_returns, plans, versions};

/// Top-level fields of a document's JSON that are not what its signers vouch for: its handling,
/// and the totals, which also move with other documents (a second claim changes the first
/// return's "unclaimed") and with the allocation.
const NOT_CONTENT: [&str; 7] = [
    "status",
    "version",
    "created_at",
    "updated_at",
    "allowed_transitions",
    "review",
    "totals",
];

/// The document as clients read it.
pub fn view(conn: &mut DbConnection, kind: DocumentKind, id: i64) -> Result<Value, Error> {
    let value = match kind {
        DocumentKind::Plan => serde_json::to_value(plans::load(conn, id)?),
        DocumentKind::HalfYearReturn => serde_json::to_value(half_year_returns::load(conn, id)?),
        DocumentKind::FinalReport => serde_json::to_value(final_reports::load(conn, id)?),
    };
    value.map_err(Error::internal)
}

/// What is signed: the document's content (money as strings) and the evidence attached to it,
/// without its status, version, timestamps or review.
pub fn content(conn: &mut DbConnection, kind: DocumentKind, id: i64) -> Result<Value, Error> {
    let mut value = view(conn, kind, id)?;
    if let Value::Object(fields) = &mut value {
        for key in NOT_CONTENT {
            fields.remove(key);
        }
        fields.insert("attachments".into(), attachments::fingerprints(conn, kind, id)?);
    }
    Ok(value)
}

pub fn content_sha256(conn: &mut DbConnection, kind: DocumentKind, id: i64) -> Result<String, Error> {
    Ok(canonical::digest(&content(conn, kind, id)?))
}

/// A transition the caller may take, checked but not yet done.
pub struct Move {
    pub document: Located,
    pub transition: Transition,
    pub to: Status,
}

/// Checks a transition: 404 if the document is not visible, 403 for the wrong role, 409 for the
/// wrong state, 412 if the client's version is stale.
pub fn begin(
    conn: &mut DbConnection,
    caller: &Caller,
    kind: DocumentKind,
    id: i64,
    expected_version: Precondition,
    transition: Transition,
) -> Result<Move, Error> {
    let document = locate(conn, caller, kind, id)?;
    let to = workflow::check(kind, document.status, transition, caller)?;
    document.ensure_version(expected_version)?;
    Ok(Move {
        document,
        transition,
        to,
    })
}

/// The snapshots the OPCC's receipt and decisions call for.
fn snapshot_reason(transition: Transition) -> Option<&'static str> {
    match transition {
        Transition::Submit | Transition::Countersign => Some("submitted"),
        Transition::Approve => Some("approved"),
        Transition::Accept => Some("accepted"),
        _ => None,
    }
}

/// Completes a transition after its effects: status and version, snapshot, history.
pub fn finish(conn: &mut DbConnection, caller: &Caller, step: &Move, details: Value) -> Result<(), Error> {
    let Located {
        kind,
        id,
        status: from,
        version,
        partnership_id,
        ..
    } = step.document;
    advance(conn, kind, id, version, step.to)?;
    if let Some(reason) = snapshot_reason(step.transition) {
        let snapshot = view(conn, kind, id)?;
        versions::record(conn, caller, kind, id, reason, &snapshot)?;
    }
    history::append(
        conn,
        Event {
            actor: caller,
            partnership_id: Some(partnership_id),
            entity_kind: kind.as_str(),
            entity_id: id,
            action: step.transition.as_str(),
            from_state: Some(from),
            to_state: Some(step.to),
            changed_fields: Vec::new(),
            details,
        },
    )
}

/// Signs the document's current content in `capacity`. A countersignature needs the manager's
/// standing signature on exactly this content.
pub fn sign(
    conn: &mut DbConnection,
    caller: &Caller,
    step: &Move,
    capacity: Capacity,
    signer: &Signer,
) -> Result<Value, Error> {
    let Located { kind, id, .. } = step.document;
    let sha256 = content_sha256(conn, kind, id)?;
    if capacity == Capacity::Treasurer {
        let managers_hash = signatures::standing(conn, kind, id)?
            .into_iter()
            .find(|s| s.capacity == Capacity::CspManager)
            .map(|s| s.content_sha256);
        if managers_hash.as_deref() != Some(sha256.as_str()) {
            return Err(Error::Conflict {
                detail: "the treasurer countersigns the content the manager signed, and there is no standing manager's signature on it".into(),
                field: None,
            });
        }
    }
    signatures::record(conn, caller, kind, id, capacity, signer, &sha256)?;
    Ok(
        json!({"capacity": capacity, "printed_name": signer.printed_name, "position": signer.position, "content_sha256": sha256}),
    )
}

/// Voids the document's signatures: it is going back to being a draft.
pub fn void_signatures(conn: &mut DbConnection, step: &Move, reason: &str) -> Result<Value, Error> {
    let voided = signatures::void_all(conn, step.document.kind, step.document.id, reason)?;
    Ok(json!({"signatures_voided": voided, "reason": reason}))
}

/// Records a change of content: the fields that changed between `before` and now.
pub fn record_edit(
    conn: &mut DbConnection,
    caller: &Caller,
    document: &Located,
    action: &str,
    before: &Value,
    details: Value,
) -> Result<(), Error> {
    let after = content(conn, document.kind, document.id)?;
    history::append(
        conn,
        Event {
            actor: caller,
            partnership_id: Some(document.partnership_id),
            entity_kind: document.kind.as_str(),
            entity_id: document.id,
            action,
            from_state: None,
            to_state: None,
            changed_fields: diff::changed_fields(before, &after),
            details,
        },
    )
}

/// Records a new document.
pub fn record_created(conn: &mut DbConnection, caller: &Caller, kind: DocumentKind, id: i64) -> Result<(), Error> {
    let document = locate(conn, caller, kind, id)?;
    record_edit(conn, caller, &document, "created", &Value::Null, json!({}))
}

/// Checks an edit of content: a draft, written by the partnership's manager, at the client's
/// version. Returns the document and its content before the edit.
pub fn begin_edit(
    conn: &mut DbConnection,
    caller: &Caller,
    kind: DocumentKind,
    id: i64,
    expected_version: Option<Precondition>,
) -> Result<(Located, Value), Error> {
    let document = locate(conn, caller, kind, id)?;
    super::ensure_editable(caller, document.partnership_id, document.status, kind.noun())?;
    if let Some(expected) = expected_version {
        document.ensure_version(expected)?;
    }
    let before = content(conn, kind, id)?;
    Ok((document, before))
}

/// Completes an edit: bumps the version (once, against the version read) and records the change.
pub fn finish_edit(
    conn: &mut DbConnection,
    caller: &Caller,
    document: &Located,
    action: &str,
    before: &Value,
    details: Value,
) -> Result<(), Error> {
    advance(conn, document.kind, document.id, document.version, document.status)?;
    record_edit(conn, caller, document, action, before, details)
}

/// The document as `caller` reads it: with the transitions the caller may take now.
pub fn view_for(conn: &mut DbConnection, caller: &Caller, kind: DocumentKind, id: i64) -> Result<Value, Error> {
    let document = locate(conn, caller, kind, id)?;
    let mut value = view(conn, kind, id)?;
    value["allowed_transitions"] = json!(workflow::allowed(kind, document.status, caller.role));
    Ok(value)
}

/// Takes a transition that needs nothing but the workflow's permission (start-review).
pub fn step_only(
    conn: &mut DbConnection,
    caller: &Caller,
    kind: DocumentKind,
    id: i64,
    expected: Precondition,
    transition: Transition,
) -> Result<(), Error> {
    let step = begin(conn, caller, kind, id, expected, transition)?;
    finish(conn, caller, &step, json!({}))
}

/// The manager takes a submitted (or signed) document back before review starts.
pub fn withdraw(
    conn: &mut DbConnection,
    caller: &Caller,
    kind: DocumentKind,
    id: i64,
    expected: Precondition,
) -> Result<(), Error> {
    let step = begin(conn, caller, kind, id, expected, Transition::Withdraw)?;
    let details = void_signatures(conn, &step, "withdrawn by the partnership")?;
    super::clear_review(conn, kind, id)?;
    finish(conn, caller, &step, details)
}

/// The reviewer sends the document back, saying what to change.
pub fn request_changes(
    conn: &mut DbConnection,
    caller: &Caller,
    kind: DocumentKind,
    id: i64,
    expected: Precondition,
    reason: &str,
) -> Result<(), Error> {
    let step = begin(conn, caller, kind, id, expected, Transition::RequestChanges)?;
    super::set_review_comment(conn, kind, id, reason)?;
    finish(conn, caller, &step, json!({"reason": reason}))
}

/// The manager reopens a document sent back: it becomes a draft and its signatures are void.
pub fn revise(
    conn: &mut DbConnection,
    caller: &Caller,
    kind: DocumentKind,
    id: i64,
    expected: Precondition,
) -> Result<(), Error> {
    let step = begin(conn, caller, kind, id, expected, Transition::Revise)?;
    let details = void_signatures(conn, &step, "sent back for changes")?;
    super::clear_review(conn, kind, id)?;
    finish(conn, caller, &step, details)
}

/// The manager signs a complete document: a plan is thereby submitted, a return or report
/// awaits the treasurer's countersignature. `ready` checks completeness first (422).
pub fn sign_as_manager(
    conn: &mut DbConnection,
    caller: &Caller,
    kind: DocumentKind,
    id: i64,
    expected: Precondition,
    signer: &Signer,
    ready: impl FnOnce(&mut DbConnection) -> Result<(), Error>,
) -> Result<(), Error> {
    let transition = match kind {
        DocumentKind::Plan => Transition::Submit,
        DocumentKind::HalfYearReturn | DocumentKind::FinalReport => Transition::Sign,
    };
    let step = begin(conn, caller, kind, id, expected, transition)?;
    ready(conn)?;
    let details = sign(conn, caller, &step, Capacity::CspManager, signer)?;
    finish(conn, caller, &step, details)
}

/// The treasurer countersigns what the manager signed; the document is then submitted.
pub fn countersign(
    conn: &mut DbConnection,
    caller: &Caller,
    kind: DocumentKind,
    id: i64,
    expected: Precondition,
    signer: &Signer,
) -> Result<(), Error> {
    let step = begin(conn, caller, kind, id, expected, Transition::Countersign)?;
    let details = sign(conn, caller, &step, Capacity::Treasurer, signer)?;
    finish(conn, caller, &step, details)
}
