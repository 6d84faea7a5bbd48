//! The two trait objects of the ABI: the plugin instance the host calls, and the host
//! capability object the plugin calls back.
//!
//! Each has exactly one method taking and returning JSON text, so that new behaviour is added by
//! defining new method or capability names and JSON fields, never by changing these types.

#![expect(
    unsafe_code,
    non_local_definitions,
    reason = "the #[sabi_trait] expansion implements abi_stable's unsafe marker traits and \
              builds its vtables inside a generated module"
)]

use abi_stable::{
    sabi_trait,
    std_types::{RBox, RResult, RStr, RString},
};

/// One plugin instance, as seen through the ABI.
///
/// Only `Send`: the host serialises calls on one instance (`&mut self`) and may make them from
/// different threads, so plugins may keep non-`Sync` state.
#[sabi_trait]
pub trait PluginObject: Send {
    /// Runs the plugin method `method` (see [`crate::kinds`]) with a JSON request and returns a
    /// JSON response, or an error JSON object (see [`crate::errors`]).
    fn call(&mut self, method: RStr<'_>, request_json: RStr<'_>) -> RResult<RString, RString>;
}

/// The host's capability object, as seen through the ABI. Plugins do no I/O of their own; they
/// ask the host through this object, which enforces allow-lists, timeouts and size limits.
///
/// `Send + Sync` so a plugin can keep it inside its instance and use it from any thread.
#[sabi_trait]
pub trait HostObject: Send + Sync {
    /// Runs the host capability `capability` (see [`crate::capabilities`]) with a JSON request
    /// and returns a JSON response, or an error JSON object (see [`crate::errors`]).
    fn call(&self, capability: RStr<'_>, request_json: RStr<'_>) -> RResult<RString, RString>;
}

/// An owned plugin instance behind the ABI, returned by [`crate::PluginMod::create`].
pub type PluginBox = PluginObject_TO<'static, RBox<()>>;

/// An owned host capability object behind the ABI, handed to [`crate::PluginMod::create`].
pub type HostBox = HostObject_TO<'static, RBox<()>>;
