//! The SDK for hpc-billing plugins: implement [`Plugin`], call [`export_plugin!`], build a
//! `cdylib`. abi_stable stays hidden behind this crate.
//!
//! ```
//! use hpcb_plugin_sdk::{export_plugin, Host, Plugin, PluginError, PluginInfo, PluginKind, Value};
//!
//! /// Answers `echo` with its request.
//! pub struct Echo {
//!     host: Host,
//! }
//!
//! impl Plugin for Echo {
//!     fn info() -> PluginInfo {
//!         PluginInfo::new("echo", PluginKind::Test, env!("CARGO_PKG_VERSION"))
//!     }
//!
//!     fn create(_config: Value, host: Host) -> Result<Self, PluginError> {
//!         Ok(Echo { host })
//!     }
//!
//!     fn call(&mut self, method: &str, request: Value) -> Result<Value, PluginError> {
//!         match method {
//!             "echo" => Ok(request),
//!             other => Err(PluginError::unknown_method(other)),
//!         }
//!     }
//! }
//!
//! export_plugin!(Echo);
//! ```
//!
//! What the SDK guarantees at the boundary:
//!
//! - every entry point (`info`, `create`, `call`) runs inside `catch_unwind`; a panic becomes an
//!   error `{"code": "panic", "message": "plugin panicked: <msg>"}` instead of ending the host;
//! - after a panic inside `call` the instance is **poisoned**: its state may be half-updated, so
//!   every later call fails with code `poisoned` and the host should create a new instance;
//! - the plugin info carries `"unwind": cfg!(panic = "unwind")` evaluated in *your* crate, so a
//!   host refuses a plugin built with `panic = "abort"` (whose panics could not be caught);
//! - the plugin info carries the API version of this SDK, so hosts refuse it with a readable
//!   reason when they are too old.
//!
//! Plugins do no I/O of their own: they ask the [`Host`] (`http`, `run`, `read_file`, `log`,
//! `now`, `secret`). For unit tests, [`Host::from_fn`] builds a host from a closure, so plugin
//! logic runs in-process against canned responses (build plugins as `["cdylib", "rlib"]`).

mod capabilities;
mod error;
mod guard;
mod host;
mod info;
mod plugin;
mod root_module;

pub use capabilities::{HttpRequest, HttpResponse, LogLevel, RunOutput, RunRequest};
pub use error::PluginError;
pub use host::Host;
pub use hpcb_plugin_api::{errors as error_codes, kinds, API_MAJOR, API_MINOR};
pub use info::{PluginInfo, PluginKind};
pub use plugin::Plugin;
pub use serde_json::{json, Value};

/// The serde version the SDK's types implement, for plugins that derive their own request and
/// response types.
pub use serde;
/// The JSON library requests and responses are carried in.
pub use serde_json;

/// Exports a [`Plugin`] type as the plugin of this library (once per `cdylib`).
///
/// It generates the abi_stable root module of the frozen plugin ABI, records whether this crate
/// is built with `panic = "unwind"` (evaluated here, in the plugin crate) and wraps every entry
/// point in `catch_unwind`.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        #[doc(hidden)]
        #[export_name = $crate::__root_module_symbol!()]
        pub static HPCB_PLUGIN_LIB_HEADER: $crate::__private::LibHeader =
            $crate::__private::lib_header::<$plugin, { cfg!(panic = "unwind") }>();
    };
}

/// The name of the symbol abi_stable 0.11 hosts look up in a library. A macro, not a constant,
/// because `#[export_name]` needs a literal.
#[doc(hidden)]
#[macro_export]
macro_rules! __root_module_symbol {
    () => {
        "_1as_0lib_1header_0root_bmodule_bloader"
    };
}

/// Items used by [`export_plugin!`]'s expansion; not part of the SDK's API.
#[doc(hidden)]
pub mod __private {
    pub use crate::root_module::{lib_header, ROOT_MODULE_SYMBOL};
    pub use abi_stable::library::LibHeader;
}
