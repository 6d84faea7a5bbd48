//! The Omise gateway's `verify_webhook` (its rlib API, on a host with a fixed clock, the current
//! and previous webhook secrets and a canned answer to its charge re-fetch):
//! `Omise-Signature` / `Omise-Signature-Timestamp` checking, the event parsing behind it, and
//! the parsing of the re-fetched charge.
//!
//! Input: a first byte, then `signatures\0timestamp\0body\0charge`. The first byte's low two
//! bits choose the headers: the input's own, or a correct signature of the body (made here with
//! `pay_omise::sign`, at a time up to 320 s either way of the clock, with either secret) after
//! or before the input's signature text, or alone; bit 2 the secret, bit 7 whether the charge
//! answer is HTTP 200 or 404. The answer must agree with the scheme as Omise documents it
//! (`hpcb_fuzz::gateway::omise_scheme_check`), Omise is asked only about authentic
//! deliveries, and only for one charge (`GET /charges/<id>`, the id one path segment that is not
//! empty, `.` or `..`).

#![no_main]

use hpcb_fuzz::gateway::{assert_answer, host, mac, omise_scheme_check, NOW_S};
use hpcb_plugin_pay_omise::OmiseGateway;
use hpcb_plugin_sdk::{json, Plugin};
use libfuzzer_sys::fuzz_target;

/// `secret-key-for-tests` and `previous-key-for-tests`, base64 as Omise's dashboard shows them.
const CURRENT: (&str, &[u8]) = ("c2VjcmV0LWtleS1mb3ItdGVzdHM=", b"secret-key-for-tests");
const PREVIOUS: (&str, &[u8]) = ("cHJldmlvdXMta2V5LWZvci10ZXN0cw==", b"previous-key-for-tests");
const API: &str = "https://api.omise.co";

fuzz_target!(|data: &[u8]| {
    let (control, rest) = hpcb_fuzz::control(data);
    let [given, given_timestamp, body, charge] = hpcb_fuzz::parts::<4>(rest);
    let (secret, key) = if control & 4 == 0 { CURRENT } else { PREVIOUS };
    let at = NOW_S + (i64::from(control >> 3 & 15) - 8) * 40;
    let signature = pay_omise_sign(secret, key, at, &body);
    let (signatures, timestamp) = match control & 3 {
        0 => (given, given_timestamp),
        1 => (format!("{signature},{given}"), at.to_string()),
        2 => (format!("{given},{signature}"), at.to_string()),
        _ => (signature, at.to_string()),
    };
    let status = if control & 128 == 0 { 200 } else { 404 };

    let secrets = [
        ("webhook_secret", CURRENT.0.to_owned()),
        ("webhook_secret_previous", PREVIOUS.0.to_owned()),
        ("api_key", "skey_test_fuzz".to_owned()),
    ];
    let (host, requests) = host(&secrets, Some((status, charge)));
    let mut gateway = OmiseGateway::create(json!({ "api_base": API }), host).expect("valid settings");
    let delivery = json!({
        "headers": {
            "content-type": "application/json",
            "omise-signature": signatures,
            "omise-signature-timestamp": timestamp,
        },
        "body": body,
    });
    let trusted = omise_scheme_check(&signatures, &timestamp, &body, &[CURRENT.1, PREVIOUS.1]) == Some(true);
    let what = (&signatures, &timestamp, &body);
    match gateway.call("verify_webhook", delivery) {
        Ok(answer) => assert_answer(&answer, trusted, &what),
        // only the re-fetch of the charge may fail, and only an authentic delivery gets there
        Err(err) => assert!(trusted, "verify_webhook failed ({err:?}) on a delivery that is not authentic: {what:?}"),
    }
    let requests = requests.lock().expect("lock");
    assert!(trusted || requests.is_empty(), "Omise was asked about a delivery that is not authentic: {what:?}");
    for request in requests.iter() {
        assert_eq!(request["method"], "GET");
        let url = request["url"].as_str().unwrap_or_default();
        let id = url.strip_prefix(API).and_then(|path| path.strip_prefix("/charges/"));
        // one path segment, and neither `.` nor `..`, which URL parsers remove with the
        // segment before them (`/charges/..` is a GET of the API's root)
        assert!(
            id.is_some_and(|id| !matches!(id, "" | "." | "..") && !id.contains(['/', '?', '#', '\\'])),
            "the charge re-fetch left GET /charges/<id>: {url}"
        );
    }
});

/// The plugin's own signer, checked against the scheme's MAC computed here.
fn pay_omise_sign(secret: &str, key: &[u8], at: i64, body: &str) -> String {
    let signature = hpcb_plugin_pay_omise::sign(secret, at, body).expect("the secret is base64");
    assert_eq!(signature, hex::encode(mac(key, &at.to_string(), body)));
    signature
}
