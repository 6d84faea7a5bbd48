//! The operator's settings of a `usage-slurmrestd` source.

use hpcb_plugin_sdk::{PluginError, Value};
use hpcb_plugin_slurm_parse::rest::ApiVersion;
use serde::Deserialize;

/// `{"url": "http://127.0.0.1:6820", "api_version": "auto", "user_name": null,
/// "token_secret": "slurm_jwt", "window_hours": 24, "timeout_ms": 60000}`; every field optional,
/// unknown fields refused.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Where slurmrestd listens (`http://` or `https://`, no path).
    pub url: String,
    /// `"auto"` (try v0.0.45 down to v0.0.38, keep the first the server serves) or one version
    /// such as `"v0.0.40"`.
    pub api_version: String,
    /// Sent as `X-SLURM-USER-NAME`; when `None`, the user named inside the JWT (its `sun`
    /// claim) is sent, since slurmrestd 22.05 refuses a token without the header.
    pub user_name: Option<String>,
    /// The name of the host secret holding the JWT (`scontrol token`), sent as
    /// `X-SLURM-USER-TOKEN`; read on every request, so the operator can rotate it.
    pub token_secret: String,
    /// The longest time span one request covers; longer windows are fetched in pieces.
    pub window_hours: u64,
    /// How long one request may take, in ms (the host caps it).
    pub timeout_ms: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            url: "http://127.0.0.1:6820".to_owned(),
            api_version: "auto".to_owned(),
            user_name: None,
            token_secret: "slurm_jwt".to_owned(),
            window_hours: 24,
            timeout_ms: 60_000,
        }
    }
}

/// Which API version to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VersionChoice {
    /// Negotiate the newest the server serves.
    Auto,
    /// Use exactly this one.
    Fixed(ApiVersion),
}

impl Settings {
    /// Reads and checks the configuration (`null` means all defaults).
    pub(crate) fn from_config(config: Value) -> Result<(Settings, VersionChoice), PluginError> {
        let bad = |why: String| PluginError::bad_request(format!("usage-slurmrestd settings: {why}"));
        let mut settings: Settings = if config.is_null() {
            Settings::default()
        } else {
            serde_json::from_value(config).map_err(|err| bad(err.to_string()))?
        };
        settings.url = settings.url.trim().trim_end_matches('/').to_owned();
        let has_scheme = settings.url.starts_with("http://") || settings.url.starts_with("https://");
        let rest = settings.url.split_once("://").map(|(_, rest)| rest).unwrap_or_default();
        if !has_scheme || rest.is_empty() || rest.contains(['/', '?', '#']) {
            return Err(bad(format!(
                "url must be like http://host:port, not {:?}",
                settings.url
            )));
        }
        if settings.token_secret.trim().is_empty() {
            return Err(bad("token_secret is empty".to_owned()));
        }
        if settings.window_hours == 0 {
            return Err(bad("window_hours must be at least 1".to_owned()));
        }
        settings.user_name = settings.user_name.filter(|name| !name.trim().is_empty());
        let choice = if settings.api_version.eq_ignore_ascii_case("auto") {
            VersionChoice::Auto
        } else {
            VersionChoice::Fixed(
                ApiVersion::parse(&settings.api_version).map_err(|why| bad(format!("api_version: {why}")))?,
            )
        };
        Ok((settings, choice))
    }
}
