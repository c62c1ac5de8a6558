//! One code base over two databases: SQLite (the embedded default) and PostgreSQL (production).
//!
//! Query code is written once against [`DbConnection`]; the few places where the dialects differ
//! (connection set-up, migrations, how a write transaction begins) match on the variant here.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{CustomizeConnection, ManageConnection, Pool};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::clock::Clock;
use crate::error::Error;

/// The schema, one migration set per database; a test holds them to the same tables.
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Key of the PostgreSQL advisory lock held while migrating, so that several instances starting
/// together apply each migration once.
const MIGRATION_LOCK_KEY: i64 = 0x0063_7370_6675_6e64;
/// Key of the PostgreSQL advisory lock every write transaction takes first and holds until commit
/// (SQLite's write lock does it there). Writers then take their turns whole: the history's entries
/// and the revisions a change draws (`sync_revisions`, locked until commit) follow commit order,
/// and no writer holds one of those while waiting for a row another writer holds.
pub const WRITE_LOCK_KEY: i64 = 0x0063_7370_6869_7374;

/// How long a request waits for a pooled connection; and while the database is unreachable.
const CONNECTION_WAIT: Duration = Duration::from_secs(10);
const FAIL_FAST_WAIT: Duration = Duration::from_millis(250);

/// The turn of this process's SQLite write transactions.
static SQLITE_WRITERS: parking_lot::FairMutex<()> = parking_lot::const_fair_mutex(());

/// How long a readiness probe waits for a connection.
const PING_TIMEOUT: Duration = Duration::from_millis(900);

/// For how long after the database refused a connection or dropped one, pooled connections are
/// checked (`SELECT 1`) before they are handed out: its other connections were likely lost with
/// it. Otherwise they are handed out unchecked, saving a round trip per request; one that turns
/// out dead fails its request with 503 and `Retry-After`, and is discarded.
const SUSPECT_WINDOW_MS: i64 = 30_000;

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Pg(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// Which database a URL names: `postgres://` or `postgresql://` is PostgreSQL, anything else a
/// SQLite file (an optional `sqlite://` prefix is accepted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn of_url(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Postgres => "PostgreSQL",
            Backend::Sqlite => "SQLite",
        }
    }
}

/// Opens connections of the backend the URL names, so the operator sees the real connection error
/// (the derived `establish` would try each backend and report only the last failure).
#[derive(Debug)]
pub struct Connector {
    url: String,
    backend: Backend,
    /// When a connection last failed to open (milliseconds since the epoch; 0 since one opened).
    refused_at: Arc<AtomicI64>,
    /// When a connection last failed to open or was found lost (milliseconds since the epoch).
    failed_at: Arc<AtomicI64>,
}

impl Connector {
    pub fn new(url: &str) -> Self {
        Connector {
            url: url.to_owned(),
            backend: Backend::of_url(url),
            refused_at: Arc::default(),
            failed_at: Arc::default(),
        }
    }

    pub fn connect(&self) -> Result<DbConnection, ConnectionError> {
        let opened = self.open();
        let at = if opened.is_ok() {
            0
        } else {
            let now = chrono::Utc::now().timestamp_millis();
            self.failed_at.store(now, Ordering::Relaxed);
            now
        };
        self.refused_at.store(at, Ordering::Relaxed);
        opened
    }

    fn open(&self) -> Result<DbConnection, ConnectionError> {
        match self.backend {
            Backend::Postgres => Ok(DbConnection::Pg(diesel::PgConnection::establish(&self.url)?)),
            Backend::Sqlite => {
                let path = self.url.strip_prefix("sqlite://").unwrap_or(&self.url);
                let mut conn = diesel::SqliteConnection::establish(path)?;
                // Per connection: enforce foreign keys, wait for the write lock instead of failing.
                conn.batch_execute(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                     PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
                )
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

impl ManageConnection for Connector {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        Connector::connect(self).map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        let failed_at = self.failed_at.load(Ordering::Relaxed);
        if failed_at == 0 || chrono::Utc::now().timestamp_millis() - failed_at >= SUSPECT_WINDOW_MS {
            return Ok(());
        }
        conn.batch_execute("SELECT 1").map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        match conn {
            DbConnection::Pg(c) => broken(c),
            DbConnection::Sqlite(c) => broken(c),
        }
    }
}

fn broken<C>(conn: &mut C) -> bool
where
    C: Connection<TransactionManager = AnsiTransactionManager>,
{
    AnsiTransactionManager::is_broken_transaction_manager(conn)
}

/// Whether an error means the connection to the database is gone (the server went away, the
/// network dropped it), rather than that the statement failed.
pub fn connection_lost(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error as DieselError};
    matches!(
        error,
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _
        ) | DieselError::BrokenTransactionManager
    )
}

/// Marks a connection that was found lost as broken, so the pool discards it on its return
/// instead of handing it out again.
fn discard(conn: &mut DbConnection) {
    type Manager = AnsiTransactionManager;
    match conn {
        DbConnection::Pg(pg) => {
            <Manager as TransactionManager<diesel::PgConnection>>::transaction_manager_status_mut(pg).set_in_error()
        }
        DbConnection::Sqlite(sqlite) => {
            <Manager as TransactionManager<diesel::SqliteConnection>>::transaction_manager_status_mut(sqlite)
                .set_in_error()
        }
    }
}

#[derive(Debug)]
struct NoCustomization;

impl CustomizeConnection<DbConnection, diesel::r2d2::Error> for NoCustomization {}

/// The connection pool and the backend it talks to.
#[derive(Clone)]
pub struct Database {
    pool: Pool<Connector>,
    backend: Backend,
    clock: Arc<Clock>,
    refused_at: Arc<AtomicI64>,
    failed_at: Arc<AtomicI64>,
    /// One per pooled connection, handed out first come, first served: work waits for a
    /// connection here, in order, rather than on a blocking thread inside the pool, whose
    /// waiters wake in no particular order.
    turns: Arc<tokio::sync::Semaphore>,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot connect to the {backend} database: {source}")]
    Connect {
        backend: &'static str,
        source: ConnectionError,
    },
    #[error("cannot create the connection pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("cannot apply database migrations: {0}")]
    Migrate(String),
    #[error(
        "{0} database migration(s) are pending and CSPFUND_MIGRATE is false: run `cspfund migrate` once, then start the service"
    )]
    Pending(usize),
}

/// What opening the database does about migrations not yet applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Migrations {
    /// Apply them (one instance at a time).
    Apply,
    /// Refuse to open while any is pending: a rolling upgrade runs `cspfund migrate` first.
    Expect,
}

impl Database {
    /// Connects once directly (so a bad URL or an unreachable server is reported as such),
    /// applies pending migrations, then builds the pool.
    pub fn open(url: &str, pool_size: u32) -> Result<Self, SetupError> {
        Database::open_with(url, pool_size, Migrations::Apply)
    }

    /// Applies the pending migrations and says how many there were.
    pub fn migrate(url: &str) -> Result<usize, SetupError> {
        let connector = Connector::new(url);
        let mut conn = connector.connect().map_err(|source| SetupError::Connect {
            backend: connector.backend.name(),
            source,
        })?;
        let pending = pending(&mut conn)?;
        migrate(&mut conn)?;
        Ok(pending)
    }

    /// Like [`Database::open`], applying pending migrations or refusing while any is pending.
    pub fn open_with(url: &str, pool_size: u32, migrations: Migrations) -> Result<Self, SetupError> {
        let connector = Connector::new(url);
        let backend = connector.backend;
        let refused_at = connector.refused_at.clone();
        let failed_at = connector.failed_at.clone();
        let mut conn = connector.connect().map_err(|source| SetupError::Connect {
            backend: backend.name(),
            source,
        })?;
        match migrations {
            Migrations::Apply => migrate(&mut conn)?,
            Migrations::Expect => match pending(&mut conn)? {
                0 => {}
                count => return Err(SetupError::Pending(count)),
            },
        }
        drop(conn);
        let pool = Pool::builder()
            .max_size(pool_size)
            .connection_timeout(CONNECTION_WAIT)
            .connection_customizer(Box::new(NoCustomization))
            .build(connector)?;
        Ok(Database {
            pool,
            backend,
            clock: Arc::default(),
            refused_at,
            failed_at,
            turns: Arc::new(tokio::sync::Semaphore::new(usize::try_from(pool_size).unwrap_or(1))),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool's size, its open connections and the idle ones among them.
    pub fn pool_state(&self) -> (u32, u32, u32) {
        let state = self.pool.state();
        (self.pool.max_size(), state.connections, state.idle_connections)
    }

    /// The clock the work run through this pool reads.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Runs blocking database work on actix's blocking thread pool, never on the event loop.
    /// Work done for a request under an `Idempotency-Key` marks the key as carried out in each
    /// transaction it commits (see [`write_transaction`]).
    pub async fn run<T, F>(&self, work: F) -> Result<T, Error>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let clock = self.clock.clone();
        let failed_at = self.failed_at.clone();
        let claim = IDEMPOTENCY_CLAIM.try_with(|claim| *claim).ok();
        let trace = crate::trace_context::current();
        let wait = self.connection_wait();
        let asked = Instant::now();
        let turn = match tokio::time::timeout(wait, self.turns.clone().acquire_owned()).await {
            Ok(Ok(turn)) => turn,
            _ => return Err(Error::NoConnectionInTime),
        };
        let (began, done) = actix_web::web::block(move || {
            let _turn = turn;
            let began = Instant::now();
            let done = crate::trace_context::within(trace, || {
                clock.within(|| {
                    let _restore = ClaimRestore(WORKING_FOR.replace(claim));
                    let mut conn = pool.get_timeout(wait)?;
                    let done = work(&mut conn);
                    if let Err(Error::Database(e)) = &done
                        && connection_lost(e)
                    {
                        failed_at.store(chrono::Utc::now().timestamp_millis(), Ordering::Relaxed);
                        discard(&mut conn);
                    }
                    done
                })
            });
            (began, done)
        })
        .await
        .map_err(|e| Error::Internal(format!("blocking task failed: {e}")))?;
        let waited = began.duration_since(asked);
        crate::metrics::connection_waited(waited);
        DatabaseTime::add(waited, began.elapsed());
        done
    }

    /// How long to wait for a connection: the pool's full timeout, but hardly at all while the
    /// database was just found unreachable and no connection is idle, so requests are answered
    /// 503 at once instead of queueing for seconds. Each such request still tries to connect,
    /// so service resumes as soon as the database is back.
    fn connection_wait(&self) -> Duration {
        let refused_at = self.refused_at.load(Ordering::Relaxed);
        let recently = refused_at != 0 && chrono::Utc::now().timestamp_millis() - refused_at < 5_000;
        if recently && self.pool.state().idle_connections == 0 {
            FAIL_FAST_WAIT
        } else {
            CONNECTION_WAIT
        }
    }

    /// A connection for work outside a request (command line, start-up).
    pub fn connection(&self) -> Result<r2d2::PooledConnection<Connector>, Error> {
        Ok(self.pool.get()?)
    }
}

tokio::task_local! {
    /// The idempotency key (its row) the request being served was claimed under.
    pub static IDEMPOTENCY_CLAIM: i64;

    /// The database time of the request being served, so far.
    pub static DATABASE_TIME: std::cell::Cell<DatabaseTime>;
}

/// Where a request's database work spent its time, summed over its units of work: waiting for a
/// turn and a blocking thread (the queue in front of the pool), and working on a connection.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DatabaseTime {
    pub waited: Duration,
    pub worked: Duration,
}

impl DatabaseTime {
    /// Adds a unit of work to the request's time; outside a request, nothing is kept.
    fn add(waited: Duration, worked: Duration) {
        let _ = DATABASE_TIME.try_with(|time| {
            let so_far = time.get();
            time.set(DatabaseTime {
                waited: so_far.waited + waited,
                worked: so_far.worked + worked,
            });
        });
    }
}

thread_local! {
    /// The claim the database work on this thread is done for.
    static WORKING_FOR: std::cell::Cell<Option<i64>> = const { std::cell::Cell::new(None) };
}

/// Puts the thread's previous claim back: blocking threads are reused.
struct ClaimRestore(Option<i64>);

impl Drop for ClaimRestore {
    fn drop(&mut self) {
        WORKING_FOR.set(self.0);
    }
}

/// Marks the claimed idempotency key as carried out, inside the transaction about to commit, so
/// the mark and the work commit or roll back together: a retry then never runs the work twice.
fn mark_carried_out(conn: &mut DbConnection) -> Result<(), diesel::result::Error> {
    let Some(claim) = WORKING_FOR.get() else {
        return Ok(());
    };
    diesel::update(
        crate::schema::idempotency_keys::table
            .find(claim)
            .filter(crate::schema::idempotency_keys::committed_at.is_null()),
    )
    .set(crate::schema::idempotency_keys::committed_at.eq(crate::timestamps::now()))
    .execute(conn)?;
    Ok(())
}

/// How many migrations this build holds that the database has not applied.
fn pending(conn: &mut DbConnection) -> Result<usize, SetupError> {
    let failed = |e: Box<dyn std::error::Error + Send + Sync>| SetupError::Migrate(e.to_string());
    match conn {
        DbConnection::Pg(pg) => pg
            .pending_migrations(POSTGRES_MIGRATIONS)
            .map(|m| m.len())
            .map_err(failed),
        DbConnection::Sqlite(sqlite) => sqlite
            .pending_migrations(SQLITE_MIGRATIONS)
            .map(|m| m.len())
            .map_err(failed),
    }
}

fn migrate(conn: &mut DbConnection) -> Result<(), SetupError> {
    let failed = |e: Box<dyn std::error::Error + Send + Sync>| SetupError::Migrate(e.to_string());
    match conn {
        DbConnection::Pg(pg) => {
            let lock = |pg: &mut diesel::PgConnection, sql: &str| {
                diesel::sql_query(sql)
                    .bind::<diesel::sql_types::BigInt, _>(MIGRATION_LOCK_KEY)
                    .execute(pg)
                    .map_err(|e| SetupError::Migrate(e.to_string()))
            };
            lock(pg, "SELECT pg_advisory_lock($1)")?;
            let applied = pg.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ());
            lock(pg, "SELECT pg_advisory_unlock($1)")?;
            applied.map_err(failed)
        }
        DbConnection::Sqlite(sqlite) => sqlite
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|_| ())
            .map_err(failed),
    }
}

/// Runs `work` in one transaction that holds the write lock from its first statement.
///
/// On PostgreSQL that is the advisory lock [`WRITE_LOCK_KEY`]: taken before anything else, so
/// writers never wait for it while holding a row another writer waits for.
///
/// On SQLite a plain `BEGIN` takes the write lock only at the first write, so two
/// read-then-write requests can deadlock and one fails with "database is locked";
/// `BEGIN IMMEDIATE` makes the second wait (up to `busy_timeout`) instead. Nested calls become
/// savepoints, so domain operations compose inside a larger transaction.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    type Manager = AnsiTransactionManager;
    let outermost = match conn {
        DbConnection::Sqlite(sqlite) => {
            <Manager as TransactionManager<diesel::SqliteConnection>>::transaction_manager_status_mut(sqlite)
                .transaction_depth()?
                .is_none()
        }
        DbConnection::Pg(pg) => {
            <Manager as TransactionManager<diesel::PgConnection>>::transaction_manager_status_mut(pg)
                .transaction_depth()?
                .is_none()
        }
    };
    let work = |conn: &mut DbConnection| {
        let value = work(conn)?;
        if outermost {
            mark_carried_out(conn)?;
        }
        Ok(value)
    };
    // Inside a transaction diesel's own transaction, a savepoint, is right.
    if !outermost {
        return conn.transaction(work);
    }
    if let DbConnection::Pg(_) = conn {
        return conn.transaction(|conn| {
            take_write_lock(conn)?;
            work(conn)
        });
    }
    // SQLite lets one writer in at a time, and its busy handler retries the others with growing
    // sleeps, in no order: writers of this process take turns here first, in order.
    let _turn = SQLITE_WRITERS.lock();
    on_sqlite(conn, |c| Manager::begin_transaction_sql(c, "BEGIN IMMEDIATE"))?;
    match work(conn) {
        Ok(value) => {
            on_sqlite(conn, <Manager as TransactionManager<_>>::commit_transaction)?;
            Ok(value)
        }
        Err(e) => {
            on_sqlite(conn, <Manager as TransactionManager<_>>::rollback_transaction)?;
            Err(e)
        }
    }
}

/// The columns `T` is read from, for `RETURNING` (diesel's `as_returning` names the combined
/// backend, which neither connection accepts).
pub fn columns_of<T: diesel::Selectable<MultiBackend>>() -> T::SelectExpression {
    T::construct_selection()
}

/// Takes the PostgreSQL write lock until the transaction ends (again, if already held: a no-op).
pub fn take_write_lock(conn: &mut DbConnection) -> Result<(), diesel::result::Error> {
    if let DbConnection::Pg(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(WRITE_LOCK_KEY)
            .execute(pg)?;
    }
    Ok(())
}

/// Runs `work` in a transaction that is always rolled back: every rule is checked and what
/// would be stored is computed, but nothing is stored and no history is written. (On PostgreSQL
/// the ids it drew from sequences stay used.)
pub fn rehearse<T, F>(conn: &mut DbConnection, work: F) -> Result<T, Error>
where
    F: FnOnce(&mut DbConnection) -> Result<T, Error>,
{
    enum Undone<T> {
        Rehearsed(T),
        Failed(Error),
    }
    impl<T> From<diesel::result::Error> for Undone<T> {
        fn from(e: diesel::result::Error) -> Self {
            Undone::Failed(e.into())
        }
    }
    let outcome = write_transaction(conn, |conn| {
        Err::<std::convert::Infallible, _>(match work(conn) {
            Ok(value) => Undone::Rehearsed(value),
            Err(e) => Undone::Failed(e),
        })
    });
    match outcome {
        Ok(never) => match never {},
        Err(Undone::Rehearsed(value)) => Ok(value),
        Err(Undone::Failed(e)) => Err(e),
    }
}

fn on_sqlite(
    conn: &mut DbConnection,
    step: impl FnOnce(&mut diesel::SqliteConnection) -> QueryResult<()>,
) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(sqlite) => step(sqlite),
        DbConnection::Pg(_) => Ok(()),
    }
}

diesel::define_sql_function! {
    /// SQL `lower()`, for case-insensitive comparisons on both backends.
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

impl Database {
    /// Succeeds when a pooled connection answers a trivial query.
    /// Whether the database answers, within about a second: readiness probes must not hang.
    pub async fn ping(&self) -> Result<(), Error> {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get_timeout(PING_TIMEOUT)?;
            Ok(conn.batch_execute("SELECT 1")?)
        })
        .await
        .map_err(|e| Error::Internal(format!("blocking task failed: {e}")))?
    }
}
