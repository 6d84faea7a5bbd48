//! Ingestion, pricing and usage queries end to end in the core.

use crate::both_backends;
use crate::support::{core, job, source, Backend, FakeSource};
use hpcb_core::auth::{AuthVia, Principal, Role};
use hpcb_core::context::{Actor, RequestMeta};
use hpcb_core::rates::RateInput;
use hpcb_core::usage::{GroupBy, UsageFilter, UsageSource};
use hpcb_entities::UserId;
use rust_decimal::Decimal;
use std::str::FromStr;
use std::sync::Arc;

const HOUR: i64 = 3_600_000;
const T0: i64 = 1_790_000_000_000;

fn admin() -> Principal {
    Principal {
        user_id: UserId(1),
        username: "root-admin".into(),
        role: Role::Admin,
        session_id: "s".into(),
        via: AuthVia::Bearer,
        token_expires_at: i64::MAX,
    }
}

fn all() -> UsageFilter {
    UsageFilter::default()
}

async fn reingesting_the_same_window_changes_nothing(backend: Backend) {
    let fake = Arc::new(FakeSource::default());
    *fake.records.lock().expect("lock") = (0..1000)
        .map(|i| job(&format!("{}", 100 + i), "alice", T0 - i * 1000, 3600, 2, 0, 1024))
        .collect();
    let c = core(
        backend,
        vec![source("main", vec![fake.clone() as Arc<dyn UsageSource>])],
    )
    .await;
    let s = &c.services;
    let first = s
        .ingest
        .run_now(Actor::System("test"), &RequestMeta::cli(), "main", 0, T0 + 1)
        .await
        .expect("ingest");
    assert_eq!(
        (first.fetched, first.inserted, first.updated, first.unchanged),
        (1000, 1000, 0, 0)
    );
    let again = s
        .ingest
        .run_now(Actor::System("test"), &RequestMeta::cli(), "main", 0, T0 + 1)
        .await
        .expect("ingest");
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 1000));
    // A job changes in Slurm (requeued, corrected): only it is updated.
    fake.records.lock().expect("lock")[0].elapsed_s = 7200;
    let changed = s
        .ingest
        .run_now(Actor::System("test"), &RequestMeta::cli(), "main", 0, T0 + 1)
        .await
        .expect("ingest");
    assert_eq!((changed.inserted, changed.updated, changed.unchanged), (0, 1, 999));
    let page = s.usage.page(&all(), 10, None).await.expect("page");
    assert_eq!(page.total, 1000);
}
both_backends!(reingesting_the_same_window_changes_nothing);

async fn overlapping_windows_ingested_concurrently_leave_no_duplicates(backend: Backend) {
    let fake = Arc::new(FakeSource::default());
    *fake.records.lock().expect("lock") = (0..3000)
        .map(|i| job(&format!("{}", 5000 + i), "bob", T0 - i * 10_000, 600, 1, 0, 512))
        .collect();
    let c = core(
        backend,
        vec![source("main", vec![fake.clone() as Arc<dyn UsageSource>])],
    )
    .await;
    let mut tasks = Vec::new();
    for k in 0..8i64 {
        let ingest = c.services.ingest.clone();
        // Windows of 20 000 s that overlap their neighbours by half.
        let from = T0 - 30_000_000 + k * 3_000_000;
        let to = from + 20_000_000;
        tasks.push(tokio::spawn(async move {
            ingest
                .run_now(Actor::System("test"), &RequestMeta::cli(), "main", from, to)
                .await
        }));
    }
    let mut inserted = 0;
    for t in tasks {
        inserted += t.await.expect("join").expect("ingest").inserted;
    }
    let page = c.services.usage.page(&all(), 1, None).await.expect("page");
    assert_eq!(page.total, 3000, "every job stored once");
    assert!(inserted <= 3000, "no job counted as new twice: {inserted}");
}
both_backends!(overlapping_windows_ingested_concurrently_leave_no_duplicates);

async fn prices_match_hand_computed_costs_and_follow_rate_changes(backend: Backend) {
    let fake = Arc::new(FakeSource::default());
    *fake.records.lock().expect("lock") = vec![
        // alice: no rule matches → private (cpu 5, gpu 100, mem 2). 2 h × 4 CPUs allocated,
        // 1 GPU, 8 GB: 8 × 5 + 2 × 100 + 16 × 2 = 272.00 THB.
        job("1", "alice", T0 - 10 * HOUR, 7200, 4, 1, 8192),
        // somchai.s looks like letters.letters → mu (1, 5, 0.5): 8 + 10 + 8 = 26.00 THB.
        job("2", "somchai.s", T0 - 10 * HOUR, 7200, 4, 1, 8192),
        // Used CPU time wins over allocation: 90 min used at private 5/h = 7.50; memory
        // 1 GB × 2 h × 2 = 4.00 → 11.50 THB.
        {
            let mut j = job("3", "alice", T0 - 2 * HOUR, 7200, 4, 0, 1024);
            j.cpu_used_ms = Some(90 * 60 * 1000);
            j
        },
    ];
    let c = core(
        backend,
        vec![source("main", vec![fake.clone() as Arc<dyn UsageSource>])],
    )
    .await;
    let s = &c.services;
    s.ingest
        .run_now(Actor::System("test"), &RequestMeta::cli(), "main", 0, T0)
        .await
        .expect("ingest");
    let cost = |key: &'static str| {
        let s = s.clone();
        async move {
            let page = s.usage.page(&all(), 100, None).await.expect("page");
            let j = page.jobs.into_iter().find(|j| j.job_key == key).expect("job");
            (j.cost_minor, j.tier, j.cpu_basis)
        }
    };
    assert_eq!(cost("1").await, (27_200, "private".into(), "allocated".into()));
    assert_eq!(cost("2").await, (2_600, "mu".into(), "allocated".into()));
    assert_eq!(cost("3").await, (1_150, "private".into(), "used".into()));

    // A new private rate from 5 h ago applies to job 3 (ended 2 h ago), not job 1 (10 h ago).
    s.rates
        .update(
            Actor::System("test"),
            &RequestMeta::cli(),
            RateInput {
                tier: "private".into(),
                cpu: Decimal::from_str("10").expect("dec"),
                gpu: Decimal::from_str("100").expect("dec"),
                mem: Decimal::from_str("2").expect("dec"),
                currency: None,
                effective_from: Some(T0 - 5 * HOUR),
            },
        )
        .await
        .expect("rates");
    assert_eq!(cost("1").await.0, 27_200);
    assert_eq!(cost("3").await.0, 1_900, "1.5 × 10 + 2 × 2 = 19.00");

    // An override moves all of alice's jobs to gov (3, 10, 1): job 1 = 24 + 20 + 16 = 60.00.
    s.rates
        .set_override(Actor::System("test"), &RequestMeta::cli(), "alice", "gov")
        .await
        .expect("override");
    let (minor, tier, _) = cost("1").await;
    assert_eq!((minor, tier.as_str()), (6_000, "gov"));
    s.rates
        .clear_override(Actor::System("test"), &RequestMeta::cli(), "alice")
        .await
        .expect("clear");
    assert_eq!(cost("1").await.0, 27_200);
}
both_backends!(prices_match_hand_computed_costs_and_follow_rate_changes);

async fn a_failing_source_falls_back_along_the_chain(backend: Backend) {
    let primary = Arc::new(FakeSource::default());
    *primary.fail.lock().expect("lock") = true;
    let backup = Arc::new(FakeSource::default());
    *backup.records.lock().expect("lock") = vec![job("7", "carol", T0 - HOUR, 60, 1, 0, 100)];
    let c = core(
        backend,
        vec![source(
            "main",
            vec![primary as Arc<dyn UsageSource>, backup as Arc<dyn UsageSource>],
        )],
    )
    .await;
    let r = c
        .services
        .ingest
        .run_now(Actor::System("test"), &RequestMeta::cli(), "main", 0, T0)
        .await
        .expect("ingest");
    assert_eq!(r.inserted, 1);
    assert!(
        r.warnings.iter().any(|w| w.contains("fake source is down")),
        "{:?}",
        r.warnings
    );
    let status = c.services.ingest.status(&admin()).await.expect("status");
    let st = status[0].state.as_ref().expect("ran");
    assert_eq!(
        (st.last_rows, st.last_error.as_deref(), st.watermark),
        (1, None, Some(T0))
    );
}
both_backends!(a_failing_source_falls_back_along_the_chain);

async fn bad_records_are_reported_and_the_rest_import(backend: Backend) {
    let fake = Arc::new(FakeSource::default());
    let mut bad = job("9", "", T0 - HOUR, 60, 1, 0, 100);
    bad.user = String::new();
    let mut negative = job("10", "dave", T0 - HOUR, 60, 1, 0, 100);
    negative.alloc_cpus = -4;
    let mut array_task = job("11_1", "dave", T0 - HOUR, 60, 1, 0, 100);
    array_task.job_id = "11_1".into();
    let mut other_task = job("11_2", "dave", T0 - HOUR, 60, 1, 0, 100);
    other_task.job_id = "11_2".into();
    *fake.records.lock().expect("lock") = vec![
        bad,
        negative,
        array_task,
        other_task,
        job("12", "dave", T0 - HOUR, 60, 1, 0, 100),
    ];
    let c = core(backend, vec![source("main", vec![fake as Arc<dyn UsageSource>])]).await;
    let r = c
        .services
        .ingest
        .run_now(Actor::System("test"), &RequestMeta::cli(), "main", 0, T0)
        .await
        .expect("ingest");
    assert_eq!((r.fetched, r.inserted, r.rejected), (5, 3, 2));
    assert_eq!(r.warnings.len(), 2, "{:?}", r.warnings);
    let keys: Vec<String> = c
        .services
        .usage
        .page(&all(), 10, None)
        .await
        .expect("page")
        .jobs
        .into_iter()
        .map(|j| j.job_key)
        .collect();
    for k in ["11_1", "11_2", "12"] {
        assert!(keys.contains(&k.to_owned()), "{keys:?}");
    }
}
both_backends!(bad_records_are_reported_and_the_rest_import);

async fn summaries_are_computed_by_the_database(backend: Backend) {
    let fake = Arc::new(FakeSource::default());
    let day = 86_400_000;
    *fake.records.lock().expect("lock") = vec![
        job("1", "alice", T0 - 40 * day, 3600, 1, 0, 1024),
        job("2", "alice", T0 - 10 * day, 3600, 1, 0, 1024),
        job("3", "somchai.s", T0 - 10 * day, 3600, 2, 0, 1024),
    ];
    let c = core(backend, vec![source("main", vec![fake as Arc<dyn UsageSource>])]).await;
    c.services
        .ingest
        .run_now(Actor::System("test"), &RequestMeta::cli(), "main", 0, T0)
        .await
        .expect("ingest");
    let by_tier = c.services.usage.summary(&all(), GroupBy::Tier).await.expect("summary");
    let tiers: Vec<(String, i64, i64)> = by_tier.iter().map(|r| (r.key.clone(), r.jobs, r.cost_minor)).collect();
    // mu: 2 core-h × 1 + 1 GB-h × 0.5 = 2.50; private: 2 × (1 × 5 + 1 × 2) = 14.00.
    assert_eq!(tiers, vec![("mu".into(), 1, 250), ("private".into(), 2, 1400)]);
    let months = c.services.usage.summary(&all(), GroupBy::Month).await.expect("summary");
    assert_eq!(months.len(), 2);
    assert_eq!(months.iter().map(|m| m.jobs).sum::<i64>(), 3);
    let alice = UsageFilter {
        user: Some("alice".into()),
        ..Default::default()
    };
    let users = c.services.usage.summary(&alice, GroupBy::User).await.expect("summary");
    assert_eq!((users.len(), users[0].cpu_ms), (1, 2 * HOUR));
}
both_backends!(summaries_are_computed_by_the_database);
