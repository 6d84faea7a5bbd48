//! Receipts in the core: hand-computed totals, exactly-once billing under concurrency, void and
//! rebill, the monthly run, and changed jobs listed as adjustments.

use crate::both_backends;
use crate::support::{core, job, source, Backend, FakeSource};
use hpcb_core::auth::{AuthVia, Principal, Role};
use hpcb_core::context::{Actor, RequestMeta};
use hpcb_core::rates::RateInput;
use hpcb_core::receipts::ReceiptInput;
use hpcb_core::usage::UsageSource;
use hpcb_entities::UserId;
use rust_decimal::Decimal;
use sea_orm::ConnectionTrait;
use std::str::FromStr;
use std::sync::Arc;

const HOUR: i64 = 3_600_000;
const T0: i64 = 1_790_000_000_000;

fn finance() -> Principal {
    Principal {
        user_id: UserId(1),
        username: "fin".into(),
        role: Role::Finance,
        session_id: "s".into(),
        via: AuthVia::Bearer,
        token_expires_at: i64::MAX,
    }
}

fn alice() -> Principal {
    Principal {
        user_id: UserId(2),
        username: "alice".into(),
        role: Role::User,
        session_id: "a".into(),
        via: AuthVia::Bearer,
        token_expires_at: i64::MAX,
    }
}

async fn ingest(c: &crate::support::TestCore) {
    c.services
        .ingest
        .run_now(Actor::System("test"), &RequestMeta::cli(), "main", 0, T0 + HOUR)
        .await
        .expect("ingest");
}

async fn a_receipt_matches_hand_computed_lines_tax_and_totals(backend: Backend) {
    let fake = Arc::new(FakeSource::default());
    *fake.records.lock().expect("lock") = vec![
        job("1", "alice", T0 - 10 * HOUR, 7200, 4, 1, 8192), // 272.00 (private)
        {
            let mut j = job("2", "alice", T0 - 2 * HOUR, 7200, 4, 0, 1024);
            j.cpu_used_ms = Some(90 * 60 * 1000); // 7.50 + 4.00 = 11.50
            j
        },
        job("3", "alice", T0 - HOUR, 0, 1, 0, 0), // zero-cost job
        job("4", "bob", T0 - HOUR, 3600, 1, 0, 0),
    ];
    let c = core(backend, vec![source("main", vec![fake as Arc<dyn UsageSource>])]).await;
    ingest(&c).await;
    let r = c
        .services
        .receipts
        .create(
            Actor::User(&alice()),
            &RequestMeta::cli(),
            ReceiptInput {
                ended_before: Some(T0),
                ..Default::default()
            },
        )
        .await
        .expect("receipt");
    // 272.00 + 11.50 + 0.00 = 283.50; VAT 7 % = 19.845 → 19.85; total 303.35.
    assert_eq!((r.subtotal_minor, r.tax_minor, r.total_minor), (28_350, 1_985, 30_335));
    assert_eq!(r.username, "alice");
    assert!(
        r.number.starts_with("INV-") && r.number.ends_with("-000001"),
        "{}",
        r.number
    );
    let lines = c.services.receipts.lines_of(&[r.id]).await.expect("lines");
    assert_eq!(
        lines.iter().map(|l| l.cost_minor).collect::<Vec<_>>(),
        vec![27_200, 1_150, 0]
    );
    assert_eq!(Decimal::from_str(&lines[0].cpu_rate).expect("rate"), Decimal::from(5));
    // Nothing left to bill, and a user cannot bill someone else.
    let again = c
        .services
        .receipts
        .create(Actor::User(&alice()), &RequestMeta::cli(), ReceiptInput::default())
        .await;
    assert!(matches!(again, Err(hpcb_core::CoreError::Conflict(_))), "{again:?}");
    let other = c
        .services
        .receipts
        .create(
            Actor::User(&alice()),
            &RequestMeta::cli(),
            ReceiptInput {
                user: Some("bob".into()),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(other, Err(hpcb_core::CoreError::Forbidden(_))), "{other:?}");
    // Numbers are gapless: the next receipt (bob's) is 000002.
    let bob = c
        .services
        .receipts
        .create(
            Actor::User(&finance()),
            &RequestMeta::cli(),
            ReceiptInput {
                user: Some("bob".into()),
                ..Default::default()
            },
        )
        .await
        .expect("bob");
    assert!(bob.number.ends_with("-000002"), "{}", bob.number);
}
both_backends!(a_receipt_matches_hand_computed_lines_tax_and_totals);

async fn rates_are_locked_in_and_a_mid_period_change_prices_each_job_by_its_end(backend: Backend) {
    let fake = Arc::new(FakeSource::default());
    *fake.records.lock().expect("lock") = vec![
        job("1", "alice", T0 - 10 * HOUR, 3600, 1, 0, 0),
        job("2", "alice", T0 - 2 * HOUR, 3600, 1, 0, 0),
    ];
    let c = core(backend, vec![source("main", vec![fake as Arc<dyn UsageSource>])]).await;
    ingest(&c).await;
    let input = |cpu: &str, from: i64| RateInput {
        tier: "private".into(),
        cpu: Decimal::from_str(cpu).expect("dec"),
        gpu: Decimal::from(100),
        mem: Decimal::from(2),
        currency: None,
        effective_from: Some(from),
    };
    c.services
        .rates
        .update(Actor::System("test"), &RequestMeta::cli(), input("8", T0 - 5 * HOUR))
        .await
        .expect("rate");
    let r = c
        .services
        .receipts
        .create(
            Actor::User(&finance()),
            &RequestMeta::cli(),
            ReceiptInput {
                user: Some("alice".into()),
                ..Default::default()
            },
        )
        .await
        .expect("receipt");
    let lines = c.services.receipts.lines_of(&[r.id]).await.expect("lines");
    let locked: Vec<(i64, Decimal)> = lines
        .iter()
        .map(|l| (l.cost_minor, Decimal::from_str(&l.cpu_rate).expect("rate")))
        .collect();
    assert_eq!(locked, vec![(500, Decimal::from(5)), (800, Decimal::from(8))]);
    // A later rate change does not touch the issued receipt.
    c.services
        .rates
        .update(Actor::System("test"), &RequestMeta::cli(), input("50", 0))
        .await
        .expect("rate");
    let lines = c.services.receipts.lines_of(&[r.id]).await.expect("lines");
    assert_eq!(lines.iter().map(|l| l.cost_minor).collect::<Vec<_>>(), vec![500, 800]);
}
both_backends!(rates_are_locked_in_and_a_mid_period_change_prices_each_job_by_its_end);

async fn two_hundred_concurrent_receipts_bill_every_job_at_most_once(backend: Backend) {
    let fake = Arc::new(FakeSource::default());
    *fake.records.lock().expect("lock") = (0..300)
        .map(|i| job(&format!("{}", 100 + i), "alice", T0 - i * 60_000, 600, 1, 0, 100))
        .collect();
    let c = core(backend, vec![source("main", vec![fake as Arc<dyn UsageSource>])]).await;
    ingest(&c).await;
    let mut tasks = Vec::new();
    for i in 0..200i64 {
        let s = c.services.clone();
        // Overlapping cut-offs: each request bills whatever is still unbilled up to its cut-off.
        let cutoff = T0 - (200 - i) * 90_000;
        tasks.push(tokio::spawn(async move {
            s.receipts
                .create(
                    Actor::User(&alice()),
                    &RequestMeta::cli(),
                    ReceiptInput {
                        ended_before: Some(cutoff),
                        ..Default::default()
                    },
                )
                .await
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        match t.await.expect("join") {
            Ok(r) => ids.push(r),
            Err(hpcb_core::CoreError::Conflict(_)) => {}
            Err(e) => panic!("only CONFLICT may refuse a receipt: {e:?}"),
        }
    }
    assert!(!ids.is_empty());
    let lines = c
        .services
        .receipts
        .lines_of(&ids.iter().map(|r| r.id).collect::<Vec<_>>())
        .await
        .expect("lines");
    let mut keys: Vec<&str> = lines.iter().map(|l| l.job_key.as_str()).collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n, "a job billed twice");
    for r in &ids {
        let sum: i64 = lines
            .iter()
            .filter(|l| l.receipt_id == r.id)
            .map(|l| l.cost_minor)
            .sum();
        assert_eq!(r.subtotal_minor, sum, "receipt {} subtotal equals its lines", r.number);
        assert_eq!(r.subtotal_minor + r.tax_minor, r.total_minor);
    }
    let mut numbers: Vec<String> = ids.iter().map(|r| r.number.clone()).collect();
    numbers.sort();
    let expected: Vec<String> = (1..=ids.len())
        .map(|i| format!("{}-{i:06}", &numbers[0][..8]))
        .collect();
    assert_eq!(numbers, expected, "gapless numbers");
    assert!(c.services.audit.verify().await.expect("verify").ok);
}
both_backends!(two_hundred_concurrent_receipts_bill_every_job_at_most_once);

async fn void_releases_jobs_monthly_runs_are_idempotent_and_changes_are_flagged(backend: Backend) {
    let fake = Arc::new(FakeSource::default());
    let oct = 1_790_812_800_000; // 2026-10-01T00:00:00Z
    *fake.records.lock().expect("lock") = vec![
        job("1", "alice", oct + 5 * 86_400_000, 3600, 1, 0, 0),
        job("2", "bob", oct + 6 * 86_400_000, 3600, 1, 0, 0),
        job("3", "bob", oct + 40 * 86_400_000, 3600, 1, 0, 0), // November
    ];
    let c = core(
        backend,
        vec![source("main", vec![fake.clone() as Arc<dyn UsageSource>])],
    )
    .await;
    c.services
        .ingest
        .run_now(
            Actor::System("test"),
            &RequestMeta::cli(),
            "main",
            0,
            oct + 60 * 86_400_000,
        )
        .await
        .expect("ingest");
    let s = &c.services.receipts;
    let first = s
        .create_monthly(Actor::User(&finance()), &RequestMeta::cli(), "2026-10")
        .await
        .expect("monthly");
    assert_eq!(first.created.len(), 2);
    let again = s
        .create_monthly(Actor::User(&finance()), &RequestMeta::cli(), "2026-10")
        .await
        .expect("monthly");
    assert!(again.created.is_empty(), "idempotent");
    let bobs = first.created.iter().find(|r| r.username == "bob").expect("bob").clone();
    assert_eq!(
        s.lines_of(&[bobs.id]).await.expect("lines").len(),
        1,
        "November's job is not in October's receipt"
    );
    // Void and rebill.
    let voided = s
        .void(Actor::User(&finance()), &RequestMeta::cli(), bobs.id, "wrong account")
        .await
        .expect("void");
    assert_eq!(voided.status, "void");
    let rebilled = s
        .create_monthly(Actor::User(&finance()), &RequestMeta::cli(), "2026-10")
        .await
        .expect("monthly");
    assert_eq!(rebilled.created.len(), 1);
    // Paid receipts cannot be voided; reverting a manual payment is allowed.
    let alices = first
        .created
        .iter()
        .find(|r| r.username == "alice")
        .expect("alice")
        .clone();
    s.mark_paid(
        Actor::User(&finance()),
        &RequestMeta::cli(),
        alices.id,
        "bank-transfer",
        Some("TX-1"),
    )
    .await
    .expect("paid");
    assert!(s
        .void(Actor::User(&finance()), &RequestMeta::cli(), alices.id, "x")
        .await
        .is_err());
    assert!(s
        .mark_paid(Actor::User(&finance()), &RequestMeta::cli(), alices.id, "cash", None)
        .await
        .is_err());
    let back = s
        .revert_to_pending(Actor::User(&finance()), &RequestMeta::cli(), alices.id)
        .await
        .expect("revert");
    assert_eq!((back.status.as_str(), back.paid_method), ("pending", None));
    // Slurm corrects alice's job after billing: it shows up as an adjustment, the receipt stays.
    fake.records.lock().expect("lock")[0].elapsed_s = 7200;
    c.services
        .ingest
        .run_now(
            Actor::System("test"),
            &RequestMeta::cli(),
            "main",
            0,
            oct + 60 * 86_400_000,
        )
        .await
        .expect("ingest");
    let adj = s.adjustments(&finance()).await.expect("adjustments");
    assert_eq!(adj.len(), 1);
    assert_eq!(adj[0].line.job_key, "1");
    assert_eq!(
        adj[0].receipt.total_minor, alices.total_minor,
        "the issued receipt is unchanged"
    );
    assert!(matches!(
        s.adjustments(&alice()).await,
        Err(hpcb_core::CoreError::Forbidden(_))
    ));
    // Receipts are voided, never deleted: the database itself refuses, voided or not, and
    // lines and billed-job guards stay with their receipt.
    let conn = c.services.db.conn();
    for id in [bobs.id, alices.id] {
        let err = conn
            .execute_unprepared(&format!("DELETE FROM receipts WHERE id = {id}"))
            .await
            .expect_err("a receipt was deleted");
        assert!(err.to_string().contains("receipts are never deleted"), "{err}");
    }
    assert_eq!(s.lines_of(&[bobs.id, alices.id]).await.expect("lines").len(), 2);
}
both_backends!(void_releases_jobs_monthly_runs_are_idempotent_and_changes_are_flagged);

/// What a preview shows is exactly what `create` stores: the same lines with the same
/// quantities, tiers, locked rates (as stored: `1.50` entered is `1.5`) and costs, in the same order, and
/// the same totals; also for a chosen list of jobs.
async fn a_preview_is_exactly_the_receipt_it_becomes(backend: Backend) {
    let fake = Arc::new(FakeSource::default());
    *fake.records.lock().expect("lock") = vec![
        job("1", "alice", T0 - 10 * HOUR, 7200, 4, 1, 8192),
        job("2", "alice", T0 - 3 * HOUR, 5400, 2, 0, 4096),
        job("3", "alice", T0 - 2 * HOUR, 0, 1, 0, 0),
        job("4", "alice", T0 - HOUR, 3600, 8, 2, 65536),
        job("5", "bob", T0 - HOUR, 3600, 1, 0, 0),
    ];
    let c = core(backend, vec![source("main", vec![fake as Arc<dyn UsageSource>])]).await;
    // A rate entered with trailing zeros: preview and receipt both show it as stored.
    c.services
        .rates
        .update(
            Actor::System("test"),
            &RequestMeta::cli(),
            RateInput {
                tier: "private".into(),
                cpu: Decimal::from_str("1.50").expect("dec"),
                gpu: Decimal::from_str("12.250").expect("dec"),
                mem: Decimal::from_str("0.10").expect("dec"),
                currency: None,
                effective_from: Some(0),
            },
        )
        .await
        .expect("rate");
    ingest(&c).await;
    let strip = |mut l: hpcb_core::receipts::ReceiptLine| {
        l.id = 0;
        l.receipt_id = 0;
        l
    };
    for jobs in [None, Some(vec!["4".to_owned(), "2".to_owned()])] {
        let input = || ReceiptInput {
            user: Some("alice".into()),
            jobs: jobs.clone(),
            ..Default::default()
        };
        let (preview, preview_lines) = c
            .services
            .receipts
            .preview(Actor::User(&finance()), input())
            .await
            .expect("preview");
        let created = c
            .services
            .receipts
            .create(Actor::User(&finance()), &RequestMeta::cli(), input())
            .await
            .expect("receipt");
        let stored: Vec<_> = c
            .services
            .receipts
            .lines_of(&[created.id])
            .await
            .expect("lines")
            .into_iter()
            .map(strip)
            .collect();
        let previewed: Vec<_> = preview_lines.into_iter().map(strip).collect();
        assert!(!stored.is_empty());
        assert_eq!(previewed, stored, "jobs {jobs:?}");
        assert!(
            stored.iter().all(|l| l.cpu_rate == "1.5" && l.gpu_rate == "12.25"),
            "{stored:?}"
        );
        assert_eq!(
            (
                preview.subtotal_minor,
                preview.tax_minor,
                preview.total_minor,
                preview.currency
            ),
            (
                created.subtotal_minor,
                created.tax_minor,
                created.total_minor,
                created.currency
            ),
            "jobs {jobs:?}"
        );
        // Void it so the next round can bill the same jobs again.
        c.services
            .receipts
            .void(Actor::User(&finance()), &RequestMeta::cli(), created.id, "again")
            .await
            .expect("void");
    }
}
both_backends!(a_preview_is_exactly_the_receipt_it_becomes);
