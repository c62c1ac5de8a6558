//! The test harness: each test gets its own service on a random port, over real HTTP, with its
//! own database: a fresh SQLite file, or a fresh PostgreSQL schema when `TEST_DATABASE_URL`
//! names a server. Tests therefore run in parallel without seeing each other's data.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::http::{Method, StatusCode};
use actix_web::web;
use awc::http::header::HeaderMap;
use clap::Parser;
use cspfund::cli::Cli;
use cspfund::db::Connector;
use cspfund::http::AppState;
use cspfund::server;
use diesel::connection::SimpleConnection;
use serde_json::{Value, json};

pub const JWT_SECRET: &str = "test-signing-secret-of-at-least-32-bytes";
pub const ADMIN_EMAIL: &str = "admin@opcc.example";
pub const PASSWORD: &str = "a-long-test-password";
/// The service's Ed25519 key in every test (PKCS#8, the base64 line of its PEM).
pub const SIGNING_KEY: &str = "MC4CAQAwBQYDK2VwBCIEIHASsooUFreAfFlz5FgVmG5RRzwkNtrlIsHBNjI5O2/s";

/// A running service and a client for it.
pub struct TestApp {
    pub base: String,
    /// The database this test's service uses, for the command line and for tampering.
    pub database_url: String,
    pub state: web::Data<AppState>,
    pub admin_token: String,
    client: awc::Client,
    server: ServerHandle,
    _database: TestDatabase,
    /// Where it keeps its files (its kept checkpoint among them).
    pub data_dir: std::path::PathBuf,
    _own_data_dir: Option<tempfile::TempDir>,
}

pub enum TestDatabase {
    Sqlite,
    Postgres {
        server_url: String,
        schema: String,
    },
    /// Another test service's database, which that service cleans up.
    Shared,
}

impl TestDatabase {
    /// An empty database of its own for one test: a SQLite file in `dir`, or a new schema on
    /// the server `TEST_DATABASE_URL` names. Answers its URL; dropped with the database.
    pub fn fresh(dir: &std::path::Path) -> (String, TestDatabase) {
        match std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            Some(server_url) => {
                let schema = format!("test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = Connector::new(&server_url)
                    .connect()
                    .expect("the PostgreSQL test server is reachable");
                conn.batch_execute(&format!("CREATE SCHEMA {schema}"))
                    .expect("a test schema");
                let separator = if server_url.contains('?') { '&' } else { '?' };
                let url = format!("{server_url}{separator}options=-csearch_path%3D{schema}");
                (url, TestDatabase::Postgres { server_url, schema })
            }
            None => {
                let path = dir.join("test.sqlite3");
                (path.to_string_lossy().into_owned(), TestDatabase::Sqlite)
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { server_url, schema } = self
            && let Ok(mut conn) = Connector::new(server_url).connect()
        {
            // Best effort: a schema left behind only costs disk space on a test server.
            let _ = conn.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

/// A response as a client sees it.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    /// The body as sent, for what is not JSON.
    pub bytes: web::Bytes,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Reply {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.body);
        self
    }

    /// Asserts an RFC 9457 problem with this status and type slug.
    #[track_caller]
    pub fn expect_problem(self, status: u16, slug: &str) -> Reply {
        let reply = self.expect(status);
        assert_eq!(
            reply.header("content-type").as_deref(),
            Some("application/problem+json")
        );
        assert_eq!(reply.body["type"], format!("/problems/{slug}"), "body: {}", reply.body);
        assert_eq!(reply.body["status"], status);
        assert!(reply.body["title"].is_string() && reply.body["detail"].is_string());
        reply
    }

    /// The rules broken per field of a validation problem, as `field:rule` strings.
    pub fn violations(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        format!(
                            "{}:{}",
                            e["field"].as_str().unwrap_or(""),
                            e["rule"].as_str().unwrap_or("")
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn id(&self) -> i64 {
        self.body["id"].as_i64().expect("the body has an id")
    }
}

/// A request under construction.
pub struct Call {
    request: awc::ClientRequest,
}

impl Call {
    pub fn token(mut self, token: &str) -> Self {
        self.request = self.request.bearer_auth(token);
        self
    }

    /// `If-Match` with a document version, as read from its ETag.
    pub fn if_match(self, version: &serde_json::Value) -> Self {
        let version = version.as_i64().expect("a version number");
        self.header("if-match", &format!("\"{version}\""))
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.request = self.request.insert_header((name, value));
        self
    }

    pub async fn send(self) -> Reply {
        let response = self.request.send().await.expect("the request is sent");
        read(response).await
    }

    pub async fn json(self, body: &Value) -> Reply {
        let response = self.request.send_json(body).await.expect("the request is sent");
        read(response).await
    }

    /// Sends raw bytes with the given content type.
    pub async fn raw(self, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        let body: Vec<u8> = body.into();
        let response = self
            .request
            .insert_header(("content-type", content_type))
            .send_body(body)
            .await
            .expect("the request is sent");
        read(response).await
    }
}

async fn read<S>(mut response: awc::ClientResponse<S>) -> Reply
where
    S: futures_util::Stream<Item = Result<web::Bytes, awc::error::PayloadError>> + Unpin,
{
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.body().limit(64 * 1024 * 1024).await.expect("the body is read");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Reply {
        status,
        headers,
        body,
        bytes,
    }
}

/// Extra settings for a test's service, as command-line flags.
#[derive(Default)]
pub struct Options {
    pub flags: Vec<String>,
    /// Refuse webhook endpoints on private addresses, as a service does by default (tests
    /// otherwise allow them, to receive on loopback).
    pub refuse_private_webhooks: bool,
    /// Share this database (another instance of the same service) instead of a fresh one.
    pub database_url: Option<String>,
    /// Keep files in this directory (the service started again) instead of a fresh one.
    pub data_dir: Option<std::path::PathBuf>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(Options::default()).await
    }

    /// A second instance of this service, on the same database.
    pub async fn spawn_beside(&self) -> TestApp {
        TestApp::spawn_with(Options {
            database_url: Some(self.database_url.clone()),
            ..Options::default()
        })
        .await
    }

    pub async fn spawn_with(options: Options) -> TestApp {
        let own_data_dir = match options.data_dir {
            Some(_) => None,
            None => Some(tempfile::tempdir().expect("a temporary directory")),
        };
        let data_dir = options
            .data_dir
            .clone()
            .or_else(|| own_data_dir.as_ref().map(|dir| dir.path().to_owned()))
            .expect("a data directory");
        let shared = options.database_url.clone();
        let (database_url, database) = match shared {
            Some(url) => (url, TestDatabase::Shared),
            None => TestDatabase::fresh(&data_dir),
        };
        let mut args = vec![
            "cspfund".to_owned(),
            "--database-url".into(),
            database_url,
            "--data-dir".into(),
            data_dir.to_string_lossy().into_owned(),
            "--jwt-secret".into(),
            JWT_SECRET.into(),
            "--workers".into(),
            "1".into(),
            "--db-pool-size".into(),
            "4".into(),
            "--signing-key".into(),
            SIGNING_KEY.into(),
            "--webhook-poll-ms".into(),
            "50".into(),
            "--admin-email".into(),
            ADMIN_EMAIL.into(),
            "--admin-password".into(),
            PASSWORD.into(),
        ];
        if !options.refuse_private_webhooks {
            args.push("--webhook-allow-private".into());
        }
        args.extend(options.flags);
        let database_url = args[2].clone();
        let cli = Cli::try_parse_from(args).expect("valid test flags");
        let config = cli.settings.resolve().expect("a valid test configuration");
        let state = web::block(move || AppState::start(config))
            .await
            .expect("start-up ran")
            .expect("the service starts");
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let base = format!("http://{}", listener.local_addr().expect("an address"));
        let server = server::server(state.clone(), listener).expect("the server starts");
        let handle = server.handle();
        actix_web::rt::spawn(server);
        let client = awc::Client::builder()
            .timeout(Duration::from_secs(60))
            .disable_redirects()
            .finish();
        let mut app = TestApp {
            base,
            database_url,
            state,
            admin_token: String::new(),
            client,
            server: handle,
            _database: database,
            data_dir,
            _own_data_dir: own_data_dir,
        };
        app.admin_token = app.login(ADMIN_EMAIL, PASSWORD).await;
        app
    }

    pub fn call(&self, method: Method, path: &str) -> Call {
        Call {
            request: self.client.request(method, format!("{}{path}", self.base)),
        }
    }

    pub fn get(&self, path: &str) -> Call {
        self.call(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> Call {
        self.call(Method::POST, path)
    }

    pub fn patch(&self, path: &str) -> Call {
        self.call(Method::PATCH, path)
    }

    /// Sets the service's clock to an instant such as "2017-11-03T12:00:00Z".
    pub fn set_clock(&self, at: &str) {
        let at: chrono::DateTime<chrono::Utc> = at.parse().expect("an RFC 3339 instant");
        self.state.db.clock().set(at.naive_utc());
    }

    /// Runs SQL directly against this test's database, as someone with database access could.
    pub fn execute_sql(&self, sql: &str) -> Result<(), String> {
        let mut conn = Connector::new(&self.database_url)
            .connect()
            .map_err(|e| e.to_string())?;
        conn.batch_execute(sql).map_err(|e| e.to_string())
    }

    pub async fn token_reply(&self, email: &str, password: &str) -> Reply {
        self.post("/api/v1/auth/token")
            .json(&json!({"email": email, "password": password}))
            .await
    }

    /// Logs in and returns the access token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let reply = self.token_reply(email, password).await.expect(200);
        reply.body["access_token"].as_str().expect("an access token").to_owned()
    }

    /// Creates a partnership as the admin; returns its id.
    pub async fn partnership(&self, name: &str) -> i64 {
        self.post("/api/v1/partnerships")
            .token(&self.admin_token)
            .json(&json!({"name": name, "area": name, "lead_authority": format!("{name} Council")}))
            .await
            .expect(201)
            .id()
    }

    /// Creates a user as the admin (password [`PASSWORD`]) and returns an access token for them.
    pub async fn user(&self, email: &str, role: &str, partnership_id: Option<i64>) -> String {
        self.post("/api/v1/users")
            .token(&self.admin_token)
            .json(&json!({"email": email, "display_name": email, "job_title": "Officer",
                          "role": role, "partnership_id": partnership_id, "password": PASSWORD}))
            .await
            .expect(201);
        self.login(email, PASSWORD).await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // The database's schema goes with the `database` field, after this.
        drop(self.server.stop(false));
    }
}
