//! The `dummy` plugin in-process, against a fake host with a fixed clock that records every
//! capability call (the dummy gateway must never ask for HTTP).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use hmac::{Hmac, Mac};
use hpcb_plugin_pay_dummy::DummyGateway;
use hpcb_plugin_sdk::{json, Host, Plugin, PluginError, PluginKind, Value};
use sha2::Sha256;

const NOW_MS: i64 = 1_767_225_600_999;
const NOW_S: i64 = 1_767_225_600;
const SECRET: &str = "dummy-current-secret-7d1e";
const SECRET_OLD: &str = "dummy-previous-secret-33aa";

struct FakeHost {
    secrets: BTreeMap<&'static str, &'static str>,
    calls: Mutex<Vec<String>>,
}

impl FakeHost {
    fn new(secrets: &[(&'static str, &'static str)]) -> Arc<FakeHost> {
        Arc::new(FakeHost {
            secrets: secrets.iter().copied().collect(),
            calls: Mutex::new(Vec::new()),
        })
    }

    fn standard() -> Arc<FakeHost> {
        Self::new(&[("webhook_secret", SECRET)])
    }

    fn host(self: &Arc<FakeHost>) -> Host {
        let fake = Arc::clone(self);
        Host::from_fn(move |capability, request| {
            fake.calls.lock().expect("lock").push(capability.to_owned());
            match capability {
                "now" => Ok(json!({ "unix_ms": NOW_MS })),
                "secret" => {
                    let name = request["name"].as_str().unwrap_or_default();
                    match fake.secrets.get(name) {
                        Some(value) => Ok(json!({ "value": value })),
                        None => Err(PluginError::new("denied", format!("secret {name} is not configured"))),
                    }
                }
                other => Err(PluginError::new("denied", format!("{other} is not allowed"))),
            }
        })
    }

    fn calls(&self) -> Vec<String> {
        self.calls.lock().expect("lock").clone()
    }
}

fn gateway(fake: &Arc<FakeHost>) -> DummyGateway {
    DummyGateway::create(Value::Null, fake.host()).expect("default settings")
}

/// An independent signer: `t=…,v1=hex(HMAC-SHA256(secret, "t.body"))`.
fn header(secret: &str, t: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

fn delivery(signature: Option<String>, body: &str) -> Value {
    let mut headers = json!({"content-type": "application/json"});
    if let Some(signature) = signature {
        headers["x-dummy-signature"] = json!(signature);
    }
    json!({"headers": headers, "body": body})
}

fn sign_request(outcome: &str) -> Value {
    json!({"payment_id": "pay_3f9c", "external_id": "dummy_pay_3f9c", "amount_minor": 12345,
           "currency": "THB", "outcome": outcome})
}

fn checkout_request() -> Value {
    json!({
        "payment_id": "pay_3f9c", "amount_minor": 12345, "currency": "THB",
        "description": "Receipt INV-2026-000123", "server_url": "https://billing.example/",
        "return_url": "https://billing.example/payments/return/pay_3f9c",
        "cancel_url": "https://billing.example/payments/return/pay_3f9c?cancelled=1",
        "idempotency_key": "pay_3f9c", "customer_email": null, "expires_at_ms": 1_767_229_200_000_i64,
    })
}

#[test]
fn info_names_the_plugin_dummy() {
    let info = DummyGateway::info();
    assert_eq!(info.id, "dummy");
    assert_eq!(info.kind, PluginKind::PaymentGateway);
}

#[test]
fn create_checkout_points_at_the_servers_own_page() {
    let fake = FakeHost::standard();
    let mut plugin = gateway(&fake);
    let answer = plugin.call("create_checkout", checkout_request()).expect("checkout");
    assert_eq!(
        answer,
        json!({
            "external_id": "dummy_pay_3f9c",
            "checkout_url": "https://billing.example/payments/dummy/checkout/pay_3f9c",
            "qr_image_url": null,
            "client_secret": null,
            "status": "pending",
            "expires_at_ms": 1_767_229_200_000_i64,
        })
    );
    let mut odd = checkout_request();
    odd["payment_id"] = json!("pay 1/2");
    let answer = plugin.call("create_checkout", odd).expect("checkout");
    assert_eq!(
        answer["checkout_url"],
        "https://billing.example/payments/dummy/checkout/pay%201%2F2"
    );
    let mut bad = checkout_request();
    bad["server_url"] = json!("billing.example");
    assert!(plugin
        .call("create_checkout", bad)
        .expect_err("no scheme")
        .is("bad_request"));
    let mut bad = checkout_request();
    bad["amount_minor"] = json!(-5);
    assert!(plugin
        .call("create_checkout", bad)
        .expect_err("negative")
        .is("bad_request"));
    assert!(fake.calls().is_empty(), "no capability is needed: {:?}", fake.calls());
}

#[test]
fn sign_event_builds_a_signed_delivery() {
    let fake = FakeHost::standard();
    let mut plugin = gateway(&fake);
    let answer = plugin.call("sign_event", sign_request("succeeded")).expect("signed");
    let body = concat!(
        r#"{"id":"dev_pay_3f9c_succeeded_1767225600_1","type":"payment.succeeded","created":1767225600,"#,
        r#""data":{"payment_id":"pay_3f9c","external_id":"dummy_pay_3f9c","amount_minor":12345,"#,
        r#""currency":"THB","refunded_minor":null}}"#
    );
    assert_eq!(
        answer,
        json!({
            "headers": {"content-type": "application/json", "x-dummy-signature": header(SECRET, NOW_S, body)},
            "body": body,
        })
    );
    // the same payment signed again: another event id
    let again = plugin.call("sign_event", sign_request("succeeded")).expect("signed");
    let again_body: Value = serde_json::from_str(again["body"].as_str().expect("body")).expect("json");
    assert_eq!(again_body["id"], "dev_pay_3f9c_succeeded_1767225600_2");
    let failed = plugin.call("sign_event", sign_request("failed")).expect("signed");
    let failed_body: Value = serde_json::from_str(failed["body"].as_str().expect("body")).expect("json");
    assert_eq!(failed_body["id"], "dev_pay_3f9c_failed_1767225600_3");
    assert_eq!(failed_body["type"], "payment.failed");
}

#[test]
fn sign_event_refuses_mismatched_or_unknown_requests_and_needs_the_secret() {
    let fake = FakeHost::standard();
    let mut plugin = gateway(&fake);
    let mut other = sign_request("succeeded");
    other["external_id"] = json!("dummy_pay_other");
    assert!(plugin
        .call("sign_event", other)
        .expect_err("mismatch")
        .is("bad_request"));
    assert!(plugin
        .call("sign_event", sign_request("refunded"))
        .expect_err("outcome")
        .is("bad_request"));

    let fake = FakeHost::new(&[]);
    let mut plugin = gateway(&fake);
    let err = plugin
        .call("sign_event", sign_request("succeeded"))
        .expect_err("no secret");
    assert!(err.is("denied"), "{err}");
    // nothing remembered from a delivery that could not be signed
    let status = plugin
        .call("fetch_status", json!({"external_id": "dummy_pay_3f9c"}))
        .expect("status");
    assert_eq!(status["status"], "pending");
}

#[test]
fn signed_events_verify_and_are_interpreted() {
    let fake = FakeHost::standard();
    let mut plugin = gateway(&fake);
    for (outcome, status) in [("succeeded", "succeeded"), ("failed", "failed")] {
        let signed = plugin.call("sign_event", sign_request(outcome)).expect("signed");
        let answer = plugin.call("verify_webhook", signed).expect("verified");
        let event_id = answer["event_id"].as_str().unwrap_or_default().to_owned();
        assert!(event_id.starts_with(&format!("dev_pay_3f9c_{outcome}_")), "{answer}");
        assert_eq!(
            answer,
            json!({"verified": true, "event_id": event_id, "event_type": format!("payment.{outcome}"),
                   "payment_id": "pay_3f9c", "external_id": "dummy_pay_3f9c", "status": status,
                   "amount_minor": 12345, "currency": "THB", "refunded_minor": null})
        );
    }
}

#[test]
fn every_event_type_is_mapped() {
    let fake = FakeHost::standard();
    let mut plugin = gateway(&fake);
    for (kind, status, refunded) in [
        ("payment.succeeded", json!("succeeded"), Value::Null),
        ("payment.failed", json!("failed"), Value::Null),
        ("refund.succeeded", json!("refunded"), json!(500)),
        ("payment.opened", Value::Null, Value::Null),
    ] {
        let body = json!({"id": "dev_x", "type": kind, "created": NOW_S,
                          "data": {"payment_id": "pay_1", "external_id": "dummy_pay_1", "amount_minor": 700,
                                   "currency": "JPY", "refunded_minor": refunded}})
        .to_string();
        let answer = plugin
            .call("verify_webhook", delivery(Some(header(SECRET, NOW_S, &body)), &body))
            .expect("verified");
        assert_eq!(
            answer,
            json!({"verified": true, "event_id": "dev_x", "event_type": kind, "payment_id": "pay_1",
                   "external_id": "dummy_pay_1", "status": status, "amount_minor": 700, "currency": "JPY",
                   "refunded_minor": refunded}),
            "{kind}"
        );
    }
    // validly signed, but no event: an answer (refused with the reason), not an error, so the
    // server refuses it instead of asking for retries
    for (body, why) in [
        ("[1, 2]", "invalid type: integer `1`, expected a string"),
        (r#"{"id": "dev_x", "created": 1, "data": {}}"#, "missing field `type`"),
    ] {
        let reason = reason(&mut plugin, delivery(Some(header(SECRET, NOW_S, body)), body));
        assert!(
            reason.starts_with("signature valid, but the body is unusable: not a dummy gateway event: ")
                && reason.contains(why),
            "{body}: {reason}"
        );
    }
}

fn reason(plugin: &mut DummyGateway, request: Value) -> String {
    let answer = plugin.call("verify_webhook", request).expect("an answer");
    assert_eq!(answer["verified"], false, "{answer}");
    answer["reason"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn bad_signatures_are_refused_with_a_reason() {
    let fake = FakeHost::standard();
    let mut plugin = gateway(&fake);
    let body = plugin.call("sign_event", sign_request("succeeded")).expect("signed")["body"]
        .as_str()
        .expect("body")
        .to_owned();
    let nothing_matches = "no v1 signature matches";
    assert_eq!(
        reason(
            &mut plugin,
            delivery(Some(format!("t={NOW_S},v1={}", "a".repeat(64))), &body)
        ),
        nothing_matches
    );
    assert_eq!(
        reason(
            &mut plugin,
            delivery(Some(header("another-secret", NOW_S, &body)), &body)
        ),
        nothing_matches
    );
    let tampered = body.replace("12345", "99999");
    assert_eq!(
        reason(&mut plugin, delivery(Some(header(SECRET, NOW_S, &body)), &tampered)),
        nothing_matches
    );
    assert_eq!(
        reason(&mut plugin, delivery(Some(header(SECRET, NOW_S - 301, &body)), &body)),
        "timestamp outside the tolerance zone (301 s old, tolerance 300 s)"
    );
    // the future too: a delivery stamped ahead would stay replayable for as long as it is early
    assert_eq!(
        reason(&mut plugin, delivery(Some(header(SECRET, NOW_S + 301, &body)), &body)),
        "timestamp outside the tolerance zone (301 s in the future, tolerance 300 s)"
    );
    for t in [NOW_S - 300, NOW_S + 290, NOW_S + 300] {
        let answer = plugin
            .call("verify_webhook", delivery(Some(header(SECRET, t, &body)), &body))
            .expect("verified");
        assert_eq!(answer["verified"], true, "t = now {:+}", t - NOW_S);
    }
    assert_eq!(
        reason(&mut plugin, delivery(None, &body)),
        "missing X-Dummy-Signature header"
    );
    assert_eq!(
        reason(&mut plugin, delivery(Some(format!("v1={}", "a".repeat(64))), &body)),
        "X-Dummy-Signature header has no timestamp (t=…)"
    );
    assert_eq!(
        reason(&mut plugin, delivery(Some(format!("t={NOW_S}")), &body)),
        "X-Dummy-Signature header has no v1 signature"
    );

    let fake = FakeHost::new(&[]);
    let mut plugin = gateway(&fake);
    assert_eq!(
        reason(&mut plugin, delivery(Some(header(SECRET, NOW_S, &body)), &body)),
        "no webhook secret configured (secret webhook_secret)"
    );
}

#[test]
fn rotation_accepts_a_second_v1_and_the_previous_secret() {
    let fake = FakeHost::new(&[("webhook_secret", SECRET), ("webhook_secret_previous", SECRET_OLD)]);
    let mut plugin = DummyGateway::create(json!({"tolerance_secs": 60}), fake.host()).expect("settings");
    let body = r#"{"id":"dev_r","type":"payment.succeeded","created":1,"data":{}}"#;
    let good = header(SECRET, NOW_S, body);
    let two = format!(
        "t={NOW_S},v1={},{}",
        "b".repeat(64),
        good.split_once(',').expect("v1").1
    );
    assert_eq!(
        plugin
            .call("verify_webhook", delivery(Some(two), body))
            .expect("answer")["verified"],
        true
    );
    assert_eq!(
        plugin
            .call("verify_webhook", delivery(Some(header(SECRET_OLD, NOW_S, body)), body))
            .expect("answer")["verified"],
        true
    );
    // the configured tolerance, both ways
    assert_eq!(
        reason(&mut plugin, delivery(Some(header(SECRET, NOW_S - 61, body)), body)),
        "timestamp outside the tolerance zone (61 s old, tolerance 60 s)"
    );
    assert_eq!(
        reason(&mut plugin, delivery(Some(header(SECRET, NOW_S + 61, body)), body)),
        "timestamp outside the tolerance zone (61 s in the future, tolerance 60 s)"
    );
    assert_eq!(
        plugin
            .call("verify_webhook", delivery(Some(header(SECRET, NOW_S + 50, body)), body))
            .expect("answer")["verified"],
        true
    );
}

#[test]
fn fetch_status_reports_what_the_page_last_decided() {
    let fake = FakeHost::standard();
    let mut plugin = gateway(&fake);
    let unknown = plugin
        .call("fetch_status", json!({"external_id": "dummy_pay_9"}))
        .expect("status");
    assert_eq!(
        unknown,
        json!({"external_id": "dummy_pay_9", "status": "pending", "amount_minor": null, "currency": null,
               "payment_id": "pay_9"})
    );
    plugin.call("create_checkout", checkout_request()).expect("checkout");
    let status = |plugin: &mut DummyGateway| {
        plugin
            .call("fetch_status", json!({"external_id": "dummy_pay_3f9c"}))
            .expect("status")
    };
    assert_eq!(
        status(&mut plugin),
        json!({"external_id": "dummy_pay_3f9c", "status": "pending", "amount_minor": 12345, "currency": "THB",
               "payment_id": "pay_3f9c"})
    );
    plugin.call("sign_event", sign_request("failed")).expect("signed");
    assert_eq!(status(&mut plugin)["status"], "failed");
    plugin.call("sign_event", sign_request("succeeded")).expect("signed");
    assert_eq!(status(&mut plugin)["status"], "succeeded");
    // a retried create does not forget the decision
    plugin.call("create_checkout", checkout_request()).expect("checkout");
    assert_eq!(status(&mut plugin)["status"], "succeeded");
}

#[test]
fn refunds_succeed_at_once_sign_nothing_and_replay_by_key() {
    let fake = FakeHost::standard();
    let mut plugin = gateway(&fake);
    let refund = |key: &str, amount: i64| {
        json!({"external_id": "dummy_pay_3f9c", "amount_minor": amount, "currency": "THB",
               "idempotency_key": key, "reason": "duplicate"})
    };
    assert_eq!(
        plugin.call("refund", refund("refund_17", 500)).expect("refund"),
        json!({"refund_id": "dre_1", "status": "succeeded", "amount_minor": 500})
    );
    assert_eq!(
        plugin.call("refund", refund("refund_17", 500)).expect("replay"),
        json!({"refund_id": "dre_1", "status": "succeeded", "amount_minor": 500})
    );
    assert_eq!(
        plugin.call("refund", refund("refund_18", 200)).expect("refund"),
        json!({"refund_id": "dre_2", "status": "succeeded", "amount_minor": 200})
    );
    assert!(plugin
        .call("refund", refund("refund_17", 900))
        .expect_err("key reuse")
        .is("bad_request"));
    let mut foreign = refund("refund_19", 1);
    foreign["external_id"] = json!("cs_test_1");
    assert!(plugin.call("refund", foreign).expect_err("foreign").is("bad_request"));
    assert!(fake.calls().is_empty(), "refunds sign nothing: {:?}", fake.calls());
}

#[test]
fn settings_are_checked_and_unknown_fields_refused() {
    let fake = FakeHost::standard();
    assert!(DummyGateway::create(json!({}), fake.host()).is_ok());
    for (config, field) in [
        (json!({"tolerance": 5}), "tolerance"),
        (json!({"webhook_secret": "x"}), "webhook_secret"),
        (json!({"tolerance_secs": "300"}), "tolerance_secs"),
        (json!({"tolerance_secs": 0}), "tolerance_secs"),
        (json!({"tolerance_secs": -1}), "tolerance_secs"),
    ] {
        let err = DummyGateway::create(config.clone(), fake.host())
            .err()
            .expect("refused");
        assert!(err.is("bad_request") && err.message.contains(field), "{config}: {err}");
    }
}

#[test]
fn unknown_methods_are_refused_and_secrets_never_leak() {
    let fake = FakeHost::new(&[("webhook_secret", SECRET), ("webhook_secret_previous", SECRET_OLD)]);
    let mut plugin = gateway(&fake);
    assert!(plugin
        .call("capture", json!({}))
        .expect_err("unknown")
        .is("unknown_method"));
    let body = r#"{"id":"dev_1","type":"payment.succeeded","created":1,"data":{}}"#;
    let mut texts = Vec::new();
    for signature in [
        format!("t={NOW_S},v1={SECRET}"),
        SECRET.to_owned(),
        header(SECRET, NOW_S - 9999, body),
        header("x", NOW_S, body),
    ] {
        texts.push(
            plugin
                .call("verify_webhook", delivery(Some(signature), body))
                .expect("answer")
                .to_string(),
        );
    }
    let signed_garbage = header(SECRET, NOW_S, "oops");
    texts.push(
        plugin
            .call("verify_webhook", delivery(Some(signed_garbage), "oops"))
            .expect("refused, not json")
            .to_string(),
    );
    for text in &texts {
        assert!(!text.contains(SECRET) && !text.contains(SECRET_OLD), "{text}");
    }
    assert_eq!(texts.len(), 5);
}

#[test]
fn status_delay_ms_makes_status_checks_slow_on_purpose_and_is_bounded() {
    let fake = FakeHost::standard();
    let mut plugin = DummyGateway::create(json!({"status_delay_ms": 150}), fake.host()).expect("settings");
    let started = std::time::Instant::now();
    let status = plugin
        .call("fetch_status", json!({"external_id": "dummy_pay_3f9c"}))
        .expect("status");
    assert!(started.elapsed() >= std::time::Duration::from_millis(150));
    assert_eq!(status["status"], "pending");
    // webhooks are not slowed down
    let started = std::time::Instant::now();
    let signed = plugin.call("sign_event", sign_request("succeeded")).expect("signed");
    assert_eq!(
        plugin.call("verify_webhook", signed).expect("verified")["verified"],
        true
    );
    assert!(started.elapsed() < std::time::Duration::from_millis(150));
    for config in [json!({"status_delay_ms": 60_001}), json!({"status_delay_ms": -1})] {
        let err = DummyGateway::create(config.clone(), fake.host())
            .err()
            .expect("refused");
        assert!(
            err.is("bad_request") && err.message.contains("status_delay_ms"),
            "{config}: {err}"
        );
    }
    assert!(DummyGateway::create(json!({"status_delay_ms": 60_000}), fake.host()).is_ok());
}
