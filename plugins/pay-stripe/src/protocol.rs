//! The JSON shapes of the payment-gateway protocol (`plugins/payment-gateways.md`): what the
//! server sends and what this plugin answers. Requests tolerate fields they do not know (the
//! plugin API lets newer servers add optional fields); answers always carry every field, `null`
//! where there is nothing to say.

use std::collections::BTreeMap;

use hpcb_plugin_sdk::{PluginError, Value};
use serde::{Deserialize, Serialize};

/// The `refund` method (not among the SDK's method constants yet).
pub const REFUND: &str = "refund";

/// Where a payment stands, as the protocol names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PaymentStatus {
    /// Not paid yet (or the gateway cannot tell).
    Pending,
    /// The gateway said explicitly that the money was received.
    Succeeded,
    /// The attempt failed for good.
    Failed,
    /// The checkout expired unpaid.
    Expired,
    /// Money was given back (fully or partly).
    Refunded,
    /// The customer disputed the payment with their bank.
    Disputed,
}

/// `create_checkout` request.
#[derive(Debug, Clone, Deserialize)]
pub struct CheckoutRequest {
    /// Our payment id, carried through the gateway and back.
    pub payment_id: String,
    /// Amount in ISO minor units.
    pub amount_minor: i64,
    /// Upper-case ISO 4217 code.
    pub currency: String,
    /// What the customer sees as the item bought.
    #[serde(default)]
    pub description: Option<String>,
    /// Where the customer lands after paying.
    pub return_url: String,
    /// Where the customer lands after giving up.
    #[serde(default)]
    pub cancel_url: Option<String>,
    /// Sent as the gateway's idempotency key.
    pub idempotency_key: String,
    /// Prefills the checkout page.
    #[serde(default)]
    pub customer_email: Option<String>,
    /// When the checkout should stop accepting payment (Unix ms).
    #[serde(default)]
    pub expires_at_ms: Option<i64>,
}

/// `create_checkout` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckoutAnswer {
    /// The gateway's id of the checkout (`cs_…` or `pi_…`).
    pub external_id: String,
    /// The hosted page to send the customer to.
    pub checkout_url: Option<String>,
    /// A QR code image to show instead of (or beside) the page.
    pub qr_image_url: Option<String>,
    /// What Stripe.js needs to confirm a PaymentIntent in our own page.
    pub client_secret: Option<String>,
    /// Always `pending`: nothing is paid yet.
    pub status: PaymentStatus,
    /// When the gateway stops accepting payment (Unix ms).
    pub expires_at_ms: Option<i64>,
}

/// `verify_webhook` request: the delivery as received.
#[derive(Debug, Clone, Deserialize)]
pub struct WebhookRequest {
    /// Request headers (names lower-case).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The raw body, byte for byte as received.
    pub body: String,
}

impl WebhookRequest {
    /// A header by name, whatever case the server used.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// What a verified event says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifiedEvent {
    /// The gateway's event id (the server deduplicates on it).
    pub event_id: String,
    /// The gateway's event type, as it names it.
    pub event_type: String,
    /// Our payment id, when the event carries it.
    pub payment_id: Option<String>,
    /// The gateway's id of the payment object the event is about.
    pub external_id: Option<String>,
    /// `None` for events that say nothing about a payment.
    pub status: Option<PaymentStatus>,
    /// Amount in ISO minor units.
    pub amount_minor: Option<i64>,
    /// Upper-case ISO 4217 code.
    pub currency: Option<String>,
    /// How much was refunded so far, in ISO minor units.
    pub refunded_minor: Option<i64>,
}

impl VerifiedEvent {
    /// An event that says nothing about a payment.
    pub fn unrelated(event_id: String, event_type: String) -> Self {
        VerifiedEvent {
            event_id,
            event_type,
            payment_id: None,
            external_id: None,
            status: None,
            amount_minor: None,
            currency: None,
            refunded_minor: None,
        }
    }
}

/// The `verify_webhook` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookAnswer {
    /// The signature holds; what the event says.
    Verified(VerifiedEvent),
    /// The delivery is not to be trusted, and why.
    Rejected(String),
}

impl WebhookAnswer {
    /// The answer's JSON: `{"verified": true, …}` or `{"verified": false, "reason": …}`.
    pub fn to_json(&self) -> Result<Value, PluginError> {
        let mut value = match self {
            WebhookAnswer::Verified(event) => serde_json::to_value(event)?,
            WebhookAnswer::Rejected(reason) => serde_json::json!({ "reason": reason }),
        };
        if let Some(object) = value.as_object_mut() {
            object.insert(
                "verified".to_owned(),
                Value::Bool(matches!(self, WebhookAnswer::Verified(_))),
            );
        }
        Ok(value)
    }
}

/// `fetch_status` request.
#[derive(Debug, Clone, Deserialize)]
pub struct StatusRequest {
    /// The id `create_checkout` answered.
    pub external_id: String,
}

/// `fetch_status` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusAnswer {
    /// The id asked about.
    pub external_id: String,
    /// `pending`, `succeeded`, `failed` or `expired`.
    pub status: PaymentStatus,
    /// Amount in ISO minor units.
    pub amount_minor: Option<i64>,
    /// Upper-case ISO 4217 code.
    pub currency: Option<String>,
    /// Our payment id, when the gateway carries it.
    pub payment_id: Option<String>,
}

/// `refund` request.
#[derive(Debug, Clone, Deserialize)]
pub struct RefundRequest {
    /// The id `create_checkout` answered.
    pub external_id: String,
    /// How much to give back, in ISO minor units.
    pub amount_minor: i64,
    /// Upper-case ISO 4217 code of the payment.
    pub currency: String,
    /// Sent as the gateway's idempotency key.
    pub idempotency_key: String,
    /// Why (`duplicate`, `fraudulent`, `requested_by_customer` or free text).
    #[serde(default)]
    pub reason: Option<String>,
}

/// `refund` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundAnswer {
    /// The gateway's refund id.
    pub refund_id: String,
    /// `succeeded`, `pending` or `failed`.
    pub status: PaymentStatus,
    /// The amount refunded, in ISO minor units.
    pub amount_minor: i64,
}

/// Reads a request, naming the method in the error.
pub fn parse_request<T: serde::de::DeserializeOwned>(method: &str, request: Value) -> Result<T, PluginError> {
    serde_path_to_error::deserialize(request)
        .map_err(|err| PluginError::bad_request(format!("{method} request: {err}")))
}

/// Checks an amount and currency the server sent: a positive amount, three upper-case letters.
pub fn check_money(amount_minor: i64, currency: &str) -> Result<(), PluginError> {
    if amount_minor <= 0 {
        return Err(PluginError::bad_request(format!(
            "amount_minor must be positive, not {amount_minor}"
        )));
    }
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(PluginError::bad_request(format!(
            "currency must be an upper-case ISO 4217 code, not {currency:?}"
        )));
    }
    Ok(())
}

/// Checks an idempotency key: Stripe takes at most 255 characters, and an empty key would
/// silently turn idempotency off.
pub fn check_idempotency_key(key: &str) -> Result<(), PluginError> {
    if key.trim().is_empty() || key.len() > 255 {
        return Err(PluginError::bad_request("idempotency_key must be 1 to 255 characters"));
    }
    Ok(())
}
