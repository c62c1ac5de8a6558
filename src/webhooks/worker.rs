//! The delivery worker inside every instance of the service: it signs a history checkpoint when
//! the history has grown, announces deadlines that have passed, queues the events of what the
//! history has recorded since it last looked, and sends what the outbox holds, each subscription's
//! messages in order and different subscriptions' side by side.

use std::time::{Duration, Instant};

use actix_web::web;
use futures_util::future::join_all;

use super::{delivery, outbox};
use crate::history::checkpoints;
use crate::http::AppState;

/// Messages claimed per round: as many endpoints are called at once.
const BATCH: i64 = 16;
/// How often overdue deadlines are looked for.
const DEADLINE_SCAN: Duration = Duration::from_secs(60);

/// Runs until the server stops, and then, asked to, returns once every delivery it claimed is
/// recorded.
pub async fn run(state: web::Data<AppState>) {
    deliver_until_stopped(&state).await;
    state.shutdown.worker_stopped();
}

async fn deliver_until_stopped(state: &web::Data<AppState>) {
    let settings = state.config.webhooks.clone();
    let client = match delivery::client(&settings) {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "cannot build the webhook client; webhooks will not be delivered");
            return;
        }
    };
    let lease =
        chrono::Duration::from_std(settings.timeout + Duration::from_secs(30)).unwrap_or(chrono::Duration::minutes(1));
    let mut last_checkpoint: Option<Instant> = None;
    let mut last_deadline_scan: Option<Instant> = None;
    while !state.shutdown.is_asked() {
        if last_checkpoint.is_none_or(|at| at.elapsed() >= state.config.checkpoint_interval) {
            last_checkpoint = Some(Instant::now());
            let (key, kept) = (
                state.config.service_key.clone(),
                checkpoints::KeptCheckpoint::at(state.config.checkpoint_file.clone()),
            );
            if let Err(error) = state.db.run(move |conn| checkpoints::take(conn, &key, &kept)).await {
                tracing::warn!(%error, "cannot sign a history checkpoint");
            }
        }
        if last_deadline_scan.is_none_or(|at| at.elapsed() >= DEADLINE_SCAN) {
            last_deadline_scan = Some(Instant::now());
            let scanned = state.db.run(outbox::announce_overdue).await;
            if let Err(error) = scanned {
                tracing::warn!(%error, "cannot look for overdue deadlines");
            }
        }
        let read = match state.db.run(outbox::read_history).await {
            Ok(read) => read,
            Err(error) => {
                tracing::warn!(%error, "cannot read the history for webhook events");
                0
            }
        };
        let announced = match state.db.run(outbox::announce_checkpoints).await {
            Ok(announced) => announced,
            Err(error) => {
                tracing::warn!(%error, "cannot send the new checkpoints to the witnesses");
                0
            }
        };
        let read = read + announced;
        let (key, kept) = (
            state.config.service_key.clone(),
            checkpoints::KeptCheckpoint::at(state.config.checkpoint_file.clone()),
        );
        let public_url = state.config.public_url.clone();
        let claimed = state
            .db
            .run(move |conn| outbox::claim(conn, BATCH, lease, (&key, &kept), &public_url))
            .await;
        let outgoing = match claimed {
            Ok(outgoing) if !outgoing.is_empty() => outgoing,
            // The history may hold more to read: look again at once.
            Ok(_) if read > 0 => continue,
            Ok(_) => {
                state.shutdown.pause(settings.poll).await;
                continue;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot read the webhook outbox");
                state.shutdown.pause(settings.poll).await;
                continue;
            }
        };
        let attempts = join_all(outgoing.iter().map(|o| delivery::send(&client, &settings, o))).await;
        for (sent, attempt) in outgoing.into_iter().zip(attempts) {
            crate::metrics::delivery_attempted(attempt.delivered);
            if !attempt.delivered {
                tracing::info!(webhook_id = %sent.webhook_id, subscription = sent.subscription_id,
                    error = attempt.error.as_deref().unwrap_or(""), "webhook delivery failed; it will be retried");
            }
            if let Err(error) = state.db.run(move |conn| outbox::record(conn, &sent, &attempt)).await {
                tracing::warn!(%error, "cannot record a webhook delivery; its lease will lapse and it will be sent again");
            }
        }
    }
}
