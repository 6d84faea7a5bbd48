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
/// empty string. Anything else is an error naming the text, including a duration too long for
/// `i64` milliseconds (about 292 million years), which cannot be a real one.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = crate::text::trim(text);
    if text.is_empty() || text.eq_ignore_ascii_case("INVALID") {
        return Ok(Duration::Unknown);
    }
    if text.eq_ignore_ascii_case("UNLIMITED") || text.eq_ignore_ascii_case("Partition_Limit") {
        return Ok(Duration::Unlimited);
    }
    clock_millis(text)
        .map(Duration::Millis)
        .ok_or_else(|| format!("not a Slurm duration: {text:?}"))
}

/// The milliseconds of the duration shapes sacct prints for TotalCPU and Elapsed, read at fixed
/// positions: `MM:SS.fff`, `HH:MM:SS`, `HH:MM:SS.fff`, each optionally after `D-` or `DD-`.
/// `None` for any other text, which [`parse_duration`] then reads; for these shapes both give
/// the same value.
pub(crate) fn quick_millis(text: &str) -> Option<i64> {
    let (days, clock) = match text.as_bytes() {
        &[d, b'-', ref clock @ ..] => (Some(digit(d)?), clock),
        &[d0, d1, b'-', ref clock @ ..] => (Some(digit(d0)? * 10 + digit(d1)?), clock),
        clock => (None, clock),
    };
    let (hours, minutes, seconds, millis) = match *clock {
        [m0, m1, b':', s0, s1, b'.', f0, f1, f2] if days.is_none() => {
            (0, two(m0, m1)?, two(s0, s1)?, three(f0, f1, f2)?)
        }
        [h0, h1, b':', m0, m1, b':', s0, s1] => (two(h0, h1)?, two(m0, m1)?, two(s0, s1)?, 0),
        [h0, h1, b':', m0, m1, b':', s0, s1, b'.', f0, f1, f2] => {
            (two(h0, h1)?, two(m0, m1)?, two(s0, s1)?, three(f0, f1, f2)?)
        }
        _ => return None,
    };
    if minutes >= 60 || seconds >= 60 || (days.is_some() && hours >= 24) {
        return None;
    }
    let days = days.unwrap_or(0);
    Some((((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000 + millis)
}

/// The value of an ASCII digit.
#[inline]
fn digit(b: u8) -> Option<i64> {
    let value = b.wrapping_sub(b'0');
    (value < 10).then_some(i64::from(value))
}

/// The value of two ASCII digits.
#[inline]
fn two(tens: u8, ones: u8) -> Option<i64> {
    Some(digit(tens)? * 10 + digit(ones)?)
}

/// The value of three ASCII digits.
#[inline]
fn three(hundreds: u8, tens: u8, ones: u8) -> Option<i64> {
    Some(digit(hundreds)? * 100 + two(tens, ones)?)
}

/// The milliseconds of a finite duration text; `None` when it is not one. One pass over the
/// bytes (this runs for every sacct line): an optional `days-`, two or three `:`-separated runs
/// of 1 to 12 digits (`MM:SS` only without days), an optional `.fraction` of digits.
fn clock_millis(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let (days, clock, has_days) = match bytes.iter().position(|&b| b == b'-') {
        Some(dash) => (digits(bytes.get(..dash)?)?, bytes.get(dash + 1..)?, true),
        None => (0, bytes, false),
    };
    let mut parts = [0i64; 3];
    let mut count = 0;
    let (mut value, mut length) = (0i64, 0usize);
    let mut fraction_ms = 0;
    for (at, &b) in clock.iter().enumerate() {
        match b {
            b'0'..=b'9' if length < 12 => {
                value = value * 10 + i64::from(b - b'0');
                length += 1;
            }
            b':' if length > 0 && count < 2 => {
                *parts.get_mut(count)? = value;
                count += 1;
                (value, length) = (0, 0);
            }
            b'.' => {
                fraction_ms = fraction_millis(clock.get(at + 1..)?)?;
                break;
            }
            _ => return None,
        }
    }
    if length == 0 {
        return None;
    }
    *parts.get_mut(count)? = value;
    let (hours, minutes, seconds) = match (count, parts) {
        (2, [h, m, s]) => (h, m, s),
        // `MM:SS` only exists without a day part
        (1, [m, s, _]) if !has_days => (0, m, s),
        _ => return None,
    };
    if minutes >= 60 || seconds >= 60 || (has_days && hours >= 24) {
        return None;
    }
    let total_s = days
        .checked_mul(24)?
        .checked_add(hours)?
        .checked_mul(3600)?
        .checked_add(minutes * 60 + seconds)?;
    total_s.checked_mul(1000)?.checked_add(fraction_ms)
}

/// A non-empty run of at most 12 ASCII digits.
fn digits(bytes: &[u8]) -> Option<i64> {
    if bytes.len() > 12 {
        return None;
    }
    crate::text::plain_digits(bytes)
}

/// The milliseconds of a fraction's digits: `"5"` is 500, `"530448"` is 530.
fn fraction_millis(fraction: &[u8]) -> Option<i64> {
    if fraction.is_empty() || !fraction.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut ms = 0;
    for (&b, scale) in fraction.iter().zip([100, 10, 1]) {
        ms += i64::from(b - b'0') * scale;
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
        assert_eq!(ms("106751991167-00:00:00"), 106_751_991_167 * 86_400_000);
        assert_eq!(ms("999999999999:00:00"), 999_999_999_999 * 3_600_000);
    }

    #[test]
    fn quick_shapes_agree_with_the_general_reader() {
        for text in [
            "12:34.567",
            "00:00:02",
            "01:02:03.004",
            "1-02:03:04.567",
            "12-23:59:59",
            "99-00:00:00.000",
            "59:59.999",
            "60:00.000",
            "00:60.000",
            "1-24:00:00",
            "23:61:00",
            "1:2.5",
            "a1:22.333",
            "12:34.5x7",
            "123-00:00:00",
            "-1:00:00",
            "1--00:00:00",
        ] {
            let general = parse_duration(text).ok().and_then(Duration::millis);
            match quick_millis(text) {
                Some(ms) => assert_eq!(Some(ms), general, "{text:?}"),
                None => assert!(
                    !matches!(
                        text,
                        "12:34.567" | "00:00:02" | "01:02:03.004" | "1-02:03:04.567" | "12-23:59:59"
                    ),
                    "{text:?} should be quick"
                ),
            }
        }
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
            "999999999999-00:00:00",
            "106751991168-00:00:00",
        ] {
            assert!(parse_duration(text).is_err(), "{text:?} must be refused");
        }
    }
}
