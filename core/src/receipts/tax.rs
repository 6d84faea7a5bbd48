//! Tax and totals, exactly.
//!
//! **Rounding rule:** each line is already rounded once to minor units (see `pricing`); the
//! subtotal is their sum; tax is computed once on the sum and rounded half away from zero to
//! minor units. Exclusive tax: `total = subtotal + tax`, `tax = round(subtotal × rate)`.
//! Inclusive tax (line prices include it): `total = Σ lines`,
//! `tax = round(total × rate / (1 + rate))`, `subtotal = total − tax`.

use crate::error::{CoreError, CoreResult};
use rust_decimal::Decimal;

/// How tax is applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaxSettings {
    /// Rate as a fraction (`0.07` for 7 %).
    pub rate: Decimal,
    /// Label printed on receipts (`VAT 7%`).
    pub label: String,
    /// Whether line prices already include the tax.
    pub inclusive: bool,
}

impl Default for TaxSettings {
    /// Thai VAT: 7 %, added on top.
    fn default() -> Self {
        TaxSettings {
            rate: Decimal::new(7, 2),
            label: "VAT 7%".into(),
            inclusive: false,
        }
    }
}

/// Amounts of a receipt in minor units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Totals {
    /// Before tax.
    pub subtotal: i64,
    /// Tax.
    pub tax: i64,
    /// Owed.
    pub total: i64,
}

fn round_div(n: i128, d: i128) -> i128 {
    let q = n / d;
    let r = n % d;
    if 2 * r.abs() >= d.abs() {
        q + n.signum() * d.signum()
    } else {
        q
    }
}

/// Totals of lines summing to `lines` minor units.
pub fn totals(lines: i64, tax: &TaxSettings) -> CoreResult<Totals> {
    if tax.rate.is_sign_negative() || tax.rate > Decimal::ONE {
        return Err(CoreError::validation("billing.tax.rate", "must be between 0 and 1"));
    }
    let scale = 10i128.pow(tax.rate.scale());
    let m = tax.rate.mantissa();
    let sum = lines as i128;
    let overflow = || CoreError::internal("receipt total overflows");
    if tax.inclusive {
        let t = round_div(sum.checked_mul(m).ok_or_else(overflow)?, scale + m);
        let t = i64::try_from(t).map_err(|_| overflow())?;
        Ok(Totals {
            subtotal: lines - t,
            tax: t,
            total: lines,
        })
    } else {
        let t = round_div(sum.checked_mul(m).ok_or_else(overflow)?, scale);
        let t = i64::try_from(t).map_err(|_| overflow())?;
        Ok(Totals {
            subtotal: lines,
            tax: t,
            total: lines.checked_add(t).ok_or_else(overflow)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn tax(rate: &str, inclusive: bool) -> TaxSettings {
        TaxSettings {
            rate: Decimal::from_str(rate).expect("rate"),
            label: "VAT".into(),
            inclusive,
        }
    }

    #[test]
    fn exclusive_vat_is_added_and_rounded_once() {
        // 272.00 THB + 7 % = 19.04 → 291.04.
        assert_eq!(
            totals(27_200, &tax("0.07", false)).expect("ok"),
            Totals {
                subtotal: 27_200,
                tax: 1_904,
                total: 29_104
            }
        );
        // 0.50 × 7 % = 0.035 → 0.04 (half away from zero).
        assert_eq!(totals(50, &tax("0.07", false)).expect("ok").tax, 4);
        // 0.49 × 7 % = 0.0343 → 0.03.
        assert_eq!(totals(49, &tax("0.07", false)).expect("ok").tax, 3);
    }

    #[test]
    fn inclusive_vat_is_taken_out_of_the_total() {
        // 107.00 including 7 % → tax 7.00, subtotal 100.00.
        assert_eq!(
            totals(10_700, &tax("0.07", true)).expect("ok"),
            Totals {
                subtotal: 10_000,
                tax: 700,
                total: 10_700
            }
        );
        // 1.00 including 7 %: 100 × 7 / 107 = 6.54… → 7.
        let t = totals(100, &tax("0.07", true)).expect("ok");
        assert_eq!((t.tax, t.subtotal + t.tax), (7, 100));
    }

    #[test]
    fn zero_rate_and_zero_amounts_work_and_bad_rates_are_refused() {
        assert_eq!(
            totals(0, &tax("0.07", false)).expect("ok"),
            Totals {
                subtotal: 0,
                tax: 0,
                total: 0
            }
        );
        assert_eq!(totals(999, &tax("0", false)).expect("ok").total, 999);
        assert!(totals(1, &tax("1.5", false)).is_err());
        assert!(totals(1, &tax("-0.1", false)).is_err());
    }
}
