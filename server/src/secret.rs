//! Secrets of the configuration (token and audit keys, the first admin's password, plugin
//! secrets): readable by the code that needs them through [`Secret::expose`], never shown by
//! `Debug` or `Display`, so a logged or printed configuration cannot leak one.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A secret string. Serialised as its value (the configuration is merged as TOML, never
/// printed), shown everywhere else as `<redacted>`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether no value is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "<empty>" } else { "<redacted>" })
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_never_printed() {
        let s = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(format!("{s}"), "<redacted>");
        assert_eq!(format!("{:?}", Secret::default()), "<empty>");
        assert_eq!(s.expose(), "hunter2-very-secret");
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Holder {
            key: Secret,
        }
        assert!(!format!("{:?}", Holder { key: s.clone() }).contains("hunter2"));
    }

    #[test]
    fn it_reads_and_writes_as_a_plain_string() {
        let s: Secret = serde_json::from_str("\"abc\"").expect("parse");
        assert_eq!(s.expose(), "abc");
        assert_eq!(serde_json::to_string(&s).expect("write"), "\"abc\"");
    }
}
