//! The operator's settings of a `usage-csv` source.

use hpcb_plugin_sdk::{PluginError, Value};
use hpcb_plugin_slurm_parse::size::BareUnit;
use hpcb_plugin_slurm_parse::timestamp::UtcOffset;
use serde::Deserialize;

/// `{"path": "/srv/usage/jobs.psv", "utc_offset": "+00:00", "ave_rss_unit": "KiB"}`; `path` is
/// required, unknown fields are refused.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The file, under a directory the host allow-lists for this plugin.
    pub path: String,
    /// The UTC offset of the zone the file's times were written in (sacct prints local times).
    #[serde(default = "utc")]
    pub utc_offset: String,
    /// The unit of an `AveRSS` without suffix: `"KiB"` (sacct's default output, as the
    /// predecessor read it) or `"bytes"` (files made with `sacct --noconvert`).
    #[serde(default = "kib")]
    pub ave_rss_unit: String,
}

fn utc() -> String {
    "+00:00".to_owned()
}

fn kib() -> String {
    "KiB".to_owned()
}

/// The settings, checked and parsed.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    pub path: String,
    pub offset: UtcOffset,
    pub ave_rss_bare: BareUnit,
}

impl Settings {
    /// Reads and checks the configuration.
    pub(crate) fn from_config(config: Value) -> Result<Checked, PluginError> {
        let bad = |why: String| PluginError::bad_request(format!("usage-csv settings: {why}"));
        let settings: Settings = serde_json::from_value(config).map_err(|err| bad(err.to_string()))?;
        if settings.path.trim().is_empty() {
            return Err(bad("`path` is empty".to_owned()));
        }
        let offset = UtcOffset::parse(&settings.utc_offset).map_err(|why| bad(format!("utc_offset: {why}")))?;
        let ave_rss_bare = match settings.ave_rss_unit.to_ascii_lowercase().as_str() {
            "kib" | "k" => BareUnit::KiB,
            "bytes" | "b" => BareUnit::Bytes,
            other => return Err(bad(format!("ave_rss_unit must be \"KiB\" or \"bytes\", not {other:?}"))),
        };
        Ok(Checked {
            path: settings.path,
            offset,
            ave_rss_bare,
        })
    }
}
