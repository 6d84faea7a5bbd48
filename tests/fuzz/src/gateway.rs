//! What the webhook targets share: a plugin host with a fixed clock, fixed secrets and one
//! canned HTTP answer, and a reading of the signature schemes written from their documentation
//! (not the plugins' code) that says whether a delivery is authentic.

use std::sync::{Arc, Mutex};

use hmac::{Hmac, Mac};
use hpcb_plugin_sdk::{json, Host, PluginError, Value};
use sha2::Sha256;

/// The host's clock: 2027-01-15T08:00:00Z.
pub const NOW_MS: i64 = 1_800_000_000_000;
/// [`NOW_MS`] in seconds.
pub const NOW_S: i64 = NOW_MS / 1000;
/// The gateways' default `tolerance_secs`.
pub const TOLERANCE_S: i64 = 300;

/// A host for one plugin instance: `now`, `secret` (from `secrets`; others are `denied`),
/// `log`, and `http`, which answers every request with `answer` (or fails like a network
/// without a route when there is none) and records the requests.
pub fn host(secrets: &[(&'static str, String)], answer: Option<(u16, String)>) -> (Host, Arc<Mutex<Vec<Value>>>) {
    let secrets: Vec<(&'static str, String)> = secrets.to_vec();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&requests);
    let host = Host::from_fn(move |capability, request| match capability {
        "now" => Ok(json!({ "unix_ms": NOW_MS })),
        "secret" => {
            let name = request["name"].as_str().unwrap_or_default();
            match secrets.iter().find(|(n, _)| *n == name) {
                Some((_, value)) => Ok(json!({ "value": value })),
                None => Err(PluginError::new("denied", format!("secret {name} is not configured"))),
            }
        }
        "log" => Ok(json!({})),
        "http" => {
            seen.lock().map_err(|_| PluginError::other("lock"))?.push(request);
            match &answer {
                Some((status, body)) => Ok(json!({
                    "status": status,
                    "headers": {"content-type": "application/json"},
                    "body": body,
                })),
                None => Err(PluginError::new("io", "no network in the fuzzer")),
            }
        }
        other => Err(PluginError::new("unknown_capability", other)),
    });
    (host, requests)
}

type HmacSha256 = Hmac<Sha256>;

/// `HMAC-SHA256(key, "{timestamp}.{body}")`.
pub fn mac(key: &[u8], timestamp: &str, body: &str) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// A `t=<timestamp>,v1=<hex>` header of Stripe's scheme (also the dummy gateway's).
pub fn stripe_scheme_header(secret: &str, timestamp: i64, body: &str) -> String {
    let t = timestamp.to_string();
    format!("t={t},v1={}", hex::encode(mac(secret.as_bytes(), &t, body)))
}

/// Whether a delivery passes the signature check of Stripe's scheme as its SDKs document it:
/// items split at `,` and once at `=`, the last `t` is the timestamp (1 to 18 digits), every
/// `v1` a candidate that must equal the lower-case hex MAC under one of `secrets`; then the
/// timestamp within the tolerance either way of the clock. `None`: not authentic; `Some(false)`:
/// authentic, outside the tolerance; `Some(true)`: to be trusted.
pub fn stripe_scheme_check(header: &str, body: &str, secrets: &[&str]) -> Option<bool> {
    let mut timestamp = None;
    let mut v1 = Vec::new();
    for item in header.split(',') {
        match item.split_once('=') {
            Some(("t", value)) => timestamp = Some(value),
            Some(("v1", value)) => v1.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp.filter(|t| (1..=18).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit()))?;
    let authentic = secrets.iter().any(|secret| {
        let expected = hex::encode(mac(secret.as_bytes(), timestamp, body));
        v1.iter().any(|candidate| *candidate == expected)
    });
    if !authentic {
        return None;
    }
    let seconds: i64 = timestamp.parse().ok()?;
    Some((NOW_S - seconds).abs() <= TOLERANCE_S)
}

/// The same for Omise's scheme: `Omise-Signature` holds comma-separated hex MACs (surrounding
/// spaces ignored, any hex case), `Omise-Signature-Timestamp` the Unix seconds (surrounding
/// spaces ignored, digits only); the MAC is keyed with the decoded secret and taken over
/// `"{timestamp}.{body}"` with the trimmed timestamp.
pub fn omise_scheme_check(signatures: &str, timestamp: &str, body: &str, keys: &[&[u8]]) -> Option<bool> {
    let timestamp = timestamp.trim();
    if timestamp.is_empty() || !timestamp.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seconds: i64 = timestamp.parse().ok()?;
    let authentic = keys.iter().any(|key| {
        let expected = mac(key, timestamp, body);
        signatures
            .split(',')
            .map(str::trim)
            .filter(|s| s.len() == 64)
            .filter_map(|s| hex::decode(s).ok())
            .any(|candidate| candidate == expected)
    });
    if !authentic {
        return None;
    }
    Some(seconds.saturating_sub(NOW_S).abs() <= TOLERANCE_S)
}

/// The reason a gateway gives for a delivery whose signature held but whose body it cannot use.
pub const BODY_UNUSABLE: &str = "signature valid, but the body is unusable";

/// Checks a `verify_webhook` answer against what the signature check says: a delivery to be
/// trusted is verified or refused only for its body; any other is refused for its signature.
pub fn assert_answer(answer: &Value, trusted: bool, what: &dyn std::fmt::Debug) {
    let verified = answer["verified"].as_bool();
    let reason = answer["reason"].as_str().unwrap_or_default();
    match (trusted, verified) {
        (true, Some(true)) => {
            assert!(answer["event_id"].is_string(), "a verified event without an id: {answer} for {what:?}");
            assert!(answer["event_type"].is_string(), "a verified event without a type: {answer} for {what:?}");
        }
        (true, Some(false)) => assert!(
            reason.starts_with(BODY_UNUSABLE),
            "an authentic delivery refused for its signature ({reason}) for {what:?}"
        ),
        (false, Some(false)) => assert!(
            !reason.starts_with(BODY_UNUSABLE),
            "a delivery that is not authentic passed the signature check ({reason}) for {what:?}"
        ),
        (false, Some(true)) => panic!("a delivery that is not authentic was verified: {answer} for {what:?}"),
        (_, None) => panic!("verify_webhook answered without `verified`: {answer} for {what:?}"),
    }
}
