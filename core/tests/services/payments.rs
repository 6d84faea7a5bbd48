//! Payments in the core with a scripted gateway: start, settle exactly once, mismatches,
//! out-of-order events, bad signatures, the janitor for lost webhooks, refunds, and what
//! subscribers hear.

use crate::both_backends;
use crate::support::{core, job, source, Backend, FakeSource, TestCore};
use hpcb_core::audit::AuditFilter;
use hpcb_core::auth::{AuthVia, Principal, Role};
use hpcb_core::context::{Actor, RequestMeta};
use hpcb_core::events::Event;
use hpcb_core::payments::{
    CheckoutRequest, CheckoutStart, Gateway, GatewayError, GatewayReport, Gateways, RefundOutcome, RefundRequest,
    ReportedStatus, SettleOutcome, SignedEvent, WebhookDelivery, WebhookResult, WebhookVerdict,
};
use hpcb_core::receipts::ReceiptInput;
use hpcb_core::usage::UsageSource;
use hpcb_core::CoreError;
use hpcb_entities::UserId;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

const HOUR: i64 = 3_600_000;
const T0: i64 = 1_790_000_000_000;

fn user(name: &str, role: Role) -> Principal {
    Principal {
        user_id: UserId(7),
        username: name.into(),
        role,
        session_id: "s".into(),
        via: AuthVia::Bearer,
        token_expires_at: i64::MAX,
    }
}

/// A gateway driven by the test: webhooks are JSON reports, "signed" when the `sig` header is
/// `good`; status checks answer whatever `status` holds.
#[derive(Default)]
struct ScriptedGateway {
    status: Mutex<Option<GatewayReport>>,
    down: Mutex<bool>,
    started: Mutex<Vec<CheckoutRequest>>,
}

#[async_trait::async_trait]
impl Gateway for ScriptedGateway {
    async fn create_checkout(&self, req: CheckoutRequest) -> Result<CheckoutStart, GatewayError> {
        if *self.down.lock().expect("lock") {
            return Err(GatewayError::Unavailable("connection refused".into()));
        }
        let external_id = format!("ext_{}", req.payment_id);
        self.started.lock().expect("lock").push(req);
        Ok(CheckoutStart {
            checkout_url: Some(format!("https://gw.test/{external_id}")),
            external_id,
            ..Default::default()
        })
    }

    async fn verify_webhook(&self, d: WebhookDelivery) -> Result<WebhookVerdict, GatewayError> {
        if d.headers.get("sig").map(String::as_str) != Some("good") {
            return Ok(WebhookVerdict::Rejected("signature mismatch".into()));
        }
        let v: serde_json::Value = serde_json::from_str(&d.body).map_err(|e| GatewayError::Refused(e.to_string()))?;
        Ok(WebhookVerdict::Verified {
            event_id: v["id"].as_str().unwrap_or_default().to_owned(),
            event_type: "test".into(),
            report: GatewayReport {
                payment_id: v["payment_id"].as_str().map(str::to_owned),
                external_id: None,
                status: v["status"].as_str().and_then(ReportedStatus::parse),
                amount_minor: v["amount"].as_i64(),
                currency: v["currency"].as_str().map(str::to_owned),
                refunded_minor: v["refunded"].as_i64(),
            },
        })
    }

    async fn fetch_status(&self, _external_id: &str) -> Result<GatewayReport, GatewayError> {
        self.status
            .lock()
            .expect("lock")
            .clone()
            .ok_or_else(|| GatewayError::Unavailable("timeout".into()))
    }

    async fn refund(&self, req: RefundRequest) -> Result<RefundOutcome, GatewayError> {
        Ok(RefundOutcome {
            refund_id: format!("re_{}", req.idempotency_key),
            status: "succeeded".into(),
        })
    }

    async fn sign_event(&self, _: &str, _: &str, _: i64, _: &str, _: bool) -> Result<SignedEvent, GatewayError> {
        Err(GatewayError::Refused("not a development gateway".into()))
    }
}

/// A core with one receipt for alice (total 272.00 + 7 % VAT = 29104 satang) and the scripted
/// gateway as `fake`.
async fn setup(backend: Backend) -> (TestCore, Arc<ScriptedGateway>, i64) {
    let fake = Arc::new(FakeSource::default());
    *fake.records.lock().expect("lock") = vec![job("1", "alice", T0 - 10 * HOUR, 7200, 4, 1, 8192)];
    let mut c = core(backend, vec![source("main", vec![fake as Arc<dyn UsageSource>])]).await;
    c.services
        .ingest
        .run_now(Actor::System("test"), &RequestMeta::cli(), "main", 0, T0 + HOUR)
        .await
        .expect("ingest");
    let alice = user("alice", Role::User);
    let r = c
        .services
        .receipts
        .create(Actor::User(&alice), &RequestMeta::cli(), ReceiptInput::default())
        .await
        .expect("receipt");
    assert_eq!(r.total_minor, 29_104);
    let gw = Arc::new(ScriptedGateway::default());
    let mut gateways = Gateways::new();
    gateways.insert("fake".into(), gw.clone() as Arc<dyn Gateway>);
    c.services = c.services.clone().with_gateways(gateways);
    (c, gw, r.id)
}

fn delivery(sig: &str, body: serde_json::Value) -> WebhookDelivery {
    WebhookDelivery {
        headers: BTreeMap::from([("sig".to_owned(), sig.to_owned())]),
        body: body.to_string(),
    }
}

async fn hook(c: &TestCore, sig: &str, body: serde_json::Value) -> WebhookResult {
    c.services
        .payments
        .handle_webhook("fake", delivery(sig, body), &RequestMeta::default())
        .await
        .expect("webhook handled")
}

async fn audit_count(c: &TestCore, action: &str) -> u64 {
    let filter = AuditFilter {
        action: Some(action.into()),
        ..Default::default()
    };
    c.services.audit.list(&filter, 1, None).await.expect("audit").total
}

async fn receipt_status(c: &TestCore, id: i64) -> String {
    c.services
        .receipts
        .get(&user("fin", Role::Finance), id)
        .await
        .expect("receipt")
        .status
}

async fn a_verified_success_pays_the_receipt_exactly_once(backend: Backend) {
    let (c, gw, rid) = setup(backend).await;
    let alice = user("alice", Role::User);
    let mut events = c.services.bus.subscribe();
    let p = c
        .services
        .payments
        .start(Actor::User(&alice), &RequestMeta::cli(), rid, "fake")
        .await
        .expect("start");
    assert_eq!(
        (p.status.as_str(), p.amount_minor, p.currency.as_str()),
        ("pending", 29_104, "THB")
    );
    assert_eq!(p.external_id.as_deref(), Some(format!("ext_{}", p.public_id).as_str()));
    let sent = gw.started.lock().expect("lock")[0].clone();
    assert_eq!(sent.idempotency_key, p.public_id);
    assert!(sent.return_url.ends_with(&format!("/payments/return/{}", p.public_id)));
    // Starting again while the checkout is open returns the same payment.
    let again = c
        .services
        .payments
        .start(Actor::User(&alice), &RequestMeta::cli(), rid, "fake")
        .await
        .expect("start again");
    assert_eq!(again.public_id, p.public_id);
    assert_eq!(gw.started.lock().expect("lock").len(), 1);

    let ok =
        json!({"id": "evt_1", "payment_id": p.public_id, "status": "succeeded", "amount": 29_104, "currency": "thb"});
    assert_eq!(
        hook(&c, "good", ok.clone()).await,
        WebhookResult::Handled(SettleOutcome::Applied)
    );
    assert_eq!(
        hook(&c, "good", ok).await,
        WebhookResult::Handled(SettleOutcome::Duplicate)
    );
    let other =
        json!({"id": "evt_2", "payment_id": p.public_id, "status": "succeeded", "amount": 29_104, "currency": "THB"});
    assert_eq!(
        hook(&c, "good", other).await,
        WebhookResult::Handled(SettleOutcome::NoChange)
    );
    // A late failure or expiry never moves a paid payment back.
    let late = json!({"id": "evt_3", "payment_id": p.public_id, "status": "expired"});
    assert_eq!(
        hook(&c, "good", late).await,
        WebhookResult::Handled(SettleOutcome::NoChange)
    );

    let paid = c.services.payments.by_public_id(&p.public_id).await.expect("payment");
    assert_eq!(paid.status, "succeeded");
    assert_eq!(receipt_status(&c, rid).await, "paid");
    assert_eq!(audit_count(&c, "payment.succeeded").await, 1);
    assert!(c.services.audit.verify().await.expect("verify").ok);
    // Subscribers heard the payment and the receipt change, after the commit.
    let mut heard = Vec::new();
    while let Ok(Ok(ev)) = tokio::time::timeout(std::time::Duration::from_secs(2), events.recv()).await {
        match &*ev {
            Event::PaymentChanged { status, .. } => heard.push(format!("payment:{status}")),
            Event::ReceiptChanged { status, .. } => heard.push(format!("receipt:{status}")),
            Event::AuditAppended { .. } | Event::AccountChanged { .. } => {}
        }
        if heard.len() == 2 {
            break;
        }
    }
    heard.sort();
    assert_eq!(heard, ["payment:succeeded", "receipt:paid"]);
    // A gateway payment is refunded, never reverted by hand.
    let err = c
        .services
        .receipts
        .revert_to_pending(Actor::User(&user("fin", Role::Finance)), &RequestMeta::cli(), rid)
        .await
        .expect_err("revert refused");
    assert!(
        matches!(err, CoreError::Conflict(ref m) if m.contains(&p.public_id)),
        "{err:?}"
    );
}
both_backends!(a_verified_success_pays_the_receipt_exactly_once);

async fn mismatches_bad_signatures_and_strangers_pay_nothing(backend: Backend) {
    let (c, _gw, rid) = setup(backend).await;
    let alice = user("alice", Role::User);
    let p = c
        .services
        .payments
        .start(Actor::User(&alice), &RequestMeta::cli(), rid, "fake")
        .await
        .expect("start");
    let short =
        json!({"id": "e1", "payment_id": p.public_id, "status": "succeeded", "amount": 29_103, "currency": "THB"});
    assert!(
        matches!(hook(&c, "good", short).await, WebhookResult::Handled(SettleOutcome::Mismatch(m)) if m.contains("29103"))
    );
    let usd =
        json!({"id": "e2", "payment_id": p.public_id, "status": "succeeded", "amount": 29_104, "currency": "USD"});
    assert!(matches!(
        hook(&c, "good", usd).await,
        WebhookResult::Handled(SettleOutcome::Mismatch(_))
    ));
    let forged =
        json!({"id": "e3", "payment_id": p.public_id, "status": "succeeded", "amount": 29_104, "currency": "THB"});
    assert_eq!(
        hook(&c, "bad", forged).await,
        WebhookResult::Rejected("signature mismatch".into())
    );
    let stranger =
        json!({"id": "e4", "payment_id": "pay_nobody", "status": "succeeded", "amount": 1, "currency": "THB"});
    assert_eq!(
        hook(&c, "good", stranger).await,
        WebhookResult::Handled(SettleOutcome::Unmatched)
    );
    assert_eq!(receipt_status(&c, rid).await, "pending");
    assert_eq!(
        c.services.payments.by_public_id(&p.public_id).await.expect("p").status,
        "pending"
    );
    assert_eq!(audit_count(&c, "payment.mismatch").await, 2);
    assert_eq!(audit_count(&c, "payment.webhook_rejected").await, 1);
    assert_eq!(audit_count(&c, "payment.unmatched").await, 1);
    // Failure first, then a verified success: the money that arrived wins.
    let failed = json!({"id": "e5", "payment_id": p.public_id, "status": "failed"});
    assert_eq!(
        hook(&c, "good", failed).await,
        WebhookResult::Handled(SettleOutcome::Applied)
    );
    let ok = json!({"id": "e6", "payment_id": p.public_id, "status": "succeeded", "amount": 29_104, "currency": "THB"});
    assert_eq!(
        hook(&c, "good", ok).await,
        WebhookResult::Handled(SettleOutcome::Applied)
    );
    assert_eq!(receipt_status(&c, rid).await, "paid");
    // Who may start payments: not another user, not finance (only owner or admin).
    let bob = user("bob", Role::User);
    let e = c
        .services
        .payments
        .start(Actor::User(&bob), &RequestMeta::cli(), rid, "fake")
        .await
        .expect_err("bob");
    assert!(matches!(e, CoreError::NotFound(_)), "{e:?}");
    let e = c
        .services
        .payments
        .start(
            Actor::User(&user("fin", Role::Finance)),
            &RequestMeta::cli(),
            rid,
            "fake",
        )
        .await
        .expect_err("finance");
    assert!(matches!(e, CoreError::Forbidden(_)), "{e:?}");
    // And a paid receipt cannot be paid again.
    let e = c
        .services
        .payments
        .start(Actor::User(&alice), &RequestMeta::cli(), rid, "fake")
        .await
        .expect_err("paid");
    assert!(matches!(e, CoreError::Conflict(_)), "{e:?}");
    assert!(c.services.audit.verify().await.expect("verify").ok);
}
both_backends!(mismatches_bad_signatures_and_strangers_pay_nothing);

async fn the_janitor_settles_what_webhooks_lost_and_a_dead_gateway_charges_nothing(backend: Backend) {
    let (c, gw, rid) = setup(backend).await;
    let alice = user("alice", Role::User);
    *gw.down.lock().expect("lock") = true;
    let e = c
        .services
        .payments
        .start(Actor::User(&alice), &RequestMeta::cli(), rid, "fake")
        .await
        .expect_err("gateway down");
    assert!(
        matches!(e, CoreError::Gateway(ref m) if m.contains("nothing was charged")),
        "{e:?}"
    );
    assert_eq!(audit_count(&c, "payment.start_failed").await, 1);
    *gw.down.lock().expect("lock") = false;
    let p = c
        .services
        .payments
        .start(Actor::User(&alice), &RequestMeta::cli(), rid, "fake")
        .await
        .expect("start");
    // Not due yet: the janitor leaves it alone.
    assert_eq!(c.services.payments.janitor_pass(10).await.expect("pass").checked, 0);
    c.clock.advance(61_000);
    // Due, the gateway cannot tell: still pending, checked again later.
    let r = c.services.payments.janitor_pass(10).await.expect("pass");
    assert_eq!((r.checked, r.changed, r.errors), (1, 0, 1));
    *gw.status.lock().expect("lock") = Some(GatewayReport {
        status: Some(ReportedStatus::Succeeded),
        amount_minor: Some(29_104),
        currency: Some("THB".into()),
        ..Default::default()
    });
    assert_eq!(c.services.payments.janitor_pass(10).await.expect("pass").checked, 0);
    c.clock.advance(300_000);
    let r = c.services.payments.janitor_pass(10).await.expect("pass");
    assert_eq!((r.checked, r.changed), (1, 1));
    assert_eq!(receipt_status(&c, rid).await, "paid");
    let paid = c.services.payments.by_public_id(&p.public_id).await.expect("p");
    assert_eq!((paid.status.as_str(), paid.next_check_at), ("succeeded", None));
    // Reconciling again finds the same final state: nothing more happens.
    let again = c
        .services
        .payments
        .reconcile(
            Actor::User(&user("admin", Role::Admin)),
            &RequestMeta::cli(),
            &p.public_id,
        )
        .await
        .expect("reconcile");
    assert_eq!(again.status, "succeeded");
    assert_eq!(audit_count(&c, "payment.succeeded").await, 1);
}
both_backends!(the_janitor_settles_what_webhooks_lost_and_a_dead_gateway_charges_nothing);

async fn refunds_are_recorded_and_never_counted_twice(backend: Backend) {
    let (c, _gw, rid) = setup(backend).await;
    let alice = user("alice", Role::User);
    let fin = user("fin", Role::Finance);
    let p = c
        .services
        .payments
        .start(Actor::User(&alice), &RequestMeta::cli(), rid, "fake")
        .await
        .expect("start");
    let e = c
        .services
        .payments
        .refund(Actor::User(&fin), &RequestMeta::cli(), &p.public_id, Some(100), None)
        .await
        .expect_err("unpaid");
    assert!(matches!(e, CoreError::Conflict(_)), "{e:?}");
    let ok = json!({"id": "e1", "payment_id": p.public_id, "status": "succeeded", "amount": 29_104, "currency": "THB"});
    hook(&c, "good", ok).await;
    let e = c
        .services
        .payments
        .refund(Actor::User(&alice), &RequestMeta::cli(), &p.public_id, Some(100), None)
        .await
        .expect_err("users cannot refund");
    assert!(matches!(e, CoreError::Forbidden(_)), "{e:?}");
    let (after, refund) = c
        .services
        .payments
        .refund(
            Actor::User(&fin),
            &RequestMeta::cli(),
            &p.public_id,
            Some(10_000),
            Some("goodwill"),
        )
        .await
        .expect("partial refund");
    assert_eq!(
        (refund.status.as_str(), after.refunded_minor, after.status.as_str()),
        ("succeeded", 10_000, "succeeded")
    );
    // The gateway's own refund notice carries the total: no double count.
    let notice = json!({"id": "e2", "payment_id": p.public_id, "status": "refunded", "refunded": 10_000});
    assert_eq!(
        hook(&c, "good", notice).await,
        WebhookResult::Handled(SettleOutcome::NoChange)
    );
    let e = c
        .services
        .payments
        .refund(Actor::User(&fin), &RequestMeta::cli(), &p.public_id, Some(20_000), None)
        .await
        .expect_err("more than left");
    assert!(
        matches!(e, CoreError::Validation { ref field, .. } if field == "amount"),
        "{e:?}"
    );
    let (after, _) = c
        .services
        .payments
        .refund(Actor::User(&fin), &RequestMeta::cli(), &p.public_id, None, None)
        .await
        .expect("the rest");
    assert_eq!((after.refunded_minor, after.status.as_str()), (29_104, "refunded"));
    // The receipt stays paid: refunds are recorded next to it, not hidden by un-paying it.
    assert_eq!(receipt_status(&c, rid).await, "paid");
    assert_eq!(
        c.services.payments.refunds_of(after.id).await.expect("refunds").len(),
        2
    );
    assert!(c.services.audit.verify().await.expect("verify").ok);
}
both_backends!(refunds_are_recorded_and_never_counted_twice);

async fn concurrent_deliveries_settle_once(backend: Backend) {
    let (c, _gw, rid) = setup(backend).await;
    let alice = user("alice", Role::User);
    let p = c
        .services
        .payments
        .start(Actor::User(&alice), &RequestMeta::cli(), rid, "fake")
        .await
        .expect("start");
    let mut tasks = Vec::new();
    for i in 0..200 {
        let svc = c.services.clone();
        // Half redeliver one event, half are distinct events about the same payment.
        let id = if i % 2 == 0 {
            "same".to_owned()
        } else {
            format!("evt_{i}")
        };
        let body =
            json!({"id": id, "payment_id": p.public_id, "status": "succeeded", "amount": 29_104, "currency": "THB"});
        tasks.push(tokio::spawn(async move {
            svc.payments
                .handle_webhook("fake", delivery("good", body), &RequestMeta::default())
                .await
        }));
    }
    let mut applied = 0;
    for t in tasks {
        match t.await.expect("join").expect("handled") {
            WebhookResult::Handled(SettleOutcome::Applied) => applied += 1,
            WebhookResult::Handled(SettleOutcome::Duplicate | SettleOutcome::NoChange) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(applied, 1);
    assert_eq!(audit_count(&c, "payment.succeeded").await, 1);
    assert_eq!(receipt_status(&c, rid).await, "paid");
    assert!(c.services.audit.verify().await.expect("verify").ok);
}
both_backends!(concurrent_deliveries_settle_once);

// ---------------------------------------------------------------------------------------------
// One open checkout per receipt, duplicates refunded, return-page checks rationed

/// What [`SlowGateway`] answers to the next refunds (then it refunds).
#[derive(Clone, Copy, Debug)]
enum RefundScript {
    /// No answer (a timeout).
    Unanswered,
    /// Refused by the gateway.
    Refused,
}

/// The scripted gateway behind calls that take a while, with its status checks counted and its
/// refunds recorded and scriptable.
struct SlowGateway {
    inner: Arc<ScriptedGateway>,
    delay: std::time::Duration,
    status_checks: std::sync::atomic::AtomicUsize,
    refunds: Mutex<Vec<RefundRequest>>,
    refund_script: Mutex<std::collections::VecDeque<RefundScript>>,
}

#[async_trait::async_trait]
impl Gateway for SlowGateway {
    async fn create_checkout(&self, req: CheckoutRequest) -> Result<CheckoutStart, GatewayError> {
        tokio::time::sleep(self.delay).await;
        self.inner.create_checkout(req).await
    }

    async fn verify_webhook(&self, d: WebhookDelivery) -> Result<WebhookVerdict, GatewayError> {
        self.inner.verify_webhook(d).await
    }

    async fn fetch_status(&self, external_id: &str) -> Result<GatewayReport, GatewayError> {
        self.status_checks.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        self.inner.fetch_status(external_id).await
    }

    async fn refund(&self, req: RefundRequest) -> Result<RefundOutcome, GatewayError> {
        self.refunds.lock().expect("lock").push(req.clone());
        let next = self.refund_script.lock().expect("lock").pop_front();
        match next {
            Some(RefundScript::Unanswered) => Err(GatewayError::Unavailable("timed out".into())),
            Some(RefundScript::Refused) => Err(GatewayError::Refused("charge already disputed".into())),
            None => self.inner.refund(req).await,
        }
    }

    async fn sign_event(&self, a: &str, b: &str, c: i64, d: &str, e: bool) -> Result<SignedEvent, GatewayError> {
        self.inner.sign_event(a, b, c, d, e).await
    }
}

/// [`setup`] with the scripted gateway behind a [`SlowGateway`] as `fake`, and a second gateway
/// `other`.
async fn setup_slow(backend: Backend) -> (TestCore, Arc<ScriptedGateway>, Arc<SlowGateway>, i64) {
    let (mut c, gw, rid) = setup(backend).await;
    let slow = Arc::new(SlowGateway {
        inner: gw.clone(),
        delay: std::time::Duration::from_millis(200),
        status_checks: Default::default(),
        refunds: Mutex::default(),
        refund_script: Mutex::default(),
    });
    let mut gateways = Gateways::new();
    gateways.insert("fake".into(), slow.clone() as Arc<dyn Gateway>);
    gateways.insert("other".into(), Arc::new(ScriptedGateway::default()) as Arc<dyn Gateway>);
    c.services = c.services.clone().with_gateways(gateways);
    (c, gw, slow, rid)
}

async fn start_as_alice(c: &TestCore, rid: i64, provider: &str) -> Result<hpcb_core::payments::Payment, CoreError> {
    c.services
        .payments
        .start(
            Actor::User(&user("alice", Role::User)),
            &RequestMeta::cli(),
            rid,
            provider,
        )
        .await
}

async fn payments_of_receipt(c: &TestCore, rid: i64) -> u64 {
    let filter = hpcb_core::payments::PaymentFilter {
        receipt_id: Some(rid),
        ..Default::default()
    };
    c.services
        .payments
        .list(&user("fin", Role::Finance), filter, 50, None)
        .await
        .expect("payments")
        .total
}

async fn ten_concurrent_starts_open_one_checkout_and_another_gateway_is_refused(backend: Backend) {
    let (c, gw, _slow, rid) = setup_slow(backend).await;
    let starts: Vec<_> = (0..10)
        .map(|_| {
            let svc = c.services.clone();
            tokio::spawn(async move {
                svc.payments
                    .start(
                        Actor::User(&user("alice", Role::User)),
                        &RequestMeta::cli(),
                        rid,
                        "fake",
                    )
                    .await
            })
        })
        .collect();
    let mut ids = std::collections::BTreeSet::new();
    for s in starts {
        let p = s.await.expect("join").expect("every start succeeds");
        assert_eq!(p.status, "pending");
        assert_eq!(p.checkout_url, Some(format!("https://gw.test/ext_{}", p.public_id)));
        ids.insert(p.public_id);
    }
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(gw.started.lock().expect("lock").len(), 1, "one checkout was asked for");
    assert_eq!(payments_of_receipt(&c, rid).await, 1);
    assert_eq!(audit_count(&c, "payment.started").await, 1);

    // Another gateway while that checkout is open: refused, naming the open payment.
    let id = ids.first().expect("one id").clone();
    let e = start_as_alice(&c, rid, "other").await.expect_err("refused");
    assert!(
        matches!(e, CoreError::Conflict(ref m) if m.contains(&id) && m.contains("fake")),
        "{e:?}"
    );
    // Once it has expired, another gateway may start one.
    c.clock
        .advance(c.services.payments.settings().checkout_ttl_secs * 1000 + 1);
    let other = start_as_alice(&c, rid, "other").await.expect("start elsewhere");
    assert_ne!(other.public_id, id);
    assert_eq!(payments_of_receipt(&c, rid).await, 2);
}
both_backends!(ten_concurrent_starts_open_one_checkout_and_another_gateway_is_refused);

/// Two payments of one receipt, both paid at the gateway: the second to arrive is a duplicate.
/// Returns (the payment that paid the receipt, the duplicate).
async fn pay_twice(c: &TestCore, rid: i64) -> (hpcb_core::payments::Payment, hpcb_core::payments::Payment) {
    let first = start_as_alice(c, rid, "fake").await.expect("start");
    // The first checkout expires unpaid as far as we know, and the customer starts another.
    c.clock
        .advance(c.services.payments.settings().checkout_ttl_secs * 1000 + 1);
    let second = start_as_alice(c, rid, "fake").await.expect("start again");
    assert_ne!(first.public_id, second.public_id);
    let paid = json!({"id": "evt_second", "payment_id": second.public_id, "status": "succeeded",
        "amount": 29_104, "currency": "THB"});
    assert_eq!(
        hook(c, "good", paid).await,
        WebhookResult::Handled(SettleOutcome::Applied)
    );
    assert_eq!(receipt_status(c, rid).await, "paid");
    // The gateway had taken the money on the first checkout as well; its success arrives late.
    let late = json!({"id": "evt_first", "payment_id": first.public_id, "status": "succeeded",
        "amount": 29_104, "currency": "THB"});
    assert_eq!(
        hook(c, "good", late).await,
        WebhookResult::Handled(SettleOutcome::Applied)
    );
    (second, first)
}

async fn a_second_verified_payment_for_a_paid_receipt_is_refunded_automatically(backend: Backend) {
    let (c, _gw, slow, rid) = setup_slow(backend).await;
    let (kept, duplicate) = pay_twice(&c, rid).await;

    let dup = c
        .services
        .payments
        .by_public_id(&duplicate.public_id)
        .await
        .expect("duplicate");
    assert_eq!(
        (dup.status.as_str(), dup.refunded_minor),
        ("refunded", 29_104),
        "{dup:?}"
    );
    let refunds = c.services.payments.refunds_of(dup.id).await.expect("refunds");
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert_eq!(
        (refunds[0].status.as_str(), refunds[0].amount_minor),
        ("succeeded", 29_104)
    );
    assert!(
        refunds[0].reason.as_deref().is_some_and(|r| r.contains("duplicate")),
        "{refunds:?}"
    );
    let asked = slow.refunds.lock().expect("lock").clone();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].external_id, format!("ext_{}", dup.public_id));
    assert_eq!(
        (asked[0].amount_minor, asked[0].reason.as_deref()),
        (29_104, Some("duplicate"))
    );

    // The receipt stays paid, once, by the other payment.
    assert_eq!(receipt_status(&c, rid).await, "paid");
    let kept = c.services.payments.by_public_id(&kept.public_id).await.expect("kept");
    assert_eq!((kept.status.as_str(), kept.refunded_minor), ("succeeded", 0));
    assert_eq!(audit_count(&c, "payment.succeeded").await, 1);
    assert_eq!(audit_count(&c, "payment.duplicate").await, 1);
    assert_eq!(audit_count(&c, "payment.refund").await, 1);
    assert!(c.services.audit.verify().await.expect("verify").ok);
}
both_backends!(a_second_verified_payment_for_a_paid_receipt_is_refunded_automatically);

async fn a_duplicate_refund_left_unanswered_is_asked_again_and_a_refusal_is_flagged(backend: Backend) {
    let (c, _gw, slow, rid) = setup_slow(backend).await;
    slow.refund_script
        .lock()
        .expect("lock")
        .extend([RefundScript::Unanswered, RefundScript::Refused]);
    let (_kept, duplicate) = pay_twice(&c, rid).await;
    let dup = c
        .services
        .payments
        .by_public_id(&duplicate.public_id)
        .await
        .expect("duplicate");
    assert_eq!((dup.status.as_str(), dup.refunded_minor), ("succeeded", 0));
    let refunds = c.services.payments.refunds_of(dup.id).await.expect("refunds");
    assert_eq!(refunds[0].status, "pending", "no answer: still owed");
    assert_eq!(audit_count(&c, "payment.duplicate").await, 1);

    // Not due yet; then due: asked again under the same idempotency key, and refused.
    assert_eq!(
        c.services
            .payments
            .janitor_pass(10)
            .await
            .expect("pass")
            .refunds_retried,
        0
    );
    c.clock.advance(300_000);
    assert_eq!(
        c.services
            .payments
            .janitor_pass(10)
            .await
            .expect("pass")
            .refunds_retried,
        1
    );
    let asked = slow.refunds.lock().expect("lock").clone();
    assert_eq!(asked.len(), 2);
    assert_eq!(asked[0].idempotency_key, asked[1].idempotency_key);
    let refunds = c.services.payments.refunds_of(dup.id).await.expect("refunds");
    assert_eq!(refunds[0].status, "failed", "refused: flagged for finance");
    let flagged = c
        .services
        .audit
        .list(
            &AuditFilter {
                action: Some("payment.refund".into()),
                ..Default::default()
            },
            10,
            None,
        )
        .await
        .expect("audit");
    assert_eq!(flagged.total, 2);
    assert!(
        flagged
            .entries
            .iter()
            .any(|e| e.status == "failed" && e.details.contains("refund by hand")),
        "{:?}",
        flagged.entries
    );
    // Failed refunds are not pending: finance can refund by hand.
    assert_eq!(
        c.services
            .payments
            .janitor_pass(10)
            .await
            .expect("pass")
            .refunds_retried,
        0
    );
    let (after, _) = c
        .services
        .payments
        .refund(
            Actor::User(&user("fin", Role::Finance)),
            &RequestMeta::cli(),
            &dup.public_id,
            None,
            Some("duplicate"),
        )
        .await
        .expect("refund by hand");
    assert_eq!(after.status, "refunded");
    assert_eq!(receipt_status(&c, rid).await, "paid");
}
both_backends!(a_duplicate_refund_left_unanswered_is_asked_again_and_a_refusal_is_flagged);

async fn return_page_checks_are_rationed_per_payment(backend: Backend) {
    let (c, _gw, slow, rid) = setup_slow(backend).await;
    let p = start_as_alice(&c, rid, "fake").await.expect("start");
    let loads: Vec<_> = (0..20)
        .map(|_| {
            let svc = c.services.clone();
            let id = p.public_id.clone();
            tokio::spawn(async move { svc.payments.reconcile_on_return(&id, &RequestMeta::default()).await })
        })
        .collect();
    for l in loads {
        let shown = l.await.expect("join").expect("the page shows the payment");
        assert_eq!(shown.status, "pending");
    }
    let checks = || slow.status_checks.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(checks(), 1, "one check for twenty concurrent loads");
    c.services
        .payments
        .reconcile_on_return(&p.public_id, &RequestMeta::default())
        .await
        .expect("again");
    assert_eq!(checks(), 1, "a check seconds old is reused");
    c.clock.advance(5_000);
    c.services
        .payments
        .reconcile_on_return(&p.public_id, &RequestMeta::default())
        .await
        .expect("later");
    assert_eq!(checks(), 2);
}
both_backends!(return_page_checks_are_rationed_per_payment);
