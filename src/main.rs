use std::io::IsTerminal;
use std::net::{IpAddr, SocketAddr, TcpListener, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use cspfund::cli::{AdminCommand, Cli, Command};
use cspfund::config::{Config, LogFormat, Settings};
use cspfund::db::{Backend, Database};
use cspfund::history::Checkpoint;
use cspfund::http::AppState;
use cspfund::server;
use tracing_subscriber::EnvFilter;

fn init_logging(settings: &Settings) {
    let filter = EnvFilter::try_new(&settings.log);
    let valid = filter.is_ok();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter.unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match settings.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
    if !valid {
        tracing::warn!(filter = %settings.log, "CSPFUND_LOG is not a valid filter; logging at info");
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.settings);
    let outcome = match cli.command {
        Some(Command::Openapi { rendition }) => print_openapi(&rendition),
        Some(Command::Admin { command }) => resolve(cli.settings).and_then(|config| admin(config, command)),
        Some(Command::VerifyHistory { checkpoints }) => {
            resolve(cli.settings).and_then(|config| verify_history(config, &checkpoints))
        }
        Some(Command::Demo { password }) => {
            resolve(cli.settings).and_then(|config| demo(config, password.filter(|p| !p.is_empty())))
        }
        Some(Command::Migrate) => migrate(&cli.settings),
        Some(Command::Healthcheck) => healthcheck(&cli.settings.bind),
        Some(Command::Serve) | None => resolve(cli.settings).and_then(serve),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("cspfund: {message}");
            ExitCode::FAILURE
        }
    }
}

fn resolve(settings: Settings) -> Result<Config, String> {
    settings.resolve().map_err(|e| format!("invalid configuration: {e}"))
}

/// Only the database is needed to migrate: no secrets are read or generated.
fn migrate(settings: &Settings) -> Result<(), String> {
    let url = settings
        .database_url()
        .map_err(|e| format!("invalid configuration: {e}"))?;
    if Backend::of_url(&url) == Backend::Sqlite {
        std::fs::create_dir_all(&settings.data_dir).map_err(|e| format!("{}: {e}", settings.data_dir.display()))?;
    }
    let applied = Database::migrate(&url).map_err(|e| e.to_string())?;
    println!("applied {applied} migration(s); the database schema is current");
    Ok(())
}

/// `GET /health/ready` on the bound address, with a short timeout: what a container's health
/// check runs.
fn healthcheck(bind: &str) -> Result<(), String> {
    let address: SocketAddr = bind
        .to_socket_addrs()
        .ok()
        .and_then(|mut all| all.next())
        .ok_or_else(|| format!("CSPFUND_BIND: {bind:?} is not a host:port"))?;
    // A service listening on every address answers on loopback.
    let host = match address.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => IpAddr::from([127, 0, 0, 1]),
        ip if ip.is_unspecified() => IpAddr::from([0, 0, 0, 0, 0, 0, 0, 1]),
        ip => ip,
    };
    let url = format!("http://{}/health/ready", SocketAddr::new(host, address.port()));
    actix_web::rt::System::new().block_on(async move {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| e.to_string())?;
        let response = client.get(&url).send().await.map_err(|e| format!("{url}: {e}"))?;
        if response.status().is_success() {
            println!("ready: {url}");
            Ok(())
        } else {
            Err(format!("{url} answered {}", response.status()))
        }
    })
}

fn print_openapi(rendition: &str) -> Result<(), String> {
    let document = server::api_document()
        .map(|document| match rendition {
            "3.0" => server::rendition::openapi_3_0(&document),
            _ => document,
        })
        .and_then(|document| serde_json::to_string_pretty(&document))
        .map_err(|e| e.to_string())?;
    println!("{document}");
    Ok(())
}

fn admin(config: Config, command: AdminCommand) -> Result<(), String> {
    match command {
        AdminCommand::Create { email, name } => {
            let password = cspfund::cli::read_password().map_err(|e| format!("cannot read the password: {e}"))?;
            let db = Database::open(&config.database_url, 1).map_err(|e| e.to_string())?;
            let mut conn = db.connection().map_err(|e| e.to_string())?;
            let admin = cspfund::bootstrap::create_admin(&mut conn, &email, &name, &password)
                .map_err(|e| cspfund::cli::describe(&e))?;
            println!("created admin {} (id {})", admin.email, admin.id);
            Ok(())
        }
    }
}

fn verify_history(config: Config, sources: &[String]) -> Result<(), String> {
    let mut kept = Vec::new();
    for source in sources {
        let text = read_kept(source)?;
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("{source} is not JSON: {e}"))?;
        let found = Checkpoint::all_in(&value);
        if found.is_empty() {
            return Err(format!("{source} holds no checkpoint"));
        }
        kept.extend(found);
    }
    // The newest checkpoint the service signed, which it keeps outside the database, counts too.
    kept.extend(
        cspfund::history::checkpoints::KeptCheckpoint::at(config.checkpoint_file.clone())
            .read()
            .map_err(|e| e.to_string())?,
    );
    let db = Database::open(&config.database_url, 1).map_err(|e| e.to_string())?;
    let mut conn = db.connection().map_err(|e| e.to_string())?;
    let verification = cspfund::history::verify(&mut conn, &config.service_key, &kept).map_err(|e| e.to_string())?;
    match verification.first_broken {
        None => {
            println!(
                "history intact: {} entries, {} signed checkpoints, {} kept checkpoints",
                verification.entries, verification.checkpoints, verification.kept_checkpoints
            );
            Ok(())
        }
        Some(broken) => Err(format!("history broken at entry {}: {}", broken.id, broken.reason)),
    }
}

/// The text of a kept checkpoint: a file, or what an http(s) URL answers.
fn read_kept(source: &str) -> Result<String, String> {
    if source.starts_with("https://") || source.starts_with("http://") {
        let url = source.to_owned();
        return actix_web::rt::System::new()
            .block_on(async move {
                let response = reqwest::get(&url).await?.error_for_status()?;
                response.text().await
            })
            .map_err(|e| format!("cannot fetch {source}: {e}"));
    }
    std::fs::read_to_string(source).map_err(|e| format!("cannot read {source}: {e}"))
}

/// No password is known to strangers: without CSPFUND_DEMO_PASSWORD one is generated and shown.
fn demo(config: Config, given: Option<String>) -> Result<(), String> {
    let db = Database::open(&config.database_url, 1).map_err(|e| e.to_string())?;
    let mut conn = db.connection().map_err(|e| e.to_string())?;
    let generated = given.is_none();
    let password = given.unwrap_or_else(cspfund::auth::tokens::random_secret);
    let outcome =
        cspfund::demo::load(&mut conn, &password, &config.service_key).map_err(|e| cspfund::cli::describe(&e))?;
    if outcome.created.is_empty() {
        println!("The demo data is already loaded; nothing changed.");
    } else {
        println!("Loaded {} demo objects:", outcome.created.len());
        for created in &outcome.created {
            println!("  {created}");
        }
    }
    let created_logins = outcome.created.iter().any(|created| created.starts_with("login"));
    match (generated, created_logins) {
        (true, true) => println!("Demo logins, all with the generated password {password} (shown only now):"),
        (true, false) => println!("Demo logins (they keep the password they were given when first loaded):"),
        (false, _) => println!("Demo logins (password from CSPFUND_DEMO_PASSWORD):"),
    }
    for (email, _, _, role, partnership) in cspfund::demo::LOGINS {
        println!("  {email:<34} {:<14} {}", role.as_str(), partnership.unwrap_or("OPCC"));
    }
    Ok(())
}

fn serve(config: Config) -> Result<(), String> {
    let bind = config.bind.clone();
    let metrics = match &config.metrics_bind {
        Some(address) => {
            let listener = TcpListener::bind(address).map_err(|e| format!("cannot listen on {address}: {e}"))?;
            tracing::info!(
                "metrics on http://{}/metrics",
                listener.local_addr().map_err(|e| e.to_string())?
            );
            cspfund::metrics::enable();
            Some(listener)
        }
        None => None,
    };
    let backend = config.backend;
    let state = AppState::start(config).map_err(|e| e.to_string())?;
    let listener = TcpListener::bind(&bind).map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(
        database = backend.name(),
        "cspfund listening on http://{address}; API docs at http://{address}/docs/ (OpenAPI at /api/v1/openapi.json)"
    );
    // SIGTERM or Ctrl-C: actix stops accepting, lets requests in flight finish, then the
    // webhook worker records what it is delivering before the process exits.
    actix_web::rt::System::new()
        .block_on(async move {
            let server = server::server(state.clone(), listener)?;
            if let Some(listener) = metrics {
                let metrics = server::metrics_server(state.clone(), listener)?;
                let handle = metrics.handle();
                actix_web::rt::spawn(metrics);
                server.await?;
                handle.stop(true).await;
            } else {
                server.await?;
            }
            if let Some(spans) = &state.spans {
                spans.flush();
            }
            let limit = state.config.webhooks.timeout + Duration::from_secs(5);
            if state.shutdown.stop_worker(limit).await {
                tracing::info!("stopped: requests in flight finished and webhook deliveries recorded");
            } else {
                tracing::warn!("stopped with webhook deliveries still under way; their leases will lapse");
            }
            Ok::<(), std::io::Error>(())
        })
        .map_err(|e| format!("server error: {e}"))
}
