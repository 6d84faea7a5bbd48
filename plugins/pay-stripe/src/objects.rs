//! The Stripe objects this plugin reads, with only the fields it uses (Stripe adds fields
//! freely; unknown ones are ignored). Amounts are in Stripe's units, see [`crate::currency`].

use std::collections::BTreeMap;

use hpcb_plugin_sdk::{PluginError, Value};
use serde::Deserialize;

use crate::currency::from_stripe;

/// An object's `metadata` (string values; anything else is ignored).
pub type Metadata = BTreeMap<String, Value>;

/// The `payment_id` we stored in `metadata`, if any.
pub fn metadata_payment_id(metadata: &Option<Metadata>) -> Option<String> {
    metadata
        .as_ref()
        .and_then(|m| m.get("payment_id"))
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
}

/// The id of a field that is either an id or, when expanded, the object itself.
pub fn expandable_id(field: &Option<Value>) -> Option<String> {
    match field {
        Some(Value::String(id)) => Some(id.clone()),
        Some(Value::Object(object)) => object.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

/// An amount in Stripe's units and its currency, converted to ISO minor units and upper case.
pub fn iso_money(amount: Option<i64>, currency: &Option<String>) -> Result<(Option<i64>, Option<String>), PluginError> {
    let currency = currency.as_ref().map(|c| c.to_ascii_uppercase());
    let amount = match (amount, &currency) {
        (Some(amount), Some(currency)) => Some(from_stripe(amount, currency)?),
        _ => None,
    };
    Ok((amount, currency))
}

/// A Checkout Session (`cs_…`).
#[derive(Debug, Clone, Deserialize)]
pub struct Session {
    /// `cs_…`.
    pub id: String,
    /// The hosted payment page.
    #[serde(default)]
    pub url: Option<String>,
    /// `open`, `complete` or `expired`.
    #[serde(default)]
    pub status: Option<String>,
    /// `paid`, `unpaid` or `no_payment_required`.
    #[serde(default)]
    pub payment_status: Option<String>,
    /// The total, in Stripe units.
    #[serde(default)]
    pub amount_total: Option<i64>,
    /// Lower-case ISO code.
    #[serde(default)]
    pub currency: Option<String>,
    /// Our payment id.
    #[serde(default)]
    pub client_reference_id: Option<String>,
    /// Carries `payment_id` too.
    #[serde(default)]
    pub metadata: Option<Metadata>,
    /// The PaymentIntent (id or expanded object), once there is one.
    #[serde(default)]
    pub payment_intent: Option<Value>,
    /// Unix seconds.
    #[serde(default)]
    pub expires_at: Option<i64>,
}

impl Session {
    /// Our payment id: `client_reference_id`, else `metadata.payment_id`.
    pub fn payment_id(&self) -> Option<String> {
        self.client_reference_id
            .clone()
            .filter(|id| !id.is_empty())
            .or_else(|| metadata_payment_id(&self.metadata))
    }
}

/// A PaymentIntent (`pi_…`).
#[derive(Debug, Clone, Deserialize)]
pub struct PaymentIntent {
    /// `pi_…`.
    pub id: String,
    /// `requires_payment_method`, …, `succeeded`, `canceled`.
    #[serde(default)]
    pub status: Option<String>,
    /// The amount asked for, in Stripe units.
    #[serde(default)]
    pub amount: Option<i64>,
    /// The amount received, in Stripe units.
    #[serde(default)]
    pub amount_received: Option<i64>,
    /// Lower-case ISO code.
    #[serde(default)]
    pub currency: Option<String>,
    /// For Stripe.js in our own page.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Carries `payment_id`.
    #[serde(default)]
    pub metadata: Option<Metadata>,
}

impl PaymentIntent {
    /// `amount_received` once something was received, else `amount`.
    pub fn paid_amount(&self) -> Option<i64> {
        self.amount_received.filter(|received| *received > 0).or(self.amount)
    }
}

/// A Charge (`ch_…`), as `charge.refunded` carries it.
#[derive(Debug, Clone, Deserialize)]
pub struct Charge {
    /// Stripe units.
    #[serde(default)]
    pub amount: Option<i64>,
    /// Refunded so far, Stripe units.
    #[serde(default)]
    pub amount_refunded: Option<i64>,
    /// Lower-case ISO code.
    #[serde(default)]
    pub currency: Option<String>,
    /// The PaymentIntent it belongs to.
    #[serde(default)]
    pub payment_intent: Option<Value>,
    /// A copy of the PaymentIntent's metadata.
    #[serde(default)]
    pub metadata: Option<Metadata>,
}

/// A Dispute (`dp_…`).
#[derive(Debug, Clone, Deserialize)]
pub struct Dispute {
    /// Disputed amount, Stripe units.
    #[serde(default)]
    pub amount: Option<i64>,
    /// Lower-case ISO code.
    #[serde(default)]
    pub currency: Option<String>,
    /// The PaymentIntent of the disputed charge.
    #[serde(default)]
    pub payment_intent: Option<Value>,
    /// The dispute's own metadata (rarely set).
    #[serde(default)]
    pub metadata: Option<Metadata>,
}

/// A Refund (`re_…`).
#[derive(Debug, Clone, Deserialize)]
pub struct Refund {
    /// `re_…`.
    pub id: String,
    /// `pending`, `requires_action`, `succeeded`, `failed` or `canceled`.
    #[serde(default)]
    pub status: Option<String>,
    /// Stripe units.
    pub amount: i64,
    /// Lower-case ISO code.
    pub currency: String,
}
