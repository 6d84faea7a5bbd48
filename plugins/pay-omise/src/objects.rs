//! The Omise objects this plugin reads, with only the fields it uses (unknown ones are
//! ignored). Omise counts amounts in the currency's smallest unit, which is the ISO 4217 minor
//! unit for every currency Omise supports (THB 2 decimals, JPY 0, …), so amounts pass
//! unchanged.

use std::collections::BTreeMap;

use hpcb_plugin_sdk::Value;
use serde::Deserialize;

use crate::protocol::PaymentStatus;

/// A source (`src_…`).
#[derive(Debug, Clone, Deserialize)]
pub struct Source {
    /// `src_…`.
    pub id: String,
}

/// A charge (`chrg_…`).
#[derive(Debug, Clone, Deserialize)]
pub struct Charge {
    /// `chrg_…`.
    pub id: String,
    /// Smallest currency unit.
    #[serde(default)]
    pub amount: Option<i64>,
    /// ISO code, upper or lower case depending on the API version.
    #[serde(default)]
    pub currency: Option<String>,
    /// `pending`, `successful`, `failed`, `expired`, `reversed`.
    #[serde(default)]
    pub status: Option<String>,
    /// Whether the money was captured.
    #[serde(default)]
    pub paid: bool,
    /// Refunded so far.
    #[serde(default)]
    pub refunded_amount: Option<i64>,
    /// Omise's page for the payment (3-D Secure, redirect sources, PromptPay's QR page).
    #[serde(default)]
    pub authorize_uri: Option<String>,
    /// RFC 3339.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// Why it failed.
    #[serde(default)]
    pub failure_code: Option<String>,
    /// Why it failed, in words.
    #[serde(default)]
    pub failure_message: Option<String>,
    /// Carries `payment_id`.
    #[serde(default)]
    pub metadata: Option<BTreeMap<String, Value>>,
    /// The source, expanded (with the QR code of PromptPay).
    #[serde(default)]
    pub source: Option<Value>,
}

impl Charge {
    /// What the charge means for the payment. Only `successful` **and** `paid` is success: a
    /// successful charge that is not paid is only authorized.
    pub fn payment_status(&self) -> PaymentStatus {
        match (self.status.as_deref(), self.paid) {
            (Some("successful"), true) => PaymentStatus::Succeeded,
            (Some("failed" | "reversed"), _) => PaymentStatus::Failed,
            (Some("expired"), _) => PaymentStatus::Expired,
            _ => PaymentStatus::Pending,
        }
    }

    /// Our payment id from `metadata`.
    pub fn payment_id(&self) -> Option<String> {
        self.metadata
            .as_ref()
            .and_then(|m| m.get("payment_id"))
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
    }

    /// The upper-case currency.
    pub fn iso_currency(&self) -> Option<String> {
        self.currency.as_ref().map(|c| c.to_ascii_uppercase())
    }

    /// `source.scannable_code.image.download_uri`: the QR code image.
    pub fn qr_image_url(&self) -> Option<String> {
        self.source
            .as_ref()?
            .pointer("/scannable_code/image/download_uri")?
            .as_str()
            .map(str::to_owned)
    }

    /// `expires_at` in Unix ms (`None` when absent or unreadable).
    pub fn expires_at_ms(&self) -> Option<i64> {
        let text = self.expires_at.as_deref()?;
        chrono::DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|time| time.timestamp_millis())
    }
}

/// A refund (`rfnd_…`).
#[derive(Debug, Clone, Deserialize)]
pub struct Refund {
    /// `rfnd_…`.
    pub id: String,
    /// Smallest currency unit.
    pub amount: i64,
    /// Deprecated by Omise but still sent: `closed` when done, `pending`, or `failed`.
    #[serde(default)]
    pub status: Option<String>,
}

impl Refund {
    /// What the refund's state means. Omise refunds (or voids) synchronously, so a refund
    /// without a status is done; unknown statuses are treated as not done yet.
    pub fn payment_status(&self) -> PaymentStatus {
        match self.status.as_deref() {
            None | Some("closed" | "succeeded" | "successful") => PaymentStatus::Succeeded,
            Some("failed") => PaymentStatus::Failed,
            Some(_) => PaymentStatus::Pending,
        }
    }
}
