//! `/healthz` (the process answers), `/readyz` (the database answers and no payment gateway is
//! down) and `/metrics`.

use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use hpcb_core::payments::GatewayHealth;
use prometheus::{Encoder, TextEncoder};
use serde_json::{json, Map, Value};
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

/// Readiness: 200 when the database answers within two seconds and no payment gateway is down,
/// 503 with the reason otherwise. `gateways` lists each configured gateway as `ok`, `degraded`
/// (a call panicked or hung and its plugin is being replaced; calls are served) or `down` (calls
/// fail at once: too many calls stuck in its plugin, or the plugin could not be started again).
/// The page is anonymous, so the details go to the log only.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let db = match tokio::time::timeout(Duration::from_secs(2), state.services.db.ping()).await {
        Ok(Ok(())) => None,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check: database unreachable");
            Some("database unreachable".to_owned())
        }
        Err(_) => Some("database did not answer within 2 s".to_owned()),
    };
    let mut gateways = Map::new();
    let mut down = Vec::new();
    for (provider, health) in state.services.payments.gateway_health() {
        let word = match health {
            GatewayHealth::Ready => "ok",
            GatewayHealth::Degraded(reason) => {
                tracing::info!(
                    provider,
                    reason,
                    "readiness check: payment gateway {provider} is recovering"
                );
                "degraded"
            }
            GatewayHealth::Down(reason) => {
                tracing::warn!(provider, reason, "readiness check: payment gateway {provider} is down");
                down.push(provider.clone());
                "down"
            }
        };
        gateways.insert(provider, Value::from(word));
    }
    let reason = db.or_else(|| (!down.is_empty()).then(|| gateways_down(&down)));
    let (status, body) = match reason {
        None => (StatusCode::OK, json!({"status": "ready", "gateways": gateways})),
        Some(r) => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"status": "unavailable", "reason": r, "gateways": gateways}),
        ),
    };
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// "payment gateway stripe is down", or the same for several.
fn gateways_down(names: &[String]) -> String {
    match names {
        [one] => format!("payment gateway {one} is down"),
        many => format!("payment gateways {} are down", many.join(", ")),
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
