//! `compat-api-1-0`: a plugin compiled against the frozen copy of plugin API 1.0
//! (`plugins/compat/api-1.0`), written against the bare ABI. The host's tests load it with the
//! current host and call it, including a host capability call, to prove that plugins built for
//! API 1.0 keep loading and working in every 1.x host.

use std::panic::{catch_unwind, AssertUnwindSafe};

use abi_stable::{
    export_root_module,
    prefix_type::PrefixTypeTrait,
    sabi_trait::TD_Opaque,
    std_types::{RResult, RStr, RString},
};
use hpcb_plugin_api::{
    capabilities, errors, HostBox, PluginBox, PluginMod, PluginMod_Ref, PluginObject,
    PluginObject_TO,
};

/// The exported root module, as every 1.0 plugin has it (in a private module, so the static
/// abi_stable generates needs no docs of its own).
mod export {
    use super::*;

    /// Builds the root module when the host loads the library.
    #[export_root_module]
    pub fn root_module() -> PluginMod_Ref {
        PluginMod { info, create }.leak_into_prefix()
    }
}

/// Declares API 1.0 explicitly (not the constants), as a plugin built in the 1.0 era would.
extern "C" fn info() -> RString {
    RString::from(format!(
        r#"{{"id":"compat-api-1-0","kind":"test","version":"1.0.0","api":{{"major":1,"minor":0}},"unwind":{},"description":"built against the frozen plugin API 1.0"}}"#,
        cfg!(panic = "unwind")
    ))
}

extern "C" fn create(_config: RStr<'_>, host: HostBox) -> RResult<PluginBox, RString> {
    RResult::ROk(PluginObject_TO::from_value(Compat { host }, TD_Opaque))
}

/// Answers `echo` with the request and the host's clock, fetched through the `now` capability.
struct Compat {
    host: HostBox,
}

impl Compat {
    fn answer(&self, method: &str, request: &str) -> Result<String, String> {
        match method {
            "echo" => {
                let now = self
                    .host
                    .call(RStr::from_str(capabilities::NOW), RStr::from_str("{}"))
                    .into_result()?;
                Ok(format!(r#"{{"echo":{request},"host_now":{now}}}"#))
            }
            other => Err(format!(
                r#"{{"code":"{}","message":"unknown method `{other}`"}}"#,
                errors::UNKNOWN_METHOD
            )),
        }
    }
}

impl PluginObject for Compat {
    fn call(&mut self, method: RStr<'_>, request_json: RStr<'_>) -> RResult<RString, RString> {
        let this = &*self;
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            this.answer(method.as_str(), request_json.as_str())
        }))
        .unwrap_or_else(|_| {
            Err(format!(
                r#"{{"code":"{}","message":"{}compat plugin"}}"#,
                errors::PANIC,
                errors::PANIC_MESSAGE_PREFIX
            ))
        });
        match outcome {
            Ok(response) => RResult::ROk(RString::from(response)),
            Err(error) => RResult::RErr(RString::from(error)),
        }
    }
}
