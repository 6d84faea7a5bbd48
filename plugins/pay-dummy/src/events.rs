//! The dummy gateway's webhook event: built by `sign_event`, read back by `verify_webhook`.
//!
//! `{"id": "dev_…", "type": "payment.succeeded" | "payment.failed" | "refund.succeeded",
//! "created": <unix s>, "data": {"payment_id", "external_id", "amount_minor", "currency",
//! "refunded_minor"}}`, fields serialized in this order.

use serde::{Deserialize, Serialize};

use crate::protocol::{PaymentStatus, VerifiedEvent};

/// One event, as delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DummyEvent {
    /// `dev_…`, unique per delivery.
    pub id: String,
    /// `payment.succeeded`, `payment.failed` or `refund.succeeded`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Unix seconds.
    pub created: i64,
    /// What the event is about.
    pub data: EventData,
}

/// The payment an event is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventData {
    /// Our payment id.
    #[serde(default)]
    pub payment_id: Option<String>,
    /// `dummy_<payment_id>`.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Amount in ISO minor units.
    #[serde(default)]
    pub amount_minor: Option<i64>,
    /// Upper-case ISO 4217 code.
    #[serde(default)]
    pub currency: Option<String>,
    /// Refunded amount (refund events only).
    #[serde(default)]
    pub refunded_minor: Option<i64>,
}

/// Interprets the body of a delivery whose signature was verified; `Err` says why it is not a
/// dummy gateway event.
pub fn describe(body: &str) -> Result<VerifiedEvent, String> {
    let event: DummyEvent = serde_json::from_str(body).map_err(|err| format!("not a dummy gateway event: {err}"))?;
    let status = match event.kind.as_str() {
        "payment.succeeded" => Some(PaymentStatus::Succeeded),
        "payment.failed" => Some(PaymentStatus::Failed),
        "refund.succeeded" => Some(PaymentStatus::Refunded),
        _ => None,
    };
    Ok(VerifiedEvent {
        event_id: event.id,
        event_type: event.kind,
        payment_id: event.data.payment_id,
        external_id: event.data.external_id,
        status,
        amount_minor: event.data.amount_minor,
        currency: event.data.currency,
        refunded_minor: event.data.refunded_minor,
    })
}
