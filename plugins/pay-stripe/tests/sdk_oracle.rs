//! Stripe's official Node SDK as an independent peer: deliveries it signs must verify in the
//! plugin, and headers the plugin's signer makes must verify in the SDK, with the same verdicts
//! on rotation, tampering and expiry; only a timestamp more than the tolerance in the future is
//! refused by the plugin and accepted by the SDK. The SDK (`tests/node`, `npm ci --prefix tests/node`)
//! reads the real clock, so these tests give the plugin the real clock too.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use hpcb_plugin_pay_stripe::{sign_header, StripeGateway};
use hpcb_plugin_sdk::{json, Host, Plugin, PluginError, Value};

const WHSEC: &str = "whsec_oracle_current_4f1c";
const WHSEC_OLD: &str = "whsec_oracle_previous_9a2e";

/// `tests/node` when Stripe's SDK is installed there; `None` (test skipped) otherwise, except
/// under CI, where a missing SDK is a failure.
fn node_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/node");
    if dir.join("node_modules").join("stripe").exists() {
        return Some(dir);
    }
    hpcb_tests::skip(
        "npm peers",
        "tests/node/node_modules/stripe is missing; run `npm ci --prefix tests/node`",
    );
    None
}

/// Runs the oracle with `payload` on stdin; (exit status success, first stdout line).
fn oracle(dir: &Path, args: &[&str], payload: &str) -> (bool, String) {
    let mut child = Command::new("node")
        .arg(dir.join("stripe-oracle.mjs"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run node");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(payload.as_bytes())
        .expect("write payload");
    let output = child.wait_with_output().expect("node finished");
    let stdout = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    assert!(
        output.status.code().is_some_and(|code| code <= 1),
        "oracle failed to run: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), stdout)
}

fn sdk_sign(dir: &Path, secret: &str, t: i64, payload: &str) -> String {
    let (ok, header) = oracle(dir, &["sign", secret, &t.to_string()], payload);
    assert!(ok && header.starts_with(&format!("t={t},v1=")), "{header}");
    header
}

fn sdk_verify(dir: &Path, secret: &str, header: &str, tolerance: u64, payload: &str) -> (bool, String) {
    oracle(dir, &["verify", secret, header, &tolerance.to_string()], payload)
}

fn now_s() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970");
    i64::try_from(since.as_secs()).expect("fits")
}

/// A host with the real clock and both webhook secrets.
fn plugin(previous: bool) -> StripeGateway {
    let previous = Arc::new(previous);
    let host = Host::from_fn(move |capability, request| match capability {
        "now" => {
            let ms = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .expect("after 1970")
                .as_millis();
            Ok(json!({ "unix_ms": i64::try_from(ms).expect("fits") }))
        }
        "secret" => match request["name"].as_str() {
            Some("webhook_secret") => Ok(json!({ "value": WHSEC })),
            Some("webhook_secret_previous") if *previous => Ok(json!({ "value": WHSEC_OLD })),
            _ => Err(PluginError::new("denied", "not configured")),
        },
        other => Err(PluginError::new("unknown_capability", other)),
    });
    StripeGateway::create(json!({"tolerance_secs": 300}), host).expect("valid settings")
}

fn verify_in_plugin(plugin: &mut StripeGateway, header: &str, body: &str) -> Value {
    plugin
        .call(
            "verify_webhook",
            json!({"headers": {"stripe-signature": header}, "body": body}),
        )
        .expect("an answer")
}

/// A delivery as Stripe formats it: pretty-printed, non-ASCII text included.
fn payload() -> String {
    serde_json::to_string_pretty(&json!({
        "id": "evt_1Oracle",
        "object": "event",
        "type": "checkout.session.completed",
        "data": {"object": {
            "id": "cs_test_oracle", "object": "checkout.session", "status": "complete",
            "payment_status": "paid", "amount_total": 12345, "currency": "thb",
            "client_reference_id": "pay_3f9c", "metadata": {"payment_id": "pay_3f9c",
            "note": "ค่าบริการ HPC ฿123.45"}
        }}
    }))
    .expect("json")
}

fn bad_v1() -> String {
    "0123456789abcdef".repeat(4)
}

#[test]
fn deliveries_signed_by_stripes_sdk_verify_in_the_plugin() {
    let Some(dir) = node_dir() else { return };
    let body = payload();
    let now = now_s();
    let mut plugin = plugin(false);

    let header = sdk_sign(&dir, WHSEC, now, &body);
    let answer = verify_in_plugin(&mut plugin, &header, &body);
    assert_eq!(answer["verified"], true, "{answer}");
    assert_eq!(answer["event_id"], "evt_1Oracle");
    assert_eq!(answer["status"], "succeeded");
    assert_eq!(answer["amount_minor"], 12345);

    // the same bytes: our signer and the SDK agree exactly
    assert_eq!(sign_header(WHSEC, now, &body), header);

    // rotation: a stale v1 first, the good one second
    let good = header.split_once(",v1=").expect("v1").1;
    let rotated = format!("t={now},v1={},v1={good}", bad_v1());
    assert_eq!(verify_in_plugin(&mut plugin, &rotated, &body)["verified"], true);
    assert!(
        sdk_verify(&dir, WHSEC, &rotated, 300, &body).0,
        "the SDK agrees on rotation"
    );

    // tampered body, wrong secret: refused by both
    let tampered = body.replace("12345", "12346");
    assert_eq!(verify_in_plugin(&mut plugin, &header, &tampered)["verified"], false);
    assert!(!sdk_verify(&dir, WHSEC, &header, 300, &tampered).0);
    let foreign = sdk_sign(&dir, "whsec_someone_else", now, &body);
    assert_eq!(
        verify_in_plugin(&mut plugin, &foreign, &body)["reason"],
        "no v1 signature matches"
    );

    // expiry, tolerance 300: now-301 refused, now-290 accepted, by both
    let expired = sdk_sign(&dir, WHSEC, now - 301, &body);
    let answer = verify_in_plugin(&mut plugin, &expired, &body);
    assert_eq!(answer["verified"], false);
    assert!(
        answer["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("timestamp outside the tolerance zone")),
        "{answer}"
    );
    let (ok, verdict) = sdk_verify(&dir, WHSEC, &expired, 300, &body);
    assert!(
        !ok && verdict == "FAIL Timestamp outside the tolerance zone",
        "{verdict}"
    );
    let recent = sdk_sign(&dir, WHSEC, now - 290, &body);
    assert_eq!(verify_in_plugin(&mut plugin, &recent, &body)["verified"], true);

    // dated ahead, tolerance 300: here the plugin is stricter than the SDK, which accepts any
    // future timestamp; both read the real clock, so the refused one is 310 s ahead of a clock
    // read just before (a margin for the time the oracle takes to start)
    let ahead = sdk_sign(&dir, WHSEC, now_s() + 310, &body);
    let answer = verify_in_plugin(&mut plugin, &ahead, &body);
    assert_eq!(answer["verified"], false, "{answer}");
    assert!(
        answer["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("timestamp outside the tolerance zone (")
                && r.ends_with(" s in the future, tolerance 300 s)")),
        "{answer}"
    );
    let (ok, verdict) = sdk_verify(&dir, WHSEC, &ahead, 300, &body);
    assert!(ok, "the SDK accepts a future timestamp: {verdict}");
    let soon = sdk_sign(&dir, WHSEC, now_s() + 290, &body);
    assert_eq!(verify_in_plugin(&mut plugin, &soon, &body)["verified"], true);
    assert!(sdk_verify(&dir, WHSEC, &soon, 300, &body).0);
}

#[test]
fn the_previous_secret_verifies_sdk_signed_deliveries_while_configured() {
    let Some(dir) = node_dir() else { return };
    let body = payload();
    let now = now_s();
    let header = sdk_sign(&dir, WHSEC_OLD, now, &body);
    assert_eq!(verify_in_plugin(&mut plugin(true), &header, &body)["verified"], true);
    assert_eq!(verify_in_plugin(&mut plugin(false), &header, &body)["verified"], false);
}

#[test]
fn headers_signed_by_the_plugin_verify_in_stripes_sdk() {
    let Some(dir) = node_dir() else { return };
    let body = payload();
    let now = now_s();

    let header = sign_header(WHSEC, now, &body);
    let (ok, verdict) = sdk_verify(&dir, WHSEC, &header, 300, &body);
    assert!(ok, "{verdict}");
    assert_eq!(verdict, "OK evt_1Oracle checkout.session.completed");

    let rotated = format!("{},v1={}", sign_header(WHSEC, now, &body), bad_v1());
    assert!(sdk_verify(&dir, WHSEC, &rotated, 300, &body).0);

    let (ok, verdict) = sdk_verify(&dir, "whsec_someone_else", &header, 300, &body);
    assert!(
        !ok && verdict.starts_with("FAIL No signatures found matching"),
        "{verdict}"
    );
    assert!(!sdk_verify(&dir, WHSEC, &header, 300, &format!("{body}\n")).0);

    let (ok, verdict) = sdk_verify(&dir, WHSEC, &sign_header(WHSEC, now - 301, &body), 300, &body);
    assert!(
        !ok && verdict == "FAIL Timestamp outside the tolerance zone",
        "{verdict}"
    );
    let (ok, verdict) = sdk_verify(&dir, WHSEC, &sign_header(WHSEC, now - 290, &body), 300, &body);
    assert!(ok, "{verdict}");
}
