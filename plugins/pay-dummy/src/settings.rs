//! The operator's settings of the `dummy` gateway.

use hpcb_plugin_sdk::{PluginError, Value};
use serde::Deserialize;

/// The longest `status_delay_ms` accepted.
pub const MAX_STATUS_DELAY_MS: u64 = 60_000;

/// `{"tolerance_secs": 300, "status_delay_ms": 0}`; every field optional, unknown fields refused.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// How old a webhook signature's timestamp may be, in seconds.
    pub tolerance_secs: u64,
    /// A development aid: how long each `fetch_status` takes before it answers, in
    /// milliseconds (at most [`MAX_STATUS_DELAY_MS`]), to see how the server copes with a slow
    /// or hanging gateway. 0, the default, answers at once.
    pub status_delay_ms: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            tolerance_secs: 300,
            status_delay_ms: 0,
        }
    }
}

impl Settings {
    /// Reads and checks the configuration (`null` means all defaults).
    pub fn from_config(config: Value) -> Result<Settings, PluginError> {
        let bad = |why: String| PluginError::bad_request(format!("dummy settings: {why}"));
        let settings: Settings = if config.is_null() {
            Settings::default()
        } else {
            // serde_path_to_error names the field in type errors, not only in unknown-field ones
            serde_path_to_error::deserialize(config).map_err(|err| bad(err.to_string()))?
        };
        // 0 would accept only signatures made in the very same second
        if settings.tolerance_secs == 0 {
            return Err(bad("tolerance_secs must be at least 1".to_owned()));
        }
        if settings.status_delay_ms > MAX_STATUS_DELAY_MS {
            return Err(bad(format!("status_delay_ms must be at most {MAX_STATUS_DELAY_MS}")));
        }
        Ok(settings)
    }
}
