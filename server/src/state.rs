//! The state every HTTP handler shares, built once by [`Application::build`](crate::Application::build).

use crate::config::Config;
use crate::http::metrics::HttpMetrics;
use hpcb_core::Services;
use hpcb_schema::AppSchema;
use std::net::IpAddr;
use std::sync::Arc;

/// Shared application state; cheap to clone.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

/// What [`AppState`] holds.
pub struct Inner {
    /// The core services.
    pub services: Services,
    /// The GraphQL schema with the services attached.
    pub schema: AppSchema,
    /// The validated configuration.
    pub config: Config,
    /// HTTP-level metrics.
    pub metrics: HttpMetrics,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// Open WebSockets (`graphql.max_ws_connections` permits).
    pub ws_sockets: Arc<tokio::sync::Semaphore>,
    /// WebSockets and subscriptions per address and per user.
    pub ws_counts: Arc<crate::http::ws::WsCounts>,
    /// Queries and mutations running at once per caller.
    pub per_caller: Arc<crate::http::limits::PerCaller>,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
