//! Building and running the application: the one seam between configuration and a serving
//! process, used by `main` and by the tests alike.

use crate::cli::exit;
use crate::config::Config;
use crate::http;
use crate::http::metrics::HttpMetrics;
use crate::keys::secret_or_file;
use crate::state::{AppState, Inner};
use anyhow::Result;
use hpcb_core::auth::{Argon2Settings, AuthSettings, ExternalAuthenticator, ThrottleSettings};
use hpcb_core::clock::SystemClock;
use hpcb_core::db::{Db, DbOptions};
use hpcb_core::db_probe::{self, Access};
use hpcb_core::{Services, ServicesConfig};
use hpcb_entities::Currency;
use hpcb_migration::{Migrator, MigratorTrait};
use hpcb_schema::{CookiePolicy, Limits};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// Why the application (or a command) could not start, each cause with its exit code. The
/// messages say what is wrong, where, and what to check.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The listen address is taken or not allowed.
    #[error("{0}")]
    Listen(String),
    /// The database cannot be reached, opened, or is not at this binary's schema.
    #[error("{0}")]
    Database(String),
    /// Configuration that only shows when used: key files, plugins, sources, gateways.
    #[error("{0}")]
    Config(String),
}

impl StartError {
    /// The process exit code for this cause (README's table).
    pub fn exit_code(&self) -> i32 {
        match self {
            StartError::Listen(_) => exit::LISTEN,
            StartError::Database(_) => exit::DATABASE,
            StartError::Config(_) => exit::CONFIG,
        }
    }

    fn config(e: anyhow::Error) -> StartError {
        StartError::Config(format!("{e:#}"))
    }
}

/// What a command needs from the database and plugins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// `serve`, `demo`: creates and migrates the database, loads every plugin.
    Serve,
    /// `ingest`: an existing, current database and the usage-source plugins.
    Ingest,
    /// `user`, `audit`: an existing, current database; no plugins.
    Manage,
}

/// Where the configured database is, for messages: the SQLite file or the PostgreSQL server.
pub fn describe_db(config: &Config) -> String {
    match config.sqlite_path() {
        Some(path) => format!("SQLite database {}", path.display()),
        None => {
            let url = config.database_url();
            // Never the password: only host, port and database.
            let after_at = url.rsplit_once('@').map_or(url.as_str(), |(_, rest)| rest);
            let place = after_at.split('?').next().unwrap_or_default();
            format!("PostgreSQL database {place}")
        }
    }
}

/// Connects to the configured database. `access` says whether a missing SQLite database may be
/// created; a database that already exists is migrated when it may be created (the server's
/// start), and otherwise must already be at this binary's schema, so a command never changes
/// the database behind a running server of another version.
pub async fn open_db(config: &Config, access: Access) -> Result<Db, StartError> {
    if config.is_sqlite() && access == Access::CreateIfMissing {
        create_private_dir(&config.data_dir())?;
    }
    db_probe::probe(&config.database_url(), access)
        .await
        .map_err(|e| StartError::Database(e.0))?;
    let db = Db::connect(&DbOptions {
        url: config.database_url(),
        max_connections: config.database.max_connections,
        acquire_timeout: Duration::from_secs(config.database.acquire_timeout_secs),
    })
    .await
    .map_err(|e| StartError::Database(format!("{}: {e}", describe_db(config))))?;
    match access {
        Access::CreateIfMissing => {
            Migrator::up(db.conn(), None)
                .await
                .map_err(|e| StartError::Database(format!("cannot migrate the {}: {e}", describe_db(config))))?;
        }
        Access::Existing => {
            let pending = pending_migrations(&db)
                .await
                .map_err(|e| StartError::Database(format!("{}: {e}", describe_db(config))))?;
            if pending > 0 {
                return Err(StartError::Database(format!(
                    "the {} is older than this hpc-billing ({pending} migration(s) to apply): run                      `hpc-billing migrate` first",
                    describe_db(config)
                )));
            }
        }
    }
    Ok(db)
}

/// How many of this binary's migrations the database has not had, read without writing (sea-orm's
/// own status check creates its bookkeeping table). A database that has none of our tables, or
/// migrations this binary does not know (a newer version), is refused with the reason.
pub async fn pending_migrations(db: &Db) -> Result<usize, String> {
    use sea_orm::{ConnectionTrait as _, Statement};
    let rows = db
        .conn()
        .query_all(Statement::from_string(
            db.backend(),
            "SELECT version FROM seaql_migrations",
        ))
        .await
        .map_err(|_| "it holds no hpc-billing tables: run `hpc-billing migrate` to set it up".to_owned())?;
    let applied: std::collections::BTreeSet<String> = rows
        .iter()
        .filter_map(|r| r.try_get::<String>("", "version").ok())
        .collect();
    let known: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
    if let Some(unknown) = applied.iter().find(|v| !known.contains(v)) {
        return Err(format!(
            "it was migrated by a newer hpc-billing (migration {unknown} is unknown to this one)"
        ));
    }
    Ok(known.iter().filter(|m| !applied.contains(*m)).count())
}

/// Creates the data directory readable by its owner only: it holds the database and key files.
fn create_private_dir(dir: &std::path::Path) -> Result<(), StartError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| {
        StartError::Database(format!(
            "cannot create the data directory {}: {} (set server.data_dir to a folder this user may write)",
            dir.display(),
            e.kind()
        ))
    })
}

/// Builds the core services over an open database, with the plugins `purpose` needs.
pub async fn open_services(config: &Config, purpose: Purpose) -> Result<Services, StartError> {
    let access = match purpose {
        Purpose::Serve => Access::CreateIfMissing,
        Purpose::Ingest | Purpose::Manage => Access::Existing,
    };
    let db = open_db(config, access).await?;
    let dir = config.data_dir();
    let a = &config.auth;
    let auth = AuthSettings {
        jwt_secret: secret_or_file(a.jwt_secret.expose(), &dir, "jwt.key").map_err(StartError::config)?,
        token_ttl_secs: a.token_ttl_secs,
        session_ttl_secs: a.session_ttl_secs,
        throttle: ThrottleSettings {
            max_failures: a.throttle.max_failures,
            address_max_failures: a.throttle.address_max_failures,
            account_max_failures: a.throttle.account_max_failures,
            window_secs: a.throttle.window_secs,
            lock_secs: a.throttle.lock_secs,
        },
        argon2: Argon2Settings {
            memory_kib: a.argon2.memory_kib,
            iterations: a.argon2.iterations,
            parallelism: a.argon2.parallelism,
            max_concurrent: a.argon2.max_concurrent,
            max_queued: a.argon2.max_queued,
        },
        min_password_len: a.min_password_len,
    };
    let currency = Currency::parse(&config.billing.currency).ok_or_else(|| {
        StartError::Config(format!(
            "unknown currency {:?} in billing.currency",
            config.billing.currency
        ))
    })?;
    let services_config = ServicesConfig {
        auth,
        audit_key: secret_or_file(config.audit.hmac_key.expose(), &dir, "audit.key").map_err(StartError::config)?,
        default_currency: currency,
        tier_rules: config.tier_rules(),
        tax: config.tax().map_err(StartError::config)?,
        payments: config.payment_settings(),
    };
    let (sources, gateways, plugins) = if purpose == Purpose::Manage {
        (Default::default(), Default::default(), Vec::new())
    } else {
        // The host logs each refusal with its reason; `plugins list` and the API show them too.
        let (registry, refused) = crate::plugins::load_registry(config).map_err(StartError::config)?;
        let plugins = crate::plugins::statuses(&registry, &refused);
        let sources = crate::plugins::build_sources(&registry, config)
            .await
            .map_err(StartError::config)?;
        let gateways = if purpose == Purpose::Serve {
            crate::gateways::build_gateways(&registry, config)
                .await
                .map_err(StartError::config)?
        } else {
            Default::default()
        };
        (sources, gateways, plugins)
    };
    let services = Services::new(
        db,
        services_config,
        Arc::new(SystemClock),
        external_authenticator(config).map_err(StartError::config)?,
        sources,
    )
    .map_err(|e| StartError::Config(e.to_string()))?
    .with_gateways(gateways)
    .with_plugins(plugins);
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
    /// Binds the listen address first (a busy port is reported before anything is touched),
    /// then connects, migrates, creates the first admin if configured to, and builds the schema.
    pub async fn build(config: Config) -> Result<Application, StartError> {
        let listener = bind(&config).await?;
        tracing::info!(
            data_dir = %config.data_dir().display(),
            "data directory {}, {}",
            config.data_dir().display(),
            describe_db(&config)
        );
        let services = open_services(&config, Purpose::Serve).await?;
        if !config.server.ui_dir.is_empty() {
            tracing::warn!(ui_dir = %config.server.ui_dir, "serving the dashboard from a directory, not the built-in copy");
            http::assets::serve_from_dir(config.server.ui_dir.clone().into());
        }
        if !config.auth.admin_password.is_empty()
            && services
                .bootstrap_admin(config.auth.admin_password.expose())
                .await
                .map_err(|e| StartError::Database(e.to_string()))?
        {
            tracing::info!("created the admin account with the password of auth.admin_password");
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
        let metrics = HttpMetrics::register(&services.metrics.registry).map_err(StartError::config)?;
        let trusted_proxies = config
            .server
            .trusted_proxies
            .iter()
            .filter_map(|p| p.parse().ok())
            .collect();
        let state = AppState(Arc::new(Inner {
            services,
            schema,
            ws_sockets: Arc::new(tokio::sync::Semaphore::new(config.graphql.max_ws_connections)),
            ws_counts: Arc::default(),
            per_caller: http::limits::PerCaller::new(
                config.graphql.max_concurrent_per_caller,
                config.graphql.max_waiting_per_caller,
            ),
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
        let config = &self.state.config;
        let grace = Duration::from_secs(config.server.shutdown_grace_secs);
        let limits = http::serve::ConnLimits {
            max_connections: config.server.max_connections,
            max_per_address: config.server.max_connections_per_address,
            header_read_timeout: Duration::from_secs(config.server.header_read_timeout_secs),
            exempt: self.state.trusted_proxies.clone(),
        };
        let router = http::router(self.state.clone());
        tracing::info!(%addr, "listening on http://{addr}");
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let signals = tokio::spawn(async move {
            shutdown_signal().await;
            tracing::info!("shutting down: no new connections, finishing open requests");
            let _ = stop_tx.send(true);
        });
        let serve = http::serve::serve(
            self.listener,
            router,
            limits,
            self.state.metrics.connections_refused.clone(),
            stop_rx.clone(),
        );
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
            () = serve => {}
            _ = deadline => tracing::warn!("grace period over; closing remaining connections"),
        }
        signals.abort();
        let _ = tokio::time::timeout(Duration::from_secs(5), scheduler).await;
        let _ = tokio::time::timeout(Duration::from_secs(5), janitor).await;
        self.state.services.db.conn().clone().close().await.ok();
        tracing::info!("stopped");
        Ok(())
    }
}

/// Binds the configured address, explaining the usual failures.
async fn bind(config: &Config) -> Result<TcpListener, StartError> {
    let addr = config.listen_addr().map_err(StartError::config)?;
    TcpListener::bind(addr).await.map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::AddrInUse => {
                "the address is in use (is another hpc-billing, or another server, running there?)".to_owned()
            }
            std::io::ErrorKind::PermissionDenied => "permission denied (ports below 1024 need privileges)".to_owned(),
            std::io::ErrorKind::AddrNotAvailable => "this machine has no such address".to_owned(),
            _ => e.to_string(),
        };
        StartError::Listen(format!(
            "cannot listen on {addr}: {why}; set server.listen (HPC_BILLING_LISTEN) to another address"
        ))
    })
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
            Ok(r) if r.checked > 0 || r.refunds_retried > 0 => tracing::info!(
                checked = r.checked,
                changed = r.changed,
                errors = r.errors,
                refunds_retried = r.refunds_retried,
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
