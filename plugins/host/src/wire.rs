//! Reading the error JSON plugins return (see `hpcb_plugin_api::errors`).

use hpcb_plugin_api::errors as codes;
use serde::Deserialize;

/// An error received from a plugin.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct WireError {
    pub(crate) code: String,
    pub(crate) message: String,
}

impl WireError {
    /// Parses error JSON; any other text becomes an `error` with the text as message.
    pub(crate) fn parse(text: &str) -> Self {
        serde_json::from_str(text).unwrap_or_else(|_| WireError {
            code: codes::ERROR.to_owned(),
            message: text.to_owned(),
        })
    }

    /// Whether the SDK's panic guard produced it.
    pub(crate) fn is_panic(&self) -> bool {
        self.code == codes::PANIC
    }

    /// Whether the plugin refused the call because an earlier call panicked.
    pub(crate) fn is_poisoned(&self) -> bool {
        self.code == codes::POISONED
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_errors_are_accepted() {
        assert_eq!(
            WireError::parse("oops"),
            WireError {
                code: "error".to_owned(),
                message: "oops".to_owned()
            }
        );
        assert!(WireError::parse(r#"{"code":"panic","message":"plugin panicked: x"}"#).is_panic());
    }
}
