//! How a document moves, written once for every kind. Every transition is checked against the
//! workflow table and the client's version, takes effect, advances status and version together,
//! snapshots what the OPCC receives or decides, and lands in the history, all in one
//! transaction. Edits of a draft are checked, bumped and recorded the same way.

pub mod http;
pub mod record;

use diesel::prelude::*;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::db::{DbConnection, write_transaction};
use crate::documents::{Document, Located, Precondition, ensure_editable, locate, locate_and_read};
use crate::error::Error;
use crate::history::{self, Action, Event, diff};
use crate::schema::{attachments, plan_lines};
use crate::signatures::{self, Capacity, Signer};
use crate::workflow::{self, Status, Transition};
use crate::{allocations, canonical, versions};

/// The document as `caller` reads it: with the transitions the caller may take now.
pub fn view_for<D: Document>(conn: &mut DbConnection, caller: &Caller, document: &Located) -> Result<D, Error> {
    Ok(as_seen_by(D::read(conn, document)?, caller, document))
}

/// A document read, with the transitions the caller may take now.
fn as_seen_by<D: Document>(mut found: D, caller: &Caller, document: &Located) -> D {
    *found.allowed_transitions() = workflow::allowed(D::KIND, document.status(), caller.role);
    found
}

/// A document, if the caller may see it.
pub fn get<D: Document>(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<D, Error> {
    let (document, found) = locate_and_read::<D>(conn, caller, id)?;
    Ok(as_seen_by(found, caller, &document))
}

/// What is signed: the kind's allow-listed content and the evidence attached to it.
pub fn content<D: Document>(conn: &mut DbConnection, document: &Located) -> Result<Value, Error> {
    let found = D::read(conn, document)?;
    content_of(conn, document, &found)
}

/// What is signed of a document already read.
fn content_of<D: Document>(conn: &mut DbConnection, document: &Located, found: &D) -> Result<Value, Error> {
    let mut value = found.signed_content();
    if let Value::Object(fields) = &mut value {
        fields.insert("attachments".into(), evidence_fingerprints(conn, document)?);
    }
    Ok(value)
}

/// A transition the caller may take, checked but not yet done.
pub struct Move {
    pub document: Located,
    pub transition: Transition,
    pub to: Status,
}

/// Checks a transition: 404 if the document is not visible, 403 for the wrong role, 409 for the
/// wrong state, 412 if the client's version is stale.
pub fn begin<D: Document>(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    expected_version: Precondition,
    transition: Transition,
) -> Result<Move, Error> {
    let document = locate_held::<D>(conn, caller, id)?;
    let to = workflow::check(D::KIND, document.status(), transition, caller)?;
    document.ensure_version(expected_version)?;
    Ok(Move {
        document,
        transition,
        to,
    })
}

/// Like [`locate`], holding the document's allocation until the transaction ends (see
/// [`allocations::hold`]) and reading the document again after the hold on PostgreSQL: of two
/// concurrent changes to one document, the second then checks its state and version against
/// what the first left, instead of racing it into the same signature or snapshot rows.
fn locate_held<D: Document>(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<Located, Error> {
    let found = locate::<D>(conn, caller, id)?;
    allocations::hold(conn, found.allocation_id())?;
    match conn {
        DbConnection::Pg(_) => locate::<D>(conn, caller, id),
        DbConnection::Sqlite(_) => Ok(found),
    }
}

/// Sets the document's status and version, only if it is still at the version read: of two
/// concurrent changes, exactly one succeeds.
pub fn advance<D: Document>(conn: &mut DbConnection, document: &Located, status: Status) -> Result<i32, Error> {
    let next = document.version() + 1;
    if D::set_status(conn, document, status, next)? == 1 {
        Ok(next)
    } else {
        Err(Error::StaleVersion { current: None })
    }
}

/// The snapshots the OPCC's receipt and decisions call for.
fn snapshot_reason(transition: Transition) -> Option<&'static str> {
    match transition {
        Transition::Submit | Transition::Countersign => Some("submitted"),
        Transition::Approve => Some("approved"),
        Transition::Accept => Some("accepted"),
        Transition::Table => Some("tabled"),
        Transition::Agree => Some("agreed"),
        _ => None,
    }
}

/// Snapshots the document as it now reads.
pub fn snapshot<D: Document>(
    conn: &mut DbConnection,
    caller: &Caller,
    document: &Located,
    reason: &str,
) -> Result<(), Error> {
    let view = serde_json::to_value(D::read(conn, document)?).map_err(Error::internal)?;
    versions::record(conn, caller, document, reason, &view)?;
    Ok(())
}

/// Completes a transition after its effects: status and version, snapshot, history.
pub fn finish<D: Document>(conn: &mut DbConnection, caller: &Caller, step: &Move, details: Value) -> Result<(), Error> {
    let document = &step.document;
    advance::<D>(conn, document, step.to)?;
    if let Some(reason) = snapshot_reason(step.transition) {
        snapshot::<D>(conn, caller, document, reason)?;
    }
    history::append(
        conn,
        Event {
            actor: caller,
            partnership_id: Some(document.partnership_id()),
            entity_kind: D::KIND.as_str(),
            entity_id: document.id(),
            action: Action::from(step.transition),
            from_state: Some(document.status()),
            to_state: Some(step.to),
            changed_fields: Vec::new(),
            details,
        },
    )?;
    Ok(())
}

/// Signs the document's current content in `capacity`. A countersignature needs the manager's
/// standing signature on exactly this content.
fn sign<D: Document>(
    conn: &mut DbConnection,
    caller: &Caller,
    step: &Move,
    capacity: Capacity,
    signer: &Signer,
) -> Result<Value, Error> {
    let content = content::<D>(conn, &step.document)?;
    let sha256 = canonical::digest(&content);
    if capacity == Capacity::Treasurer {
        let managers_hash = signatures::standing(conn, &step.document)?
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
    signatures::record(conn, caller, &step.document, capacity, signer, &content)?;
    Ok(
        json!({"capacity": capacity, "printed_name": signer.printed_name, "position": signer.position, "content_sha256": sha256}),
    )
}

/// Voids the document's signatures, saying why.
pub fn void_signatures(conn: &mut DbConnection, document: &Located, reason: &str) -> Result<Value, Error> {
    let voided = signatures::void_all(conn, document, reason)?;
    Ok(json!({"signatures_voided": voided, "reason": reason}))
}

/// Records a change of content: the fields that changed between `before` and now. Returns the
/// document as it now is, read once for both.
fn record_edit<D: Document>(
    conn: &mut DbConnection,
    caller: &Caller,
    document: &Located,
    action: Action,
    before: &Value,
    details: Value,
) -> Result<D, Error> {
    let found = D::read(conn, document)?;
    let after = content_of(conn, document, &found)?;
    history::append(
        conn,
        Event {
            actor: caller,
            partnership_id: Some(document.partnership_id()),
            entity_kind: D::KIND.as_str(),
            entity_id: document.id(),
            action,
            from_state: None,
            to_state: None,
            changed_fields: diff::changed_fields(before, &after),
            details,
        },
    )?;
    Ok(found)
}

/// Checks an edit of content: a draft, written by the partnership's manager, at the client's
/// version. Holds the allocation (its money rules read the allocation's other documents) and
/// returns the document and its content before the edit.
pub fn begin_edit<D: Document>(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    expected_version: Option<Precondition>,
) -> Result<(Located, Value), Error> {
    let document = locate_held::<D>(conn, caller, id)?;
    ensure_editable(caller, &document)?;
    if let Some(expected) = expected_version {
        document.ensure_version(expected)?;
    }
    let before = content::<D>(conn, &document)?;
    Ok((document, before))
}

/// Completes an edit: bumps the version (once, against the version read) and records the change.
/// Returns the document as it now is.
pub fn finish_edit<D: Document>(
    conn: &mut DbConnection,
    caller: &Caller,
    document: &Located,
    action: Action,
    before: &Value,
    details: Value,
) -> Result<D, Error> {
    advance::<D>(conn, document, document.status())?;
    record_edit::<D>(conn, caller, document, action, before, details)
}

/// Starts a new draft.
pub fn create<D: Document>(conn: &mut DbConnection, caller: &Caller, input: &D::Input) -> Result<D, Error> {
    write_transaction(conn, |conn| {
        let id = D::insert(conn, caller, input)?;
        let document = locate::<D>(conn, caller, id)?;
        let created = record_edit::<D>(conn, caller, &document, Action::Created, &Value::Null, json!({}))?;
        Ok(as_seen_by(created, caller, &document))
    })
}

/// Replaces a draft's content.
pub fn replace<D: Document>(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    expected: Precondition,
    input: &D::Input,
) -> Result<D, Error> {
    write_transaction(conn, |conn| {
        let (document, before) = begin_edit::<D>(conn, caller, id, Some(expected))?;
        D::update(conn, &document, input)?;
        let replaced = finish_edit::<D>(conn, caller, &document, Action::Edited, &before, json!({}))?;
        Ok(as_seen_by(replaced, caller, &document))
    })
}

/// Takes a transition that needs nothing but the workflow's permission (start-review).
pub fn step_only<D: Document>(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    expected: Precondition,
    transition: Transition,
) -> Result<(), Error> {
    let step = begin::<D>(conn, caller, id, expected, transition)?;
    finish::<D>(conn, caller, &step, json!({}))
}

/// Sends the document back to being a draft (withdrawn, or revised after changes were
/// requested): its signatures become void and its review decisions are forgotten.
fn reopen<D: Document>(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    expected: Precondition,
    transition: Transition,
    reason: &str,
) -> Result<(), Error> {
    let step = begin::<D>(conn, caller, id, expected, transition)?;
    let details = void_signatures(conn, &step.document, reason)?;
    D::clear_review(conn, &step.document)?;
    finish::<D>(conn, caller, &step, details)
}

/// The manager takes a submitted (or signed) document back before review starts.
pub fn withdraw<D: Document>(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    expected: Precondition,
) -> Result<(), Error> {
    reopen::<D>(
        conn,
        caller,
        id,
        expected,
        Transition::Withdraw,
        "withdrawn by the partnership",
    )
}

/// The manager reopens a document sent back: it becomes a draft and its signatures are void.
pub fn revise<D: Document>(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    expected: Precondition,
) -> Result<(), Error> {
    reopen::<D>(conn, caller, id, expected, Transition::Revise, "sent back for changes")
}

/// The reviewer sends the document back, saying what to change.
pub fn request_changes<D: Document>(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    expected: Precondition,
    reason: &str,
) -> Result<(), Error> {
    let step = begin::<D>(conn, caller, id, expected, Transition::RequestChanges)?;
    D::set_review_comment(conn, &step.document, reason.trim())?;
    finish::<D>(conn, caller, &step, json!({"reason": reason}))
}

/// The manager signs a complete document: a plan is thereby submitted, a return or report
/// awaits the treasurer's countersignature.
pub fn sign_as_manager<D: Document>(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    expected: Precondition,
    signer: &Signer,
) -> Result<(), Error> {
    let step = begin::<D>(conn, caller, id, expected, D::SIGNING)?;
    D::ensure_complete(conn, &step.document)?;
    let details = sign::<D>(conn, caller, &step, Capacity::CspManager, signer)?;
    finish::<D>(conn, caller, &step, details)
}

/// The treasurer countersigns what the manager signed; the document is then submitted.
pub fn countersign<D: Document>(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    expected: Precondition,
    signer: &Signer,
) -> Result<(), Error> {
    let step = begin::<D>(conn, caller, id, expected, Transition::Countersign)?;
    let details = sign::<D>(conn, caller, &step, Capacity::Treasurer, signer)?;
    finish::<D>(conn, caller, &step, details)
}

/// A document's signatures, each judged against its content now.
pub fn signatures<D: Document>(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
) -> Result<Vec<signatures::Signature>, Error> {
    let document = locate::<D>(conn, caller, id)?;
    let current = content::<D>(conn, &document)?;
    signatures::list(conn, &document, &current)
}

/// What a signature covers of a document's evidence: each file's name, line and SHA-256.
fn evidence_fingerprints(conn: &mut DbConnection, document: &Located) -> Result<Value, Error> {
    let rows: Vec<(String, Option<i32>, String)> = attachments::table
        .left_join(plan_lines::table)
        .filter(attachments::document_kind.eq(document.kind()))
        .filter(attachments::document_id.eq(document.id()))
        .order(attachments::id)
        .select((
            attachments::filename,
            plan_lines::number.nullable(),
            attachments::sha256,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(filename, plan_line, sha256)| json!({"filename": filename, "plan_line": plan_line, "sha256": sha256}))
        .collect())
}
