//! `/healthz` (the process answers), `/readyz` (the database answers) and `/metrics`.

use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use prometheus::{Encoder, TextEncoder};
use std::time::Duration;

/// Liveness: answers as long as the process serves HTTP.
pub async fn healthz() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"status":"ok"}"#,
    )
        .into_response()
}

/// Readiness: 200 when the database answers within two seconds, 503 with the reason otherwise.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let reason = match tokio::time::timeout(Duration::from_secs(2), state.services.db.ping()).await {
        Ok(Ok(())) => None,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check: database unreachable");
            Some("database unreachable")
        }
        Err(_) => Some("database did not answer within 2 s"),
    };
    match reason {
        None => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"status":"ready"}"#,
        )
            .into_response(),
        Some(r) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::json!({"status": "unavailable", "reason": r}).to_string(),
        )
            .into_response(),
    }
}

/// Prometheus text exposition of every registered metric.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let families = state.services.metrics.registry.gather();
    let mut buf = Vec::new();
    match TextEncoder::new().encode(&families, &mut buf) {
        Ok(()) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            buf,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot encode metrics");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// JSON 404 for unknown paths.
pub async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"error":"not found"}"#,
    )
        .into_response()
}
