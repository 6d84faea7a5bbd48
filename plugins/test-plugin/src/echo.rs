//! `test-echo`: answers `echo`, forwards each capability method to the host, and panics or hangs
//! on request, so the host tests can observe all of it through a real `.so`.

use std::time::Duration;

use hpcb_plugin_sdk::{
    json, serde_json, Host, HttpRequest, LogLevel, Plugin, PluginError, PluginInfo, PluginKind, RunRequest, Value,
};

/// The well-behaved test plugin. Config: `{"panic_in_create": true}` makes `create` panic.
pub struct EchoPlugin {
    host: Host,
    calls: u64,
}

impl Plugin for EchoPlugin {
    fn info() -> PluginInfo {
        PluginInfo::new("test-echo", PluginKind::Test, env!("CARGO_PKG_VERSION"))
            .with_description("Echoes requests and forwards capability calls, for host tests")
    }

    fn create(config: Value, host: Host) -> Result<Self, PluginError> {
        if config["panic_in_create"] == true {
            panic!("asked to panic in create");
        }
        host.log(LogLevel::Info, "test-echo created");
        Ok(EchoPlugin { host, calls: 0 })
    }

    fn call(&mut self, method: &str, request: Value) -> Result<Value, PluginError> {
        self.calls += 1;
        match method {
            "echo" => Ok(json!({ "echo": request, "calls": self.calls })),
            "http" => {
                let request: HttpRequest = serde_json::from_value(request)?;
                Ok(serde_json::to_value(self.host.http(&request)?)?)
            }
            "run" => {
                let request: RunRequest = serde_json::from_value(request)?;
                Ok(serde_json::to_value(self.host.run(&request)?)?)
            }
            "read_file" => {
                let path = request["path"].as_str().unwrap_or_default();
                Ok(json!({ "content": self.host.read_file(path)? }))
            }
            "log" => {
                let message = request["message"].as_str().unwrap_or_default();
                self.host.log(LogLevel::Warn, message);
                Ok(json!({}))
            }
            "now" => Ok(json!({ "unix_ms": self.host.now_ms()? })),
            "secret" => {
                let name = request["name"].as_str().unwrap_or_default();
                Ok(json!({ "value": self.host.secret(name)? }))
            }
            "raw_capability" => {
                let capability = request["capability"].as_str().unwrap_or_default();
                self.host.call(capability, &request["request"])
            }
            "panic" => panic!("asked to panic in call"),
            "hang" => loop {
                std::thread::sleep(Duration::from_secs(60));
            },
            other => Err(PluginError::unknown_method(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plugin logic runs in-process against a fake host, no `.so` involved.
    #[test]
    fn forwards_capability_calls_to_the_host() {
        let host = Host::from_fn(|capability, request| match capability {
            "log" => Ok(json!({})),
            "now" => Ok(json!({ "unix_ms": 7 })),
            "run" => Ok(json!({ "status": 0, "stdout": request["program"], "stderr": "" })),
            other => Err(PluginError::new("denied", other)),
        });
        let mut plugin = EchoPlugin::create(Value::Null, host).expect("this call must succeed");

        assert_eq!(
            plugin.call("now", json!({})).expect("this call must succeed"),
            json!({ "unix_ms": 7 })
        );
        let output = plugin
            .call("run", json!({ "program": "sacct", "args": [] }))
            .expect("this call must succeed");
        assert_eq!(output["stdout"], "sacct");
        assert!(plugin
            .call("secret", json!({ "name": "x" }))
            .expect_err("this call must fail")
            .is("denied"));
        assert!(plugin
            .call("nope", json!({}))
            .expect_err("this call must fail")
            .is("unknown_method"));
    }
}
