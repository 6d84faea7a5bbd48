//! The sections of the configuration file, with their defaults.

use crate::secret::Secret;
use hpcb_core::tiers::{TierRule, TierRules};
use serde::{Deserialize, Serialize};

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
