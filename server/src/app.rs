//! Building and running the application: the one seam between configuration and a serving
//! process, used by `main` and by the tests alike.

use crate::config::Config;
use crate::http;
use crate::http::metrics::HttpMetrics;
use crate::keys::secret_or_file;
use crate::state::{AppState, Inner};
use anyhow::{Context as _, Result};
use hpcb_core::auth::{Argon2Settings, AuthSettings, ExternalAuthenticator, ThrottleSettings};
use hpcb_core::clock::SystemClock;
use hpcb_core::db::{Db, DbOptions};
use hpcb_core::{Services, ServicesConfig};
use hpcb_entities::Currency;
use hpcb_migration::{Migrator, MigratorTrait};
use hpcb_schema::{CookiePolicy, Limits};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// Connects to the configured database and applies migrations.
pub async fn open_db(config: &Config) -> Result<Db> {
    if config.is_sqlite() {
        std::fs::create_dir_all(config.data_dir())
            .with_context(|| format!("cannot create data directory {}", config.data_dir().display()))?;
    }
    let db = Db::connect(&DbOptions {
        url: config.database_url(),
        max_connections: config.database.max_connections,
        acquire_timeout: Duration::from_secs(config.database.acquire_timeout_secs),
    })
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Migrator::up(db.conn(), None).await.context("migrating the database")?;
    Ok(db)
}

/// Builds the core services over a migrated database.
pub async fn open_services(config: &Config) -> Result<Services> {
    let db = open_db(config).await?;
    let dir = config.data_dir();
    let a = &config.auth;
    let auth = AuthSettings {
        jwt_secret: secret_or_file(&a.jwt_secret, &dir, "jwt.key")?,
        token_ttl_secs: a.token_ttl_secs,
        session_ttl_secs: a.session_ttl_secs,
        throttle: ThrottleSettings {
            max_failures: a.throttle.max_failures,
            window_secs: a.throttle.window_secs,
            lock_secs: a.throttle.lock_secs,
        },
        argon2: Argon2Settings {
            memory_kib: a.argon2.memory_kib,
            iterations: a.argon2.iterations,
            parallelism: a.argon2.parallelism,
        },
        min_password_len: a.min_password_len,
    };
    let services_config = ServicesConfig {
        auth,
        audit_key: secret_or_file(&config.audit.hmac_key, &dir, "audit.key")?,
        default_currency: Currency::parse(&config.billing.currency).unwrap_or(Currency::THB),
        tier_rules: config.tier_rules(),
        tax: config.tax()?,
        payments: config.payment_settings(),
    };
    // The host logs each refusal with its reason; `plugins list` shows them too.
    let (registry, _refused) = crate::plugins::load_registry(config)?;
    let sources = crate::plugins::build_sources(&registry, config).await?;
    let gateways = crate::gateways::build_gateways(&registry, config).await?;
    let services = Services::new(
        db,
        services_config,
        Arc::new(SystemClock),
        external_authenticator(config)?,
        sources,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?
    .with_gateways(gateways);
    // Subscribers must not miss events published right after start-up.
    if tokio::time::timeout(Duration::from_secs(10), services.bus.ready())
        .await
        .is_err()
    {
        tracing::warn!("the event bus is not listening yet; live updates start once it is");
    }
    Ok(services)
}

#[cfg(feature = "pam")]
fn external_authenticator(config: &Config) -> Result<Option<Arc<dyn ExternalAuthenticator>>> {
    Ok(config.auth.pam.enabled.then(|| {
        Arc::new(crate::pam::PamAuthenticator::new(&config.auth.pam.service)) as Arc<dyn ExternalAuthenticator>
    }))
}

#[cfg(not(feature = "pam"))]
fn external_authenticator(_config: &Config) -> Result<Option<Arc<dyn ExternalAuthenticator>>> {
    Ok(None)
}

/// A built application, bound to its port, ready to serve.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Connects, migrates, creates the first admin if asked to, builds the schema and binds.
    pub async fn build(config: Config) -> Result<Application> {
        let services = open_services(&config).await?;
        if !config.auth.admin_password.is_empty()
            && services
                .bootstrap_admin(&config.auth.admin_password)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
        {
            tracing::info!("created the admin account from HPC_BILLING_ADMIN_PASSWORD");
        }
        let limits = Limits {
            depth: config.graphql.max_depth,
            complexity: config.graphql.max_complexity,
            introspection: config.graphql.introspection,
        };
        let schema = hpcb_schema::build(
            services.clone(),
            CookiePolicy {
                secure: config.auth.cookie_secure,
            },
            &limits,
        );
        let metrics = HttpMetrics::register(&services.metrics.registry)?;
        let addr = config.listen_addr()?;
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let trusted_proxies = config
            .server
            .trusted_proxies
            .iter()
            .filter_map(|p| p.parse().ok())
            .collect();
        let state = AppState(Arc::new(Inner {
            services,
            schema,
            config,
            metrics,
            trusted_proxies,
        }));
        Ok(Application { listener, state })
    }

    /// The services the application runs on (the demo seeds data through them).
    pub fn services(&self) -> &Services {
        &self.state.services
    }

    /// The address actually bound (the port is chosen by the OS when configured as 0).
    pub fn local_addr(&self) -> Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Serves until SIGTERM or Ctrl-C, then lets open requests finish for the grace period.
    pub async fn run_until_stopped(self) -> Result<()> {
        let addr = self.local_addr()?;
        let grace = Duration::from_secs(self.state.config.server.shutdown_grace_secs);
        let router = http::router(self.state.clone());
        tracing::info!(%addr, "listening on http://{addr}");
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        // Small writes (subscription messages, short responses) go out at once instead of
        // waiting out the client's delayed ACK under Nagle's algorithm.
        let listener = axum::serve::ListenerExt::tap_io(self.listener, |tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY");
            }
        });
        let serve = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                shutdown_signal().await;
                tracing::info!("shutting down: no new connections, finishing open requests");
                let _ = stop_tx.send(true);
            });
        let scheduler = tokio::spawn(self.state.services.ingest.clone().schedule(stop_rx.clone()));
        let janitor = tokio::spawn(janitor(
            self.state.services.payments.clone(),
            self.state.config.payments.janitor_interval_secs,
            stop_rx.clone(),
        ));
        let mut stop_rx = stop_rx;
        let deadline = async move {
            // Resolves `grace` after the signal, bounding how long open connections (such as
            // subscriptions) may delay the exit.
            let _ = stop_rx.wait_for(|s| *s).await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            r = serve => r.context("server error")?,
            _ = deadline => tracing::warn!("grace period over; closing remaining connections"),
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), scheduler).await;
        let _ = tokio::time::timeout(Duration::from_secs(5), janitor).await;
        self.state.services.db.conn().clone().close().await.ok();
        tracing::info!("stopped");
        Ok(())
    }
}

/// Checks pending payments with their gateways on the backoff schedule until stopped.
async fn janitor(
    payments: hpcb_core::payments::PaymentService,
    every_secs: u64,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    if every_secs == 0 {
        return;
    }
    let mut tick = tokio::time::interval(Duration::from_secs(every_secs));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        match payments.janitor_pass(100).await {
            Ok(r) if r.checked > 0 => tracing::info!(
                checked = r.checked,
                changed = r.changed,
                errors = r.errors,
                "payment janitor pass"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "payment janitor pass failed"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
