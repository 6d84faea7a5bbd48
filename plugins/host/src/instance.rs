//! Plugin instances: creating them, calling them from async code, and replacing the plugin
//! object behind one when a call goes wrong.
//!
//! A [`PluginInstance`] is what the server keeps for one configured plugin. Behind it lives at
//! most one plugin object at a time, called one call at a time (plugins take `&mut self`). A
//! call
//!
//! 1. queues for the instance and then for a slot of the host-wide concurrency limit, for at
//!    most [`HostConfig::queue_timeout`](crate::HostConfig::queue_timeout) in all; a call that
//!    does not get its turn fails with [`PluginCallError::Busy`] without running, and nothing
//!    is held against the plugin;
//! 2. runs on a tokio blocking thread (plugins are synchronous and tokio's runtime does not
//!    cross the library boundary) under the policy's call timeout, counted from when the plugin
//!    code starts.
//!
//! When a call panics (the SDK poisons the object: its state may be half-updated) or times out
//! (its thread is abandoned inside the plugin), the object is **retired** and the next call
//! creates a fresh one from the plugin's module, with the same configuration and capabilities.
//! Abandoned threads cannot be stopped, so they are counted: while
//! [`HostConfig::max_stuck_calls`](crate::HostConfig::max_stuck_calls) of an instance's calls
//! are stuck inside the plugin, the instance is dead and refuses calls at once with
//! [`PluginCallError::Unusable`], sending no further thread in, until one of them returns. A
//! plugin that hangs on every call therefore strands at most that many threads per instance,
//! however many calls arrive.
//!
//! Each call runs in a task of its own, so a caller that stops waiting (a dropped request)
//! cannot leave the instance's bookkeeping half done.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex as StdMutex, MutexGuard, PoisonError};
use std::time::Duration;

use abi_stable::{
    sabi_trait::TD_Opaque,
    std_types::{RResult, RStr, RString},
};
use hpcb_plugin_api::{HostObject_TO, PluginBox, PluginMod_Ref};
use serde_json::Value;
use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::blocking::{self, BlockingError, StuckCalls};
use crate::capabilities::HostServices;
use crate::wire::WireError;
use crate::PluginInfo;

pub use crate::call_error::{InstantiateError, PluginCallError};

/// How often [`PluginInstance::revive`] may start creating a plugin object after a creation
/// failed, however often it is asked (it is asked by unauthenticated readiness probes).
const REVIVE_INTERVAL: Duration = Duration::from_secs(5);

/// How an instance is doing, for readiness checks. Reading it never calls the plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstanceHealth {
    /// Serving calls.
    Ready,
    /// The last plugin object was retired (it panicked or hung); the next call creates a fresh
    /// one. Calls are served.
    Recovering {
        /// Why the last object was retired.
        reason: String,
    },
    /// Calls fail without running: as many calls as the host allows are stuck inside the
    /// plugin, or a fresh plugin object could not be created (every later call, and
    /// [`PluginInstance::revive`], tries again).
    Dead {
        /// Why.
        reason: String,
    },
}

/// What became of the last plugin object.
#[derive(Debug, Clone)]
enum Condition {
    Live,
    Retired(String),
    CreateFailed(String),
}

/// Makes plugin objects: the plugin's module, its configuration and its capabilities.
#[derive(Clone)]
struct Factory {
    module: PluginMod_Ref,
    config_json: String,
    services: HostServices,
}

impl Factory {
    /// Runs the plugin's `create`; call it on a blocking thread.
    fn create(&self) -> RResult<PluginBox, RString> {
        let host = HostObject_TO::from_value(self.services.clone(), TD_Opaque);
        (self.module.create())(RStr::from_str(&self.config_json), host)
    }
}

/// Why `create` produced no plugin object.
enum CreateFailure {
    Refused { code: String, message: String },
    Panicked(String),
    TimedOut(Duration),
    Host(String),
}

impl std::fmt::Display for CreateFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CreateFailure::Refused { code, message } => write!(f, "create failed ({code}): {message}"),
            CreateFailure::Panicked(message) => write!(f, "create panicked: {message}"),
            CreateFailure::TimedOut(timeout) => write!(f, "create did not return within {timeout:?}"),
            CreateFailure::Host(reason) => write!(f, "the host failed during create ({reason})"),
        }
    }
}

/// The timing bounds of one instance.
pub(crate) struct Limits {
    /// Each call's own timeout (the policy's).
    pub(crate) call_timeout: Duration,
    /// How long a call may wait for its turn.
    pub(crate) queue_timeout: Duration,
    /// How many calls may be stuck inside the plugin at once (at least 1).
    pub(crate) max_stuck: usize,
}

/// What every call of an instance shares; each call's task holds it.
struct Shared {
    info: PluginInfo,
    factory: Factory,
    permits: Arc<Semaphore>,
    limits: Limits,
    stuck: StuckCalls,
    /// The live plugin object, `None` once retired. Held for the whole of a call, so calls on
    /// one instance run one at a time.
    object: Mutex<Option<PluginBox>>,
    condition: StdMutex<Condition>,
    /// When `revive` last started a creation.
    revived_at: StdMutex<Option<Instant>>,
}

/// One configured instance of a plugin. Cheap to clone (clones share the instance); calls on one
/// instance are serialised, calls on different instances run in parallel.
#[derive(Clone)]
pub struct PluginInstance {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for PluginInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginInstance")
            .field("plugin", &self.shared.info.id)
            .field("health", &self.health())
            .finish_non_exhaustive()
    }
}

/// Locks a mutex that only ever holds plain values (a panic while holding it leaves nothing
/// half-done).
fn lock<T>(mutex: &StdMutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Creates the instance and its first plugin object (on a blocking thread).
pub(crate) async fn create(
    module: PluginMod_Ref,
    info: PluginInfo,
    config: &Value,
    services: HostServices,
    permits: Arc<Semaphore>,
    limits: Limits,
) -> Result<PluginInstance, InstantiateError> {
    let mut shared = Shared {
        info,
        factory: Factory {
            module,
            config_json: config.to_string(),
            services,
        },
        permits,
        limits,
        stuck: StuckCalls::default(),
        object: Mutex::new(None),
        condition: StdMutex::new(Condition::Live),
        revived_at: StdMutex::new(None),
    };
    let id = shared.info.id.clone();
    let waited = shared.limits.queue_timeout;
    let permit = blocking::acquire_slot(&shared.permits, Instant::now() + waited)
        .await
        .ok_or_else(|| InstantiateError::Busy { id: id.clone(), waited })?;
    match shared.create_object(permit).await {
        Ok(object) => {
            *shared.object.get_mut() = Some(object);
            Ok(PluginInstance {
                shared: Arc::new(shared),
            })
        }
        Err(CreateFailure::Refused { code, message }) => Err(InstantiateError::Failed { id, code, message }),
        Err(CreateFailure::Panicked(message)) => Err(InstantiateError::Panicked { id, message }),
        Err(CreateFailure::TimedOut(timeout)) => Err(InstantiateError::Timeout { id, timeout }),
        Err(CreateFailure::Host(reason)) => Err(InstantiateError::HostSetup { reason }),
    }
}

impl PluginInstance {
    /// The plugin's info (id, kind, versions).
    pub fn info(&self) -> &PluginInfo {
        &self.shared.info
    }

    /// How the instance is doing; never calls the plugin.
    pub fn health(&self) -> InstanceHealth {
        self.shared.health()
    }

    /// Why calls fail at once right now, if they do (the reason of [`InstanceHealth::Dead`]).
    pub fn unusable_reason(&self) -> Option<String> {
        match self.health() {
            InstanceHealth::Dead { reason } => Some(reason),
            InstanceHealth::Ready | InstanceHealth::Recovering { .. } => None,
        }
    }

    /// How many of this instance's calls were abandoned at their timeout and are still running
    /// inside the plugin.
    pub fn stuck_calls(&self) -> usize {
        self.shared.stuck.load(Ordering::Acquire)
    }

    /// When creating a fresh plugin object failed, starts another attempt in the background,
    /// at most once per few seconds and never while a call is running or too many are stuck.
    /// For callers that check health without calling (readiness probes), so an instance nobody
    /// calls still recovers. Returns at once; needs a tokio runtime (does nothing without one).
    pub fn revive(&self) {
        let shared = &self.shared;
        if !matches!(*lock(&shared.condition), Condition::CreateFailed(_)) || shared.stuck_reason().is_some() {
            return;
        }
        {
            let mut at = lock(&shared.revived_at);
            if at.is_some_and(|at| at.elapsed() < REVIVE_INTERVAL) {
                return;
            }
            *at = Some(Instant::now());
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let shared = Arc::clone(shared);
        runtime.spawn(async move {
            // A call holding the instance creates an object itself.
            let Ok(mut object) = shared.object.try_lock() else {
                return;
            };
            if object.is_some() {
                return;
            }
            let until = Instant::now() + shared.limits.queue_timeout;
            if let Some(permit) = blocking::acquire_slot(&shared.permits, until).await {
                if let Ok(fresh) = shared.recreate(permit).await {
                    *object = Some(fresh);
                }
            }
        });
    }

    /// Calls plugin method `method` with a JSON request. Waiting for the instance and for a
    /// slot is bounded by the host's queue timeout ([`PluginCallError::Busy`]); the call itself
    /// by the policy's call timeout, from when it starts.
    pub async fn call(&self, method: &str, request: &Value) -> Result<Value, PluginCallError> {
        let started = std::time::Instant::now();
        let task = tokio::spawn(Arc::clone(&self.shared).call(method.to_owned(), request.to_string()));
        let result = match task.await {
            Ok(result) => result,
            Err(join_error) => Err(PluginCallError::Host {
                plugin: self.shared.info.id.clone(),
                method: method.to_owned(),
                reason: join_error.to_string(),
            }),
        };
        let elapsed_ms = started.elapsed().as_millis();
        let id = &self.shared.info.id;
        match &result {
            Ok(_) => tracing::debug!(plugin = %id, method, elapsed_ms, "plugin {id} answered {method}"),
            // A plugin's own error is an answer; everything else means the plugin misbehaved.
            Err(err @ PluginCallError::Failed { .. }) => {
                tracing::info!(plugin = %id, method, elapsed_ms, "plugin call failed: {err}")
            }
            Err(err) => tracing::warn!(plugin = %id, method, elapsed_ms, "plugin call failed: {err}"),
        }
        result
    }
}

impl Shared {
    fn health(&self) -> InstanceHealth {
        if let Some(reason) = self.stuck_reason() {
            return InstanceHealth::Dead { reason };
        }
        match lock(&self.condition).clone() {
            Condition::Live => InstanceHealth::Ready,
            Condition::Retired(reason) => InstanceHealth::Recovering { reason },
            Condition::CreateFailed(reason) => InstanceHealth::Dead { reason },
        }
    }

    /// Why no call may enter the plugin now because of stuck calls, if none may.
    fn stuck_reason(&self) -> Option<String> {
        let stuck = self.stuck.load(Ordering::Acquire);
        (stuck >= self.limits.max_stuck).then(|| {
            format!("{stuck} calls are stuck inside the plugin, the most allowed; calls are refused until one returns")
        })
    }

    fn refuse_if_stuck(&self) -> Result<(), PluginCallError> {
        match self.stuck_reason() {
            Some(reason) => Err(PluginCallError::Unusable {
                plugin: self.info.id.clone(),
                reason,
            }),
            None => Ok(()),
        }
    }

    fn busy(&self, method: &str) -> PluginCallError {
        PluginCallError::Busy {
            plugin: self.info.id.clone(),
            method: method.to_owned(),
            waited: self.limits.queue_timeout,
        }
    }

    /// One call, from queueing to recording what became of the plugin object.
    async fn call(self: Arc<Self>, method: String, request: String) -> Result<Value, PluginCallError> {
        self.refuse_if_stuck()?;
        let queued_until = Instant::now() + self.limits.queue_timeout;
        let Ok(mut object) = tokio::time::timeout_at(queued_until, self.object.lock()).await else {
            return Err(self.busy(&method));
        };
        // The call ahead of this one may have been abandoned meanwhile.
        self.refuse_if_stuck()?;
        let mut slot_until = queued_until;
        if object.is_none() {
            let permit = blocking::acquire_slot(&self.permits, queued_until)
                .await
                .ok_or_else(|| self.busy(&method))?;
            *object = Some(self.recreate(permit).await?);
            // Creating took time of its own; the call queues afresh for its slot.
            slot_until = Instant::now() + self.limits.queue_timeout;
        }
        let permit = blocking::acquire_slot(&self.permits, slot_until)
            .await
            .ok_or_else(|| self.busy(&method))?;
        let Some(plugin) = object.take() else {
            return Err(PluginCallError::Host {
                plugin: self.info.id.clone(),
                method,
                reason: "no plugin object to call".to_owned(),
            });
        };
        let job_method = method.clone();
        let outcome = blocking::run(
            &self.permits,
            permit,
            self.limits.call_timeout,
            &self.stuck,
            move || {
                let mut plugin = plugin;
                let result = plugin.call(RStr::from_str(&job_method), RStr::from_str(&request));
                // An object that panicked is poisoned: it is dropped here, on this thread, and the
                // next call gets a fresh one.
                let keep = match &result {
                    RResult::ROk(_) => true,
                    RResult::RErr(text) => {
                        let error = WireError::parse(text.as_str());
                        !(error.is_panic() || error.is_poisoned())
                    }
                };
                (keep.then_some(plugin), result)
            },
        )
        .await;
        match outcome {
            Ok((back, result)) => {
                *object = back;
                drop(object);
                self.interpret(method, result)
            }
            Err(BlockingError::TimedOut) => {
                self.retire(format!(
                    "`{method}` did not return within {:?}; its thread was abandoned",
                    self.limits.call_timeout
                ));
                Err(PluginCallError::Timeout {
                    plugin: self.info.id.clone(),
                    method,
                    timeout: self.limits.call_timeout,
                })
            }
            Err(BlockingError::Failed(reason)) => {
                self.retire(format!("the host failed during `{method}` ({reason})"));
                Err(PluginCallError::Host {
                    plugin: self.info.id.clone(),
                    method,
                    reason,
                })
            }
        }
    }

    /// Maps a call's answer, retiring the object where the job dropped it.
    fn interpret(&self, method: String, result: RResult<RString, RString>) -> Result<Value, PluginCallError> {
        let plugin = self.info.id.clone();
        match result {
            RResult::ROk(text) => serde_json::from_str(text.as_str()).map_err(|err| PluginCallError::InvalidResponse {
                plugin,
                method,
                reason: err.to_string(),
            }),
            RResult::RErr(text) => {
                let error = WireError::parse(text.as_str());
                if error.is_panic() {
                    self.retire(format!("it panicked in `{method}` ({})", error.message));
                    Err(PluginCallError::Panicked {
                        plugin,
                        method,
                        message: error.message,
                    })
                } else if error.is_poisoned() {
                    self.retire(format!("it was poisoned: {}", error.message));
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
        }
    }

    /// Records that the plugin object is gone; the next call creates a fresh one.
    fn retire(&self, reason: String) {
        tracing::error!(
            plugin = %self.info.id,
            reason,
            "plugin {} retired its plugin object ({reason}); the next call creates a fresh one",
            self.info.id
        );
        *lock(&self.condition) = Condition::Retired(reason);
    }

    /// Creates a fresh object to replace a retired one, recording the outcome.
    async fn recreate(&self, permit: OwnedSemaphorePermit) -> Result<PluginBox, PluginCallError> {
        match self.create_object(permit).await {
            Ok(object) => {
                tracing::info!(plugin = %self.info.id, "plugin {} has a fresh plugin object", self.info.id);
                *lock(&self.condition) = Condition::Live;
                Ok(object)
            }
            Err(failure) => {
                let reason = format!("a fresh plugin object could not be created: {failure}");
                tracing::error!(plugin = %self.info.id, reason, "plugin {}: {reason}", self.info.id);
                *lock(&self.condition) = Condition::CreateFailed(reason.clone());
                Err(PluginCallError::Unusable {
                    plugin: self.info.id.clone(),
                    reason,
                })
            }
        }
    }

    /// Runs the plugin's `create` on a blocking thread under the call timeout.
    async fn create_object(&self, permit: OwnedSemaphorePermit) -> Result<PluginBox, CreateFailure> {
        let factory = self.factory.clone();
        let created = blocking::run(
            &self.permits,
            permit,
            self.limits.call_timeout,
            &self.stuck,
            move || factory.create(),
        )
        .await;
        match created {
            Ok(RResult::ROk(plugin)) => Ok(plugin),
            Ok(RResult::RErr(text)) => {
                let error = WireError::parse(text.as_str());
                if error.is_panic() {
                    Err(CreateFailure::Panicked(error.message))
                } else {
                    Err(CreateFailure::Refused {
                        code: error.code,
                        message: error.message,
                    })
                }
            }
            Err(BlockingError::TimedOut) => Err(CreateFailure::TimedOut(self.limits.call_timeout)),
            Err(BlockingError::Failed(reason)) => Err(CreateFailure::Host(reason)),
        }
    }
}
