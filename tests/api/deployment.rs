//! Running the service as an operator would: the `cspfund` binary on its own database with no
//! secrets given, its first admin, a second instance beside it, health checks, migrations, a
//! graceful stop, and what the repository itself holds.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::command_line::{command, cspfund, text};
use crate::support::TestDatabase;

/// A `cspfund` server process whose standard error is collected as it comes.
struct Running {
    child: Child,
    stderr: Arc<Mutex<String>>,
    address: String,
}

impl Running {
    /// Starts the server and waits until it says where it listens; its log if it exits first.
    fn start(env: &[(&str, &str)]) -> Result<Running, String> {
        let mut command = command(&[("CSPFUND_BIND", "127.0.0.1:0"), ("CSPFUND_WORKERS", "1")]);
        command
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("the binary runs");
        let stderr = Arc::new(Mutex::new(String::new()));
        let pipe = child.stderr.take().expect("stderr");
        let collected = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut all = collected.lock().expect("the log");
                all.push_str(&line);
                all.push('\n');
            }
        });
        let started = Instant::now();
        loop {
            let log = stderr.lock().expect("the log").clone();
            if let Some(rest) = log.split("listening on http://").nth(1) {
                let address = rest.split(';').next().unwrap_or_default().to_owned();
                return Ok(Running { child, stderr, address });
            }
            if child.try_wait().expect("the process state").is_some() || started.elapsed() > Duration::from_secs(60) {
                std::thread::sleep(Duration::from_millis(100));
                let _ = child.kill();
                return Err(stderr.lock().expect("the log").clone());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&self) -> String {
        self.stderr.lock().expect("the log").clone()
    }

    /// SIGTERM, as a container runtime stops a service; answers whether it exited cleanly.
    fn terminate(mut self) -> (bool, String) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
        assert!(sent.success());
        let status = self.child.wait().expect("the process ends");
        // The reader thread drains what is left of standard error.
        std::thread::sleep(Duration::from_millis(200));
        (status.success(), self.log())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends one request and answers its status.
fn request(address: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> u16 {
    let (address, method, path, body) = (address.to_owned(), method.to_owned(), path.to_owned(), body.to_owned());
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    actix_web::rt::System::new().block_on(async move {
        let client = awc::Client::default();
        let mut request = client.request(method.parse().expect("a method"), format!("http://{address}{path}"));
        for header in headers {
            request = request.insert_header(header);
        }
        request
            .insert_header(("content-type", "application/json"))
            .send_body(body)
            .await
            .map(|response| response.status().as_u16())
            .unwrap_or(0)
    })
}

fn login(address: &str, email: &str, password: &str, headers: &[(&str, &str)]) -> u16 {
    let body = serde_json::json!({"email": email, "password": password}).to_string();
    request(address, "POST", "/api/v1/auth/token", headers, &body)
}

fn generated_password(log: &str) -> Option<String> {
    let rest = log.split("with the generated password ").nth(1)?;
    Some(rest.split_whitespace().next()?.to_owned())
}

#[test]
fn generated_secrets_serve_one_instance_and_a_second_instance_is_refused() {
    let scratch = tempfile::tempdir().expect("a directory");
    let (url, _database) = TestDatabase::fresh(scratch.path());
    let first_dir = scratch.path().join("first");
    let first_data = first_dir.to_string_lossy().into_owned();
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("CSPFUND_DATA_DIR", first_data.as_str()),
        ("CSPFUND_ADMIN_EMAIL", "owner@opcc.example"),
    ];
    let first = Running::start(&env).expect("the first instance starts with no secrets given");
    let password = generated_password(&first.log()).expect("the generated admin password is printed");
    assert_eq!(
        first.log().matches(&password).count(),
        1,
        "printed once: {}",
        first.log()
    );
    assert_eq!(login(&first.address, "owner@opcc.example", &password, &[]), 200);
    assert!(first_dir.join("jwt-secret").exists() && first_dir.join("signing-key.pem").exists());

    let second_data = scratch.path().join("second").to_string_lossy().into_owned();
    let second = cspfund(
        &[],
        &[
            ("DATABASE_URL", url.as_str()),
            ("CSPFUND_DATA_DIR", second_data.as_str()),
        ],
        "",
    );
    assert!(
        !second.status.success(),
        "a second instance with its own secrets must not start"
    );
    let refusal = text(&second.stderr);
    assert!(
        refusal.contains("CSPFUND_JWT_SECRET (make one with: openssl rand -base64 48)")
            && refusal.contains("CSPFUND_SIGNING_KEY (make one with: openssl genpkey -algorithm ed25519)"),
        "{refusal}"
    );

    let address = first.address.clone();
    let healthy = cspfund(&["healthcheck"], &[("CSPFUND_BIND", &address)], "");
    assert!(healthy.status.success(), "{}", text(&healthy.stderr));

    let (clean, log) = first.terminate();
    assert!(clean, "SIGTERM stops the service cleanly: {log}");
    assert!(log.contains("webhook deliveries recorded"), "{log}");
    let stopped = cspfund(&["healthcheck"], &[("CSPFUND_BIND", &address)], "");
    assert!(!stopped.status.success(), "a stopped service is not healthy");

    // Started again on its own data directory it keeps its secrets, and its admin: no new
    // password is made or shown.
    let again = Running::start(&env).expect("the same instance starts again");
    assert_eq!(generated_password(&again.log()), None, "{}", again.log());
    assert_eq!(login(&again.address, "owner@opcc.example", &password, &[]), 200);
}

#[test]
fn forwarded_addresses_from_an_untrusted_peer_are_warned_of_once() {
    let scratch = tempfile::tempdir().expect("a directory");
    let (url, _database) = TestDatabase::fresh(scratch.path());
    let data = scratch.path().to_string_lossy().into_owned();
    let server = Running::start(&[("DATABASE_URL", url.as_str()), ("CSPFUND_DATA_DIR", data.as_str())])
        .expect("the service starts");
    for forwarded in ["203.0.113.7", "198.51.100.9"] {
        let status = login(
            &server.address,
            "nobody@opcc.example",
            "not-the-password",
            &[("x-forwarded-for", forwarded)],
        );
        assert_eq!(status, 401);
    }
    let log = server.log();
    assert_eq!(
        log.matches("not in CSPFUND_TRUSTED_PROXIES").count(),
        1,
        "one warning naming the setting: {log}"
    );
    assert!(log.contains("set CSPFUND_TRUSTED_PROXIES=127.0.0.1"), "{log}");
}

#[test]
fn migrations_can_be_applied_apart_from_starting_the_service() {
    let scratch = tempfile::tempdir().expect("a directory");
    let (url, _database) = TestDatabase::fresh(scratch.path());
    let data = scratch.path().to_string_lossy().into_owned();
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("CSPFUND_DATA_DIR", data.as_str()),
        ("CSPFUND_MIGRATE", "false"),
    ];
    let refused = Running::start(&env)
        .err()
        .expect("no start while migrations are pending");
    assert!(
        refused.contains("migration(s) are pending") && refused.contains("cspfund migrate"),
        "{refused}"
    );

    let migrated = cspfund(&["migrate"], &env, "");
    assert!(migrated.status.success(), "{}", text(&migrated.stderr));
    let said = text(&migrated.stdout);
    let count =
        diesel::migration::MigrationSource::<diesel::sqlite::Sqlite>::migrations(&cspfund::db::SQLITE_MIGRATIONS)
            .expect("the embedded migrations")
            .len();
    assert!(said.contains(&format!("applied {count} migration(s)")), "{said}");
    let again = cspfund(&["migrate"], &env, "");
    assert!(text(&again.stdout).contains("applied 0 migration(s)"));

    let server = Running::start(&env).expect("the service starts on a migrated database without migrating");
    assert_eq!(request(&server.address, "GET", "/health/ready", &[], ""), 200);
}

/// Text files the repository holds, outside the build's output and the test vectors.
fn committed_files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir)
        .expect("a readable directory")
        .map_while(Result::ok)
    {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(name.as_str(), "target" | ".git" | "data" | "tests" | "node_modules") {
                committed_files(&path, found);
            }
        } else {
            found.push(path);
        }
    }
}

#[test]
fn no_key_secret_or_password_is_committed_outside_the_test_vectors() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    committed_files(root, &mut files);
    assert!(
        files.iter().any(|f| f.ends_with("docker-compose.yml")),
        "the tree was walked"
    );
    // A PEM private key with its content, an Ed25519 key's PKCS#8 base64 (however wrapped), and
    // the defaults an earlier compose file shipped.
    let pkcs8_ed25519 = "MC4CAQAwBQYDK2VwBCIE";
    let known_defaults = [
        "local-trial-only-signing-secret-change-me",
        "change-this-admin-password",
        "POSTGRES_PASSWORD: cspfund",
        "cspfund-demo-password",
        "load-bench-signing-secret",
        "fault-test-signing-secret",
    ];
    let mut found = Vec::new();
    for file in &files {
        let Ok(content) = std::fs::read_to_string(file) else {
            continue;
        };
        let shown = file.strip_prefix(root).unwrap_or(file).display().to_string();
        for (at, _) in content.match_indices("PRIVATE KEY-----") {
            let after = content[at + 16..].trim_start_matches(['\r', '\n']);
            if after
                .chars()
                .take(40)
                .filter(|c| c.is_ascii_alphanumeric() || *c == '+' || *c == '/')
                .count()
                >= 40
            {
                found.push(format!("{shown}: a PEM private key"));
            }
        }
        if content.contains(pkcs8_ed25519) {
            found.push(format!("{shown}: an Ed25519 private key"));
        }
        for default in known_defaults {
            if content.contains(default) {
                found.push(format!("{shown}: {default:?}"));
            }
        }
    }
    assert!(found.is_empty(), "secrets in the repository: {found:#?}");
}

/// The body of a GET, or of its error.
fn read(address: &str, path: &str) -> (u16, String) {
    let url = format!("http://{address}{path}");
    actix_web::rt::System::new().block_on(async move {
        let mut response = awc::Client::default().get(url).send().await.expect("an answer");
        let body = response.body().await.expect("a body");
        (response.status().as_u16(), String::from_utf8_lossy(&body).into_owned())
    })
}

#[test]
fn metrics_are_served_on_their_own_address_only() {
    let scratch = tempfile::tempdir().expect("a directory");
    let (url, _database) = TestDatabase::fresh(scratch.path());
    let data = scratch.path().to_string_lossy().into_owned();
    let free = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let metrics_address = free.local_addr().expect("an address").to_string();
    drop(free);
    let server = Running::start(&[
        ("DATABASE_URL", url.as_str()),
        ("CSPFUND_DATA_DIR", data.as_str()),
        ("CSPFUND_METRICS_BIND", metrics_address.as_str()),
        ("CSPFUND_ADMIN_EMAIL", "owner@opcc.example"),
    ])
    .expect("the service starts");
    assert_eq!(
        login(&server.address, "owner@opcc.example", "not-the-password", &[]),
        401
    );
    assert_eq!(read(&server.address, "/api/v1/plans/12").0, 401);
    assert_eq!(read(&server.address, "/metrics").0, 404, "never on the public address");
    let traced = [("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")];
    assert_eq!(request(&server.address, "GET", "/health/live", &traced, ""), 200);
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        server
            .log()
            .lines()
            .any(|line| line.contains("trace_id=4bf92f3577b34da6a3ce929d0e0e4736") && line.contains("handled")),
        "the request's log line carries the caller's trace: {}",
        server.log()
    );

    let (status, exposition) = read(&metrics_address, "/metrics");
    assert_eq!(status, 200);
    for series in [
        "cspfund_http_requests_total{method=\"POST\",route=\"/api/v1/auth/token\",status=\"401\"} 1",
        "cspfund_http_requests_total{method=\"GET\",route=\"/api/v1/plans/{id}\",status=\"401\"} 1",
        "cspfund_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/plans/{id}\",le=\"5\"} 1",
        "cspfund_login_failures_total 1",
        "cspfund_db_pool_connections{state=\"size\"} 10",
        "cspfund_password_hashing_slots{state=\"capacity\"}",
        "cspfund_webhook_outbox_backlog 0",
        "cspfund_webhook_outbox_oldest_age_seconds 0",
        "cspfund_webhook_outbox_unread_entries ",
        "cspfund_history_checkpoint_lag_entries",
        "cspfund_build_info{version=\"",
        "cspfund_process_resident_memory_bytes",
        "cspfund_db_pool_wait_seconds_count",
    ] {
        assert!(exposition.contains(series), "{series} in:\n{exposition}");
    }

    let same = cspfund(
        &[],
        &[
            ("CSPFUND_BIND", "127.0.0.1:18093"),
            ("CSPFUND_METRICS_BIND", "127.0.0.1:18093"),
            ("CSPFUND_DATA_DIR", data.as_str()),
        ],
        "",
    );
    assert!(text(&same.stderr).contains("CSPFUND_METRICS_BIND: must differ from CSPFUND_BIND"));
}
