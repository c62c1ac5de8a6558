//! The append-only history of every change: who, in what role, when, what happened to which
//! object, from which state to which, and which fields changed.
//!
//! Each entry carries the SHA-256 of the previous entry, and its own hash covers its content
//! and that link, so altering, inserting or deleting an entry anywhere but at the very end
//! breaks the chain at a point `verify` names. The database also refuses UPDATE and DELETE on
//! the table. Entries are appended in id order under a lock held until commit, so ids follow
//! commit order and the list doubles as a feed of what happened since a cursor. The chain
//! proves order; the service's signed `checkpoints` prove that what they cover was not rewritten.
//! The history knows nothing of who reads it: the webhook outbox reads it as a feed
//! ([`recorded_after`]), as clients read `/history`.

pub mod checkpoints;
pub mod diff;
pub mod http;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Caller, Role};
use crate::canonical;
use crate::db::DbConnection;
use crate::error::Error;
use crate::pagination::{Page, PageRequest};
use crate::schema::history;
use crate::service_key::ServiceKey;
use crate::timestamps;
use crate::workflow::{DocumentKind, Status, Transition};

pub use checkpoints::Checkpoint;

/// The `previous_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Entries checked per query while verifying.
const VERIFY_BATCH: i64 = 1_000;

crate::stored_enum! {
    /// What happened to the object, in one spelling.
    pub enum Action {
        Created => "created",
        Edited => "edited",
        AttachmentAdded => "attachment-added",
        AttachmentRemoved => "attachment-removed",
        Submit => "submit",
        Sign => "sign",
        Countersign => "countersign",
        Withdraw => "withdraw",
        StartReview => "start-review",
        /// A reviewer's decisions on plan lines.
        Decisions => "decisions",
        RequestChanges => "request-changes",
        Approve => "approve",
        Accept => "accept",
        Revise => "revise",
        AmendmentProposed => "amendment-proposed",
        AmendmentApplied => "amendment-applied",
        AmendmentDeclined => "amendment-declined",
        /// An unspent balance carried forward into this allocation.
        CarryForwardReceived => "carry-forward-received",
        PasswordReset => "password-reset",
        PasswordChanged => "password-changed",
        SecretRotated => "secret-rotated",
        /// A payment of an approved claim.
        PaymentRecorded => "payment-recorded",
        /// A commissioning paper put to its board.
        Table => "table",
        /// A board's agreement to a commissioning paper.
        Agree => "agree",
        /// A commissioning paper sent back by its board.
        SendBack => "send-back",
    }
}

impl From<Transition> for Action {
    fn from(transition: Transition) -> Action {
        match transition {
            Transition::Submit => Action::Submit,
            Transition::Sign => Action::Sign,
            Transition::Countersign => Action::Countersign,
            Transition::Withdraw => Action::Withdraw,
            Transition::StartReview => Action::StartReview,
            Transition::RecordDecisions => Action::Decisions,
            Transition::RequestChanges => Action::RequestChanges,
            Transition::Approve => Action::Approve,
            Transition::Accept => Action::Accept,
            Transition::Revise => Action::Revise,
            Transition::Amend => Action::AmendmentProposed,
            Transition::Table => Action::Table,
            Transition::Agree => Action::Agree,
            Transition::SendBack => Action::SendBack,
        }
    }
}

/// Something that happened, before it is chained and stored.
pub struct Event<'a> {
    pub actor: &'a Caller,
    pub partnership_id: Option<i64>,
    pub entity_kind: &'a str,
    pub entity_id: i64,
    pub action: Action,
    pub from_state: Option<Status>,
    pub to_state: Option<Status>,
    pub changed_fields: Vec<String>,
    pub details: Value,
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = history, check_for_backend(crate::db::MultiBackend))]
struct EntryRow {
    id: i64,
    occurred_at: NaiveDateTime,
    actor: String,
    actor_role: String,
    partnership_id: Option<i64>,
    entity_kind: String,
    entity_id: i64,
    action: String,
    from_state: Option<String>,
    to_state: Option<String>,
    changed_fields: String,
    details: String,
    previous_hash: String,
    hash: String,
}

/// One entry of the history.
#[derive(Serialize, ToSchema, Debug, Clone)]
#[schema(example = json!({"id": 42, "occurred_at": "2026-11-22T10:15:00.123456Z", "actor": "user:3",
    "actor_role": "csp_manager", "partnership_id": 1, "entity_kind": "plan", "entity_id": 2, "action": "edit",
    "from_state": null, "to_state": null, "changed_fields": ["lines[5].amount"], "details": {},
    "previous_hash": "5d41402abc4b2a76b9719d911017c592ae7f7e2c1b8a9d4d2c0f9d7e6b5a4c3d",
    "hash": "7f1e9b0c2d3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e"}))]
pub struct Entry {
    pub id: i64,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub occurred_at: NaiveDateTime,
    /// `user:<id>` or `client:<id>`.
    pub actor: String,
    pub actor_role: String,
    pub partnership_id: Option<i64>,
    /// plan, half_year_return, final_report, allocation, fund_year...
    pub entity_kind: String,
    pub entity_id: i64,
    pub action: Action,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    /// Paths of the fields that changed.
    pub changed_fields: Vec<String>,
    #[schema(value_type = crate::open_json::JsonObject)]
    pub details: Value,
    pub previous_hash: String,
    pub hash: String,
}

impl EntryRow {
    /// The hash this entry should carry, from its content and its link.
    fn expected_hash(&self) -> String {
        chain_hash(
            &self.previous_hash,
            &json!({
                "occurred_at": self.occurred_at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
                "actor": self.actor,
                "actor_role": self.actor_role,
                "partnership_id": self.partnership_id,
                "entity_kind": self.entity_kind,
                "entity_id": self.entity_id,
                "action": self.action,
                "from_state": self.from_state,
                "to_state": self.to_state,
                "changed_fields": self.changed_fields,
                "details": self.details,
            }),
        )
    }

    fn into_entry(self) -> Result<Entry, Error> {
        let action: Action = self.action.parse().map_err(Error::internal)?;
        Ok(Entry {
            id: self.id,
            occurred_at: self.occurred_at,
            actor: self.actor,
            actor_role: self.actor_role,
            partnership_id: self.partnership_id,
            entity_kind: self.entity_kind,
            entity_id: self.entity_id,
            action,
            from_state: self.from_state,
            to_state: self.to_state,
            changed_fields: serde_json::from_str(&self.changed_fields).unwrap_or_default(),
            details: serde_json::from_str(&self.details).unwrap_or(Value::Null),
            previous_hash: self.previous_hash,
            hash: self.hash,
        })
    }
}

fn chain_hash(previous: &str, content: &Value) -> String {
    canonical::digest(&json!({"previous_hash": previous, "entry": content}))
}

/// Appends an event; call it inside the transaction that made the change. Answers the entry's id.
pub fn append(conn: &mut DbConnection, event: Event) -> Result<i64, Error> {
    crate::db::take_write_lock(conn)?;
    let previous: String = history::table
        .order(history::id.desc())
        .select(history::hash)
        .first(conn)
        .optional()?
        .unwrap_or_else(|| GENESIS.to_owned());
    let mut row = EntryRow {
        id: 0,
        occurred_at: timestamps::now(),
        actor: event.actor.principal.subject(),
        actor_role: event.actor.role.as_str().to_owned(),
        partnership_id: event.partnership_id,
        entity_kind: event.entity_kind.to_owned(),
        entity_id: event.entity_id,
        action: event.action.as_str().to_owned(),
        from_state: event.from_state.map(|s| s.as_str().to_owned()),
        to_state: event.to_state.map(|s| s.as_str().to_owned()),
        changed_fields: Value::from(event.changed_fields).to_string(),
        details: canonical::canonical_json(&event.details),
        previous_hash: previous,
        hash: String::new(),
    };
    row.hash = row.expected_hash();
    row.id = diesel::insert_into(history::table)
        .values((
            history::occurred_at.eq(row.occurred_at),
            history::actor.eq(&row.actor),
            history::actor_role.eq(&row.actor_role),
            history::partnership_id.eq(row.partnership_id),
            history::entity_kind.eq(&row.entity_kind),
            history::entity_id.eq(row.entity_id),
            history::action.eq(&row.action),
            history::from_state.eq(&row.from_state),
            history::to_state.eq(&row.to_state),
            history::changed_fields.eq(&row.changed_fields),
            history::details.eq(&row.details),
            history::previous_hash.eq(&row.previous_hash),
            history::hash.eq(&row.hash),
            history::traceparent.eq(crate::trace_context::current().map(|trace| trace.header())),
        ))
        .returning(history::id)
        .get_result(conn)?;
    Ok(row.id)
}

/// An entry as its readers inside the service see it: with the W3C traceparent of the request that
/// made it, which the webhooks it raises continue.
pub struct Recorded {
    pub entry: Entry,
    pub traceparent: Option<String>,
}

/// Up to `limit` entries after entry `position`, oldest first, of every partnership: the feed the
/// webhook outbox reads. Ids follow commit order, so an entry missing from one read is never
/// later found before `position`.
pub fn recorded_after(conn: &mut DbConnection, position: i64, limit: i64) -> Result<Vec<Recorded>, Error> {
    history::table
        .filter(history::id.gt(position))
        .order(history::id)
        .limit(limit)
        .select((EntryRow::as_select(), history::traceparent))
        .load::<(EntryRow, Option<String>)>(conn)?
        .into_iter()
        .map(|(row, traceparent)| {
            Ok(Recorded {
                entry: row.into_entry()?,
                traceparent,
            })
        })
        .collect()
}

/// How many entries there are after entry `position`: what a reader of the feed has still to read.
pub fn count_after(conn: &mut DbConnection, position: i64) -> Result<i64, Error> {
    Ok(history::table
        .filter(history::id.gt(position))
        .count()
        .get_result(conn)?)
}

/// The next batch of entries after entry `after`, oldest first, as checks walk the chain.
fn entries_after(conn: &mut DbConnection, after: i64) -> Result<Vec<EntryRow>, Error> {
    Ok(history::table
        .filter(history::id.gt(after))
        .order(history::id)
        .limit(VERIFY_BATCH)
        .select(EntryRow::as_select())
        .load(conn)?)
}

/// The first entry after `checkpoint` that does not chain on from it, and why: each entry's
/// previous hash must be the hash before it and its own hash must match its content. Walks only
/// the entries since the checkpoint, in batches.
pub fn unchained_after(conn: &mut DbConnection, checkpoint: &Checkpoint) -> Result<Option<(i64, String)>, Error> {
    let mut previous = checkpoint.entry_hash.clone();
    let mut after = checkpoint.entry_id;
    loop {
        let batch = entries_after(conn, after)?;
        let Some(last) = batch.last() else {
            return Ok(None);
        };
        after = last.id;
        for row in &batch {
            if row.previous_hash != previous {
                return Ok(Some((
                    row.id,
                    "its previous_hash does not match the entry before it (an entry was removed, inserted or altered)"
                        .into(),
                )));
            }
            if row.expected_hash() != row.hash {
                return Ok(Some((
                    row.id,
                    "its hash does not match its content (the entry was altered)".into(),
                )));
            }
            previous = row.hash.clone();
        }
    }
}

/// The outcome of checking the chain and the checkpoints.
#[derive(Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub intact: bool,
    /// Entries checked.
    pub entries: i64,
    /// Stored checkpoints whose signature and hash were checked.
    pub checkpoints: i64,
    /// Checkpoints kept outside the database that were checked.
    pub kept_checkpoints: i64,
    /// The first entry that does not check out, if any.
    pub first_broken: Option<BrokenEntry>,
    /// Each checkpoint kept outside the database that the history contradicts, by its entry.
    pub contradicted: Vec<BrokenEntry>,
}

#[derive(Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct BrokenEntry {
    pub id: i64,
    pub reason: String,
}

/// Records a broken entry, keeping the earliest.
fn broken(outcome: &mut Verification, id: i64, reason: String) {
    outcome.intact = false;
    if outcome.first_broken.as_ref().is_none_or(|first| id < first.id) {
        outcome.first_broken = Some(BrokenEntry { id, reason });
    }
}

/// Walks the chain from the start, recomputing every hash, checking every stored checkpoint's
/// signature and hash, and then each checkpoint kept outside (`kept`) against the entry it names.
pub fn verify(conn: &mut DbConnection, key: &ServiceKey, kept: &[Checkpoint]) -> Result<Verification, Error> {
    let mut outcome = Verification {
        intact: true,
        entries: 0,
        checkpoints: 0,
        kept_checkpoints: 0,
        first_broken: None,
        contradicted: Vec::new(),
    };
    let mut kept_hashes: Vec<(&Checkpoint, Option<String>)> = kept.iter().map(|c| (c, None)).collect();
    let mut previous = GENESIS.to_owned();
    let mut after = 0;
    loop {
        let batch = entries_after(conn, after)?;
        let Some(last) = batch.last() else { break };
        let stored = checkpoints::between(conn, after, last.id)?;
        after = last.id;
        for row in &batch {
            outcome.entries += 1;
            if row.previous_hash != previous {
                broken(
                    &mut outcome,
                    row.id,
                    "its previous_hash does not match the entry before it (an entry was removed, inserted or altered)"
                        .into(),
                );
            } else if row.expected_hash() != row.hash {
                broken(
                    &mut outcome,
                    row.id,
                    "its hash does not match its content (the entry was altered)".into(),
                );
            }
            for (_, hash) in kept_hashes.iter_mut().filter(|(c, _)| c.entry_id == row.id) {
                *hash = Some(row.hash.clone());
            }
            previous = row.hash.clone();
        }
        for checkpoint in stored {
            outcome.checkpoints += 1;
            let entry = batch.iter().find(|row| row.id == checkpoint.entry_id);
            if !checkpoint.verifies_with(key) {
                broken(&mut outcome, checkpoint.entry_id, "its stored checkpoint's signature does not verify with the service's key (the checkpoint was forged or altered)".into());
            } else if entry.is_none_or(|row| row.hash != checkpoint.entry_hash) {
                broken(&mut outcome, checkpoint.entry_id, "its hash differs from the one its signed checkpoint holds (the entry was rewritten and the chain recomputed)".into());
            }
        }
        if outcome.first_broken.is_some() {
            break;
        }
    }
    for (checkpoint, hash) in kept_hashes {
        outcome.kept_checkpoints += 1;
        let reason = if !checkpoint.verifies_with(key) {
            "the checkpoint kept outside does not verify with the service's key, so it proves nothing".to_owned()
        } else {
            match hash {
                Some(hash) if hash == checkpoint.entry_hash => continue,
                Some(_) => "its hash differs from the one a checkpoint kept outside holds (the entry, or one before it, was rewritten and the chain recomputed)".to_owned(),
                // Also said of an entry the walk stopped before reaching: that one comes after
                // the break already found, which stays the one named.
                None => "a checkpoint kept outside names it, but it is no longer in the history (entries were removed)".to_owned(),
            }
        };
        outcome.contradicted.push(BrokenEntry {
            id: checkpoint.entry_id,
            reason: reason.clone(),
        });
        broken(&mut outcome, checkpoint.entry_id, reason);
    }
    Ok(outcome)
}

#[derive(Deserialize, IntoParams, Debug, Default)]
#[into_params(parameter_in = Query)]
pub struct HistoryFilter {
    /// e.g. plan, half_year_return, final_report, allocation.
    pub entity_kind: Option<String>,
    pub entity_id: Option<i64>,
}

/// A page of the feed, with the newest signed checkpoint.
#[derive(Serialize, ToSchema, Debug)]
pub struct Feed {
    pub items: Vec<Entry>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// The newest signed checkpoint of the whole history (null before the first is signed).
    pub checkpoint: Option<Checkpoint>,
}

/// Entries after the cursor, oldest first: the feed of what happened. A partnership's people see
/// their partnership's entries; OPCC roles see all.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &HistoryFilter,
    page: &PageRequest,
) -> Result<Feed, Error> {
    let page = entries(conn, caller.scope().confined_to(), filter, page)?;
    Ok(Feed {
        items: page.items,
        next_cursor: page.next_cursor,
        checkpoint: checkpoints::latest(conn)?,
    })
}

/// Entries after the cursor, of one partnership if `only` says so.
fn entries(
    conn: &mut DbConnection,
    only: Option<i64>,
    filter: &HistoryFilter,
    page: &PageRequest,
) -> Result<Page<Entry>, Error> {
    let mut query = history::table
        .filter(history::id.gt(page.after))
        .order(history::id)
        .limit(page.fetch())
        .select(EntryRow::as_select())
        .into_boxed();
    if let Some(kind) = &filter.entity_kind {
        query = query.filter(history::entity_kind.eq(kind.clone()));
    }
    if let Some(id) = filter.entity_id {
        query = query.filter(history::entity_id.eq(id));
    }
    if let Some(only) = only {
        // Written so that only the (partnership_id, id) index gives the order: with a plain
        // `partnership_id = $n`, PostgreSQL may walk the whole history in id order skipping other
        // partnerships' entries, which for a partnership whose entries all come late means every
        // earlier entry (bench/README.md, paging). One partnership: the same order as by id.
        query = query
            .filter(history::partnership_id.eq_any([only]))
            .order((history::partnership_id, history::id));
    }
    let entries = query
        .load::<EntryRow>(conn)?
        .into_iter()
        .map(EntryRow::into_entry)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(entries, page, |e| e.id, |e| e))
}

/// A document's entries, oldest first, whoever asks: for a document the caller was found
/// allowed to see (`documents::locate`), which this module knows nothing of.
pub fn of_document_unscoped(
    conn: &mut DbConnection,
    kind: DocumentKind,
    id: i64,
    page: &PageRequest,
) -> Result<Page<Entry>, Error> {
    let filter = HistoryFilter {
        entity_kind: Some(kind.as_str().to_owned()),
        entity_id: Some(id),
    };
    entries(conn, None, &filter, page)
}

/// Only the admin checks the whole chain, with the checkpoint the service keeps outside the
/// database.
pub fn verify_as(
    conn: &mut DbConnection,
    caller: &Caller,
    key: &ServiceKey,
    outside: &checkpoints::KeptCheckpoint,
) -> Result<Verification, Error> {
    caller.require(&[Role::Admin])?;
    let kept: Vec<Checkpoint> = outside.read()?.into_iter().collect();
    verify(conn, key, &kept)
}

/// The OPCC's systems check the checkpoints they kept (at most [`MAX_KEPT`]) against the whole
/// chain: `contradicted` names each the history no longer bears out.
pub fn verify_kept(
    conn: &mut DbConnection,
    caller: &Caller,
    key: &ServiceKey,
    kept: &[Checkpoint],
) -> Result<Verification, Error> {
    caller.require(&[Role::Admin, Role::OpccReviewer, Role::OpccFinance])?;
    if kept.len() > MAX_KEPT {
        return Err(Error::invalid(
            "checkpoints",
            "max_items",
            format!("at most {MAX_KEPT} checkpoints in one check"),
        ));
    }
    verify(conn, key, kept)
}

/// The most checkpoints one verification request checks.
pub const MAX_KEPT: usize = 1_000;

/// A record kept outside the documents: an allocation, a user, a fund year...
pub struct Record<'a> {
    pub kind: &'a str,
    pub id: i64,
    pub partnership_id: Option<i64>,
}

/// Records a change to such a record: the fields that differ between its JSON before (none when
/// created) and after. `updated_at` is left out: the entry's own time says when. Answers the
/// entry's id.
pub fn record_change<T: Serialize>(
    conn: &mut DbConnection,
    caller: &Caller,
    record: Record,
    action: Action,
    before: Option<&T>,
    after: &T,
) -> Result<i64, Error> {
    let json = |value: Option<&T>| -> Result<Value, Error> {
        let mut value = value
            .map(serde_json::to_value)
            .transpose()
            .map_err(Error::internal)?
            .unwrap_or(Value::Null);
        // Bookkeeping that moves with every change, not a change of its own.
        if let Value::Object(fields) = &mut value {
            fields.remove("updated_at");
            fields.remove("version");
        }
        Ok(value)
    };
    let changed_fields = diff::changed_fields(&json(before)?, &json(Some(after))?);
    append(
        conn,
        Event {
            actor: caller,
            partnership_id: record.partnership_id,
            entity_kind: record.kind,
            entity_id: record.id,
            action,
            from_state: None,
            to_state: None,
            changed_fields,
            details: json!({}),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_covers_every_field_and_the_link() {
        let row = EntryRow {
            id: 1,
            occurred_at: timestamps::now(),
            actor: "user:1".into(),
            actor_role: "csp_manager".into(),
            partnership_id: Some(1),
            entity_kind: "plan".into(),
            entity_id: 2,
            action: "submit".into(),
            from_state: Some("draft".into()),
            to_state: Some("submitted".into()),
            changed_fields: "[]".into(),
            details: "{}".into(),
            previous_hash: GENESIS.into(),
            hash: String::new(),
        };
        let original = row.expected_hash();
        // Each field that says what happened, and the link, altered one at a time. (The id and
        // the stored hash itself are not part of what the hash covers.)
        type Alteration = (&'static str, fn(&mut EntryRow));
        let alterations: [Alteration; 12] = [
            ("occurred_at", |r| r.occurred_at += chrono::TimeDelta::microseconds(1)),
            ("actor", |r| r.actor = "user:2".into()),
            ("actor_role", |r| r.actor_role = "treasurer".into()),
            ("partnership_id", |r| r.partnership_id = Some(2)),
            ("no partnership", |r| r.partnership_id = None),
            ("entity_kind", |r| r.entity_kind = "final_report".into()),
            ("entity_id", |r| r.entity_id = 3),
            ("action", |r| r.action = "withdraw".into()),
            ("from_state", |r| r.from_state = None),
            ("to_state", |r| r.to_state = Some("approved".into())),
            ("changed_fields", |r| r.changed_fields = "[\"lines[0].amount\"]".into()),
            ("details", |r| r.details = "{\"reason\": \"x\"}".into()),
        ];
        for (field, alter) in alterations {
            let mut altered = row.clone();
            alter(&mut altered);
            assert_ne!(altered.expected_hash(), original, "{field} is not covered by the hash");
        }
        let mut relinked = row.clone();
        relinked.previous_hash = "1".repeat(64);
        assert_ne!(relinked.expected_hash(), original);
        assert_eq!(row.expected_hash(), original);
    }
}
