//! The frozen plugin ABI of hpc-billing: the only types that cross the boundary between the
//! server (the host) and a plugin `.so`.
//!
//! # The compatibility promise
//!
//! A plugin built against API 1.0 keeps loading and working in every 1.x host.
//!
//! abi_stable checks, at load time, that the plugin's view of every type it shares with the host
//! has the same layout as the host's view, and it refuses a plugin built against an *older*
//! interface whenever the host has added a field, a method or a variant. So the promise can only
//! hold if the typed surface never changes. It is therefore frozen forever:
//!
//! - one root module, [`PluginMod`], with two function pointers (`info`, `create`);
//! - one plugin trait object, [`PluginBox`], with one method (`call`);
//! - one host trait object, [`HostBox`], with one method (`call`);
//! - strings ([`RStr`], [`RString`]) and [`RResult`] from abi_stable.
//!
//! Everything that may evolve travels as JSON text through those three calls: the plugin info,
//! the plugin configuration, method requests and responses, capability requests and responses,
//! and errors. JSON evolves by the rules in [`evolution`](crate::evolution): new fields are
//! optional with a default, readers ignore fields they do not know.
//!
//! Plugin authors do not use this crate directly: `hpcb-plugin-sdk` wraps it in safe Rust traits
//! and one export macro. The host (`hpcb-plugin-host`) is the only other user.
//!
//! # Versions
//!
//! The crate version and [`API_MAJOR`]/[`API_MINOR`] move together: API 1.1 is published as crate
//! version 1.1.0 and may add capabilities, methods, kinds, JSON fields and constants, never types.
//! The abi_stable root-module version ([`PluginMod_Ref`]'s `VERSION_STRINGS`) is fixed to
//! `"1.0.0"` forever; the API minor a plugin needs is carried in its info JSON instead, where the
//! host can explain a refusal in words.
//!
//! The promise also needs every 1.x host and plugin to use abi_stable 0.11 (its library header
//! and layout checker are versioned by abi_stable's minor) and this crate's package name and
//! major version (both are part of abi_stable's layout check). Moving to another abi_stable
//! minor is therefore API 2.0.

pub mod capabilities;
pub mod errors;
pub mod evolution;
pub mod info;
pub mod kinds;
mod objects;
mod root_module;

pub use abi_stable::std_types::{RResult, RStr, RString};
pub use objects::{HostBox, HostObject, HostObject_TO, PluginBox, PluginObject, PluginObject_TO};
pub use root_module::{PluginMod, PluginMod_Prefix, PluginMod_Ref, ROOT_MODULE_VERSION};

/// The plugin API major version this crate describes. A host refuses plugins of another major,
/// because a new major is free to change everything.
pub const API_MAJOR: u32 = 1;

/// The plugin API minor version this crate describes, i.e. the newest set of capabilities,
/// methods and JSON fields a host or SDK built from this crate implements. A host refuses plugins
/// that declare a newer minor, since they may rely on capabilities the host lacks.
pub const API_MINOR: u32 = 0;
