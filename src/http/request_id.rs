//! Tags every request with an id (the caller's `X-Request-Id` if sane, else a new UUID), echoes
//! it on the response, and logs one line per request inside a span carrying it and the W3C
//! trace context (the caller's `traceparent` continued, or a new trace); counts it in the
//! metrics and, with a collector configured, exports it as a span.
//! Only method, path, status and timing are logged: never headers, bodies or tokens. The timing
//! splits the database's share into waiting for a connection and working on one; with
//! `CSPFUND_SERVER_TIMING` on, the response carries the same in a `Server-Timing` header (off by
//! default: timings can tell a stranger more than the answer does).

use std::cell::Cell;
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use tracing::Instrument;

use super::AppState;
use crate::db::{DATABASE_TIME, DatabaseTime};
use crate::trace_context::{self, TraceContext};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
const SERVER_TIMING: HeaderName = HeaderName::from_static("server-timing");

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `Server-Timing`: the queue in front of the database, the database work, and the whole request.
fn server_timing(database: DatabaseTime, total: Duration) -> String {
    format!(
        "db-wait;dur={:.3}, db;dur={:.3}, total;dur={:.3}",
        ms(database.waited),
        ms(database.worked),
        ms(total)
    )
}

fn acceptable(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

pub async fn tag_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| acceptable(id))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let caller = req
        .headers()
        .get(TRACEPARENT)
        .and_then(|v| v.to_str().ok())
        .and_then(TraceContext::parse);
    let (trace, exported) = match state.as_ref().and_then(|state| state.spans.as_ref()) {
        Some(spans) => {
            let (trace, span) = spans.begin(caller.as_ref(), req.method().as_str());
            (trace, Some(span))
        }
        None => (caller.map_or_else(TraceContext::start, |caller| caller.child()), None),
    };
    let span = tracing::info_span!("request", request_id = %id, trace_id = %trace.trace_id,
        span_id = %trace.span_id, method = %req.method(), path = %req.path());
    let send_timing = state.is_some_and(|state| state.config.server_timing);
    let started = Instant::now();
    let handled = trace_context::serve(trace, next.call(req)).instrument(span.clone());
    let (res, database) = DATABASE_TIME
        .scope(Cell::default(), async move {
            (handled.await, DATABASE_TIME.with(Cell::get))
        })
        .await;
    let mut res = res?;
    let elapsed = started.elapsed();
    // Labels from a bounded set: the route's template, never the path a stranger chose.
    let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".into());
    let method = match res.request().method().as_str() {
        known @ ("GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS") => known,
        _ => "other",
    };
    crate::metrics::request_answered(&route, method, res.status().as_u16(), elapsed);
    if let Some(exported) = exported {
        exported.end(method, &route, res.status().as_u16());
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    if send_timing && let Ok(value) = HeaderValue::from_str(&server_timing(database, elapsed)) {
        res.headers_mut().insert(SERVER_TIMING, value);
    }
    span.in_scope(|| {
        tracing::info!(
            status = res.status().as_u16(),
            elapsed_ms = elapsed.as_millis() as u64,
            db_wait_ms = database.waited.as_millis() as u64,
            db_ms = database.worked.as_millis() as u64,
            "handled"
        );
    });
    Ok(res)
}
