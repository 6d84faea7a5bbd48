//! What a loaded plugin says about itself, parsed from its info JSON and validated.

use std::fmt;

use hpcb_plugin_api::{info::MAX_ID_LEN, kinds};
use serde::Deserialize;

use crate::LoadError;

/// What a plugin is for; decides which port of the server it can serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PluginKind {
    /// Hosted checkouts, webhook verification, payment status.
    PaymentGateway,
    /// Reading finished Slurm jobs.
    UsageSource,
    /// Plugins that only exist to test hosts.
    Test,
}

impl PluginKind {
    /// Every kind this host knows, in the order shown to operators.
    pub const ALL: [PluginKind; 3] = [PluginKind::PaymentGateway, PluginKind::UsageSource, PluginKind::Test];

    /// The kind's name in plugin info JSON and in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            PluginKind::PaymentGateway => kinds::PAYMENT_GATEWAY,
            PluginKind::UsageSource => kinds::USAGE_SOURCE,
            PluginKind::Test => kinds::TEST,
        }
    }

    /// The kind with the given name, if this host knows it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

impl fmt::Display for PluginKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A plugin API version (`major.minor`), as declared by a plugin or implemented by the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
pub struct ApiVersion {
    /// Incompatible generations of the ABI.
    pub major: u32,
    /// Additions within a major (capabilities, methods, fields).
    pub minor: u32,
}

impl ApiVersion {
    /// The API this host implements.
    pub const HOST: ApiVersion = ApiVersion {
        major: hpcb_plugin_api::API_MAJOR,
        minor: hpcb_plugin_api::API_MINOR,
    };
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A plugin's validated self-description (see `hpcb_plugin_api::info`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    /// Unique id; the plugin's key in configuration.
    pub id: String,
    /// What the plugin is for.
    pub kind: PluginKind,
    /// The plugin's own version.
    pub version: String,
    /// The plugin API the plugin was built against.
    pub api: ApiVersion,
    /// One line for operators (may be empty).
    pub description: String,
}

/// The info JSON as sent; validated into [`PluginInfo`].
#[derive(Deserialize)]
struct RawInfo {
    id: String,
    kind: String,
    version: String,
    api: ApiVersion,
    unwind: Option<bool>,
    #[serde(default)]
    description: String,
}

/// An error JSON object, which the SDK returns instead of info when `info()` panicked.
#[derive(Deserialize)]
struct InfoFailure {
    code: String,
    message: String,
}

impl PluginInfo {
    /// Parses and checks a plugin's info JSON against this host: API major and minor, panic
    /// strategy, kind and id. The order of checks puts the most fundamental reason first.
    pub(crate) fn from_json(text: &str) -> Result<Self, LoadError> {
        let raw: RawInfo =
            serde_json::from_str(text).map_err(|err| match serde_json::from_str::<InfoFailure>(text) {
                Ok(failure) => LoadError::InvalidInfo {
                    reason: format!("info() failed ({}): {}", failure.code, failure.message),
                },
                Err(_) => LoadError::InvalidInfo {
                    reason: err.to_string(),
                },
            })?;

        let host = ApiVersion::HOST;
        if raw.api.major != host.major {
            return Err(LoadError::UnsupportedApiMajor { found: raw.api.major });
        }
        if raw.api.minor > host.minor {
            return Err(LoadError::NewerApiMinor { found: raw.api });
        }
        match raw.unwind {
            Some(true) => {}
            Some(false) => return Err(LoadError::PanicAbort),
            None => {
                return Err(LoadError::InvalidInfo {
                    reason: "missing field `unwind`".to_owned(),
                })
            }
        }
        let kind = PluginKind::from_name(&raw.kind).ok_or(LoadError::UnknownKind { kind: raw.kind })?;
        validate_id(&raw.id)?;
        Ok(PluginInfo {
            id: raw.id,
            kind,
            version: raw.version,
            api: raw.api,
            description: raw.description,
        })
    }
}

/// Ids become config keys and log fields: keep them short and boring.
fn validate_id(id: &str) -> Result<(), LoadError> {
    let valid_chars = id
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if id.is_empty() || id.len() > MAX_ID_LEN || !valid_chars {
        return Err(LoadError::InvalidInfo {
            reason: format!("id {id:?} must be 1 to {MAX_ID_LEN} lowercase ASCII letters, digits or '-'"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(api: &str, unwind: &str, kind: &str, id: &str) -> String {
        format!(r#"{{"id":"{id}","kind":"{kind}","version":"0.1.0","api":{api},"unwind":{unwind},"future_field":1}}"#)
    }

    #[test]
    fn accepts_current_and_older_minors_and_ignores_unknown_fields() {
        let parsed = PluginInfo::from_json(&info(r#"{"major":1,"minor":0}"#, "true", "usage-source", "usage-csv"))
            .expect("this call must succeed");
        assert_eq!(parsed.kind, PluginKind::UsageSource);
        assert_eq!(parsed.api, ApiVersion { major: 1, minor: 0 });
    }

    #[test]
    fn refusals_name_the_reason() {
        let cases = [
            (
                info(r#"{"major":2,"minor":0}"#, "true", "test", "a"),
                "built for plugin API 2.x; this host supports 1.x",
            ),
            (
                info(r#"{"major":1,"minor":3}"#, "true", "test", "a"),
                "built for plugin API 1.3; this host supports up to 1.0",
            ),
            (
                info(r#"{"major":1,"minor":0}"#, "false", "test", "a"),
                "built with panic = \"abort\"",
            ),
            (
                info(r#"{"major":1,"minor":0}"#, "true", "printer", "a"),
                "unknown plugin kind \"printer\"",
            ),
            (
                info(r#"{"major":1,"minor":0}"#, "true", "test", "Bad Id"),
                "must be 1 to 64 lowercase",
            ),
            (
                r#"{"code":"panic","message":"plugin panicked: oops"}"#.to_owned(),
                "info() failed (panic): plugin panicked: oops",
            ),
            ("not json".to_owned(), "plugin info is not valid"),
        ];
        for (json, expected) in cases {
            let err = PluginInfo::from_json(&json)
                .expect_err("this call must fail")
                .to_string();
            assert!(err.contains(expected), "{err:?} should contain {expected:?}");
            assert!(!err.contains('\n'), "{err:?} should be one line");
        }
    }
}
