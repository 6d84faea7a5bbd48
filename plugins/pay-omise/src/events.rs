//! Omise's webhook event envelope and what it points at. The event's own copy of the object is
//! never trusted for the payment's state: the gateway re-fetches the charge it names.

use hpcb_plugin_sdk::{PluginError, Value};
use serde::Deserialize;

use crate::protocol::PaymentStatus;

/// `{"object": "event", "id": "evnt_…", "key": "charge.complete", "data": {…}}`.
#[derive(Debug, Deserialize)]
struct Event {
    object: String,
    id: String,
    key: String,
    data: Value,
}

/// What a verified event asks the gateway to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interpreted {
    /// `evnt_…`.
    pub event_id: String,
    /// The event key, e.g. `charge.complete`.
    pub event_type: String,
    /// The charge to re-fetch, when the event is about one.
    pub charge_id: Option<String>,
    /// A status that the event itself decides (`refunded`, `disputed`) instead of the charge.
    pub status_override: Option<PaymentStatus>,
}

/// `data.charge` of a refund or dispute: an id, or the expanded charge.
fn charge_ref(data: &Value) -> Option<String> {
    match data.get("charge") {
        Some(Value::String(id)) => Some(id.clone()),
        Some(Value::Object(charge)) => charge.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

/// Reads the body of a delivery whose signature was verified. Every error is about the body,
/// never transient.
///
/// - `charge.*` (data is a charge): re-fetch it, its status decides;
/// - `refund.create`: re-fetch the refunded charge, status `refunded`;
/// - `dispute.create`: re-fetch the disputed charge, status `disputed`;
/// - anything else (customers, transfers, later dispute steps, …): nothing about a payment.
pub fn interpret(body: &str) -> Result<Interpreted, PluginError> {
    let event: Event =
        serde_json::from_str(body).map_err(|err| PluginError::bad_request(format!("not an Omise event: {err}")))?;
    if event.object != "event" {
        return Err(PluginError::bad_request(format!(
            "an Omise {:?}, not an event",
            event.object
        )));
    }
    let data_object = event.data.get("object").and_then(Value::as_str).unwrap_or_default();
    let (about_a_charge, charge_id, status_override) = match (event.key.as_str(), data_object) {
        (key, "charge") if key.starts_with("charge.") => (
            true,
            event.data.get("id").and_then(Value::as_str).map(str::to_owned),
            None,
        ),
        ("refund.create", "refund") => (true, charge_ref(&event.data), Some(PaymentStatus::Refunded)),
        ("dispute.create", "dispute") => (true, charge_ref(&event.data), Some(PaymentStatus::Disputed)),
        _ => (false, None, None),
    };
    if about_a_charge && charge_id.is_none() {
        return Err(PluginError::bad_request(format!(
            "Omise event {} ({}) names no charge",
            event.id, event.key
        )));
    }
    Ok(Interpreted {
        event_id: event.id,
        event_type: event.key,
        charge_id,
        status_override,
    })
}
