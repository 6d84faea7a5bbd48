//! The database handle: connecting (with the SQLite settings a server needs), migrating, and
//! write transactions that serialise where correctness needs it.
//!
//! SQLite allows one writer at a time; rather than let concurrent writers fail with
//! `SQLITE_BUSY`, every write transaction of this process takes one async mutex first.
//! PostgreSQL runs writers concurrently; an operation that needs a total order (the audit chain,
//! login throttling) calls [`WriteTx::serialize`], which takes a transaction-scoped advisory
//! lock, so the order also holds across server replicas.

use crate::error::{CoreError, CoreResult};
use crate::events::{Event, EventBus};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, DatabaseTransaction, Statement,
    TransactionTrait,
};
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// What a transaction-scoped lock orders; each has its own PostgreSQL advisory-lock key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockKey {
    /// Everything that must be totally ordered with the audit chain.
    Serial,
}

impl LockKey {
    fn key(self) -> i64 {
        match self {
            LockKey::Serial => 0x6870_6362_0001,
        }
    }
}

/// SQLite's page cache per connection, as its `cache_size` pragma (negative: KiB). The default
/// (2 MiB) holds a small fraction of the job indexes of a large cluster, so every ingested job
/// that lands in a page not cached (users and end times are spread over the indexes) cost a
/// read: 64 MiB took bulk ingestion from about 70k to over 110k jobs/s on 1M jobs. Pages are
/// only cached as they are read, so a small database costs no more than before.
const SQLITE_CACHE_KIB: &str = "-65536";

/// Connection settings the server passes in from its configuration.
#[derive(Clone, Debug)]
pub struct DbOptions {
    /// `sqlite://path?mode=rwc` or `postgres://…`.
    pub url: String,
    /// Upper bound of pooled connections.
    pub max_connections: u32,
    /// How long to wait for a connection (and for SQLite's write lock held by another process).
    pub acquire_timeout: Duration,
}

/// A connected, migrated database.
#[derive(Clone, Debug)]
pub struct Db {
    conn: DatabaseConnection,
    write_lock: Arc<Mutex<()>>,
    bus: Option<Arc<dyn EventBusDebug>>,
}

/// `EventBus` plus `Debug`, so `Db` can derive `Debug`.
trait EventBusDebug: EventBus + std::fmt::Debug {}
impl<T: EventBus + std::fmt::Debug> EventBusDebug for T {}

impl Db {
    /// Connects without migrating.
    pub async fn connect(opts: &DbOptions) -> CoreResult<Db> {
        let mut co = ConnectOptions::new(opts.url.clone());
        co.max_connections(opts.max_connections)
            .min_connections(1)
            .acquire_timeout(opts.acquire_timeout)
            .connect_timeout(opts.acquire_timeout)
            .sqlx_logging(false);
        let busy = opts.acquire_timeout;
        co.map_sqlx_sqlite_opts(move |o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .pragma("cache_size", SQLITE_CACHE_KIB)
                .busy_timeout(busy)
                .create_if_missing(true)
        });
        let conn = Database::connect(co)
            .await
            .map_err(|e| CoreError::Internal(format!("cannot connect to the database: {e}")))?;
        Ok(Db {
            conn,
            write_lock: Arc::new(Mutex::new(())),
            bus: None,
        })
    }

    /// Attaches the bus that committed events are published on.
    pub fn with_bus<B: EventBus + std::fmt::Debug>(mut self, bus: Arc<B>) -> Db {
        self.bus = Some(bus);
        self
    }

    /// The pooled connection, for reads.
    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// Which database this is.
    pub fn backend(&self) -> DatabaseBackend {
        self.conn.get_database_backend()
    }

    /// Checks that the database answers; used by `/readyz`.
    pub async fn ping(&self) -> CoreResult<()> {
        self.conn.ping().await?;
        Ok(())
    }

    /// Starts a write transaction (see the module docs for how writers are ordered).
    pub async fn begin_write(&self) -> CoreResult<WriteTx> {
        let guard = match self.backend() {
            DatabaseBackend::Sqlite => Some(self.write_lock.clone().lock_owned().await),
            _ => None,
        };
        let tx = self.conn.begin().await?;
        if self.backend() == DatabaseBackend::Sqlite {
            // SQLite starts `BEGIN` transactions as readers and upgrades them at their first
            // write, which fails at once (SQLITE_BUSY_SNAPSHOT) if another connection wrote in
            // between. A write statement first thing takes the write lock now, waiting under
            // busy_timeout for other processes (the CLI next to a running server) instead.
            tx.execute_unprepared("DELETE FROM login_throttle WHERE 1 = 0").await?;
        }
        Ok(WriteTx {
            tx,
            _guard: guard,
            serialized: false,
            events: Vec::new(),
            bus: self.bus.clone(),
        })
    }
}

/// A write transaction. Dereferences to sea-orm's transaction for queries; events queued with
/// [`publish_after_commit`](Self::publish_after_commit) go out only if `commit` succeeds.
pub struct WriteTx {
    tx: DatabaseTransaction,
    _guard: Option<OwnedMutexGuard<()>>,
    serialized: bool,
    events: Vec<Event>,
    bus: Option<Arc<dyn EventBusDebug>>,
}

impl Deref for WriteTx {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.tx
    }
}

impl WriteTx {
    /// Makes this transaction wait for, and then exclude, every other serialised transaction
    /// until it ends. Idempotent.
    pub async fn serialize(&mut self) -> CoreResult<()> {
        if self.serialized {
            return Ok(());
        }
        self.lock(LockKey::Serial).await?;
        self.serialized = true;
        Ok(())
    }

    /// Takes a transaction-scoped lock on PostgreSQL (on SQLite the process-wide write lock
    /// already excludes every other writer).
    pub async fn lock(&mut self, key: LockKey) -> CoreResult<()> {
        if self.tx.get_database_backend() == DatabaseBackend::Postgres {
            self.tx
                .execute(Statement::from_sql_and_values(
                    DatabaseBackend::Postgres,
                    "SELECT pg_advisory_xact_lock($1)",
                    [key.key().into()],
                ))
                .await?;
        }
        Ok(())
    }

    /// Queues an event to publish once the transaction has committed.
    pub fn publish_after_commit(&mut self, event: Event) {
        self.events.push(event);
    }

    /// Commits, then publishes the queued events.
    pub async fn commit(self) -> CoreResult<()> {
        let WriteTx {
            tx,
            _guard,
            events,
            bus,
            ..
        } = self;
        tx.commit().await?;
        drop(_guard);
        if let Some(bus) = bus {
            for e in events {
                bus.publish(e);
            }
        }
        Ok(())
    }
}
