//! ISO minor units ↔ Stripe amounts.
//!
//! The server counts in ISO 4217 minor units (THB 12345 = ฿123.45, JPY 0 decimals, BHD 3).
//! Stripe mostly does too, with exceptions (<https://docs.stripe.com/currencies>):
//!
//! | currencies | ISO | Stripe | conversion |
//! |---|---|---|---|
//! | BIF CLP DJF GNF JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF | 0 | 0 (Stripe's "zero-decimal") | none |
//! | MGA | 2 | 0 ("zero-decimal") | ÷ 100, only whole ariary |
//! | ISK | 0 | 2 (kept for backwards compatibility, always `…00`) | × 100 |
//! | BHD JOD KWD OMR TND | 3 | 3, last digit 0 | none, only multiples of 10 |
//! | CLF IQD LYD UYI UYW | not 2 | not supported by Stripe | refused |
//! | everything else (THB, USD, EUR, …) | 2 | 2 | none |
//!
//! An amount that cannot be represented exactly in the other unit is refused with
//! `bad_request` instead of being rounded.

use hpcb_plugin_sdk::PluginError;

/// How one currency is counted at Stripe compared with ISO 4217.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rule {
    /// ISO 4217 exponent.
    iso: u32,
    /// Stripe's exponent.
    stripe: u32,
    /// Stripe amounts must be multiples of this.
    stripe_step: i64,
}

const SAME_2: Rule = Rule {
    iso: 2,
    stripe: 2,
    stripe_step: 1,
};

/// The currencies that are not "2 at ISO, 2 at Stripe".
fn rule(currency: &str) -> Result<Rule, PluginError> {
    Ok(match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX" | "VND" | "VUV" | "XAF"
        | "XOF" | "XPF" => Rule {
            iso: 0,
            stripe: 0,
            stripe_step: 1,
        },
        "MGA" => Rule {
            iso: 2,
            stripe: 0,
            stripe_step: 1,
        },
        "ISK" => Rule {
            iso: 0,
            stripe: 2,
            stripe_step: 100,
        },
        "BHD" | "JOD" | "KWD" | "OMR" | "TND" => Rule {
            iso: 3,
            stripe: 3,
            stripe_step: 10,
        },
        // ISO exponents other than 2 that Stripe does not handle: assuming 2 would be wrong
        "CLF" | "IQD" | "LYD" | "UYI" | "UYW" => {
            return Err(PluginError::bad_request(format!(
                "Stripe does not support {currency} amounts"
            )))
        }
        _ => SAME_2,
    })
}

fn pow10(exponent: u32) -> i64 {
    10_i64.pow(exponent)
}

/// Converts an amount in ISO minor units to what Stripe expects for `currency` (upper-case).
pub fn to_stripe(amount_minor: i64, currency: &str) -> Result<i64, PluginError> {
    let rule = rule(currency)?;
    let converted = if rule.stripe >= rule.iso {
        amount_minor
            .checked_mul(pow10(rule.stripe - rule.iso))
            .ok_or_else(|| PluginError::bad_request(format!("{amount_minor} {currency} is too large for Stripe")))?
    } else {
        let factor = pow10(rule.iso - rule.stripe);
        if amount_minor % factor != 0 {
            return Err(PluginError::bad_request(format!(
                "Stripe takes {currency} only in whole units: {amount_minor} minor units is not a multiple of {factor}"
            )));
        }
        amount_minor / factor
    };
    if converted % rule.stripe_step != 0 {
        // BHD 1.234 cannot be charged at Stripe: its three-decimal amounts must end in 0
        return Err(PluginError::bad_request(format!(
            "Stripe takes {currency} amounts only in steps of {} minor units, not {amount_minor}",
            rule.stripe_step
        )));
    }
    Ok(converted)
}

/// Converts an amount Stripe reports in `currency` (any case) back to ISO minor units.
pub fn from_stripe(amount: i64, currency: &str) -> Result<i64, PluginError> {
    let currency = currency.to_ascii_uppercase();
    let rule = rule(&currency)?;
    if rule.stripe >= rule.iso {
        let factor = pow10(rule.stripe - rule.iso);
        if amount % factor != 0 {
            return Err(PluginError::bad_request(format!(
                "Stripe reported {amount} {currency}, which is not a whole number of ISO minor units"
            )));
        }
        Ok(amount / factor)
    } else {
        amount
            .checked_mul(pow10(rule.iso - rule.stripe))
            .ok_or_else(|| PluginError::bad_request(format!("Stripe reported {amount} {currency}, too large")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_decimal_and_zero_decimal_currencies_pass_unchanged() {
        assert_eq!(to_stripe(12345, "THB"), Ok(12345));
        assert_eq!(from_stripe(12345, "thb"), Ok(12345));
        assert_eq!(to_stripe(500, "JPY"), Ok(500));
        assert_eq!(to_stripe(7, "UGX"), Ok(7));
        assert_eq!(from_stripe(500, "jpy"), Ok(500));
    }

    #[test]
    fn isk_is_two_decimal_at_stripe() {
        assert_eq!(to_stripe(1500, "ISK"), Ok(150_000));
        assert_eq!(from_stripe(150_000, "isk"), Ok(1500));
        assert!(from_stripe(150_050, "isk").expect_err("not whole").is("bad_request"));
    }

    #[test]
    fn mga_is_zero_decimal_at_stripe() {
        assert_eq!(to_stripe(100_000, "MGA"), Ok(1000));
        assert!(to_stripe(100_050, "MGA").expect_err("fraction").is("bad_request"));
        assert_eq!(from_stripe(1000, "mga"), Ok(100_000));
    }

    #[test]
    fn three_decimal_currencies_must_end_in_zero() {
        assert_eq!(to_stripe(1230, "BHD"), Ok(1230));
        let err = to_stripe(1234, "KWD").expect_err("last digit");
        assert!(err.is("bad_request") && err.message.contains("steps of 10"), "{err}");
        assert_eq!(from_stripe(1230, "bhd"), Ok(1230));
    }

    #[test]
    fn unsupported_and_overflowing_amounts_are_refused() {
        assert!(to_stripe(100, "IQD").expect_err("unsupported").is("bad_request"));
        assert!(to_stripe(i64::MAX, "ISK").expect_err("overflow").is("bad_request"));
    }
}
