//! A plugin whose root module comes from another interface crate than `hpcb-plugin-api`, with
//! one field more: what a plugin built against a modified or unrelated interface looks like to
//! the host. abi_stable's layout check must refuse it.

#![expect(
    non_camel_case_types,
    dead_code,
    reason = "abi_stable's naming convention for the generated `PluginMod_Ref`/`PluginMod_Prefix`; \
              the generated field accessors are only used by a host"
)]

use abi_stable::{
    declare_root_module_statics, export_root_module, library::RootModule, prefix_type::PrefixTypeTrait,
    sabi_types::VersionStrings, std_types::RString, StableAbi,
};

/// Looks like the real root module, but is declared here and has an extra field.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginMod_Ref, prefix_fields = PluginMod_Prefix)))]
#[sabi(missing_field(panic))]
pub struct PluginMod {
    /// Same name as the real field.
    pub info: extern "C" fn() -> RString,
    /// Not in the real interface.
    #[sabi(last_prefix_field)]
    pub describe: extern "C" fn() -> RString,
}

impl RootModule for PluginMod_Ref {
    declare_root_module_statics! {PluginMod_Ref}
    const BASE_NAME: &'static str = "hpcb_plugin";
    const NAME: &'static str = "hpc-billing plugin";
    const VERSION_STRINGS: VersionStrings = VersionStrings::new("1.0.0");
}

/// The root module of the foreign plugin.
#[export_root_module]
pub fn root_module() -> PluginMod_Ref {
    PluginMod {
        info: text,
        describe: text,
    }
    .leak_into_prefix()
}

extern "C" fn text() -> RString {
    RString::from("{}")
}
