//! Usage benchmarks, printing figures (not asserting them):
//! - ingestion throughput into SQLite and PostgreSQL (jobs/s), through the real ingestion
//!   service (validation, tier and rate lookup, exact pricing, idempotent batch upserts);
//! - `usageSummary` grouped by month over the stored jobs (ms, median of 5).
//!
//! `cargo bench -p hpc-billing --bench usage -- [JOBS]` (default 1 000 000). PostgreSQL is
//! measured when `HPC_BILLING_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`)
//! answers.
#![expect(clippy::print_stdout, reason = "a benchmark reports on standard output")]

use hpcb_core::auth::AuthSettings;
use hpcb_core::clock::SystemClock;
use hpcb_core::context::{Actor, RequestMeta};
use hpcb_core::db::{Db, DbOptions};
use hpcb_core::tiers::TierRules;
use hpcb_core::usage::{FetchResult, GroupBy, SourceConfig, UsageFilter, UsageRecord, UsageSource};
use hpcb_core::{CoreResult, Services, ServicesConfig};
use hpcb_entities::Currency;
use hpcb_migration::{Migrator, MigratorTrait};
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

fn records(n: usize) -> Vec<UsageRecord> {
    let users = hpcb_server::demo_data::USERS;
    let end0: i64 = 1_790_000_000_000;
    (0..n)
        .map(|i| {
            let (user, account) = users[i % users.len()];
            let elapsed = 60 + (i as i64 * 7919) % 86_400;
            let end = end0 - (i as i64 * 37_000) % (365 * 86_400_000);
            UsageRecord {
                job_id: if i % 10 == 0 {
                    format!("{}_{}", 1_000_000 + i / 10, i % 7)
                } else {
                    (2_000_000 + i).to_string()
                },
                user: user.into(),
                account: Some(account.into()),
                partition: Some(["compute", "gpu", "debug"][i % 3].into()),
                state: "COMPLETED".into(),
                submit: Some(end - elapsed * 1000 - 5000),
                start: Some(end - elapsed * 1000),
                end: Some(end),
                elapsed_s: elapsed,
                alloc_cpus: 1 << (i % 6),
                alloc_gpus: if i % 3 == 1 { 1 + (i % 4) as i64 } else { 0 },
                alloc_mem_mb: 1024 << (i % 5),
                cpu_used_ms: Some(elapsed * 700),
                cpu_time_raw_s: Some(elapsed * (1 << (i % 6))),
                mem_used_kib_s: Some(elapsed * 500_000),
                energy_j: None,
                nodes: Some(format!("node{:02}", i % 16)),
            }
        })
        .collect()
}

async fn services(url: &str, recs: Vec<UsageRecord>) -> Services {
    let db = Db::connect(&DbOptions {
        url: url.into(),
        max_connections: 8,
        acquire_timeout: Duration::from_secs(30),
    })
    .await
    .expect("connect");
    Migrator::up(db.conn(), None).await.expect("migrate");
    let auth = AuthSettings {
        jwt_secret: vec![1; 32],
        ..AuthSettings::default()
    };
    let config = ServicesConfig {
        auth,
        audit_key: vec![2; 32],
        default_currency: Currency::THB,
        tier_rules: TierRules::default(),
        tax: hpcb_core::receipts::TaxSettings::default(),
        payments: Default::default(),
    };
    let source = SourceConfig {
        name: "bench".into(),
        cluster: "bench".into(),
        chain: vec![Arc::new(Records(recs)) as Arc<dyn UsageSource>],
        interval_secs: 0,
        overlap_secs: 0,
        initial_lookback_secs: 0,
    };
    Services::new(db, config, Arc::new(SystemClock), None, vec![source]).expect("services")
}

async fn measure(label: &str, url: &str, recs: Vec<UsageRecord>) {
    let n = recs.len();
    let s = services(url, recs).await;
    let t = Instant::now();
    let r = s
        .ingest
        .run_now(Actor::System("bench"), &RequestMeta::cli(), "bench", 0, i64::MAX / 2)
        .await
        .expect("ingest");
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{label}: ingest {n} jobs ({} new) in {secs:.2} s = {:.0} jobs/s",
        r.inserted,
        n as f64 / secs
    );
    let t = Instant::now();
    let again = s
        .ingest
        .run_now(Actor::System("bench"), &RequestMeta::cli(), "bench", 0, i64::MAX / 2)
        .await
        .expect("ingest");
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{label}: re-ingest (all {} unchanged) in {secs:.2} s = {:.0} jobs/s",
        again.unchanged,
        n as f64 / secs
    );
    let mut times = Vec::new();
    let mut groups = 0;
    for _ in 0..5 {
        let t = Instant::now();
        groups = s
            .usage
            .summary(&UsageFilter::default(), GroupBy::Month)
            .await
            .expect("summary")
            .len();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{label}: usageSummary by month over {n} jobs: median {:.1} ms ({groups} groups; min {:.1}, max {:.1})",
        times[2], times[0], times[4]
    );
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let t = Instant::now();
        let recs = records(n);
        println!("generated {n} records in {:.2} s", t.elapsed().as_secs_f64());
        let dir = std::env::temp_dir().join(format!("hpcb-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        measure(
            "sqlite",
            &format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()),
            recs.clone(),
        )
        .await;
        let _ = std::fs::remove_dir_all(&dir);
        let admin = std::env::var("HPC_BILLING_TEST_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        match Database::connect(&admin).await {
            Ok(conn) => {
                let name = format!("hpcb_bench_{}", std::process::id());
                conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create");
                let url = format!("{}/{name}", admin.rsplit_once('/').map(|(p, _)| p).unwrap_or(&admin));
                measure("postgres", &url, recs).await;
                let _ = conn
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            }
            Err(e) => println!("postgres: skipped ({e})"),
        }
    });
}
