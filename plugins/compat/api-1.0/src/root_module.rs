//! The root module: the one symbol every plugin exports and the host looks up.

#![expect(
    non_camel_case_types,
    reason = "abi_stable's naming convention for the generated `PluginMod_Ref`/`PluginMod_Prefix`"
)]

use abi_stable::{
    declare_root_module_statics,
    library::RootModule,
    sabi_types::VersionStrings,
    std_types::{RResult, RStr, RString},
    StableAbi,
};

use crate::objects::{HostBox, PluginBox};

/// The abi_stable version of the root module. Fixed forever (not the crate version), so that
/// abi_stable's own version check never refuses a 1.x plugin; API minors are negotiated through
/// the info JSON instead.
pub const ROOT_MODULE_VERSION: &str = "1.0.0";

/// What a plugin library exports: a way to describe itself and a way to make an instance.
///
/// Both fields are part of the frozen ABI. Do not add, remove, rename or reorder fields: abi_stable
/// would then refuse every plugin built before the change.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginMod_Ref, prefix_fields = PluginMod_Prefix)))]
#[sabi(missing_field(panic))]
pub struct PluginMod {
    /// Returns the plugin info as a JSON object (see [`crate::info`]). Called once at load time,
    /// before anything else, so the host can refuse the plugin with a readable reason.
    pub info: extern "C" fn() -> RString,

    /// Builds one plugin instance from its JSON configuration (`config`, any JSON value; `null`
    /// when the operator configured nothing) and the host's capability object. On failure it
    /// returns an error JSON object (see [`crate::errors`]).
    #[sabi(last_prefix_field)]
    pub create: extern "C" fn(config: RStr<'_>, host: HostBox) -> RResult<PluginBox, RString>,
}

impl RootModule for PluginMod_Ref {
    declare_root_module_statics! {PluginMod_Ref}

    const BASE_NAME: &'static str = "hpcb_plugin";
    const NAME: &'static str = "hpc-billing plugin";
    const VERSION_STRINGS: VersionStrings = VersionStrings::new(ROOT_MODULE_VERSION);
}
