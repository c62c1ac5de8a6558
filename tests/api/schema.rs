//! The two databases' schemas: every migration's `down` undoes its `up`; SQLite and PostgreSQL
//! end with the same tables, columns, types and nullability, and the same views with the same
//! columns (a view's column types differ by dialect); and each column of stored words
//! refuses a word outside its set.

use std::collections::BTreeMap;

use cspfund::db::{POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use diesel_migrations::MigrationHarness;

/// Per table or view, per column: its type family ("view" for a view's) and whether it may be null.
type Columns = BTreeMap<String, BTreeMap<String, (String, bool)>>;

/// A schema as compared: its columns, and its named constraints, indexes and triggers.
#[derive(Debug, PartialEq, Eq)]
struct Schema {
    columns: Columns,
    rules: Vec<String>,
}

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Integer)]
    nullable: i32,
}

#[derive(QueryableByName)]
struct Rule {
    #[diesel(sql_type = Text)]
    rule: String,
}

/// The database-neutral name of a column type.
fn family(data_type: &str) -> String {
    let t = data_type.to_lowercase();
    let name = match t.as_str() {
        "integer" | "bigint" | "bigserial" | "serial" => "integer",
        "text" | "character varying" => "text",
        "blob" | "bytea" => "bytes",
        "timestamp" | "timestamp without time zone" => "timestamp",
        other => other,
    };
    name.to_owned()
}

fn collect(rows: Vec<Column>) -> Columns {
    let mut columns = Columns::new();
    for row in rows
        .into_iter()
        .filter(|r| r.table_name != "__diesel_schema_migrations")
    {
        columns
            .entry(row.table_name)
            .or_default()
            .insert(row.column_name, (family(&row.data_type), row.nullable != 0));
    }
    columns
}

fn sqlite_schema(conn: &mut SqliteConnection) -> Schema {
    let columns = diesel::sql_query(
        "SELECT m.name AS table_name, p.name AS column_name, \
         CASE WHEN m.type = 'view' THEN 'view' ELSE p.type END AS data_type, \
         (m.type = 'view' OR (p.\"notnull\" = 0 AND p.pk = 0)) AS nullable \
         FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite_%'",
    )
    .load::<Column>(conn)
    .expect("SQLite columns");
    let rules = diesel::sql_query(
        "SELECT type || ' ' || name || ': ' || COALESCE(sql, '') AS rule FROM sqlite_master \
         WHERE type IN ('index', 'trigger') ORDER BY type, name",
    )
    .load::<Rule>(conn)
    .expect("SQLite rules");
    Schema {
        columns: collect(columns),
        rules: rules.into_iter().map(|r| r.rule).collect(),
    }
}

fn postgres_schema(conn: &mut PgConnection) -> Schema {
    let columns = diesel::sql_query(
        "SELECT c.table_name::text, c.column_name::text, \
         (CASE WHEN t.table_type = 'VIEW' THEN 'view' ELSE c.data_type::text END) AS data_type, \
         (CASE WHEN c.is_nullable = 'YES' THEN 1 ELSE 0 END) AS nullable \
         FROM information_schema.columns c \
         JOIN information_schema.tables t USING (table_schema, table_name) \
         WHERE c.table_schema = current_schema()",
    )
    .load::<Column>(conn)
    .expect("PostgreSQL columns");
    let rules = diesel::sql_query(
        "SELECT conrelid::regclass::text || ' ' || conname::text || ': ' || pg_get_constraintdef(oid) AS rule \
         FROM pg_constraint WHERE connamespace = current_schema()::regnamespace \
         UNION ALL SELECT tablename::text || ' ' || indexname::text || ': ' || indexdef FROM pg_indexes \
         WHERE schemaname = current_schema() \
         UNION ALL SELECT tgrelid::regclass::text || ' ' || tgname::text || ': ' || pg_get_triggerdef(t.oid) \
         FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
         WHERE NOT tgisinternal AND c.relnamespace = current_schema()::regnamespace ORDER BY 1",
    )
    .load::<Rule>(conn)
    .expect("PostgreSQL rules");
    Schema {
        columns: collect(columns),
        rules: rules.into_iter().map(|r| r.rule).collect(),
    }
}

/// Migrates a fresh SQLite file one migration at a time, checking that each one's `down`
/// restores exactly the schema before its `up`; returns the final schema.
fn sqlite_migrated() -> Schema {
    let dir = tempfile::tempdir().expect("a directory");
    let path = dir.path().join("schema.sqlite3");
    let mut conn = SqliteConnection::establish(&path.to_string_lossy()).expect("SQLite");
    conn.batch_execute("PRAGMA foreign_keys = ON").expect("foreign keys");
    let count = conn.pending_migrations(SQLITE_MIGRATIONS).expect("migrations").len();
    for _ in 0..count {
        let before = sqlite_schema(&mut conn);
        let name = conn.run_next_migration(SQLITE_MIGRATIONS).expect("up").to_string();
        let after = sqlite_schema(&mut conn);
        conn.revert_last_migration(SQLITE_MIGRATIONS).expect("down");
        assert_eq!(
            sqlite_schema(&mut conn),
            before,
            "SQLite: the down of {name} does not undo its up"
        );
        conn.run_next_migration(SQLITE_MIGRATIONS).expect("up again");
        assert_eq!(sqlite_schema(&mut conn), after, "SQLite: {name} applies the same twice");
    }
    sqlite_schema(&mut conn)
}

/// The same on a fresh PostgreSQL schema.
fn postgres_migrated(server_url: &str) -> Schema {
    let schema = format!("schema_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::establish(server_url).expect("PostgreSQL");
    admin
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .expect("a schema");
    let separator = if server_url.contains('?') { '&' } else { '?' };
    let url = format!("{server_url}{separator}options=-csearch_path%3D{schema}");
    let mut conn = PgConnection::establish(&url).expect("PostgreSQL in the schema");
    let count = conn.pending_migrations(POSTGRES_MIGRATIONS).expect("migrations").len();
    let mut last = None;
    for _ in 0..count {
        let before = postgres_schema(&mut conn);
        let name = conn.run_next_migration(POSTGRES_MIGRATIONS).expect("up").to_string();
        let after = postgres_schema(&mut conn);
        conn.revert_last_migration(POSTGRES_MIGRATIONS).expect("down");
        assert_eq!(
            postgres_schema(&mut conn),
            before,
            "PostgreSQL: the down of {name} does not undo its up"
        );
        conn.run_next_migration(POSTGRES_MIGRATIONS).expect("up again");
        assert_eq!(
            postgres_schema(&mut conn),
            after,
            "PostgreSQL: {name} applies the same twice"
        );
        last = Some(after);
    }
    admin
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .expect("clean up");
    last.expect("at least one migration")
}

#[test]
fn each_down_undoes_its_up_and_both_databases_have_the_same_columns() {
    let sqlite = sqlite_migrated();
    assert!(
        sqlite.columns.len() > 20,
        "the whole schema was read: {:?}",
        sqlite.columns.keys()
    );
    if let Some(server_url) = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        let postgres = postgres_migrated(&server_url);
        assert_eq!(sqlite.columns, postgres.columns, "SQLite and PostgreSQL tables differ");
    }
}

#[actix_web::test]
async fn every_column_of_stored_words_refuses_another_word() {
    let c = crate::fixtures::cycle().await;
    crate::scoping::plymouths_objects(&c).await;
    let columns = [
        ("users", "role"),
        ("plans", "status"),
        ("plan_lines", "decision"),
        ("plan_line_indicators", "comparison"),
        ("plan_amendments", "status"),
        ("half_year_returns", "status"),
        ("half_year_returns", "half"),
        ("half_year_projects", "provider_status"),
        ("half_year_projects", "rag"),
        ("final_reports", "status"),
        ("final_reports", "unspent_treatment"),
        ("attachments", "document_kind"),
        ("signatures", "document_kind"),
        ("signatures", "capacity"),
        ("document_versions", "document_kind"),
        ("commissioning_papers", "status"),
        ("commissioning_priorities", "source"),
        ("recommendations", "opcc_contribution_state"),
        ("recommendations", "total_budget_state"),
    ];
    for (table, column) in columns {
        let refused = c.app.execute_sql(&format!("UPDATE {table} SET {column} = 'bogus'"));
        assert!(refused.is_err(), "{table}.{column} took a word outside its set");
    }
    // The first entry is well formed, and taken: the others differ from it in one word.
    for (column, value) in [
        ("action", "edited"),
        ("action", "bogus"),
        ("actor_role", "bogus"),
        ("to_state", "bogus"),
    ] {
        let mut values = BTreeMap::from([
            ("occurred_at", "'2026-11-23 10:00:00'"),
            ("actor", "'user:1'"),
            ("actor_role", "'admin'"),
            ("entity_kind", "'plan'"),
            ("entity_id", "1"),
            ("action", "'edited'"),
            ("to_state", "NULL"),
            ("changed_fields", "'[]'"),
            ("details", "'{}'"),
            ("previous_hash", "'0'"),
            ("hash", "'0'"),
        ]);
        let quoted = format!("'{value}'");
        values.insert(column, &quoted);
        let (names, values): (Vec<&str>, Vec<&str>) = values.into_iter().unzip();
        let outcome = c.app.execute_sql(&format!(
            "INSERT INTO history ({}) VALUES ({})",
            names.join(", "),
            values.join(", ")
        ));
        assert_eq!(
            outcome.is_err(),
            value == "bogus",
            "history.{column} = {value}: {outcome:?}"
        );
    }
}
