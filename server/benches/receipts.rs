//! Receipt creation time, printing figures: one user's N unbilled jobs (default 100 000, and
//! 1 000) billed in one receipt, on SQLite and (when reachable) PostgreSQL. Targets: 100k jobs
//! under 2 s, 1k jobs under 50 ms.
//!
//! `cargo bench -p hpc-billing --bench receipts`
#![expect(clippy::print_stdout, reason = "a benchmark reports on standard output")]

use hpcb_core::auth::AuthSettings;
use hpcb_core::clock::SystemClock;
use hpcb_core::context::{Actor, RequestMeta};
use hpcb_core::db::{Db, DbOptions};
use hpcb_core::receipts::{ReceiptInput, TaxSettings};
use hpcb_core::tiers::TierRules;
use hpcb_core::usage::{FetchResult, SourceConfig, UsageRecord, UsageSource};
use hpcb_core::{CoreResult, Services, ServicesConfig};
use hpcb_entities::Currency;
use hpcb_migration::{Migrator, MigratorTrait};
use hpcb_server::demo_data::usage_records;
use sea_orm::{ConnectionTrait, Database};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Records(Vec<UsageRecord>);

#[async_trait::async_trait]
impl UsageSource for Records {
    fn kind(&self) -> String {
        "memory".into()
    }
    async fn fetch(&self, _from: i64, _to: i64) -> CoreResult<FetchResult> {
        Ok(FetchResult {
            jobs: self.0.clone(),
            warnings: Vec::new(),
        })
    }
}

async fn bill(label: &str, url: &str, n: usize) {
    let db = Db::connect(&DbOptions {
        url: url.into(),
        max_connections: 8,
        acquire_timeout: Duration::from_secs(30),
    })
    .await
    .expect("connect");
    Migrator::up(db.conn(), None).await.expect("migrate");
    let config = ServicesConfig {
        auth: AuthSettings {
            jwt_secret: vec![1; 32],
            ..AuthSettings::default()
        },
        audit_key: vec![2; 32],
        default_currency: Currency::THB,
        tier_rules: TierRules::default(),
        tax: TaxSettings::default(),
        payments: Default::default(),
    };
    let source = SourceConfig {
        name: "bench".into(),
        cluster: "bench".into(),
        chain: vec![Arc::new(Records(usage_records(n, "alice"))) as Arc<dyn UsageSource>],
        interval_secs: 0,
        overlap_secs: 0,
        initial_lookback_secs: 0,
    };
    let s = Services::new(db, config, Arc::new(SystemClock), None, vec![source]).expect("services");
    s.ingest
        .run_now(Actor::System("bench"), &RequestMeta::cli(), "bench", 0, i64::MAX / 2)
        .await
        .expect("ingest");
    let t = Instant::now();
    let input = ReceiptInput {
        user: Some("alice".into()),
        ended_before: None,
        jobs: None,
    };
    let r = s
        .receipts
        .create(Actor::System("bench"), &RequestMeta::cli(), input)
        .await
        .expect("receipt");
    println!(
        "{label}: receipt over {n} jobs in {:.1} ms ({}, total {} satang)",
        t.elapsed().as_secs_f64() * 1000.0,
        r.number,
        r.total_minor
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        for n in [1_000, 100_000] {
            let dir = std::env::temp_dir().join(format!("hpcb-bench-receipts-{}-{n}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("dir");
            bill(
                "sqlite",
                &format!("sqlite://{}?mode=rwc", dir.join("b.db").display()),
                n,
            )
            .await;
            let _ = std::fs::remove_dir_all(&dir);
            let admin = std::env::var("HPC_BILLING_TEST_PG_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
            if let Ok(conn) = Database::connect(&admin).await {
                let name = format!("hpcb_bench_r_{}_{n}", std::process::id());
                conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create");
                let url = format!("{}/{name}", admin.rsplit_once('/').map(|(p, _)| p).unwrap_or(&admin));
                bill("postgres", &url, n).await;
                let _ = conn
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            }
        }
    });
}
