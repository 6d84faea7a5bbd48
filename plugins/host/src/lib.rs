//! The plugin host of hpc-billing: loads plugin `.so` files, refuses the ones it cannot run
//! safely (each with one readable line), and performs all I/O on their behalf.
//!
//! The server's use, in order:
//!
//! 1. At start-up: [`PluginRegistry::new`], then [`PluginRegistry::load_dir`] with
//!    [`LoadPolicy::production`]; log [`LoadReport::refused`].
//! 2. `hpc-billing plugins list`: [`PluginRegistry::list`]. `hpc-billing plugins check FILE`:
//!    [`PluginRegistry::check_file`] and print the [`LoadError`].
//! 3. For each configured gateway or usage source: [`PluginRegistry::instantiate`] with the
//!    plugin's JSON configuration and its [`PluginPolicy`] (allow-lists, secrets, timeout).
//! 4. Per request: [`PluginInstance::call`] with a method of `hpcb_plugin_api::kinds` and a JSON
//!    request. A call that panics or hangs retires the plugin object behind the instance, and
//!    the next call runs on a fresh one; an instance with too many calls stuck inside the plugin
//!    refuses calls until one returns. [`PluginInstance::health`] says which (for readiness).
//!
//! Plugins run on tokio's blocking threads (the runtime does not cross the library boundary),
//! and their capability calls are served on the runtime through a captured `Handle`. Use a
//! multi-threaded runtime, and shut it down with a timeout: abandoned (hung) plugin threads
//! would otherwise keep a plain runtime drop waiting.

mod blocking;
mod call_error;
mod capabilities;
mod config;
mod info;
mod instance;
mod load_error;
mod loader;
mod policy;
mod registry;
mod wire;

pub use config::{HostConfig, LoadPolicy, WallClock};
pub use info::{ApiVersion, PluginInfo, PluginKind};
pub use instance::{InstanceHealth, InstantiateError, PluginCallError, PluginInstance};
pub use load_error::LoadError;
pub use policy::{FilePolicy, HttpPolicy, PluginPolicy, RunPolicy, SecretValue};
pub use registry::{LoadReport, LoadedPlugin, PluginRegistry, Refusal};
