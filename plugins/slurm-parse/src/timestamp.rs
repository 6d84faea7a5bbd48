//! Wall-clock times: sacct's zone-less `2026-11-21T23:45:43` (cluster-local) to Unix
//! milliseconds and back, with a fixed UTC offset, in integer arithmetic.

/// A fixed offset from UTC such as `+07:00`, in seconds east of UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UtcOffset {
    seconds: i64,
}

impl UtcOffset {
    /// UTC itself.
    pub const UTC: UtcOffset = UtcOffset { seconds: 0 };

    /// Parses `+HH:MM`, `-HH:MM`, `+HHMM`, `+HH` or `Z`; offsets beyond ±18 hours are refused.
    pub fn parse(text: &str) -> Result<UtcOffset, String> {
        let bad = || format!("not a UTC offset (expected like +07:00): {text:?}");
        let text = text.trim();
        if text == "Z" || text == "z" {
            return Ok(UtcOffset::UTC);
        }
        let (sign, rest) = match text.as_bytes().first() {
            Some(b'+') => (1, &text[1..]),
            Some(b'-') => (-1, &text[1..]),
            _ => return Err(bad()),
        };
        let (hours, minutes) = match (rest.len(), rest.split_once(':')) {
            (_, Some((h, m))) => (h, m),
            (4, None) => rest.split_at(2),
            (2, None) => (rest, "00"),
            _ => return Err(bad()),
        };
        let two_digits = |s: &str| {
            (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<i64>().ok())
                .flatten()
        };
        let (hours, minutes) = (two_digits(hours).ok_or_else(bad)?, two_digits(minutes).ok_or_else(bad)?);
        if hours > 18 || minutes > 59 {
            return Err(bad());
        }
        Ok(UtcOffset {
            seconds: sign * (hours * 3600 + minutes * 60),
        })
    }

    /// Seconds east of UTC.
    pub fn seconds(self) -> i64 {
        self.seconds
    }
}

/// Parses sacct's local time `YYYY-MM-DDTHH:MM:SS` into Unix milliseconds. `Unknown`, `None` and
/// the empty string (times Slurm does not know yet) are `Ok(None)`.
pub fn parse_local(text: &str, offset: UtcOffset) -> Result<Option<i64>, String> {
    let text = crate::text::trim(text);
    if text.is_empty() || text.eq_ignore_ascii_case("Unknown") || text.eq_ignore_ascii_case("None") {
        return Ok(None);
    }
    match local_seconds(text.as_bytes()) {
        Some(local_s) => Ok(Some((local_s - offset.seconds) * 1000)),
        None => Err(format!(
            "not a sacct time (expected like 2026-11-21T23:45:43): {text:?}"
        )),
    }
}

/// The seconds since 1970 of a valid `YYYY-MM-DDTHH:MM:SS` read as UTC; `None` for anything
/// else. Reads the bytes in place: three of these run for every sacct job line.
fn local_seconds(bytes: &[u8]) -> Option<i64> {
    match bytes {
        [date @ .., b'T', _, _, b':', _, _, b':', _, _] if date.len() == 10 => {
            Some(date_days(date)? * 86_400 + day_seconds(bytes.get(11..)?)?)
        }
        _ => None,
    }
}

/// The days since 1970-01-01 of a valid date `YYYY-MM-DD`; `None` for anything else.
pub(crate) fn date_days(date: &[u8]) -> Option<i64> {
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *date else {
        return None;
    };
    let (year, month, day) = (
        two_digits(y0, y1)? * 100 + two_digits(y2, y3)?,
        two_digits(m0, m1)?,
        two_digits(d0, d1)?,
    );
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

/// The day number of the first day of a valid month (`year`, `month` as their ASCII digits),
/// and the month's length in days; `None` when the digits are not digits or the month is not
/// 1 to 12. The day number of day `d` of the month is the first's plus `d - 1`.
pub(crate) fn month_start(year: [u8; 4], month: [u8; 2]) -> Option<(i64, i64)> {
    let [y0, y1, y2, y3] = year;
    let year = two_digits(y0, y1)? * 100 + two_digits(y2, y3)?;
    let month = two_digits(month[0], month[1])?;
    if !(1..=12).contains(&month) {
        return None;
    }
    Some((days_from_civil(year, month, 1), days_in_month(year, month)))
}

/// The seconds since midnight of a valid time `HH:MM:SS` (a leap second `:60` allowed); `None`
/// for anything else.
pub(crate) fn day_seconds(clock: &[u8]) -> Option<i64> {
    let [h0, h1, b':', m0, m1, b':', s0, s1] = *clock else {
        return None;
    };
    let (hour, minute, second) = (two_digits(h0, h1)?, two_digits(m0, m1)?, two_digits(s0, s1)?);
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some(hour * 3600 + minute * 60 + second)
}

/// The value of two ASCII digits.
#[inline]
pub(crate) fn two_digits(tens: u8, ones: u8) -> Option<i64> {
    let (tens, ones) = (tens.wrapping_sub(b'0'), ones.wrapping_sub(b'0'));
    (tens < 10 && ones < 10).then(|| i64::from(tens) * 10 + i64::from(ones))
}

/// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SS` in the given offset (for `sacct -S/-E` and
/// slurmrestd's `start_time`/`end_time`).
pub fn format_local(unix_s: i64, offset: UtcOffset) -> String {
    let local = unix_s + offset.seconds;
    let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Days in a month of the proleptic Gregorian calendar.
fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01 (inverse of [`days_from_civil`]).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sacct_times_with_offsets() {
        // 2026-11-21T23:45:43Z, checked against `date -u -d @1795304743`
        assert_eq!(
            parse_local("2026-11-21T23:45:43", UtcOffset::UTC),
            Ok(Some(1_795_304_743_000))
        );
        let bangkok = UtcOffset::parse("+07:00").expect("valid");
        assert_eq!(parse_local("2026-11-22T06:45:43", bangkok), Ok(Some(1_795_304_743_000)));
        let west = UtcOffset::parse("-0330").expect("valid");
        assert_eq!(west.seconds(), -12_600);
        assert_eq!(parse_local("1970-01-01T00:00:00", UtcOffset::UTC), Ok(Some(0)));
        assert_eq!(
            parse_local("2024-02-29T12:00:00", UtcOffset::UTC),
            Ok(Some(1_709_208_000_000))
        );
        assert_eq!(parse_local("Unknown", UtcOffset::UTC), Ok(None));
        assert_eq!(parse_local("None", UtcOffset::UTC), Ok(None));
        assert_eq!(parse_local("", UtcOffset::UTC), Ok(None));
    }

    #[test]
    fn month_starts_and_lengths_give_every_date() {
        for year in [1970, 1999, 2000, 2024, 2026, 2100] {
            for month in 1..=12 {
                let text = format!("{year:04}-{month:02}");
                let bytes = text.as_bytes();
                let (start, length) =
                    month_start([bytes[0], bytes[1], bytes[2], bytes[3]], [bytes[5], bytes[6]]).expect("valid");
                for day in 1..=31 {
                    let date = format!("{text}-{day:02}");
                    let expected = date_days(date.as_bytes());
                    assert_eq!((day <= length).then_some(start + day - 1), expected, "{date}");
                }
            }
        }
        assert_eq!(month_start(*b"2026", *b"13"), None);
        assert_eq!(month_start(*b"2026", *b"00"), None);
        assert_eq!(month_start(*b"20x6", *b"01"), None);
    }

    #[test]
    fn formatting_round_trips() {
        let offset = UtcOffset::parse("+07").expect("valid");
        for unix_s in [0, 1_795_304_743, 951_782_400, 4_102_444_800, -86_401] {
            let text = format_local(unix_s, offset);
            assert_eq!(parse_local(&text, offset), Ok(Some(unix_s * 1000)), "{text}");
        }
        assert_eq!(format_local(1_795_304_743, UtcOffset::UTC), "2026-11-21T23:45:43");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for text in [
            "2026-11-21 23:45:43",
            "2026-13-01T00:00:00",
            "2026-02-30T00:00:00",
            "2026-11-21T24:00:00",
            "2026-11-21T23:45",
            "x",
            "2026-11-21T23:45:4é",
            "20P6-11-21T23:45:43",
            "2026-11-21T2~:45:43",
        ] {
            assert!(parse_local(text, UtcOffset::UTC).is_err(), "{text:?} must be refused");
        }
        for text in ["", "07:00", "+7:00", "+19:00", "+07:60", "UTC", "+0700x"] {
            assert!(UtcOffset::parse(text).is_err(), "{text:?} must be refused");
        }
    }
}
