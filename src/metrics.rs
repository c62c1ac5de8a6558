//! What the operations team sees of the service, in Prometheus's text format: requests by route
//! template, the database pool, password hashing, the webhook outbox, the history's checkpoints,
//! failed logins and the build. Served on a listen address of its own (`CSPFUND_METRICS_BIND`),
//! never on the public port.
//!
//! Counters and histograms are counted where things happen, in one registry for the process;
//! the gauges that describe stored state (outbox backlog, checkpoint lag) are read from the
//! database when scraped, so every instance reports the same shared figures.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use crate::error::Error;

/// Request and database latencies: from a cached read to a slow report.
const LATENCY_BUCKETS: [f64; 13] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The collectors, registered once for the process.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    request_seconds: HistogramVec,
    pool_wait_seconds: Histogram,
    pool_connections: IntGaugeVec,
    hashing: IntGaugeVec,
    hashing_refusals: IntCounter,
    outbox_backlog: IntGauge,
    outbox_oldest_age: IntGauge,
    outbox_unread: IntGauge,
    deliveries: IntCounterVec,
    checkpoint_lag: IntGauge,
    login_failures: IntCounter,
    login_lockouts: IntCounter,
    provider_key_fetches: IntCounter,
}

static METRICS: LazyLock<Result<Metrics, prometheus::Error>> = LazyLock::new(Metrics::register);

/// Whether anything is counted: only when metrics are served, so a service without them pays
/// nothing for them.
static ENABLED: AtomicBool = AtomicBool::new(false);

/// Starts counting (the service serves metrics).
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

fn with(record: impl FnOnce(&Metrics)) {
    if ENABLED.load(Ordering::Relaxed)
        && let Ok(metrics) = &*METRICS
    {
        record(metrics);
    }
}

impl Metrics {
    fn register() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new_custom(Some("cspfund".into()), None)?;
        let latency = |name: &str, help: &str| HistogramOpts::new(name, help).buckets(LATENCY_BUCKETS.to_vec());
        let metrics = Metrics {
            requests: IntCounterVec::new(
                Opts::new(
                    "http_requests_total",
                    "Requests answered, by route template, method and status",
                ),
                &["route", "method", "status"],
            )?,
            request_seconds: HistogramVec::new(
                latency(
                    "http_request_duration_seconds",
                    "Time to answer a request, by route template and method",
                ),
                &["route", "method"],
            )?,
            pool_wait_seconds: Histogram::with_opts(latency(
                "db_pool_wait_seconds",
                "Time a unit of database work waited for a pooled connection",
            ))?,
            pool_connections: IntGaugeVec::new(
                Opts::new(
                    "db_pool_connections",
                    "Pooled database connections: the pool's size, open, in use",
                ),
                &["state"],
            )?,
            hashing: IntGaugeVec::new(
                Opts::new(
                    "password_hashing_slots",
                    "Password checks: the most that may be in flight (threads plus queue), and those in flight",
                ),
                &["state"],
            )?,
            hashing_refusals: IntCounter::new(
                "password_hashing_refusals_total",
                "Password checks refused at once (503) because every hashing thread and queue place was taken",
            )?,
            outbox_backlog: IntGauge::new("webhook_outbox_backlog", "Webhook messages waiting to be delivered")?,
            outbox_oldest_age: IntGauge::new(
                "webhook_outbox_oldest_age_seconds",
                "How long the oldest webhook message still waiting has waited",
            )?,
            outbox_unread: IntGauge::new(
                "webhook_outbox_unread_entries",
                "History entries the webhook outbox has not yet read for the events they raise",
            )?,
            deliveries: IntCounterVec::new(
                Opts::new(
                    "webhook_deliveries_total",
                    "Webhook delivery attempts by this instance, by outcome",
                ),
                &["outcome"],
            )?,
            checkpoint_lag: IntGauge::new(
                "history_checkpoint_lag_entries",
                "History entries appended since the newest signed checkpoint",
            )?,
            login_failures: IntCounter::new("login_failures_total", "Failed logins (wrong or unknown credentials)")?,
            login_lockouts: IntCounter::new(
                "login_lockouts_total",
                "Logins refused (429) because an account or address had failed too often",
            )?,
            provider_key_fetches: IntCounter::new(
                "identity_provider_key_fetches_total",
                "Fetches of a trusted identity provider's signing keys (at most one per refetch interval each)",
            )?,
            registry,
        };
        let build = IntGaugeVec::new(
            Opts::new("build_info", "The running build: always 1, labelled with its version"),
            &["version"],
        )?;
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        let registry = &metrics.registry;
        registry.register(Box::new(build))?;
        registry.register(Box::new(metrics.requests.clone()))?;
        registry.register(Box::new(metrics.request_seconds.clone()))?;
        registry.register(Box::new(metrics.pool_wait_seconds.clone()))?;
        registry.register(Box::new(metrics.pool_connections.clone()))?;
        registry.register(Box::new(metrics.hashing.clone()))?;
        registry.register(Box::new(metrics.hashing_refusals.clone()))?;
        registry.register(Box::new(metrics.outbox_backlog.clone()))?;
        registry.register(Box::new(metrics.outbox_oldest_age.clone()))?;
        registry.register(Box::new(metrics.outbox_unread.clone()))?;
        registry.register(Box::new(metrics.deliveries.clone()))?;
        registry.register(Box::new(metrics.checkpoint_lag.clone()))?;
        registry.register(Box::new(metrics.login_failures.clone()))?;
        registry.register(Box::new(metrics.login_lockouts.clone()))?;
        registry.register(Box::new(metrics.provider_key_fetches.clone()))?;
        // Resident memory, CPU and open files of this process.
        metrics
            .registry
            .register(Box::new(prometheus::process_collector::ProcessCollector::for_self()))?;
        Ok(metrics)
    }
}

/// One answered request. `route` is the route's template (`/api/v1/plans/{id}`), never the
/// path itself, so ids do not make a series each.
pub fn request_answered(route: &str, method: &str, status: u16, took: Duration) {
    with(|m| {
        m.requests
            .with_label_values(&[route, method, &status.to_string()])
            .inc();
        m.request_seconds
            .with_label_values(&[route, method])
            .observe(took.as_secs_f64());
    });
}

pub fn connection_waited(waited: Duration) {
    with(|m| m.pool_wait_seconds.observe(waited.as_secs_f64()));
}

pub fn hashing_refused() {
    with(|m| m.hashing_refusals.inc());
}

pub fn delivery_attempted(delivered: bool) {
    with(|m| {
        m.deliveries
            .with_label_values(&[if delivered { "delivered" } else { "failed" }])
            .inc();
    });
}

pub fn login_failed() {
    with(|m| m.login_failures.inc());
}

pub fn login_locked_out() {
    with(|m| m.login_lockouts.inc());
}

pub fn provider_key_fetch() {
    with(|m| m.provider_key_fetches.inc());
}

/// The pool and the hashing threads, as they stand when scraped.
pub struct Gauges {
    pub pool_size: u32,
    pub pool_open: u32,
    pub pool_idle: u32,
    pub hashing_capacity: usize,
    pub hashing_in_flight: usize,
}

/// The stored state the gauges describe: the outbox and the history's newest checkpoint, read
/// by the scrape from the modules that keep them.
pub struct Stored {
    pub backlog: i64,
    pub oldest_pending: Option<chrono::NaiveDateTime>,
    /// History entries the outbox has not yet read for their events.
    pub unread: i64,
    pub lag: i64,
}

/// Everything, in Prometheus's text exposition format.
pub fn exposition(gauges: &Gauges, stored: &Stored, now: chrono::NaiveDateTime) -> Result<String, Error> {
    let Ok(m) = &*METRICS else {
        return Err(Error::internal("the metrics could not be registered"));
    };
    let pool = &m.pool_connections;
    pool.with_label_values(&["size"]).set(gauges.pool_size.into());
    pool.with_label_values(&["open"]).set(gauges.pool_open.into());
    pool.with_label_values(&["in_use"])
        .set(i64::from(gauges.pool_open.saturating_sub(gauges.pool_idle)));
    let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    m.hashing
        .with_label_values(&["capacity"])
        .set(count(gauges.hashing_capacity));
    m.hashing
        .with_label_values(&["in_flight"])
        .set(count(gauges.hashing_in_flight));
    m.outbox_backlog.set(stored.backlog);
    m.outbox_oldest_age
        .set(stored.oldest_pending.map_or(0, |at| (now - at).num_seconds().max(0)));
    m.outbox_unread.set(stored.unread);
    m.checkpoint_lag.set(stored.lag);
    let mut text = Vec::new();
    TextEncoder::new()
        .encode(&m.registry.gather(), &mut text)
        .map_err(Error::internal)?;
    String::from_utf8(text).map_err(Error::internal)
}
