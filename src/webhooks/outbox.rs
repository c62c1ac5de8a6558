//! The outbox: a message per subscription for every event, written in the transaction that made
//! the change (so a rolled-back change is never announced and a committed one never lost), and
//! claimed by the delivery worker of whichever instance comes first. Each subscription's
//! messages go out in order, one at a time; a failed attempt is retried on a schedule that
//! lasts over a day, with the same `webhook-id`.

use std::collections::HashSet;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::delivery::{Attempt, Outgoing};
use super::events::{self, EventType, Payload};
use super::subscriptions::{self, SubscriptionRow};
use crate::auth::Caller;
use crate::db::{DbConnection, write_transaction};
use crate::deadlines;
use crate::error::Error;
use crate::history::checkpoints::{self, KeptCheckpoint};
use crate::history::{self, Recorded};
use crate::pagination::{Page, PageRequest};
use crate::schema::{deadline_notices, webhook_attempts, webhook_feed, webhook_messages, webhook_subscriptions};
use crate::service_key::ServiceKey;
use crate::timestamps;
use crate::trace_context::TraceContext;

/// Waits after each failed attempt: the first retry after 5 seconds, the last some 27 hours
/// after the first attempt. A message failing them all is given up and its subscription
/// disabled.
const RETRY_AFTER_SECONDS: &[i64] = &[5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600];

crate::stored_enum! {
    /// Where a message stands.
    pub enum MessageStatus {
        /// Waiting to be sent, or to be retried.
        Pending => "pending",
        /// An attempt was answered with 2xx.
        Delivered => "delivered",
        /// Every attempt failed; redeliver it to try again.
        Failed => "failed",
    }
}

/// One message of a subscription's delivery log.
#[derive(Serialize, ToSchema, Debug, Clone)]
#[schema(example = json!({"webhook_id": "msg_2f1c0d9e8b7a4c3d2e1f0a9b8c7d6e5f", "event_type": "claim.approved",
    "status": "delivered", "attempts": 1, "next_attempt_at": null, "history_entry_id": 42,
    "created_at": "2026-11-23T10:15:00Z", "delivered_at": "2026-11-23T10:15:01Z"}))]
pub struct Message {
    /// The `webhook-id` every attempt of it carries: receivers drop repeats by it.
    pub webhook_id: String,
    pub event_type: EventType,
    pub status: MessageStatus,
    pub attempts: i32,
    /// When it is next tried, while pending.
    #[serde(serialize_with = "timestamps::optional_as_utc")]
    #[schema(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub next_attempt_at: Option<NaiveDateTime>,
    pub history_entry_id: Option<i64>,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "timestamps::optional_as_utc")]
    #[schema(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub delivered_at: Option<NaiveDateTime>,
    /// The body every attempt sends, exactly as signed; null until the first attempt.
    #[schema(value_type = Option<super::events::Payload>)]
    pub body: Option<serde_json::Value>,
}

/// One attempt to deliver a message.
#[derive(Serialize, ToSchema, Debug, Clone)]
#[schema(example = json!({"id": 7, "webhook_id": "msg_2f1c0d9e8b7a4c3d2e1f0a9b8c7d6e5f",
    "attempted_at": "2026-11-23T10:15:01Z", "duration_ms": 84, "response_status": 503, "delivered": false,
    "error": "the endpoint answered 503 Service Unavailable", "response_excerpt": "upstream unavailable"}))]
pub struct DeliveryAttempt {
    pub id: i64,
    pub webhook_id: String,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub attempted_at: NaiveDateTime,
    /// How long the endpoint took to answer (or to fail).
    pub duration_ms: i64,
    /// The endpoint's HTTP status, if it answered.
    pub response_status: Option<i32>,
    pub delivered: bool,
    pub error: Option<String>,
    /// The first 200 characters of the endpoint's answer.
    pub response_excerpt: Option<String>,
}

#[derive(Deserialize, IntoParams, Debug, Default)]
#[into_params(parameter_in = Query)]
pub struct MessageFilter {
    pub status: Option<MessageStatus>,
}

/// A claimed message: its id, webhook id, payload, body once made, the traceparent of the
/// request that caused it, and its subscription.
type ClaimedMessage = (i64, String, String, Option<String>, Option<String>, SubscriptionRow);

fn insert(
    conn: &mut DbConnection,
    subscription_id: i64,
    payload: &Payload,
    history_entry_id: Option<i64>,
    traceparent: Option<&str>,
) -> Result<(), Error> {
    let now = timestamps::now();
    diesel::insert_into(webhook_messages::table)
        .values((
            webhook_messages::subscription_id.eq(subscription_id),
            webhook_messages::webhook_id.eq(format!("msg_{}", uuid::Uuid::new_v4().simple())),
            webhook_messages::event_type.eq(payload.event_type.as_str()),
            webhook_messages::history_entry_id.eq(history_entry_id),
            webhook_messages::payload.eq(serde_json::to_string(payload).map_err(Error::internal)?),
            webhook_messages::status.eq(MessageStatus::Pending.as_str()),
            webhook_messages::attempts.eq(0),
            webhook_messages::next_attempt_at.eq(now),
            webhook_messages::created_at.eq(now),
            webhook_messages::traceparent.eq(traceparent),
        ))
        .execute(conn)?;
    Ok(())
}

/// The active subscriptions that receive the events of a partnership's entry `entry_id` (or the
/// OPCC's, for entries of no partnership): those made before the entry.
fn subscribers(
    conn: &mut DbConnection,
    partnership_id: Option<i64>,
    entry_id: i64,
) -> Result<Vec<SubscriptionRow>, Error> {
    let mut query = webhook_subscriptions::table
        .filter(webhook_subscriptions::active.eq(true))
        .filter(webhook_subscriptions::after_entry_id.lt(entry_id))
        .order(webhook_subscriptions::id)
        .select(SubscriptionRow::as_select())
        .into_boxed();
    query = match partnership_id {
        Some(id) => query.filter(
            webhook_subscriptions::partnership_id
                .is_null()
                .or(webhook_subscriptions::partnership_id.eq(id)),
        ),
        None => query.filter(webhook_subscriptions::partnership_id.is_null()),
    };
    Ok(query.load(conn)?)
}

/// History entries read per look.
const FEED_BATCH: i64 = 256;

/// Reads the history entries recorded since the last look, queues the events each raises for
/// every subscription that wants them, and moves the feed's position past them, all in one
/// transaction: an entry's messages are queued exactly once, whichever instance looks, and an
/// entry that committed is never skipped (the history's ids follow commit order). Answers how
/// many entries were read; fewer than the batch means the outbox has caught up.
pub fn read_history(conn: &mut DbConnection) -> Result<usize, Error> {
    let read_up_to = || webhook_feed::table.select(webhook_feed::last_entry_id);
    // A read first, so a service with nothing new never takes the write lock.
    let position: i64 = read_up_to().first(conn)?;
    if history::recorded_after(conn, position, 1)?.is_empty() {
        return Ok(0);
    }
    write_transaction(conn, |conn| {
        let position: i64 = match conn {
            DbConnection::Pg(pg) => read_up_to().for_update().first(pg)?,
            DbConnection::Sqlite(_) => read_up_to().first(conn)?,
        };
        let recorded = history::recorded_after(conn, position, FEED_BATCH)?;
        let Some(last) = recorded.last() else {
            return Ok(0);
        };
        diesel::update(webhook_feed::table)
            .set(webhook_feed::last_entry_id.eq(last.entry.id))
            .execute(conn)?;
        for entry in &recorded {
            queue_events_of(conn, entry)?;
        }
        Ok(recorded.len())
    })
}

/// Queues the events a history entry raises, for every subscription that wants them.
fn queue_events_of(conn: &mut DbConnection, recorded: &Recorded) -> Result<(), Error> {
    let entry = &recorded.entry;
    let raised = events::raised_by(&entry.entity_kind, entry.action);
    if raised.is_empty() {
        return Ok(());
    }
    let subscribers = subscribers(conn, entry.partnership_id, entry.id)?;
    for event_type in raised {
        let payload = Payload::of_entry(*event_type, entry);
        for subscription in subscribers.iter().filter(|s| s.event_types().contains(event_type)) {
            insert(
                conn,
                subscription.id,
                &payload,
                Some(entry.id),
                recorded.traceparent.as_deref(),
            )?;
        }
    }
    Ok(())
}

/// Sends each checkpoint signed since the last look to the witnesses: the subscriptions to
/// `history.checkpoint_signed` made before the entry it covers. Read from a position of its own in
/// one transaction, as the history is: each checkpoint is announced once. Answers how many were
/// read.
pub fn announce_checkpoints(conn: &mut DbConnection) -> Result<usize, Error> {
    let read_up_to = || webhook_feed::table.select(webhook_feed::last_checkpoint_id);
    let position: i64 = read_up_to().first(conn)?;
    if checkpoints::stored_after(conn, position, 1)?.is_empty() {
        return Ok(0);
    }
    write_transaction(conn, |conn| {
        let position: i64 = match conn {
            DbConnection::Pg(pg) => read_up_to().for_update().first(pg)?,
            DbConnection::Sqlite(_) => read_up_to().first(conn)?,
        };
        let signed = checkpoints::stored_after(conn, position, FEED_BATCH)?;
        let Some((last, _)) = signed.last() else {
            return Ok(0);
        };
        diesel::update(webhook_feed::table)
            .set(webhook_feed::last_checkpoint_id.eq(last))
            .execute(conn)?;
        let witnesses: Vec<SubscriptionRow> = webhook_subscriptions::table
            .filter(webhook_subscriptions::active.eq(true))
            .order(webhook_subscriptions::id)
            .select(SubscriptionRow::as_select())
            .load::<SubscriptionRow>(conn)?
            .into_iter()
            .filter(|s| s.event_types().contains(&EventType::HistoryCheckpointSigned))
            .collect();
        for (_, checkpoint) in &signed {
            let payload = Payload::of_checkpoint(checkpoint);
            for witness in witnesses.iter().filter(|w| w.after_entry_id < checkpoint.entry_id) {
                insert(conn, witness.id, &payload, None, None)?;
            }
        }
        Ok(signed.len())
    })
}

/// Announces each deadline passed since the last look, once, to the subscriptions that want
/// `deadline.overdue`; answers how many were new.
pub fn announce_overdue(conn: &mut DbConnection) -> Result<usize, Error> {
    write_transaction(conn, |conn| {
        let known: HashSet<(i64, String, String)> = deadline_notices::table
            .select((
                deadline_notices::allocation_id,
                deadline_notices::document_kind,
                deadline_notices::half,
            ))
            .load(conn)?
            .into_iter()
            .collect();
        let listening: Vec<SubscriptionRow> = webhook_subscriptions::table
            .filter(webhook_subscriptions::active.eq(true))
            .order(webhook_subscriptions::id)
            .select(SubscriptionRow::as_select())
            .load::<SubscriptionRow>(conn)?
            .into_iter()
            .filter(|s| s.event_types().contains(&EventType::DeadlineOverdue))
            .collect();
        let traceparent = crate::trace_context::current().map(|trace| trace.header());
        let mut announced = 0;
        for due in &deadlines::overdue(conn)? {
            let half = due.half.map(|h| h.as_str()).unwrap_or("");
            if known.contains(&(due.allocation_id, due.kind.as_str().to_owned(), half.to_owned())) {
                continue;
            }
            // Another instance may announce it at the same moment: one of the two inserts wins.
            let fresh = diesel::sql_query(
                "INSERT INTO deadline_notices (allocation_id, document_kind, half, announced_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (allocation_id, document_kind, half) DO NOTHING",
            )
            .bind::<BigInt, _>(due.allocation_id)
            .bind::<Text, _>(due.kind.as_str())
            .bind::<Text, _>(half)
            .bind::<Timestamp, _>(timestamps::now())
            .execute(conn)?;
            if fresh == 0 {
                continue;
            }
            announced += 1;
            let payload = Payload::of_overdue(due);
            for subscription in listening
                .iter()
                .filter(|s| s.partnership_id.is_none_or(|id| id == due.partnership_id))
            {
                insert(conn, subscription.id, &payload, None, traceparent.as_deref())?;
            }
        }
        Ok(announced)
    })
}

#[derive(QueryableByName)]
struct Claimable {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// The messages waiting to be delivered: how many, and when the oldest was queued. Two indexed
/// reads, for the metrics.
pub fn backlog(conn: &mut DbConnection) -> Result<(i64, Option<NaiveDateTime>), Error> {
    let pending = || webhook_messages::table.filter(webhook_messages::status.eq(MessageStatus::Pending.as_str()));
    let count: i64 = pending().count().get_result(conn)?;
    let oldest: Option<NaiveDateTime> = pending()
        .select(diesel::dsl::min(webhook_messages::created_at))
        .first(conn)?;
    Ok((count, oldest))
}

/// History entries the outbox has not yet read for the events they raise, for the metrics: the
/// backlog counts only messages already queued.
pub fn unread(conn: &mut DbConnection) -> Result<i64, Error> {
    let position: i64 = webhook_feed::table.select(webhook_feed::last_entry_id).first(conn)?;
    history::count_after(conn, position)
}

/// Leases up to `limit` messages due now, each the oldest pending of its subscription, and
/// fixes the body of those never sent. On PostgreSQL, rows another instance is claiming are
/// skipped (`FOR UPDATE SKIP LOCKED`); the lease keeps them from being sent twice at once, and
/// lets another instance retry them if this one dies mid-delivery.
pub fn claim(
    conn: &mut DbConnection,
    limit: i64,
    lease: Duration,
    (key, kept): (&ServiceKey, &KeptCheckpoint),
    public_url: &str,
) -> Result<Vec<Outgoing>, Error> {
    // A read first, so an idle outbox never takes the write lock.
    let due: Option<i64> = webhook_messages::table
        .filter(webhook_messages::status.eq(MessageStatus::Pending.as_str()))
        .filter(webhook_messages::next_attempt_at.le(timestamps::now()))
        .select(webhook_messages::id)
        .first(conn)
        .optional()?;
    if due.is_none() {
        return Ok(Vec::new());
    }
    write_transaction(conn, |conn| {
        let now = timestamps::now();
        let lock = match conn {
            DbConnection::Pg(_) => " FOR UPDATE OF m SKIP LOCKED",
            DbConnection::Sqlite(_) => "",
        };
        let ids: Vec<i64> = diesel::sql_query(format!(
            "SELECT m.id FROM webhook_messages m \
             JOIN webhook_subscriptions s ON s.id = m.subscription_id \
             WHERE m.status = $1 AND s.active AND m.next_attempt_at <= $2 \
             AND (m.leased_until IS NULL OR m.leased_until <= $2) \
             AND NOT EXISTS (SELECT 1 FROM webhook_messages e \
                 WHERE e.subscription_id = m.subscription_id AND e.status = $1 AND e.id < m.id) \
             ORDER BY m.id LIMIT $3{lock}"
        ))
        // In order of first appearance: SQLite numbers `$n` parameters as it meets them.
        .bind::<Text, _>(MessageStatus::Pending.as_str())
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(limit)
        .load::<Claimable>(conn)?
        .into_iter()
        .map(|c| c.id)
        .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(webhook_messages::table.filter(webhook_messages::id.eq_any(&ids)))
            .set(webhook_messages::leased_until.eq(now + lease))
            .execute(conn)?;
        let claimed: Vec<ClaimedMessage> = webhook_messages::table
            .inner_join(webhook_subscriptions::table)
            .filter(webhook_messages::id.eq_any(&ids))
            .order(webhook_messages::id)
            .select((
                webhook_messages::id,
                webhook_messages::webhook_id,
                webhook_messages::payload,
                webhook_messages::body,
                webhook_messages::traceparent,
                SubscriptionRow::as_select(),
            ))
            .load(conn)?;
        let mut checkpoint = None;
        let mut outgoing = Vec::with_capacity(claimed.len());
        for (message_id, webhook_id, payload, body, traceparent, subscription) in claimed {
            let body = match body {
                Some(body) => body,
                None => {
                    if checkpoint.is_none() {
                        checkpoint = checkpoints::take(conn, key, kept)?;
                    }
                    let body = events::body(&payload, public_url, checkpoint.as_ref())?;
                    diesel::update(webhook_messages::table.find(message_id))
                        .set(webhook_messages::body.eq(&body))
                        .execute(conn)?;
                    body
                }
            };
            outgoing.push(Outgoing {
                message_id,
                subscription_id: subscription.id,
                webhook_id,
                url: subscription.url.clone(),
                body,
                secrets: subscription.signing_secrets(now),
                trace: TraceContext::continuing(traceparent.as_deref()),
            });
        }
        Ok(outgoing)
    })
}

/// Records how an attempt went: delivered, scheduled for retry, or given up, which disables the
/// subscription until someone switches it on again.
pub fn record(conn: &mut DbConnection, outgoing: &Outgoing, attempt: &Attempt) -> Result<(), Error> {
    write_transaction(conn, |conn| {
        let now = timestamps::now();
        diesel::insert_into(webhook_attempts::table)
            .values((
                webhook_attempts::message_id.eq(outgoing.message_id),
                webhook_attempts::subscription_id.eq(outgoing.subscription_id),
                webhook_attempts::attempted_at.eq(now),
                webhook_attempts::duration_ms.eq(attempt.duration_ms),
                webhook_attempts::response_status.eq(attempt.response_status),
                webhook_attempts::delivered.eq(attempt.delivered),
                webhook_attempts::error.eq(&attempt.error),
                webhook_attempts::response_excerpt.eq(&attempt.response_excerpt),
            ))
            .execute(conn)?;
        let attempts: i32 = webhook_messages::table
            .find(outgoing.message_id)
            .select(webhook_messages::attempts)
            .first::<i32>(conn)?
            + 1;
        let retry_after = usize::try_from(attempts - 1)
            .ok()
            .and_then(|i| RETRY_AFTER_SECONDS.get(i));
        let status = match (attempt.delivered, retry_after) {
            (true, _) => MessageStatus::Delivered,
            (false, Some(_)) => MessageStatus::Pending,
            (false, None) => MessageStatus::Failed,
        };
        diesel::update(webhook_messages::table.find(outgoing.message_id))
            .set((
                webhook_messages::attempts.eq(attempts),
                webhook_messages::status.eq(status.as_str()),
                webhook_messages::leased_until.eq(None::<NaiveDateTime>),
                webhook_messages::next_attempt_at.eq(now + Duration::seconds(*retry_after.unwrap_or(&0))),
                webhook_messages::delivered_at.eq(attempt.delivered.then_some(now)),
            ))
            .execute(conn)?;
        if status == MessageStatus::Failed {
            let reason = format!(
                "disabled at {}: every attempt to deliver {} failed for over a day; the last: {}",
                timestamps::utc(now).format("%Y-%m-%dT%H:%M:%SZ"),
                outgoing.webhook_id,
                attempt.error.as_deref().unwrap_or("no answer")
            );
            diesel::update(webhook_subscriptions::table.find(outgoing.subscription_id))
                .set((
                    webhook_subscriptions::version.eq(webhook_subscriptions::version + 1),
                    webhook_subscriptions::active.eq(false),
                    webhook_subscriptions::disabled_reason.eq(reason),
                    webhook_subscriptions::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = webhook_messages, check_for_backend(crate::db::MultiBackend))]
struct MessageRow {
    id: i64,
    webhook_id: String,
    event_type: String,
    status: String,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    history_entry_id: Option<i64>,
    created_at: NaiveDateTime,
    delivered_at: Option<NaiveDateTime>,
    body: Option<String>,
}

impl MessageRow {
    fn view(self) -> Result<Message, Error> {
        let status: MessageStatus = self.status.parse().map_err(Error::internal)?;
        Ok(Message {
            webhook_id: self.webhook_id,
            event_type: self.event_type.parse().map_err(Error::internal)?,
            next_attempt_at: (status == MessageStatus::Pending).then_some(self.next_attempt_at),
            status,
            attempts: self.attempts,
            history_entry_id: self.history_entry_id,
            created_at: self.created_at,
            delivered_at: self.delivered_at,
            body: self
                .body
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(Error::internal)?,
        })
    }
}

/// A subscription's messages, oldest first.
pub fn messages(
    conn: &mut DbConnection,
    caller: &Caller,
    subscription_id: i64,
    filter: &MessageFilter,
    page: &PageRequest,
) -> Result<Page<Message>, Error> {
    subscriptions::locate(conn, caller, subscription_id)?;
    let mut query = webhook_messages::table
        .filter(webhook_messages::subscription_id.eq(subscription_id))
        .filter(webhook_messages::id.gt(page.after))
        .order(webhook_messages::id)
        .limit(page.fetch())
        .select(MessageRow::as_select())
        .into_boxed();
    if let Some(status) = filter.status {
        query = query.filter(webhook_messages::status.eq(status.as_str()));
    }
    let rows: Vec<MessageRow> = query.load(conn)?;
    let page = Page::from_rows(rows, page, |row| row.id, |row| row);
    Ok(Page {
        items: page.items.into_iter().map(MessageRow::view).collect::<Result<_, _>>()?,
        next_cursor: page.next_cursor,
    })
}

/// A subscription's delivery attempts, oldest first.
pub fn attempts(
    conn: &mut DbConnection,
    caller: &Caller,
    subscription_id: i64,
    page: &PageRequest,
) -> Result<Page<DeliveryAttempt>, Error> {
    subscriptions::locate(conn, caller, subscription_id)?;
    type Row = (
        i64,
        String,
        NaiveDateTime,
        i64,
        Option<i32>,
        bool,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = webhook_attempts::table
        .inner_join(webhook_messages::table)
        .filter(webhook_attempts::subscription_id.eq(subscription_id))
        .filter(webhook_attempts::id.gt(page.after))
        .order(webhook_attempts::id)
        .limit(page.fetch())
        .select((
            webhook_attempts::id,
            webhook_messages::webhook_id,
            webhook_attempts::attempted_at,
            webhook_attempts::duration_ms,
            webhook_attempts::response_status,
            webhook_attempts::delivered,
            webhook_attempts::error,
            webhook_attempts::response_excerpt,
        ))
        .load(conn)?;
    Ok(Page::from_rows(
        rows,
        page,
        |row| row.0,
        |(id, webhook_id, attempted_at, duration_ms, response_status, delivered, error, response_excerpt)| {
            DeliveryAttempt {
                id,
                webhook_id,
                attempted_at,
                duration_ms,
                response_status,
                delivered,
                error,
                response_excerpt,
            }
        },
    ))
}

/// Sends a delivered or failed message again, with the same `webhook-id` and body, before the
/// subscription's later messages.
pub fn redeliver(
    conn: &mut DbConnection,
    caller: &Caller,
    subscription_id: i64,
    webhook_id: &str,
) -> Result<Message, Error> {
    write_transaction(conn, |conn| {
        subscriptions::locate(conn, caller, subscription_id)?;
        let found: Option<MessageRow> = webhook_messages::table
            .filter(webhook_messages::subscription_id.eq(subscription_id))
            .filter(webhook_messages::webhook_id.eq(webhook_id))
            .select(MessageRow::as_select())
            .first(conn)
            .optional()?;
        let Some(MessageRow { id, status, .. }) = found else {
            return Err(Error::NotFound("webhook message"));
        };
        if status == MessageStatus::Pending.as_str() {
            return Err(Error::Conflict {
                detail: "the message is still waiting to be delivered".into(),
                field: None,
            });
        }
        diesel::update(webhook_messages::table.find(id))
            .set((
                webhook_messages::status.eq(MessageStatus::Pending.as_str()),
                webhook_messages::attempts.eq(0),
                webhook_messages::next_attempt_at.eq(timestamps::now()),
                webhook_messages::leased_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
        webhook_messages::table
            .find(id)
            .select(MessageRow::as_select())
            .first::<MessageRow>(conn)?
            .view()
    })
}
