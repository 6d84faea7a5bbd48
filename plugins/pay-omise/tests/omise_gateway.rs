//! The `omise` plugin in-process, against a fake host that plays Omise's API with canned
//! responses and a fixed clock.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use hpcb_plugin_pay_omise::{sign, OmiseGateway, OMISE_VERSION};
use hpcb_plugin_sdk::{json, Host, Plugin, PluginError, PluginKind, Value};
use sha2::Sha256;

const NOW_MS: i64 = 1_767_225_600_500;
const NOW_S: i64 = 1_767_225_600;
const API_KEY: &str = "skey_test_5omisesecretkey";
/// base64 of `omise webhook key: current \0\xff\x10`.
const WEBHOOK_SECRET: &str = "b21pc2Ugd2ViaG9vayBrZXk6IGN1cnJlbnQgAP8Q";
/// base64 of `omise webhook key: previous \x01\xfe` (with a `+`).
const WEBHOOK_SECRET_OLD: &str = "b21pc2Ugd2ViaG9vayBrZXk6IHByZXZpb3VzIAH+";
const API: &str = "https://omise.test";
const CHARGE_URL: &str = "https://omise.test/charges/chrg_test_1";

struct FakeOmise {
    secrets: BTreeMap<&'static str, &'static str>,
    routes: Mutex<BTreeMap<String, (u16, String)>>,
    requests: Mutex<Vec<Value>>,
    transport_error: Option<PluginError>,
}

impl FakeOmise {
    fn new() -> Arc<FakeOmise> {
        Self::with_secrets(&[("api_key", API_KEY), ("webhook_secret", WEBHOOK_SECRET)])
    }

    fn with_secrets(secrets: &[(&'static str, &'static str)]) -> Arc<FakeOmise> {
        Arc::new(FakeOmise {
            secrets: secrets.iter().copied().collect(),
            routes: Mutex::new(BTreeMap::new()),
            requests: Mutex::new(Vec::new()),
            transport_error: None,
        })
    }

    fn route(&self, method: &str, url: &str, status: u16, body: &Value) {
        self.routes
            .lock()
            .expect("lock")
            .insert(format!("{method} {url}"), (status, body.to_string()));
    }

    fn host(self: &Arc<FakeOmise>) -> Host {
        let fake = Arc::clone(self);
        Host::from_fn(move |capability, request| match capability {
            "now" => Ok(json!({ "unix_ms": NOW_MS })),
            "secret" => {
                let name = request["name"].as_str().unwrap_or_default();
                match fake.secrets.get(name) {
                    Some(value) => Ok(json!({ "value": value })),
                    None => Err(PluginError::new("denied", format!("secret {name} is not configured"))),
                }
            }
            "http" => {
                fake.requests.lock().expect("lock").push(request.clone());
                if let Some(err) = &fake.transport_error {
                    return Err(err.clone());
                }
                let key = format!(
                    "{} {}",
                    request["method"].as_str().unwrap_or_default(),
                    request["url"].as_str().unwrap_or_default()
                );
                match fake.routes.lock().expect("lock").get(&key) {
                    Some((status, body)) => Ok(json!({"status": status, "headers": {}, "body": body})),
                    None => Err(PluginError::new("io", format!("no route for {key}"))),
                }
            }
            other => Err(PluginError::new("unknown_capability", other)),
        })
    }

    fn requests(&self) -> Vec<Value> {
        self.requests.lock().expect("lock").clone()
    }
}

fn gateway(fake: &Arc<FakeOmise>) -> OmiseGateway {
    OmiseGateway::create(json!({"api_base": API}), fake.host()).expect("valid settings")
}

fn basic_auth() -> String {
    format!("Basic {}", BASE64.encode(format!("{API_KEY}:")))
}

/// A charge as Omise 2019-05-29 answers it.
fn charge(status: &str, paid: bool) -> Value {
    json!({
        "object": "charge",
        "id": "chrg_test_1",
        "livemode": false,
        "amount": 12345,
        "currency": "THB",
        "status": status,
        "paid": paid,
        "authorized": paid,
        "refunded_amount": 0,
        "authorize_uri": "https://pay.omise.co/payments/pay2_test_1/authorize",
        "return_uri": "https://billing.example/payments/return/pay_3f9c",
        "expires_at": "2026-01-02T00:00:00Z",
        "failure_code": null,
        "failure_message": null,
        "metadata": {"payment_id": "pay_3f9c"},
        "source": {
            "object": "source",
            "id": "src_test_1",
            "type": "promptpay",
            "flow": "offline",
            "scannable_code": {
                "object": "barcode",
                "type": "qr",
                "image": {"object": "document", "download_uri": "https://api.omise.co/charges/chrg_test_1/documents/docu_test_1/downloads/QR"}
            }
        }
    })
}

fn checkout_request() -> Value {
    json!({
        "payment_id": "pay_3f9c", "amount_minor": 12345, "currency": "THB",
        "description": "Receipt INV-2026-000123", "server_url": "https://billing.example",
        "return_url": "https://billing.example/payments/return/pay_3f9c",
        "cancel_url": "https://billing.example/payments/return/pay_3f9c?cancelled=1",
        "idempotency_key": "pay_3f9c-1", "customer_email": "alice@example.org", "expires_at_ms": null,
    })
}

/// An independent Omise signer: hex HMAC-SHA256 keyed with the base64-decoded secret.
fn omise_signature(secret_b64: &str, t: i64, body: &str) -> String {
    let key = BASE64.decode(secret_b64).expect("base64");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
    mac.update(format!("{t}.{body}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn delivery(signature: Option<&str>, timestamp: Option<i64>, body: &str) -> Value {
    let mut headers = json!({"content-type": "application/json"});
    if let Some(signature) = signature {
        headers["omise-signature"] = json!(signature);
    }
    if let Some(timestamp) = timestamp {
        headers["omise-signature-timestamp"] = json!(timestamp.to_string());
    }
    json!({"headers": headers, "body": body})
}

fn signed(body: &str) -> Value {
    delivery(Some(&omise_signature(WEBHOOK_SECRET, NOW_S, body)), Some(NOW_S), body)
}

fn event(key: &str, data: Value) -> String {
    json!({"object": "event", "id": "evnt_test_1", "livemode": false, "key": key,
           "created_at": "2026-01-01T00:00:00Z", "data": data})
    .to_string()
}

#[test]
fn info_names_the_plugin_omise() {
    let info = OmiseGateway::info();
    assert_eq!(info.id, "omise");
    assert_eq!(info.kind, PluginKind::PaymentGateway);
}

#[test]
fn create_checkout_makes_a_promptpay_source_then_a_charge() {
    let fake = FakeOmise::new();
    fake.route(
        "POST",
        "https://omise.test/sources",
        200,
        &json!({"object": "source", "id": "src_test_1", "type": "promptpay", "flow": "offline",
                "amount": 12345, "currency": "THB", "scannable_code": null}),
    );
    fake.route("POST", "https://omise.test/charges", 200, &charge("pending", false));
    let mut plugin = gateway(&fake);
    let answer = plugin.call("create_checkout", checkout_request()).expect("checkout");
    assert_eq!(
        answer,
        json!({
            "external_id": "chrg_test_1",
            "checkout_url": "https://pay.omise.co/payments/pay2_test_1/authorize",
            "qr_image_url": "https://api.omise.co/charges/chrg_test_1/documents/docu_test_1/downloads/QR",
            "client_secret": null,
            "status": "pending",
            "expires_at_ms": 1_767_312_000_000_i64,
        })
    );
    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    let common = |key: &str| {
        json!({
            "authorization": basic_auth(),
            "content-type": "application/x-www-form-urlencoded",
            "idempotency-key": key,
            "omise-version": OMISE_VERSION,
        })
    };
    assert_eq!(requests[0]["method"], "POST");
    assert_eq!(requests[0]["url"], "https://omise.test/sources");
    assert_eq!(requests[0]["headers"], common("pay_3f9c-1-source"));
    assert_eq!(requests[0]["body"], "type=promptpay&amount=12345&currency=THB");
    assert_eq!(requests[1]["method"], "POST");
    assert_eq!(requests[1]["url"], "https://omise.test/charges");
    assert_eq!(requests[1]["headers"], common("pay_3f9c-1-charge"));
    assert_eq!(
        requests[1]["body"],
        "amount=12345&currency=THB&source=src_test_1\
         &return_uri=https%3A%2F%2Fbilling.example%2Fpayments%2Freturn%2Fpay_3f9c\
         &metadata[payment_id]=pay_3f9c&description=Receipt%20INV-2026-000123"
    );
    assert_eq!(OMISE_VERSION, "2019-05-29");
}

#[test]
fn another_source_type_without_a_qr_code_answers_the_page_only() {
    let fake = FakeOmise::new();
    fake.route("POST", "https://omise.test/sources", 200, &json!({"id": "src_test_2"}));
    let mut redirect = charge("pending", false);
    redirect["source"] = json!({"id": "src_test_2", "type": "mobile_banking_scb", "scannable_code": null});
    redirect["expires_at"] = Value::Null;
    fake.route("POST", "https://omise.test/charges", 200, &redirect);
    let mut plugin = OmiseGateway::create(
        json!({"api_base": "https://omise.test/", "source_type": "mobile_banking_scb"}),
        fake.host(),
    )
    .expect("settings");
    let answer = plugin.call("create_checkout", checkout_request()).expect("checkout");
    assert_eq!(answer["qr_image_url"], Value::Null);
    assert_eq!(answer["expires_at_ms"], Value::Null);
    assert_eq!(
        answer["checkout_url"],
        "https://pay.omise.co/payments/pay2_test_1/authorize"
    );
    assert_eq!(
        fake.requests()[0]["body"],
        "type=mobile_banking_scb&amount=12345&currency=THB"
    );
}

#[test]
fn gateway_errors_declines_and_transport_failures() {
    // an API error: Omise's code and message
    let fake = FakeOmise::new();
    fake.route(
        "POST",
        "https://omise.test/sources",
        400,
        &json!({"object": "error", "location": "https://www.omise.co/api-errors#invalid-source",
                "code": "invalid_source", "message": "currency is not supported"}),
    );
    let err = gateway(&fake)
        .call("create_checkout", checkout_request())
        .expect_err("refused");
    assert_eq!(err.code, "gateway");
    assert_eq!(
        err.message,
        "Omise answered POST /sources with HTTP 400: invalid_source currency is not supported"
    );
    assert_eq!(fake.requests().len(), 1, "no charge after a failed source");

    // a charge declined at once is a gateway error too
    let fake = FakeOmise::new();
    fake.route("POST", "https://omise.test/sources", 200, &json!({"id": "src_test_1"}));
    let mut declined = charge("failed", false);
    declined["failure_code"] = json!("payment_rejected");
    declined["failure_message"] = json!("the payment was rejected by the issuer");
    fake.route("POST", "https://omise.test/charges", 200, &declined);
    let err = gateway(&fake)
        .call("create_checkout", checkout_request())
        .expect_err("declined");
    assert_eq!(err.code, "gateway");
    assert_eq!(
        err.message,
        "Omise declined charge chrg_test_1: payment_rejected the payment was rejected by the issuer"
    );

    // transport failures keep the host's code
    let fake = Arc::new(FakeOmise {
        transport_error: Some(PluginError::new("io", "connection refused")),
        ..Arc::try_unwrap(FakeOmise::new()).ok().expect("sole owner")
    });
    let err = gateway(&fake)
        .call("fetch_status", json!({"external_id": "chrg_test_1"}))
        .expect_err("io");
    assert_eq!(err.code, "io");

    // no API key: denied, nothing sent
    let fake = FakeOmise::with_secrets(&[("webhook_secret", WEBHOOK_SECRET)]);
    let err = gateway(&fake)
        .call("fetch_status", json!({"external_id": "chrg_test_1"}))
        .expect_err("denied");
    assert_eq!(err.code, "denied");
    assert!(fake.requests().is_empty());
}

const CHARGE_STATES: [(&str, bool, &str); 7] = [
    ("successful", true, "succeeded"),
    ("successful", false, "pending"),
    ("pending", false, "pending"),
    ("failed", false, "failed"),
    ("expired", false, "expired"),
    ("reversed", false, "failed"),
    ("some_future_state", false, "pending"),
];

#[test]
fn fetch_status_maps_every_charge_state() {
    for (status, paid, expected) in CHARGE_STATES {
        let fake = FakeOmise::new();
        fake.route("GET", CHARGE_URL, 200, &charge(status, paid));
        let answer = gateway(&fake)
            .call("fetch_status", json!({"external_id": "chrg_test_1"}))
            .expect("status");
        assert_eq!(
            answer,
            json!({"external_id": "chrg_test_1", "status": expected, "amount_minor": 12345, "currency": "THB",
                   "payment_id": "pay_3f9c"}),
            "{status} paid={paid}"
        );
        let request = &fake.requests()[0];
        assert_eq!(request["method"], "GET");
        assert_eq!(request["headers"]["authorization"], basic_auth());
        assert_eq!(request["headers"]["omise-version"], OMISE_VERSION);
        assert!(request["headers"].get("idempotency-key").is_none());
    }
    let fake = FakeOmise::new();
    let err = gateway(&fake)
        .call("fetch_status", json!({"external_id": "../account"}))
        .expect_err("not a charge");
    assert!(err.is("bad_request"), "{err}");
    assert!(fake.requests().is_empty());
}

#[test]
fn refunds_post_to_the_charge() {
    for (omise_status, expected) in [
        (json!("closed"), "succeeded"),
        (Value::Null, "succeeded"),
        (json!("pending"), "pending"),
        (json!("failed"), "failed"),
    ] {
        let fake = FakeOmise::new();
        let mut refund = json!({"object": "refund", "id": "rfnd_test_1", "amount": 500, "currency": "THB",
                                "charge": "chrg_test_1", "voided": false});
        if !omise_status.is_null() {
            refund["status"] = omise_status.clone();
        }
        fake.route("POST", "https://omise.test/charges/chrg_test_1/refunds", 200, &refund);
        let answer = gateway(&fake)
            .call(
                "refund",
                json!({"external_id": "chrg_test_1", "amount_minor": 500, "currency": "THB",
                       "idempotency_key": "refund_17", "reason": "duplicate"}),
            )
            .expect("refund");
        assert_eq!(
            answer,
            json!({"refund_id": "rfnd_test_1", "status": expected, "amount_minor": 500}),
            "{omise_status}"
        );
        let request = &fake.requests()[0];
        assert_eq!(request["method"], "POST");
        assert_eq!(request["headers"]["idempotency-key"], "refund_17");
        assert_eq!(request["headers"]["authorization"], basic_auth());
        assert_eq!(request["body"], "amount=500&metadata[reason]=duplicate");
    }
}

#[test]
fn verified_events_describe_the_refetched_charge() {
    // the webhook's copy says pending and 1 satang; Omise now says paid and ฿123.45
    let mut stale_copy = charge("pending", false);
    stale_copy["amount"] = json!(1);
    stale_copy["metadata"] = json!({"payment_id": "pay_forged"});
    for (status, paid, expected) in CHARGE_STATES {
        let fake = FakeOmise::new();
        let mut fetched = charge(status, paid);
        fetched["refunded_amount"] = json!(0);
        fake.route("GET", CHARGE_URL, 200, &fetched);
        let answer = gateway(&fake)
            .call("verify_webhook", signed(&event("charge.complete", stale_copy.clone())))
            .expect("verified");
        assert_eq!(
            answer,
            json!({"verified": true, "event_id": "evnt_test_1", "event_type": "charge.complete",
                   "payment_id": "pay_3f9c", "external_id": "chrg_test_1", "status": expected,
                   "amount_minor": 12345, "currency": "THB", "refunded_minor": 0}),
            "{status} paid={paid}"
        );
        let requests = fake.requests();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0]["method"], "GET");
        assert_eq!(requests[0]["url"], CHARGE_URL);
    }
}

#[test]
fn refund_dispute_and_unrelated_events() {
    let mut refunded = charge("successful", true);
    refunded["refunded_amount"] = json!(500);
    let cases = [
        (
            "refund.create",
            json!({"object": "refund", "id": "rfnd_test_1", "amount": 500, "charge": "chrg_test_1"}),
            "refunded",
        ),
        (
            "dispute.create",
            json!({"object": "dispute", "id": "dspt_test_1", "amount": 12345, "charge": "chrg_test_1"}),
            "disputed",
        ),
        (
            // an expanded charge works as well as its id
            "refund.create",
            json!({"object": "refund", "id": "rfnd_test_2", "charge": {"object": "charge", "id": "chrg_test_1"}}),
            "refunded",
        ),
        ("charge.create", charge("pending", false), "succeeded"),
    ];
    for (key, data, expected) in cases {
        let fake = FakeOmise::new();
        fake.route("GET", CHARGE_URL, 200, &refunded);
        let answer = gateway(&fake)
            .call("verify_webhook", signed(&event(key, data)))
            .expect("verified");
        assert_eq!(
            answer,
            json!({"verified": true, "event_id": "evnt_test_1", "event_type": key, "payment_id": "pay_3f9c",
                   "external_id": "chrg_test_1", "status": expected, "amount_minor": 12345,
                   "currency": "THB", "refunded_minor": 500}),
            "{key}"
        );
        assert_eq!(fake.requests().len(), 1, "{key} re-fetches the charge");
    }
    for (key, data) in [
        ("customer.create", json!({"object": "customer", "id": "cust_test_1"})),
        (
            "dispute.close",
            json!({"object": "dispute", "id": "dspt_test_1", "charge": "chrg_test_1"}),
        ),
        (
            "transfer.destroy",
            json!({"object": "transfer", "id": "trsf_test_1", "deleted": true}),
        ),
    ] {
        let fake = FakeOmise::new();
        let answer = gateway(&fake)
            .call("verify_webhook", signed(&event(key, data)))
            .expect("verified");
        assert_eq!(
            answer,
            json!({"verified": true, "event_id": "evnt_test_1", "event_type": key, "payment_id": null,
                   "external_id": null, "status": null, "amount_minor": null, "currency": null,
                   "refunded_minor": null}),
            "{key}"
        );
        assert!(fake.requests().is_empty(), "{key} needs no charge");
    }
    // a charge event whose charge cannot be fetched: the gateway's error
    let fake = FakeOmise::new();
    fake.route(
        "GET",
        CHARGE_URL,
        404,
        &json!({"object": "error", "code": "not_found", "message": "charge chrg_test_1 was not found"}),
    );
    let err = gateway(&fake)
        .call(
            "verify_webhook",
            signed(&event("charge.complete", charge("successful", true))),
        )
        .expect_err("not found");
    assert_eq!(err.code, "gateway");
    assert!(
        err.message.contains("not_found charge chrg_test_1 was not found"),
        "{err}"
    );
    // validly signed, but not an Omise event, or an event about a charge without its id: an
    // answer (refused with the reason), not an error, so the server refuses it instead of
    // asking for retries; nothing is fetched
    for (body, why) in [
        (
            "<html>".to_owned(),
            "not an Omise event: expected value at line 1 column 1",
        ),
        (
            json!({"object": "charge", "id": "chrg_test_1", "key": "x", "data": {}}).to_string(),
            "an Omise \"charge\", not an event",
        ),
        (
            event("refund.create", json!({"object": "refund", "id": "rfnd_1"})),
            "Omise event evnt_test_1 (refund.create) names no charge",
        ),
    ] {
        let fake = FakeOmise::new();
        let answer = gateway(&fake).call("verify_webhook", signed(&body)).expect("an answer");
        assert_eq!(
            answer,
            json!({"verified": false, "reason": format!("signature valid, but the body is unusable: {why}")}),
            "{body}"
        );
        assert!(fake.requests().is_empty(), "{body}");
    }
}

fn reason(fake: &Arc<FakeOmise>, request: Value) -> String {
    let answer = gateway(fake).call("verify_webhook", request).expect("an answer");
    assert_eq!(answer["verified"], false, "{answer}");
    assert!(
        fake.requests().is_empty(),
        "nothing is fetched for an unverified delivery"
    );
    answer["reason"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn forged_tampered_stale_and_unsigned_deliveries_are_refused() {
    let fake = FakeOmise::new();
    let body = event("charge.complete", charge("successful", true));
    let good = omise_signature(WEBHOOK_SECRET, NOW_S, &body);
    let no_match = "no Omise-Signature matches";
    assert_eq!(
        reason(&fake, delivery(Some(&"e".repeat(64)), Some(NOW_S), &body)),
        no_match
    );
    let foreign = omise_signature("c29tZW9uZSBlbHNl", NOW_S, &body);
    assert_eq!(reason(&fake, delivery(Some(&foreign), Some(NOW_S), &body)), no_match);
    // Stripe's way (the secret's text as key) is not Omise's
    let mut text_keyed = Hmac::<Sha256>::new_from_slice(WEBHOOK_SECRET.as_bytes()).expect("key");
    text_keyed.update(format!("{NOW_S}.{body}").as_bytes());
    let text_keyed = hex::encode(text_keyed.finalize().into_bytes());
    assert_eq!(reason(&fake, delivery(Some(&text_keyed), Some(NOW_S), &body)), no_match);
    let tampered = body.replace("12345", "12346");
    assert_eq!(reason(&fake, delivery(Some(&good), Some(NOW_S), &tampered)), no_match);
    assert_eq!(reason(&fake, delivery(Some(&good), Some(NOW_S + 1), &body)), no_match);

    let stale = omise_signature(WEBHOOK_SECRET, NOW_S - 301, &body);
    assert_eq!(
        reason(&fake, delivery(Some(&stale), Some(NOW_S - 301), &body)),
        "timestamp outside the tolerance zone (301 s old, tolerance 300 s)"
    );
    assert_eq!(
        reason(&fake, delivery(Some(&good), None, &body)),
        "missing Omise-Signature-Timestamp header"
    );
    assert_eq!(
        reason(&fake, delivery(None, Some(NOW_S), &body)),
        "missing Omise-Signature header"
    );
    assert_eq!(
        reason(&fake, delivery(Some("sha256=abc"), Some(NOW_S), &body)),
        "Omise-Signature holds no hex HMAC-SHA256 signature"
    );
    let mut odd_time = delivery(Some(&good), None, &body);
    odd_time["headers"]["omise-signature-timestamp"] = json!("1767225600.0");
    assert_eq!(reason(&fake, odd_time), "Omise-Signature-Timestamp is not a Unix time");

    // the future too: a delivery stamped ahead would stay replayable for as long as it is early
    let ahead = omise_signature(WEBHOOK_SECRET, NOW_S + 301, &body);
    assert_eq!(
        reason(&fake, delivery(Some(&ahead), Some(NOW_S + 301), &body)),
        "timestamp outside the tolerance zone (301 s in the future, tolerance 300 s)"
    );
    for t in [NOW_S - 300, NOW_S + 290, NOW_S + 300] {
        let fake = FakeOmise::new();
        fake.route("GET", CHARGE_URL, 200, &charge("successful", true));
        let signature = omise_signature(WEBHOOK_SECRET, t, &body);
        let answer = gateway(&fake)
            .call("verify_webhook", delivery(Some(&signature), Some(t), &body))
            .expect("verified");
        assert_eq!(answer["verified"], true, "t = now {:+}", t - NOW_S);
    }
}

#[test]
fn rotation_accepts_either_signature_and_either_secret() {
    let body = event("charge.complete", charge("successful", true));
    let fake = FakeOmise::with_secrets(&[
        ("api_key", API_KEY),
        ("webhook_secret", WEBHOOK_SECRET),
        ("webhook_secret_previous", WEBHOOK_SECRET_OLD),
    ]);
    fake.route("GET", CHARGE_URL, 200, &charge("successful", true));
    let mut plugin = gateway(&fake);
    let good = omise_signature(WEBHOOK_SECRET, NOW_S, &body);
    for list in [
        format!("{},{good}", "0".repeat(64)),
        format!("{good}, {}", "1".repeat(64)),
    ] {
        let answer = plugin
            .call("verify_webhook", delivery(Some(&list), Some(NOW_S), &body))
            .expect("verified");
        assert_eq!(answer["verified"], true, "{list}");
    }
    let old = omise_signature(WEBHOOK_SECRET_OLD, NOW_S, &body);
    let answer = plugin
        .call("verify_webhook", delivery(Some(&old), Some(NOW_S), &body))
        .expect("verified");
    assert_eq!(answer["verified"], true);
    // the plugin's signer, for test peers, agrees with the independent one
    assert_eq!(sign(WEBHOOK_SECRET_OLD, NOW_S, &body), Some(old.clone()));

    // without the previous secret, its signatures stop verifying
    assert_eq!(
        reason(&FakeOmise::new(), delivery(Some(&old), Some(NOW_S), &body)),
        "no Omise-Signature matches"
    );
    assert_eq!(
        reason(&FakeOmise::with_secrets(&[("api_key", API_KEY)]), signed(&body)),
        "no webhook secret configured (secret webhook_secret)"
    );
    let fake = FakeOmise::with_secrets(&[("api_key", API_KEY), ("webhook_secret", "not base64 at all!")]);
    assert_eq!(
        reason(&fake, signed(&body)),
        "secret webhook_secret is not base64 (Omise webhook secrets are)"
    );
}

#[test]
fn settings_are_checked_and_unknown_fields_refused() {
    let fake = FakeOmise::new();
    assert!(OmiseGateway::create(Value::Null, fake.host()).is_ok());
    for (config, field) in [
        (json!({"public_key": "pkey_x"}), "public_key"),
        (json!({"omise_version": "2019-05-29"}), "omise_version"),
        (json!({"tolerance_secs": 1.5}), "tolerance_secs"),
        (json!({"tolerance_secs": 0}), "tolerance_secs"),
        (json!({"source_type": "Prompt Pay"}), "source_type"),
        (json!({"source_type": ""}), "source_type"),
        (json!({"api_base": "ftp://omise.test"}), "api_base"),
    ] {
        let err = OmiseGateway::create(config.clone(), fake.host())
            .err()
            .expect("refused");
        assert!(err.is("bad_request") && err.message.contains(field), "{config}: {err}");
    }
}

#[test]
fn unknown_methods_malformed_requests_and_no_secret_in_any_error() {
    let fake = FakeOmise::with_secrets(&[
        ("api_key", API_KEY),
        ("webhook_secret", WEBHOOK_SECRET),
        ("webhook_secret_previous", WEBHOOK_SECRET_OLD),
    ]);
    // a proxy that echoes the Authorization header back
    fake.route(
        "POST",
        "https://omise.test/sources",
        401,
        &json!({"object": "error", "code": "authentication_failure",
                "message": format!("authentication failed for {API_KEY}")}),
    );
    fake.route("GET", CHARGE_URL, 500, &json!(format!("upstream said {API_KEY}")));
    let mut plugin = gateway(&fake);
    assert!(plugin
        .call("sign_event", json!({}))
        .expect_err("unknown")
        .is("unknown_method"));
    let mut texts = Vec::new();
    let mut push = |result: Result<Value, PluginError>| match result {
        Ok(answer) => texts.push(answer.to_string()),
        Err(err) => texts.push(err.to_string()),
    };
    push(plugin.call("create_checkout", checkout_request()));
    push(plugin.call("fetch_status", json!({"external_id": "chrg_test_1"})));
    push(plugin.call("create_checkout", json!({"payment_id": 7})));
    let body = event("charge.complete", charge("successful", true));
    for signature in [WEBHOOK_SECRET, WEBHOOK_SECRET_OLD, "0"] {
        push(plugin.call("verify_webhook", delivery(Some(signature), Some(NOW_S), &body)));
    }
    push(plugin.call("verify_webhook", signed(&body)));
    assert_eq!(texts.len(), 7);
    for text in &texts {
        for secret in [API_KEY, WEBHOOK_SECRET, WEBHOOK_SECRET_OLD] {
            assert!(!text.contains(secret), "{secret:?} leaked in {text:?}");
        }
    }
    assert!(texts[0].contains("authentication_failure"), "{}", texts[0]);
}
