//! The JSON of the usage-source protocol shared by the Slurm plugins (`plugins/usage-sources.md`):
//! the `probe` answer and the `fetch` request.

use serde::{Deserialize, Serialize};

/// The method that checks a source is reachable.
pub const PROBE: &str = "probe";
/// The method that returns the jobs of a window.
pub const FETCH: &str = "fetch";

/// The answer of `probe`: `{"ok": true, "detail": "...", "api_version": "v0.0.40" | null}`.
/// Reachability problems are answered with `ok: false` and the reason, not with an error, so an
/// operator's "test connection" shows why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeAnswer {
    /// Whether the source answered as expected.
    pub ok: bool,
    /// One line for operators: what was checked, or why it failed.
    pub detail: String,
    /// The slurmrestd API version in use (negotiated or configured); `None` for other sources.
    pub api_version: Option<String>,
}

/// The request of `fetch`: `{"from": <unix ms>, "to": <unix ms>}`, the window `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchRequest {
    /// Start of the window, Unix milliseconds, inclusive.
    pub from: i64,
    /// End of the window, Unix milliseconds, exclusive.
    pub to: i64,
}

impl FetchRequest {
    /// Reads the request; a missing or non-integer bound, or `from > to`, is an error message.
    pub fn from_json(request: &serde_json::Value) -> Result<FetchRequest, String> {
        let request: FetchRequest = serde_json::from_value(request.clone())
            .map_err(|err| format!("fetch wants {{\"from\": <unix ms>, \"to\": <unix ms>}}: {err}"))?;
        if request.from > request.to {
            return Err(format!(
                "fetch window is inverted: from {} > to {}",
                request.from, request.to
            ));
        }
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fetch_requests() {
        assert_eq!(
            FetchRequest::from_json(&json!({"from": 1, "to": 2})),
            Ok(FetchRequest { from: 1, to: 2 })
        );
        assert!(FetchRequest::from_json(&json!({"from": 2, "to": 1})).is_err());
        assert!(FetchRequest::from_json(&json!({"from": "1", "to": 2})).is_err());
        assert!(FetchRequest::from_json(&json!({})).is_err());
        assert!(FetchRequest::from_json(&json!(null)).is_err());
    }
}
