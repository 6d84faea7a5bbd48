//! The error a plugin returns, and its error-JSON form on the wire.

use std::fmt;

use hpcb_plugin_api::errors as codes;
use serde::{Deserialize, Serialize};

/// A failed plugin call or capability call: a stable machine-readable `code` (see
/// [`crate::error_codes`], or a plugin-specific lowercase code) and a one-line `message`.
///
/// Capability errors from the host arrive as `PluginError`s too, so a plugin can tell a refused
/// call (`denied`) from a slow peer (`timeout`) and decide what to report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginError {
    /// Stable code callers can match on.
    pub code: String,
    /// One human-readable line.
    pub message: String,
}

impl PluginError {
    /// An error with a specific code, for failures the predefined constructors do not cover.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        PluginError {
            code: code.into(),
            message: message.into(),
        }
    }

    /// The request or configuration is malformed; the caller should not retry it unchanged.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(codes::BAD_REQUEST, message)
    }

    /// The plugin does not implement `method`; required answer for unknown methods.
    pub fn unknown_method(method: &str) -> Self {
        Self::new(codes::UNKNOWN_METHOD, format!("unknown method `{method}`"))
    }

    /// A failure without a more specific code.
    pub fn other(message: impl Into<String>) -> Self {
        Self::new(codes::ERROR, message)
    }

    /// Whether the error has the given code, e.g. `err.is(error_codes::DENIED)`.
    pub fn is(&self, code: &str) -> bool {
        self.code == code
    }

    /// The error JSON sent across the ABI.
    pub(crate) fn to_wire(&self) -> String {
        serde_json::json!({ "code": self.code, "message": self.message }).to_string()
    }

    /// Reads an error string received across the ABI; a string that is not error JSON becomes
    /// an [`codes::ERROR`] with the string as message, as the API requires.
    pub(crate) fn from_wire(text: &str) -> Self {
        serde_json::from_str(text).unwrap_or_else(|_| Self::other(text))
    }
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for PluginError {}

impl From<serde_json::Error> for PluginError {
    /// JSON that does not fit the expected shape is a bad request.
    fn from(err: serde_json::Error) -> Self {
        Self::bad_request(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_form_round_trips() {
        let err = PluginError::new("declined", "card declined");
        assert_eq!(PluginError::from_wire(&err.to_wire()), err);
    }

    #[test]
    fn plain_text_error_from_the_wire_becomes_a_generic_error() {
        let err = PluginError::from_wire("boom");
        assert_eq!(err, PluginError::new("error", "boom"));
    }
}
