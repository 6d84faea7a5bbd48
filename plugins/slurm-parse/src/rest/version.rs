//! The slurmrestd API versions this reader supports, and the request paths for each.

use std::fmt;

use crate::timestamp::{format_local, UtcOffset};

/// A slurmrestd data API version, `v0.0.38` (Slurm 22.05) to `v0.0.45` (Slurm 26.05).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiVersion {
    minor: u8,
}

/// How far before and after a window the query reaches when the server reads times in its own,
/// unknown, time zone (every zone lies within 14 hours of UTC); records are then filtered on
/// their exact epoch times.
const ZONE_SLACK_S: i64 = 14 * 3600;

impl ApiVersion {
    /// The oldest supported version.
    pub const OLDEST: ApiVersion = ApiVersion { minor: 38 };
    /// The newest supported version.
    pub const NEWEST: ApiVersion = ApiVersion { minor: 45 };

    /// Every supported version, newest first: the order to try them in when negotiating.
    pub fn newest_first() -> impl Iterator<Item = ApiVersion> {
        (Self::OLDEST.minor..=Self::NEWEST.minor)
            .rev()
            .map(|minor| ApiVersion { minor })
    }

    /// Parses `"v0.0.40"` (or `"0.0.40"`); versions outside v0.0.38..v0.0.45 are refused.
    pub fn parse(text: &str) -> Result<ApiVersion, String> {
        let minor = text
            .trim()
            .trim_start_matches('v')
            .strip_prefix("0.0.")
            .and_then(|minor| minor.parse::<u8>().ok())
            .ok_or_else(|| format!("not a slurmrestd API version (like v0.0.40): {text:?}"))?;
        let version = ApiVersion { minor };
        if !(Self::OLDEST..=Self::NEWEST).contains(&version) {
            return Err(format!("API version {text} is not supported (v0.0.38 to v0.0.45 are)"));
        }
        Ok(version)
    }

    /// Whether `start_time`/`end_time` accept Unix seconds (v0.0.42 and later; older versions
    /// answer 422 or 500 "Unable to parse time format").
    pub fn accepts_epoch_times(self) -> bool {
        self.minor >= 42
    }

    /// Whether an empty result comes as error 9003 "Nothing found" (v0.0.38) rather than as a
    /// warning (v0.0.39 and later).
    pub fn nothing_found_is_an_error(self) -> bool {
        self.minor <= 38
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v0.0.{}", self.minor)
    }
}

/// The path and query of `GET /slurmdb/{version}/jobs` for jobs that existed during
/// `[from_ms, to_ms)`. From v0.0.42 the bounds are exact Unix seconds; before, they are UTC wall
/// times widened by 14 hours on each side (the server reads them in its own zone), with `:`
/// percent-encoded as slurmrestd requires. No user filter: v0.0.38 has none.
pub fn jobs_path(version: ApiVersion, from_ms: i64, to_ms: i64) -> String {
    let from_s = from_ms.div_euclid(1000);
    let to_s = to_ms.div_euclid(1000) + i64::from(to_ms.rem_euclid(1000) != 0);
    let (start, end) = if version.accepts_epoch_times() {
        (from_s.to_string(), to_s.to_string())
    } else {
        (
            encode(&format_local(from_s - ZONE_SLACK_S, UtcOffset::UTC)),
            encode(&format_local(to_s + ZONE_SLACK_S, UtcOffset::UTC)),
        )
    };
    format!("/slurmdb/{version}/jobs?start_time={start}&end_time={end}")
}

/// The cheap request that tells whether a server serves `version` and accepts our token: the
/// jobs of one second in 2000 (HTTP 404 when the version is not served; otherwise an empty
/// result). `/slurmdb/vX/diag` is no use here: it needs an administrator (v0.0.38 answers a
/// non-admin's token with 500 "Access/permission denied", observed on 22.05.8).
pub fn probe_path(version: ApiVersion) -> String {
    format!("/slurmdb/{version}/jobs?start_time=2000-01-01T00%3A00%3A00&end_time=2000-01-01T00%3A00%3A01")
}

/// Percent-encodes the characters of a time value that slurmrestd refuses raw.
fn encode(value: &str) -> String {
    value.replace(':', "%3A").replace('+', "%2B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_order() {
        let all: Vec<String> = ApiVersion::newest_first().map(|v| v.to_string()).collect();
        assert_eq!(all.first().map(String::as_str), Some("v0.0.45"));
        assert_eq!(all.last().map(String::as_str), Some("v0.0.38"));
        assert_eq!(all.len(), 8);
        assert_eq!(
            ApiVersion::parse("v0.0.40").map(|v| v.to_string()),
            Ok("v0.0.40".into())
        );
        assert!(ApiVersion::parse("v0.0.37").is_err());
        assert!(ApiVersion::parse("v0.0.46").is_err());
        assert!(ApiVersion::parse("v1").is_err());
        assert!(ApiVersion::parse("").is_err());
    }

    #[test]
    fn paths_per_version() {
        let v38 = ApiVersion::parse("v0.0.38").expect("supported");
        let v42 = ApiVersion::parse("v0.0.42").expect("supported");
        // 2026-11-22T00:31:00Z .. 00:33:30.5Z
        assert_eq!(
            jobs_path(v38, 1_795_307_460_000, 1_795_307_610_500),
            "/slurmdb/v0.0.38/jobs?start_time=2026-11-21T10%3A31%3A00&end_time=2026-11-22T14%3A33%3A31"
        );
        assert_eq!(
            jobs_path(v42, 1_795_307_460_000, 1_795_307_610_500),
            "/slurmdb/v0.0.42/jobs?start_time=1795307460&end_time=1795307611"
        );
        assert!(probe_path(v42).starts_with("/slurmdb/v0.0.42/jobs?"));
    }
}
