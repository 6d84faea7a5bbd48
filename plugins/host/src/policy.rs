//! What one plugin instance may do: its call timeout and, per capability, its allow-lists and
//! limits. Everything is denied unless the operator allows it.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// The per-instance policy handed to [`crate::PluginRegistry::instantiate`].
#[derive(Debug, Clone)]
pub struct PluginPolicy {
    /// The timeout of each call into the plugin (and of each `create`), counted from when the
    /// plugin code starts: waiting for the instance or a free slot is bounded separately by
    /// [`crate::HostConfig::queue_timeout`]. A call that exceeds it fails with a timeout, and the
    /// instance continues on a fresh plugin object.
    pub call_timeout: Duration,
    /// The `http` capability.
    pub http: HttpPolicy,
    /// The `run` capability.
    pub run: RunPolicy,
    /// The `read_file` capability.
    pub files: FilePolicy,
    /// The `secret` capability: the only secrets this plugin can read, by name.
    pub secrets: BTreeMap<String, SecretValue>,
}

impl Default for PluginPolicy {
    /// Nothing allowed, 30 s per call.
    fn default() -> Self {
        PluginPolicy {
            call_timeout: Duration::from_secs(30),
            http: HttpPolicy::default(),
            run: RunPolicy::default(),
            files: FilePolicy::default(),
            secrets: BTreeMap::new(),
        }
    }
}

/// Where a plugin may send HTTP requests, and how much it may wait for and read.
#[derive(Debug, Clone)]
pub struct HttpPolicy {
    /// Reachable hosts: `api.example.com` (default port of the scheme only),
    /// `api.example.com:8443`, `api.example.com:*` (any port), `*.example.com` (any subdomain),
    /// `127.0.0.1:8080`, `[::1]:8080`.
    pub allowed_hosts: Vec<String>,
    /// Whether plain `http://` URLs are allowed (only sensible for local test peers).
    pub allow_plain_http: bool,
    /// Upper bound for one request, whatever the plugin asks for.
    pub max_timeout: Duration,
    /// Largest response body read; larger responses fail with `too_large`.
    pub max_response_bytes: usize,
}

impl Default for HttpPolicy {
    /// No hosts, https only, 30 s, 4 MiB.
    fn default() -> Self {
        HttpPolicy {
            allowed_hosts: Vec::new(),
            allow_plain_http: false,
            max_timeout: Duration::from_secs(30),
            max_response_bytes: 4 * 1024 * 1024,
        }
    }
}

/// Which programs a plugin may run, and for how long.
#[derive(Debug, Clone)]
pub struct RunPolicy {
    /// Programs, exactly as the plugin must name them: a bare name looked up in `PATH`
    /// (`sacct`) or an absolute path (`/usr/bin/sacct`).
    pub allowed_programs: Vec<String>,
    /// Upper bound for one run; the program is killed when it is reached.
    pub max_timeout: Duration,
    /// Largest output read from each of stdout and stderr; the program is killed beyond it.
    pub max_output_bytes: usize,
    /// Environment variables passed through from the server (everything else is cleared, so
    /// the server's own secrets never reach child processes). Names ending in `*` are prefixes.
    pub pass_env: Vec<String>,
}

impl Default for RunPolicy {
    /// No programs, 60 s, 16 MiB per stream, a minimal environment plus `SLURM_*`.
    fn default() -> Self {
        RunPolicy {
            allowed_programs: Vec::new(),
            max_timeout: Duration::from_secs(60),
            max_output_bytes: 16 * 1024 * 1024,
            pass_env: ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "USER", "SLURM_*"]
                .map(str::to_owned)
                .to_vec(),
        }
    }
}

/// Which directories a plugin may read files from.
#[derive(Debug, Clone)]
pub struct FilePolicy {
    /// Directories whose files (at any depth, after resolving symlinks) may be read.
    pub allowed_dirs: Vec<PathBuf>,
    /// Largest file read; larger files fail with `too_large`.
    pub max_bytes: u64,
}

impl Default for FilePolicy {
    /// No directories, 16 MiB.
    fn default() -> Self {
        FilePolicy {
            allowed_dirs: Vec::new(),
            max_bytes: 16 * 1024 * 1024,
        }
    }
}

/// A secret value for a plugin. Its `Debug` is redacted and it has no `Display`, so it cannot end
/// up in logs by accident; only the `secret` capability reads it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(String);

impl SecretValue {
    /// Wraps a secret read from configuration.
    pub fn new(value: impl Into<String>) -> Self {
        SecretValue(value.into())
    }

    /// The secret itself, for handing to the plugin.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let mut policy = PluginPolicy::default();
        policy
            .secrets
            .insert("api_key".to_owned(), SecretValue::new("sk_live_123"));
        let printed = format!("{policy:?}");
        assert!(printed.contains("api_key"));
        assert!(!printed.contains("sk_live_123"));
    }
}
