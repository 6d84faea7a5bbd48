//! Errors of creating and calling plugin instances.

use std::time::Duration;

use thiserror::Error;

use crate::PluginKind;

/// Why [`crate::PluginRegistry::instantiate`] produced no instance.
#[derive(Debug, Error)]
pub enum InstantiateError {
    /// No registered plugin has this id.
    #[error("no plugin with id {id:?} is loaded")]
    UnknownPlugin {
        /// The requested id.
        id: String,
    },

    /// The plugin exists but is of another kind than the caller needs.
    #[error("plugin {id} is a {found} plugin, not a {expected} plugin")]
    WrongKind {
        /// The plugin id.
        id: String,
        /// Its kind.
        found: PluginKind,
        /// The kind the caller needs.
        expected: PluginKind,
    },

    /// The plugin's `create` returned an error (typically invalid configuration).
    #[error("plugin {id} refused its configuration ({code}): {message}")]
    Failed {
        /// The plugin id.
        id: String,
        /// The plugin's error code.
        code: String,
        /// The plugin's message.
        message: String,
    },

    /// The plugin's `create` panicked; the SDK caught it.
    #[error("plugin {id} panicked while being created: {message}")]
    Panicked {
        /// The plugin id.
        id: String,
        /// The panic message.
        message: String,
    },

    /// `create` did not finish within the call timeout (its thread is abandoned).
    #[error("plugin {id} was not created within {timeout:?}")]
    Timeout {
        /// The plugin id.
        id: String,
        /// The timeout that passed.
        timeout: Duration,
    },

    /// The host could not prepare what instances need.
    #[error("plugin host setup failed: {reason}")]
    HostSetup {
        /// What failed.
        reason: String,
    },
}

/// Why a [`crate::PluginInstance::call`] produced no response.
#[derive(Debug, Error)]
pub enum PluginCallError {
    /// The instance panicked or hung earlier and accepts no more calls; create a new one.
    #[error("plugin {plugin} is unusable: {reason}")]
    Unusable {
        /// The plugin id.
        plugin: String,
        /// What made it unusable.
        reason: String,
    },

    /// No slot of the host's concurrency limit (or of this instance, busy with another call)
    /// became free before the call timeout; the plugin did not run.
    #[error("plugin {plugin} could not start `{method}` within {timeout:?}: host busy")]
    Busy {
        /// The plugin id.
        plugin: String,
        /// The method.
        method: String,
        /// The call timeout.
        timeout: Duration,
    },

    /// The plugin did not answer within the call timeout. Its thread is abandoned and the
    /// instance is now unusable.
    #[error("plugin {plugin} did not answer `{method}` within {timeout:?}")]
    Timeout {
        /// The plugin id.
        plugin: String,
        /// The method.
        method: String,
        /// The call timeout.
        timeout: Duration,
    },

    /// The plugin panicked during the call (caught by the SDK). The instance is now unusable.
    #[error("plugin {plugin} panicked in `{method}`: {message}")]
    Panicked {
        /// The plugin id.
        plugin: String,
        /// The method.
        method: String,
        /// The panic message (`plugin panicked: ...`).
        message: String,
    },

    /// The plugin returned an error; the instance stays usable.
    #[error("plugin {plugin} failed `{method}` ({code}): {message}")]
    Failed {
        /// The plugin id.
        plugin: String,
        /// The method.
        method: String,
        /// The plugin's error code (see `hpcb_plugin_api::errors`, or plugin-specific).
        code: String,
        /// The plugin's message.
        message: String,
    },

    /// The plugin answered with something that is not JSON.
    #[error("plugin {plugin} answered `{method}` with invalid JSON: {reason}")]
    InvalidResponse {
        /// The plugin id.
        plugin: String,
        /// The method.
        method: String,
        /// The parse error.
        reason: String,
    },

    /// The host's glue around the call failed (e.g. the runtime is shutting down).
    #[error("plugin {plugin} call `{method}` failed in the host: {reason}")]
    Host {
        /// The plugin id.
        plugin: String,
        /// The method.
        method: String,
        /// What failed.
        reason: String,
    },
}

impl PluginCallError {
    /// The plugin's own error code, for [`PluginCallError::Failed`]; lets callers map e.g.
    /// `bad_request` differently from transport failures.
    pub fn plugin_code(&self) -> Option<&str> {
        match self {
            PluginCallError::Failed { code, .. } => Some(code),
            _ => None,
        }
    }
}
