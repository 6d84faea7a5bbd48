//! The plugin instance: version negotiation, `probe` and `fetch` over the host's `http`.

use hpcb_plugin_sdk::{Host, HttpRequest, LogLevel, Plugin, PluginError, PluginInfo, PluginKind, Value};
use hpcb_plugin_slurm_parse::protocol::{FetchRequest, ProbeAnswer, FETCH, PROBE};
use hpcb_plugin_slurm_parse::rest::{jobs_path, parse_jobs_in_window, probe_path, ApiVersion, ResponseError};
use hpcb_plugin_slurm_parse::window::split;
use hpcb_plugin_slurm_parse::FetchOutput;

use crate::jwt::user_of;
use crate::runs::LatestRuns;
use crate::settings::{Settings, VersionChoice};

/// One configured slurmrestd source.
pub struct RestSource {
    host: Host,
    settings: Settings,
    choice: VersionChoice,
    /// The version found by negotiation, kept until the server stops serving it.
    negotiated: Option<ApiVersion>,
}

impl Plugin for RestSource {
    fn info() -> PluginInfo {
        PluginInfo::new("usage-slurmrestd", PluginKind::UsageSource, env!("CARGO_PKG_VERSION"))
            .with_description("Slurm jobs from slurmrestd /slurmdb/vX/jobs (v0.0.38 to v0.0.45)")
    }

    fn create(config: Value, host: Host) -> Result<Self, PluginError> {
        let (settings, choice) = Settings::from_config(config)?;
        Ok(RestSource {
            host,
            settings,
            choice,
            negotiated: None,
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

/// The window of probe queries: their answer is empty anyway, nothing is filtered.
const ANY_TIME: FetchRequest = FetchRequest {
    from: i64::MIN,
    to: i64::MAX,
};

/// Why a version could not be used: the server does not serve it, or something else failed
/// (then trying other versions would only hide the real problem).
enum Refusal {
    NotServed,
    Failed(PluginError),
}

impl RestSource {
    /// `GET path` with the JWT headers; answers the jobs of the document that belong to
    /// `window` (see `parse_jobs_in_window`).
    fn get_jobs(&self, path: &str, window: FetchRequest) -> Result<FetchOutput, Refusal> {
        let token = self.host.secret(&self.settings.token_secret).map_err(Refusal::Failed)?;
        let mut request = HttpRequest::get(format!("{}{path}", self.settings.url))
            .header("accept", "application/json")
            .header("x-slurm-user-token", token.clone())
            .timeout_ms(self.settings.timeout_ms);
        let user = self.settings.user_name.clone().or_else(|| user_of(&token));
        if let Some(user) = user {
            request = request.header("x-slurm-user-name", user);
        }
        let response = self.host.http(&request).map_err(Refusal::Failed)?;
        let body = response.text().map_err(Refusal::Failed)?;
        parse_jobs_in_window(response.status, body, window.from, window.to).map_err(|err| match err {
            ResponseError::NotServed => Refusal::NotServed,
            ResponseError::Failed(why) => Refusal::Failed(PluginError::other(format!("GET {path}: {why}"))),
        })
    }

    /// Tries v0.0.45 down to v0.0.38 with a cheap query and keeps the first one served. Stops at
    /// the first answer that is not "not served" (a token or database problem is reported as
    /// such, not as "no version").
    fn negotiate(&mut self) -> Result<ApiVersion, PluginError> {
        for version in ApiVersion::newest_first() {
            match self.get_jobs(&probe_path(version), ANY_TIME) {
                Ok(_) => {
                    self.host.log(
                        LogLevel::Info,
                        &format!("slurmrestd at {} serves {version}", self.settings.url),
                    );
                    self.negotiated = Some(version);
                    return Ok(version);
                }
                Err(Refusal::NotServed) => continue,
                Err(Refusal::Failed(err)) => return Err(err),
            }
        }
        Err(PluginError::other(format!(
            "slurmrestd at {} serves none of v0.0.38..v0.0.45 (every /slurmdb/vX/jobs answered 404)",
            self.settings.url
        )))
    }

    /// The version to use now.
    fn version(&mut self) -> Result<ApiVersion, PluginError> {
        match (self.choice, self.negotiated) {
            (VersionChoice::Fixed(version), _) | (VersionChoice::Auto, Some(version)) => Ok(version),
            (VersionChoice::Auto, None) => self.negotiate(),
        }
    }

    /// Checks the server, the version and the token with one empty query per version tried.
    fn probe(&mut self) -> ProbeAnswer {
        let fail = |err: PluginError| ProbeAnswer {
            ok: false,
            detail: err.to_string(),
            api_version: None,
        };
        let version = match self.choice {
            VersionChoice::Auto => {
                self.negotiated = None;
                match self.negotiate() {
                    Ok(version) => version,
                    Err(err) => return fail(err),
                }
            }
            VersionChoice::Fixed(version) => match self.get_jobs(&probe_path(version), ANY_TIME) {
                Ok(_) => version,
                Err(Refusal::NotServed) => {
                    return fail(PluginError::other(format!(
                        "slurmrestd at {} does not serve {version}",
                        self.settings.url
                    )))
                }
                Err(Refusal::Failed(err)) => return fail(err),
            },
        };
        let how = if self.choice == VersionChoice::Auto {
            "the newest supported version it serves"
        } else {
            "as configured"
        };
        ProbeAnswer {
            ok: true,
            detail: format!(
                "slurmrestd at {} answers /slurmdb/{version}/jobs ({how}); token accepted",
                self.settings.url
            ),
            api_version: Some(version.to_string()),
        }
    }

    /// The jobs that ended in the window plus those that have not ended (and were eligible
    /// before its end), fetched piece by piece and merged: one record per job id, that of its
    /// latest run (see `runs`), however many runs and pieces listed it.
    fn fetch(&mut self, window: FetchRequest) -> Result<FetchOutput, PluginError> {
        let piece_ms = i64::try_from(self.settings.window_hours.saturating_mul(3_600_000)).unwrap_or(i64::MAX);
        let mut runs = LatestRuns::default();
        for (from, to) in split(window.from, window.to, piece_ms) {
            runs.add(self.fetch_piece(from, to, window)?);
        }
        Ok(runs.finish())
    }

    /// One request; when a negotiated version is no longer served (the cluster was upgraded),
    /// negotiates again once.
    fn fetch_piece(&mut self, from: i64, to: i64, window: FetchRequest) -> Result<FetchOutput, PluginError> {
        let version = self.version()?;
        match self.get_jobs(&jobs_path(version, from, to), window) {
            Ok(output) => Ok(output),
            Err(Refusal::Failed(err)) => Err(err),
            Err(Refusal::NotServed) if self.choice == VersionChoice::Auto => {
                self.negotiated = None;
                let version = self.negotiate()?;
                match self.get_jobs(&jobs_path(version, from, to), window) {
                    Ok(output) => Ok(output),
                    Err(Refusal::Failed(err)) => Err(err),
                    Err(Refusal::NotServed) => Err(PluginError::other(format!("slurmrestd stopped serving {version}"))),
                }
            }
            Err(Refusal::NotServed) => Err(PluginError::other(format!(
                "slurmrestd at {} does not serve {version} (set api_version to \"auto\" or another version)",
                self.settings.url
            ))),
        }
    }
}
