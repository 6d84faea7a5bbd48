//! Configuration: defaults that need no file, then `hpc-billing.toml`, then `HPC_BILLING_*`
//! environment variables; validated once at start-up, failing with the name of the bad key.
//!
//! Every setting has an environment name derived from its path: `graphql.max_depth` is
//! `HPC_BILLING_GRAPHQL_MAX_DEPTH`. Three short aliases exist because operators type them most:
//! `HPC_BILLING_DATABASE_URL`, `HPC_BILLING_LISTEN` (`server.listen`) and
//! `HPC_BILLING_ADMIN_PASSWORD` (`auth.admin_password`). An unknown `HPC_BILLING_*` variable is
//! an error, so a typo cannot silently leave a default in place.

use crate::secret::Secret;
use anyhow::{anyhow, bail, Context as _, Result};
use hpcb_core::receipts::TaxSettings;
use hpcb_core::tiers::{TierRule, TierRules};
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

/// `[server]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: String,
    /// Directory for the SQLite database and generated key files. Empty means the same default
    /// whatever the working directory (see [`default_data_dir`]); a relative path in a config
    /// file is relative to that file. After [`Config::load`] it is always absolute.
    pub data_dir: String,
    /// Peers whose `X-Forwarded-For` is believed (reverse proxies), as IP addresses.
    pub trusted_proxies: Vec<String>,
    /// Seconds to let open requests finish after SIGTERM.
    pub shutdown_grace_secs: u64,
    /// Open HTTP connections at most (WebSockets are bounded apart, see `[graphql]`).
    pub max_connections: usize,
    /// Open HTTP connections from one client address at most.
    pub max_connections_per_address: usize,
    /// Seconds a client has to send a request's headers; also the longest idle keep-alive.
    pub header_read_timeout_secs: u64,
    /// Seconds a client has to send a request's body.
    pub body_timeout_secs: u64,
    /// Serve the dashboard's files from this directory instead of the copy built into the
    /// binary (empty: the built-in copy). For working on `ui/` without rebuilding; every
    /// response is then `no-store`.
    pub ui_dir: String,
}

/// `[database]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://…` or `postgres://…`; empty means SQLite in `data_dir`.
    pub url: String,
    /// Pool size.
    pub max_connections: u32,
    /// Seconds to wait for a connection.
    pub acquire_timeout_secs: u64,
}

/// `[auth]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Token signing key (32+ bytes); empty means a key file in `data_dir`. Set it explicitly
    /// when several replicas share a database.
    pub jwt_secret: Secret,
    /// Lifetime of one bearer token, seconds.
    pub token_ttl_secs: i64,
    /// Absolute lifetime of a session, seconds.
    pub session_ttl_secs: i64,
    /// Minimum password length.
    pub min_password_len: usize,
    /// Mark cookies `Secure` (serve over HTTPS).
    pub cookie_secure: bool,
    /// Password for the `admin` account created on first start; empty means none is created.
    pub admin_password: Secret,
    /// Login throttling.
    pub throttle: ThrottleConfig,
    /// Password hashing cost.
    pub argon2: Argon2Config,
    /// PAM login.
    pub pam: PamConfig,
}

/// `[auth.throttle]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThrottleConfig {
    /// Failures within the window that lock the (user, address) pair.
    pub max_failures: u32,
    /// Failures from one address, over every user name (known or not), that lock the address.
    pub address_max_failures: u32,
    /// Failures of one account, over every address, that lock the account.
    pub account_max_failures: u32,
    /// Window, seconds.
    pub window_secs: i64,
    /// Lock, seconds.
    pub lock_secs: i64,
}

/// `[auth.argon2]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Argon2Config {
    /// Memory, KiB.
    pub memory_kib: u32,
    /// Passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
    /// Hashes at once; 0 means one per CPU.
    pub max_concurrent: u32,
    /// Attempts waiting for a hashing slot before `RATE_LIMITED`.
    pub max_queued: u32,
}

/// `[auth.pam]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PamConfig {
    /// Let cluster accounts sign in through PAM (needs the `pam` build feature).
    pub enabled: bool,
    /// PAM service name (`/etc/pam.d/<service>`).
    pub service: String,
}

/// `[audit]`
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// HMAC key of the chain (32+ bytes); empty means a key file in `data_dir`. It must not be
    /// stored in the database, or editing the database could forge the chain.
    pub hmac_key: Secret,
}

/// `[graphql]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GraphqlConfig {
    /// Serve GraphiQL on `GET /graphql`.
    pub graphiql: bool,
    /// Answer introspection queries.
    pub introspection: bool,
    /// Deepest nesting.
    pub max_depth: usize,
    /// Highest complexity.
    pub max_complexity: usize,
    /// Largest request body, bytes.
    pub max_body_bytes: usize,
    /// Longest execution, seconds (over HTTP and WebSocket alike).
    pub timeout_secs: u64,
    /// Seconds a WebSocket has to send `connection_init`.
    pub ws_init_timeout_secs: u64,
    /// Seconds between pings on a WebSocket; one silent for two of them is closed.
    pub ws_keepalive_secs: u64,
    /// Open WebSockets at most.
    pub max_ws_connections: usize,
    /// Open WebSockets from one client address at most.
    pub max_ws_connections_per_address: usize,
    /// Live subscriptions on one WebSocket at most.
    pub max_subscriptions_per_connection: usize,
    /// Live subscriptions of one account (over all its sockets) at most.
    pub max_subscriptions_per_user: usize,
    /// Live subscriptions from one client address at most.
    pub max_subscriptions_per_address: usize,
    /// Queries and mutations running at once for one account (or, anonymous, one address).
    pub max_concurrent_per_caller: usize,
    /// More of them waiting for their turn (up to 10 s) before `RATE_LIMITED`.
    pub max_waiting_per_caller: usize,
    /// Largest answer, bytes; a larger one is replaced by a `RESPONSE_TOO_LARGE` error.
    pub max_response_bytes: usize,
}

/// `[billing]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BillingConfig {
    /// Currency of rates entered without one.
    pub currency: String,
    /// Tier of users no rule matches.
    pub default_tier: String,
    /// Classifier rules on the lower-cased user name, first match wins (default: the
    /// predecessor's rules).
    pub tier_rules: Vec<TierRule>,
    /// Tax on receipts.
    pub tax: TaxConfig,
}

/// `[billing.tax]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TaxConfig {
    /// Rate as a decimal fraction (`"0.07"` for 7 %).
    pub rate: String,
    /// Label on receipts.
    pub label: String,
    /// Whether prices already include the tax.
    pub inclusive: bool,
}

impl Default for TaxConfig {
    fn default() -> Self {
        TaxConfig {
            rate: "0.07".into(),
            label: "VAT 7%".into(),
            inclusive: false,
        }
    }
}

/// `[plugins]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PluginsConfig {
    /// Directory of plugin `.so` files; empty means the directory of the `hpc-billing` binary.
    pub dir: String,
    /// Plugin calls running at once, across all plugins.
    pub max_concurrent_calls: usize,
    /// Seconds a plugin call may wait for its turn before failing as busy (not counted in the
    /// call's own timeout).
    pub queue_timeout_secs: u64,
    /// Calls of one plugin instance that may be stuck (abandoned at their timeout, thread still
    /// inside the plugin) before the instance refuses calls until one returns.
    pub max_stuck_calls: usize,
}

/// `[payments]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PaymentsConfig {
    /// Public base URL of this server as customers and gateways reach it (return pages,
    /// webhooks); empty means `http://` plus `server.listen`.
    pub public_url: String,
    /// How long a checkout stays open, seconds.
    pub checkout_ttl_secs: i64,
    /// Delays between the janitor's status checks of a pending payment, seconds.
    pub check_schedule_secs: Vec<i64>,
    /// How often the janitor looks for due checks, seconds; 0 turns it off.
    pub janitor_interval_secs: u64,
    /// Gateway plugins (`dummy`, `stripe`, `omise`), with what each may touch; the plugin id is
    /// the provider name in the API and in `/payments/webhook/{provider}`.
    pub gateways: Vec<ChainLink>,
}

impl Default for PaymentsConfig {
    fn default() -> Self {
        let d = hpcb_core::payments::PaymentSettings::default();
        PaymentsConfig {
            public_url: String::new(),
            checkout_ttl_secs: d.checkout_ttl_secs,
            check_schedule_secs: d.check_schedule_secs,
            janitor_interval_secs: 15,
            gateways: Vec::new(),
        }
    }
}

/// One `[[sources]]` entry.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceEntry {
    /// Name used in the API and on the command line.
    pub name: String,
    /// Cluster the jobs belong to.
    pub cluster: String,
    /// Seconds between scheduled runs; 0 for on demand only.
    #[serde(default = "default_interval")]
    pub interval_secs: u64,
    /// How far behind the watermark each scheduled run starts, seconds (late slurmdbd writes,
    /// requeues).
    #[serde(default = "default_overlap")]
    pub overlap_secs: i64,
    /// How far back the first scheduled run reads, seconds.
    #[serde(default = "default_lookback")]
    pub initial_lookback_secs: i64,
    /// Plugins to try in order (e.g. slurmrestd, then sacct, then a CSV file).
    pub chain: Vec<ChainLink>,
}

/// One plugin of a source's chain, with what it may touch.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainLink {
    /// Plugin id (`usage-slurmrestd`, `usage-sacct`, `usage-csv`).
    pub plugin: String,
    /// The plugin's own settings.
    #[serde(default = "empty_table")]
    pub settings: toml::Value,
    /// Hosts (`host` or `host:port`) it may call over HTTP.
    #[serde(default)]
    pub allow_hosts: Vec<String>,
    /// Whether plain `http://` is allowed (loopback slurmrestd).
    #[serde(default)]
    pub allow_plain_http: bool,
    /// Programs it may run.
    #[serde(default)]
    pub allow_programs: Vec<String>,
    /// Directories it may read.
    #[serde(default)]
    pub allow_dirs: Vec<String>,
    /// Secrets by name: `env:VAR`, `file:/path`, or the value itself.
    #[serde(default)]
    pub secrets: std::collections::BTreeMap<String, Secret>,
    /// Longest call, seconds.
    #[serde(default = "default_call_timeout")]
    pub timeout_secs: u64,
}

fn default_interval() -> u64 {
    900
}
fn default_overlap() -> i64 {
    2 * 86_400
}
fn default_lookback() -> i64 {
    30 * 86_400
}
fn default_call_timeout() -> u64 {
    300
}
fn empty_table() -> toml::Value {
    toml::Value::Table(Default::default())
}

/// `[log]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `pretty` or `json`.
    pub format: String,
    /// `tracing` filter, e.g. `info` or `hpcb_core=debug,info`.
    pub level: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            data_dir: String::new(),
            trusted_proxies: Vec::new(),
            shutdown_grace_secs: 20,
            max_connections: 1024,
            max_connections_per_address: 256,
            header_read_timeout_secs: 15,
            body_timeout_secs: 30,
            ui_dir: String::new(),
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: String::new(),
            max_connections: 10,
            acquire_timeout_secs: 10,
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            jwt_secret: Secret::default(),
            token_ttl_secs: 3600,
            session_ttl_secs: 12 * 3600,
            min_password_len: 8,
            cookie_secure: false,
            admin_password: Secret::default(),
            throttle: ThrottleConfig::default(),
            argon2: Argon2Config::default(),
            pam: PamConfig::default(),
        }
    }
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            max_failures: 5,
            address_max_failures: 20,
            account_max_failures: 50,
            window_secs: 900,
            lock_secs: 900,
        }
    }
}

impl Default for Argon2Config {
    fn default() -> Self {
        Argon2Config {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
            max_concurrent: 0,
            max_queued: 32,
        }
    }
}

impl Default for PamConfig {
    fn default() -> Self {
        PamConfig {
            enabled: false,
            service: "hpc-billing".into(),
        }
    }
}

impl Default for GraphqlConfig {
    fn default() -> Self {
        GraphqlConfig {
            // Off unless asked for (`demo` turns it on): a production server serves the API and
            // the dashboard, not a query editor for anyone who finds it.
            graphiql: false,
            introspection: true,
            // The standard introspection query (GraphiQL, Postman, Insomnia, code generators,
            // graphql-js `getIntrospectionQuery`) nests 15 deep: a lower default breaks every
            // tool's documentation and completion. Size and cost limits bound the rest.
            max_depth: hpcb_schema::INTROSPECTION_DEPTH,
            max_complexity: hpcb_schema::DEFAULT_COMPLEXITY,
            max_body_bytes: 1024 * 1024,
            timeout_secs: 30,
            ws_init_timeout_secs: 10,
            ws_keepalive_secs: 30,
            max_ws_connections: 20_000,
            max_ws_connections_per_address: 1_000,
            max_subscriptions_per_connection: 50,
            max_subscriptions_per_user: 500,
            max_subscriptions_per_address: 2_000,
            max_concurrent_per_caller: 8,
            max_waiting_per_caller: 256,
            max_response_bytes: 8 * 1024 * 1024,
        }
    }
}

impl Default for BillingConfig {
    fn default() -> Self {
        let rules = TierRules::default();
        BillingConfig {
            currency: "THB".into(),
            default_tier: rules.default_tier,
            tier_rules: rules.rules,
            tax: TaxConfig::default(),
        }
    }
}

impl Default for PluginsConfig {
    fn default() -> Self {
        PluginsConfig {
            dir: String::new(),
            max_concurrent_calls: 4,
            queue_timeout_secs: 30,
            max_stuck_calls: 2,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: "pretty".into(),
            level: "info".into(),
        }
    }
}

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

    fn validate(&self) -> Result<()> {
        self.listen_addr()?;
        let url = self.database_url();
        if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            bail!("invalid configuration key \"database.url\": use sqlite://… or postgres://…");
        }
        let positive = [
            ("auth.token_ttl_secs", self.auth.token_ttl_secs),
            ("auth.session_ttl_secs", self.auth.session_ttl_secs),
            ("auth.throttle.window_secs", self.auth.throttle.window_secs),
            ("auth.throttle.lock_secs", self.auth.throttle.lock_secs),
            ("auth.throttle.max_failures", i64::from(self.auth.throttle.max_failures)),
            (
                "auth.throttle.address_max_failures",
                i64::from(self.auth.throttle.address_max_failures),
            ),
            (
                "auth.throttle.account_max_failures",
                i64::from(self.auth.throttle.account_max_failures),
            ),
            ("database.max_connections", i64::from(self.database.max_connections)),
            ("server.max_connections", self.server.max_connections as i64),
            (
                "server.max_connections_per_address",
                self.server.max_connections_per_address as i64,
            ),
            (
                "server.header_read_timeout_secs",
                self.server.header_read_timeout_secs as i64,
            ),
            ("server.body_timeout_secs", self.server.body_timeout_secs as i64),
            ("plugins.queue_timeout_secs", self.plugins.queue_timeout_secs as i64),
            ("plugins.max_stuck_calls", self.plugins.max_stuck_calls as i64),
            ("graphql.max_depth", self.graphql.max_depth as i64),
            ("graphql.max_complexity", self.graphql.max_complexity as i64),
            ("graphql.max_body_bytes", self.graphql.max_body_bytes as i64),
            ("graphql.timeout_secs", self.graphql.timeout_secs as i64),
            ("graphql.ws_init_timeout_secs", self.graphql.ws_init_timeout_secs as i64),
            ("graphql.ws_keepalive_secs", self.graphql.ws_keepalive_secs as i64),
            ("graphql.max_ws_connections", self.graphql.max_ws_connections as i64),
            (
                "graphql.max_ws_connections_per_address",
                self.graphql.max_ws_connections_per_address as i64,
            ),
            (
                "graphql.max_subscriptions_per_connection",
                self.graphql.max_subscriptions_per_connection as i64,
            ),
            (
                "graphql.max_subscriptions_per_user",
                self.graphql.max_subscriptions_per_user as i64,
            ),
            (
                "graphql.max_subscriptions_per_address",
                self.graphql.max_subscriptions_per_address as i64,
            ),
            (
                "graphql.max_concurrent_per_caller",
                self.graphql.max_concurrent_per_caller as i64,
            ),
            ("graphql.max_response_bytes", self.graphql.max_response_bytes as i64),
        ];
        for (key, v) in positive {
            if v <= 0 {
                bail!("invalid configuration key {key:?}: must be greater than 0");
            }
        }
        self.tax()?;
        if hpcb_entities::Currency::parse(&self.billing.currency).is_none() {
            bail!("invalid configuration key \"billing.currency\": use a three-letter ISO code such as THB");
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, src) in self.sources.iter().enumerate() {
            if src.name.is_empty() || !names.insert(src.name.clone()) {
                bail!("invalid configuration key \"sources[{i}].name\": names must be unique and not empty");
            }
            if src.chain.is_empty() {
                bail!("invalid configuration key \"sources[{i}].chain\": name at least one plugin");
            }
            if src.interval_secs > 0 && src.overlap_secs < 0 {
                bail!("invalid configuration key \"sources[{i}].overlap_secs\": must not be negative");
            }
        }
        let p = &self.payments;
        if p.checkout_ttl_secs < 60 {
            bail!("invalid configuration key \"payments.checkout_ttl_secs\": must be at least 60");
        }
        if p.check_schedule_secs.iter().any(|s| *s <= 0) {
            bail!("invalid configuration key \"payments.check_schedule_secs\": every delay must be greater than 0");
        }
        if !(p.public_url.is_empty() || p.public_url.starts_with("http://") || p.public_url.starts_with("https://")) {
            bail!("invalid configuration key \"payments.public_url\": use http://… or https://…");
        }
        let mut gateways = std::collections::BTreeSet::new();
        for (i, g) in p.gateways.iter().enumerate() {
            if !gateways.insert(g.plugin.clone()) {
                bail!(
                    "invalid configuration key \"payments.gateways[{i}].plugin\": {:?} is configured twice",
                    g.plugin
                );
            }
        }
        if !matches!(self.log.format.as_str(), "pretty" | "json") {
            bail!("invalid configuration key \"log.format\": use pretty or json");
        }
        for (key, v) in [
            ("auth.jwt_secret", &self.auth.jwt_secret),
            ("audit.hmac_key", &self.audit.hmac_key),
        ] {
            if !v.is_empty() && v.expose().len() < 32 {
                bail!("invalid configuration key {key:?}: must be at least 32 characters (or empty to use a key file)");
            }
        }
        if !self.auth.admin_password.is_empty()
            && self.auth.admin_password.expose().chars().count() < self.auth.min_password_len
        {
            bail!(
                "invalid configuration key \"auth.admin_password\": must be at least {} characters",
                self.auth.min_password_len
            );
        }
        for p in &self.server.trusted_proxies {
            p.parse::<std::net::IpAddr>().map_err(|_| {
                anyhow!("invalid configuration key \"server.trusted_proxies\": {p:?} is not an IP address")
            })?;
        }
        if self.auth.pam.enabled && !cfg!(feature = "pam") {
            bail!("invalid configuration key \"auth.pam.enabled\": this binary was built without the `pam` feature");
        }
        Ok(())
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

/// A relative `server.data_dir` in a config file means relative to that file, as an operator
/// reading the file expects.
fn anchor_data_dir(from_file: &mut toml::Value, file: &Path) {
    let Some(dir) = from_file.get_mut("server").and_then(|s| s.get_mut("data_dir")) else {
        return;
    };
    let Some(text) = dir.as_str().filter(|t| !t.is_empty() && !Path::new(t).is_absolute()) else {
        return;
    };
    let base = std::fs::canonicalize(file)
        .ok()
        .and_then(|f| f.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    *dir = toml::Value::String(base.join(text).display().to_string());
}

/// `, line L, column C` of byte offset `at` in `text` (both counted from 1).
fn line_column(text: &str, at: usize) -> String {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!(", line {line}, column {column}")
}

/// serde's messages name Rust types (`expected usize`, `floating point`); operators read TOML.
fn plain_type_error(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("invalid type: floating point `") {
        if let Some((number, expected)) = rest.split_once("`, expected ") {
            if expected.contains("string") {
                return format!("write the number in quotes, as \"{number}\" (decimals are read exactly from text)");
            }
        }
    }
    let mut out = message.to_owned();
    for (rust, plain) in [
        ("floating point", "a decimal number"),
        ("expected usize", "expected a whole number of 0 or more"),
        ("expected u64", "expected a whole number of 0 or more"),
        ("expected u32", "expected a whole number of 0 or more"),
        ("expected u16", "expected a whole number of 0 or more"),
        ("expected u8", "expected a whole number of 0 or more"),
        ("expected i64", "expected a whole number"),
        ("expected i32", "expected a whole number"),
        ("expected a boolean", "expected true or false"),
        ("expected a sequence", "expected a list such as [\"a\", \"b\"]"),
        ("expected a map", "expected a table"),
        ("invalid type: ", ""),
        ("invalid value: ", ""),
    ] {
        out = out.replace(rust, plain);
    }
    out
}

/// Environment name of a dotted path.
fn env_name(path: &str) -> String {
    format!("{ENV_PREFIX}{}", path.replace('.', "_").to_uppercase())
}

fn leaf_paths(v: &toml::Value) -> Vec<String> {
    fn walk(prefix: &str, v: &toml::Value, out: &mut Vec<String>) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&p, v, out);
                }
            }
            _ => out.push(prefix.to_owned()),
        }
    }
    let mut out = Vec::new();
    walk("", v, &mut out);
    out
}

fn merge(base: &mut toml::Value, over: toml::Value) {
    match (base, over) {
        (toml::Value::Table(b), toml::Value::Table(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

/// Sets `path` from an environment string, typed like the current value there.
fn set_from_env(root: &mut toml::Value, path: &str, name: &str, raw: &str) -> Result<()> {
    let mut cur = root;
    let parts: Vec<&str> = path.split('.').collect();
    for part in &parts[..parts.len() - 1] {
        cur = cur
            .get_mut(*part)
            .ok_or_else(|| anyhow!("{name}: configuration key {path:?} does not exist"))?;
    }
    let last = parts[parts.len() - 1];
    let table = cur
        .as_table_mut()
        .ok_or_else(|| anyhow!("{name}: {path:?} is not a setting"))?;
    let bad = |what: &str| anyhow!("invalid configuration key {path:?} (from {name}): expected {what}, got {raw:?}");
    let value = match table.get(last) {
        Some(toml::Value::Integer(_)) => toml::Value::Integer(raw.trim().parse().map_err(|_| bad("an integer"))?),
        Some(toml::Value::Boolean(_)) => toml::Value::Boolean(match raw.trim() {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" => false,
            _ => return Err(bad("true or false")),
        }),
        // Comma-separated; elements take the type of the default's elements.
        Some(toml::Value::Array(default)) => {
            let integers = matches!(default.first(), Some(toml::Value::Integer(_)));
            let mut items = Vec::new();
            for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                items.push(if integers {
                    toml::Value::Integer(item.parse().map_err(|_| bad("comma-separated integers"))?)
                } else {
                    toml::Value::String(item.to_owned())
                });
            }
            toml::Value::Array(items)
        }
        _ => toml::Value::String(raw.to_owned()),
    };
    table.insert(last.to_owned(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_need_no_file() {
        let c = Config::load(None, &env(&[("HOME", "/home/ada")])).expect("defaults are valid");
        assert_eq!(c.server.listen, "127.0.0.1:8080");
        assert_eq!(
            c.database_url(),
            "sqlite:///home/ada/.local/share/hpc-billing/hpc-billing.db?mode=rwc"
        );
        assert_eq!(
            c.sqlite_path(),
            Some(PathBuf::from("/home/ada/.local/share/hpc-billing/hpc-billing.db"))
        );
    }

    #[test]
    fn environment_overrides_file_and_aliases_work() {
        let dir = std::env::temp_dir().join(format!("hpcb-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let f = dir.join("c.toml");
        std::fs::write(&f, "[graphql]\nmax_depth = 5\n[server]\nlisten = \"127.0.0.1:9000\"\n").expect("write");
        let c = Config::load(
            Some(&f),
            &env(&[
                ("HPC_BILLING_LISTEN", "127.0.0.1:9100"),
                ("HPC_BILLING_DATABASE_URL", "postgres://x@localhost/db"),
                ("HPC_BILLING_AUTH_THROTTLE_MAX_FAILURES", "3"),
                ("HPC_BILLING_GRAPHQL_GRAPHIQL", "false"),
            ]),
        )
        .expect("valid");
        assert_eq!(c.graphql.max_depth, 5);
        assert_eq!(c.server.listen, "127.0.0.1:9100");
        assert_eq!(c.database.url, "postgres://x@localhost/db");
        assert_eq!(c.auth.throttle.max_failures, 3);
        assert!(!c.graphql.graphiql);
    }

    #[test]
    fn secrets_are_read_but_never_printed() {
        let dir = std::env::temp_dir().join(format!("hpcb-cfg-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let f = dir.join("c.toml");
        std::fs::write(
            &f,
            "[[payments.gateways]]\nplugin = \"dummy\"\nsecrets = { webhook_secret = \"whsec-file-value-123\" }\n",
        )
        .expect("write");
        let c = Config::load(
            Some(&f),
            &env(&[
                ("HPC_BILLING_AUTH_JWT_SECRET", "jwt-secret-value-0123456789abcdef0123"),
                ("HPC_BILLING_AUDIT_HMAC_KEY", "audit-key-value-0123456789abcdef01234"),
                ("HPC_BILLING_ADMIN_PASSWORD", "admin-password-value"),
            ]),
        )
        .expect("valid");
        assert_eq!(c.auth.jwt_secret.expose(), "jwt-secret-value-0123456789abcdef0123");
        assert_eq!(c.auth.admin_password.expose(), "admin-password-value");
        let shown = format!("{c:?}");
        for secret in [
            "jwt-secret-value",
            "audit-key-value",
            "admin-password-value",
            "whsec-file-value",
        ] {
            assert!(
                !shown.contains(secret),
                "{secret} appears in the configuration's Debug output"
            );
        }
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn errors_name_the_key() {
        let e = Config::load(None, &env(&[("HPC_BILLING_GRAPHQL_MAX_DEPTH", "deep")])).expect_err("not a number");
        assert!(e.to_string().contains("graphql.max_depth"), "{e}");
        let e = Config::load(None, &env(&[("HPC_BILLING_LISTEN", "nowhere")])).expect_err("bad address");
        assert!(e.to_string().contains("server.listen"), "{e}");
        let e = Config::load(None, &env(&[("HPC_BILLING_NO_SUCH_THING", "1")])).expect_err("unknown");
        assert!(e.to_string().contains("HPC_BILLING_NO_SUCH_THING"), "{e}");
        let dir = std::env::temp_dir().join(format!("hpcb-cfg2-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let f = dir.join("c.toml");
        std::fs::write(&f, "[auth]\ntoken_ttl_secs = \"long\"\n").expect("write");
        let e = Config::load(Some(&f), &env(&[])).expect_err("wrong type");
        assert!(e.to_string().contains("auth.token_ttl_secs"), "{e}");
        std::fs::write(&f, "[auth]\ntypo_key = 1\n").expect("write");
        let e = Config::load(Some(&f), &env(&[])).expect_err("unknown key");
        assert!(e.to_string().contains("typo_key"), "{e}");
    }

    #[test]
    fn data_dir_is_the_same_from_every_working_directory() {
        let xdg = Config::load(None, &env(&[("HOME", "/home/ada"), ("XDG_DATA_HOME", "/srv/data")])).expect("ok");
        assert_eq!(xdg.data_dir(), PathBuf::from("/srv/data/hpc-billing"));
        let homeless = Config::load(None, &env(&[])).expect("ok");
        assert_eq!(homeless.data_dir(), PathBuf::from("/var/lib/hpc-billing"));
        // Relative in a file: relative to the file, not to where the command runs.
        let dir = std::env::temp_dir().join(format!("hpcb-cfg3-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let f = dir.join("c.toml");
        std::fs::write(&f, "[server]\ndata_dir = \"state\"\n").expect("write");
        let c = Config::load(Some(&f), &env(&[])).expect("ok");
        let canonical = std::fs::canonicalize(&dir).expect("canonical");
        assert_eq!(c.data_dir(), canonical.join("state"));
        assert!(c.data_dir().is_absolute());
    }

    #[test]
    fn toml_syntax_errors_give_line_and_column() {
        let dir = std::env::temp_dir().join(format!("hpcb-cfg4-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let f = dir.join("c.toml");
        std::fs::write(&f, "[server]\nlisten = \"127.0.0.1:8080\"\n\n[graphql\nmax_depth = 5\n").expect("write");
        let e = Config::load(Some(&f), &env(&[])).expect_err("bad syntax").to_string();
        assert!(e.contains(", line 4, column "), "{e}");
        assert_eq!(e.lines().count(), 1, "{e}");
    }

    #[test]
    fn type_errors_speak_toml_not_rust() {
        let dir = std::env::temp_dir().join(format!("hpcb-cfg5-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let f = dir.join("c.toml");
        std::fs::write(&f, "[billing.tax]\nrate = 0.07\n").expect("write");
        let e = Config::load(Some(&f), &env(&[])).expect_err("a float").to_string();
        assert!(e.contains("billing.tax.rate") && e.contains("\"0.07\""), "{e}");
        std::fs::write(&f, "[graphql]\nmax_depth = \"deep\"\n").expect("write");
        let e = Config::load(Some(&f), &env(&[])).expect_err("a string").to_string();
        assert!(e.contains("a whole number"), "{e}");
        assert!(!e.contains("usize"), "{e}");
    }
}
