//! The command line: serving the API (the default), creating an admin, printing the OpenAPI
//! document.

use std::io::{BufRead, IsTerminal, Write};

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::error::Error;

#[derive(Parser, Debug)]
#[command(
    name = "cspfund",
    version,
    about = "Community Safety Partnership Fund: the system of record, as a JSON API"
)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the API (what running with no command does).
    Serve,
    /// Manage accounts from the command line.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Print the OpenAPI document as JSON.
    Openapi {
        /// `3.0` for the OpenAPI 3.0.3 rendition, for tools that read no later version.
        #[arg(long, value_name = "VERSION", value_parser = ["3.1", "3.0"], default_value = "3.1")]
        rendition: String,
    },
    /// Check the history: its hash chain, every stored checkpoint's signature, and checkpoints
    /// kept outside. Exit 0 when intact, 1 naming the first broken entry.
    VerifyHistory {
        /// A checkpoint kept outside the database: a file (or an http(s) URL) holding one, a
        /// page of the history feed, a webhook payload, or a list of them. May be repeated.
        #[arg(long = "checkpoint", value_name = "FILE_OR_URL")]
        checkpoints: Vec<String>,
    },
    /// Apply pending database migrations and exit (for a rolling upgrade, with the service
    /// started under CSPFUND_MIGRATE=false).
    Migrate,
    /// Ask the service listening on CSPFUND_BIND whether it is ready (its database reachable):
    /// exit 0 when it is, 1 otherwise. For container health checks, where there is no curl.
    Healthcheck,
    /// Load the demo partnerships, logins and seed documents (running it again changes nothing).
    Demo {
        /// The password of every demo login. Default: generated, and printed once.
        #[arg(long, env = "CSPFUND_DEMO_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create an admin; the password is read from standard input.
    Create {
        /// The admin's e-mail address (their login).
        #[arg(long)]
        email: String,
        /// Name shown for the admin.
        #[arg(long, default_value = crate::bootstrap::ADMIN_DISPLAY_NAME)]
        name: String,
    },
}

/// A domain error as one line for an operator.
pub fn describe(error: &Error) -> String {
    match error {
        Error::Invalid(errors) => errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; "),
        Error::Conflict { detail, .. } => detail.clone(),
        other => other.to_string(),
    }
}

/// Reads one line (the password) from standard input, prompting when it is a terminal.
pub fn read_password() -> std::io::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password for the new admin (at least 12 characters; input is shown): ");
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
