//! A whole `/slurmdb/vX/jobs` HTTP answer: status, `errors[]`, `warnings[]` and `jobs[]`.

use std::fmt;

use serde_json::Value;

use super::job::read_job;
use crate::window::in_window;
use crate::FetchOutput;

/// Why a jobs answer is unusable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseError {
    /// HTTP 404: the server does not serve this API version (or path).
    NotServed,
    /// Any other failure: a non-2xx status, a body that is not a jobs document, or an HTTP 200
    /// whose `errors[]` is not empty (slurmdbd reports bad tokens that way on 22.05).
    Failed(String),
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseError::NotServed => f.write_str("HTTP 404: this API version is not served"),
            ResponseError::Failed(why) => f.write_str(why),
        }
    }
}

/// Reads a jobs answer into records plus warnings: the server's own `warnings[]` (except "found
/// nothing"), and one per job that could not be read. An empty result is not an error in any
/// version (v0.0.38 reports it as error 9003 "Nothing found").
pub fn parse_jobs_response(status: u16, body: &str) -> Result<FetchOutput, ResponseError> {
    parse(status, body, None)
}

/// Like [`parse_jobs_response`], keeping only the jobs of the window `[from_ms, to_ms)` as sacct
/// lists them for it: ended inside it, or not ended yet ([`in_window`]), and eligible before
/// its end. (Slurm counts a job from its eligible time: a `--begin` job that is not yet
/// eligible, or was cancelled before it became so, is not in the window; it never ran.)
pub fn parse_jobs_in_window(status: u16, body: &str, from_ms: i64, to_ms: i64) -> Result<FetchOutput, ResponseError> {
    parse(status, body, Some((from_ms, to_ms)))
}

/// Both of the above.
fn parse(status: u16, body: &str, window: Option<(i64, i64)>) -> Result<FetchOutput, ResponseError> {
    if status == 404 {
        return Err(ResponseError::NotServed);
    }
    let document: Option<Value> = serde_json::from_str(body).ok();
    if !(200..300).contains(&status) {
        let detail = document
            .as_ref()
            .and_then(|doc| error_text(doc.get("errors")))
            .unwrap_or_else(|| snippet(body));
        return Err(ResponseError::Failed(format!("HTTP {status}: {detail}")));
    }
    let Some(document) = document else {
        return Err(ResponseError::Failed(format!(
            "HTTP {status} but the body is not JSON: {}",
            snippet(body)
        )));
    };
    if let Some(errors) = error_text(document.get("errors")) {
        return Err(ResponseError::Failed(format!("slurmrestd reported: {errors}")));
    }
    let mut out = FetchOutput::default();
    for warning in entries(document.get("warnings")) {
        let text = describe(warning);
        if !text.is_empty() && !is_nothing_found(&text) {
            out.warnings.push(format!("slurmrestd warning: {text}"));
        }
    }
    let jobs = match document.get("jobs") {
        Some(Value::Array(jobs)) => jobs.as_slice(),
        _ => return Err(ResponseError::Failed("the answer has no jobs list".to_owned())),
    };
    for (i, job) in jobs.iter().enumerate() {
        match read_job(job) {
            Ok((record, eligible)) => {
                let keep =
                    window.is_none_or(|(from, to)| in_window(&record, from, to) && eligible.is_none_or(|at| at < to));
                if keep {
                    out.jobs.push(record);
                }
            }
            Err(why) => out.warnings.push(format!("jobs[{i}]: {why}; job skipped")),
        }
    }
    Ok(out)
}

/// The entries of an `errors`/`warnings` list (`null` and absent mean none).
fn entries(list: Option<&Value>) -> &[Value] {
    list.and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
}

/// The `errors[]` as one line, leaving out "Nothing found"; `None` when nothing is left.
fn error_text(errors: Option<&Value>) -> Option<String> {
    let texts: Vec<String> = entries(errors)
        .iter()
        .filter(|error| number_of(error) != Some(9003))
        .map(describe)
        .filter(|text| !is_nothing_found(text))
        .collect();
    (!texts.is_empty()).then(|| texts.join("; "))
}

/// The error number of an entry, when it has one.
fn number_of(entry: &Value) -> Option<i64> {
    entry.get("error_number").and_then(Value::as_i64)
}

/// One error or warning as text: its description and error, with the number.
fn describe(entry: &Value) -> String {
    let field = |name: &str| entry.get(name).and_then(Value::as_str).unwrap_or_default().trim();
    let mut text = match (field("description"), field("error")) {
        ("", error) => error.to_owned(),
        (description, "") => description.to_owned(),
        (description, error) if description == error => description.to_owned(),
        (description, error) => format!("{error}: {description}"),
    };
    if let Some(number) = number_of(entry) {
        text.push_str(&format!(" (error {number})"));
    }
    if text.is_empty() {
        text = entry.to_string();
    }
    text
}

/// Whether a message only says the query matched no job.
fn is_nothing_found(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.contains("nothing found") || lower.contains("found nothing")
}

/// The start of a body, for error messages.
fn snippet(body: &str) -> String {
    let trimmed = body.trim();
    match trimmed.char_indices().nth(200) {
        Some((at, _)) => format!("{}…", &trimmed[..at]),
        None => trimmed.to_owned(),
    }
}
