//! `GET /receipts/{id}?lang=en|th`: a printable receipt (HTML with print CSS) in English or
//! Thai, for its owner, admin and finance.

use super::export::{authorize, plain_error};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use hpcb_core::auth::Role;
use hpcb_core::money::format_minor;
use hpcb_core::pricing::{hours, per_hour};
use hpcb_core::receipts::{Receipt, ReceiptLine};
use hpcb_entities::Currency;
use serde::Deserialize;
use std::fmt::Write as _;

/// The language of the page.
#[derive(Debug, Default, Deserialize)]
pub struct PageParams {
    lang: Option<String>,
}

/// Labels in one language.
struct Labels {
    lang: &'static str,
    title: &'static str,
    number: &'static str,
    billed_to: &'static str,
    issued: &'static str,
    cutoff: &'static str,
    status: &'static str,
    job: &'static str,
    ended: &'static str,
    cpu: &'static str,
    gpu: &'static str,
    mem: &'static str,
    tier: &'static str,
    amount: &'static str,
    subtotal: &'static str,
    total: &'static str,
    pending: &'static str,
    paid: &'static str,
    void: &'static str,
    print: &'static str,
}

const EN: Labels = Labels {
    lang: "en",
    title: "Receipt",
    number: "No.",
    billed_to: "Billed to",
    issued: "Issued",
    cutoff: "Jobs ended on or before",
    status: "Status",
    job: "Job",
    ended: "Ended",
    cpu: "CPU core-h",
    gpu: "GPU-h",
    mem: "Memory GB-h",
    tier: "Tier",
    amount: "Amount",
    subtotal: "Subtotal",
    total: "Total",
    pending: "Pending",
    paid: "Paid",
    void: "Void",
    print: "Print",
};

const TH: Labels = Labels {
    lang: "th",
    title: "ใบเสร็จรับเงิน",
    number: "เลขที่",
    billed_to: "ผู้ใช้บริการ",
    issued: "วันที่ออก",
    cutoff: "งานที่สิ้นสุดภายใน",
    status: "สถานะ",
    job: "งาน",
    ended: "สิ้นสุด",
    cpu: "CPU (คอร์-ชั่วโมง)",
    gpu: "GPU (ชั่วโมง)",
    mem: "หน่วยความจำ (GB-ชั่วโมง)",
    tier: "ระดับ",
    amount: "จำนวนเงิน",
    subtotal: "ยอดรวมก่อนภาษี",
    total: "ยอดรวมทั้งสิ้น",
    pending: "รอชำระ",
    paid: "ชำระแล้ว",
    void: "ยกเลิก",
    print: "พิมพ์",
};

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// Renders a receipt.
fn render(r: &Receipt, lines: &[ReceiptLine], l: &Labels) -> String {
    let c = Currency::parse(&r.currency).unwrap_or(Currency::THB);
    let money = |m: i64| format!("{} {}", format_minor(m, c), c);
    let status = match r.status.as_str() {
        "paid" => l.paid,
        "void" => l.void,
        _ => l.pending,
    };
    let mut rows = String::new();
    for line in lines {
        let _ = write!(
            rows,
            "<tr><td>{}</td><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td>{}</td><td class=n>{}</td></tr>",
            escape(&format!("{}/{}", line.cluster, line.job_id)),
            date(line.end_at),
            hours(line.cpu_ms, per_hour::CPU_MS),
            hours(line.gpu_s, per_hour::GPU_S),
            hours(line.mem_kib_s, per_hour::MEM_KIB_S),
            escape(&line.tier),
            money(line.cost_minor),
        );
    }
    format!(
        r#"<!doctype html>
<html lang="{lang}">
<head><meta charset="utf-8"><title>{title} {number}</title>
<style>
body {{ font-family: "Noto Sans", "Noto Sans Thai", "Sarabun", sans-serif; margin: 2rem; color: #111; }}
h1 {{ margin: 0 0 .5rem; }} table {{ border-collapse: collapse; width: 100%; margin-top: 1rem; }}
th, td {{ border-bottom: 1px solid #ccc; padding: .3rem .5rem; text-align: left; font-size: .9rem; }}
td.n, th.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
.meta td {{ border: 0; padding: .1rem .5rem .1rem 0; }} .totals {{ width: auto; margin-left: auto; }}
.status-void {{ color: #a00; }} .status-paid {{ color: #070; }}
@media print {{ button {{ display: none; }} body {{ margin: 0; }} }}
</style></head>
<body>
<script defer src="/assets/print.js"></script>
<button type="button" data-print>{print}</button>
<h1>{title}</h1>
<table class="meta">
<tr><td>{l_number}</td><td><strong>{number}</strong></td></tr>
<tr><td>{l_billed}</td><td>{user}</td></tr>
<tr><td>{l_issued}</td><td>{issued}</td></tr>
<tr><td>{l_cutoff}</td><td>{cutoff}</td></tr>
<tr><td>{l_status}</td><td class="status-{status_class}">{status}</td></tr>
</table>
<table>
<thead><tr><th>{l_job}</th><th>{l_ended}</th><th class=n>{l_cpu}</th><th class=n>{l_gpu}</th><th class=n>{l_mem}</th><th>{l_tier}</th><th class=n>{l_amount}</th></tr></thead>
<tbody>{rows}</tbody>
</table>
<table class="totals">
<tr><td>{l_subtotal}</td><td class=n>{subtotal}</td></tr>
<tr><td>{tax_label}</td><td class=n>{tax}</td></tr>
<tr><td><strong>{l_total}</strong></td><td class=n><strong>{total}</strong></td></tr>
</table>
</body></html>"#,
        lang = l.lang,
        title = l.title,
        print = l.print,
        number = escape(&r.number),
        l_number = l.number,
        l_billed = l.billed_to,
        user = escape(&r.username),
        l_issued = l.issued,
        issued = date(r.created_at),
        l_cutoff = l.cutoff,
        cutoff = date(r.ended_before),
        l_status = l.status,
        status_class = escape(&r.status),
        status = status,
        l_job = l.job,
        l_ended = l.ended,
        l_cpu = l.cpu,
        l_gpu = l.gpu,
        l_mem = l.mem,
        l_tier = l.tier,
        l_amount = l.amount,
        rows = rows,
        l_subtotal = l.subtotal,
        subtotal = money(r.subtotal_minor),
        tax_label = escape(&r.tax_label),
        tax = money(r.tax_minor),
        l_total = l.total,
        total = money(r.total_minor),
    )
}

/// The handler.
pub async fn page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<PageParams>,
    headers: HeaderMap,
) -> Response {
    let p = match authorize(&state, &headers, &[Role::Admin, Role::Finance, Role::User]).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else {
        return plain_error(StatusCode::NOT_FOUND, "no such receipt");
    };
    let receipt = match state.services.receipts.get(&p, id).await {
        Ok(r) => r,
        Err(hpcb_core::CoreError::NotFound(_)) => return plain_error(StatusCode::NOT_FOUND, "no such receipt"),
        Err(e) => {
            tracing::error!(error = %e, "cannot load receipt");
            return plain_error(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
        }
    };
    let lines = match state.services.receipts.lines_of(&[id]).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(error = %e, "cannot load receipt lines");
            return plain_error(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
        }
    };
    let labels = if params.lang.as_deref() == Some("th") { &TH } else { &EN };
    (
        [(header::CACHE_CONTROL, "no-store")],
        Html(render(&receipt, &lines, labels)),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<script>\"a\" & 'b'</script>"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }
}
