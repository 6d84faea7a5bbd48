//! Plugin instances: creating them and calling them from async code.
//!
//! Each call runs on a tokio blocking thread (plugins are synchronous and tokio's runtime does
//! not cross the library boundary), under the host-wide concurrency limit, one call at a time
//! per instance, with an outer timeout. An instance becomes **unusable** for good when a call
//! panics (the SDK poisons it, its state may be half-updated) or times out (its thread is still
//! inside the plugin and is abandoned). Later calls fail fast with
//! [`PluginCallError::Unusable`]; create a new instance to recover.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use abi_stable::{
    sabi_trait::TD_Opaque,
    std_types::{RResult, RStr, RString},
};
use hpcb_plugin_api::{HostObject_TO, PluginBox, PluginMod_Ref};
use serde_json::Value;
use tokio::sync::{Mutex, Semaphore};
use tokio::time::Instant;

use crate::blocking::{self, BlockingError};
use crate::capabilities::HostServices;
use crate::wire::WireError;
use crate::PluginInfo;

pub use crate::call_error::{InstantiateError, PluginCallError};

/// One configured instance of a plugin. Cheap to clone (clones share the instance); calls on one
/// instance are serialised, calls on different instances run in parallel.
#[derive(Clone)]
pub struct PluginInstance {
    info: Arc<PluginInfo>,
    plugin: Arc<Mutex<PluginBox>>,
    unusable: Arc<OnceLock<String>>,
    permits: Arc<Semaphore>,
    call_timeout: Duration,
}

impl std::fmt::Debug for PluginInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginInstance")
            .field("plugin", &self.info.id)
            .field("unusable", &self.unusable.get())
            .finish_non_exhaustive()
    }
}

/// Runs the plugin's `create` on a blocking thread and wraps the result.
pub(crate) async fn create(
    module: PluginMod_Ref,
    info: PluginInfo,
    config: &Value,
    services: HostServices,
    permits: Arc<Semaphore>,
    call_timeout: Duration,
) -> Result<PluginInstance, InstantiateError> {
    let id = info.id.clone();
    let deadline = Instant::now() + call_timeout;
    let timeout_error = || InstantiateError::Timeout {
        id: id.clone(),
        timeout: call_timeout,
    };
    let permit = blocking::acquire_slot(&permits, deadline)
        .await
        .ok_or_else(timeout_error)?;
    let config_json = config.to_string();
    let host = HostObject_TO::from_value(services, TD_Opaque);
    let created = blocking::run(&permits, permit, deadline, move || {
        (module.create())(RStr::from_str(&config_json), host)
    })
    .await;
    match created {
        Ok(RResult::ROk(plugin)) => Ok(PluginInstance {
            info: Arc::new(info),
            plugin: Arc::new(Mutex::new(plugin)),
            unusable: Arc::new(OnceLock::new()),
            permits,
            call_timeout,
        }),
        Ok(RResult::RErr(text)) => {
            let error = WireError::parse(text.as_str());
            if error.is_panic() {
                Err(InstantiateError::Panicked {
                    id,
                    message: error.message,
                })
            } else {
                Err(InstantiateError::Failed {
                    id,
                    code: error.code,
                    message: error.message,
                })
            }
        }
        Err(BlockingError::TimedOut) => Err(timeout_error()),
        Err(BlockingError::Failed(reason)) => Err(InstantiateError::HostSetup { reason }),
    }
}

impl PluginInstance {
    /// The plugin's info (id, kind, versions).
    pub fn info(&self) -> &PluginInfo {
        &self.info
    }

    /// Why the instance accepts no more calls, if it does not.
    pub fn unusable_reason(&self) -> Option<&str> {
        self.unusable.get().map(String::as_str)
    }

    /// Calls plugin method `method` with a JSON request. Waiting for a slot, waiting for this
    /// instance's previous call and the call itself all count against the call timeout.
    pub async fn call(&self, method: &str, request: &Value) -> Result<Value, PluginCallError> {
        let started = std::time::Instant::now();
        let result = self.call_inner(method, request).await;
        let elapsed_ms = started.elapsed().as_millis();
        match &result {
            Ok(_) => tracing::debug!(
                plugin = %self.info.id, method, elapsed_ms, "plugin {} answered {method}", self.info.id
            ),
            // A plugin's own error is an answer; everything else means the plugin misbehaved.
            Err(err @ PluginCallError::Failed { .. }) => tracing::info!(
                plugin = %self.info.id, method, elapsed_ms, "plugin call failed: {err}"
            ),
            Err(err) => tracing::warn!(
                plugin = %self.info.id, method, elapsed_ms, "plugin call failed: {err}"
            ),
        }
        result
    }

    async fn call_inner(&self, method: &str, request: &Value) -> Result<Value, PluginCallError> {
        self.ensure_usable()?;
        let deadline = Instant::now() + self.call_timeout;
        let busy = || PluginCallError::Busy {
            plugin: self.info.id.clone(),
            method: method.to_owned(),
            timeout: self.call_timeout,
        };
        let permit = blocking::acquire_slot(&self.permits, deadline).await.ok_or_else(busy)?;
        let Ok(plugin) = tokio::time::timeout_at(deadline, Arc::clone(&self.plugin).lock_owned()).await else {
            // The previous call still holds the instance: if it hung, say so.
            self.ensure_usable()?;
            return Err(busy());
        };
        // A call that was queued behind one that failed must not run on a poisoned instance.
        self.ensure_usable()?;

        let method_owned = method.to_owned();
        let request_json = request.to_string();
        let outcome = blocking::run(&self.permits, permit, deadline, move || {
            let mut plugin = plugin;
            plugin.call(RStr::from_str(&method_owned), RStr::from_str(&request_json))
        })
        .await;
        self.interpret(method, outcome)
    }

    /// Maps the raw outcome of a call, marking the instance unusable where required.
    fn interpret(
        &self,
        method: &str,
        outcome: Result<RResult<RString, RString>, BlockingError>,
    ) -> Result<Value, PluginCallError> {
        let plugin = self.info.id.clone();
        let method = method.to_owned();
        match outcome {
            Ok(RResult::ROk(text)) => {
                serde_json::from_str(text.as_str()).map_err(|err| PluginCallError::InvalidResponse {
                    plugin,
                    method,
                    reason: err.to_string(),
                })
            }
            Ok(RResult::RErr(text)) => {
                let error = WireError::parse(text.as_str());
                if error.is_panic() {
                    self.mark_unusable(format!("it panicked in `{method}` ({})", error.message));
                    Err(PluginCallError::Panicked {
                        plugin,
                        method,
                        message: error.message,
                    })
                } else if error.is_poisoned() {
                    self.mark_unusable(error.message.clone());
                    Err(PluginCallError::Unusable {
                        plugin,
                        reason: error.message,
                    })
                } else {
                    Err(PluginCallError::Failed {
                        plugin,
                        method,
                        code: error.code,
                        message: error.message,
                    })
                }
            }
            Err(BlockingError::TimedOut) => {
                self.mark_unusable(format!(
                    "`{method}` did not return within {:?}; its thread was abandoned",
                    self.call_timeout
                ));
                Err(PluginCallError::Timeout {
                    plugin,
                    method,
                    timeout: self.call_timeout,
                })
            }
            Err(BlockingError::Failed(reason)) => {
                self.mark_unusable(format!("the host failed during `{method}` ({reason})"));
                Err(PluginCallError::Host { plugin, method, reason })
            }
        }
    }

    fn ensure_usable(&self) -> Result<(), PluginCallError> {
        match self.unusable.get() {
            Some(reason) => Err(PluginCallError::Unusable {
                plugin: self.info.id.clone(),
                reason: reason.clone(),
            }),
            None => Ok(()),
        }
    }

    /// Records the first reason the instance became unusable (later ones are consequences).
    fn mark_unusable(&self, reason: String) {
        if self.unusable.set(reason).is_ok() {
            tracing::error!(
                plugin = %self.info.id,
                reason = self.unusable.get().map(String::as_str).unwrap_or_default(),
                "plugin {} instance is now unusable",
                self.info.id
            );
        }
    }
}
