//! The daily usage rollup stays equal to a `GROUP BY` over the jobs: after ingestion, after
//! re-ingesting changed jobs, after re-pricing, and under concurrent ingestion.

use crate::both_backends;
use crate::support::{core, job, source, Backend, FakeSource, TestCore};
use hpcb_core::context::{Actor, RequestMeta};
use hpcb_core::rates::RateInput;
use hpcb_core::usage::{GroupBy, UsageFilter, UsageRecord, UsageSource};
use hpcb_migration::{Migrator, MigratorTrait};
use rust_decimal::Decimal;
use std::str::FromStr;
use std::sync::Arc;

const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;
/// A UTC midnight.
const MIDNIGHT: i64 = 20_700 * DAY;
const T0: i64 = MIDNIGHT + 13 * HOUR;

const GROUPS: [GroupBy; 6] = [
    GroupBy::User,
    GroupBy::Account,
    GroupBy::Partition,
    GroupBy::Tier,
    GroupBy::Day,
    GroupBy::Month,
];

/// Jobs of several users, accounts, partitions and states, ending over about 70 days (some at
/// a midnight, one before 1970, some not at all), with array tasks and step ids.
fn records(n: i64) -> Vec<UsageRecord> {
    let users = ["alice", "somchai.s", "bob", "carol"];
    let accounts = [Some("physics"), Some("chem"), None];
    let partitions = [Some("compute"), Some("gpu"), None];
    let states = ["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT"];
    (0..n)
        .map(|i| {
            let end = match i % 17 {
                0 => MIDNIGHT - (i % 40) * DAY,
                1 => MIDNIGHT - (i % 40) * DAY - 1,
                _ => T0 - i * 4 * HOUR - (i * 7919) % HOUR,
            };
            let id = match i % 5 {
                0 => format!("{}_{}", 9000 + i / 5, i % 3),
                1 => format!("{}.batch", 7000 + i),
                _ => (100 + i).to_string(),
            };
            let mut r = job(
                &id,
                users[(i % 4) as usize],
                end,
                60 + (i * 37) % 7200,
                1 + i % 8,
                i % 3 % 2,
                512 << (i % 4),
            );
            r.account = accounts[(i % 3) as usize].map(str::to_owned);
            r.partition = partitions[(i / 3 % 3) as usize].map(str::to_owned);
            r.state = states[(i % 7 % 4) as usize].into();
            if i % 11 == 0 {
                r.cpu_used_ms = Some(i * 1000);
            }
            r
        })
        .chain([
            {
                let mut r = job("1", "alice", -1, 60, 1, 0, 100);
                r.start = Some(-60_001);
                r.submit = Some(-61_001);
                r
            },
            {
                let mut r = job("2", "bob", T0, 60, 2, 0, 100);
                (r.end, r.state) = (None, "RUNNING".into());
                r
            },
            {
                let mut r = job("3.extern", "zoë 'q\"\\", T0 - DAY, 60, 2, 0, 100);
                (r.partition, r.nodes) = (Some(String::new()), Some("nöde[01-02] ✓".into()));
                r
            },
        ])
        .collect()
}

fn filters() -> Vec<(&'static str, UsageFilter, bool)> {
    let f = UsageFilter::default;
    vec![
        ("all", f(), true),
        (
            "alice",
            UsageFilter {
                user: Some("alice".into()),
                ..f()
            },
            true,
        ),
        (
            "mu user",
            UsageFilter {
                user: Some("somchai.s".into()),
                ..f()
            },
            true,
        ),
        (
            "physics",
            UsageFilter {
                account: Some("physics".into()),
                ..f()
            },
            true,
        ),
        (
            "no account",
            UsageFilter {
                account: Some(String::new()),
                ..f()
            },
            false,
        ),
        (
            "gpu",
            UsageFilter {
                partition: Some("gpu".into()),
                ..f()
            },
            true,
        ),
        (
            "completed",
            UsageFilter {
                state: Some("COMPLETED".into()),
                ..f()
            },
            true,
        ),
        (
            "failed",
            UsageFilter {
                state: Some("failed".into()),
                ..f()
            },
            true,
        ),
        (
            "cluster",
            UsageFilter {
                cluster: Some("hpc1".into()),
                ..f()
            },
            true,
        ),
        (
            "other cluster",
            UsageFilter {
                cluster: Some("hpc2".into()),
                ..f()
            },
            true,
        ),
        (
            "from",
            UsageFilter {
                from: Some(MIDNIGHT - 30 * DAY),
                ..f()
            },
            true,
        ),
        (
            "to",
            UsageFilter {
                to: Some(MIDNIGHT - 5 * DAY),
                ..f()
            },
            true,
        ),
        (
            "month",
            UsageFilter {
                from: Some(MIDNIGHT - 30 * DAY),
                to: Some(MIDNIGHT),
                user: Some("bob".into()),
                ..f()
            },
            true,
        ),
        (
            "ended before",
            UsageFilter {
                ended_before: Some(MIDNIGHT - 10 * DAY - 1),
                ..f()
            },
            true,
        ),
        (
            "ended before max",
            UsageFilter {
                ended_before: Some(i64::MAX),
                ..f()
            },
            true,
        ),
        ("since 1970", UsageFilter { from: Some(0), ..f() }, true),
        (
            "from noon",
            UsageFilter {
                from: Some(MIDNIGHT - 30 * DAY + 12 * HOUR),
                ..f()
            },
            false,
        ),
        (
            "ended before noon",
            UsageFilter {
                ended_before: Some(MIDNIGHT - 12 * HOUR),
                ..f()
            },
            false,
        ),
    ]
}

/// Every summary from the rollup equals the `GROUP BY` over the jobs.
async fn assert_rollup_matches(c: &TestCore, when: &str) {
    let usage = &c.services.usage;
    for (name, f, whole_days) in filters() {
        for group in GROUPS {
            let direct = usage.summary_from_jobs(&f, group).await.expect("direct summary");
            let rolled = usage.summary_from_rollup(&f, group).await.expect("rollup summary");
            if whole_days {
                assert_eq!(rolled.as_ref(), Some(&direct), "{when}: {name}, {group:?}");
            } else {
                assert_eq!(rolled, None, "{when}: {name} needs the jobs");
            }
            let served = usage.summary(&f, group).await.expect("summary");
            assert_eq!(served, direct, "{when}: {name}, {group:?}");
        }
    }
    let all = usage
        .summary_from_jobs(&UsageFilter::default(), GroupBy::User)
        .await
        .expect("all");
    assert!(all.iter().map(|r| r.jobs).sum::<i64>() > 0, "{when}: jobs stored");
}

async fn rate(c: &TestCore, tier: &str, cpu: &str, effective_from: i64) {
    c.services
        .rates
        .update(
            Actor::System("test"),
            &RequestMeta::cli(),
            RateInput {
                tier: tier.into(),
                cpu: Decimal::from_str(cpu).expect("dec"),
                gpu: Decimal::from_str("100").expect("dec"),
                mem: Decimal::from_str("2").expect("dec"),
                currency: None,
                effective_from: Some(effective_from),
            },
        )
        .await
        .expect("rates");
}

async fn ingest(c: &TestCore) -> hpcb_core::usage::IngestReport {
    c.services
        .ingest
        .run_now(Actor::System("test"), &RequestMeta::cli(), "main", -100 * DAY, T0 + 1)
        .await
        .expect("ingest")
}

async fn the_rollup_follows_ingestion_changes_and_repricing(backend: Backend) {
    let fake = Arc::new(FakeSource::default());
    *fake.records.lock().expect("lock") = records(600);
    let c = core(
        backend,
        vec![source("main", vec![fake.clone() as Arc<dyn UsageSource>])],
    )
    .await;
    let first = ingest(&c).await;
    assert_eq!((first.inserted, first.rejected), (603, 0));
    assert_rollup_matches(&c, "after ingestion").await;
    // Text is stored as given.
    let odd = UsageFilter {
        user: Some("zoë 'q\"\\".into()),
        ..Default::default()
    };
    let page = c.services.usage.page(&odd, 10, None).await.expect("page");
    let j = &page.jobs[0];
    assert_eq!(
        (
            j.job_key.as_str(),
            j.job_id.as_str(),
            j.partition.as_deref(),
            j.nodes.as_deref()
        ),
        ("3", "3.extern", Some(""), Some("nöde[01-02] ✓"))
    );

    // Jobs change in Slurm: longer, requeued to another day, another user, account or state;
    // and new jobs arrive.
    {
        let mut recs = fake.records.lock().expect("lock");
        for (i, r) in recs.iter_mut().enumerate() {
            match i % 9 {
                0 => r.elapsed_s += 600,
                1 => r.end = r.end.map(|e| e - 3 * DAY),
                2 => r.user = "carol".into(),
                3 => r.account = if r.account.is_some() { None } else { Some("bio".into()) },
                4 => r.state = "COMPLETED".into(),
                _ => {}
            }
        }
        recs.extend(records(650).into_iter().skip(600).take(50).map(|mut r| {
            r.job_id = format!("n{}", r.job_id);
            r
        }));
    }
    let second = ingest(&c).await;
    assert_eq!(second.inserted, 50);
    assert!(second.updated > 200, "{second:?}");
    assert_rollup_matches(&c, "after re-ingestion").await;
    let again = ingest(&c).await;
    assert_eq!((again.inserted, again.updated), (0, 0));
    assert_rollup_matches(&c, "after an unchanged re-ingestion").await;

    // A new rate re-prices part of the jobs; an override moves a user to another tier.
    rate(&c, "private", "9", MIDNIGHT - 20 * DAY).await;
    assert_rollup_matches(&c, "after a rate change").await;
    c.services
        .rates
        .set_override(Actor::System("test"), &RequestMeta::cli(), "bob", "gov")
        .await
        .expect("override");
    assert_rollup_matches(&c, "after an override").await;
    c.services
        .rates
        .clear_override(Actor::System("test"), &RequestMeta::cli(), "bob")
        .await
        .expect("clear");
    assert_rollup_matches(&c, "after clearing the override").await;

    // The migration that creates the rollup fills it from the stored jobs.
    let migrations = Migrator::migrations();
    let rollup = migrations
        .iter()
        .position(|m| m.name() == "m20261101_000005_usage_rollup")
        .expect("rollup migration");
    let conn = c.services.db.conn();
    let steps = (migrations.len() - rollup) as u32;
    Migrator::down(conn, Some(steps)).await.expect("down");
    Migrator::up(conn, None).await.expect("up");
    assert_rollup_matches(&c, "after filling the rollup from the jobs").await;
}
both_backends!(the_rollup_follows_ingestion_changes_and_repricing);

async fn concurrent_overlapping_ingestion_keeps_the_rollup_exact(backend: Backend) {
    let fake = Arc::new(FakeSource::default());
    *fake.records.lock().expect("lock") = records(2000);
    let c = core(
        backend,
        vec![source("main", vec![fake.clone() as Arc<dyn UsageSource>])],
    )
    .await;
    for round in 0..2 {
        if round == 1 {
            for r in fake.records.lock().expect("lock").iter_mut().step_by(3) {
                r.elapsed_s += 1;
                r.user = "carol".into();
            }
        }
        let mut tasks = Vec::new();
        for k in 0..6i64 {
            let ingest = c.services.ingest.clone();
            // Windows of 200 days that overlap each other.
            let from = T0 - 400 * DAY + k * 40 * DAY;
            tasks.push(tokio::spawn(async move {
                ingest
                    .run_now(
                        Actor::System("test"),
                        &RequestMeta::cli(),
                        "main",
                        from,
                        from + 200 * DAY,
                    )
                    .await
            }));
        }
        for t in tasks {
            t.await.expect("join").expect("ingest");
        }
        assert_rollup_matches(&c, &format!("after concurrent round {round}")).await;
    }
}
both_backends!(concurrent_overlapping_ingestion_keeps_the_rollup_exact);

async fn a_sum_too_large_for_the_rollup_falls_back_to_the_jobs(backend: Backend) {
    let fake = Arc::new(FakeSource::default());
    let huge = |id: &str, used: i64| {
        let mut r = job(id, "alice", T0 - HOUR, 60, 1, 0, 100);
        r.cpu_used_ms = Some(used);
        r
    };
    *fake.records.lock().expect("lock") = vec![
        huge("1", i64::MAX - 10),
        huge("2", 100),
        job("3", "bob", T0 - HOUR, 60, 1, 0, 100),
    ];
    let c = core(
        backend,
        vec![source("main", vec![fake.clone() as Arc<dyn UsageSource>])],
    )
    .await;
    // Free CPU time (from before these jobs ended), so that their price itself fits.
    rate(&c, "private", "0", T0 - 2 * HOUR).await;
    let report = ingest(&c).await;
    assert_eq!((report.inserted, report.rejected), (3, 0), "{report:?}");
    let usage = &c.services.usage;
    let alice = UsageFilter {
        user: Some("alice".into()),
        ..Default::default()
    };
    assert_eq!(
        usage.summary_from_rollup(&alice, GroupBy::User).await.expect("rollup"),
        None
    );
    assert!(usage.summary_from_jobs(&alice, GroupBy::User).await.is_err());
    assert!(
        usage.summary(&alice, GroupBy::User).await.is_err(),
        "the total does not fit"
    );
    let bob = UsageFilter {
        user: Some("bob".into()),
        ..Default::default()
    };
    let direct = usage.summary_from_jobs(&bob, GroupBy::Day).await.expect("direct");
    assert_eq!(
        usage.summary_from_rollup(&bob, GroupBy::Day).await.expect("rollup"),
        Some(direct)
    );
    // Once the job is corrected the total fits again; its cell stays marked, so such
    // summaries keep coming from the jobs.
    fake.records.lock().expect("lock")[0].cpu_used_ms = Some(1000);
    ingest(&c).await;
    let direct = usage.summary_from_jobs(&alice, GroupBy::User).await.expect("direct");
    assert_eq!(usage.summary(&alice, GroupBy::User).await.expect("summary"), direct);
    assert_eq!(direct[0].cpu_ms, 1100);
}
both_backends!(a_sum_too_large_for_the_rollup_falls_back_to_the_jobs);
