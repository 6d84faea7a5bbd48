//! Host-wide settings: how many plugin calls may run at once, how long a call may queue for its
//! turn, how many calls may be stuck inside one instance, the clock plugins see, and which plugin
//! kinds a load accepts.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::PluginKind;

/// The wall clock served to plugins by the `now` capability, in Unix milliseconds. Replaceable so
/// tests (and the server's own test clock) control what plugins see.
pub type WallClock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Settings shared by every plugin of one [`crate::PluginRegistry`].
#[derive(Clone)]
pub struct HostConfig {
    /// How many plugin calls (and instance creations) may run at the same time, across all
    /// plugins. Each runs on a blocking thread.
    pub max_concurrent_calls: usize,
    /// How long a call may wait for its turn: for the instance (one call at a time each) and then
    /// for a slot of `max_concurrent_calls`. A call that waits longer fails as busy without
    /// running. This wait is not part of the call's own timeout, which starts when the plugin
    /// code does, so a queue behind a slow call never counts against the plugin.
    pub queue_timeout: Duration,
    /// How many calls of one instance may be stuck at once: abandoned at their timeout while
    /// their thread is still inside the plugin (threads cannot be stopped). At this bound the
    /// instance refuses calls until one of them returns, so a plugin that hangs on every call
    /// strands at most this many threads per instance. At least 1.
    pub max_stuck_calls: usize,
    /// The clock behind the `now` capability.
    pub clock: WallClock,
}

impl Default for HostConfig {
    /// 8 concurrent calls, 30 s of queueing, 2 stuck calls per instance, the system clock.
    fn default() -> Self {
        HostConfig {
            max_concurrent_calls: 8,
            queue_timeout: Duration::from_secs(30),
            max_stuck_calls: 2,
            clock: Arc::new(system_unix_ms),
        }
    }
}

impl fmt::Debug for HostConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostConfig")
            .field("max_concurrent_calls", &self.max_concurrent_calls)
            .field("queue_timeout", &self.queue_timeout)
            .field("max_stuck_calls", &self.max_stuck_calls)
            .finish_non_exhaustive()
    }
}

/// The system clock in Unix milliseconds (0 if the clock is before 1970).
fn system_unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Which plugins a load accepts, beyond the checks every plugin must pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadPolicy {
    /// Kinds accepted; a plugin of another kind is refused with [`crate::LoadError::WrongKind`].
    pub accepted_kinds: Vec<PluginKind>,
}

impl LoadPolicy {
    /// Accepts every kind this host knows (what `hpc-billing plugins check` uses).
    pub fn any_kind() -> Self {
        LoadPolicy {
            accepted_kinds: PluginKind::ALL.to_vec(),
        }
    }

    /// Accepts only the given kinds (a production server leaves out [`PluginKind::Test`]).
    pub fn only(kinds: impl IntoIterator<Item = PluginKind>) -> Self {
        LoadPolicy {
            accepted_kinds: kinds.into_iter().collect(),
        }
    }

    /// Accepts the plugins a production server uses: payment gateways and usage sources.
    pub fn production() -> Self {
        Self::only([PluginKind::PaymentGateway, PluginKind::UsageSource])
    }
}
