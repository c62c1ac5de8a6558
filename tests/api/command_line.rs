//! The `cspfund` binary: its commands and its refusal to start on bad settings.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use cspfund::auth::passwords;
use cspfund::db::Database;
use cspfund::users;
use diesel::RunQueryDsl;

/// The binary with these settings and none of the test run's own.
pub fn command(env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cspfund"));
    for (key, _) in std::env::vars() {
        if key.starts_with("CSPFUND_") || key == "DATABASE_URL" {
            command.env_remove(key);
        }
    }
    command.envs(env.iter().copied());
    command
}

pub fn cspfund(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut command = command(env);
    command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("the binary runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("stdin written");
    child.wait_with_output().expect("the binary finishes")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn admin_create_reads_the_password_from_stdin() {
    let dir = tempfile::tempdir().expect("a directory");
    let data_dir = dir.path().to_string_lossy().into_owned();
    let env = [("CSPFUND_DATA_DIR", data_dir.as_str())];
    let args = [
        "admin",
        "create",
        "--email",
        "Owner@OPCC.example",
        "--name",
        "Fund owner",
    ];

    let weak = cspfund(&args, &env, "short\n");
    assert!(!weak.status.success());
    assert!(
        text(&weak.stderr).contains("password: must be at least 12 characters"),
        "{}",
        text(&weak.stderr)
    );

    let created = cspfund(&args, &env, "a-long-admin-password\n");
    assert!(created.status.success(), "{}", text(&created.stderr));
    assert!(text(&created.stdout).contains("created admin owner@opcc.example"));

    let again = cspfund(&args, &env, "a-long-admin-password\n");
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("already in use"),
        "{}",
        text(&again.stderr)
    );

    let db = Database::open(&dir.path().join("cspfund.sqlite3").to_string_lossy(), 1).expect("the database opens");
    let mut conn = db.connection().expect("a connection");
    let admin = users::find_by_email(&mut conn, "owner@opcc.example")
        .expect("query")
        .expect("the admin");
    assert_eq!(admin.display_name, "Fund owner");
    assert!(passwords::verify("a-long-admin-password", &admin.password_hash));
    assert!(
        dir.path().join("jwt-secret").exists(),
        "the embedded default keeps its signing key"
    );
}

#[test]
fn openapi_prints_the_committed_document() {
    for (args, committed) in [
        (&["openapi"][..], "openapi/openapi.json"),
        (&["openapi", "--rendition", "3.0"][..], "openapi/openapi-3.0.json"),
    ] {
        let printed = cspfund(args, &[], "");
        assert!(printed.status.success());
        let printed: serde_json::Value = serde_json::from_slice(&printed.stdout).expect("JSON");
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(committed);
        let on_disk: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("committed")).expect("JSON");
        assert!(
            printed == on_disk,
            "`cspfund {}` differs from {committed}",
            args.join(" ")
        );
    }
}

#[test]
fn bad_settings_stop_the_server_with_a_message_naming_the_variable() {
    let dir = tempfile::tempdir().expect("a directory");
    let data_dir = dir.path().to_string_lossy().into_owned();
    let cases: [(&[(&str, &str)], &str); 8] = [
        (
            &[("CSPFUND_DATABASE_PASSWORD_FILE", "/nonexistent/db-password")],
            "CSPFUND_DATABASE_PASSWORD_FILE",
        ),
        (
            &[("CSPFUND_JWT_SECRET", "too-short")],
            "CSPFUND_JWT_SECRET: must be at least 32 bytes",
        ),
        (&[("CSPFUND_BIND", "not an address")], "CSPFUND_BIND"),
        (
            &[("CSPFUND_CORS_ORIGINS", "grants.example.gov.uk")],
            "CSPFUND_CORS_ORIGINS",
        ),
        (
            &[("CSPFUND_ADMIN_PASSWORD", "a-long-admin-password")],
            "CSPFUND_ADMIN_EMAIL",
        ),
        (&[("CSPFUND_MIGRATE", "perhaps")], "'perhaps' for '--migrate"),
        (
            &[("CSPFUND_SIGNING_KEY", "not-a-key")],
            "CSPFUND_SIGNING_KEY: not an Ed25519 private key",
        ),
        (
            &[("CSPFUND_PUBLIC_URL", "cspfund.example.gov.uk")],
            "CSPFUND_PUBLIC_URL",
        ),
    ];
    for (env, expected) in cases {
        let mut env = env.to_vec();
        env.push(("CSPFUND_DATA_DIR", &data_dir));
        let output = cspfund(&[], &env, "");
        assert!(!output.status.success(), "{env:?} should not start");
        assert!(
            text(&output.stderr).contains(expected),
            "{env:?}: {}",
            text(&output.stderr)
        );
    }
    let unreachable = cspfund(
        &[],
        &[
            ("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none"),
            ("CSPFUND_JWT_SECRET", "a-secret-that-is-long-enough-32-bytes"),
            ("CSPFUND_SIGNING_KEY", crate::support::SIGNING_KEY),
        ],
        "",
    );
    assert!(!unreachable.status.success());
    assert!(
        text(&unreachable.stderr).contains("cannot connect to the PostgreSQL database"),
        "{}",
        text(&unreachable.stderr)
    );
}

#[test]
fn demo_runs_twice_and_the_second_run_changes_nothing() {
    let dir = tempfile::tempdir().expect("a directory");
    let data_dir = dir.path().to_string_lossy().into_owned();
    let env = [("CSPFUND_DATA_DIR", data_dir.as_str())];
    let first = cspfund(&["demo"], &env, "");
    assert!(first.status.success(), "{}", text(&first.stderr));
    let out = text(&first.stdout);
    assert!(
        out.contains("plan 2021-22 Safer Torbay") && out.contains("manager@torbay.example"),
        "{out}"
    );
    let password = out
        .split("with the generated password ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("no password is known beforehand: one is generated and shown")
        .to_owned();

    let counts = || {
        let db = Database::open(&dir.path().join("cspfund.sqlite3").to_string_lossy(), 1).expect("the database opens");
        let mut conn = db.connection().expect("a connection");
        [
            "users",
            "partnerships",
            "allocations",
            "plans",
            "plan_lines",
            "half_year_projects",
            "final_report_lines",
            "virements",
            "payments",
        ]
        .map(|table| {
            diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
                "(SELECT COUNT(*) FROM {table})"
            )))
            .get_result::<i64>(&mut conn)
            .expect("a count")
        })
    };
    let before = counts();
    assert_eq!(before, [7, 2, 3, 3, 17, 11, 8, 1, 1]);
    let second = cspfund(&["demo"], &env, "");
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert!(text(&second.stdout).contains("nothing changed"));
    assert!(text(&second.stdout).contains("keep the password they were given"));
    assert_eq!(counts(), before);
    let db = Database::open(&dir.path().join("cspfund.sqlite3").to_string_lossy(), 1).expect("the database opens");
    let mut conn = db.connection().expect("a connection");
    let manager = users::find_by_email(&mut conn, "manager@torbay.example")
        .expect("query")
        .expect("the demo manager");
    assert!(
        passwords::verify(&password, &manager.password_hash),
        "the password shown opens the logins"
    );
}
