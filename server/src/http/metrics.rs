//! HTTP-level Prometheus metrics, registered in the core's registry so `/metrics` renders both.
//! Names follow the predecessor's dashboards (`http_requests_total`,
//! `http_request_duration_seconds`, `csv_download_total`).

use anyhow::Result;
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};

/// The server's own metrics.
#[derive(Clone)]
pub struct HttpMetrics {
    /// Requests by method, route template and status.
    pub requests: IntCounterVec,
    /// Latency by method and route template.
    pub duration: HistogramVec,
    /// GraphQL operations by type and outcome.
    pub graphql_ops: IntCounterVec,
    /// CSV downloads by kind.
    pub csv_downloads: IntCounterVec,
    /// Connections closed at once because a connection bound was reached, by which.
    pub connections_refused: IntCounterVec,
}

impl HttpMetrics {
    /// Creates and registers the metrics.
    pub fn register(registry: &Registry) -> Result<HttpMetrics> {
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests"),
            &["method", "route", "status"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency").buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["method", "route"],
        )?;
        let graphql_ops = IntCounterVec::new(
            Opts::new("graphql_operations_total", "GraphQL operations executed"),
            &["type", "outcome"],
        )?;
        let csv_downloads = IntCounterVec::new(Opts::new("csv_download_total", "CSV exports served"), &["kind"])?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(graphql_ops.clone()))?;
        let connections_refused = IntCounterVec::new(
            Opts::new(
                "http_connections_refused_total",
                "Connections closed at once: server_full or address_full",
            ),
            &["reason"],
        )?;
        registry.register(Box::new(csv_downloads.clone()))?;
        registry.register(Box::new(connections_refused.clone()))?;
        Ok(HttpMetrics {
            requests,
            duration,
            graphql_ops,
            csv_downloads,
            connections_refused,
        })
    }
}
