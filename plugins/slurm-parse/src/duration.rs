//! Slurm's duration texts (`Elapsed`, `TotalCPU`, `Timelimit`) as integer milliseconds.

/// A duration as Slurm prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duration {
    /// A finite duration in milliseconds.
    Millis(i64),
    /// `UNLIMITED` (and `Partition_Limit`): no limit.
    Unlimited,
    /// Empty or `INVALID`: Slurm does not know.
    Unknown,
}

impl Duration {
    /// The milliseconds of a finite duration.
    pub fn millis(self) -> Option<i64> {
        match self {
            Duration::Millis(ms) => Some(ms),
            Duration::Unlimited | Duration::Unknown => None,
        }
    }

    /// The whole seconds of a finite duration (fractions dropped).
    pub fn seconds(self) -> Option<i64> {
        self.millis().map(|ms| ms / 1000)
    }
}

/// Parses `D-HH:MM:SS`, `HH:MM:SS`, `MM:SS`, each with an optional fraction (`.fff`, kept to the
/// millisecond, extra digits dropped), plus `UNLIMITED`, `Partition_Limit`, `INVALID` and the
/// empty string. Anything else is an error naming the text.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("INVALID") {
        return Ok(Duration::Unknown);
    }
    if text.eq_ignore_ascii_case("UNLIMITED") || text.eq_ignore_ascii_case("Partition_Limit") {
        return Ok(Duration::Unlimited);
    }
    let bad = || format!("not a Slurm duration: {text:?}");
    let (days, clock) = match text.split_once('-') {
        Some((days, clock)) => (digits(days).ok_or_else(bad)?, clock),
        None => (0, text),
    };
    let (whole, fraction_ms) = match clock.split_once('.') {
        Some((whole, fraction)) => (whole, fraction_millis(fraction).ok_or_else(bad)?),
        None => (clock, 0),
    };
    let parts = whole
        .split(':')
        .map(digits)
        .collect::<Option<Vec<i64>>>()
        .ok_or_else(bad)?;
    let (hours, minutes, seconds) = match parts.as_slice() {
        [h, m, s] => (*h, *m, *s),
        // `MM:SS` only exists without a day part
        [m, s] if days == 0 && !text.contains('-') => (0, *m, *s),
        _ => return Err(bad()),
    };
    if minutes >= 60 || seconds >= 60 || (text.contains('-') && hours >= 24) {
        return Err(bad());
    }
    let total_s = ((days * 24 + hours) * 60 + minutes) * 60 + seconds;
    Ok(Duration::Millis(total_s * 1000 + fraction_ms))
}

/// A non-empty run of ASCII digits (at most 12, so arithmetic cannot overflow).
fn digits(text: &str) -> Option<i64> {
    if text.is_empty() || text.len() > 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The milliseconds of a fraction's digits: `"5"` is 500, `"530448"` is 530.
fn fraction_millis(fraction: &str) -> Option<i64> {
    if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut ms = 0;
    for (i, b) in fraction.bytes().take(3).enumerate() {
        ms += i64::from(b - b'0') * [100, 10, 1][i];
    }
    Some(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> i64 {
        parse_duration(text).expect("valid duration").millis().expect("finite")
    }

    #[test]
    fn every_format_sacct_prints() {
        assert_eq!(ms("00:00:02"), 2_000);
        assert_eq!(ms("00:02.530"), 2_530);
        assert_eq!(ms("01:11"), 71_000);
        assert_eq!(ms("1-02:03:04"), ((26 * 60 + 3) * 60 + 4) * 1000);
        assert_eq!(ms("12-00:00:00.5"), 12 * 86_400_000 + 500);
        assert_eq!(ms("00:00.0041"), 4);
        assert_eq!(ms("100:00:00"), 360_000_000);
    }

    #[test]
    fn words_and_empty() {
        assert_eq!(parse_duration("UNLIMITED"), Ok(Duration::Unlimited));
        assert_eq!(parse_duration("Partition_Limit"), Ok(Duration::Unlimited));
        assert_eq!(parse_duration("INVALID"), Ok(Duration::Unknown));
        assert_eq!(parse_duration(""), Ok(Duration::Unknown));
        assert_eq!(parse_duration("  "), Ok(Duration::Unknown));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for text in [
            "x",
            "1:2:3:4",
            "-01:00:00",
            "1-",
            "00:61",
            "00:00:60",
            "1-24:00:00",
            "5",
            "1.5",
            "00:00.",
            "00:00.x",
            "99999999999999-00:00:00",
            "1-00:00",
            ":",
            "٣:00",
        ] {
            assert!(parse_duration(text).is_err(), "{text:?} must be refused");
        }
    }
}
