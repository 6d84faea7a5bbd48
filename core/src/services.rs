//! The bundle of services the server builds once and every entry point (GraphQL, REST, CLI,
//! background jobs) shares.

use crate::audit::AuditService;
use crate::auth::{AuthService, AuthSettings, ExternalAuthenticator, PasswordHasher, Role, Throttle, TokenIssuer};
use crate::clock::Clock;
use crate::context::{Actor, RequestMeta};
use crate::db::Db;
use crate::error::CoreResult;
use crate::events::{EventBus, EventRouter, InProcessBus};
use crate::metrics::Metrics;
use crate::payments::{Gateways, PaymentService, PaymentSettings};
use crate::pg_bus::PgBus;
use crate::rates::RateService;
use crate::receipts::{ReceiptService, TaxSettings};
use crate::tiers::TierRules;
use crate::usage::{IngestService, SourceConfig, UsageQuery};
use crate::users::UserService;
use hpcb_entities::Currency;
use std::sync::Arc;

/// What the services need from configuration.
#[derive(Clone, Debug)]
pub struct ServicesConfig {
    /// Authentication settings, including the token key.
    pub auth: AuthSettings,
    /// HMAC key of the audit chain; kept outside the database.
    pub audit_key: Vec<u8>,
    /// Currency of rates entered without one.
    pub default_currency: Currency,
    /// How users are assigned tiers when they have no override.
    pub tier_rules: TierRules,
    /// Tax on receipts.
    pub tax: TaxSettings,
    /// Payment URLs and the janitor's schedule.
    pub payments: PaymentSettings,
}

/// Every core service, wired once.
#[derive(Clone)]
pub struct Services {
    /// The database.
    pub db: Db,
    /// Login, logout, authentication.
    pub auth: AuthService,
    /// Accounts.
    pub users: UserService,
    /// Rates and tier overrides.
    pub rates: RateService,
    /// The audit log.
    pub audit: AuditService,
    /// Metrics registry.
    pub metrics: Metrics,
    /// Usage ingestion.
    pub ingest: IngestService,
    /// Receipts.
    pub receipts: ReceiptService,
    /// Reading stored usage.
    pub usage: UsageQuery,
    /// Payments through gateways.
    pub payments: PaymentService,
    /// Where committed events go.
    pub bus: Arc<dyn EventBus>,
    /// Committed events by subject, for live subscriptions.
    pub events: EventRouter,
    /// The clock every service uses.
    pub clock: Arc<dyn Clock>,
    /// The billing currency (of rates entered without one, and of the finance overview).
    pub currency: Currency,
    /// The plugin files the server found (see [`Services::with_plugins`]).
    pub plugins: Arc<Vec<crate::plugins::PluginStatus>>,
}

impl Services {
    /// Wires the services over a connected, migrated database.
    pub fn new(
        db: Db,
        config: ServicesConfig,
        clock: Arc<dyn Clock>,
        external: Option<Arc<dyn ExternalAuthenticator>>,
        sources: Vec<SourceConfig>,
    ) -> CoreResult<Services> {
        // One process on SQLite; replicas share PostgreSQL and hear each other through it.
        let (db, bus): (Db, Arc<dyn EventBus>) = match db.backend() {
            sea_orm::DatabaseBackend::Postgres => {
                let pg = Arc::new(PgBus::start(db.conn().get_postgres_connection_pool().clone(), 4096));
                (db.with_bus(pg.clone()), pg)
            }
            _ => {
                let local = Arc::new(InProcessBus::new(4096));
                (db.with_bus(local.clone()), local)
            }
        };
        let events = EventRouter::start(bus.as_ref());
        let metrics = Metrics::new();
        let settings = Arc::new(config.auth);
        let hasher = PasswordHasher::new(&settings.argon2)?;
        let tokens = TokenIssuer::new(&settings.jwt_secret)?;
        let audit = AuditService::new(db.clone(), config.audit_key, clock.clone(), metrics.clone());
        let throttle = Throttle::new(
            db.clone(),
            settings.throttle.clone(),
            audit.clone(),
            clock.clone(),
            metrics.clone(),
        );
        let auth = AuthService::new(
            db.clone(),
            settings.clone(),
            hasher.clone(),
            tokens,
            audit.clone(),
            clock.clone(),
            metrics.clone(),
            external,
            throttle.clone(),
        );
        let users = UserService::new(db.clone(), hasher, audit.clone(), clock.clone(), settings, throttle);
        let ingest = IngestService::new(
            db.clone(),
            audit.clone(),
            clock.clone(),
            metrics.clone(),
            config.tier_rules.clone(),
            config.default_currency,
            sources,
        );
        let usage = UsageQuery::new(db.clone());
        let receipts = ReceiptService::new(
            db.clone(),
            audit.clone(),
            clock.clone(),
            metrics.clone(),
            config.tax.clone(),
            config.default_currency,
        );
        let payments = PaymentService::new(
            db.clone(),
            audit.clone(),
            clock.clone(),
            metrics.clone(),
            Gateways::new(),
            config.payments,
        );
        let rates = RateService::new(
            db.clone(),
            audit.clone(),
            clock.clone(),
            config.default_currency,
            config.tier_rules,
        );
        Ok(Services {
            db,
            auth,
            users,
            rates,
            audit,
            ingest,
            receipts,
            usage,
            payments,
            metrics,
            bus,
            events,
            clock,
            currency: config.default_currency,
            plugins: Arc::default(),
        })
    }

    /// Attaches the configured payment gateways.
    pub fn with_gateways(mut self, gateways: Gateways) -> Services {
        let settings = self.payments.settings().clone();
        self.payments = PaymentService::new(
            self.db.clone(),
            self.audit.clone(),
            self.clock.clone(),
            self.metrics.clone(),
            gateways,
            settings,
        );
        self
    }

    /// Creates the `admin` account with `password` unless an account of that name exists;
    /// returns whether it was created.
    pub async fn bootstrap_admin(&self, password: &str) -> CoreResult<bool> {
        if self.users.find("admin").await?.is_some() {
            return Ok(false);
        }
        self.users
            .create(
                Actor::System("bootstrap"),
                &RequestMeta::cli(),
                "admin",
                password,
                Role::Admin,
            )
            .await?;
        Ok(true)
    }
}
