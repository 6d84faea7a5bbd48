//! The description a plugin gives of itself, turned into the info JSON of the ABI.

use hpcb_plugin_api::{info as fields, kinds, API_MAJOR, API_MINOR};
use serde_json::{json, Value};

/// What a plugin is for; decides which methods the host will call on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PluginKind {
    /// Hosted checkouts, webhook verification, payment status.
    PaymentGateway,
    /// Reading finished Slurm jobs.
    UsageSource,
    /// Only for testing hosts.
    Test,
}

impl PluginKind {
    /// The kind's name in the info JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            PluginKind::PaymentGateway => kinds::PAYMENT_GATEWAY,
            PluginKind::UsageSource => kinds::USAGE_SOURCE,
            PluginKind::Test => kinds::TEST,
        }
    }
}

/// The plugin's self-description returned by [`crate::Plugin::info`]. The SDK adds the API
/// version and the panic strategy itself, so authors cannot get those wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    /// Unique id, the plugin's key in the server configuration (lowercase letters, digits, `-`).
    pub id: String,
    /// What the plugin is for.
    pub kind: PluginKind,
    /// The plugin's own version, usually `env!("CARGO_PKG_VERSION")`.
    pub version: String,
    /// One line shown to operators by `hpc-billing plugins list`.
    pub description: String,
}

impl PluginInfo {
    /// Describes a plugin with an empty description.
    pub fn new(id: impl Into<String>, kind: PluginKind, version: impl Into<String>) -> Self {
        PluginInfo {
            id: id.into(),
            kind,
            version: version.into(),
            description: String::new(),
        }
    }

    /// Adds the one-line description shown to operators.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// The info JSON of the ABI (see `hpcb_plugin_api::info`), declaring this SDK's API version
    /// and the given panic strategy of the plugin crate.
    pub fn to_json(&self, unwind: bool) -> Value {
        json!({
            fields::FIELD_ID: self.id,
            fields::FIELD_KIND: self.kind.as_str(),
            fields::FIELD_VERSION: self.version,
            fields::FIELD_API: { "major": API_MAJOR, "minor": API_MINOR },
            fields::FIELD_UNWIND: unwind,
            fields::FIELD_DESCRIPTION: self.description,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_json_declares_sdk_api_version_and_given_panic_strategy() {
        let info = PluginInfo::new("pay-dummy", PluginKind::PaymentGateway, "0.1.0").with_description("demo");
        let value = info.to_json(false);
        assert_eq!(value["id"], "pay-dummy");
        assert_eq!(value["kind"], "payment-gateway");
        assert_eq!(value["api"]["major"], API_MAJOR);
        assert_eq!(value["api"]["minor"], API_MINOR);
        assert_eq!(value["unwind"], false);
        assert_eq!(value["description"], "demo");
    }
}
