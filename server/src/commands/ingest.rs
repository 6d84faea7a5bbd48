//! `hpc-billing ingest --source NAME --from … --to …`.

use super::Failure;
use crate::cli::exit;
use hpcb_core::context::{Actor, RequestMeta};
use hpcb_core::Services;

/// Parses `YYYY-MM-DD` (UTC midnight) or an RFC 3339 time into Unix ms.
pub fn parse_time(field: &str, s: &str) -> Result<i64, Failure> {
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        if let Some(t) = d.and_hms_opt(0, 0, 0) {
            return Ok(t.and_utc().timestamp_millis());
        }
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp_millis())
        .map_err(|_| {
            Failure::new(
                exit::USAGE,
                format!("--{field}: use YYYY-MM-DD or an RFC 3339 time, not {s:?}"),
            )
        })
}

/// Runs one ingestion window and prints the report.
pub async fn run(s: &Services, source: &str, from: &str, to: Option<&str>) -> Result<(), Failure> {
    let from = parse_time("from", from)?;
    let to = match to {
        Some(t) => parse_time("to", t)?,
        None => s.clock.now_ms(),
    };
    let r = s
        .ingest
        .run_now(Actor::System("cli"), &RequestMeta::cli(), source, from, to)
        .await
        .map_err(Failure::core)?;
    println!(
        "{}: {} records via {} in {} ms: {} new, {} changed, {} unchanged, {} rejected",
        r.source, r.fetched, r.source_used, r.duration_ms, r.inserted, r.updated, r.unchanged, r.rejected
    );
    for w in &r.warnings {
        println!("warning: {w}");
    }
    Ok(())
}
