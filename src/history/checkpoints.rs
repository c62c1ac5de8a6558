//! Signed checkpoints of the history: the service's Ed25519 signature over the latest entry's id
//! and hash and the time. The chain alone proves order, not authenticity: someone who can write
//! to the database can rewrite an entry and recompute every hash after it. They cannot sign a
//! checkpoint without the service's key, so a rewrite at or before any checkpoint kept (in the
//! database, or better by an outside system from the feed or a webhook) no longer checks out.

use std::path::{Path, PathBuf};

use chrono::{NaiveDateTime, SecondsFormat};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::canonical;
use crate::db::{DbConnection, write_transaction};
use crate::error::Error;
use crate::pagination::{Page, PageRequest};
use crate::schema::{history, history_checkpoints};
use crate::service_key::ServiceKey;
use crate::timestamps;

/// What a checkpoint's message says it is, so a signature made for one purpose cannot pass for
/// another.
const PURPOSE: &str = "cspfund history checkpoint";

/// A signed statement that the history's entry `entry_id` has hash `entry_hash`.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[schema(example = json!({"entry_id": 140, "entry_hash": "7f1e9b0c2d3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e",
    "signed_at": "2026-11-23T10:15:00.123456Z", "key_id": "5f0c6d1e2a3b4c5d",
    "message": "{\"entry_hash\":\"7f1e9b0c2d3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e\",\"entry_id\":140,\"purpose\":\"cspfund history checkpoint\",\"signed_at\":\"2026-11-23T10:15:00.123456Z\"}",
    "signature": "q9v0mZ...base64...=="}))]
pub struct Checkpoint {
    pub entry_id: i64,
    pub entry_hash: String,
    /// When it was signed, RFC 3339 UTC to the microsecond, exactly as in `message`.
    pub signed_at: String,
    /// Which key signed it (see `GET /api/v1/signing-key`).
    pub key_id: String,
    /// The exact bytes signed (UTF-8): canonical JSON of `entry_hash`, `entry_id`, `purpose` and
    /// `signed_at`. Rebuild it from the fields rather than trusting it.
    #[serde(default)]
    pub message: String,
    /// Ed25519 signature of `message`, base64.
    pub signature: String,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = history_checkpoints, check_for_backend(crate::db::MultiBackend))]
struct CheckpointRow {
    entry_id: i64,
    entry_hash: String,
    signed_at: NaiveDateTime,
    key_id: String,
    signature: String,
}

/// The message a checkpoint of these fields signs.
pub fn message(entry_id: i64, entry_hash: &str, signed_at: &str) -> String {
    canonical::canonical_json(&json!({
        "purpose": PURPOSE,
        "entry_id": entry_id,
        "entry_hash": entry_hash,
        "signed_at": signed_at,
    }))
}

fn rfc3339(at: NaiveDateTime) -> String {
    timestamps::utc(at).to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl CheckpointRow {
    fn into_checkpoint(self) -> Checkpoint {
        let signed_at = rfc3339(self.signed_at);
        Checkpoint {
            message: message(self.entry_id, &self.entry_hash, &signed_at),
            entry_id: self.entry_id,
            entry_hash: self.entry_hash,
            signed_at,
            key_id: self.key_id,
            signature: self.signature,
        }
    }
}

impl Checkpoint {
    /// Whether `key` signed exactly these fields.
    pub fn verifies_with(&self, key: &ServiceKey) -> bool {
        self.key_id == key.key_id()
            && key.verifies(
                &message(self.entry_id, &self.entry_hash, &self.signed_at),
                &self.signature,
            )
    }

    /// Finds a checkpoint in what an outside system kept: a checkpoint itself, a page of the
    /// feed, a webhook payload, or a list of any of these.
    pub fn all_in(kept: &Value) -> Vec<Checkpoint> {
        match kept {
            Value::Array(items) => items.iter().flat_map(Checkpoint::all_in).collect(),
            Value::Object(fields) if fields.contains_key("entry_id") && fields.contains_key("signature") => {
                serde_json::from_value(kept.clone()).into_iter().collect()
            }
            Value::Object(fields) => ["checkpoint", "data"]
                .iter()
                .filter_map(|name| fields.get(*name))
                .flat_map(Checkpoint::all_in)
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// How many history entries no checkpoint covers yet: one indexed read, for the metrics.
pub fn lag(conn: &mut DbConnection) -> Result<i64, Error> {
    let newest_entry: Option<i64> = history::table.select(diesel::dsl::max(history::id)).first(conn)?;
    let checkpointed: Option<i64> = history_checkpoints::table
        .select(diesel::dsl::max(history_checkpoints::entry_id))
        .first(conn)?;
    Ok(newest_entry.unwrap_or(0) - checkpointed.unwrap_or(0))
}

/// The newest checkpoint the service signed, kept in a file outside the database. Before it signs
/// another, the service checks that the history still holds what that one signed and that the
/// entries since chain on from it: someone who rewrote the history, recomputed the chain and
/// deleted the checkpoints stored after the rewrite cannot get a fresh checkpoint signed over it.
#[derive(Debug, Clone)]
pub struct KeptCheckpoint {
    path: PathBuf,
}

impl KeptCheckpoint {
    pub fn at(path: PathBuf) -> KeptCheckpoint {
        KeptCheckpoint { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The checkpoint kept, if one was: an unreadable file is an error, never taken for none.
    pub fn read(&self) -> Result<Option<Checkpoint>, Error> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
                Error::internal(format!(
                    "the kept checkpoint {} cannot be read: {e}",
                    self.path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::internal(format!("{}: {e}", self.path.display()))),
        }
    }

    /// Keeps `checkpoint`, replacing the file whole (written aside, then renamed over it).
    fn keep(&self, checkpoint: &Checkpoint) -> Result<(), Error> {
        let aside = self.path.with_extension("json.new");
        let text = serde_json::to_string_pretty(checkpoint).map_err(Error::internal)?;
        std::fs::write(&aside, text)
            .and_then(|()| std::fs::rename(&aside, &self.path))
            .map_err(|e| Error::internal(format!("cannot keep the checkpoint in {}: {e}", self.path.display())))
    }
}

/// Why the history, as stored, contradicts a checkpoint the service signed: it no longer holds
/// the entry, or holds it with another hash. `None` when it still holds it as signed.
pub fn contradiction(conn: &mut DbConnection, checkpoint: &Checkpoint) -> Result<Option<String>, Error> {
    let hash: Option<String> = history::table
        .find(checkpoint.entry_id)
        .select(history::hash)
        .first(conn)
        .optional()?;
    Ok(match hash {
        None => Some("the checkpoint kept outside the database names it, but it is no longer in the history (entries were removed)".into()),
        Some(hash) if hash != checkpoint.entry_hash => Some("its hash differs from the one the checkpoint kept outside the database holds (the entry, or one before it, was rewritten and the chain recomputed)".into()),
        Some(_) => None,
    })
}

/// The newest stored checkpoint.
pub fn latest(conn: &mut DbConnection) -> Result<Option<Checkpoint>, Error> {
    Ok(history_checkpoints::table
        .order(history_checkpoints::entry_id.desc())
        .select(CheckpointRow::as_select())
        .first(conn)
        .optional()?
        .map(CheckpointRow::into_checkpoint))
}

/// Signs a checkpoint of the latest entry unless one exists, and answers the newest. Several
/// instances may sign the same entry at once; one row is kept. Refuses (naming the entry)
/// while the history contradicts the checkpoint kept outside the database, or its entries since
/// do not chain on from it; the refusal is logged.
pub fn take(conn: &mut DbConnection, key: &ServiceKey, kept: &KeptCheckpoint) -> Result<Option<Checkpoint>, Error> {
    let head: Option<(i64, String)> = history::table
        .order(history::id.desc())
        .select((history::id, history::hash))
        .first(conn)
        .optional()?;
    let outside = kept.read()?;
    if let Some(outside) = &outside {
        let broken = match contradiction(conn, outside)? {
            Some(reason) => Some((outside.entry_id, reason)),
            None => super::unchained_after(conn, outside)?,
        };
        if let Some((entry, reason)) = broken {
            tracing::error!(entry, %reason, kept = %kept.path().display(), "the history is broken; no checkpoint is signed");
            return Err(Error::HistoryBroken { entry, reason });
        }
    }
    let Some((entry_id, entry_hash)) = head else {
        return Ok(None);
    };
    let newest = latest(conn)?;
    if newest.as_ref().is_some_and(|c| c.entry_id >= entry_id) {
        return keep_if_newer(kept, outside.as_ref(), newest);
    }
    let signed_at = timestamps::now();
    let signature = key.sign(&message(entry_id, &entry_hash, &rfc3339(signed_at)));
    // Under the write lock, so the rows' ids follow commit order and the witnesses' feed
    // ([`stored_after`]) never passes over one.
    write_transaction(conn, |conn| {
        diesel::sql_query(
            "INSERT INTO history_checkpoints (entry_id, entry_hash, signed_at, key_id, signature) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (entry_id) DO NOTHING",
        )
        .bind::<BigInt, _>(entry_id)
        .bind::<Text, _>(&entry_hash)
        .bind::<Timestamp, _>(signed_at)
        .bind::<Text, _>(key.key_id())
        .bind::<Text, _>(&signature)
        .execute(conn)
    })?;
    keep_if_newer(kept, outside.as_ref(), latest(conn)?)
}

/// Keeps `newest` outside the database when it covers more than the checkpoint kept there.
fn keep_if_newer(
    kept: &KeptCheckpoint,
    outside: Option<&Checkpoint>,
    newest: Option<Checkpoint>,
) -> Result<Option<Checkpoint>, Error> {
    if let Some(checkpoint) = &newest
        && outside.is_none_or(|o| checkpoint.entry_id > o.entry_id)
    {
        kept.keep(checkpoint)?;
    }
    Ok(newest)
}

/// A page of the stored checkpoints, oldest first, the cursor following their entries.
pub fn page(conn: &mut DbConnection, page: &PageRequest) -> Result<Page<Checkpoint>, Error> {
    let rows: Vec<CheckpointRow> = history_checkpoints::table
        .filter(history_checkpoints::entry_id.gt(page.after))
        .order(history_checkpoints::entry_id)
        .limit(page.fetch())
        .select(CheckpointRow::as_select())
        .load(conn)?;
    Ok(Page::from_rows(
        rows,
        page,
        |row| row.entry_id,
        CheckpointRow::into_checkpoint,
    ))
}

/// Up to `limit` checkpoints stored after row `position`, in the order they were stored, each with
/// its row's id: the feed the witnesses are sent from.
pub fn stored_after(conn: &mut DbConnection, position: i64, limit: i64) -> Result<Vec<(i64, Checkpoint)>, Error> {
    Ok(history_checkpoints::table
        .filter(history_checkpoints::id.gt(position))
        .order(history_checkpoints::id)
        .limit(limit)
        .select((history_checkpoints::id, CheckpointRow::as_select()))
        .load::<(i64, CheckpointRow)>(conn)?
        .into_iter()
        .map(|(id, row)| (id, row.into_checkpoint()))
        .collect())
}

/// The stored checkpoints of entries in `(after, up_to]`, oldest first.
pub fn between(conn: &mut DbConnection, after: i64, up_to: i64) -> Result<Vec<Checkpoint>, Error> {
    Ok(history_checkpoints::table
        .filter(history_checkpoints::entry_id.gt(after))
        .filter(history_checkpoints::entry_id.le(up_to))
        .order(history_checkpoints::entry_id)
        .select(CheckpointRow::as_select())
        .load(conn)?
        .into_iter()
        .map(CheckpointRow::into_checkpoint)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_verifies_only_as_signed_and_is_found_in_what_was_kept() {
        let key = ServiceKey::generate();
        let signed_at = "2026-11-23T10:15:00.123456Z";
        let checkpoint = Checkpoint {
            entry_id: 140,
            entry_hash: "ab".repeat(32),
            signed_at: signed_at.into(),
            key_id: key.key_id(),
            message: String::new(),
            signature: key.sign(&message(140, &"ab".repeat(32), signed_at)),
        };
        assert!(checkpoint.verifies_with(&key));
        let mut moved = checkpoint.clone();
        moved.entry_hash = "cd".repeat(32);
        assert!(!moved.verifies_with(&key));
        assert!(!checkpoint.verifies_with(&ServiceKey::generate()));
        let page = json!({"items": [], "next_cursor": null, "checkpoint": checkpoint});
        let webhook = json!({"type": "plan.approved", "data": {"checkpoint": checkpoint}});
        assert_eq!(
            Checkpoint::all_in(&json!([page, webhook])),
            vec![checkpoint.clone(), checkpoint]
        );
    }
}
