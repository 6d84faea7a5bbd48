//! `test-garbage` and friends: plugins written against the bare ABI (no SDK), to produce what
//! the SDK never would: non-JSON responses, non-JSON info, and API versions this host does not
//! support.

use abi_stable::{
    export_root_module,
    prefix_type::PrefixTypeTrait,
    sabi_trait::TD_Opaque,
    std_types::{RResult, RStr, RString},
};
use hpcb_plugin_api::{
    HostBox, PluginBox, PluginMod, PluginMod_Ref, PluginObject, PluginObject_TO, API_MAJOR, API_MINOR,
};

/// The root module of the raw test plugin.
#[export_root_module]
pub fn root_module() -> PluginMod_Ref {
    PluginMod { info, create }.leak_into_prefix()
}

/// The info this build declares (see the crate features).
extern "C" fn info() -> RString {
    if cfg!(feature = "info-garbage") {
        return RString::from("{ this is not the info you are looking for");
    }
    let (id, major, minor) = if cfg!(feature = "api-major-2") {
        ("test-major-2", 2, 0)
    } else if cfg!(feature = "api-minor-next") {
        ("test-minor-next", API_MAJOR, API_MINOR + 1)
    } else {
        ("test-garbage", API_MAJOR, API_MINOR)
    };
    RString::from(format!(
        r#"{{"id":"{id}","kind":"test","version":"0.1.0","api":{{"major":{major},"minor":{minor}}},"unwind":{}}}"#,
        cfg!(panic = "unwind")
    ))
}

/// Always succeeds, with an instance that answers garbage.
extern "C" fn create(_config: RStr<'_>, _host: HostBox) -> RResult<PluginBox, RString> {
    RResult::ROk(PluginObject_TO::from_value(Garbage, TD_Opaque))
}

/// Answers every call with text that is not JSON.
struct Garbage;

impl PluginObject for Garbage {
    fn call(&mut self, _method: RStr<'_>, _request: RStr<'_>) -> RResult<RString, RString> {
        RResult::ROk(RString::from("<html>definitely not json</html>"))
    }
}
