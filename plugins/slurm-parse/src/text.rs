//! Small allocation-free helpers for reading fields: trimming and whole numbers, each with a
//! fast path for the plain ASCII that Slurm prints and the standard library's general rule
//! behind it, so the result is always exactly what `str::trim` or `str::parse` would give.

/// `text.trim()`, without scanning when both ends are visible ASCII (nearly every field).
#[inline]
pub(crate) fn trim(text: &str) -> &str {
    let bytes = text.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        (None, _) | (_, None) => text,
        _ => text.trim(),
    }
}

/// Whether `text.trim()` is empty, deciding from the first byte when it is visible ASCII.
#[inline]
pub(crate) fn is_blank(text: &str) -> bool {
    match text.as_bytes().first() {
        None => true,
        Some(first) if first.is_ascii_graphic() => false,
        Some(_) => text.trim().is_empty(),
    }
}

/// The value of 1 to 18 ASCII digits (so it cannot overflow); `None` for anything else.
#[inline]
pub(crate) fn plain_digits(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() || bytes.len() > 18 {
        return None;
    }
    let mut value: i64 = 0;
    for &b in bytes {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value * 10 + i64::from(digit);
    }
    Some(value)
}

/// `text.parse::<i64>().ok()`: plain digits are read directly, anything else (signs, 19 digits,
/// garbage) by the standard library, so the accepted forms are exactly the same.
#[inline]
pub(crate) fn parse_i64(text: &str) -> Option<i64> {
    match plain_digits(text.as_bytes()) {
        Some(value) => Some(value),
        None => text.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_as_the_standard_library() {
        for text in [
            "",
            " ",
            "a",
            " a ",
            "\u{a0}a",
            "a\u{2003}",
            "\u{b}x",
            "\u{1c}",
            "é",
            " é",
            "x ",
            "\t",
        ] {
            assert_eq!(trim(text), text.trim(), "{text:?}");
            assert_eq!(is_blank(text), text.trim().is_empty(), "{text:?}");
        }
        for text in [
            "0",
            "42",
            "+7",
            "-7",
            "",
            "+",
            "-",
            "1.5",
            " 1",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "123456789012345678",
            "٣",
        ] {
            assert_eq!(parse_i64(text), text.parse::<i64>().ok(), "{text:?}");
        }
    }
}
