//! The operator's settings of the `stripe` gateway.

use hpcb_plugin_sdk::{PluginError, Value};
use serde::Deserialize;

/// Which Stripe object a checkout is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    /// A Checkout Session: Stripe hosts the payment page (`cs_…`).
    Checkout,
    /// A PaymentIntent: our own page confirms it with Stripe.js (`pi_…`).
    PaymentIntent,
}

/// `{"api_base": "https://api.stripe.com", "flow": "checkout", "payment_method_types": null,
/// "tolerance_secs": 300, "stripe_version": "2024-06-20"}`; every field optional, unknown
/// fields refused.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Stripe's API root, without a trailing slash (a test double's URL in tests).
    pub api_base: String,
    /// Checkout Sessions or PaymentIntents.
    pub flow: Flow,
    /// `payment_method_types` sent on every checkout (e.g. `["card", "promptpay"]`); `None`
    /// leaves the choice to the account's settings in the Stripe dashboard.
    pub payment_method_types: Option<Vec<String>>,
    /// How old a webhook signature's timestamp may be, in seconds.
    pub tolerance_secs: u64,
    /// The `Stripe-Version` header of every request, so a dashboard upgrade of the account's
    /// default API version cannot change the shapes this plugin parses.
    pub stripe_version: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            api_base: "https://api.stripe.com".to_owned(),
            flow: Flow::Checkout,
            payment_method_types: None,
            tolerance_secs: 300,
            stripe_version: "2024-06-20".to_owned(),
        }
    }
}

impl Settings {
    /// Reads and checks the configuration (`null` means all defaults).
    pub fn from_config(config: Value) -> Result<Settings, PluginError> {
        let bad = |why: String| PluginError::bad_request(format!("stripe settings: {why}"));
        let mut settings: Settings = if config.is_null() {
            Settings::default()
        } else {
            // serde_path_to_error names the field in type errors, not only in unknown-field ones
            serde_path_to_error::deserialize(config).map_err(|err| bad(err.to_string()))?
        };
        settings.api_base = settings.api_base.trim().trim_end_matches('/').to_owned();
        let rest = settings
            .api_base
            .strip_prefix("https://")
            .or_else(|| settings.api_base.strip_prefix("http://"));
        if rest.is_none_or(|rest| rest.is_empty() || rest.contains(['?', '#'])) {
            return Err(bad(format!(
                "api_base must be an http(s) URL such as https://api.stripe.com, not {:?}",
                settings.api_base
            )));
        }
        if let Some(types) = &settings.payment_method_types {
            if types.is_empty() {
                return Err(bad(
                    "payment_method_types is empty (leave it out to use the account's defaults)".to_owned(),
                ));
            }
            if let Some(bad_type) = types.iter().find(|t| {
                t.is_empty()
                    || !t
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            }) {
                return Err(bad(format!(
                    "payment_method_types: {bad_type:?} is not a Stripe payment method type"
                )));
            }
        }
        // 0 would mean "disabled" to Stripe's SDKs but "only this very second" to the protocol's
        // wording; neither is what an operator wants, so it is refused.
        if settings.tolerance_secs == 0 {
            return Err(bad("tolerance_secs must be at least 1".to_owned()));
        }
        settings.stripe_version = settings.stripe_version.trim().to_owned();
        if settings.stripe_version.is_empty() {
            return Err(bad("stripe_version is empty".to_owned()));
        }
        Ok(settings)
    }
}
