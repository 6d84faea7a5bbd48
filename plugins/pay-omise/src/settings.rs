//! The operator's settings of the `omise` gateway.

use hpcb_plugin_sdk::{PluginError, Value};
use serde::Deserialize;

/// `{"api_base": "https://api.omise.co", "source_type": "promptpay", "tolerance_secs": 300}`;
/// every field optional, unknown fields refused.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Omise's API root, without a trailing slash (a test double's URL in tests).
    pub api_base: String,
    /// The `type` of the source every checkout creates (`promptpay`: a QR code to scan).
    pub source_type: String,
    /// How old a webhook signature's timestamp may be, in seconds.
    pub tolerance_secs: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            api_base: "https://api.omise.co".to_owned(),
            source_type: "promptpay".to_owned(),
            tolerance_secs: 300,
        }
    }
}

impl Settings {
    /// Reads and checks the configuration (`null` means all defaults).
    pub fn from_config(config: Value) -> Result<Settings, PluginError> {
        let bad = |why: String| PluginError::bad_request(format!("omise settings: {why}"));
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
                "api_base must be an http(s) URL such as https://api.omise.co, not {:?}",
                settings.api_base
            )));
        }
        // Omise's source types are lower-case words (`promptpay`, `mobile_banking_scb`, …); other
        // offline or redirect types work the same way (QR code and/or authorize_uri)
        if settings.source_type.is_empty()
            || !settings
                .source_type
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(bad(format!(
                "source_type must be an Omise source type such as \"promptpay\", not {:?}",
                settings.source_type
            )));
        }
        // 0 would accept only signatures made in the very same second
        if settings.tolerance_secs == 0 {
            return Err(bad("tolerance_secs must be at least 1".to_owned()));
        }
        Ok(settings)
    }
}
