//! CSV exports under `/export/…`, with the same authorization as the matching GraphQL queries.
//! Rows are streamed in chunks, so exporting a long audit log does not build it in memory.

use super::caller::{client_ip, request_meta, resolve};
use super::observe::RequestId;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures_util::{stream, StreamExt as _};
use hpcb_core::audit::{AuditEntry, AuditFilter, NewAuditEntry};
use hpcb_core::auth::{Principal, Role};
use serde::Deserialize;
use std::net::SocketAddr;

pub use super::csv_text::csv_line;

/// A streamed CSV body: the header, then rows fetched in chunks after the last row's key, until
/// a chunk comes back empty. A failure midway ends the stream with an error, so the client sees a
/// broken download rather than a silently short file.
pub(crate) fn csv_body<T, F, Fut>(header: String, fetch: F, row: fn(&T) -> String, key: fn(&T) -> i64) -> Body
where
    T: Send + 'static,
    F: Fn(i64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = hpcb_core::CoreResult<Vec<T>>> + Send + 'static,
{
    let fetch = std::sync::Arc::new(fetch);
    let chunks = stream::unfold((Some(header), 0i64, false), move |(head, after, done)| {
        let fetch = fetch.clone();
        async move {
            if let Some(h) = head {
                return Some((Ok::<_, std::io::Error>(h), (None, after, false)));
            }
            if done {
                return None;
            }
            match fetch(after).await {
                Ok(rows) if rows.is_empty() => None,
                Ok(rows) => {
                    let last = rows.last().map(key).unwrap_or(after);
                    Some((Ok(rows.iter().map(row).collect::<String>()), (None, last, false)))
                }
                Err(e) => {
                    tracing::error!(error = %e, "export failed midway");
                    Some((Err(std::io::Error::other("export failed")), (None, after, true)))
                }
            }
        }
    });
    // Fused: a body may be polled again after its end (the compression layer does), which an
    // unfused `unfold` answers with a panic.
    Body::from_stream(chunks.fuse())
}

/// An error answer with `status` and `message`, in the body every REST error has (see
/// [`super::rest_error`]).
pub(crate) fn plain_error(status: StatusCode, message: &str) -> Response {
    super::rest_error::RestError::new(status, message).into_response()
}

/// Resolves the caller and checks the roles; the error is the response to send.
pub async fn authorize(state: &AppState, headers: &HeaderMap, roles: &[Role]) -> Result<Principal, Response> {
    let resolved = resolve(state, headers)
        .await
        .map_err(|e| super::rest_error::RestError::from(e).into_response())?;
    let p = resolved
        .principal
        .ok_or_else(|| plain_error(StatusCode::UNAUTHORIZED, "sign in first"))?;
    p.require(roles)
        .map_err(|_| plain_error(StatusCode::FORBIDDEN, "your role may not download this export"))?;
    Ok(p)
}

/// Filters of `/export/audit.csv`, as URL parameters.
#[derive(Debug, Default, Deserialize)]
pub struct AuditExportParams {
    action: Option<String>,
    actor: Option<String>,
    target: Option<String>,
    status: Option<String>,
    /// RFC 3339.
    from: Option<String>,
    /// RFC 3339.
    to: Option<String>,
}

pub(crate) fn parse_time(field: &str, v: Option<&str>) -> Result<Option<i64>, String> {
    v.map(|s| {
        chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| t.timestamp_millis())
            .map_err(|_| format!("{field}: not an RFC 3339 time"))
    })
    .transpose()
}

pub(crate) fn ms_to_rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339())
        .unwrap_or_default()
}

fn audit_row(e: &AuditEntry) -> String {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    csv_line([
        e.id.to_string(),
        e.seq.to_string(),
        ms_to_rfc3339(e.at),
        o(&e.actor),
        o(&e.ip),
        o(&e.user_agent),
        o(&e.request_id),
        e.action.clone(),
        o(&e.target),
        e.status.clone(),
        e.details.clone(),
        e.prev_hash.clone(),
        e.hash.clone(),
    ])
}

/// `GET /export/audit.csv` (admin): the audit log in chain order, with hashes, so it can be
/// verified offline.
pub async fn audit_csv(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(RequestId(rid)): Extension<RequestId>,
    Query(params): Query<AuditExportParams>,
    headers: HeaderMap,
) -> Response {
    let p = match authorize(&state, &headers, &[Role::Admin]).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (from, to) = match (
        parse_time("from", params.from.as_deref()),
        parse_time("to", params.to.as_deref()),
    ) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(m), _) | (_, Err(m)) => return plain_error(StatusCode::BAD_REQUEST, &m),
    };
    let filter = AuditFilter {
        action: params.action,
        actor: params.actor,
        target: params.target,
        status: params.status,
        from,
        to,
    };
    let meta = request_meta(client_ip(&state, peer, &headers), &headers, &rid);
    let recorded = state
        .services
        .audit
        .record(
            &meta,
            NewAuditEntry {
                actor: Some(&p.username),
                action: "audit.export",
                target: None,
                status: "ok",
                details: serde_json::json!({"format": "csv"}),
            },
        )
        .await;
    if let Err(e) = recorded {
        tracing::error!(error = %e, "cannot record the export");
        return plain_error(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
    }
    state.metrics.csv_downloads.with_label_values(&["audit"]).inc();
    let header_line = csv_line([
        "id",
        "seq",
        "at",
        "actor",
        "ip",
        "user_agent",
        "request_id",
        "action",
        "target",
        "status",
        "details",
        "prev_hash",
        "hash",
    ]);
    let audit = state.services.audit.clone();
    let fetch = move |after: i64| {
        let (audit, filter) = (audit.clone(), filter.clone());
        async move { audit.chunk(&filter, after, 1000).await }
    };
    let body = csv_body(header_line, fetch, audit_row, |e| e.seq);
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"audit.csv\""),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// Filters of `/export/usage.csv`, as URL parameters (times RFC 3339).
#[derive(Debug, Default, Deserialize)]
pub struct UsageExportParams {
    user: Option<String>,
    from: Option<String>,
    to: Option<String>,
    ended_before: Option<String>,
    cluster: Option<String>,
    account: Option<String>,
    partition: Option<String>,
    state: Option<String>,
    billed: Option<bool>,
}

impl UsageExportParams {
    /// Restricts the export to one user (`/export/my-usage.csv`).
    pub fn set_user(&mut self, user: String) {
        self.user = Some(user);
    }
}

fn usage_row(j: &hpcb_entities::tables::jobs::Model) -> String {
    use hpcb_core::pricing::{hours, per_hour};
    let currency = j.currency;
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let t = |v: Option<i64>| v.map(ms_to_rfc3339).unwrap_or_default();
    csv_line([
        j.cluster.clone(),
        j.job_key.clone(),
        j.job_id.clone(),
        j.username.clone(),
        o(&j.account),
        o(&j.partition),
        j.state.clone(),
        t(j.submit_at),
        t(j.start_at),
        t(j.end_at),
        j.elapsed_s.to_string(),
        j.alloc_cpus.to_string(),
        j.alloc_gpus.to_string(),
        j.alloc_mem_mb.to_string(),
        hours(j.cpu_ms, per_hour::CPU_MS).to_string(),
        hours(j.gpu_s, per_hour::GPU_S).to_string(),
        hours(j.mem_kib_s, per_hour::MEM_KIB_S).to_string(),
        j.tier.clone(),
        j.rate_id.map(|r| r.to_string()).unwrap_or_default(),
        hpcb_core::money::format_minor(j.cost_minor, currency),
        j.currency.to_string(),
    ])
}

/// `GET /export/usage.csv`: jobs with hours and costs. Users get their own; admin and finance
/// anyone's (`user=` narrows), exactly like `myUsage` and `usage`.
pub async fn usage_csv(
    State(state): State<AppState>,
    Query(params): Query<UsageExportParams>,
    headers: HeaderMap,
) -> Response {
    match authorize(&state, &headers, &[Role::Admin, Role::Finance, Role::User]).await {
        Ok(p) => usage_export(&state, &p, params),
        Err(r) => r,
    }
}

/// The usage export for an authorized caller (also behind `/export/my-usage.csv`).
pub(crate) fn usage_export(state: &AppState, p: &Principal, params: UsageExportParams) -> Response {
    let times = (
        parse_time("from", params.from.as_deref()),
        parse_time("to", params.to.as_deref()),
        parse_time("ended_before", params.ended_before.as_deref()),
    );
    let (from, to, ended_before) = match times {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(m), _, _) | (_, Err(m), _) | (_, _, Err(m)) => return plain_error(StatusCode::BAD_REQUEST, &m),
    };
    let filter = hpcb_core::usage::UsageFilter {
        user: params.user,
        from,
        to,
        ended_before,
        cluster: params.cluster,
        account: params.account,
        partition: params.partition,
        state: params.state,
        billed: params.billed,
    };
    let filter = match state.services.usage.scope(p, filter) {
        Ok(f) => f,
        Err(_) => return plain_error(StatusCode::FORBIDDEN, "you may only export your own usage"),
    };
    state.metrics.csv_downloads.with_label_values(&["usage"]).inc();
    let header_line = csv_line([
        "cluster",
        "job_key",
        "job_id",
        "user",
        "account",
        "partition",
        "state",
        "submit",
        "start",
        "end",
        "elapsed_s",
        "alloc_cpus",
        "alloc_gpus",
        "alloc_mem_mb",
        "cpu_core_hours",
        "gpu_hours",
        "mem_gb_hours",
        "tier",
        "rate_id",
        "cost",
        "currency",
    ]);
    let usage = state.services.usage.clone();
    let fetch = move |after: i64| {
        let (usage, filter) = (usage.clone(), filter.clone());
        async move { usage.chunk(&filter, after, 2000).await }
    };
    let body = csv_body(header_line, fetch, usage_row, |j| j.id);
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"usage.csv\""),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}
