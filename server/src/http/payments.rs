//! The payments REST shim: gateway webhooks (the only route that takes unauthenticated state
//! changes, and so the only one outside CSRF protection: its authentication is the gateway's
//! signature), the page customers return to from a gateway, and the development gateway's
//! checkout page.

use super::caller::{client_ip, cookie, request_meta};
use super::export::plain_error;
use super::observe::RequestId;
use super::texts::{text, text_with, Lang};
use crate::state::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use hpcb_core::money::format_minor;
use hpcb_core::payments::{Payment, SettleOutcome, WebhookDelivery, WebhookResult};
use hpcb_core::CoreError;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::net::SocketAddr;

/// `POST /payments/webhook/{provider}`: the raw body goes to the gateway plugin untouched (a
/// signature covers the exact bytes). Answers: 200 handled or already handled, 400 rejected (a
/// bad or stale signature, or a validly signed body that is no usable event: retrying cannot
/// help; the gateway's reason is in the answer and the audit log), 404 unknown gateway, 409
/// amount or currency mismatch, 503 gateway or database unavailable (the gateway retries).
pub async fn webhook(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(RequestId(rid)): Extension<RequestId>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let meta = request_meta(client_ip(&state, peer, &headers), &headers, &rid);
    let Ok(body) = String::from_utf8(body.to_vec()) else {
        return plain_error(StatusCode::BAD_REQUEST, "the body is not UTF-8 text");
    };
    let mut lowered: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in &headers {
        let Ok(v) = value.to_str() else { continue };
        lowered
            .entry(name.as_str().to_ascii_lowercase())
            .and_modify(|prev| {
                prev.push_str(", ");
                prev.push_str(v);
            })
            .or_insert_with(|| v.to_owned());
    }
    let delivery = WebhookDelivery { headers: lowered, body };
    match state.services.payments.handle_webhook(&provider, delivery, &meta).await {
        Ok(WebhookResult::Rejected(reason)) => {
            tracing::warn!(provider, reason, "webhook rejected");
            // the plugin's reason names what is wrong with the delivery, never a secret: it is
            // what an operator reads in the gateway's delivery log
            plain_error(StatusCode::BAD_REQUEST, &format!("webhook rejected: {reason}"))
        }
        Ok(WebhookResult::Handled(SettleOutcome::Mismatch(why))) => (
            StatusCode::CONFLICT,
            Json(json!({"received": true, "outcome": "mismatch", "error": why})),
        )
            .into_response(),
        Ok(WebhookResult::Handled(outcome)) => {
            let name = match outcome {
                SettleOutcome::Applied => "applied",
                SettleOutcome::NoChange => "no_change",
                SettleOutcome::Duplicate => "duplicate",
                SettleOutcome::Ignored => "ignored",
                SettleOutcome::Unmatched => "unmatched",
                SettleOutcome::Mismatch(_) => "mismatch",
            };
            (StatusCode::OK, Json(json!({"received": true, "outcome": name}))).into_response()
        }
        Err(CoreError::NotFound(_)) => plain_error(StatusCode::NOT_FOUND, "no such payment gateway"),
        Err(CoreError::Validation { message, .. }) => plain_error(StatusCode::BAD_REQUEST, &message),
        Err(CoreError::Gateway(message)) => {
            tracing::warn!(provider, %message, "webhook could not be verified now");
            plain_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the webhook could not be processed now; retry",
            )
        }
        Err(e) => {
            tracing::error!(provider, error = %e, "webhook handling failed");
            plain_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the webhook could not be processed now; retry",
            )
        }
    }
}

/// Query of the return page.
#[derive(Debug, Default, Deserialize)]
pub struct ReturnParams {
    cancelled: Option<String>,
    lang: Option<String>,
}

fn amount(p: &Payment) -> String {
    format!("{} {}", format_minor(p.amount_minor, p.currency), p.currency)
}

/// The return page (`server/templates/payment_return.html`).
#[derive(Template)]
#[template(path = "payment_return.html")]
struct ReturnPage {
    lang: &'static str,
    refresh: bool,
    title: String,
    amount: String,
    status: String,
    words: String,
    cancelled_note: Option<String>,
    receipt_id: i64,
    payment_id: String,
    view_receipt: String,
    follow: String,
}

/// The development gateway's checkout (`server/templates/dummy_checkout.html`).
#[derive(Template)]
#[template(path = "dummy_checkout.html")]
struct DummyCheckout {
    lang: &'static str,
    refresh: bool,
    title: String,
    pending: bool,
    explain: String,
    amount: String,
    payment_id: String,
    pay: String,
    fail: String,
    state: String,
}

/// A rendered page, never cached (it shows a payment's state of this moment).
fn html_page(rendered: askama::Result<String>) -> Response {
    match rendered {
        Ok(html) => {
            let mut r = Html(html).into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot render a payment page");
            plain_error(StatusCode::INTERNAL_SERVER_ERROR, "the page could not be made")
        }
    }
}

/// `GET /payments/return/{paymentId}`: where gateways send the customer back. Asks the gateway
/// at once (a webhook may be late or lost) and shows the state; refreshes itself while pending.
/// The unguessable payment id is the only key, since gateway redirects arrive without our
/// cookie; the page shows nothing but the amount and the state.
pub async fn return_page(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(RequestId(rid)): Extension<RequestId>,
    Path(id): Path<String>,
    Query(q): Query<ReturnParams>,
    headers: HeaderMap,
) -> Response {
    let meta = request_meta(client_ip(&state, peer, &headers), &headers, &rid);
    let p = match state.services.payments.reconcile_on_return(&id, &meta).await {
        Ok(p) => p,
        Err(CoreError::NotFound(_)) => return plain_error(StatusCode::NOT_FOUND, "no such payment"),
        Err(e) => {
            tracing::error!(error = %e, "return page failed");
            return plain_error(StatusCode::SERVICE_UNAVAILABLE, "try again in a moment");
        }
    };
    // A signed-in browser goes on to the dashboard's payment page, which follows the payment
    // live until the gateway confirms; anyone else (no session, a script) gets this page.
    if super::browser::wants_html(&headers) && cookie(&headers, hpcb_schema::SessionCookies::SESSION).is_some() {
        return Redirect::to(&format!("/#/payments/{}", p.public_id)).into_response();
    }
    let pending = p.status == "pending";
    let lang = Lang::from_param(q.lang.as_deref());
    let known = ["succeeded", "failed", "expired", "refunded"];
    let words_key = if known.contains(&p.status.as_str()) {
        format!("server.payment.status.{}", p.status)
    } else {
        "server.payment.status.pending".to_owned()
    };
    html_page(
        ReturnPage {
            lang: lang.code(),
            refresh: pending && q.cancelled.is_none(),
            title: text(lang, "server.payment.title"),
            amount: amount(&p),
            status: p.status.clone(),
            words: text(lang, &words_key),
            cancelled_note: (q.cancelled.is_some() && pending).then(|| text(lang, "server.payment.cancelled")),
            receipt_id: p.receipt_id,
            payment_id: p.public_id.clone(),
            view_receipt: text(lang, "server.payment.viewReceipt"),
            follow: text(lang, "server.payment.follow"),
        }
        .render(),
    )
}

/// `GET /payments/dummy/checkout/{paymentId}`: the development gateway's hosted page.
pub async fn dummy_checkout(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let p = match dummy_payment(&state, &id).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let lang = Lang::En;
    html_page(
        DummyCheckout {
            lang: lang.code(),
            refresh: false,
            title: text(lang, "server.dummy.title"),
            pending: p.status == "pending",
            explain: text(lang, "server.dummy.explain"),
            amount: amount(&p),
            payment_id: p.public_id.clone(),
            pay: text(lang, "server.dummy.pay"),
            fail: text(lang, "server.dummy.fail"),
            state: text_with(lang, "server.dummy.state", &[("status", &p.status)]),
        }
        .render(),
    )
}

/// `POST /payments/dummy/checkout/{paymentId}/{pay|fail}`: the development gateway decides,
/// signs a webhook with its secret and delivers it to this server's webhook URL over HTTP,
/// then sends the customer to the return page.
pub async fn dummy_decide(State(state): State<AppState>, Path((id, decision)): Path<(String, String)>) -> Response {
    let succeeded = match decision.as_str() {
        "pay" => true,
        "fail" => false,
        _ => return plain_error(StatusCode::NOT_FOUND, "no such action"),
    };
    if let Err(r) = dummy_payment(&state, &id).await {
        return r;
    }
    let (p, signed) = match state.services.payments.sign_dummy_decision(&id, succeeded).await {
        Ok(x) => x,
        Err(e) => {
            tracing::error!(error = %e, "dummy gateway could not sign its event");
            return plain_error(StatusCode::SERVICE_UNAVAILABLE, "the dummy gateway is unavailable");
        }
    };
    let url = format!(
        "{}/payments/webhook/{}",
        state.services.payments.settings().public_url,
        p.provider
    );
    let client = reqwest::Client::new();
    let mut request = client.post(&url).body(signed.body);
    for (name, value) in &signed.headers {
        request = request.header(name, value);
    }
    match request.send().await {
        Ok(r) if r.status().is_success() => {}
        Ok(r) => tracing::warn!(status = %r.status(), "dummy webhook delivery was refused"),
        Err(e) => tracing::warn!(error = %e, "dummy webhook delivery failed; the janitor will reconcile"),
    }
    Redirect::to(&format!("/payments/return/{}", p.public_id)).into_response()
}

async fn dummy_payment(state: &AppState, id: &str) -> Result<Payment, Response> {
    match state.services.payments.by_public_id(id).await {
        Ok(p) if p.provider == "dummy" => Ok(p),
        Ok(_) | Err(CoreError::NotFound(_)) => Err(plain_error(StatusCode::NOT_FOUND, "no such dummy payment")),
        Err(e) => {
            tracing::error!(error = %e, "dummy checkout failed");
            Err(plain_error(StatusCode::SERVICE_UNAVAILABLE, "try again in a moment"))
        }
    }
}
