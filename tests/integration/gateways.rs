//! The `stripe` and `omise` gateway plugins end to end, each against a peer it did not write:
//! localstripe (a fake Stripe server from PyPI) for PaymentIntents, with the webhooks localstripe
//! signs and sends itself; small fakes in this file that follow the documented shapes of Stripe
//! Checkout Sessions and Omise PromptPay charges, with deliveries signed by Stripe's official SDK
//! and by Omise's documented scheme.

use crate::both_backends;
use crate::harness::{error_code, Backend, Client, Server};
use crate::payments::{audit_total, receipt_of};
use crate::usage::{build_plugin, server_with_usage_and, INGEST};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const STRIPE_PACKAGE: &str = "hpcb-plugin-pay-stripe";
const OMISE_PACKAGE: &str = "hpcb-plugin-pay-omise";
const STRIPE_API_KEY: &str = "sk_test_hpcb_integration_51a";
const STRIPE_WHSEC: &str = "whsec_hpcb_integration_7c2f";
const OMISE_API_KEY: &str = "skey_test_hpcb_integration_5e9";
/// The raw bytes of the Omise webhook secret; the configuration holds their base64, as
/// Omise's dashboard shows it.
const OMISE_WEBHOOK_KEY: &[u8] = b"omise webhook key of the integration tests";
/// localstripe's card that pays, and its card the bank declines.
const GOOD_CARD: &str = "4242424242424242";
const DECLINED_CARD: &str = "4000000000000341";

const START: &str = "mutation($r: ID!, $p: String!) { startPayment(receiptId: $r, provider: $p) { id status externalId checkoutUrl qrImageUrl clientSecret amount { minor currency } } }";
const RECONCILE: &str = "mutation($p: ID!) { reconcilePayment(id: $p) { status } }";

// ---------------------------------------------------------------------------------------------
// Configuration, customers, polling

/// `[payments]` with the janitor off (so only webhooks, the return page and `reconcilePayment`
/// settle) and the given gateway entries.
fn payments_config(gateways: &[String]) -> String {
    format!("\n[payments]\njanitor_interval_secs = 0\n{}", gateways.concat())
}

/// A `[[payments.gateways]]` entry whose API is the peer at `api_base` (plain HTTP on loopback).
fn gateway_entry(plugin: &str, api_base: &str, settings: &str, secrets: &str) -> String {
    let host = api_base.trim_start_matches("http://");
    format!(
        "\n[[payments.gateways]]\nplugin = \"{plugin}\"\nsettings = {{ api_base = \"{api_base}\", {settings} }}\nsecrets = {{ {secrets} }}\nallow_hosts = [\"{host}\"]\nallow_plain_http = true\ntimeout_secs = 30\n"
    )
}

fn stripe_secrets() -> String {
    format!("api_key = \"{STRIPE_API_KEY}\", webhook_secret = \"{STRIPE_WHSEC}\"")
}

fn omise_secrets() -> String {
    format!(
        "api_key = \"{OMISE_API_KEY}\", webhook_secret = \"{}\"",
        BASE64.encode(OMISE_WEBHOOK_KEY)
    )
}

/// A server with usage ingested; the gateway plugins it may load are built first.
async fn billing_server(backend: Backend, config: &str) -> (Server, Client) {
    build_plugin(STRIPE_PACKAGE);
    build_plugin(OMISE_PACKAGE);
    let s = server_with_usage_and(backend, 200, 0, config).await;
    let admin = s.admin().await;
    assert!(admin.gql(INGEST, json!({})).await["errors"].is_null());
    (s, admin)
}

/// A signed-in user with a pending receipt: (client, receipt id, total in minor units).
async fn customer(s: &Server, admin: &Client, name: &str) -> (Client, String, i64) {
    let c = s.user_with_role(admin, name, "USER").await;
    let (rid, total) = receipt_of(&c).await;
    assert!(total > 100, "receipt of {name} totals {total}");
    (c, rid, total)
}

/// `startPayment`; returns the payment object after checking what every start has in common.
async fn start_payment(c: &Client, rid: &str, provider: &str, total: i64) -> Value {
    let r = c.gql(START, json!({"r": rid, "p": provider})).await;
    let pay = r["data"]["startPayment"].clone();
    assert_eq!(pay["status"], json!("PENDING"), "{r}");
    assert_eq!(pay["amount"], json!({"minor": total, "currency": "THB"}), "{r}");
    pay
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("a string, not {v}")).to_owned()
}

async fn receipt_status(c: &Client, rid: &str) -> String {
    let r = c
        .gql("query($r: ID!) { receipt(id: $r) { status } }", json!({"r": rid}))
        .await;
    text(&r["data"]["receipt"]["status"])
}

async fn payment_status(c: &Client, id: &str) -> String {
    let r = c
        .gql("query($p: ID!) { payment(id: $p) { status } }", json!({"p": id}))
        .await;
    text(&r["data"]["payment"]["status"])
}

/// Polls the receipt's status until it is `want` or 15 s passed; returns the last status.
async fn wait_for_receipt(c: &Client, rid: &str, want: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let status = receipt_status(c, rid).await;
        if status == want || Instant::now() > deadline {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The recorded outcomes of the server's webhook events of one type, oldest first, once there
/// are `count` of them (or 15 s passed).
async fn event_outcomes(s: &Server, event_type: &str, count: usize) -> Vec<String> {
    let conn = s.db.connect().await;
    let sql = format!("SELECT outcome FROM payment_events WHERE event_type = '{event_type}' ORDER BY id");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let rows = conn
            .query_all(sea_orm::Statement::from_string(
                conn.get_database_backend(),
                sql.clone(),
            ))
            .await
            .expect("read payment_events");
        let outcomes: Vec<String> = rows
            .iter()
            .map(|row| row.try_get::<String>("", "outcome").expect("outcome"))
            .collect();
        if outcomes.len() >= count || Instant::now() > deadline {
            return outcomes;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// POSTs a webhook delivery to the server; (HTTP status, JSON answer or the text).
async fn deliver(s: &Server, provider: &str, headers: &[(&str, String)], body: &str) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/payments/webhook/{provider}", s.base))
        .header("content-type", "application/json; charset=utf-8")
        .body(body.to_owned());
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.expect("deliver a webhook");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// `object` with some top-level fields replaced.
fn with_fields(object: &Value, fields: Value) -> Value {
    let mut out = object.clone();
    for (k, v) in fields.as_object().expect("fields") {
        out[k] = v.clone();
    }
    out
}

fn now_s() -> i64 {
    chrono::Utc::now().timestamp()
}

fn random_id(prefix: &str) -> String {
    format!("{prefix}{}", hex::encode(rand::random::<[u8; 8]>()))
}

// ---------------------------------------------------------------------------------------------
// localstripe

/// The Python that has localstripe installed (`.ci/run` makes one); `None` (skipped) when there
/// is none, except in CI.
async fn localstripe_python() -> Option<String> {
    let python = std::env::var("HPC_BILLING_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let found = tokio::process::Command::new(&python)
        .args(["-c", "import localstripe"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .is_ok_and(|status| status.success());
    if found {
        return Some(python);
    }
    crate::harness::skip(
        "localstripe",
        &format!("{python} cannot import localstripe; `tests/run.sh` installs it and sets HPC_BILLING_TEST_PYTHON"),
    );
    None
}

/// A localstripe process on a loopback port of its own, in a temporary directory; its log is
/// kept there for failure messages.
struct LocalStripe {
    base: String,
    dir: PathBuf,
    http: reqwest::Client,
    _child: tokio::process::Child,
}

impl LocalStripe {
    async fn start() -> Option<LocalStripe> {
        let python = localstripe_python().await?;
        let launcher = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers/localstripe_loopback.py");
        let dir = std::env::temp_dir().join(random_id("hpcb-localstripe-"));
        std::fs::create_dir_all(&dir).expect("localstripe dir");
        let log = std::fs::File::create(dir.join("localstripe.log")).expect("localstripe log");
        let mut child = tokio::process::Command::new(python)
            .arg(launcher)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("spawn localstripe");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("localstripe starts within 30 s")
            .expect("read localstripe's stdout")
            .unwrap_or_default();
        let port: u16 = first
            .strip_prefix("LISTENING ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| {
                let log = std::fs::read_to_string(dir.join("localstripe.log")).unwrap_or_default();
                panic!("localstripe did not start: {first:?}\n{log}")
            });
        Some(LocalStripe {
            base: format!("http://127.0.0.1:{port}"),
            dir,
            http: reqwest::Client::new(),
            _child: child,
        })
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("localstripe.log")).unwrap_or_default()
    }

    /// Sends every event, signed with `secret`, to `url` (replacing the earlier registration).
    async fn register_webhook(&self, url: &str, secret: &str) {
        let r = self
            .http
            .post(format!("{}/_config/webhooks/hpcb", self.base))
            .form(&[("url", url), ("secret", secret)])
            .send()
            .await
            .expect("register the webhook");
        assert_eq!(r.status().as_u16(), 200, "webhook registration refused");
    }

    /// A form POST with the secret key: (status, JSON).
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(STRIPE_API_KEY)
            .form(form)
            .send()
            .await
            .expect("POST to localstripe");
        let status = r.status().as_u16();
        (status, r.json().await.expect("JSON from localstripe"))
    }

    async fn get(&self, path: &str) -> Value {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(STRIPE_API_KEY)
            .send()
            .await
            .expect("GET from localstripe");
        assert_eq!(r.status().as_u16(), 200, "GET {path}");
        r.json().await.expect("JSON from localstripe")
    }

    /// What the payment page does with Stripe.js: a card PaymentMethod, set on the intent, then
    /// the confirmation. localstripe does not take `payment_method` on `confirm`, so it is set
    /// by an update first. Returns the confirmation's (status, JSON).
    async fn pay(&self, intent: &str, card: &str) -> (u16, Value) {
        let (status, method) = self
            .post(
                "/v1/payment_methods",
                &[
                    ("type", "card"),
                    ("card[number]", card),
                    ("card[exp_month]", "12"),
                    ("card[exp_year]", "2034"),
                    ("card[cvc]", "123"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{method}");
        let method = text(&method["id"]);
        let (status, updated) = self
            .post(&format!("/v1/payment_intents/{intent}"), &[("payment_method", &method)])
            .await;
        assert_eq!(
            (status, &updated["status"]),
            (200, &json!("requires_confirmation")),
            "{updated}"
        );
        self.post(&format!("/v1/payment_intents/{intent}/confirm"), &[]).await
    }
}

impl Drop for LocalStripe {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn stripe_payment_intents_settle_through_localstripe(backend: Backend) {
    let Some(ls) = LocalStripe::start().await else { return };
    let config = payments_config(&[gateway_entry(
        "stripe",
        &ls.base,
        "flow = \"payment_intent\"",
        &stripe_secrets(),
    )]);
    let (s, admin) = billing_server(backend, &config).await;
    ls.register_webhook(&format!("{}/payments/webhook/stripe", s.base), STRIPE_WHSEC)
        .await;

    // A card that pays: localstripe's own signed payment_intent.succeeded settles the receipt.
    let (alice, rid, total) = customer(&s, &admin, "alice").await;
    let pay = start_payment(&alice, &rid, "stripe", total).await;
    let id = text(&pay["id"]);
    let intent = text(&pay["externalId"]);
    assert!(intent.starts_with("pi_"), "{pay}");
    assert_eq!(pay["checkoutUrl"], Value::Null, "{pay}");
    assert!(
        text(&pay["clientSecret"]).starts_with(&format!("{intent}_secret_")),
        "{pay}"
    );
    let held = ls.get(&format!("/v1/payment_intents/{intent}")).await;
    assert_eq!(held["amount"], json!(total), "{held}");
    assert_eq!(held["currency"], json!("thb"), "{held}");
    assert_eq!(held["metadata"]["payment_id"], json!(id), "{held}");
    assert_eq!(held["status"], json!("requires_payment_method"), "{held}");
    assert!(text(&held["description"]).starts_with("Receipt "), "{held}");
    let (status, confirmed) = ls.pay(&intent, GOOD_CARD).await;
    assert_eq!(
        (status, &confirmed["status"]),
        (200, &json!("succeeded")),
        "{confirmed}"
    );
    assert_eq!(wait_for_receipt(&alice, &rid, "PAID").await, "PAID", "{}", ls.log());
    assert_eq!(payment_status(&alice, &id).await, "SUCCEEDED");
    assert_eq!(event_outcomes(&s, "payment_intent.succeeded", 1).await, ["applied"]);
    assert_eq!(audit_total(&admin, "payment.succeeded").await, 1);

    // A declined card: the verified payment_intent.payment_failed changes nothing, since the
    // customer may try another card on the same intent.
    let (bob, rid, total) = customer(&s, &admin, "bob").await;
    let pay = start_payment(&bob, &rid, "stripe", total).await;
    let id = text(&pay["id"]);
    let (status, declined) = ls.pay(&text(&pay["externalId"]), DECLINED_CARD).await;
    assert_eq!(
        (status, &declined["error"]["code"]),
        (402, &json!("card_declined")),
        "{declined}"
    );
    assert_eq!(
        event_outcomes(&s, "payment_intent.payment_failed", 1).await,
        ["no_change"],
        "{}",
        ls.log()
    );
    assert_eq!(receipt_status(&bob, &rid).await, "PENDING");
    assert_eq!(payment_status(&bob, &id).await, "PENDING");
    let r = admin.gql(RECONCILE, json!({"p": id})).await;
    assert_eq!(r["data"]["reconcilePayment"]["status"], json!("PENDING"), "{r}");

    // An intent for less than the receipt that carries the payment's id (a mixed-up or forged
    // integration): its verified success is a mismatch, and the receipt stays unpaid.
    let (carol, rid, total) = customer(&s, &admin, "carol").await;
    let pay = start_payment(&carol, &rid, "stripe", total).await;
    let id = text(&pay["id"]);
    let short = (total - 100).to_string();
    let (status, other) = ls
        .post(
            "/v1/payment_intents",
            &[("amount", &short), ("currency", "thb"), ("metadata[payment_id]", &id)],
        )
        .await;
    assert_eq!(status, 200, "{other}");
    let (status, confirmed) = ls.pay(&text(&other["id"]), GOOD_CARD).await;
    assert_eq!(
        (status, &confirmed["amount"]),
        (200, &json!(total - 100)),
        "{confirmed}"
    );
    assert_eq!(
        event_outcomes(&s, "payment_intent.succeeded", 2).await,
        ["applied", "mismatch"],
        "{}",
        ls.log()
    );
    assert_eq!(audit_total(&admin, "payment.mismatch").await, 1);
    assert_eq!(receipt_status(&carol, &rid).await, "PENDING");
    assert_eq!(payment_status(&carol, &id).await, "PENDING");
    // Its own intent is still unpaid at the gateway.
    let r = admin.gql(RECONCILE, json!({"p": id})).await;
    assert_eq!(r["data"]["reconcilePayment"]["status"], json!("PENDING"), "{r}");

    // A lost webhook (localstripe does not retry): reconcilePayment asks localstripe and pays.
    ls.register_webhook(&format!("{}/payments/webhook/nowhere", s.base), STRIPE_WHSEC)
        .await;
    let (dave, rid, total) = customer(&s, &admin, "dave").await;
    let pay = start_payment(&dave, &rid, "stripe", total).await;
    let id = text(&pay["id"]);
    let (status, confirmed) = ls.pay(&text(&pay["externalId"]), GOOD_CARD).await;
    assert_eq!(
        (status, &confirmed["status"]),
        (200, &json!("succeeded")),
        "{confirmed}"
    );
    // localstripe sends its events after a second; give this one time to get lost.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(receipt_status(&dave, &rid).await, "PENDING");
    let denied = dave.gql(RECONCILE, json!({"p": id})).await;
    assert_eq!(error_code(&denied).as_deref(), Some("FORBIDDEN"), "{denied}");
    let r = admin.gql(RECONCILE, json!({"p": id})).await;
    assert_eq!(r["data"]["reconcilePayment"]["status"], json!("SUCCEEDED"), "{r}");
    assert_eq!(receipt_status(&dave, &rid).await, "PAID");
    assert_eq!(event_outcomes(&s, "status_check", 1).await, ["applied"]);
    assert_eq!(audit_total(&admin, "payment.succeeded").await, 2);
}
both_backends!(stripe_payment_intents_settle_through_localstripe);

// ---------------------------------------------------------------------------------------------
// Fakes of documented gateway APIs

/// One request a fake gateway received.
#[derive(Clone, Debug)]
struct Seen {
    method: &'static str,
    path: String,
    headers: BTreeMap<String, String>,
    form: BTreeMap<String, String>,
}

impl Seen {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or_default()
    }

    fn field(&self, name: &str) -> &str {
        self.form.get(name).map(String::as_str).unwrap_or_default()
    }
}

#[derive(Default)]
struct FakeBooks {
    requests: Vec<Seen>,
    /// Objects by id, as the fake's API returns them.
    objects: BTreeMap<String, Value>,
    /// Object ids by idempotency key, for replays.
    by_key: BTreeMap<String, String>,
}

/// A gateway API served by this process on a loopback port; tests read what it was sent and
/// change its objects as the gateway would.
#[derive(Clone)]
struct Fake {
    base: String,
    books: Arc<Mutex<FakeBooks>>,
}

impl Fake {
    async fn start(routes: Router<Fake>) -> Fake {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a fake gateway");
        let fake = Fake {
            base: format!("http://{}", listener.local_addr().expect("fake address")),
            books: Arc::default(),
        };
        let app = routes.with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.expect("fake gateway serves") });
        fake
    }

    fn books(&self) -> std::sync::MutexGuard<'_, FakeBooks> {
        self.books.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn record(&self, method: &'static str, path: String, headers: &HeaderMap, body: &str) -> Seen {
        let seen = Seen {
            method,
            path,
            headers: headers
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
                .collect(),
            // the query-string decoder of `url` is the form decoder (application/x-www-form-urlencoded)
            form: reqwest::Url::parse(&format!("http://form.invalid/?{body}"))
                .expect("form body")
                .query_pairs()
                .into_owned()
                .collect(),
        };
        self.books().requests.push(seen.clone());
        seen
    }

    fn requests(&self, method: &str, path: &str) -> Vec<Seen> {
        let books = self.books();
        books
            .requests
            .iter()
            .filter(|r| r.method == method && r.path == path)
            .cloned()
            .collect()
    }

    fn object(&self, id: &str) -> Option<Value> {
        self.books().objects.get(id).cloned()
    }

    /// Stores a new object under `idempotency_key`, or returns the one stored under it before.
    fn create(&self, idempotency_key: &str, object: Value) -> Value {
        let mut books = self.books();
        if let Some(earlier) = books.by_key.get(idempotency_key).and_then(|id| books.objects.get(id)) {
            return earlier.clone();
        }
        let id = text(&object["id"]);
        books.by_key.insert(idempotency_key.to_owned(), id.clone());
        books.objects.insert(id, object.clone());
        object
    }

    /// Sets top-level fields of an object; returns it as it is now.
    fn update(&self, id: &str, fields: Value) -> Value {
        let mut books = self.books();
        let object = books.objects.get_mut(id).expect("a known object");
        *object = with_fields(object, fields);
        object.clone()
    }
}

fn answer(status: u16, body: Value) -> Response {
    (StatusCode::from_u16(status).expect("status"), Json(body)).into_response()
}

fn form_amount(seen: &Seen, name: &str) -> i64 {
    seen.field(name).parse().unwrap_or(-1)
}

/// Stripe's Checkout Sessions (https://docs.stripe.com/api/checkout/sessions): create and
/// retrieve, Bearer secret key, `Idempotency-Key` replays, Stripe's error envelope.
fn stripe_checkout_routes() -> Router<Fake> {
    async fn create(State(fake): State<Fake>, headers: HeaderMap, body: String) -> Response {
        let seen = fake.record("POST", "/v1/checkout/sessions".into(), &headers, &body);
        if seen.header("authorization") != format!("Bearer {STRIPE_API_KEY}") {
            return answer(
                401,
                json!({"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}}),
            );
        }
        let id = random_id("cs_test_");
        let quantity = form_amount(&seen, "line_items[0][quantity]");
        let session = json!({
            "id": id, "object": "checkout.session", "mode": seen.field("mode"),
            "url": format!("{}/c/pay/{id}", fake.base),
            "status": "open", "payment_status": "unpaid", "payment_intent": null,
            "amount_total": form_amount(&seen, "line_items[0][price_data][unit_amount]") * quantity,
            "currency": seen.field("line_items[0][price_data][currency]"),
            "client_reference_id": seen.field("client_reference_id"),
            "metadata": {"payment_id": seen.field("metadata[payment_id]")},
            "success_url": seen.field("success_url"), "cancel_url": seen.field("cancel_url"),
            "expires_at": form_amount(&seen, "expires_at"), "livemode": false,
        });
        answer(200, fake.create(seen.header("idempotency-key"), session))
    }
    async fn retrieve(State(fake): State<Fake>, Path(id): Path<String>, headers: HeaderMap) -> Response {
        fake.record("GET", format!("/v1/checkout/sessions/{id}"), &headers, "");
        match fake.object(&id) {
            Some(session) => answer(200, session),
            None => answer(
                404,
                json!({"error": {"type": "invalid_request_error", "code": "resource_missing",
                    "message": format!("No such checkout.session: '{id}'")}}),
            ),
        }
    }
    Router::new()
        .route("/v1/checkout/sessions", post(create))
        .route("/v1/checkout/sessions/{id}", get(retrieve))
}

/// Omise's sources and charges (https://docs.omise.co/sources-api,
/// https://docs.omise.co/charges-api, https://docs.omise.co/promptpay): Basic secret key, a
/// PromptPay charge pending with its QR code under `source.scannable_code.image`.
fn omise_routes() -> Router<Fake> {
    fn unauthorized(seen: &Seen) -> Option<Response> {
        let expected = format!("Basic {}", BASE64.encode(format!("{OMISE_API_KEY}:")));
        (seen.header("authorization") != expected).then(|| {
            answer(
                401,
                json!({"object": "error", "location": "https://www.omise.co/api-errors#authentication-failure",
                    "code": "authentication_failure", "message": "authentication failed"}),
            )
        })
    }
    async fn create_source(State(fake): State<Fake>, headers: HeaderMap, body: String) -> Response {
        let seen = fake.record("POST", "/sources".into(), &headers, &body);
        if let Some(refusal) = unauthorized(&seen) {
            return refusal;
        }
        let id = random_id("src_test_");
        let source = json!({
            "object": "source", "id": id, "livemode": false, "type": seen.field("type"), "flow": "offline",
            "amount": form_amount(&seen, "amount"), "currency": seen.field("currency"),
            "charge_status": "unknown",
            "scannable_code": {"object": "barcode", "type": "qr", "image": {
                "object": "document", "filename": "qrcode.png",
                "download_uri": format!("{}/qr/{id}.png", fake.base)}},
        });
        answer(200, fake.create(seen.header("idempotency-key"), source))
    }
    async fn create_charge(State(fake): State<Fake>, headers: HeaderMap, body: String) -> Response {
        let seen = fake.record("POST", "/charges".into(), &headers, &body);
        if let Some(refusal) = unauthorized(&seen) {
            return refusal;
        }
        let Some(source) = fake.object(seen.field("source")) else {
            return answer(
                404,
                json!({"object": "error", "code": "not_found", "message": "source was not found"}),
            );
        };
        let expires = chrono::Utc::now() + chrono::Duration::days(1);
        let charge = json!({
            "object": "charge", "id": random_id("chrg_test_"), "livemode": false,
            "amount": form_amount(&seen, "amount"), "currency": seen.field("currency"),
            "status": "pending", "paid": false, "authorized": false, "capturable": false,
            "refunded_amount": 0, "authorize_uri": null, "return_uri": seen.field("return_uri"),
            "description": seen.field("description"),
            "metadata": {"payment_id": seen.field("metadata[payment_id]")},
            "failure_code": null, "failure_message": null, "source": source,
            "expires_at": expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        });
        answer(200, fake.create(seen.header("idempotency-key"), charge))
    }
    async fn retrieve_charge(State(fake): State<Fake>, Path(id): Path<String>, headers: HeaderMap) -> Response {
        let seen = fake.record("GET", format!("/charges/{id}"), &headers, "");
        if let Some(refusal) = unauthorized(&seen) {
            return refusal;
        }
        match fake.object(&id) {
            Some(charge) => answer(200, charge),
            None => answer(
                404,
                json!({"object": "error", "code": "not_found", "message": format!("charge {id} was not found")}),
            ),
        }
    }
    Router::new()
        .route("/sources", post(create_source))
        .route("/charges", post(create_charge))
        .route("/charges/{id}", get(retrieve_charge))
}

// ---------------------------------------------------------------------------------------------
// Stripe Checkout Sessions, webhooks signed by Stripe's SDK

/// `tests/node` when Stripe's SDK is installed there; `None` (skipped) otherwise, except in CI.
fn stripe_sdk_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node");
    if dir.join("node_modules").join("stripe").exists() {
        return Some(dir);
    }
    crate::harness::skip(
        "npm peers",
        "tests/node/node_modules/stripe is missing; run `npm ci --prefix tests/node`",
    );
    None
}

/// A Stripe event delivery as Stripe formats it (pretty-printed JSON).
fn stripe_event(kind: &str, object: &Value) -> String {
    serde_json::to_string_pretty(&json!({
        "id": random_id("evt_test_"), "object": "event", "api_version": "2024-06-20",
        "created": now_s(), "livemode": false, "pending_webhooks": 1, "type": kind,
        "data": {"object": object},
    }))
    .expect("event JSON")
}

/// The `Stripe-Signature` header Stripe's official Node SDK makes for `payload`.
async fn sdk_signature(sdk: &std::path::Path, secret: &str, payload: &str) -> String {
    let mut child = tokio::process::Command::new("node")
        .arg(sdk.join("stripe-oracle.mjs"))
        .args(["sign", secret, &now_s().to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run node");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(payload.as_bytes()).await.expect("write the payload");
    drop(stdin);
    let out = child.wait_with_output().await.expect("node finished");
    let header = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(out.status.success() && header.contains(",v1="), "{header}");
    header
}

async fn deliver_stripe(s: &Server, sdk: &std::path::Path, secret: &str, body: &str) -> (u16, Value) {
    let signature = sdk_signature(sdk, secret, body).await;
    deliver(s, "stripe", &[("stripe-signature", signature)], body).await
}

async fn stripe_checkout_sessions_settle_by_webhook_and_on_return(backend: Backend) {
    let Some(sdk) = stripe_sdk_dir() else { return };
    let fake = Fake::start(stripe_checkout_routes()).await;
    let config = payments_config(&[gateway_entry(
        "stripe",
        &fake.base,
        "flow = \"checkout\"",
        &stripe_secrets(),
    )]);
    let (s, admin) = billing_server(backend, &config).await;

    let (alice, rid, total) = customer(&s, &admin, "alice").await;
    let before = now_s();
    let pay = start_payment(&alice, &rid, "stripe", total).await;
    let id = text(&pay["id"]);
    let session_id = text(&pay["externalId"]);
    assert!(session_id.starts_with("cs_test_"), "{pay}");
    assert_eq!(
        pay["checkoutUrl"],
        json!(format!("{}/c/pay/{session_id}", fake.base)),
        "{pay}"
    );
    assert_eq!(pay["clientSecret"], Value::Null, "{pay}");

    // What the plugin sent, field by field.
    let created = fake.requests("POST", "/v1/checkout/sessions");
    assert_eq!(created.len(), 1);
    let sent = &created[0];
    assert_eq!(sent.header("authorization"), format!("Bearer {STRIPE_API_KEY}"));
    assert_eq!(sent.header("idempotency-key"), id);
    assert!(
        sent.header("content-type")
            .starts_with("application/x-www-form-urlencoded"),
        "{sent:?}"
    );
    assert_eq!(sent.field("mode"), "payment");
    assert_eq!(sent.field("line_items[0][price_data][currency]"), "thb");
    assert_eq!(sent.field("line_items[0][price_data][unit_amount]"), total.to_string());
    assert!(
        sent.field("line_items[0][price_data][product_data][name]")
            .starts_with("Receipt "),
        "{sent:?}"
    );
    assert_eq!(sent.field("line_items[0][quantity]"), "1");
    assert_eq!(sent.field("client_reference_id"), id);
    assert_eq!(sent.field("metadata[payment_id]"), id);
    assert_eq!(sent.field("payment_intent_data[metadata][payment_id]"), id);
    assert_eq!(sent.field("success_url"), format!("{}/payments/return/{id}", s.base));
    assert_eq!(
        sent.field("cancel_url"),
        format!("{}/payments/return/{id}?cancelled=1", s.base)
    );
    let expires_in = form_amount(sent, "expires_at") - before;
    assert!((3590..=3610).contains(&expires_in), "expires_at {expires_in} s ahead");

    // The customer pays on Stripe's page; Stripe sends checkout.session.completed, paid.
    let session = fake.update(
        &session_id,
        json!({"status": "complete", "payment_status": "paid", "payment_intent": random_id("pi_test_")}),
    );
    let completed = stripe_event("checkout.session.completed", &session);
    let tampered = completed.replace(&format!("\"amount_total\": {total}"), "\"amount_total\": 1");
    assert_ne!(tampered, completed);
    let signature = sdk_signature(&sdk, STRIPE_WHSEC, &completed).await;
    let (status, _) = deliver(&s, "stripe", &[("stripe-signature", signature)], &tampered).await;
    assert_eq!(status, 400, "a body that is not what was signed");
    let (status, _) = deliver_stripe(&s, &sdk, "whsec_someone_else", &completed).await;
    assert_eq!(status, 400, "signed with another secret");
    assert_eq!(receipt_status(&alice, &rid).await, "PENDING");
    let (status, answer) = deliver_stripe(&s, &sdk, STRIPE_WHSEC, &completed).await;
    assert_eq!((status, &answer["outcome"]), (200, &json!("applied")), "{answer}");
    assert_eq!(receipt_status(&alice, &rid).await, "PAID");
    assert_eq!(payment_status(&alice, &id).await, "SUCCEEDED");
    // Stripe delivers at least once: the same event again changes nothing.
    let (status, answer) = deliver_stripe(&s, &sdk, STRIPE_WHSEC, &completed).await;
    assert_eq!((status, &answer["outcome"]), (200, &json!("duplicate")), "{answer}");
    // A late, out-of-order event saying unpaid does not take the payment back.
    let late = stripe_event(
        "checkout.session.completed",
        &with_fields(&session, json!({"payment_status": "unpaid"})),
    );
    let (status, answer) = deliver_stripe(&s, &sdk, STRIPE_WHSEC, &late).await;
    assert_eq!((status, &answer["outcome"]), (200, &json!("no_change")), "{answer}");
    assert_eq!(receipt_status(&alice, &rid).await, "PAID");
    assert_eq!(audit_total(&admin, "payment.succeeded").await, 1);
    assert_eq!(audit_total(&admin, "payment.webhook_rejected").await, 2);

    // A delayed payment method: completed but unpaid leaves the receipt pending.
    let (bob, rid, total) = customer(&s, &admin, "bob").await;
    let pay = start_payment(&bob, &rid, "stripe", total).await;
    let id = text(&pay["id"]);
    let session_id = text(&pay["externalId"]);
    let session = fake.update(&session_id, json!({"status": "complete", "payment_status": "unpaid"}));
    let unpaid = stripe_event("checkout.session.completed", &session);
    let (status, answer) = deliver_stripe(&s, &sdk, STRIPE_WHSEC, &unpaid).await;
    assert_eq!((status, &answer["outcome"]), (200, &json!("no_change")), "{answer}");
    assert_eq!(receipt_status(&bob, &rid).await, "PENDING");
    assert_eq!(payment_status(&bob, &id).await, "PENDING");

    // The money arrives but its webhook is lost: the return page asks Stripe and settles.
    fake.update(&session_id, json!({"payment_status": "paid"}));
    let page = reqwest::get(format!("{}/payments/return/{id}", s.base))
        .await
        .expect("return page");
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("data-status=\"succeeded\""), "{html}");
    assert_eq!(receipt_status(&bob, &rid).await, "PAID");
    assert_eq!(payment_status(&bob, &id).await, "SUCCEEDED");
    let retrieved = fake.requests("GET", &format!("/v1/checkout/sessions/{session_id}"));
    assert_eq!(retrieved.len(), 1);
    assert_eq!(retrieved[0].header("authorization"), format!("Bearer {STRIPE_API_KEY}"));
    assert_eq!(audit_total(&admin, "payment.succeeded").await, 2);
}
both_backends!(stripe_checkout_sessions_settle_by_webhook_and_on_return);

// ---------------------------------------------------------------------------------------------
// Omise PromptPay, webhooks signed as Omise specifies

/// `(Omise-Signature, Omise-Signature-Timestamp)`: hex HMAC-SHA256 keyed with the decoded
/// webhook secret over `"{timestamp}.{body}"`.
fn omise_signature(key: &[u8], timestamp: i64, body: &str) -> [(&'static str, String); 2] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC key");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    [
        ("omise-signature", hex::encode(mac.finalize().into_bytes())),
        ("omise-signature-timestamp", timestamp.to_string()),
    ]
}

/// An Omise event delivery (https://docs.omise.co/events-api) about `charge`.
fn omise_event(key: &str, charge: &Value) -> String {
    let id = random_id("evnt_test_");
    json!({
        "object": "event", "id": id, "livemode": false, "location": format!("/events/{id}"),
        "key": key, "created_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "data": charge, "webhook_deliveries": [], "team_uid": "team_test_hpcb",
    })
    .to_string()
}

async fn omise_promptpay_settles_only_when_the_charge_is_paid(backend: Backend) {
    let fake = Fake::start(omise_routes()).await;
    // Two gateways at once; the Stripe one is never called here.
    let config = payments_config(&[
        gateway_entry("omise", &fake.base, "source_type = \"promptpay\"", &omise_secrets()),
        gateway_entry("stripe", "http://127.0.0.1:9", "flow = \"checkout\"", &stripe_secrets()),
    ]);
    let (s, admin) = billing_server(backend, &config).await;
    let (alice, rid, total) = customer(&s, &admin, "alice").await;
    let providers = alice.gql("{ paymentProviders }", json!({})).await;
    assert_eq!(
        providers["data"]["paymentProviders"],
        json!(["omise", "stripe"]),
        "{providers}"
    );

    let pay = start_payment(&alice, &rid, "omise", total).await;
    let id = text(&pay["id"]);
    let charge_id = text(&pay["externalId"]);
    assert!(charge_id.starts_with("chrg_test_"), "{pay}");
    let charge = fake.object(&charge_id).expect("the charge");
    let qr = text(&charge["source"]["scannable_code"]["image"]["download_uri"]);
    assert_eq!(pay["qrImageUrl"], json!(qr), "{pay}");
    assert!(qr.starts_with(&format!("{}/qr/src_test_", fake.base)), "{qr}");
    assert_eq!(pay["checkoutUrl"], Value::Null, "{pay}");

    // What the plugin sent: a PromptPay source, then a charge of it.
    let basic = format!("Basic {}", BASE64.encode(format!("{OMISE_API_KEY}:")));
    let sources = fake.requests("POST", "/sources");
    assert_eq!(sources.len(), 1);
    let sent = &sources[0];
    assert_eq!(sent.header("authorization"), basic);
    assert_eq!(sent.header("omise-version"), "2019-05-29");
    assert_eq!(sent.header("idempotency-key"), format!("{id}-source"));
    assert_eq!(
        (sent.field("type"), sent.field("amount"), sent.field("currency")),
        ("promptpay", total.to_string().as_str(), "THB")
    );
    let charges = fake.requests("POST", "/charges");
    assert_eq!(charges.len(), 1);
    let sent = &charges[0];
    assert_eq!(sent.header("authorization"), basic);
    assert_eq!(sent.header("idempotency-key"), format!("{id}-charge"));
    assert_eq!(sent.field("amount"), total.to_string());
    assert_eq!(sent.field("currency"), "THB");
    assert_eq!(sent.field("source"), text(&charge["source"]["id"]));
    assert_eq!(sent.field("return_uri"), format!("{}/payments/return/{id}", s.base));
    assert_eq!(sent.field("metadata[payment_id]"), id);

    // A charge.complete whose copy claims success while Omise still has the charge pending: the
    // plugin re-fetches the charge, and the pending charge decides.
    let claimed = with_fields(&charge, json!({"status": "successful", "paid": true}));
    let early = omise_event("charge.complete", &claimed);
    let (status, answer) = deliver(
        &s,
        "omise",
        &omise_signature(OMISE_WEBHOOK_KEY, now_s(), &early),
        &early,
    )
    .await;
    assert_eq!((status, &answer["outcome"]), (200, &json!("no_change")), "{answer}");
    assert_eq!(fake.requests("GET", &format!("/charges/{charge_id}")).len(), 1);
    assert_eq!(receipt_status(&alice, &rid).await, "PENDING");
    assert_eq!(payment_status(&alice, &id).await, "PENDING");

    // Forged, stale or missing signatures are refused before anything is fetched.
    let (status, _) = deliver(&s, "omise", &omise_signature(b"not the key", now_s(), &early), &early).await;
    assert_eq!(status, 400);
    let (status, _) = deliver(
        &s,
        "omise",
        &omise_signature(OMISE_WEBHOOK_KEY, now_s() - 600, &early),
        &early,
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = deliver(&s, "omise", &[], &early).await;
    assert_eq!(status, 400);
    assert_eq!(fake.requests("GET", &format!("/charges/{charge_id}")).len(), 1);
    assert_eq!(audit_total(&admin, "payment.webhook_rejected").await, 3);

    // The customer scans and pays; Omise completes the charge and says so again.
    let paid = fake.update(
        &charge_id,
        json!({"status": "successful", "paid": true, "authorized": true}),
    );
    let complete = omise_event("charge.complete", &paid);
    let (status, answer) = deliver(
        &s,
        "omise",
        &omise_signature(OMISE_WEBHOOK_KEY, now_s(), &complete),
        &complete,
    )
    .await;
    assert_eq!((status, &answer["outcome"]), (200, &json!("applied")), "{answer}");
    assert_eq!(receipt_status(&alice, &rid).await, "PAID");
    assert_eq!(payment_status(&alice, &id).await, "SUCCEEDED");
    assert_eq!(fake.requests("GET", &format!("/charges/{charge_id}")).len(), 2);
    assert_eq!(audit_total(&admin, "payment.succeeded").await, 1);
}
both_backends!(omise_promptpay_settles_only_when_the_charge_is_paid);

// ---------------------------------------------------------------------------------------------
// The anonymous return page against a slow gateway

async fn anonymous_return_page_loads_ask_a_slow_gateway_a_bounded_number_of_times(backend: Backend) {
    /// Stripe answering each read after a second.
    async fn slow_reads(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
        if request.method() == axum::http::Method::GET {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        next.run(request).await
    }
    let fake = Fake::start(stripe_checkout_routes().layer(axum::middleware::from_fn(slow_reads))).await;
    let config = payments_config(&[gateway_entry(
        "stripe",
        &fake.base,
        "flow = \"checkout\"",
        &stripe_secrets(),
    )]);
    let (s, admin) = billing_server(backend, &config).await;
    let (alice, rid, total) = customer(&s, &admin, "alice").await;
    let pay = start_payment(&alice, &rid, "stripe", total).await;
    let id = text(&pay["id"]);
    let session_id = text(&pay["externalId"]);

    // Forty anonymous loads of the return page at once, for a payment still pending.
    let http = reqwest::Client::new();
    let started = Instant::now();
    let loads: Vec<_> = (0..40)
        .map(|_| {
            let (http, url) = (http.clone(), format!("{}/payments/return/{id}", s.base));
            tokio::spawn(async move {
                let page = http.get(url).send().await.expect("return page");
                (page.status().as_u16(), page.text().await.unwrap_or_default())
            })
        })
        .collect();
    for load in loads {
        let (status, html) = load.await.expect("join");
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("data-status=\"pending\""), "{html}");
    }
    let reads = fake
        .requests("GET", &format!("/v1/checkout/sessions/{session_id}"))
        .len();
    assert!((1..=2).contains(&reads), "{reads} status checks for 40 page loads");
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    // The gateway was slow, not broken: nothing is held against it.
    let ready = reqwest::get(format!("{}/readyz", s.base)).await.expect("readyz");
    assert_eq!(ready.status().as_u16(), 200);
    let body: Value = ready.json().await.expect("json");
    assert_eq!(body["gateways"]["stripe"], json!("ok"), "{body}");
}
both_backends!(anonymous_return_page_loads_ask_a_slow_gateway_a_bounded_number_of_times);
