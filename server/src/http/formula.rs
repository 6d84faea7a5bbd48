//! `GET /formula` and `POST /formula`: the rates for scripts, as the predecessor offered them.
//!
//! `GET` answers the rates in force with an `ETag` (and `304` when the client's copy is
//! current), for any signed-in caller, like the `rates` query. `POST` enters a new rate version
//! of one tier through the same core service as the `updateRates` mutation (same checks, same
//! audit entry, same re-pricing), for admin and finance with a bearer token or the session
//! cookie plus `X-CSRF-Token`.

use super::caller::{client_ip, request_meta};
use super::export::{authorize, ms_to_rfc3339, parse_time, plain_error};
use super::observe::RequestId;
use super::rest_error::RestError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use hpcb_core::auth::Role;
use hpcb_core::context::Actor;
use hpcb_core::rates::{Rate, RateInput};
use hpcb_core::CoreError;
use hpcb_entities::Currency;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::str::FromStr;

/// Largest `POST /formula` body: one tier's prices fit in a few hundred bytes.
const MAX_BODY: usize = 4096;

const EVERYONE: &[Role] = &[Role::Admin, Role::Finance, Role::User];

fn rate_json(r: &Rate) -> Value {
    json!({
        "id": r.id.0,
        "cpu": r.cpu.normalize().to_string(),
        "gpu": r.gpu.normalize().to_string(),
        "mem": r.mem.normalize().to_string(),
        "currency": r.currency.as_str(),
        "effective_from": ms_to_rfc3339(r.effective_from),
    })
}

fn error_response(e: CoreError) -> Response {
    RestError::from(e).into_response()
}

/// `GET /formula`.
pub async fn get(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let p = match authorize(&state, &headers, EVERYONE).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let rates = match state.services.rates.current(&p).await {
        Ok(r) => r,
        Err(e) => return error_response(e),
    };
    let tiers: serde_json::Map<String, Value> = rates.iter().map(|r| (r.tier.clone(), rate_json(r))).collect();
    let body = json!({
        "formula": "cost = cpu_core_hours × cpu + gpu_hours × gpu + mem_gb_hours × mem, rounded once to the currency's minor unit (half away from zero)",
        "unit": "per hour",
        "tiers": tiers,
    })
    .to_string();
    let etag = format!("\"{}\"", hex::encode(&Sha256::digest(body.as_bytes())[..16]));
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    // Private: rates are for signed-in callers, so no shared cache may keep them.
    let cache = "private, no-cache";
    if fresh {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache.to_owned())],
        )
            .into_response();
    }
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache.to_owned()),
        ],
        body,
    )
        .into_response()
}

/// What `POST /formula` takes: one tier's new prices per hour (decimal strings or JSON
/// numbers), and optionally from when and in which currency.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewRates {
    tier: String,
    cpu: Value,
    gpu: Value,
    mem: Value,
    effective_from: Option<String>,
    currency: Option<String>,
}

fn price(field: &str, v: &Value) -> Result<Decimal, CoreError> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return Err(CoreError::validation(field, "must be a decimal number, e.g. \"1.25\"")),
    };
    Decimal::from_str(text.trim())
        .or_else(|_| Decimal::from_scientific(text.trim()))
        .map_err(|_| CoreError::validation(field, format!("{text:?} is not a decimal number")))
}

fn input(body: &[u8]) -> Result<RateInput, CoreError> {
    let n: NewRates = serde_json::from_slice(body)
        .map_err(|e| CoreError::validation("body", format!("not the expected JSON object: {e}")))?;
    let effective_from = parse_time("effective_from", n.effective_from.as_deref())
        .map_err(|m| CoreError::validation("effective_from", m.trim_start_matches("effective_from: ")))?;
    let currency = n
        .currency
        .as_deref()
        .map(|c| Currency::parse(c).ok_or_else(|| CoreError::validation("currency", format!("unknown currency {c:?}"))))
        .transpose()?;
    Ok(RateInput {
        tier: n.tier,
        cpu: price("cpu", &n.cpu)?,
        gpu: price("gpu", &n.gpu)?,
        mem: price("mem", &n.mem)?,
        currency,
        effective_from,
    })
}

/// `POST /formula`.
pub async fn post(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(RequestId(rid)): Extension<RequestId>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let p = match authorize(&state, &headers, &[Role::Admin, Role::Finance]).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if body.len() > MAX_BODY {
        return plain_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the body may be at most {MAX_BODY} bytes"),
        );
    }
    let meta = request_meta(client_ip(&state, peer, &headers), &headers, &rid);
    let result = match input(&body) {
        Ok(i) => state.services.rates.update(Actor::User(&p), &meta, i).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(rate) => {
            let mut v = rate_json(&rate);
            v["tier"] = Value::String(rate.tier.clone());
            (
                StatusCode::CREATED,
                [(header::CONTENT_TYPE, "application/json")],
                v.to_string(),
            )
                .into_response()
        }
        Err(e) => error_response(e),
    }
}
