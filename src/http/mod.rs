//! The HTTP toolkit every domain's handlers use: the application state, problem responses,
//! extractors, conditional requests, idempotency and request tagging. It names no domain's
//! routes; the route table and the server are the `server` module's.

pub mod conditional;
pub mod extract;
pub mod idempotency;
pub mod problem;
pub mod request_id;
pub mod route_table;

use std::sync::OnceLock;

use actix_web::web;

use crate::auth::hashing::SecretHasher;
use crate::auth::login::Authenticator;
use crate::auth::throttle::LoginThrottle;
use crate::auth::tokens::TokenKeys;
use crate::config::Config;
use crate::db::Database;
use crate::error::Error;

/// Everything a request handler may need, shared by all workers.
pub struct AppState {
    pub db: Database,
    pub config: Config,
    pub tokens: TokenKeys,
    pub throttle: LoginThrottle,
    pub authenticator: Authenticator,
    /// The trusted identity providers and their keys.
    pub providers: crate::auth::providers::Providers,
    pub hasher: SecretHasher,
    pub openapi: serde_json::Value,
    /// The same document rendered as OpenAPI 3.0.3.
    pub openapi_3_0: serde_json::Value,
    pub routes: route_table::RouteTable,
    /// This instance's name, set when it starts listening: its host and listening address.
    pub(crate) instance_name: OnceLock<String>,
    /// Tells the background worker to finish what it holds and stop.
    pub shutdown: Shutdown,
    /// Where requests are sent as spans, when a collector is configured.
    pub spans: Option<crate::spans::SpanExport>,
}

/// A graceful stop of the background worker: asked for once the server has finished the
/// requests in flight, answered once the worker has recorded every delivery it had claimed, so
/// no webhook lease is left to lapse before another instance may send the message.
#[derive(Default)]
pub struct Shutdown {
    asked: std::sync::atomic::AtomicBool,
    wake: tokio::sync::Notify,
    stopped: tokio::sync::Notify,
    done: std::sync::atomic::AtomicBool,
}

impl Shutdown {
    pub fn is_asked(&self) -> bool {
        self.asked.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Sleeps for `period`, or less when a stop is asked for.
    pub async fn pause(&self, period: std::time::Duration) {
        let woken = self.wake.notified();
        if !self.is_asked() {
            let _ = actix_web::rt::time::timeout(period, woken).await;
        }
    }

    /// Called by the worker as it returns.
    pub fn worker_stopped(&self) {
        self.done.store(true, std::sync::atomic::Ordering::SeqCst);
        self.stopped.notify_waiters();
    }

    /// Asks the worker to stop and waits for it, at most `limit`; false if it had not stopped.
    pub async fn stop_worker(&self, limit: std::time::Duration) -> bool {
        let stopped = self.stopped.notified();
        self.asked.store(true, std::sync::atomic::Ordering::SeqCst);
        self.wake.notify_waiters();
        if self.done.load(std::sync::atomic::Ordering::SeqCst) {
            return true;
        }
        actix_web::rt::time::timeout(limit, stopped).await.is_ok()
            || self.done.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl AppState {
    /// The host and address this instance listens on: the same when it starts again there, so
    /// what an earlier run left unfinished can be recognised as its own.
    pub fn instance_name(&self) -> &str {
        self.instance_name.get().map_or("", String::as_str)
    }

    /// Hashes a password or secret on the hashing threads (Argon2 takes tens of milliseconds).
    pub async fn hash_secret(&self, secret: String) -> Result<String, Error> {
        self.hasher.hash(secret).await
    }
}

/// The application state as handlers extract it.
pub type State = web::Data<AppState>;
