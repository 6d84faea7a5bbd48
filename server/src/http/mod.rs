//! The HTTP surface: GraphQL (`/graphql`, `/graphql/ws`), health and metrics, exports.

pub mod assets;
pub mod browser;
pub mod caller;
pub mod csv_text;
pub mod export;
pub mod formula;
pub mod graphiql;
pub mod graphql;
pub mod health;
pub mod limits;
pub mod metrics;
pub mod observe;
pub mod payments;
pub mod receipt_export;
pub mod receipt_page;
pub mod rest_error;
pub mod serve;
pub mod texts;
pub mod ws;

use crate::state::AppState;
use axum::routing::{get, post};
use axum::Router;

/// All routes, with request ids, logging and metrics around them.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/", get(browser::home))
        .route("/signin", get(browser::sign_in))
        .route("/assets/{*path}", get(assets::serve))
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/ws", get(ws::upgrade))
        .route("/formula", get(formula::get).post(formula::post))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/export/audit.csv", get(export::audit_csv))
        .route("/export/usage.csv", get(export::usage_csv))
        .route("/export/my-usage.csv", get(receipt_export::my_usage_csv))
        .route("/export/receipts.csv", get(receipt_export::receipts_csv))
        .route("/export/paid.csv", get(receipt_export::paid_csv))
        .route("/receipts/{id}", get(receipt_page::page))
        .route("/payments/webhook/{provider}", post(payments::webhook))
        .route("/payments/return/{id}", get(payments::return_page))
        .route("/payments/dummy/checkout/{id}", get(payments::dummy_checkout))
        .route("/payments/dummy/checkout/{id}/{decision}", post(payments::dummy_decide))
        .fallback(health::not_found)
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            std::time::Duration::from_secs(state.config.server.body_timeout_secs),
        ))
        // gzip or brotli, as the client accepts: the dashboard's scripts, JSON answers and CSV
        // exports shrink several times over (images and tiny bodies are left alone).
        .layer(tower_http::compression::CompressionLayer::new().compress_when(compressible()))
        .layer(axum::middleware::from_fn(browser::pages_for_browsers));
    browser::security_headers(routes)
        .layer(axum::middleware::from_fn_with_state(state.clone(), observe::observe))
        .with_state(state)
}

/// What may be compressed: what tower-http compresses by default, except WebSocket upgrades
/// (a `101` has no body of its own; the socket's frames follow it).
fn compressible() -> impl tower_http::compression::Predicate {
    use tower_http::compression::predicate::{DefaultPredicate, Predicate};
    DefaultPredicate::new().and(
        |status: axum::http::StatusCode,
         _: axum::http::Version,
         _: &axum::http::HeaderMap,
         _: &axum::http::Extensions| { status != axum::http::StatusCode::SWITCHING_PROTOCOLS },
    )
}
