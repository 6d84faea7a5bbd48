//! Configuration: defaults that need no file, then `hpc-billing.toml`, then `HPC_BILLING_*`
//! environment variables; validated once at start-up, failing with the name of the bad key.
//!
//! Every setting has an environment name derived from its path: `graphql.max_depth` is
//! `HPC_BILLING_GRAPHQL_MAX_DEPTH`. Three short aliases exist because operators type them most:
//! `HPC_BILLING_DATABASE_URL`, `HPC_BILLING_LISTEN` (`server.listen`) and
//! `HPC_BILLING_ADMIN_PASSWORD` (`auth.admin_password`). An unknown `HPC_BILLING_*` variable is
//! an error, so a typo cannot silently leave a default in place.

use anyhow::{anyhow, Context as _, Result};
use hpcb_core::receipts::TaxSettings;
use hpcb_core::tiers::TierRules;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Environment prefix of every setting.
pub const ENV_PREFIX: &str = "HPC_BILLING_";
/// Variable naming the config file (same as `--config`).
pub const CONFIG_ENV: &str = "HPC_BILLING_CONFIG";

/// The whole configuration.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// HTTP server.
    pub server: ServerConfig,
    /// Database.
    pub database: DatabaseConfig,
    /// Authentication.
    pub auth: AuthConfig,
    /// Audit log.
    pub audit: AuditConfig,
    /// GraphQL endpoint.
    pub graphql: GraphqlConfig,
    /// Billing defaults.
    pub billing: BillingConfig,
    /// Where plugins are loaded from.
    pub plugins: PluginsConfig,
    /// Usage sources, each a cluster read through a chain of plugins.
    pub sources: Vec<SourceEntry>,
    /// Online payment.
    pub payments: PaymentsConfig,
    /// Logging.
    pub log: LogConfig,
}

mod layering;
mod sections;
mod validate;

use layering::{anchor_data_dir, env_name, leaf_paths, line_column, merge, plain_type_error, set_from_env};
pub use sections::*;

/// Short names for the settings operators set most.
const ALIASES: [(&str, &str); 3] = [
    ("DATABASE_URL", "database.url"),
    ("LISTEN", "server.listen"),
    ("ADMIN_PASSWORD", "auth.admin_password"),
];

impl Config {
    /// Loads defaults, then the file (if any), then the environment, and validates.
    pub fn load(file: Option<&Path>, env: &BTreeMap<String, String>) -> Result<Config> {
        let mut merged = toml::Value::try_from(Config::default()).context("serialising defaults")?;
        if let Some(path) = file {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("cannot read config file {}", path.display()))?;
            let mut from_file: toml::Value = toml::from_str(&text).map_err(|e| {
                let at = e.span().map(|s| line_column(&text, s.start)).unwrap_or_default();
                let message = e.message().trim().replace('\n', "; ");
                anyhow!("config file {}{at}: {message}", path.display())
            })?;
            anchor_data_dir(&mut from_file, path);
            merge(&mut merged, from_file);
        }
        let leaves = leaf_paths(&merged);
        for (name, value) in env.iter().filter(|(k, _)| k.starts_with(ENV_PREFIX)) {
            let short = &name[ENV_PREFIX.len()..];
            if name == CONFIG_ENV || short.starts_with("TEST_") {
                continue;
            }
            let path = ALIASES
                .iter()
                .find(|(alias, _)| *alias == short)
                .map(|(_, p)| p.to_string())
                .or_else(|| leaves.iter().find(|p| env_name(p) == *name).cloned())
                .ok_or_else(|| anyhow!("unknown setting {name}: no configuration key has that name"))?;
            set_from_env(&mut merged, &path, name, value)?;
        }
        let mut config: Config = serde_path_to_error::deserialize(merged).map_err(|e| {
            let key = e.path().to_string();
            anyhow!(
                "invalid configuration key {key:?}: {}",
                plain_type_error(&e.into_inner().to_string())
            )
        })?;
        config.server.data_dir = resolve_data_dir(&config.server.data_dir, env)?.display().to_string();
        config.validate()?;
        Ok(config)
    }

    /// Payment settings for the core.
    pub fn payment_settings(&self) -> hpcb_core::payments::PaymentSettings {
        let public_url = if self.payments.public_url.is_empty() {
            format!("http://{}", self.server.listen)
        } else {
            self.payments.public_url.trim_end_matches('/').to_owned()
        };
        hpcb_core::payments::PaymentSettings {
            public_url,
            checkout_ttl_secs: self.payments.checkout_ttl_secs,
            check_schedule_secs: self.payments.check_schedule_secs.clone(),
        }
    }

    /// The socket address to listen on.
    pub fn listen_addr(&self) -> Result<SocketAddr> {
        self.server.listen.parse().map_err(|_| {
            anyhow!(
                "invalid configuration key \"server.listen\": {:?} is not host:port",
                self.server.listen
            )
        })
    }

    /// The database URL, defaulting to SQLite in the data directory.
    pub fn database_url(&self) -> String {
        if self.database.url.is_empty() {
            format!("sqlite://{}?mode=rwc", self.data_dir().join("hpc-billing.db").display())
        } else {
            self.database.url.clone()
        }
    }

    /// The data directory (absolute once loaded).
    pub fn data_dir(&self) -> PathBuf {
        PathBuf::from(&self.server.data_dir)
    }

    /// The SQLite database file, when the database is SQLite: the path of `database.url`, or
    /// `hpc-billing.db` in the data directory.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        hpcb_core::db_probe::sqlite_path(&self.database_url())
    }

    /// The tier classifier.
    pub fn tier_rules(&self) -> TierRules {
        TierRules {
            rules: self.billing.tier_rules.clone(),
            default_tier: self.billing.default_tier.clone(),
        }
    }

    /// Tax settings for receipts.
    pub fn tax(&self) -> Result<TaxSettings> {
        let rate = rust_decimal::Decimal::from_str_exact(self.billing.tax.rate.trim())
            .ok()
            .filter(|r| !r.is_sign_negative() && *r <= rust_decimal::Decimal::ONE)
            .ok_or_else(|| {
                anyhow!(
                    "invalid configuration key \"billing.tax.rate\": use a fraction between 0 and 1 such as \"0.07\""
                )
            })?;
        Ok(TaxSettings {
            rate,
            label: self.billing.tax.label.clone(),
            inclusive: self.billing.tax.inclusive,
        })
    }

    /// The plugin directory.
    pub fn plugin_dir(&self) -> PathBuf {
        if !self.plugins.dir.is_empty() {
            return PathBuf::from(&self.plugins.dir);
        }
        std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// Whether the database is SQLite.
    pub fn is_sqlite(&self) -> bool {
        self.database_url().starts_with("sqlite:")
    }
}

/// The data directory when none is configured: `$XDG_DATA_HOME/hpc-billing`, else
/// `~/.local/share/hpc-billing`, else (no home, as for some system services)
/// `/var/lib/hpc-billing`. The same whatever the working directory, so running a command from
/// another folder never opens (or creates) another database.
pub fn default_data_dir(env: &BTreeMap<String, String>) -> PathBuf {
    let set = |name: &str| env.get(name).filter(|v| v.starts_with('/')).map(PathBuf::from);
    if let Some(xdg) = set("XDG_DATA_HOME") {
        return xdg.join("hpc-billing");
    }
    if let Some(home) = set("HOME") {
        return home.join(".local/share/hpc-billing");
    }
    PathBuf::from("/var/lib/hpc-billing")
}

/// The configured data directory made absolute once, at load (relative to the working
/// directory when it came from the environment; a config file's own relative path was already
/// anchored to the file by [`anchor_data_dir`]).
fn resolve_data_dir(configured: &str, env: &BTreeMap<String, String>) -> Result<PathBuf> {
    if configured.trim().is_empty() {
        return Ok(default_data_dir(env));
    }
    let path = PathBuf::from(configured);
    if path.is_absolute() {
        return Ok(path);
    }
    let cwd = std::env::current_dir().context("cannot read the working directory to resolve server.data_dir")?;
    Ok(cwd.join(path))
}

#[cfg(test)]
mod tests;
