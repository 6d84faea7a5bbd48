//! What the server's plugin host made of its plugin directory, for the admin pages: each
//! plugin loaded (id, kind, version) and each file refused with its reason. Filled in by the
//! server at start; the core never loads plugins itself.

use crate::auth::{Principal, Role};
use crate::error::CoreResult;
use crate::services::Services;

/// One plugin file of the plugin directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginStatus {
    /// The plugin's id (its key in configuration); the file name when it was refused unread.
    pub name: String,
    /// `usage-source`, `payment-gateway`, …; empty when refused before it said.
    pub kind: String,
    /// The plugin's own version, when it said.
    pub version: Option<String>,
    /// The plugin API it was built against, when it said.
    pub api: Option<String>,
    /// The library's file name (never the full path: a finance user needs no host layout).
    pub file: String,
    /// Whether the host loaded it.
    pub loaded: bool,
    /// Why it was refused.
    pub reason: Option<String>,
}

impl Services {
    /// Records what the plugin host loaded and refused (at start).
    pub fn with_plugins(mut self, plugins: Vec<PluginStatus>) -> Services {
        self.plugins = std::sync::Arc::new(plugins);
        self
    }

    /// The plugin files and what became of them (admin, finance).
    pub fn plugin_statuses(&self, p: &Principal) -> CoreResult<Vec<PluginStatus>> {
        p.require(&[Role::Admin, Role::Finance])?;
        Ok(self.plugins.as_ref().clone())
    }
}
