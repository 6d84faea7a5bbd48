//! The panic guard around every entry point of a plugin, and the poisoning of instances whose
//! call panicked.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use abi_stable::std_types::{RResult, RStr, RString};
use hpcb_plugin_api::{errors as codes, PluginObject};

use crate::{Plugin, PluginError, Value};

/// Runs `f`, turning a panic into a [`codes::PANIC`] error. The closure is asserted unwind-safe
/// because callers poison (or discard) whatever state it touched when it panics.
pub(crate) fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, PluginError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| panic_error(payload.as_ref()))
}

/// The error reported for a caught panic: `plugin panicked: <panic message>`.
fn panic_error(payload: &(dyn Any + Send)) -> PluginError {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-string payload".to_owned());
    PluginError::new(codes::PANIC, format!("{}{message}", codes::PANIC_MESSAGE_PREFIX))
}

/// A plugin instance behind the ABI: parses requests, catches panics, and refuses further calls
/// once a call has panicked (its state may be half-updated).
pub(crate) struct GuardedPlugin<P> {
    /// Always `Some` until dropped; an `Option` so `Drop` can run the plugin's destructor inside
    /// the panic guard.
    plugin: Option<P>,
    poisoned_by: Option<String>,
}

impl<P: Plugin> GuardedPlugin<P> {
    /// Wraps a freshly created instance.
    pub(crate) fn new(plugin: P) -> Self {
        GuardedPlugin {
            plugin: Some(plugin),
            poisoned_by: None,
        }
    }

    /// One call, in Rust types: poisoning check, JSON in, panic guard, JSON out.
    fn call_json(&mut self, method: &str, request_json: &str) -> Result<String, PluginError> {
        if let Some(panic_message) = &self.poisoned_by {
            return Err(PluginError::new(
                codes::POISONED,
                format!("instance unusable after an earlier panic ({panic_message})"),
            ));
        }
        let request: Value = parse_json(request_json)?;
        let Some(plugin) = self.plugin.as_mut() else {
            return Err(PluginError::new(codes::POISONED, "instance already dropped"));
        };
        match catch_panic(|| plugin.call(method, request)) {
            Ok(result) => Ok(serde_json::to_string(&result?)?),
            Err(panic) => {
                self.poisoned_by = Some(panic.message.clone());
                Err(panic)
            }
        }
    }
}

impl<P> Drop for GuardedPlugin<P> {
    /// The host drops instances through the ABI; a panicking destructor must not unwind into it.
    fn drop(&mut self) {
        let plugin = self.plugin.take();
        // Nothing can be reported from a destructor; the panic message went to stderr.
        let _ = catch_panic(move || drop(plugin));
    }
}

impl<P: Plugin> PluginObject for GuardedPlugin<P> {
    fn call(&mut self, method: RStr<'_>, request_json: RStr<'_>) -> RResult<RString, RString> {
        // Serialising the error cannot panic in practice, but the whole body stays inside a
        // guard so that nothing can unwind into the host.
        let outcome = catch_panic(|| self.call_json(method.as_str(), request_json.as_str())).and_then(|result| result);
        match outcome {
            Ok(response) => RResult::ROk(RString::from(response)),
            Err(err) => RResult::RErr(RString::from(err.to_wire())),
        }
    }
}

/// Parses JSON text from the host; an empty string means `null` (no configuration).
pub(crate) fn parse_json(text: &str) -> Result<Value, PluginError> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(text).map_err(|err| PluginError::bad_request(format!("request is not valid JSON: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Host, PluginInfo, PluginKind};

    struct Fragile;

    impl Plugin for Fragile {
        fn info() -> PluginInfo {
            PluginInfo::new("fragile", PluginKind::Test, "0.0.0")
        }
        fn create(_config: Value, _host: Host) -> Result<Self, PluginError> {
            Ok(Fragile)
        }
        fn call(&mut self, method: &str, request: Value) -> Result<Value, PluginError> {
            match method {
                "panic" => panic!("boom"),
                _ => Ok(request),
            }
        }
    }

    #[test]
    fn a_panicking_call_is_reported_and_poisons_the_instance() {
        let mut guarded = GuardedPlugin::new(Fragile);
        assert_eq!(guarded.call_json("echo", "[1]").as_deref(), Ok("[1]"));

        let err = guarded.call_json("panic", "{}").expect_err("this call must fail");
        assert_eq!(err.code, "panic");
        assert_eq!(err.message, "plugin panicked: boom");

        let err = guarded.call_json("echo", "{}").expect_err("this call must fail");
        assert_eq!(err.code, "poisoned");
    }

    #[test]
    fn invalid_request_json_is_a_bad_request_and_does_not_poison() {
        let mut guarded = GuardedPlugin::new(Fragile);
        let err = guarded.call_json("echo", "{nope").expect_err("this call must fail");
        assert_eq!(err.code, "bad_request");
        assert!(guarded.call_json("echo", "{}").is_ok());
    }

    struct PanicsOnDrop;

    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            panic!("drop failed");
        }
    }

    impl Plugin for PanicsOnDrop {
        fn info() -> PluginInfo {
            PluginInfo::new("panics-on-drop", PluginKind::Test, "0.0.0")
        }
        fn create(_config: Value, _host: Host) -> Result<Self, PluginError> {
            Ok(PanicsOnDrop)
        }
        fn call(&mut self, _method: &str, request: Value) -> Result<Value, PluginError> {
            Ok(request)
        }
    }

    #[test]
    fn a_panicking_destructor_does_not_unwind_out_of_the_guard() {
        drop(GuardedPlugin::new(PanicsOnDrop));
    }
}
