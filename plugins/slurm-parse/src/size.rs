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
    fn bytes(self) -> u128 {
        match self {
            BareUnit::Bytes => 1,
            BareUnit::KiB => 1 << 10,
            BareUnit::MiB => 1 << 20,
        }
    }
}

/// Parses a memory amount into bytes (rounded to the nearest byte): a decimal number with an
/// optional binary suffix `K`, `M`, `G`, `T`, `P` (either case; 1024-based, as Slurm means
/// them), otherwise in `bare`.
pub fn parse_bytes(text: &str, bare: BareUnit) -> Result<u128, String> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let power = match c.to_ascii_uppercase() {
                'K' => 1,
                'M' => 2,
                'G' => 3,
                'T' => 4,
                'P' => 5,
                _ => return Err(format!("unknown size suffix in {text:?}")),
            };
            (&text[..i], 1u128 << (10 * power))
        }
        _ => (text, bare.bytes()),
    };
    let (numerator, denominator) = decimal(number).ok_or_else(|| format!("not a size: {text:?}"))?;
    Ok(round_div(numerator * unit, denominator))
}

/// Parses a memory amount into whole MiB (rounded to the nearest), bare numbers being MiB.
pub fn parse_mib(text: &str) -> Result<i64, String> {
    let bytes = parse_bytes(text, BareUnit::MiB)?;
    to_i64(round_div(bytes, 1 << 20), text)
}

/// Parses an energy amount in joules: a plain integer, or a number with a decimal suffix `K`,
/// `M`, `G` (1000-based, as sacct's `ConsumedEnergy` prints it), rounded to the nearest joule.
pub fn parse_joules(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let (number, unit) = match text.chars().last() {
        Some('K' | 'k') => (&text[..text.len() - 1], 1_000u128),
        Some('M') => (&text[..text.len() - 1], 1_000_000),
        Some('G') => (&text[..text.len() - 1], 1_000_000_000),
        _ => (text, 1),
    };
    let (numerator, denominator) = decimal(number).ok_or_else(|| format!("not an energy amount: {text:?}"))?;
    to_i64(round_div(numerator * unit, denominator), text)
}

/// A non-negative decimal number as an exact fraction `(numerator, 10^digits)`. At most 18
/// integer and 9 fraction digits, so later products stay far inside `u128`.
fn decimal(text: &str) -> Option<(u128, u128)> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 18 || fraction.len() > 9 {
        return None;
    }
    if !all_digits(whole) || !all_digits(fraction) || (text.ends_with('.')) {
        return None;
    }
    let denominator = 10u128.pow(u32::try_from(fraction.len()).ok()?);
    let numerator = format!("{whole}{fraction}").parse::<u128>().ok()?;
    Some((numerator, denominator))
}

/// `numerator / denominator` rounded half up (`denominator` is never zero here).
fn round_div(numerator: u128, denominator: u128) -> u128 {
    (numerator + denominator / 2) / denominator.max(1)
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
        assert!(parse_joules("x").is_err());
        assert!(parse_joules("").is_err());
    }
}
