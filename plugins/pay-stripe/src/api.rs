//! Stripe's REST API through the host's `http` capability: authentication, the pinned API
//! version, idempotency keys, and Stripe's error bodies turned into `gateway` errors.

use hpcb_plugin_sdk::{Host, HttpRequest, PluginError};
use serde::{de::DeserializeOwned, Deserialize};

use crate::form::{percent_encode, Form};
use crate::settings::Settings;

/// The error code of a refusal by the gateway itself (HTTP 4xx/5xx, declines).
pub const GATEWAY: &str = "gateway";

/// The host secret holding the secret API key (`sk_…` or a restricted `rk_…`).
pub const API_KEY: &str = "api_key";

/// A Stripe client for one call: the host and the operator's settings.
pub struct StripeApi<'a> {
    host: &'a Host,
    settings: &'a Settings,
}

impl<'a> StripeApi<'a> {
    /// A client using `host` for I/O.
    pub fn new(host: &'a Host, settings: &'a Settings) -> Self {
        StripeApi { host, settings }
    }

    /// `GET /v1/{collection}/{id}`, the id percent-encoded so it cannot change the path.
    pub fn retrieve<T: DeserializeOwned>(&self, collection: &str, id: &str) -> Result<T, PluginError> {
        let url = format!("{}/v1/{collection}/{}", self.settings.api_base, percent_encode(id));
        self.send(HttpRequest::get(url), &format!("GET /v1/{collection}/{{id}}"))
    }

    /// `POST /v1/{path}` with a form body and an `Idempotency-Key`.
    pub fn create<T: DeserializeOwned>(
        &self,
        path: &str,
        form: &Form,
        idempotency_key: &str,
    ) -> Result<T, PluginError> {
        let url = format!("{}/v1/{path}", self.settings.api_base);
        let request = HttpRequest::post_form(url, form.encode()).header("idempotency-key", idempotency_key);
        self.send(request, &format!("POST /v1/{path}"))
    }

    fn send<T: DeserializeOwned>(&self, request: HttpRequest, what: &str) -> Result<T, PluginError> {
        // read on every call, so the operator can roll the key without restarting
        let api_key = self.host.secret(API_KEY)?;
        let request = request
            .header("authorization", format!("Bearer {api_key}"))
            .header("stripe-version", self.settings.stripe_version.clone());
        // transport failures keep the host's code (timeout, io, denied)
        let response = self.host.http(&request)?;
        let body = response.text().unwrap_or("");
        if !response.is_success() {
            return Err(error_from_body(what, response.status, body, &api_key));
        }
        serde_json::from_str(body)
            .map_err(|err| PluginError::new(GATEWAY, format!("Stripe answered {what} with unexpected JSON: {err}")))
    }
}

/// A `gateway` error carrying Stripe's own message (`{"error": {"type", "code", "message"}}`).
fn error_from_body(what: &str, status: u16, body: &str, api_key: &str) -> PluginError {
    #[derive(Deserialize)]
    struct Envelope {
        error: Detail,
    }
    #[derive(Deserialize)]
    struct Detail {
        #[serde(default, rename = "type")]
        kind: Option<String>,
        #[serde(default)]
        code: Option<String>,
        #[serde(default)]
        decline_code: Option<String>,
        #[serde(default)]
        message: Option<String>,
    }
    let detail = match serde_json::from_str::<Envelope>(body) {
        Ok(Envelope { error }) => {
            let kinds: Vec<String> = [error.kind, error.code, error.decline_code]
                .into_iter()
                .flatten()
                .collect();
            let message = error.message.unwrap_or_else(|| "no message".to_owned());
            if kinds.is_empty() {
                message
            } else {
                format!("{} {message}", kinds.join("/"))
            }
        }
        Err(_) => body.chars().take(200).collect::<String>(),
    };
    // Stripe masks keys in its messages, but a proxy in between might not
    let detail = if api_key.is_empty() {
        detail
    } else {
        detail.replace(api_key, "[api key]")
    };
    PluginError::new(GATEWAY, format!("Stripe answered {what} with HTTP {status}: {detail}"))
}
