//! Receipt exports: `/export/receipts.csv` (everyone's for admin and finance, your own
//! otherwise), `/export/paid.csv` (paid receipts, for accounting) and `/export/my-usage.csv`
//! (your own jobs, whatever your role).

use super::export::{
    authorize, csv_body, csv_line, ms_to_rfc3339, parse_time, plain_error, usage_export, UsageExportParams,
};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use hpcb_core::auth::Role;
use hpcb_core::money::format_minor;
use hpcb_core::receipts::{Receipt, ReceiptFilter, ReceiptStatus};
use serde::Deserialize;

/// Filters of the receipt exports (times RFC 3339).
#[derive(Debug, Default, Deserialize)]
pub struct ReceiptExportParams {
    status: Option<String>,
    user: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

fn receipt_row(r: &Receipt) -> String {
    let c = r.currency;
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let t = |v: Option<i64>| v.map(ms_to_rfc3339).unwrap_or_default();
    csv_line([
        r.number.clone(),
        r.username.clone(),
        r.status.clone(),
        ms_to_rfc3339(r.created_at),
        ms_to_rfc3339(r.ended_before),
        o(&r.period_month),
        format_minor(r.subtotal_minor, c),
        format_minor(r.tax_minor, c),
        format_minor(r.total_minor, c),
        r.currency.to_string(),
        r.tax_label.clone(),
        t(r.paid_at),
        o(&r.paid_method),
        o(&r.paid_reference),
        t(r.voided_at),
        o(&r.void_reason),
    ])
}

async fn export(
    state: AppState,
    headers: HeaderMap,
    params: ReceiptExportParams,
    only_paid: bool,
    kind: &'static str,
) -> Response {
    let p = match authorize(&state, &headers, &[Role::Admin, Role::Finance, Role::User]).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let status = match (only_paid, params.status.as_deref()) {
        (true, _) => Some(ReceiptStatus::Paid),
        (false, None) => None,
        (false, Some(s)) => match s.parse::<ReceiptStatus>() {
            Ok(s) => Some(s),
            Err(_) => return plain_error(StatusCode::BAD_REQUEST, "status: use pending, paid or void"),
        },
    };
    let (from, to) = match (
        parse_time("from", params.from.as_deref()),
        parse_time("to", params.to.as_deref()),
    ) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(m), _) | (_, Err(m)) => return plain_error(StatusCode::BAD_REQUEST, &m),
    };
    let filter = match state.services.receipts.scope(
        &p,
        ReceiptFilter {
            status,
            user: params.user,
            from,
            to,
        },
    ) {
        Ok(f) => f,
        Err(_) => return plain_error(StatusCode::FORBIDDEN, "you may only export your own receipts"),
    };
    state.metrics.csv_downloads.with_label_values(&[kind]).inc();
    let header_line = csv_line([
        "number",
        "user",
        "status",
        "created_at",
        "ended_before",
        "period_month",
        "subtotal",
        "tax",
        "total",
        "currency",
        "tax_label",
        "paid_at",
        "paid_method",
        "paid_reference",
        "voided_at",
        "void_reason",
    ]);
    let receipts = state.services.receipts.clone();
    let fetch = move |after: i64| {
        let (receipts, filter) = (receipts.clone(), filter.clone());
        async move { receipts.chunk(&filter, after, 1000).await }
    };
    let body = csv_body(header_line, fetch, receipt_row, |r| r.id);
    let disposition = format!("attachment; filename=\"{kind}.csv\"");
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// `GET /export/receipts.csv`.
pub async fn receipts_csv(
    State(state): State<AppState>,
    Query(params): Query<ReceiptExportParams>,
    headers: HeaderMap,
) -> Response {
    export(state, headers, params, false, "receipts").await
}

/// `GET /export/paid.csv`: paid receipts only.
pub async fn paid_csv(
    State(state): State<AppState>,
    Query(params): Query<ReceiptExportParams>,
    headers: HeaderMap,
) -> Response {
    export(state, headers, params, true, "paid").await
}

/// `GET /export/my-usage.csv`: the caller's own jobs, whatever the role.
pub async fn my_usage_csv(
    State(state): State<AppState>,
    Query(mut params): Query<UsageExportParams>,
    headers: HeaderMap,
) -> Response {
    match authorize(&state, &headers, &[Role::Admin, Role::Finance, Role::User]).await {
        Ok(p) => {
            params.set_user(p.username.clone());
            usage_export(&state, &p, params)
        }
        Err(r) => r,
    }
}
