//! The trait a plugin implements.

use crate::{Host, PluginError, PluginInfo, Value};

/// A plugin: a description, a constructor and one JSON method dispatcher.
///
/// The host creates instances with the operator's configuration and calls them one at a time
/// (`&mut self`), possibly from different threads, hence `Send`. Keep plugins free of their own
/// I/O: build requests, ask the [`Host`], parse responses.
pub trait Plugin: Send + Sized + 'static {
    /// Describes the plugin. Called at load time, before any instance exists, so the host can
    /// check id, kind and versions; keep it cheap and free of side effects.
    fn info() -> PluginInfo;

    /// Builds an instance from its configuration (`Value::Null` when none was given) and the
    /// host's capability object, which the instance may keep for later calls. Return
    /// [`PluginError::bad_request`] for invalid configuration.
    fn create(config: Value, host: Host) -> Result<Self, PluginError>;

    /// Runs one method (see `hpcb_plugin_sdk::kinds` for the methods of each kind). Answer
    /// methods you do not implement with [`PluginError::unknown_method`].
    fn call(&mut self, method: &str, request: Value) -> Result<Value, PluginError>;
}
