//! The service put together: the route table (which is also the OpenAPI document's source),
//! the application as served, the server with its background worker, and start-up. The one
//! module that may import every other.

pub mod health;
pub mod openapi;
pub mod rendition;

use std::net::TcpListener;
use std::sync::OnceLock;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::{Condition, ErrorHandlers, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use utoipa::OpenApi as _;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::hashing::SecretHasher;
use crate::auth::login::Authenticator;
use crate::auth::throttle::{Limits, LoginThrottle};
use crate::auth::tokens::TokenKeys;
use crate::config::Config;
use crate::db::{Database, Migrations};
use crate::error::Error;
use crate::http::route_table::RouteTable;
use crate::http::{AppState, Shutdown, conditional, idempotency, problem, request_id};
use crate::{
    accounts, allocations, api_clients, attachments, bootstrap, commissioning, deadlines, exports, final_reports,
    fund_years, half_year_returns, history, instance_secrets, partnerships, payments, plans, priority_sets, publishing,
    records, reports, users, webhooks,
};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] crate::db::SetupError),
    #[error("{0}")]
    Bootstrap(String),
    #[error("cannot start the password hashing threads: {0}")]
    Threads(std::io::Error),
    #[error("cannot build the OpenAPI document: {0}")]
    Document(#[from] serde_json::Error),
    #[error("{0}")]
    Secrets(String),
    #[error("CSPFUND_OTLP_ENDPOINT: {0}")]
    Spans(String),
    #[error("CSPFUND_OIDC_ISSUERS: {0}")]
    Providers(String),
}

impl From<Error> for StartupError {
    fn from(e: Error) -> Self {
        StartupError::Bootstrap(crate::cli::describe(&e))
    }
}

impl AppState {
    /// Opens the database (applying migrations), creates the first admin if configured, and
    /// prepares keys and the API document.
    pub fn start(config: Config) -> Result<web::Data<AppState>, StartupError> {
        let migrations = if config.migrate {
            Migrations::Apply
        } else {
            Migrations::Expect
        };
        let db = Database::open_with(&config.database_url, config.db_pool_size, migrations)?;
        if let Some(at) = config.clock {
            db.clock().set(at);
        }
        let mut conn = db.connection()?;
        let missing = instance_secrets::agree(&mut conn, &config)?;
        if !missing.is_empty() {
            return Err(StartupError::Secrets(instance_secrets::refusal(&missing)));
        }
        if let Some(admin) = &config.bootstrap_admin {
            bootstrap::ensure_admin(&mut conn, admin)?;
        }
        drop(conn);
        let document = api_document()?;
        let spans = config
            .otlp_endpoint
            .as_deref()
            .map(crate::spans::SpanExport::start)
            .transpose()
            .map_err(StartupError::Spans)?;
        Ok(web::Data::new(AppState {
            tokens: TokenKeys::new(&config.jwt_secret, config.access_token_ttl),
            throttle: LoginThrottle::new(Limits {
                per_account: config.login_max_failures_per_account,
                per_address: config.login_max_failures_per_address,
                window: config.login_lockout,
            }),
            authenticator: Authenticator::new()?,
            providers: crate::auth::providers::Providers::new(
                config.trusted_issuers.clone(),
                config.key_refetch_interval,
            )
            .map_err(StartupError::Providers)?,
            hasher: SecretHasher::start(config.hashing_threads, config.hashing_queue).map_err(StartupError::Threads)?,
            routes: RouteTable::from_document(&document),
            openapi_3_0: rendition::openapi_3_0(&document),
            openapi: document,
            db,
            config,
            instance_name: OnceLock::new(),
            shutdown: Shutdown::default(),
            spans,
        }))
    }
}

/// Every routed endpoint. Registered through utoipa-actix-web, so each one is also documented.
fn routes(cfg: &mut ServiceConfig) {
    cfg.service(health::liveness)
        .service(health::readiness)
        .service(openapi::get_problem_type)
        .service(
            scope::scope("/api/v1")
                .service(openapi::get_openapi)
                .service(openapi::get_openapi_3_0)
                .configure(accounts::http::routes)
                .configure(partnerships::http::routes)
                .configure(users::http::routes)
                .configure(api_clients::http::routes)
                .configure(priority_sets::http::routes)
                .configure(fund_years::http::routes)
                .configure(allocations::http::routes)
                .configure(commissioning::http::routes)
                .configure(plans::http::routes)
                .configure(half_year_returns::http::routes)
                .configure(final_reports::http::routes)
                .configure(attachments::http::routes)
                .configure(history::http::routes)
                .configure(records::http::routes)
                .configure(deadlines::http::routes)
                .configure(payments::http::routes)
                .configure(reports::http::routes)
                .configure(exports::http::routes)
                .configure(publishing::http::routes)
                .configure(webhooks::http::routes),
        );
}

/// The finished OpenAPI document, as served at `/api/v1/openapi.json`.
pub fn api_document() -> Result<serde_json::Value, serde_json::Error> {
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(openapi::ApiDoc::openapi())
        .configure(routes)
        .split_for_parts();
    openapi::with_webhooks(openapi::finish(api))
}

fn cors(origins: &[String]) -> Cors {
    origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::HeaderName::from_static("idempotency-key"),
            request_id::REQUEST_ID,
        ])
        .expose_headers([
            header::ALLOW,
            header::CONTENT_DISPOSITION,
            header::HeaderName::from_static("idempotent-replayed"),
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::WWW_AUTHENTICATE,
            request_id::REQUEST_ID,
        ])
        .max_age(3600)
}

async fn docs_home() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/docs/"))
        .finish()
}

pub fn build_app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let cors_enabled = !state.config.cors_origins.is_empty();
    let cors = cors(&state.config.cors_origins);
    App::new()
        .into_utoipa_app()
        .configure(routes)
        .into_app()
        .app_data(state)
        // Before the UI's own pattern, which would also match "/docs" and break relative links.
        .route("/docs", web::get().to(docs_home))
        .service(SwaggerUi::new("/docs/{_:.*}").config(utoipa_swagger_ui::Config::new(["/api/v1/openapi.json"])))
        .default_service(web::to(openapi::no_route))
        .wrap(from_fn(idempotency::replay_or_record))
        .wrap(from_fn(conditional::answer_unchanged))
        .wrap(Condition::new(cors_enabled, cors))
        .wrap(ErrorHandlers::new().default_handler(problem::ensure_problem))
        .wrap(from_fn(request_id::tag_request))
}

/// How long a stopping server lets requests in flight finish.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(20);

/// The HTTP server on an already bound listener (so tests can bind port 0), and beside it the
/// worker that delivers webhooks and signs checkpoints. Call it within the actix system that
/// will run the server.
pub fn server(state: web::Data<AppState>, listener: TcpListener) -> std::io::Result<Server> {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default();
    let name = format!("{} {}", host.trim(), listener.local_addr()?);
    let _ = state.instance_name.set(name.clone());
    let released = state
        .db
        .connection()
        .and_then(|mut conn| idempotency::release_claims_of(&mut conn, &name));
    match released {
        Ok(0) => {}
        Ok(count) => tracing::info!(count, "freed the Idempotency-Key claims an earlier run left unfinished"),
        Err(error) => tracing::warn!(%error, "cannot free the Idempotency-Key claims of an earlier run"),
    }
    actix_web::rt::spawn(webhooks::worker::run(state.clone()));
    let workers = state.config.workers;
    let server = HttpServer::new(move || build_app(state.clone()))
        .workers(workers)
        .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
        .listen(listener)?
        .run();
    Ok(server)
}

/// The metrics server on its own listener: `GET /metrics` and nothing else, so that what
/// operations read is never on the address the public reaches.
pub fn metrics_server(state: web::Data<AppState>, listener: TcpListener) -> std::io::Result<Server> {
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/metrics", web::get().to(health::metrics))
    })
    .workers(1)
    .shutdown_timeout(1)
    .listen(listener)?
    .run();
    Ok(server)
}
