//! Checks of a loaded configuration, each failing with the name of the bad key.

use super::Config;
use anyhow::{anyhow, bail, Result};

impl Config {
    /// Every check of a merged configuration.
    pub(super) fn validate(&self) -> Result<()> {
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
}
