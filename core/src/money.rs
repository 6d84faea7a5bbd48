//! Currency exponents (how many decimal places a currency's minor unit has) in one table, so
//! pricing, receipts and every gateway plugin agree on what "minor units" means.

use hpcb_entities::Currency;

/// Currencies whose minor unit is not 1/100 of the major unit (ISO 4217).
const EXPONENTS: [(&str, u32); 26] = [
    ("BIF", 0),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("ISK", 0),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("PYG", 0),
    ("RWF", 0),
    ("UGX", 0),
    ("UYI", 0),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
    ("BHD", 3),
    ("IQD", 3),
    ("JOD", 3),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("TND", 3),
    ("CLF", 4),
    ("UYW", 4),
];

/// Decimal places of the currency's minor unit (THB 2, JPY 0, BHD 3; 2 unless listed).
pub fn exponent(c: Currency) -> u32 {
    EXPONENTS
        .iter()
        .find(|(code, _)| *code == c.as_str())
        .map(|(_, e)| *e)
        .unwrap_or(2)
}

/// Formats minor units as a decimal amount (`12345` THB → `123.45`).
pub fn format_minor(minor: i64, c: Currency) -> String {
    let e = exponent(c);
    if e == 0 {
        return minor.to_string();
    }
    let scale = 10i64.pow(e);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!(
        "{sign}{}.{:0width$}",
        abs / scale as u64,
        abs % scale as u64,
        width = e as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(code: &str) -> Currency {
        Currency::parse(code).expect("valid code")
    }

    #[test]
    fn exponents_follow_iso_4217() {
        assert_eq!(exponent(Currency::THB), 2);
        assert_eq!(exponent(c("usd")), 2);
        assert_eq!(exponent(c("JPY")), 0);
        assert_eq!(exponent(c("BHD")), 3);
    }

    #[test]
    fn minor_units_format_exactly() {
        assert_eq!(format_minor(12345, Currency::THB), "123.45");
        assert_eq!(format_minor(5, Currency::THB), "0.05");
        assert_eq!(format_minor(-150, Currency::THB), "-1.50");
        assert_eq!(format_minor(500, c("JPY")), "500");
        assert_eq!(format_minor(1234, c("BHD")), "1.234");
    }
}
