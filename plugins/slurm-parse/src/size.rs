//! Memory and energy amounts as Slurm prints them (`500M`, `1.50G`, `3289088`, `10424K`), read
//! into exact integers without floating point.

/// The unit a number without suffix is in; Slurm's meaning of a bare number depends on the field
/// and on options such as `sacct --noconvert`, so the caller says which it asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BareUnit {
    /// Bytes (`AveRSS` with `--noconvert`).
    Bytes,
    /// KiB (`AveRSS` in sacct's default output, as the predecessor read it).
    KiB,
    /// MiB (the `mem=` TRES and `ReqMem`).
    MiB,
}

impl BareUnit {
    /// The number of bytes in one unit.
    pub(crate) fn bytes(self) -> u128 {
        match self {
            BareUnit::Bytes => 1,
            BareUnit::KiB => 1 << 10,
            BareUnit::MiB => 1 << 20,
        }
    }
}

/// Parses a memory amount into bytes (rounded to the nearest byte): a decimal number with an
/// optional binary suffix `K`, `M`, `G`, `T`, `P` (either case; 1024-based, as Slurm means
/// them), otherwise in `bare`. An amount beyond `u128` bytes is an error, not a wrap.
pub fn parse_bytes(text: &str, bare: BareUnit) -> Result<u128, String> {
    let text = crate::text::trim(text);
    let (number, unit) = match text.as_bytes().split_last() {
        // a multi-byte character's last byte is not ASCII, so this is the last character
        Some((&suffix, number)) if suffix.is_ascii_alphabetic() => {
            let power = match suffix.to_ascii_uppercase() {
                b'K' => 1,
                b'M' => 2,
                b'G' => 3,
                b'T' => 4,
                b'P' => 5,
                _ => return Err(format!("unknown size suffix in {text:?}")),
            };
            (number, 1u128 << (10 * power))
        }
        _ => (text.as_bytes(), bare.bytes()),
    };
    // whole numbers (what sacct prints) directly: at most 10^18 × 2^50, far inside u128
    if let Some(whole) = crate::text::plain_digits(number) {
        return Ok(whole.unsigned_abs() as u128 * unit);
    }
    let (numerator, denominator) = decimal(number).ok_or_else(|| format!("not a size: {text:?}"))?;
    numerator
        .checked_mul(unit)
        .and_then(|exact| round_div(exact, denominator))
        .ok_or_else(|| format!("amount out of range: {text:?}"))
}

/// Parses a memory amount into whole MiB (rounded to the nearest), bare numbers being MiB.
pub fn parse_mib(text: &str) -> Result<i64, String> {
    let bytes = parse_bytes(text, BareUnit::MiB)?;
    to_i64(round_div(bytes, 1 << 20).unwrap_or(u128::MAX), text)
}

/// Parses an energy amount in joules: a plain integer, or a number with a decimal suffix `K`,
/// `M`, `G` (1000-based, as sacct's `ConsumedEnergy` prints it), rounded to the nearest joule.
pub fn parse_joules(text: &str) -> Result<i64, String> {
    let text = crate::text::trim(text);
    let (number, unit) = match text.as_bytes().split_last() {
        Some((b'K' | b'k', number)) => (number, 1_000u128),
        Some((b'M', number)) => (number, 1_000_000),
        Some((b'G', number)) => (number, 1_000_000_000),
        _ => (text.as_bytes(), 1),
    };
    let (numerator, denominator) = decimal(number).ok_or_else(|| format!("not an energy amount: {text:?}"))?;
    // at most 10^27 × 10^9: far inside u128
    let exact = numerator.saturating_mul(unit);
    to_i64(round_div(exact, denominator).unwrap_or(u128::MAX), text)
}

/// A non-negative decimal number as an exact fraction `(numerator, 10^digits)`. At most 18
/// integer and 9 fraction digits, so the numerator stays below 10^27 (products with a unit are
/// checked by the callers). Read digit by digit, without building a string.
fn decimal(text: &[u8]) -> Option<(u128, u128)> {
    let (whole, fraction) = match text.iter().position(|&b| b == b'.') {
        Some(dot) => (text.get(..dot)?, text.get(dot + 1..)?),
        None => (text, &[][..]),
    };
    if whole.is_empty() || whole.len() > 18 || fraction.len() > 9 {
        return None;
    }
    if !whole.iter().all(u8::is_ascii_digit) || !fraction.iter().all(u8::is_ascii_digit) || text.ends_with(b".") {
        return None;
    }
    let denominator = 10u128.pow(u32::try_from(fraction.len()).ok()?);
    let numerator = whole
        .iter()
        .chain(fraction)
        .fold(0u128, |n, b| n * 10 + u128::from(b - b'0'));
    Some((numerator, denominator))
}

/// `numerator / denominator` rounded half up (`denominator` is never zero here); `None` when
/// the rounding would overflow (within 10^9 of `u128::MAX`, no real amount).
fn round_div(numerator: u128, denominator: u128) -> Option<u128> {
    Some(numerator.checked_add(denominator / 2)? / denominator.max(1))
}

/// Narrows to `i64`, naming the text when it does not fit.
fn to_i64(value: u128, text: &str) -> Result<i64, String> {
    i64::try_from(value).map_err(|_| format!("amount out of range: {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_suffixes_are_binary_and_bare_numbers_take_the_callers_unit() {
        assert_eq!(parse_bytes("3289088", BareUnit::Bytes), Ok(3_289_088));
        assert_eq!(parse_bytes("3212K", BareUnit::Bytes), Ok(3_212 * 1024));
        assert_eq!(parse_bytes("3212", BareUnit::KiB), Ok(3_212 * 1024));
        assert_eq!(parse_bytes("1.5m", BareUnit::Bytes), Ok(1_572_864));
        assert_eq!(parse_bytes("2T", BareUnit::Bytes), Ok(2 << 40));
        assert_eq!(parse_bytes("0", BareUnit::KiB), Ok(0));
        assert_eq!(parse_mib("500M"), Ok(500));
        assert_eq!(parse_mib("1G"), Ok(1024));
        assert_eq!(parse_mib("1.50G"), Ok(1536));
        assert_eq!(parse_mib("1024"), Ok(1024));
        assert_eq!(parse_mib("512K"), Ok(1));
        assert_eq!(parse_mib("2P"), Ok(2 << 30));
    }

    #[test]
    fn energy_suffixes_are_decimal() {
        assert_eq!(parse_joules("0"), Ok(0));
        assert_eq!(parse_joules("12345"), Ok(12_345));
        assert_eq!(parse_joules("1.23K"), Ok(1_230));
        assert_eq!(parse_joules("2M"), Ok(2_000_000));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for text in [
            "",
            "M",
            "-1M",
            "1.2.3G",
            "1,5G",
            "12Q",
            "1.",
            ".5",
            "1e3",
            "99999999999999999999K",
        ] {
            assert!(parse_bytes(text, BareUnit::Bytes).is_err(), "{text:?} must be refused");
        }
        assert!(parse_mib("99999999999999999P").is_err());
        assert!(parse_bytes("999999999999999999.999999999P", BareUnit::Bytes).is_err());
        assert!(parse_joules("x").is_err());
        assert!(parse_joules("").is_err());
    }
}
