//! The host side of the capability object: what a plugin's `Host` calls reach. Each capability
//! checks the instance's policy, does the I/O on the server's tokio runtime (through a captured
//! `Handle`, since plugin code runs on a blocking thread) and answers in the JSON shapes of
//! `hpcb_plugin_api::capabilities`.

mod allow_list;
mod files;
mod http;
mod log;
mod run;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use abi_stable::std_types::{RResult, RStr, RString};
use hpcb_plugin_api::{capabilities as cap, errors as codes, HostObject};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use tokio::runtime::Handle;

use crate::{PluginPolicy, WallClock};

/// A refused or failed capability call, sent to the plugin as error JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CapabilityError {
    code: &'static str,
    message: String,
}

impl CapabilityError {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        CapabilityError {
            code,
            message: message.into(),
        }
    }

    /// The policy refuses the call.
    pub(crate) fn denied(message: impl Into<String>) -> Self {
        Self::new(codes::DENIED, message)
    }

    /// The request is malformed.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(codes::BAD_REQUEST, message)
    }

    fn to_wire(&self) -> String {
        json!({ "code": self.code, "message": self.message }).to_string()
    }
}

/// Everything one plugin instance's capability calls need. Handed to the plugin as its
/// `HostBox`; lives as long as the plugin keeps it. Cloned for each fresh plugin object that
/// replaces a retired one.
#[derive(Clone)]
pub(crate) struct HostServices {
    plugin_id: String,
    policy: Arc<PluginPolicy>,
    runtime: Handle,
    http: reqwest::Client,
    clock: WallClock,
}

impl HostServices {
    pub(crate) fn new(
        plugin_id: &str,
        policy: &PluginPolicy,
        runtime: Handle,
        http: reqwest::Client,
        clock: WallClock,
    ) -> Self {
        HostServices {
            plugin_id: plugin_id.to_owned(),
            policy: Arc::new(policy.clone()),
            runtime,
            http,
            clock,
        }
    }

    /// Routes one capability call.
    fn dispatch(&self, capability: &str, request_json: &str) -> Result<Value, CapabilityError> {
        match capability {
            cap::HTTP => http::serve(self, parse(request_json)?),
            cap::RUN => run::serve(self, parse(request_json)?),
            cap::READ_FILE => files::serve(&self.policy.files, parse(request_json)?),
            cap::LOG => log::serve(&self.plugin_id, parse(request_json)?),
            cap::NOW => Ok(json!({ "unix_ms": (self.clock)() })),
            cap::SECRET => self.secret(parse(request_json)?),
            other => Err(CapabilityError::new(
                codes::UNKNOWN_CAPABILITY,
                format!("this host has no capability `{other}`"),
            )),
        }
    }

    /// Serves a configured secret. Only the name is ever logged.
    fn secret(&self, request: SecretRequest) -> Result<Value, CapabilityError> {
        match self.policy.secrets.get(&request.name) {
            Some(value) => {
                tracing::debug!(
                    plugin = %self.plugin_id,
                    secret = %request.name,
                    "plugin {} read secret {}",
                    self.plugin_id,
                    request.name
                );
                Ok(json!({ "value": value.expose() }))
            }
            None => Err(CapabilityError::denied(format!(
                "secret `{}` is not configured for this plugin",
                request.name
            ))),
        }
    }
}

impl HostObject for HostServices {
    fn call(&self, capability: RStr<'_>, request_json: RStr<'_>) -> RResult<RString, RString> {
        let capability = capability.as_str();
        // A panic must not unwind into the plugin's frames (that would abort the process).
        let outcome = catch_unwind(AssertUnwindSafe(|| self.dispatch(capability, request_json.as_str())))
            .unwrap_or_else(|_| {
                Err(CapabilityError::new(
                    codes::ERROR,
                    format!("the host failed while serving `{capability}`"),
                ))
            });
        match outcome {
            Ok(response) => RResult::ROk(RString::from(response.to_string())),
            Err(error) => {
                tracing::debug!(
                    plugin = %self.plugin_id,
                    capability,
                    code = error.code,
                    "plugin {} capability {capability} refused or failed: {}",
                    self.plugin_id,
                    error.message
                );
                RResult::RErr(RString::from(error.to_wire()))
            }
        }
    }
}

#[derive(serde::Deserialize)]
struct SecretRequest {
    name: String,
}

/// Parses a capability request into its typed form.
fn parse<T: DeserializeOwned>(request_json: &str) -> Result<T, CapabilityError> {
    serde_json::from_str(request_json).map_err(|err| CapabilityError::bad_request(format!("invalid request: {err}")))
}

/// The smaller of what the plugin asked for and what the policy allows.
fn capped_timeout(requested_ms: Option<u64>, max: std::time::Duration) -> std::time::Duration {
    requested_ms
        .map(std::time::Duration::from_millis)
        .map_or(max, |requested| requested.min(max))
}
