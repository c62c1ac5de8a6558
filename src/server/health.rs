//! Liveness and readiness probes for orchestrators and load balancers.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::AppState;
use crate::http::problem::ApiError;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the process serves requests; `ready` when it can also reach its database.
    #[schema(example = "ready")]
    pub status: &'static str,
    /// `sqlite` or `postgres` (readiness only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
}

/// The process is up and serving requests.
#[utoipa::path(tag = "health", responses((status = 200, description = "Alive", body = Health)))]
#[get("/health/live")]
pub async fn liveness() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok",
        database: None,
    })
}

/// The service can reach its database and take traffic.
///
/// Not ready either while the history contradicts the newest checkpoint the service signed (kept
/// outside the database): the problem names the entry. One indexed read, whoever asks.
#[utoipa::path(tag = "health", responses(
    (status = 200, description = "Ready", body = Health),
    (status = 503, description = "The database is not reachable, or the history is broken"),
))]
#[get("/health/ready")]
pub async fn readiness(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.db.ping().await?;
    // The kept file is read on the database's blocking threads too, not on the async worker.
    let kept = crate::history::checkpoints::KeptCheckpoint::at(state.config.checkpoint_file.clone());
    let broken = state
        .db
        .run(move |conn| match kept.read()? {
            Some(kept) => {
                Ok(crate::history::checkpoints::contradiction(conn, &kept)?.map(|reason| (kept.entry_id, reason)))
            }
            None => Ok(None),
        })
        .await?;
    if let Some((entry, reason)) = broken {
        return Err(crate::error::Error::HistoryBroken { entry, reason }.into());
    }
    Ok(HttpResponse::Ok().json(Health {
        status: "ready",
        database: Some(match state.db.backend() {
            crate::db::Backend::Postgres => "postgres",
            crate::db::Backend::Sqlite => "sqlite",
        }),
    }))
}

/// The service's metrics in Prometheus's text format, on the metrics address only.
pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let stored = state
        .db
        .run(|conn| {
            let (backlog, oldest_pending) = crate::webhooks::outbox::backlog(conn)?;
            let unread = crate::webhooks::outbox::unread(conn)?;
            let lag = crate::history::checkpoints::lag(conn)?;
            Ok(crate::metrics::Stored {
                backlog,
                oldest_pending,
                unread,
                lag,
            })
        })
        .await?;
    let (pool_size, pool_open, pool_idle) = state.db.pool_state();
    let (hashing_capacity, hashing_in_flight) = state.hasher.load();
    let gauges = crate::metrics::Gauges {
        pool_size,
        pool_open,
        pool_idle,
        hashing_capacity,
        hashing_in_flight,
    };
    let text = crate::metrics::exposition(&gauges, &stored, crate::timestamps::now())?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}
