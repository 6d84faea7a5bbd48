//! The `stripe` plugin in-process, against a fake host that plays Stripe's API with canned
//! responses and a fixed clock.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use hmac::{Hmac, Mac};
use hpcb_plugin_pay_stripe::{sign_header, StripeGateway};
use hpcb_plugin_sdk::{json, Host, Plugin, PluginError, PluginKind, Value};
use sha2::Sha256;

const NOW_MS: i64 = 1_767_225_600_123;
const NOW_S: i64 = 1_767_225_600;
const API_KEY: &str = "sk_test_51SecretApiKey";
const WHSEC: &str = "whsec_current_0123456789";
const WHSEC_OLD: &str = "whsec_previous_9876543210";
const API: &str = "https://stripe.test";

/// A fake host: fixed clock, configured secrets, canned answers by `"METHOD url"`; records
/// every HTTP request.
struct FakeStripe {
    secrets: BTreeMap<&'static str, String>,
    routes: Mutex<BTreeMap<String, (u16, String)>>,
    requests: Mutex<Vec<Value>>,
    /// When set, every HTTP call fails with this transport error.
    transport_error: Option<PluginError>,
}

impl FakeStripe {
    fn new() -> Arc<FakeStripe> {
        Self::with_secrets(&[("api_key", API_KEY), ("webhook_secret", WHSEC)])
    }

    fn with_secrets(secrets: &[(&'static str, &str)]) -> Arc<FakeStripe> {
        Arc::new(FakeStripe {
            secrets: secrets.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
            routes: Mutex::new(BTreeMap::new()),
            requests: Mutex::new(Vec::new()),
            transport_error: None,
        })
    }

    fn route(&self, method: &str, url: &str, status: u16, body: Value) {
        self.routes
            .lock()
            .expect("lock")
            .insert(format!("{method} {url}"), (status, body.to_string()));
    }

    fn route_text(&self, method: &str, url: &str, status: u16, body: &str) {
        self.routes
            .lock()
            .expect("lock")
            .insert(format!("{method} {url}"), (status, body.to_owned()));
    }

    fn host(self: &Arc<FakeStripe>) -> Host {
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
            "log" => Ok(json!({})),
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
                    Some((status, body)) => Ok(json!({
                        "status": status,
                        "headers": {"content-type": "application/json"},
                        "body": body,
                    })),
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

fn gateway(fake: &Arc<FakeStripe>, settings: Value) -> StripeGateway {
    StripeGateway::create(settings, fake.host()).expect("valid settings")
}

fn checkout_request(currency: &str, amount_minor: i64) -> Value {
    json!({
        "payment_id": "pay_3f9c",
        "amount_minor": amount_minor,
        "currency": currency,
        "description": "Receipt INV-2026-000123",
        "server_url": "https://billing.example",
        "return_url": "https://billing.example/payments/return/pay_3f9c",
        "cancel_url": "https://billing.example/payments/return/pay_3f9c?cancelled=1",
        "idempotency_key": "pay_3f9c-1",
        "customer_email": "alice@example.org",
        "expires_at_ms": 1_767_229_200_000_i64,
    })
}

/// An independent Stripe signer (not the plugin's): `t=…,v1=hex(HMAC-SHA256(secret, "t.body"))`.
fn v1(secret: &str, t: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{t}.{body}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn delivery(header: Option<String>, body: &str) -> Value {
    let mut headers = json!({"content-type": "application/json"});
    if let Some(header) = header {
        headers["stripe-signature"] = json!(header);
    }
    json!({ "headers": headers, "body": body })
}

fn signed(body: &str) -> Value {
    delivery(Some(format!("t={NOW_S},v1={}", v1(WHSEC, NOW_S, body))), body)
}

fn event(kind: &str, object: Value) -> String {
    // pretty-printed like Stripe's deliveries: the raw bytes are what is signed
    serde_json::to_string_pretty(&json!({
        "id": "evt_1",
        "object": "event",
        "api_version": "2024-06-20",
        "created": NOW_S - 5,
        "type": kind,
        "data": { "object": object },
    }))
    .expect("json")
}

fn session(id: &str, status: &str, payment_status: &str, payment_intent: Value) -> Value {
    json!({
        "id": id,
        "object": "checkout.session",
        "url": format!("https://checkout.stripe.com/c/pay/{id}"),
        "status": status,
        "payment_status": payment_status,
        "amount_total": 12345,
        "currency": "thb",
        "client_reference_id": "pay_3f9c",
        "metadata": {"payment_id": "pay_3f9c"},
        "payment_intent": payment_intent,
        "expires_at": 1_767_229_200,
    })
}

fn intent(id: &str, status: &str, amount_received: i64) -> Value {
    json!({
        "id": id,
        "object": "payment_intent",
        "status": status,
        "amount": 12345,
        "amount_received": amount_received,
        "currency": "thb",
        "client_secret": format!("{id}_secret_abc"),
        "metadata": {"payment_id": "pay_3f9c"},
    })
}

#[test]
fn info_names_the_plugin_stripe() {
    let info = StripeGateway::info();
    assert_eq!(info.id, "stripe");
    assert_eq!(info.kind, PluginKind::PaymentGateway);
}

#[test]
fn create_checkout_posts_one_form_encoded_checkout_session() {
    let fake = FakeStripe::new();
    fake.route(
        "POST",
        "https://stripe.test/v1/checkout/sessions",
        200,
        session("cs_test_a1", "open", "unpaid", Value::Null),
    );
    let mut plugin = gateway(
        &fake,
        json!({"api_base": "https://stripe.test/", "payment_method_types": ["card", "promptpay"]}),
    );
    let answer = plugin
        .call("create_checkout", checkout_request("THB", 12345))
        .expect("checkout");
    assert_eq!(
        answer,
        json!({
            "external_id": "cs_test_a1",
            "checkout_url": "https://checkout.stripe.com/c/pay/cs_test_a1",
            "qr_image_url": null,
            "client_secret": null,
            "status": "pending",
            "expires_at_ms": 1_767_229_200_000_i64,
        })
    );
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request["method"], "POST");
    assert_eq!(request["url"], "https://stripe.test/v1/checkout/sessions");
    assert_eq!(
        request["headers"],
        json!({
            "authorization": format!("Bearer {API_KEY}"),
            "content-type": "application/x-www-form-urlencoded",
            "idempotency-key": "pay_3f9c-1",
            "stripe-version": "2024-06-20",
        })
    );
    let expected_body = [
        "mode=payment",
        "line_items[0][price_data][currency]=thb",
        "line_items[0][price_data][unit_amount]=12345",
        "line_items[0][price_data][product_data][name]=Receipt%20INV-2026-000123",
        "line_items[0][quantity]=1",
        "client_reference_id=pay_3f9c",
        "metadata[payment_id]=pay_3f9c",
        "payment_intent_data[metadata][payment_id]=pay_3f9c",
        "success_url=https%3A%2F%2Fbilling.example%2Fpayments%2Freturn%2Fpay_3f9c",
        "cancel_url=https%3A%2F%2Fbilling.example%2Fpayments%2Freturn%2Fpay_3f9c%3Fcancelled%3D1",
        "customer_email=alice%40example.org",
        "expires_at=1767229200",
        "payment_method_types[0]=card",
        "payment_method_types[1]=promptpay",
    ]
    .join("&");
    assert_eq!(request["body"], expected_body);
}

#[test]
fn payment_intent_flow_answers_a_client_secret_and_no_page() {
    let fake = FakeStripe::new();
    fake.route(
        "POST",
        "https://stripe.test/v1/payment_intents",
        200,
        intent("pi_test_7", "requires_payment_method", 0),
    );
    let mut plugin = gateway(
        &fake,
        json!({"api_base": API, "flow": "payment_intent", "stripe_version": "2025-03-31.basil"}),
    );
    let mut request = checkout_request("THB", 12345);
    request["customer_email"] = Value::Null;
    let answer = plugin.call("create_checkout", request).expect("checkout");
    assert_eq!(
        answer,
        json!({
            "external_id": "pi_test_7",
            "checkout_url": null,
            "qr_image_url": null,
            "client_secret": "pi_test_7_secret_abc",
            "status": "pending",
            "expires_at_ms": null,
        })
    );
    let request = &fake.requests()[0];
    assert_eq!(request["headers"]["stripe-version"], "2025-03-31.basil");
    assert_eq!(request["headers"]["idempotency-key"], "pay_3f9c-1");
    assert_eq!(
        request["body"],
        "amount=12345&currency=thb&description=Receipt%20INV-2026-000123&metadata[payment_id]=pay_3f9c"
    );
}

#[test]
fn a_missing_description_falls_back_to_the_payment_id() {
    let fake = FakeStripe::new();
    fake.route(
        "POST",
        "https://stripe.test/v1/payment_intents",
        200,
        intent("pi_test_8", "requires_payment_method", 0),
    );
    let mut plugin = gateway(&fake, json!({"api_base": API, "flow": "payment_intent"}));
    let mut request = checkout_request("THB", 100);
    request["description"] = Value::Null;
    request["customer_email"] = json!("bob+hpc@example.org");
    plugin.call("create_checkout", request).expect("checkout");
    assert_eq!(
        fake.requests()[0]["body"],
        "amount=100&currency=thb&description=Payment%20pay_3f9c&metadata[payment_id]=pay_3f9c\
         &receipt_email=bob%2Bhpc%40example.org"
    );
}

#[test]
fn amounts_are_converted_to_stripe_units_or_refused() {
    for (currency, amount_minor, unit_amount) in [("JPY", 500, "500"), ("ISK", 1500, "150000"), ("BHD", 1230, "1230")] {
        let fake = FakeStripe::new();
        let mut created = session("cs_test_x", "open", "unpaid", Value::Null);
        created["currency"] = json!(currency.to_ascii_lowercase());
        fake.route("POST", "https://stripe.test/v1/checkout/sessions", 200, created);
        let mut plugin = gateway(&fake, json!({"api_base": API}));
        plugin
            .call("create_checkout", checkout_request(currency, amount_minor))
            .expect("checkout");
        let body = fake.requests()[0]["body"].as_str().unwrap_or_default().to_owned();
        assert!(
            body.contains(&format!("[unit_amount]={unit_amount}&"))
                && body.contains(&format!("[currency]={}&", currency.to_ascii_lowercase())),
            "{currency}: {body}"
        );
    }
    for (currency, amount_minor) in [("BHD", 1234), ("MGA", 150), ("IQD", 1000), ("thb", 100), ("THB", 0)] {
        let fake = FakeStripe::new();
        let mut plugin = gateway(&fake, json!({"api_base": API}));
        let err = plugin
            .call("create_checkout", checkout_request(currency, amount_minor))
            .expect_err("refused");
        assert!(err.is("bad_request"), "{currency} {amount_minor}: {err}");
        assert!(
            fake.requests().is_empty(),
            "nothing is sent for {currency} {amount_minor}"
        );
    }
}

#[test]
fn gateway_errors_carry_stripes_message_and_transport_errors_keep_their_code() {
    let fake = FakeStripe::new();
    fake.route(
        "POST",
        "https://stripe.test/v1/checkout/sessions",
        400,
        json!({"error": {"type": "invalid_request_error", "code": "parameter_invalid_integer",
                         "message": "Invalid integer: abc", "param": "expires_at"}}),
    );
    let mut plugin = gateway(&fake, json!({"api_base": API}));
    let err = plugin
        .call("create_checkout", checkout_request("THB", 12345))
        .expect_err("gateway error");
    assert_eq!(err.code, "gateway");
    assert_eq!(
        err.message,
        "Stripe answered POST /v1/checkout/sessions with HTTP 400: invalid_request_error/parameter_invalid_integer Invalid integer: abc"
    );

    // a proxy echoing the key in a non-JSON body: the key is masked
    let fake = FakeStripe::new();
    fake.route_text(
        "GET",
        "https://stripe.test/v1/payment_intents/pi_1",
        502,
        &format!("bad gateway for Bearer {API_KEY}"),
    );
    let mut plugin = gateway(&fake, json!({"api_base": API}));
    let err = plugin
        .call("fetch_status", json!({"external_id": "pi_1"}))
        .expect_err("502");
    assert_eq!(err.code, "gateway");
    assert!(!err.message.contains(API_KEY), "{err}");
    assert!(
        err.message.contains("HTTP 502: bad gateway for Bearer [api key]"),
        "{err}"
    );

    let fake = Arc::new(FakeStripe {
        transport_error: Some(PluginError::new("timeout", "stripe.test did not answer in 30 s")),
        ..Arc::try_unwrap(FakeStripe::new()).ok().expect("sole owner")
    });
    let mut plugin = gateway(&fake, json!({"api_base": API}));
    let err = plugin
        .call("create_checkout", checkout_request("THB", 12345))
        .expect_err("timeout");
    assert_eq!(err.code, "timeout");

    // no API key configured: the host's `denied`, and nothing sent
    let fake = FakeStripe::with_secrets(&[("webhook_secret", WHSEC)]);
    let mut plugin = gateway(&fake, json!({"api_base": API}));
    let err = plugin
        .call("fetch_status", json!({"external_id": "cs_test_1"}))
        .expect_err("denied");
    assert_eq!(err.code, "denied");
    assert!(fake.requests().is_empty());
}

#[test]
fn fetch_status_maps_every_session_and_intent_state() {
    let cases = [
        ("complete", "paid", "succeeded"),
        ("complete", "unpaid", "pending"),
        // the protocol's fetch_status rule names `paid` only
        ("complete", "no_payment_required", "pending"),
        ("open", "unpaid", "pending"),
        ("expired", "unpaid", "expired"),
    ];
    for (status, payment_status, expected) in cases {
        let fake = FakeStripe::new();
        fake.route(
            "GET",
            "https://stripe.test/v1/checkout/sessions/cs_test_a1",
            200,
            session("cs_test_a1", status, payment_status, json!("pi_1")),
        );
        let mut plugin = gateway(&fake, json!({"api_base": API}));
        let answer = plugin
            .call("fetch_status", json!({"external_id": "cs_test_a1"}))
            .expect("status");
        assert_eq!(
            answer,
            json!({"external_id": "cs_test_a1", "status": expected, "amount_minor": 12345,
                   "currency": "THB", "payment_id": "pay_3f9c"}),
            "session {status}/{payment_status}"
        );
        let request = &fake.requests()[0];
        assert_eq!(request["method"], "GET");
        assert_eq!(request["headers"]["authorization"], format!("Bearer {API_KEY}"));
        assert!(request["headers"].get("idempotency-key").is_none());
    }
    let cases = [
        ("succeeded", 12345, "succeeded"),
        ("canceled", 0, "failed"),
        ("requires_payment_method", 0, "pending"),
        ("requires_action", 0, "pending"),
        ("processing", 0, "pending"),
    ];
    for (status, received, expected) in cases {
        let fake = FakeStripe::new();
        fake.route(
            "GET",
            "https://stripe.test/v1/payment_intents/pi_test_7",
            200,
            intent("pi_test_7", status, received),
        );
        let mut plugin = gateway(&fake, json!({"api_base": API}));
        let answer = plugin
            .call("fetch_status", json!({"external_id": "pi_test_7"}))
            .expect("status");
        assert_eq!(
            answer,
            json!({"external_id": "pi_test_7", "status": expected, "amount_minor": 12345,
                   "currency": "THB", "payment_id": "pay_3f9c"}),
            "intent {status}"
        );
    }
    // an id that is neither: refused before any request
    let fake = FakeStripe::new();
    let mut plugin = gateway(&fake, json!({"api_base": API}));
    let err = plugin
        .call("fetch_status", json!({"external_id": "ch_1/../../v1/balance"}))
        .expect_err("bad id");
    assert!(err.is("bad_request"), "{err}");
    assert!(fake.requests().is_empty());
}

#[test]
fn refund_of_a_checkout_session_refunds_its_payment_intent() {
    let fake = FakeStripe::new();
    fake.route(
        "GET",
        "https://stripe.test/v1/checkout/sessions/cs_test_a1",
        200,
        session("cs_test_a1", "complete", "paid", json!("pi_test_7")),
    );
    fake.route(
        "POST",
        "https://stripe.test/v1/refunds",
        200,
        json!({"id": "re_1", "object": "refund", "amount": 500, "currency": "thb", "status": "succeeded",
               "payment_intent": "pi_test_7"}),
    );
    let mut plugin = gateway(&fake, json!({"api_base": API}));
    let answer = plugin
        .call(
            "refund",
            json!({"external_id": "cs_test_a1", "amount_minor": 500, "currency": "THB",
                   "idempotency_key": "refund_17", "reason": "duplicate"}),
        )
        .expect("refund");
    assert_eq!(
        answer,
        json!({"refund_id": "re_1", "status": "succeeded", "amount_minor": 500})
    );
    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0]["url"],
        "https://stripe.test/v1/checkout/sessions/cs_test_a1"
    );
    assert_eq!(requests[1]["method"], "POST");
    assert_eq!(requests[1]["url"], "https://stripe.test/v1/refunds");
    assert_eq!(requests[1]["headers"]["idempotency-key"], "refund_17");
    assert_eq!(requests[1]["headers"]["stripe-version"], "2024-06-20");
    assert_eq!(
        requests[1]["body"],
        "payment_intent=pi_test_7&amount=500&reason=duplicate"
    );
}

#[test]
fn refund_statuses_reasons_and_unpaid_sessions() {
    for (stripe_status, expected) in [
        ("succeeded", "succeeded"),
        ("pending", "pending"),
        ("requires_action", "pending"),
        ("failed", "failed"),
        ("canceled", "failed"),
    ] {
        let fake = FakeStripe::new();
        fake.route(
            "POST",
            "https://stripe.test/v1/refunds",
            200,
            json!({"id": "re_2", "amount": 1000, "currency": "isk", "status": stripe_status}),
        );
        let mut plugin = gateway(&fake, json!({"api_base": API}));
        let answer = plugin
            .call(
                "refund",
                json!({"external_id": "pi_test_7", "amount_minor": 10, "currency": "ISK",
                       "idempotency_key": "refund_18", "reason": "the customer left the course"}),
            )
            .expect("refund");
        // ISK: 10 krónur are 1000 at Stripe, and back
        assert_eq!(
            answer,
            json!({"refund_id": "re_2", "status": expected, "amount_minor": 10})
        );
        assert_eq!(
            fake.requests()[0]["body"],
            "payment_intent=pi_test_7&amount=1000&metadata[reason]=the%20customer%20left%20the%20course"
        );
    }
    let fake = FakeStripe::new();
    fake.route(
        "GET",
        "https://stripe.test/v1/checkout/sessions/cs_test_open",
        200,
        session("cs_test_open", "open", "unpaid", Value::Null),
    );
    let mut plugin = gateway(&fake, json!({"api_base": API}));
    let err = plugin
        .call(
            "refund",
            json!({"external_id": "cs_test_open", "amount_minor": 500, "currency": "THB",
                   "idempotency_key": "refund_19"}),
        )
        .expect_err("nothing paid");
    assert!(
        err.is("bad_request") && err.message.contains("no PaymentIntent"),
        "{err}"
    );
    assert_eq!(fake.requests().len(), 1, "no refund was attempted");
}

#[test]
fn every_event_type_is_mapped_as_the_protocol_says() {
    let paid = session("cs_test_a1", "complete", "paid", json!("pi_test_7"));
    let mut unpaid = paid.clone();
    unpaid["payment_status"] = json!("unpaid");
    let mut free = paid.clone();
    free["payment_status"] = json!("no_payment_required");
    let mut intent_without_received = intent("pi_test_7", "requires_payment_method", 0);
    intent_without_received["amount_received"] = Value::Null;
    let charge = json!({"id": "ch_1", "object": "charge", "amount": 12345, "amount_refunded": 500,
                        "currency": "thb", "payment_intent": "pi_test_7",
                        "metadata": {"payment_id": "pay_3f9c"}});
    let dispute = json!({"id": "dp_1", "object": "dispute", "amount": 12345, "currency": "thb",
                         "charge": "ch_1", "payment_intent": "pi_test_7", "metadata": {}});
    let session_answer = |status: &str| {
        json!({"payment_id": "pay_3f9c", "external_id": "cs_test_a1", "status": status,
               "amount_minor": 12345, "currency": "THB", "refunded_minor": null})
    };
    let cases = [
        ("checkout.session.completed", paid.clone(), session_answer("succeeded")),
        ("checkout.session.completed", unpaid.clone(), session_answer("pending")),
        ("checkout.session.completed", free, session_answer("succeeded")),
        (
            "checkout.session.async_payment_succeeded",
            paid.clone(),
            session_answer("succeeded"),
        ),
        (
            "checkout.session.async_payment_failed",
            unpaid.clone(),
            session_answer("failed"),
        ),
        ("checkout.session.expired", unpaid, session_answer("expired")),
        (
            "payment_intent.succeeded",
            intent("pi_test_7", "succeeded", 12000),
            json!({"payment_id": "pay_3f9c", "external_id": "pi_test_7", "status": "succeeded",
                   "amount_minor": 12000, "currency": "THB", "refunded_minor": null}),
        ),
        (
            "payment_intent.payment_failed",
            intent_without_received,
            json!({"payment_id": "pay_3f9c", "external_id": "pi_test_7", "status": "pending",
                   "amount_minor": 12345, "currency": "THB", "refunded_minor": null}),
        ),
        (
            "charge.refunded",
            charge,
            json!({"payment_id": "pay_3f9c", "external_id": "pi_test_7", "status": "refunded",
                   "amount_minor": 12345, "currency": "THB", "refunded_minor": 500}),
        ),
        (
            "charge.dispute.created",
            dispute,
            json!({"payment_id": null, "external_id": "pi_test_7", "status": "disputed",
                   "amount_minor": 12345, "currency": "THB", "refunded_minor": null}),
        ),
        (
            "customer.created",
            json!({"id": "cus_1", "object": "customer"}),
            json!({"payment_id": null, "external_id": null, "status": null,
                   "amount_minor": null, "currency": null, "refunded_minor": null}),
        ),
        (
            "payment_intent.processing",
            intent("pi_test_7", "processing", 0),
            json!({"payment_id": null, "external_id": null, "status": null,
                   "amount_minor": null, "currency": null, "refunded_minor": null}),
        ),
    ];
    for (kind, object, expected) in cases {
        let fake = FakeStripe::new();
        let mut plugin = gateway(&fake, json!({"api_base": API}));
        let body = event(kind, object);
        let answer = plugin.call("verify_webhook", signed(&body)).expect("verified");
        let mut expected = expected;
        expected["verified"] = json!(true);
        expected["event_id"] = json!("evt_1");
        expected["event_type"] = json!(kind);
        assert_eq!(answer, expected, "{kind}");
        assert!(fake.requests().is_empty(), "Stripe events are trusted once verified");
    }
}

#[test]
fn zero_decimal_event_amounts_come_back_in_iso_units() {
    let fake = FakeStripe::new();
    let mut plugin = gateway(&fake, json!({"api_base": API}));
    let mut object = session("cs_test_isk", "complete", "paid", json!("pi_1"));
    object["currency"] = json!("isk");
    object["amount_total"] = json!(150_000);
    let answer = plugin
        .call("verify_webhook", signed(&event("checkout.session.completed", object)))
        .expect("verified");
    assert_eq!(answer["amount_minor"], 1500);
    assert_eq!(answer["currency"], "ISK");
}

fn rejected(plugin: &mut StripeGateway, request: Value) -> String {
    let answer = plugin.call("verify_webhook", request).expect("an answer, not an error");
    assert_eq!(answer["verified"], false, "{answer}");
    assert_eq!(answer.as_object().map(|o| o.len()), Some(2), "{answer}");
    answer["reason"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn forged_tampered_stale_and_unsigned_deliveries_are_refused() {
    let fake = FakeStripe::new();
    let mut plugin = gateway(&fake, json!({"api_base": API}));
    let body = event(
        "checkout.session.completed",
        session("cs_1", "complete", "paid", json!("pi_1")),
    );

    let bad_hex = format!("t={NOW_S},v1={}", "0".repeat(64));
    assert_eq!(
        rejected(&mut plugin, delivery(Some(bad_hex), &body)),
        "no v1 signature matches"
    );

    let wrong_secret = format!("t={NOW_S},v1={}", v1("whsec_someone_else", NOW_S, &body));
    assert_eq!(
        rejected(&mut plugin, delivery(Some(wrong_secret), &body)),
        "no v1 signature matches"
    );

    let good = format!("t={NOW_S},v1={}", v1(WHSEC, NOW_S, &body));
    let tampered = body.replace("12345", "12346");
    assert_ne!(tampered, body);
    assert_eq!(
        rejected(&mut plugin, delivery(Some(good.clone()), &tampered)),
        "no v1 signature matches"
    );
    // one added space is tampering too: the raw bytes are signed, not the JSON value
    assert_eq!(
        rejected(&mut plugin, delivery(Some(good.clone()), &format!("{body} "))),
        "no v1 signature matches"
    );
    // the timestamp is signed: moving it breaks the signature
    let moved = format!("t={},v1={}", NOW_S + 1, v1(WHSEC, NOW_S, &body));
    assert_eq!(
        rejected(&mut plugin, delivery(Some(moved), &body)),
        "no v1 signature matches"
    );

    let stale_t = NOW_S - 301;
    let stale = format!("t={stale_t},v1={}", v1(WHSEC, stale_t, &body));
    assert_eq!(
        rejected(&mut plugin, delivery(Some(stale), &body)),
        "timestamp outside the tolerance zone (301 s old, tolerance 300 s)"
    );
    let edge_t = NOW_S - 300;
    let edge = format!("t={edge_t},v1={}", v1(WHSEC, edge_t, &body));
    assert_eq!(
        plugin
            .call("verify_webhook", delivery(Some(edge), &body))
            .expect("verified")["verified"],
        true
    );
    // the future too: now+tolerance+1 is refused (Stripe's SDKs would accept it, but a delivery
    // stamped ahead stays replayable for as long as it is early); a clock 290 s fast is fine
    let future_t = NOW_S + 301;
    let future = format!("t={future_t},v1={}", v1(WHSEC, future_t, &body));
    assert_eq!(
        rejected(&mut plugin, delivery(Some(future), &body)),
        "timestamp outside the tolerance zone (301 s in the future, tolerance 300 s)"
    );
    let far_t = NOW_S + 3600;
    let far = format!("t={far_t},v1={}", v1(WHSEC, far_t, &body));
    assert_eq!(
        rejected(&mut plugin, delivery(Some(far), &body)),
        "timestamp outside the tolerance zone (3600 s in the future, tolerance 300 s)"
    );
    let ahead_t = NOW_S + 290;
    let ahead = format!("t={ahead_t},v1={}", v1(WHSEC, ahead_t, &body));
    assert_eq!(
        plugin
            .call("verify_webhook", delivery(Some(ahead), &body))
            .expect("verified")["verified"],
        true
    );

    assert_eq!(
        rejected(&mut plugin, delivery(None, &body)),
        "missing Stripe-Signature header"
    );
    assert_eq!(
        rejected(&mut plugin, delivery(Some(String::new()), &body)),
        "missing Stripe-Signature header"
    );
    let v0_only = format!("t={NOW_S},v0={}", v1(WHSEC, NOW_S, &body));
    assert_eq!(
        rejected(&mut plugin, delivery(Some(v0_only), &body)),
        "Stripe-Signature header has no v1 signature"
    );
    let no_t = format!("v1={}", v1(WHSEC, NOW_S, &body));
    assert_eq!(
        rejected(&mut plugin, delivery(Some(no_t), &body)),
        "Stripe-Signature header has no timestamp (t=…)"
    );
}

#[test]
fn a_custom_tolerance_applies() {
    let fake = FakeStripe::new();
    let mut plugin = gateway(&fake, json!({"api_base": API, "tolerance_secs": 60}));
    let body = event("customer.created", json!({"id": "cus_1"}));
    let t = NOW_S - 61;
    let header = format!("t={t},v1={}", v1(WHSEC, t, &body));
    assert_eq!(
        rejected(&mut plugin, delivery(Some(header), &body)),
        "timestamp outside the tolerance zone (61 s old, tolerance 60 s)"
    );
    let t = NOW_S + 61;
    let header = format!("t={t},v1={}", v1(WHSEC, t, &body));
    assert_eq!(
        rejected(&mut plugin, delivery(Some(header), &body)),
        "timestamp outside the tolerance zone (61 s in the future, tolerance 60 s)"
    );
    let t = NOW_S + 50;
    let header = format!("t={t},v1={}", v1(WHSEC, t, &body));
    assert_eq!(
        plugin
            .call("verify_webhook", delivery(Some(header), &body))
            .expect("verified")["verified"],
        true
    );
}

#[test]
fn rotation_accepts_either_v1_and_either_secret() {
    let fake = FakeStripe::with_secrets(&[
        ("api_key", API_KEY),
        ("webhook_secret", WHSEC),
        ("webhook_secret_previous", WHSEC_OLD),
    ]);
    let mut plugin = gateway(&fake, json!({"api_base": API}));
    let body = event("payment_intent.succeeded", intent("pi_1", "succeeded", 12345));

    // Stripe during a roll: one v1 per secret, either order, plus v0 noise
    let both = format!(
        "t={NOW_S},v1={},v0=deadbeef,v1={}",
        v1("whsec_unrelated", NOW_S, &body),
        v1(WHSEC, NOW_S, &body)
    );
    let answer = plugin
        .call("verify_webhook", delivery(Some(both), &body))
        .expect("verified");
    assert_eq!(answer["verified"], true);
    assert_eq!(answer["status"], "succeeded");

    let old = format!("t={NOW_S},v1={}", v1(WHSEC_OLD, NOW_S, &body));
    assert_eq!(
        plugin
            .call("verify_webhook", delivery(Some(old.clone()), &body))
            .expect("verified")["verified"],
        true
    );

    // once the previous secret is removed, its signatures stop verifying
    let fake = FakeStripe::new();
    let mut plugin = gateway(&fake, json!({"api_base": API}));
    assert_eq!(
        rejected(&mut plugin, delivery(Some(old), &body)),
        "no v1 signature matches"
    );

    // no secret at all: not verified, with the reason
    let fake = FakeStripe::with_secrets(&[("api_key", API_KEY)]);
    let mut plugin = gateway(&fake, json!({"api_base": API}));
    assert_eq!(
        rejected(&mut plugin, signed(&body)),
        "no webhook secret configured (secret webhook_secret)"
    );
}

#[test]
fn a_validly_signed_body_that_is_no_event_is_refused_with_the_reason() {
    let fake = FakeStripe::new();
    let mut plugin = gateway(&fake, json!({"api_base": API}));
    for (body, why) in [
        ("not json", "not a Stripe event: expected ident at line 1 column 2"),
        (r#"{"id": "evt_1"}"#, "not a Stripe event: missing field `type`"),
        (
            r#"{"id": "evt_1", "type": "charge.refunded", "data": {"object": {"amount": "x"}}}"#,
            "Stripe event evt_1 (charge.refunded): data.object: invalid type: string \"x\", expected i64",
        ),
    ] {
        // an answer, not an error: the server refuses it (400) instead of asking for retries
        let reason = rejected(&mut plugin, signed(body));
        assert!(
            reason.starts_with("signature valid, but the body is unusable: ") && reason.contains(why),
            "{body}: {reason}"
        );
    }
    assert!(fake.requests().is_empty(), "nothing is asked of Stripe");
}

#[test]
fn our_signer_matches_an_independent_hmac() {
    let body = r#"{"id":"evt_1","type":"checkout.session.completed"}"#;
    assert_eq!(
        sign_header(WHSEC, 1_767_225_600, body),
        format!("t=1767225600,v1={}", v1(WHSEC, 1_767_225_600, body))
    );
    // a fixed vector (also what Stripe's SDK and `openssl dgst -hmac` give), so a change in the
    // signer cannot hide behind a change in the helper
    assert_eq!(
        sign_header("whsec_test_secret", 1_700_000_000, "{}"),
        "t=1700000000,v1=ceb8863f7208fa249a6cd8f951e993c7563412aca65866f6272283debe143ab3"
    );
}

#[test]
fn settings_are_checked_and_unknown_fields_refused() {
    let fake = FakeStripe::new();
    assert!(StripeGateway::create(Value::Null, fake.host()).is_ok());
    assert!(StripeGateway::create(json!({}), fake.host()).is_ok());
    assert!(StripeGateway::create(json!({"payment_method_types": ["p24", "us_bank_account"]}), fake.host()).is_ok());
    for (config, names) in [
        (json!({"api_key": "sk_live_x"}), "api_key"),
        (json!({"tolerance": 300}), "tolerance"),
        (json!({"tolerance_secs": "300"}), "tolerance_secs"),
        (json!({"tolerance_secs": 0}), "tolerance_secs"),
        (json!({"flow": "hosted"}), "flow"),
        (json!({"payment_method_types": []}), "payment_method_types"),
        (json!({"payment_method_types": ["Card"]}), "payment_method_types"),
        (json!({"payment_method_types": "card"}), "payment_method_types"),
        (json!({"api_base": "api.stripe.com"}), "api_base"),
        (json!({"stripe_version": " "}), "stripe_version"),
    ] {
        let err = StripeGateway::create(config.clone(), fake.host())
            .err()
            .expect("refused");
        assert!(err.is("bad_request"), "{config}: {err}");
        assert!(err.message.contains(names), "{config}: {err}");
    }
}

#[test]
fn unknown_methods_and_malformed_requests_are_refused() {
    let fake = FakeStripe::new();
    let mut plugin = gateway(&fake, json!({"api_base": API}));
    assert!(plugin
        .call("sign_event", json!({}))
        .expect_err("unknown")
        .is("unknown_method"));
    let err = plugin
        .call("create_checkout", json!({"payment_id": "pay_1", "amount_minor": "12"}))
        .expect_err("malformed");
    assert!(err.is("bad_request") && err.message.contains("amount_minor"), "{err}");
    let mut request = checkout_request("THB", 100);
    request["idempotency_key"] = json!("");
    assert!(plugin
        .call("create_checkout", request)
        .expect_err("no key")
        .is("bad_request"));
    assert!(fake.requests().is_empty());
}

#[test]
fn secrets_never_appear_in_errors_or_reasons() {
    let secrets = [API_KEY, WHSEC, WHSEC_OLD];
    let mut texts: Vec<String> = Vec::new();
    let fake = FakeStripe::with_secrets(&[
        ("api_key", API_KEY),
        ("webhook_secret", WHSEC),
        ("webhook_secret_previous", WHSEC_OLD),
    ]);
    // Stripe's own 401 names the (masked) key; a careless proxy names it whole
    fake.route(
        "POST",
        "https://stripe.test/v1/checkout/sessions",
        401,
        json!({"error": {"type": "invalid_request_error",
                         "message": format!("Invalid API Key provided: {API_KEY}")}}),
    );
    fake.route_text("GET", "https://stripe.test/v1/checkout/sessions/cs_1", 500, API_KEY);
    fake.route_text("GET", "https://stripe.test/v1/payment_intents/pi_1", 200, "not json");
    let mut plugin = gateway(&fake, json!({"api_base": API}));
    let mut push = |result: Result<Value, PluginError>| match result {
        Ok(answer) => texts.push(answer.to_string()),
        Err(err) => texts.push(err.to_string()),
    };
    push(plugin.call("create_checkout", checkout_request("THB", 100)));
    push(plugin.call("fetch_status", json!({"external_id": "cs_1"})));
    push(plugin.call("fetch_status", json!({"external_id": "pi_1"})));
    push(plugin.call(
        "refund",
        json!({"external_id": "cs_1", "amount_minor": 1, "currency": "THB", "idempotency_key": "k"}),
    ));
    let body = event("customer.created", json!({"id": "cus_1"}));
    for header in [
        format!("t={NOW_S},v1={}", "f".repeat(64)),
        format!("t={},v1={}", NOW_S - 999, v1(WHSEC, NOW_S - 999, &body)),
        format!("t={NOW_S},v1={WHSEC}"),
        WHSEC.to_owned(),
    ] {
        push(plugin.call("verify_webhook", delivery(Some(header), &body)));
    }
    push(plugin.call("verify_webhook", signed("not json")));
    for config in [json!({"flow": 1}), json!({"stripe_version": 1})] {
        if let Err(err) = StripeGateway::create(config, fake.host()) {
            texts.push(err.to_string());
        }
    }
    assert_eq!(texts.len(), 11, "{texts:#?}");
    for text in &texts {
        for secret in secrets {
            // a header the caller sent may be echoed only in the caller's own words; none is
            assert!(!text.contains(secret), "{secret:?} leaked in {text:?}");
        }
    }
}
