//! `GET /receipts/{id}?lang=en|th`: a printable receipt (HTML with print CSS) in English or
//! Thai, for its owner, admin and finance.

use super::export::{authorize, plain_error};
use super::texts::{text, Lang};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use hpcb_core::auth::Role;
use hpcb_core::money::format_minor;
use hpcb_core::pricing::{hours, per_hour};
use hpcb_core::receipts::{Receipt, ReceiptLine};
use serde::Deserialize;

/// The language of the page.
#[derive(Debug, Default, Deserialize)]
pub struct PageParams {
    lang: Option<String>,
}

/// The page's labels, in one language (from the text catalogs).
struct Labels {
    title: String,
    number: String,
    billed_to: String,
    issued: String,
    cutoff: String,
    status: String,
    job: String,
    ended: String,
    cpu: String,
    gpu: String,
    mem: String,
    tier: String,
    amount: String,
    subtotal: String,
    total: String,
    print: String,
}

impl Labels {
    fn of(lang: Lang) -> Labels {
        let t = |key: &str| text(lang, &format!("server.receipt.{key}"));
        Labels {
            title: t("title"),
            number: t("number"),
            billed_to: t("billedTo"),
            issued: t("issued"),
            cutoff: t("cutoff"),
            status: t("status"),
            job: t("job"),
            ended: t("ended"),
            cpu: t("cpu"),
            gpu: t("gpu"),
            mem: t("mem"),
            tier: t("tier"),
            amount: t("amount"),
            subtotal: t("subtotal"),
            total: t("total"),
            print: t("print"),
        }
    }
}

/// One billed job on the page.
struct Row {
    job: String,
    ended: String,
    cpu: String,
    gpu: String,
    mem: String,
    tier: String,
    amount: String,
}

/// The printable receipt (`server/templates/receipt.html`; askama escapes every value).
#[derive(Template)]
#[template(path = "receipt.html")]
struct ReceiptPage {
    lang: &'static str,
    l: Labels,
    number: String,
    user: String,
    issued: String,
    cutoff: String,
    status_class: String,
    status: String,
    rows: Vec<Row>,
    subtotal: String,
    tax_label: String,
    tax: String,
    total: String,
}

fn date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// Renders a receipt; `None` (logged) if the template fails.
fn render(r: &Receipt, lines: &[ReceiptLine], lang: Lang) -> Option<String> {
    let c = r.currency;
    let money = |m: i64| format!("{} {}", format_minor(m, c), c);
    let rows = lines
        .iter()
        .map(|line| Row {
            job: format!("{}/{}", line.cluster, line.job_id),
            ended: date(line.end_at),
            cpu: hours(line.cpu_ms, per_hour::CPU_MS).to_string(),
            gpu: hours(line.gpu_s, per_hour::GPU_S).to_string(),
            mem: hours(line.mem_kib_s, per_hour::MEM_KIB_S).to_string(),
            tier: line.tier.clone(),
            amount: money(line.cost_minor),
        })
        .collect();
    let page = ReceiptPage {
        lang: lang.code(),
        l: Labels::of(lang),
        number: r.number.clone(),
        user: r.username.clone(),
        issued: date(r.created_at),
        cutoff: date(r.ended_before),
        status_class: r.status.clone(),
        status: text(lang, &format!("common.status.{}", r.status)),
        rows,
        subtotal: money(r.subtotal_minor),
        tax_label: r.tax_label.clone(),
        tax: money(r.tax_minor),
        total: money(r.total_minor),
    };
    page.render()
        .map_err(|e| tracing::error!(error = %e, "cannot render the receipt page"))
        .ok()
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
    match render(&receipt, &lines, Lang::from_param(params.lang.as_deref())) {
        Some(html) => ([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        None => plain_error(StatusCode::INTERNAL_SERVER_ERROR, "the receipt page could not be made"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt(user: &str, status: &str) -> Receipt {
        Receipt {
            id: 7,
            number: "INV-2026-000007".into(),
            year: 2026,
            username: user.into(),
            status: status.into(),
            currency: hpcb_entities::Currency::THB,
            subtotal_minor: 125_050,
            tax_minor: 8_754,
            total_minor: 133_804,
            tax_rate: "0.07".into(),
            tax_label: "VAT 7%".into(),
            tax_inclusive: false,
            ended_before: 1_796_000_000_000,
            period_month: None,
            created_at: 1_796_100_000_000,
            created_by: user.into(),
            paid_at: None,
            paid_method: None,
            paid_reference: None,
            voided_at: None,
            void_reason: None,
            updated_at: 1_796_100_000_000,
        }
    }

    fn line(job: &str, tier: &str, cost_minor: i64) -> ReceiptLine {
        ReceiptLine {
            id: 1,
            receipt_id: 7,
            cluster: "lab".into(),
            job_key: job.into(),
            job_id: job.into(),
            end_at: 1_795_900_000_000,
            cpu_ms: 36_000_000,
            gpu_s: 3_600,
            mem_kib_s: 1_048_576 * 7_200,
            tier: tier.into(),
            rate_id: Some(1),
            cpu_rate: "1".into(),
            gpu_rate: "5".into(),
            mem_rate: "0.5".into(),
            cost_minor,
            content_hash: String::new(),
        }
    }

    #[test]
    fn the_printable_receipt_in_english_and_thai() {
        let lines = [line("1234", "mu", 1_600), line("1235_7", "private", 123_450)];
        insta::assert_snapshot!(
            "receipt_en",
            render(&receipt("alice", "pending"), &lines, Lang::En).expect("rendered")
        );
        insta::assert_snapshot!(
            "receipt_th",
            render(&receipt("alice", "paid"), &lines, Lang::Th).expect("rendered")
        );
    }

    #[test]
    fn what_users_typed_is_escaped() {
        let html = render(
            &receipt("<script>alert(1)</script>", "pending"),
            &[line("9\"><b>", "mu", 1)],
            Lang::En,
        )
        .expect("rendered");
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "{html}");
        assert!(!html.contains("\"><b>"), "{html}");
    }
}
