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
use futures_util::stream;
use hpcb_core::audit::{AuditEntry, AuditFilter, NewAuditEntry};
use hpcb_core::auth::{Principal, Role};
use hpcb_core::CoreError;
use serde::Deserialize;
use std::net::SocketAddr;

/// Quotes a CSV field when needed, and defuses spreadsheet formulas: a field starting with
/// `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'`.
pub fn csv_field(s: &str) -> String {
    let defused = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

/// One CSV line from fields.
pub fn csv_line<I: IntoIterator<Item = S>, S: AsRef<str>>(fields: I) -> String {
    let mut line = fields
        .into_iter()
        .map(|f| csv_field(f.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

fn plain_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::json!({"error": message}).to_string(),
    )
        .into_response()
}

/// Resolves the caller and checks the roles; the error is the response to send.
pub async fn authorize(state: &AppState, headers: &HeaderMap, roles: &[Role]) -> Result<Principal, Response> {
    let resolved = resolve(state, headers).await.map_err(|e| match e {
        CoreError::Unauthenticated(m) => plain_error(StatusCode::UNAUTHORIZED, &m),
        other => {
            tracing::error!(error = %other, "cannot resolve caller");
            plain_error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    })?;
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

fn parse_time(field: &str, v: Option<&str>) -> Result<Option<i64>, String> {
    v.map(|s| {
        chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| t.timestamp_millis())
            .map_err(|_| format!("{field}: not an RFC 3339 time"))
    })
    .transpose()
}

fn ms_to_rfc3339(ms: i64) -> String {
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
    // State: (next seq cursor, finished). The first chunk is the header.
    let body = stream::unfold((Some(header_line), 0i64, false), move |(head, after, done)| {
        let audit = audit.clone();
        let filter = filter.clone();
        async move {
            if let Some(h) = head {
                return Some((Ok::<_, std::io::Error>(h), (None, after, false)));
            }
            if done {
                return None;
            }
            match audit.chunk(&filter, after, 1000).await {
                Ok(rows) if rows.is_empty() => None,
                Ok(rows) => {
                    let last = rows.last().map(|r| r.seq).unwrap_or(after);
                    let text: String = rows.iter().map(audit_row).collect();
                    Some((Ok(text), (None, last, false)))
                }
                Err(e) => {
                    tracing::error!(error = %e, "audit export failed midway");
                    Some((Err(std::io::Error::other("export failed")), (None, after, true)))
                }
            }
        }
    });
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"audit.csv\""),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_field("-1,5"), "\"'-1,5\"");
        assert_eq!(csv_line(["a", "b"]), "a,b\r\n");
    }
}
