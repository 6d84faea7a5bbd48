//! Fresh databases and a wired `Services` for core tests.

use hpcb_core::auth::AuthSettings;
use hpcb_core::clock::ManualClock;
use hpcb_core::db::{Db, DbOptions};
use hpcb_core::tiers::TierRules;
use hpcb_core::usage::{FetchResult, SourceConfig, UsageRecord, UsageSource};
use hpcb_core::{CoreResult, Services, ServicesConfig};
use hpcb_entities::Currency;
use hpcb_migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Which database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file.
    Sqlite,
    /// PostgreSQL database.
    Postgres,
}

/// Runs a test body on both backends; PostgreSQL is skipped loudly outside CI when absent.
#[macro_export]
macro_rules! both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                super::$name($crate::support::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                if $crate::support::postgres_available().await {
                    super::$name($crate::support::Backend::Postgres).await;
                }
            }
        }
    };
}

fn admin_url() -> String {
    std::env::var("HPC_BILLING_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Whether PostgreSQL can be used (panics in CI when it cannot).
pub async fn postgres_available() -> bool {
    match Database::connect(admin_url()).await {
        Ok(_) => true,
        Err(e) => {
            hpcb_tests::skip(
                "postgresql",
                &format!(
                    "no server at {} ({e}); start PostgreSQL or set HPC_BILLING_TEST_PG_URL",
                    admin_url()
                ),
            );
            false
        }
    }
}

/// A wired, migrated core on a fresh database.
pub struct TestCore {
    /// The services.
    pub services: Services,
    /// Their clock.
    pub clock: Arc<ManualClock>,
    pg_name: Option<String>,
    dir: std::path::PathBuf,
}

impl Drop for TestCore {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(name) = self.pg_name.take() {
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    rt.block_on(async {
                        if let Ok(c) = Database::connect(admin_url()).await {
                            let _ = c
                                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .await;
                        }
                    });
                }
            })
            .join();
        }
    }
}

/// Starts a core with the given sources.
pub async fn core(backend: Backend, sources: Vec<SourceConfig>) -> TestCore {
    let suffix = hex::encode(rand::random::<[u8; 6]>());
    let dir = std::env::temp_dir().join(format!("hpcb-core-{suffix}"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (url, pg_name) = match backend {
        Backend::Sqlite => (format!("sqlite://{}?mode=rwc", dir.join("t.db").display()), None),
        Backend::Postgres => {
            let name = format!("hpcb_c_{suffix}");
            let admin = Database::connect(admin_url()).await.expect("connect");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create db");
            let base = admin_url();
            let (prefix, _) = base.rsplit_once('/').expect("url with a database");
            (format!("{prefix}/{name}"), Some(name))
        }
    };
    let db = Db::connect(&DbOptions {
        url,
        max_connections: 10,
        acquire_timeout: Duration::from_secs(10),
    })
    .await
    .expect("connect");
    Migrator::up(db.conn(), None).await.expect("migrate");
    let clock = Arc::new(ManualClock::new(1_790_000_000_000));
    let mut auth = AuthSettings {
        jwt_secret: vec![9; 32],
        ..AuthSettings::default()
    };
    auth.argon2.memory_kib = 256;
    auth.argon2.iterations = 1;
    let config = ServicesConfig {
        auth,
        audit_key: vec![3; 32],
        default_currency: Currency::THB,
        tier_rules: TierRules::default(),
        tax: hpcb_core::receipts::TaxSettings::default(),
        payments: Default::default(),
    };
    let services = Services::new(db, config, clock.clone(), None, sources).expect("services");
    TestCore {
        services,
        clock,
        pg_name,
        dir,
    }
}

/// A usage source serving records from memory, counting its calls.
#[derive(Default)]
pub struct FakeSource {
    /// Records it holds.
    pub records: Mutex<Vec<UsageRecord>>,
    /// Whether fetches fail.
    pub fail: Mutex<bool>,
}

#[async_trait::async_trait]
impl UsageSource for FakeSource {
    fn kind(&self) -> String {
        "fake".into()
    }

    async fn fetch(&self, from: i64, to: i64) -> CoreResult<FetchResult> {
        if *self.fail.lock().expect("lock") {
            return Err(hpcb_core::CoreError::Internal("fake source is down".into()));
        }
        let jobs = self
            .records
            .lock()
            .expect("lock")
            .iter()
            .filter(|r| r.end.is_none_or(|e| e >= from && e < to))
            .cloned()
            .collect();
        Ok(FetchResult {
            jobs,
            warnings: Vec::new(),
        })
    }
}

/// A source config over a chain.
pub fn source(name: &str, chain: Vec<Arc<dyn UsageSource>>) -> SourceConfig {
    SourceConfig {
        name: name.into(),
        cluster: "hpc1".into(),
        chain,
        interval_secs: 0,
        overlap_secs: 3600,
        initial_lookback_secs: 86_400,
    }
}

/// A completed job record.
pub fn job(id: &str, user: &str, end_ms: i64, elapsed_s: i64, cpus: i64, gpus: i64, mem_mb: i64) -> UsageRecord {
    UsageRecord {
        job_id: id.into(),
        user: user.into(),
        account: Some("physics".into()),
        partition: Some(if gpus > 0 { "gpu" } else { "compute" }.into()),
        state: "COMPLETED".into(),
        submit: Some(end_ms - elapsed_s * 1000 - 1000),
        start: Some(end_ms - elapsed_s * 1000),
        end: Some(end_ms),
        elapsed_s,
        alloc_cpus: cpus,
        alloc_gpus: gpus,
        alloc_mem_mb: mem_mb,
        cpu_used_ms: None,
        cpu_time_raw_s: None,
        mem_used_kib_s: None,
        energy_j: None,
        nodes: Some("node01".into()),
    }
}
