//! Omise's REST API through the host's `http` capability: Basic authentication with the
//! secret key, a pinned `Omise-Version`, idempotency keys, and Omise's error bodies turned
//! into `gateway` errors.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hpcb_plugin_sdk::{Host, HttpRequest, PluginError};
use serde::{de::DeserializeOwned, Deserialize};

use crate::form::{percent_encode, Form};
use crate::settings::Settings;

/// The error code of a refusal by the gateway itself (HTTP 4xx/5xx, declines).
pub const GATEWAY: &str = "gateway";

/// The host secret holding the secret key (`skey_…`).
pub const API_KEY: &str = "api_key";

/// The API version every request is pinned to, so the account's default version (which the
/// dashboard can change) cannot change the shapes this plugin parses. PromptPay needs at least
/// 2017-11-02; `refunded_amount` appeared in 2019-05-29.
pub const OMISE_VERSION: &str = "2019-05-29";

/// An Omise client for one call: the host and the operator's settings.
pub struct OmiseApi<'a> {
    host: &'a Host,
    settings: &'a Settings,
}

impl<'a> OmiseApi<'a> {
    /// A client using `host` for I/O.
    pub fn new(host: &'a Host, settings: &'a Settings) -> Self {
        OmiseApi { host, settings }
    }

    /// `GET /charges/{id}`, the id percent-encoded so it cannot change the path.
    pub fn charge<T: DeserializeOwned>(&self, id: &str) -> Result<T, PluginError> {
        let url = format!("{}/charges/{}", self.settings.api_base, percent_encode(id));
        self.send(HttpRequest::get(url), "GET /charges/{id}")
    }

    /// `POST {path}` with a form body and an `Idempotency-Key`.
    pub fn create<T: DeserializeOwned>(
        &self,
        path: &str,
        shown_path: &str,
        form: &Form,
        idempotency_key: &str,
    ) -> Result<T, PluginError> {
        let url = format!("{}{path}", self.settings.api_base);
        let request = HttpRequest::post_form(url, form.encode()).header("idempotency-key", idempotency_key);
        self.send(request, &format!("POST {shown_path}"))
    }

    fn send<T: DeserializeOwned>(&self, request: HttpRequest, what: &str) -> Result<T, PluginError> {
        // read on every call, so the operator can roll the key without restarting
        let api_key = self.host.secret(API_KEY)?;
        let credentials = BASE64.encode(format!("{api_key}:"));
        let request = request
            .header("authorization", format!("Basic {credentials}"))
            .header("omise-version", OMISE_VERSION);
        // transport failures keep the host's code (timeout, io, denied)
        let response = self.host.http(&request)?;
        let body = response.text().unwrap_or("");
        if !response.is_success() {
            return Err(error_from_body(what, response.status, body, &api_key));
        }
        serde_json::from_str(body)
            .map_err(|err| PluginError::new(GATEWAY, format!("Omise answered {what} with unexpected JSON: {err}")))
    }
}

/// A `gateway` error carrying Omise's own message (`{"object": "error", "code", "message"}`).
fn error_from_body(what: &str, status: u16, body: &str, api_key: &str) -> PluginError {
    #[derive(Deserialize)]
    struct OmiseError {
        #[serde(default)]
        code: Option<String>,
        #[serde(default)]
        message: Option<String>,
    }
    let detail = match serde_json::from_str::<OmiseError>(body) {
        Ok(OmiseError {
            code: Some(code),
            message,
        }) => format!("{code} {}", message.unwrap_or_default()).trim().to_owned(),
        Ok(OmiseError {
            code: None,
            message: Some(message),
        }) => message,
        _ => body.chars().take(200).collect::<String>(),
    };
    // never echo the key, whoever put it into the body
    let detail = if api_key.is_empty() {
        detail
    } else {
        detail.replace(api_key, "[api key]")
    };
    PluginError::new(GATEWAY, format!("Omise answered {what} with HTTP {status}: {detail}"))
}
