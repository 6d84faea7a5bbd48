//! The plugin instance: `probe` and `fetch` over the host's `read_file` capability.

use hpcb_plugin_sdk::{Host, Plugin, PluginError, PluginInfo, PluginKind, Value};
use hpcb_plugin_slurm_parse::protocol::{FetchRequest, ProbeAnswer, FETCH, PROBE};
use hpcb_plugin_slurm_parse::sacct::{parse_sacct, Layout, SacctOptions};
use hpcb_plugin_slurm_parse::window::in_window;
use hpcb_plugin_slurm_parse::FetchOutput;

use crate::settings::{Checked, Settings};

/// One configured CSV source.
pub struct CsvSource {
    host: Host,
    settings: Checked,
}

impl Plugin for CsvSource {
    fn info() -> PluginInfo {
        PluginInfo::new("usage-csv", PluginKind::UsageSource, env!("CARGO_PKG_VERSION"))
            .with_description("Slurm jobs from a sacct --parsable2 file with a header line")
    }

    fn create(config: Value, host: Host) -> Result<Self, PluginError> {
        Ok(CsvSource {
            host,
            settings: Settings::from_config(config)?,
        })
    }

    fn call(&mut self, method: &str, request: Value) -> Result<Value, PluginError> {
        match method {
            PROBE => Ok(serde_json::to_value(self.probe())?),
            FETCH => {
                let window = FetchRequest::from_json(&request).map_err(PluginError::bad_request)?;
                Ok(serde_json::to_value(self.fetch(window)?)?)
            }
            other => Err(PluginError::unknown_method(other)),
        }
    }
}

impl CsvSource {
    /// Reads and parses the whole file.
    fn read(&self) -> Result<FetchOutput, PluginError> {
        let text = self.host.read_file(&self.settings.path)?;
        let options = SacctOptions {
            utc_offset: self.settings.offset,
            ave_rss_bare: self.settings.ave_rss_bare,
        };
        parse_sacct(&text, Layout::HeaderLine, &options)
            .map_err(|why| PluginError::bad_request(format!("{}: {why}", self.settings.path)))
    }

    /// Reads the file and says how much of it is usable.
    fn probe(&self) -> ProbeAnswer {
        match self.read() {
            Ok(output) => ProbeAnswer {
                ok: true,
                detail: format!(
                    "{}: {} job(s), {} unreadable line(s)",
                    self.settings.path,
                    output.jobs.len(),
                    output.warnings.len()
                ),
                api_version: None,
            },
            Err(err) => ProbeAnswer {
                ok: false,
                detail: err.to_string(),
                api_version: None,
            },
        }
    }

    /// The jobs of the file that ended in the window, plus those that had not ended.
    fn fetch(&self, window: FetchRequest) -> Result<FetchOutput, PluginError> {
        let mut output = self.read()?;
        output.jobs.retain(|record| in_window(record, window.from, window.to));
        Ok(output)
    }
}
