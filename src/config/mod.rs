//! Configuration: every setting from an environment variable (or the matching flag), checked
//! once at start-up so a bad value stops the server with a message naming the variable.

pub mod identity_providers;

use std::net::ToSocketAddrs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::db::Backend;
use crate::service_key::ServiceKey;

/// Settings as given. See the README's configuration table.
#[derive(clap::Args, Debug, Clone)]
pub struct Settings {
    /// Database URL: `postgres://...` for PostgreSQL, otherwise a SQLite file path.
    /// Default: `<data dir>/cspfund.sqlite3`.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,

    /// File holding the database password, put into DATABASE_URL (e.g. a mounted secret), so
    /// the URL itself holds none.
    #[arg(long, env = "CSPFUND_DATABASE_PASSWORD_FILE", global = true)]
    pub database_password_file: Option<PathBuf>,

    /// Directory for the SQLite database and the generated signing key.
    #[arg(long, env = "CSPFUND_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,

    /// Address and port for Prometheus metrics (`GET /metrics`), apart from the API's. Default:
    /// none, no metrics served.
    #[arg(long, env = "CSPFUND_METRICS_BIND", global = true)]
    pub metrics_bind: Option<String>,

    /// An OpenTelemetry collector's OTLP/HTTP address, e.g. `http://otel-collector:4318`: each
    /// request is sent there as a span. Default: none, no spans sent.
    #[arg(long, env = "CSPFUND_OTLP_ENDPOINT", global = true)]
    pub otlp_endpoint: Option<String>,

    /// Address and port to listen on.
    #[arg(long, env = "CSPFUND_BIND", default_value = "127.0.0.1:8080", global = true)]
    pub bind: String,

    /// Secret for signing access tokens (at least 32 bytes). Default: generated once into the
    /// data directory, which serves one instance; several instances need the same one given.
    #[arg(long, env = "CSPFUND_JWT_SECRET", hide_env_values = true, global = true)]
    pub jwt_secret: Option<String>,

    /// File holding the token signing secret (e.g. a mounted secret).
    #[arg(long, env = "CSPFUND_JWT_SECRET_FILE", global = true)]
    pub jwt_secret_file: Option<PathBuf>,

    /// The service's Ed25519 key (PKCS#8 PEM), which signs history checkpoints and attests
    /// document signatures. Default: generated once into the data directory, like the token
    /// secret; several instances need the same one given.
    #[arg(long, env = "CSPFUND_SIGNING_KEY", hide_env_values = true, global = true)]
    pub signing_key: Option<String>,

    /// File holding that key, as `openssl genpkey -algorithm ed25519` writes it.
    #[arg(long, env = "CSPFUND_SIGNING_KEY_FILE", global = true)]
    pub signing_key_file: Option<PathBuf>,

    /// Where the service keeps the newest history checkpoint it signed, outside the database, and
    /// checks the history against before signing the next. Default: `history-checkpoint.json` in
    /// the data directory. Keep it on storage the database's users cannot write, and shared by
    /// every instance or one per instance.
    #[arg(long, env = "CSPFUND_CHECKPOINT_FILE", global = true)]
    pub checkpoint_file: Option<PathBuf>,

    /// The address clients reach the service at, for the links in webhook payloads.
    /// Default: `http://<CSPFUND_BIND>`.
    #[arg(long, env = "CSPFUND_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// Let webhook endpoints be plain http and on private, loopback or link-local addresses
    /// (for a receiver on the same host or network; never on a service facing the internet).
    #[arg(long, env = "CSPFUND_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, global = true)]
    pub webhook_allow_private: bool,

    /// Seconds a webhook endpoint has to answer a delivery.
    #[arg(long, env = "CSPFUND_WEBHOOK_TIMEOUT", default_value_t = 10, global = true)]
    pub webhook_timeout: u64,

    /// Milliseconds between looks at the webhook outbox when it is idle.
    #[arg(long, env = "CSPFUND_WEBHOOK_POLL_MS", default_value_t = 1000, global = true)]
    pub webhook_poll_ms: u64,

    /// Seconds between signed checkpoints of the history, when it has grown.
    #[arg(long, env = "CSPFUND_CHECKPOINT_INTERVAL", default_value_t = 5, global = true)]
    pub checkpoint_interval: u64,

    /// Access token lifetime in seconds.
    #[arg(long, env = "CSPFUND_ACCESS_TOKEN_TTL", default_value_t = 900, global = true)]
    pub access_token_ttl: u64,

    /// Refresh token lifetime in seconds.
    #[arg(long, env = "CSPFUND_REFRESH_TOKEN_TTL", default_value_t = 1_209_600, global = true)]
    pub refresh_token_ttl: u64,

    /// Comma-separated browser origins allowed to call the API (CORS). Empty: none.
    #[arg(long, env = "CSPFUND_CORS_ORIGINS", value_delimiter = ',', global = true)]
    pub cors_origins: Vec<String>,

    /// Log filter, e.g. `info` or `cspfund=debug,actix_web=info`.
    #[arg(long, env = "CSPFUND_LOG", default_value = "info", global = true)]
    pub log: String,

    /// Log format.
    #[arg(long, env = "CSPFUND_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// Database connections in the pool.
    #[arg(long, env = "CSPFUND_DB_POOL_SIZE", default_value_t = 10, global = true)]
    pub db_pool_size: u32,

    /// Largest JSON request body accepted, in bytes.
    #[arg(long, env = "CSPFUND_MAX_BODY_BYTES", default_value_t = 1_048_576, global = true)]
    pub max_body_bytes: usize,

    /// Directory for uploaded evidence files. Default: `<data dir>/attachments`.
    #[arg(long, env = "CSPFUND_ATTACHMENT_DIR", global = true)]
    pub attachment_dir: Option<PathBuf>,

    /// Where evidence files are kept: `folder` (CSPFUND_ATTACHMENT_DIR) or `database`, which
    /// every instance of the service shares.
    #[arg(long, env = "CSPFUND_ATTACHMENT_STORAGE", value_enum, default_value_t = AttachmentStorage::Folder, global = true)]
    pub attachment_storage: AttachmentStorage,

    /// Largest evidence file accepted, in bytes.
    #[arg(long, env = "CSPFUND_ATTACHMENT_MAX_BYTES", default_value_t = 20 * 1024 * 1024, global = true)]
    pub attachment_max_bytes: usize,

    /// Comma-separated media types accepted for evidence files.
    #[arg(
        long,
        env = "CSPFUND_ATTACHMENT_TYPES",
        value_delimiter = ',',
        default_value = DEFAULT_ATTACHMENT_TYPES,
        global = true
    )]
    pub attachment_types: Vec<String>,

    /// HTTP worker threads (default: one per CPU core).
    #[arg(long, env = "CSPFUND_WORKERS", global = true)]
    pub workers: Option<usize>,

    /// Threads that hash and check passwords (default: half the CPU cores, at least one). Each
    /// holds 19 MiB of working memory.
    #[arg(long, env = "CSPFUND_HASHING_THREADS", global = true)]
    pub hashing_threads: Option<usize>,

    /// Password checks that may wait for a hashing thread; more are refused at once with 503.
    #[arg(long, env = "CSPFUND_HASHING_QUEUE", default_value_t = 16, global = true)]
    pub hashing_queue: usize,

    /// Failed logins for one account before it is refused for the lockout period.
    #[arg(long, env = "CSPFUND_LOGIN_MAX_FAILURES", default_value_t = 5, global = true)]
    pub login_max_failures: u32,

    /// Failed logins from one address before it is refused for the lockout period.
    #[arg(
        long,
        env = "CSPFUND_LOGIN_MAX_FAILURES_PER_ADDRESS",
        default_value_t = 50,
        global = true
    )]
    pub login_max_failures_per_address: u32,

    /// Lockout period (and counting window) for failed logins, in seconds.
    #[arg(long, env = "CSPFUND_LOGIN_LOCKOUT", default_value_t = 900, global = true)]
    pub login_lockout: u64,

    /// Comma-separated addresses of the reverse proxies in front of the service: from them alone,
    /// X-Forwarded-For is believed for the client's address. Empty: the peer's address is used.
    #[arg(long, env = "CSPFUND_TRUSTED_PROXIES", value_delimiter = ',', global = true)]
    pub trusted_proxies: Vec<String>,

    /// Answer every request with a `Server-Timing` header: time spent waiting for a database
    /// connection, working on it, and in all. For measuring; off on a service facing strangers,
    /// whom timings tell more than the answers do.
    #[arg(long, env = "CSPFUND_SERVER_TIMING", default_value_t = false, global = true)]
    pub server_timing: bool,

    /// Start the service's clock at this instant (RFC 3339), for a demonstration or training:
    /// deadlines and timestamps then run on from it. Default: the system clock.
    #[arg(long, env = "CSPFUND_CLOCK", global = true)]
    pub clock: Option<chrono::DateTime<chrono::Utc>>,

    /// E-mail of an admin to create at start-up when no admin exists yet.
    #[arg(long, env = "CSPFUND_ADMIN_EMAIL", global = true)]
    pub admin_email: Option<String>,

    /// Password for that admin. Default: generated, and printed once when the admin is created.
    #[arg(long, env = "CSPFUND_ADMIN_PASSWORD", hide_env_values = true, global = true)]
    pub admin_password: Option<String>,

    /// Apply pending database migrations at start-up. `false` for a rolling upgrade, where
    /// `cspfund migrate` has been run once beforehand: the service then refuses to start while
    /// migrations are pending rather than changing the schema under running instances.
    #[arg(long, env = "CSPFUND_MIGRATE", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub migrate: bool,

    /// A JSON file listing the trusted OpenID Connect issuers whose access tokens are accepted
    /// (see the README's "Signing in at your organisation"). Default: none; people sign in with
    /// passwords kept here.
    #[arg(long, env = "CSPFUND_OIDC_ISSUERS", global = true)]
    pub oidc_issuers: Option<PathBuf>,

    /// Seconds between two fetches of a provider's keys when a token names a key not yet seen.
    #[arg(long, env = "CSPFUND_OIDC_KEY_REFETCH_INTERVAL", default_value_t = 60, global = true)]
    pub oidc_key_refetch_interval: u64,

    /// Seconds during which a refresh token just exchanged gives the same new pair again (two
    /// browser tabs refreshing at once); after that, presenting it again ends the session.
    #[arg(long, env = "CSPFUND_REFRESH_GRACE", default_value_t = 30, global = true)]
    pub refresh_grace: u64,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentStorage {
    Folder,
    Database,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Evidence the forms ask for: documents, spreadsheets, images, plain text.
const DEFAULT_ATTACHMENT_TYPES: &str = "application/pdf,application/msword,\
application/vnd.openxmlformats-officedocument.wordprocessingml.document,application/vnd.ms-excel,\
application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,application/vnd.oasis.opendocument.text,\
application/vnd.oasis.opendocument.spreadsheet,text/csv,text/plain,image/png,image/jpeg";

/// The first admin, from the environment; without a password one is generated.
#[derive(Clone)]
pub struct BootstrapAdmin {
    pub email: String,
    pub password: Option<String>,
}

/// Where a secret came from: given by the operator, or generated into the data directory,
/// which serves only the instances that share that directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretOrigin {
    Given,
    Generated,
}

/// How webhooks are delivered.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub allow_private: bool,
    pub timeout: Duration,
    pub poll: Duration,
}

/// Settings checked and resolved.
pub struct Config {
    pub database_url: String,
    pub backend: Backend,
    pub data_dir: PathBuf,
    pub bind: String,
    pub metrics_bind: Option<String>,
    pub otlp_endpoint: Option<String>,
    pub jwt_secret: Vec<u8>,
    pub jwt_secret_origin: SecretOrigin,
    pub service_key: ServiceKey,
    pub service_key_origin: SecretOrigin,
    pub migrate: bool,
    pub public_url: String,
    pub webhooks: WebhookSettings,
    pub checkpoint_interval: Duration,
    /// Where the newest checkpoint this service signed is kept, outside the database.
    pub checkpoint_file: PathBuf,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub cors_origins: Vec<String>,
    pub db_pool_size: u32,
    pub max_body_bytes: usize,
    pub workers: usize,
    pub hashing_threads: usize,
    pub hashing_queue: usize,
    pub attachment_dir: PathBuf,
    pub attachment_storage: AttachmentStorage,
    pub attachment_max_bytes: usize,
    pub attachment_types: Vec<String>,
    pub login_max_failures_per_account: u32,
    pub login_max_failures_per_address: u32,
    pub login_lockout: Duration,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub server_timing: bool,
    pub clock: Option<chrono::NaiveDateTime>,
    pub bootstrap_admin: Option<BootstrapAdmin>,
    pub trusted_issuers: Vec<identity_providers::TrustedIssuer>,
    pub key_refetch_interval: Duration,
    pub refresh_grace: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{variable}: {problem}")]
    Invalid { variable: &'static str, problem: String },
    #[error("{path}: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn invalid(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        variable,
        problem: problem.into(),
    }
}

const MIN_SECRET_BYTES: usize = 32;
const GENERATED_SECRET_FILE: &str = "jwt-secret";
const GENERATED_KEY_FILE: &str = "signing-key.pem";

impl Settings {
    /// DATABASE_URL, with the password from CSPFUND_DATABASE_PASSWORD_FILE put in; the SQLite
    /// file in the data directory by default.
    pub fn database_url(&self) -> Result<String, ConfigError> {
        let url = match self.database_url.as_ref().filter(|u| !u.trim().is_empty()) {
            Some(url) => url.clone(),
            None => self.data_dir.join("cspfund.sqlite3").to_string_lossy().into_owned(),
        };
        let Some(path) = &self.database_password_file else {
            return Ok(url);
        };
        let mut parsed = url::Url::parse(&url)
            .ok()
            .filter(|_| Backend::of_url(&url) == Backend::Postgres)
            .ok_or_else(|| {
                invalid(
                    "CSPFUND_DATABASE_PASSWORD_FILE",
                    "needs DATABASE_URL to be a postgres:// URL",
                )
            })?;
        let password = std::fs::read_to_string(path).map_err(|source| ConfigError::File {
            path: path.clone(),
            source,
        })?;
        parsed
            .set_password(Some(password.trim()))
            .map_err(|()| invalid("DATABASE_URL", "has no user name to give the password to"))?;
        Ok(parsed.to_string())
    }

    /// Checks every setting; creates the data directory (and, for the embedded default, the
    /// signing key) when needed.
    pub fn resolve(self) -> Result<Config, ConfigError> {
        let database_url = self.database_url()?;
        let backend = Backend::of_url(&database_url);
        // Compose passes an unset variable as an empty one: that means "not given".
        let jwt_secret = self.jwt_secret.filter(|s| !s.is_empty());
        let signing_key = self.signing_key.filter(|s| !s.trim().is_empty());
        let metrics_bind = self.metrics_bind.filter(|b| !b.trim().is_empty());
        let otlp_endpoint = self.otlp_endpoint.filter(|e| !e.trim().is_empty());
        if let Some(endpoint) = &otlp_endpoint
            && !endpoint.starts_with("http://")
        {
            return Err(invalid(
                "CSPFUND_OTLP_ENDPOINT",
                format!("{endpoint:?} is not a collector's address like http://otel-collector:4318"),
            ));
        }
        if let Some(bind) = &metrics_bind {
            if bind.to_socket_addrs().map(|mut a| a.next().is_none()).unwrap_or(true) {
                return Err(invalid(
                    "CSPFUND_METRICS_BIND",
                    format!("{bind:?} is not a host:port to listen on"),
                ));
            }
            if *bind == self.bind {
                return Err(invalid(
                    "CSPFUND_METRICS_BIND",
                    "must differ from CSPFUND_BIND: metrics are never served on the public address",
                ));
            }
        }
        if self
            .bind
            .to_socket_addrs()
            .map(|mut a| a.next().is_none())
            .unwrap_or(true)
        {
            return Err(invalid(
                "CSPFUND_BIND",
                format!("{:?} is not a host:port to listen on", self.bind),
            ));
        }
        let ttl = |variable, seconds: u64, max: u64| {
            if (1..=max).contains(&seconds) {
                Ok(Duration::from_secs(seconds))
            } else {
                Err(invalid(variable, format!("must be between 1 and {max} seconds")))
            }
        };
        let access_token_ttl = ttl("CSPFUND_ACCESS_TOKEN_TTL", self.access_token_ttl, 86_400)?;
        let refresh_token_ttl = ttl("CSPFUND_REFRESH_TOKEN_TTL", self.refresh_token_ttl, 31_536_000)?;
        let login_lockout = ttl("CSPFUND_LOGIN_LOCKOUT", self.login_lockout, 86_400)?;
        // An empty variable (as compose passes when unset) means no origins.
        let cors_origins: Vec<String> = self
            .cors_origins
            .into_iter()
            .map(|o| o.trim().trim_end_matches('/').to_owned())
            .filter(|o| !o.is_empty())
            .collect();
        for origin in &cors_origins {
            let scheme_ok = origin.starts_with("http://") || origin.starts_with("https://");
            let bare = origin
                .split("://")
                .nth(1)
                .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'));
            if !scheme_ok || !bare {
                return Err(invalid(
                    "CSPFUND_CORS_ORIGINS",
                    format!("{origin:?} is not an origin like https://grants.example.gov.uk"),
                ));
            }
        }
        if self.db_pool_size == 0 {
            return Err(invalid("CSPFUND_DB_POOL_SIZE", "must be at least 1"));
        }
        if self.max_body_bytes < 1024 {
            return Err(invalid("CSPFUND_MAX_BODY_BYTES", "must be at least 1024"));
        }
        let attachment_types: Vec<String> = self
            .attachment_types
            .iter()
            .map(|t| t.trim().to_ascii_lowercase())
            .filter(|t| !t.is_empty())
            .collect();
        if let Some(bad) = attachment_types
            .iter()
            .find(|t| t.split('/').filter(|p| !p.is_empty()).count() != 2)
        {
            return Err(invalid(
                "CSPFUND_ATTACHMENT_TYPES",
                format!("{bad:?} is not a media type like application/pdf"),
            ));
        }
        if self.attachment_max_bytes == 0 {
            return Err(invalid("CSPFUND_ATTACHMENT_MAX_BYTES", "must be at least 1"));
        }
        if self.hashing_queue == 0 {
            return Err(invalid("CSPFUND_HASHING_QUEUE", "must be at least 1"));
        }
        if self.login_max_failures == 0 || self.login_max_failures_per_address == 0 {
            return Err(invalid("CSPFUND_LOGIN_MAX_FAILURES", "must be at least 1"));
        }
        let admin_email = self.admin_email.filter(|e| !e.trim().is_empty());
        let admin_password = self.admin_password.filter(|p| !p.is_empty());
        let bootstrap_admin = match (admin_email, admin_password) {
            (Some(email), password) => Some(BootstrapAdmin { email, password }),
            (None, None) => None,
            (None, Some(_)) => {
                return Err(invalid(
                    "CSPFUND_ADMIN_EMAIL",
                    "is needed with CSPFUND_ADMIN_PASSWORD: the e-mail of the admin to create",
                ));
            }
        };
        let generates = jwt_secret.is_none() && self.jwt_secret_file.is_none()
            || signing_key.is_none() && self.signing_key_file.is_none();
        if backend == Backend::Sqlite || generates {
            std::fs::create_dir_all(&self.data_dir).map_err(|source| ConfigError::File {
                path: self.data_dir.clone(),
                source,
            })?;
        }
        let attachment_dir = self
            .attachment_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("attachments"));
        std::fs::create_dir_all(&attachment_dir).map_err(|source| ConfigError::File {
            path: attachment_dir.clone(),
            source,
        })?;
        let (jwt_secret, jwt_secret_origin) =
            signing_secret(jwt_secret, self.jwt_secret_file.as_deref(), &self.data_dir)?;
        let mut trusted_proxies = Vec::new();
        for proxy in self.trusted_proxies.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
            trusted_proxies.push(proxy.parse().map_err(|_| {
                invalid(
                    "CSPFUND_TRUSTED_PROXIES",
                    format!("{proxy:?} is not an IP address like 127.0.0.1"),
                )
            })?);
        }
        let (service_key, service_key_origin) =
            service_key(signing_key.as_deref(), self.signing_key_file.as_deref(), &self.data_dir)?;
        let public_url = match self.public_url.map(|u| u.trim().trim_end_matches('/').to_owned()) {
            Some(url) if url.starts_with("https://") || url.starts_with("http://") => url,
            Some(url) => {
                return Err(invalid(
                    "CSPFUND_PUBLIC_URL",
                    format!("{url:?} is not an address like https://cspfund.example.gov.uk"),
                ));
            }
            None => format!("http://{}", self.bind),
        };
        let trusted_issuers = match &self.oidc_issuers {
            Some(path) => identity_providers::read_settings(path).map_err(|e| invalid("CSPFUND_OIDC_ISSUERS", e))?,
            None => Vec::new(),
        };
        let key_refetch_interval = ttl(
            "CSPFUND_OIDC_KEY_REFETCH_INTERVAL",
            self.oidc_key_refetch_interval,
            86_400,
        )?;
        if self.refresh_grace > 300 {
            return Err(invalid("CSPFUND_REFRESH_GRACE", "must be at most 300 seconds"));
        }
        let webhook_timeout = ttl("CSPFUND_WEBHOOK_TIMEOUT", self.webhook_timeout, 60)?;
        let checkpoint_interval = ttl("CSPFUND_CHECKPOINT_INTERVAL", self.checkpoint_interval, 3_600)?;
        if !(10..=60_000).contains(&self.webhook_poll_ms) {
            return Err(invalid("CSPFUND_WEBHOOK_POLL_MS", "must be between 10 and 60000"));
        }
        Ok(Config {
            database_url,
            service_key,
            service_key_origin,
            jwt_secret_origin,
            migrate: self.migrate,
            public_url,
            webhooks: WebhookSettings {
                allow_private: self.webhook_allow_private,
                timeout: webhook_timeout,
                poll: Duration::from_millis(self.webhook_poll_ms),
            },
            checkpoint_interval,
            checkpoint_file: self
                .checkpoint_file
                .clone()
                .unwrap_or_else(|| self.data_dir.join("history-checkpoint.json")),
            backend,
            data_dir: self.data_dir,
            bind: self.bind,
            metrics_bind,
            otlp_endpoint,
            jwt_secret,
            access_token_ttl,
            refresh_token_ttl,
            cors_origins,
            db_pool_size: self.db_pool_size,
            max_body_bytes: self.max_body_bytes,
            workers: self
                .workers
                .filter(|w| *w > 0)
                .unwrap_or_else(|| std::thread::available_parallelism().map(usize::from).unwrap_or(2)),
            hashing_threads: self.hashing_threads.filter(|t| *t > 0).unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, |cores| (usize::from(cores) / 2).max(1))
            }),
            hashing_queue: self.hashing_queue,
            attachment_dir,
            attachment_storage: self.attachment_storage,
            attachment_max_bytes: self.attachment_max_bytes,
            attachment_types,
            login_max_failures_per_account: self.login_max_failures,
            login_max_failures_per_address: self.login_max_failures_per_address,
            login_lockout,
            trusted_proxies,
            server_timing: self.server_timing,
            clock: self.clock.map(|at| at.naive_utc()),
            bootstrap_admin,
            trusted_issuers,
            key_refetch_interval,
            refresh_grace: Duration::from_secs(self.refresh_grace),
        })
    }
}

/// The token signing secret: given, read from a file, or generated once and kept in the data
/// directory so tokens survive restarts.
fn signing_secret(
    given: Option<String>,
    file: Option<&Path>,
    data_dir: &Path,
) -> Result<(Vec<u8>, SecretOrigin), ConfigError> {
    let read = |path: &Path| {
        std::fs::read_to_string(path)
            .map(|s| s.trim().as_bytes().to_vec())
            .map_err(|source| ConfigError::File {
                path: path.to_owned(),
                source,
            })
    };
    let (secret, variable, origin) = match (given, file) {
        (Some(secret), _) => (secret.into_bytes(), "CSPFUND_JWT_SECRET", SecretOrigin::Given),
        (None, Some(path)) => (read(path)?, "CSPFUND_JWT_SECRET_FILE", SecretOrigin::Given),
        (None, None) => {
            let path = data_dir.join(GENERATED_SECRET_FILE);
            if !path.exists() {
                write_private(&path, &crate::secrets::random_secret())?;
            }
            (read(&path)?, "CSPFUND_JWT_SECRET_FILE", SecretOrigin::Generated)
        }
    };
    if secret.len() < MIN_SECRET_BYTES {
        return Err(invalid(variable, format!("must be at least {MIN_SECRET_BYTES} bytes")));
    }
    Ok((secret, origin))
}

/// The service's Ed25519 key: given, read from a file, or generated once and kept in the data
/// directory, so checkpoints and attestations stay verifiable.
fn service_key(
    given: Option<&str>,
    file: Option<&Path>,
    data_dir: &Path,
) -> Result<(ServiceKey, SecretOrigin), ConfigError> {
    let read = |path: &Path, variable| {
        ServiceKey::read(path)
            .map_err(|source| ConfigError::File {
                path: path.to_owned(),
                source,
            })?
            .map_err(|e| invalid(variable, e.to_string()))
    };
    match (given, file) {
        (Some(pem), _) => ServiceKey::from_pem(pem)
            .map(|key| (key, SecretOrigin::Given))
            .map_err(|e| invalid("CSPFUND_SIGNING_KEY", e.to_string())),
        (None, Some(path)) => read(path, "CSPFUND_SIGNING_KEY_FILE").map(|key| (key, SecretOrigin::Given)),
        (None, None) => {
            let path = data_dir.join(GENERATED_KEY_FILE);
            if !path.exists() {
                let pem = ServiceKey::generate()
                    .to_pem()
                    .map_err(|e| invalid("CSPFUND_SIGNING_KEY_FILE", e.to_string()))?;
                write_private(&path, &pem)?;
            }
            read(&path, "CSPFUND_SIGNING_KEY_FILE").map(|key| (key, SecretOrigin::Generated))
        }
    }
}

/// Creates a file readable by its owner only.
fn write_private(path: &Path, contents: &str) -> Result<(), ConfigError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .and_then(|mut f| f.write_all(contents.as_bytes()))
        .map_err(|source| ConfigError::File {
            path: path.to_owned(),
            source,
        })
}
