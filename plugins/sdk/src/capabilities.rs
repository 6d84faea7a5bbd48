//! Typed requests and responses of the host capabilities (the JSON shapes documented in
//! `hpcb_plugin_api::capabilities`).

use std::collections::BTreeMap;

use base64::{engine::general_purpose::STANDARD as BASE64, Engine as _};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::{PluginError, Value};

/// An HTTP request for [`crate::Host::http`]. Header names are case-insensitive; send them in
/// lowercase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Absolute `https://` (or, if the operator allows it, `http://`) URL.
    pub url: String,
    /// Request headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// A text body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// A binary body, base64-encoded (instead of `body`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_base64: Option<String>,
    /// How long the plugin is willing to wait; the host caps it with its own limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
}

impl HttpRequest {
    /// A request with the given method and URL, no headers and no body.
    pub fn new(method: impl Into<String>, url: impl Into<String>) -> Self {
        HttpRequest {
            method: method.into(),
            url: url.into(),
            headers: BTreeMap::new(),
            body: None,
            body_base64: None,
            timeout_ms: None,
        }
    }

    /// A `GET` request.
    pub fn get(url: impl Into<String>) -> Self {
        Self::new("GET", url)
    }

    /// A `POST` of a JSON body, with the matching content type.
    pub fn post_json(url: impl Into<String>, body: &Value) -> Self {
        Self::new("POST", url)
            .header("content-type", "application/json")
            .text_body(body.to_string())
    }

    /// A `POST` of an `application/x-www-form-urlencoded` body the plugin has encoded.
    pub fn post_form(url: impl Into<String>, encoded_form: impl Into<String>) -> Self {
        Self::new("POST", url)
            .header("content-type", "application/x-www-form-urlencoded")
            .text_body(encoded_form)
    }

    /// Adds or replaces a header (name stored in lowercase).
    #[must_use]
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.insert(name.to_ascii_lowercase(), value.into());
        self
    }

    /// Sets a text body.
    #[must_use]
    pub fn text_body(mut self, body: impl Into<String>) -> Self {
        self.body = Some(body.into());
        self.body_base64 = None;
        self
    }

    /// Sets a binary body.
    #[must_use]
    pub fn bytes_body(mut self, body: &[u8]) -> Self {
        self.body = None;
        self.body_base64 = Some(BASE64.encode(body));
        self
    }

    /// Sets how long the plugin is willing to wait.
    #[must_use]
    pub fn timeout_ms(mut self, timeout_ms: u64) -> Self {
        self.timeout_ms = Some(timeout_ms);
        self
    }
}

/// The host's answer to [`crate::Host::http`]: any status, headers with lowercase names
/// (repeated headers joined with `", "`), and the body as text or, if it is not UTF-8, base64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// Response headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The body when it is valid UTF-8.
    #[serde(default)]
    pub body: Option<String>,
    /// The body, base64-encoded, when it is not valid UTF-8.
    #[serde(default)]
    pub body_base64: Option<String>,
}

impl HttpResponse {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// A header value by (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    /// The body as text; an error if the body was not UTF-8.
    pub fn text(&self) -> Result<&str, PluginError> {
        match (&self.body, &self.body_base64) {
            (Some(text), _) => Ok(text),
            (None, None) => Ok(""),
            (None, Some(_)) => Err(PluginError::other("HTTP response body is not UTF-8 text")),
        }
    }

    /// The body as bytes, whichever way the host sent it.
    pub fn bytes(&self) -> Result<Vec<u8>, PluginError> {
        match (&self.body, &self.body_base64) {
            (Some(text), _) => Ok(text.clone().into_bytes()),
            (None, Some(encoded)) => BASE64
                .decode(encoded)
                .map_err(|err| PluginError::other(format!("host sent invalid base64 in body_base64: {err}"))),
            (None, None) => Ok(Vec::new()),
        }
    }

    /// The body parsed as JSON into `T` (a `bad_request` error if it does not fit).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, PluginError> {
        Ok(serde_json::from_str(self.text()?)?)
    }
}

/// A program run for [`crate::Host::run`]: no shell, arguments passed as they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRequest {
    /// The program, as allow-listed by the operator (a name looked up in `PATH`, or a path).
    pub program: String,
    /// Arguments.
    #[serde(default)]
    pub args: Vec<String>,
    /// Text written to the program's standard input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdin: Option<String>,
    /// How long the plugin is willing to wait; the host caps it with its own limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
}

impl RunRequest {
    /// Runs `program` with `args`.
    pub fn new<I, S>(program: impl Into<String>, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        RunRequest {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
            stdin: None,
            timeout_ms: None,
        }
    }

    /// Feeds text to the program's standard input.
    #[must_use]
    pub fn stdin(mut self, stdin: impl Into<String>) -> Self {
        self.stdin = Some(stdin.into());
        self
    }

    /// Sets how long the plugin is willing to wait.
    #[must_use]
    pub fn timeout_ms(mut self, timeout_ms: u64) -> Self {
        self.timeout_ms = Some(timeout_ms);
        self
    }
}

/// What a program run produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunOutput {
    /// The exit status; `None` if the program was killed by a signal.
    pub status: Option<i32>,
    /// Standard output (invalid UTF-8 replaced).
    pub stdout: String,
    /// Standard error (invalid UTF-8 replaced).
    pub stderr: String,
}

impl RunOutput {
    /// Whether the program exited with status 0.
    pub fn success(&self) -> bool {
        self.status == Some(0)
    }
}

/// Severity of a [`crate::Host::log`] line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Something failed and needs an operator.
    Error,
    /// Something unexpected that the plugin worked around.
    Warn,
    /// Normal, noteworthy progress.
    Info,
    /// Details for debugging.
    Debug,
    /// Very verbose details.
    Trace,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn binary_bodies_travel_as_base64() {
        let request = HttpRequest::new("PUT", "https://x.test").bytes_body(&[0xff, 0x00]);
        let wire = serde_json::to_value(&request).expect("this call must succeed");
        assert_eq!(wire["body_base64"], "/wA=");
        assert!(wire.get("body").is_none());

        let response: HttpResponse =
            serde_json::from_value(json!({ "status": 200, "body": null, "body_base64": "/wA=" }))
                .expect("this call must succeed");
        assert_eq!(response.bytes().expect("this call must succeed"), vec![0xff, 0x00]);
        assert!(response.text().is_err());
    }

    #[test]
    fn responses_tolerate_unknown_fields_from_newer_hosts() {
        let response: HttpResponse =
            serde_json::from_value(json!({ "status": 204, "headers": {}, "body": "", "elapsed_ms": 3 }))
                .expect("this call must succeed");
        assert!(response.is_success());
    }
}
