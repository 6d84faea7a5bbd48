//! The plugin instance: `probe` and `fetch` over the host's `run` capability.

use hpcb_plugin_sdk::{Host, Plugin, PluginError, PluginInfo, PluginKind, RunOutput, RunRequest, Value};
use hpcb_plugin_slurm_parse::protocol::{FetchRequest, ProbeAnswer, FETCH, PROBE};
use hpcb_plugin_slurm_parse::sacct::{parse_sacct, Layout, SacctOptions, FORMAT_FIELDS};
use hpcb_plugin_slurm_parse::size::BareUnit;
use hpcb_plugin_slurm_parse::timestamp::{format_local, UtcOffset};
use hpcb_plugin_slurm_parse::window::in_window;
use hpcb_plugin_slurm_parse::FetchOutput;

use crate::Settings;

/// One configured sacct source.
pub struct SacctSource {
    host: Host,
    settings: Settings,
    offset: UtcOffset,
}

impl Plugin for SacctSource {
    fn info() -> PluginInfo {
        PluginInfo::new("usage-sacct", PluginKind::UsageSource, env!("CARGO_PKG_VERSION"))
            .with_description("Slurm jobs from sacct --parsable2, run by the host")
    }

    fn create(config: Value, host: Host) -> Result<Self, PluginError> {
        let (settings, offset) = Settings::from_config(config)?;
        Ok(SacctSource { host, settings, offset })
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

impl SacctSource {
    /// Runs sacct with these arguments.
    fn run(&self, args: Vec<String>) -> Result<RunOutput, PluginError> {
        let request = RunRequest::new(self.settings.sacct.clone(), args).timeout_ms(self.settings.timeout_ms);
        self.host.run(&request)
    }

    /// The arguments that list the jobs which existed during `[from_ms, to_ms)`.
    fn window_args(&self, from_ms: i64, to_ms: i64) -> Vec<String> {
        let from_s = from_ms.div_euclid(1000);
        let to_s = to_ms.div_euclid(1000) + i64::from(to_ms.rem_euclid(1000) != 0);
        let mut args: Vec<String> = ["--parsable2", "--noheader", "--noconvert", "--allusers", "--starttime"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        args.push(format_local(from_s, self.offset));
        args.push("--endtime".to_owned());
        args.push(format_local(to_s, self.offset));
        args.push("--format".to_owned());
        args.push(FORMAT_FIELDS.join(","));
        args.extend(self.settings.extra_args.iter().cloned());
        args
    }

    /// `sacct --version` plus an empty query (a second in 2000) that needs slurmdbd.
    fn probe(&self) -> ProbeAnswer {
        let fail = |detail: String| ProbeAnswer {
            ok: false,
            detail,
            api_version: None,
        };
        let version = match self.run(vec!["--version".to_owned()]) {
            Ok(out) if out.success() => out.stdout.trim().to_owned(),
            Ok(out) => return fail(format!("`{} --version` failed: {}", self.settings.sacct, failure(&out))),
            Err(err) => return fail(format!("cannot run {}: {err}", self.settings.sacct)),
        };
        match self.run(self.window_args(946_684_800_000, 946_684_801_000)) {
            Ok(out) if out.success() => ProbeAnswer {
                ok: true,
                detail: format!("{version}; slurmdbd answers"),
                api_version: None,
            },
            Ok(out) => fail(format!("{version}, but a query failed: {}", failure(&out))),
            Err(err) => fail(format!("{version}, but a query could not run: {err}")),
        }
    }

    /// The jobs that ended in the window, plus those still running or pending.
    fn fetch(&self, window: FetchRequest) -> Result<FetchOutput, PluginError> {
        if window.from == window.to {
            return Ok(FetchOutput::default());
        }
        let out = self.run(self.window_args(window.from, window.to))?;
        if !out.success() {
            return Err(PluginError::other(format!("sacct failed: {}", failure(&out))));
        }
        let options = SacctOptions {
            utc_offset: self.offset,
            ave_rss_bare: BareUnit::Bytes,
        };
        let mut output =
            parse_sacct(&out.stdout, Layout::Columns(&FORMAT_FIELDS), &options).map_err(PluginError::other)?;
        output.jobs.retain(|record| in_window(record, window.from, window.to));
        // sacct also warns on stderr (e.g. about a cluster it cannot reach) with status 0
        output.warnings.extend(
            out.stderr
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| format!("sacct: {l}")),
        );
        Ok(output)
    }
}

/// Why a run failed: its status and the first lines of stderr.
fn failure(out: &RunOutput) -> String {
    let status = out
        .status
        .map_or_else(|| "killed by a signal".to_owned(), |code| format!("exit status {code}"));
    let stderr: Vec<&str> = out.stderr.lines().take(3).collect();
    if stderr.is_empty() {
        status
    } else {
        format!("{status}: {}", stderr.join(" / "))
    }
}
