//! The registry of loaded plugins: loading files and directories, listing, checking, and
//! creating instances.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use hpcb_plugin_api::PluginMod_Ref;
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::capabilities::HostServices;
use crate::instance::{self, InstantiateError, PluginInstance};
use crate::loader::{self, OpenedPlugin};
use crate::{HostConfig, LoadError, LoadPolicy, PluginInfo, PluginKind, PluginPolicy};

/// A plugin that passed every check, as listed by `hpc-billing plugins list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedPlugin {
    /// What the plugin says about itself (id, kind, version, API version, description).
    pub info: PluginInfo,
    /// The canonical path of its library.
    pub path: PathBuf,
}

/// A plugin file that was refused, with its one-line reason.
#[derive(Debug)]
pub struct Refusal {
    /// The file as found in the directory.
    pub path: PathBuf,
    /// Why it was refused.
    pub error: LoadError,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.error)
    }
}

/// The outcome of [`PluginRegistry::load_dir`]: refusals do not stop the other plugins from
/// loading; the server logs them and carries on.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Plugins now available, in file-name order.
    pub loaded: Vec<LoadedPlugin>,
    /// Files that look like libraries but were refused, in file-name order.
    pub refused: Vec<Refusal>,
}

/// One registered plugin: its listing and its root module.
struct Registered {
    listing: LoadedPlugin,
    module: PluginMod_Ref,
}

/// Loads plugins, keeps them for the life of the process and creates instances of them.
///
/// Build it at start-up (`load_dir` takes `&mut self`), then share it (`Arc<PluginRegistry>`);
/// everything else takes `&self`. All instances share one concurrency limit.
pub struct PluginRegistry {
    config: HostConfig,
    plugins: BTreeMap<String, Registered>,
    permits: Arc<Semaphore>,
    http_client: OnceLock<reqwest::Client>,
}

impl fmt::Debug for PluginRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginRegistry")
            .field("config", &self.config)
            .field("plugins", &self.plugins.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl PluginRegistry {
    /// An empty registry.
    pub fn new(config: HostConfig) -> Self {
        let permits = config.max_concurrent_calls.clamp(1, Semaphore::MAX_PERMITS);
        PluginRegistry {
            config,
            plugins: BTreeMap::new(),
            permits: Arc::new(Semaphore::new(permits)),
            http_client: OnceLock::new(),
        }
    }

    /// Loads and checks one file without registering it: what `hpc-billing plugins check FILE`
    /// reports. Besides the per-file checks it refuses kinds `policy` does not accept and ids
    /// already registered from another file.
    ///
    /// Loading runs the library's initialisers in this process, like any dlopen; only check
    /// files from a directory the operator controls.
    pub fn check_file(&self, path: &Path, policy: &LoadPolicy) -> Result<PluginInfo, LoadError> {
        self.open_checked(path, policy).map(|opened| opened.info)
    }

    /// Loads, checks and registers one file. Loading the same file twice is a no-op.
    pub fn load_file(&mut self, path: &Path, policy: &LoadPolicy) -> Result<LoadedPlugin, LoadError> {
        let opened = self.open_checked(path, policy)?;
        let listing = LoadedPlugin {
            info: opened.info,
            path: opened.path,
        };
        tracing::info!(
            plugin = %listing.info.id,
            kind = %listing.info.kind,
            version = %listing.info.version,
            api = %listing.info.api,
            path = %listing.path.display(),
            "loaded plugin {}",
            listing.info.id
        );
        self.plugins.insert(
            listing.info.id.clone(),
            Registered {
                listing: listing.clone(),
                module: opened.module,
            },
        );
        Ok(listing)
    }

    /// Loads every shared library (`*.so` on Linux) directly in `dir`, in file-name order, so
    /// that of two plugins with the same id the first name wins. Other files are ignored.
    /// Refused files are logged and reported, and do not stop the rest.
    pub fn load_dir(&mut self, dir: &Path, policy: &LoadPolicy) -> std::io::Result<LoadReport> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            let is_library = path
                .extension()
                .is_some_and(|ext| ext == std::env::consts::DLL_EXTENSION);
            if is_library && path.is_file() {
                files.push(path);
            }
        }
        files.sort();

        let mut report = LoadReport::default();
        for path in files {
            match self.load_file(&path, policy) {
                Ok(loaded) => report.loaded.push(loaded),
                Err(error) => {
                    match error.details() {
                        Some(details) => tracing::warn!(
                            path = %path.display(),
                            details,
                            "refused plugin {}: {error}",
                            path.display()
                        ),
                        None => tracing::warn!(path = %path.display(), "refused plugin {}: {error}", path.display()),
                    }
                    report.refused.push(Refusal { path, error });
                }
            }
        }
        Ok(report)
    }

    /// The registered plugins, by id.
    pub fn list(&self) -> impl Iterator<Item = &LoadedPlugin> {
        self.plugins.values().map(|registered| &registered.listing)
    }

    /// One registered plugin.
    pub fn get(&self, id: &str) -> Option<&LoadedPlugin> {
        self.plugins.get(id).map(|registered| &registered.listing)
    }

    /// Creates an instance of plugin `id`, which must be of kind `kind`, with its JSON
    /// configuration and its capability policy. The plugin's `create` runs on a blocking thread
    /// under the concurrency limit and `policy.call_timeout`; the instance runs it again whenever
    /// it replaces a plugin object that panicked or hung.
    ///
    /// Must be called within a multi-threaded tokio runtime: the instance serves the plugin's
    /// capability calls on it.
    pub async fn instantiate(
        &self,
        id: &str,
        kind: PluginKind,
        config: &Value,
        policy: PluginPolicy,
    ) -> Result<PluginInstance, InstantiateError> {
        let registered = self
            .plugins
            .get(id)
            .ok_or_else(|| InstantiateError::UnknownPlugin { id: id.to_owned() })?;
        let info = &registered.listing.info;
        if info.kind != kind {
            return Err(InstantiateError::WrongKind {
                id: id.to_owned(),
                found: info.kind,
                expected: kind,
            });
        }
        let services = HostServices::new(
            id,
            &policy,
            tokio::runtime::Handle::current(),
            self.http_client()?,
            Arc::clone(&self.config.clock),
        );
        instance::create(
            registered.module,
            info.clone(),
            config,
            services,
            Arc::clone(&self.permits),
            instance::Limits {
                call_timeout: policy.call_timeout,
                queue_timeout: self.config.queue_timeout,
                max_stuck: self.config.max_stuck_calls.max(1),
            },
        )
        .await
    }

    /// Every per-file check, plus the accepted kinds and the duplicate-id check.
    fn open_checked(&self, path: &Path, policy: &LoadPolicy) -> Result<OpenedPlugin, LoadError> {
        let opened = loader::open(path)?;
        if !policy.accepted_kinds.contains(&opened.info.kind) {
            return Err(LoadError::WrongKind {
                found: opened.info.kind,
                expected: policy.accepted_kinds.clone(),
            });
        }
        if let Some(existing) = self.plugins.get(&opened.info.id) {
            if existing.listing.path != opened.path {
                return Err(LoadError::DuplicateId {
                    id: opened.info.id,
                    first: existing.listing.path.clone(),
                });
            }
        }
        Ok(opened)
    }

    /// The HTTP client shared by all instances (one connection pool), built on first use.
    fn http_client(&self) -> Result<reqwest::Client, InstantiateError> {
        if let Some(client) = self.http_client.get() {
            return Ok(client.clone());
        }
        let client = reqwest::Client::builder()
            // Redirects could lead outside the allow-list; plugins see 3xx and decide.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("hpc-billing-plugin-host/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| InstantiateError::HostSetup {
                reason: format!("cannot build the HTTP client: {err}"),
            })?;
        Ok(self.http_client.get_or_init(|| client).clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    fn assert_send_sync<T: Send + Sync>() {}

    /// The server keeps the registry in `Arc` state and calls plugins from spawned tasks.
    #[test]
    fn registry_instances_and_their_futures_can_cross_tasks() {
        assert_send_sync::<PluginRegistry>();
        assert_send_sync::<PluginInstance>();

        let registry = PluginRegistry::new(HostConfig::default());
        let config = Value::Null;
        let instantiate = registry.instantiate("x", PluginKind::Test, &config, PluginPolicy::default());
        assert_send(&instantiate);

        let call_future_is_send = |instance: Option<&PluginInstance>| {
            if let Some(instance) = instance {
                assert_send(&instance.call("m", &config));
            }
        };
        call_future_is_send(None);
    }
}
