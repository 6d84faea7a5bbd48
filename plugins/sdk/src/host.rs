//! The plugin's handle on the host: typed helpers for every capability, and a closure-backed
//! host for unit tests.

use std::fmt;

use abi_stable::{
    sabi_trait::TD_Opaque,
    std_types::{RResult, RStr, RString},
};
use hpcb_plugin_api::{capabilities as cap, HostBox, HostObject, HostObject_TO};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::json;

use crate::{guard::catch_panic, HttpRequest, HttpResponse, LogLevel, PluginError, RunOutput, RunRequest, Value};

/// The host's capability object: the only way a plugin reaches the network, programs, files,
/// the log, the clock and its secrets. Every call blocks until the host answers and may be
/// refused by the operator's policy (error code `denied`).
pub struct Host {
    inner: HostBox,
}

impl fmt::Debug for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Host")
    }
}

impl Host {
    /// Wraps the host object received through the ABI.
    pub(crate) fn from_box(inner: HostBox) -> Self {
        Host { inner }
    }

    /// A host backed by a closure `(capability, request) -> response`, for unit-testing plugin
    /// logic in-process without a server (e.g. answer `http` with a canned gateway response).
    pub fn from_fn<F>(handler: F) -> Self
    where
        F: Fn(&str, Value) -> Result<Value, PluginError> + Send + Sync + 'static,
    {
        Host {
            inner: HostObject_TO::from_value(FnHost(handler), TD_Opaque),
        }
    }

    /// Calls a capability by name with raw JSON; the typed helpers below are built on it. Useful
    /// for capabilities newer than this SDK's helpers.
    pub fn call(&self, capability: &str, request: &Value) -> Result<Value, PluginError> {
        let request_json = request.to_string();
        match self
            .inner
            .call(RStr::from_str(capability), RStr::from_str(&request_json))
        {
            RResult::ROk(text) => serde_json::from_str(text.as_str())
                .map_err(|err| PluginError::other(format!("host answered `{capability}` with invalid JSON: {err}"))),
            RResult::RErr(text) => Err(PluginError::from_wire(text.as_str())),
        }
    }

    /// Calls a capability with a typed request and response.
    fn call_typed<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        capability: &str,
        request: &Req,
    ) -> Result<Resp, PluginError> {
        let request = serde_json::to_value(request)?;
        let response = self.call(capability, &request)?;
        serde_json::from_value(response)
            .map_err(|err| PluginError::other(format!("unexpected `{capability}` response from host: {err}")))
    }

    /// Sends an HTTP request through the host (allow-listed hosts only). A non-2xx status is a
    /// normal response; only transport failures and refusals are errors.
    pub fn http(&self, request: &HttpRequest) -> Result<HttpResponse, PluginError> {
        self.call_typed(cap::HTTP, request)
    }

    /// Runs an allow-listed program without a shell (e.g. `sacct`). A non-zero exit status is a
    /// normal response.
    pub fn run(&self, request: &RunRequest) -> Result<RunOutput, PluginError> {
        self.call_typed(cap::RUN, request)
    }

    /// Reads a text file under one of the plugin's allow-listed directories.
    pub fn read_file(&self, path: &str) -> Result<String, PluginError> {
        #[derive(Deserialize)]
        struct Content {
            content: String,
        }
        let content: Content = self.call_typed(cap::READ_FILE, &json!({ "path": path }))?;
        Ok(content.content)
    }

    /// Writes one line to the server log, tagged with the plugin id. Logging never fails the
    /// plugin: a refused or failed log call is ignored.
    pub fn log(&self, level: LogLevel, message: &str) {
        let request = json!({ "level": level, "message": message });
        // Ignored on purpose: there is nowhere better to report a failure to log.
        let _ = self.call(cap::LOG, &request);
    }

    /// The host's wall clock in Unix milliseconds (use it instead of `SystemTime`, so tests and
    /// the server agree on time).
    pub fn now_ms(&self) -> Result<i64, PluginError> {
        #[derive(Deserialize)]
        struct Now {
            unix_ms: i64,
        }
        let now: Now = self.call_typed(cap::NOW, &json!({}))?;
        Ok(now.unix_ms)
    }

    /// A secret the operator configured for this plugin (API key, webhook signing secret).
    /// Never log it or return it in a response.
    pub fn secret(&self, name: &str) -> Result<String, PluginError> {
        #[derive(Deserialize)]
        struct Secret {
            value: String,
        }
        let secret: Secret = self.call_typed(cap::SECRET, &json!({ "name": name }))?;
        Ok(secret.value)
    }
}

/// The closure-backed host object behind [`Host::from_fn`].
struct FnHost<F>(F);

impl<F> HostObject for FnHost<F>
where
    F: Fn(&str, Value) -> Result<Value, PluginError> + Send + Sync + 'static,
{
    fn call(&self, capability: RStr<'_>, request_json: RStr<'_>) -> RResult<RString, RString> {
        let outcome = catch_panic(|| {
            let request = crate::guard::parse_json(request_json.as_str())?;
            (self.0)(capability.as_str(), request)
        })
        .and_then(|result| result);
        match outcome {
            Ok(value) => RResult::ROk(RString::from(value.to_string())),
            Err(err) => RResult::RErr(RString::from(err.to_wire())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_host() -> Host {
        Host::from_fn(|capability, request| match capability {
            "now" => Ok(json!({ "unix_ms": 42 })),
            "secret" if request["name"] == "api_key" => Ok(json!({ "value": "sk_test" })),
            "secret" => Err(PluginError::new("denied", "no such secret")),
            "http" => Ok(json!({ "status": 201, "headers": {}, "body": request["url"] })),
            other => Err(PluginError::new("unknown_capability", other)),
        })
    }

    #[test]
    fn typed_helpers_speak_the_capability_json() {
        let host = fake_host();
        assert_eq!(host.now_ms(), Ok(42));
        assert_eq!(host.secret("api_key").as_deref(), Ok("sk_test"));
        let response = host
            .http(&HttpRequest::get("https://x.test/a"))
            .expect("this call must succeed");
        assert_eq!(response.status, 201);
        assert_eq!(response.text().expect("this call must succeed"), "https://x.test/a");
    }

    #[test]
    fn host_errors_keep_their_code() {
        let err = fake_host().secret("other").expect_err("this call must fail");
        assert!(err.is("denied"), "{err}");
    }
}
