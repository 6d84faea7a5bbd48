//! Plugins in the server: loading the plugin directory, and adapting usage-source plugins to
//! the core's `UsageSource` port with the capabilities their configuration allows.

use crate::config::{ChainLink, Config, SourceEntry};
use anyhow::{anyhow, Context as _, Result};
use hpcb_core::usage::{FetchResult, SourceConfig, UsageRecord, UsageSource};
use hpcb_core::{CoreError, CoreResult};
use hpcb_plugin_host::{
    FilePolicy, HostConfig, HttpPolicy, LoadPolicy, PluginCallError, PluginInstance, PluginKind, PluginPolicy,
    PluginRegistry, Refusal, RunPolicy, SecretValue,
};
use serde::Deserialize;
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Loads every plugin of the configured directory that a production host accepts; refusals
/// are returned for logging and `plugins list`.
pub fn load_registry(config: &Config) -> Result<(PluginRegistry, Vec<Refusal>)> {
    let mut registry = PluginRegistry::new(HostConfig {
        max_concurrent_calls: config.plugins.max_concurrent_calls.max(1),
        queue_timeout: Duration::from_secs(config.plugins.queue_timeout_secs),
        max_stuck_calls: config.plugins.max_stuck_calls.max(1),
        ..HostConfig::default()
    });
    let dir = config.plugin_dir();
    if !dir.is_dir() {
        return Ok((registry, Vec::new()));
    }
    let report = registry
        .load_dir(&dir, &LoadPolicy::production())
        .with_context(|| format!("cannot read plugin directory {}", dir.display()))?;
    Ok((registry, report.refused))
}

/// What the API's `plugins` query reports: every loaded plugin, then every refused file.
pub fn statuses(registry: &PluginRegistry, refused: &[Refusal]) -> Vec<hpcb_core::plugins::PluginStatus> {
    let file_name = |path: &std::path::Path| {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let loaded = registry.list().map(|p| hpcb_core::plugins::PluginStatus {
        name: p.info.id.clone(),
        kind: p.info.kind.as_str().to_owned(),
        version: Some(p.info.version.clone()),
        api: Some(p.info.api.to_string()),
        file: file_name(&p.path),
        loaded: true,
        reason: None,
    });
    let refused = refused.iter().map(|r| hpcb_core::plugins::PluginStatus {
        name: file_name(&r.path),
        kind: String::new(),
        version: None,
        api: None,
        file: file_name(&r.path),
        loaded: false,
        reason: Some(r.error.to_string()),
    });
    loaded.chain(refused).collect()
}

/// Resolves a configured secret: `env:NAME`, `file:/path`, or the value itself.
fn secret(spec: &str) -> Result<SecretValue> {
    if let Some(var) = spec.strip_prefix("env:") {
        return std::env::var(var)
            .map(SecretValue::new)
            .map_err(|_| anyhow!("environment variable {var} is not set"));
    }
    if let Some(path) = spec.strip_prefix("file:") {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read secret file {path}"))?;
        return Ok(SecretValue::new(text.trim()));
    }
    Ok(SecretValue::new(spec))
}

/// The capabilities a configured plugin gets.
pub(crate) fn policy(link: &ChainLink) -> Result<PluginPolicy> {
    let timeout = Duration::from_secs(link.timeout_secs.max(1));
    let mut secrets = std::collections::BTreeMap::new();
    for (name, spec) in &link.secrets {
        secrets.insert(
            name.clone(),
            secret(spec.expose()).with_context(|| format!("secret {name:?} of plugin {}", link.plugin))?,
        );
    }
    Ok(PluginPolicy {
        call_timeout: timeout,
        http: HttpPolicy {
            allowed_hosts: link.allow_hosts.clone(),
            allow_plain_http: link.allow_plain_http,
            max_timeout: timeout,
            ..HttpPolicy::default()
        },
        run: RunPolicy {
            allowed_programs: link.allow_programs.clone(),
            max_timeout: timeout,
            ..RunPolicy::default()
        },
        files: FilePolicy {
            allowed_dirs: link.allow_dirs.iter().map(PathBuf::from).collect(),
            ..FilePolicy::default()
        },
        secrets,
    })
}

/// A usage-source plugin instance behind the core's port.
pub struct PluginUsageSource {
    plugin: String,
    instance: PluginInstance,
}

#[derive(Deserialize)]
struct FetchAnswer {
    jobs: Vec<UsageRecord>,
    #[serde(default)]
    warnings: Vec<String>,
}

fn call_error(plugin: &str, e: PluginCallError) -> CoreError {
    CoreError::Internal(format!("plugin {plugin}: {e}"))
}

#[async_trait::async_trait]
impl UsageSource for PluginUsageSource {
    fn kind(&self) -> String {
        self.plugin.clone()
    }

    async fn fetch(&self, from_ms: i64, to_ms: i64) -> CoreResult<FetchResult> {
        let answer = self
            .instance
            .call("fetch", &json!({"from": from_ms, "to": to_ms}))
            .await
            .map_err(|e| call_error(&self.plugin, e))?;
        let parsed: FetchAnswer = serde_json::from_value(answer).map_err(|e| {
            CoreError::Internal(format!(
                "plugin {} answered fetch with an unreadable document: {e}",
                self.plugin
            ))
        })?;
        Ok(FetchResult {
            jobs: parsed.jobs,
            warnings: parsed.warnings,
        })
    }
}

async fn build_link(registry: &PluginRegistry, link: &ChainLink) -> Result<Arc<dyn UsageSource>> {
    let settings = serde_json::to_value(&link.settings).context("plugin settings are not representable as JSON")?;
    let instance = registry
        .instantiate(&link.plugin, PluginKind::UsageSource, &settings, policy(link)?)
        .await
        .map_err(|e| anyhow!("plugin {}: {e}", link.plugin))?;
    Ok(Arc::new(PluginUsageSource {
        plugin: link.plugin.clone(),
        instance,
    }))
}

async fn build_source(registry: &PluginRegistry, s: &SourceEntry) -> Result<SourceConfig> {
    let mut chain = Vec::with_capacity(s.chain.len());
    for link in &s.chain {
        chain.push(
            build_link(registry, link)
                .await
                .with_context(|| format!("source {:?}", s.name))?,
        );
    }
    Ok(SourceConfig {
        name: s.name.clone(),
        cluster: s.cluster.clone(),
        chain,
        interval_secs: s.interval_secs,
        overlap_secs: s.overlap_secs,
        initial_lookback_secs: s.initial_lookback_secs,
    })
}

/// Instantiates every configured source's chain.
pub async fn build_sources(registry: &PluginRegistry, config: &Config) -> Result<Vec<SourceConfig>> {
    let mut out = Vec::with_capacity(config.sources.len());
    for s in &config.sources {
        out.push(build_source(registry, s).await?);
    }
    Ok(out)
}
