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

    /// No slot of the host's concurrency limit became free within the queue timeout; `create`
    /// did not run.
    #[error("plugin {id} could not be created: no free slot within {waited:?} (host busy)")]
    Busy {
        /// The plugin id.
        id: String,
        /// How long it waited.
        waited: Duration,
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
    /// The instance cannot serve calls now and did not run this one: as many calls as the host
    /// allows are stuck inside the plugin, or a fresh plugin object could not be created after
    /// the last one was retired. It recovers by itself when a stuck call returns, or when a
    /// later creation succeeds.
    #[error("plugin {plugin} is unusable: {reason}")]
    Unusable {
        /// The plugin id.
        plugin: String,
        /// What made it unusable.
        reason: String,
    },

    /// The call waited for the instance (busy with earlier calls) and a slot of the host's
    /// concurrency limit for the whole queue timeout; the plugin did not run, and nothing is held
    /// against it.
    #[error("plugin {plugin} could not start `{method}` within {waited:?}: busy")]
    Busy {
        /// The plugin id.
        plugin: String,
        /// The method.
        method: String,
        /// How long it waited (the queue timeout).
        waited: Duration,
    },

    /// The plugin did not answer within the call timeout, counted from when it started. Its
    /// thread is abandoned (and counts as stuck until it returns); the plugin object is retired
    /// and the next call runs on a fresh one.
    #[error("plugin {plugin} did not answer `{method}` within {timeout:?}")]
    Timeout {
        /// The plugin id.
        plugin: String,
        /// The method.
        method: String,
        /// The call timeout.
        timeout: Duration,
    },

    /// The plugin panicked during the call (caught by the SDK). The plugin object is retired and
    /// the next call runs on a fresh one.
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
