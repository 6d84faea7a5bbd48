//! The operator's settings of a `usage-sacct` source.

use hpcb_plugin_sdk::{PluginError, Value};
use hpcb_plugin_slurm_parse::timestamp::UtcOffset;
use serde::Deserialize;

/// `{"sacct": "sacct", "utc_offset": "+00:00", "extra_args": [], "timeout_ms": 120000}`; every
/// field optional, unknown fields refused (a typo must not be ignored silently).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The program to run, as the host's allow-list names it.
    pub sacct: String,
    /// The UTC offset of the time zone sacct runs in: it prints and reads local times without a
    /// zone. A fixed offset: zones with daylight saving need their current offset.
    pub utc_offset: String,
    /// Extra arguments appended to the command (`--clusters=hpc1`, `--partition=gpu`); they must
    /// not change the output format (no `--format`, `--long`, header options).
    pub extra_args: Vec<String>,
    /// How long sacct may take, in ms (the host caps it).
    pub timeout_ms: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            sacct: "sacct".to_owned(),
            utc_offset: "+00:00".to_owned(),
            extra_args: Vec::new(),
            timeout_ms: 120_000,
        }
    }
}

impl Settings {
    /// Reads and checks the configuration (`null` means all defaults), returning the parsed
    /// offset as well.
    pub fn from_config(config: Value) -> Result<(Settings, UtcOffset), PluginError> {
        let settings: Settings = if config.is_null() {
            Settings::default()
        } else {
            serde_json::from_value(config)
                .map_err(|err| PluginError::bad_request(format!("usage-sacct settings: {err}")))?
        };
        if settings.sacct.trim().is_empty() {
            return Err(PluginError::bad_request("usage-sacct settings: `sacct` is empty"));
        }
        let offset = UtcOffset::parse(&settings.utc_offset)
            .map_err(|why| PluginError::bad_request(format!("usage-sacct settings: utc_offset: {why}")))?;
        Ok((settings, offset))
    }
}
