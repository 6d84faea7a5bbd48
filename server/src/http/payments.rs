//! The payments REST shim: gateway webhooks (the only route that takes unauthenticated state
//! changes, and so the only one outside CSRF protection: its authentication is the gateway's
//! signature), the page customers return to from a gateway, and the development gateway's
//! checkout page.

use super::caller::{client_ip, request_meta};
use super::export::plain_error;
use super::observe::RequestId;
use super::receipt_page::escape;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use hpcb_core::money::format_minor;
use hpcb_core::payments::{Payment, SettleOutcome, WebhookDelivery, WebhookResult};
use hpcb_core::CoreError;
use hpcb_entities::Currency;
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

fn status_words(status: &str, thai: bool) -> &'static str {
    match (status, thai) {
        ("succeeded", false) => "Paid. Thank you.",
        ("succeeded", true) => "ชำระเงินเรียบร้อยแล้ว ขอบคุณ",
        ("failed", false) => "The payment failed. Nothing was charged.",
        ("failed", true) => "การชำระเงินไม่สำเร็จ ไม่มีการเรียกเก็บเงิน",
        ("expired", false) => "The checkout expired unpaid.",
        ("expired", true) => "หมดเวลาชำระเงิน",
        ("refunded", false) => "Paid and refunded.",
        ("refunded", true) => "ชำระแล้วและคืนเงินแล้ว",
        (_, false) => "Waiting for the payment to be confirmed…",
        (_, true) => "กำลังรอการยืนยันการชำระเงิน…",
    }
}

fn amount(p: &Payment) -> String {
    match Currency::parse(&p.currency) {
        Some(c) => format!("{} {}", format_minor(p.amount_minor, c), p.currency),
        None => format!("{} {}", p.amount_minor, p.currency),
    }
}

fn page(title: &str, lang: &str, refresh: bool, body: &str) -> Response {
    let meta = if refresh {
        "<meta http-equiv=\"refresh\" content=\"3\">"
    } else {
        ""
    };
    let html = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">{meta}\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{t}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}}\
         button{{font-size:1.1rem;padding:.6rem 1.4rem;margin-right:1rem}}</style></head><body>{body}</body></html>",
        t = escape(title),
    );
    let mut r = Html(html).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    r
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
    let thai = q.lang.as_deref() == Some("th");
    let p = match state.services.payments.reconcile_on_return(&id, &meta).await {
        Ok(p) => p,
        Err(CoreError::NotFound(_)) => return plain_error(StatusCode::NOT_FOUND, "no such payment"),
        Err(e) => {
            tracing::error!(error = %e, "return page failed");
            return plain_error(StatusCode::SERVICE_UNAVAILABLE, "try again in a moment");
        }
    };
    let pending = p.status == "pending";
    let note = if q.cancelled.is_some() && pending {
        if thai {
            "<p>คุณยกเลิกการชำระเงิน ใบเสร็จยังรอการชำระ</p>"
        } else {
            "<p>You left the checkout; the receipt is still unpaid.</p>"
        }
    } else {
        ""
    };
    let (title, receipt, follow) = if thai {
        ("การชำระเงิน", "ดูใบเสร็จ", "ติดตามในแดชบอร์ด")
    } else {
        ("Payment", "View the receipt", "Follow it in the dashboard")
    };
    let body = format!(
        "<h1>{title}</h1><p id=\"amount\">{amt}</p><p id=\"status\" data-status=\"{st}\">{words}</p>{note}\
         <p><a href=\"/receipts/{rid}?lang={lang}\">{receipt}</a> · <a href=\"/#/payments/{pid}\">{follow}</a></p>",
        pid = escape(&p.public_id),
        amt = escape(&amount(&p)),
        st = escape(&p.status),
        words = status_words(&p.status, thai),
        rid = p.receipt_id,
        lang = if thai { "th" } else { "en" },
    );
    page(
        title,
        if thai { "th" } else { "en" },
        pending && q.cancelled.is_none(),
        &body,
    )
}

/// `GET /payments/dummy/checkout/{paymentId}`: the development gateway's hosted page.
pub async fn dummy_checkout(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let p = match dummy_payment(&state, &id).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let body = if p.status == "pending" {
        format!(
            "<h1>Dummy gateway</h1><p>A development gateway: no money moves. Paying sends a signed \
             webhook to the server, exactly as a real gateway would.</p><p id=\"amount\">{amt}</p>\
             <form method=\"post\" action=\"/payments/dummy/checkout/{id}/pay\" style=\"display:inline\">\
             <button id=\"pay\" type=\"submit\">Pay</button></form>\
             <form method=\"post\" action=\"/payments/dummy/checkout/{id}/fail\" style=\"display:inline\">\
             <button id=\"fail\" type=\"submit\">Fail</button></form>",
            amt = escape(&amount(&p)),
            id = escape(&p.public_id),
        )
    } else {
        format!(
            "<h1>Dummy gateway</h1><p id=\"status\">This payment is {}.</p>",
            escape(&p.status)
        )
    };
    page("Dummy gateway", "en", false, &body)
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
