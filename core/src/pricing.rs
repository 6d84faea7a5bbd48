//! The price of one job, computed exactly.
//!
//! Quantities arrive as integers in base units: CPU core-milliseconds, GPU-seconds and memory
//! KiB·seconds. With rates `r` per hour (decimals with at most 8 places):
//!
//! ```text
//! cost = cpu_ms / 3 600 000 × r_cpu + gpu_s / 3 600 × r_gpu + mem_kib_s / (1 048 576 × 3 600) × r_mem
//! ```
//!
//! Everything is brought over one integer denominator and divided once, in 128-bit integers, so
//! no binary or decimal approximation happens anywhere. **Rounding rule:** the exact cost is
//! rounded once, to the currency's minor unit, half away from zero (0.005 THB → 0.01 THB,
//! 0.00499… THB → 0.00 THB). Memory GB means GiB (1 GB = 1024 MB), as the predecessor computed.

use crate::error::{CoreError, CoreResult};
use crate::money::exponent;
use hpcb_entities::Currency;
use rust_decimal::Decimal;

/// Billable quantities of one job in base units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Quantities {
    /// CPU core-milliseconds.
    pub cpu_ms: i64,
    /// GPU-seconds.
    pub gpu_s: i64,
    /// Memory KiB·seconds.
    pub mem_kib_s: i64,
}

/// Prices per hour of each resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prices {
    /// Per CPU core-hour.
    pub cpu: Decimal,
    /// Per GPU-hour.
    pub gpu: Decimal,
    /// Per memory GB-hour.
    pub mem: Decimal,
}

const RATE_SCALE: u32 = 8;
const KIB_PER_GIB: i128 = 1_048_576;
/// `3 600 000 × 1 048 576 × 10^8`: the common denominator of the three terms, in units of
/// 10^-8 currency.
const DENOMINATOR: i128 = 3_600_000 * KIB_PER_GIB * 100_000_000;

fn scaled(rate: Decimal, field: &str) -> CoreResult<i128> {
    let mut r = rate.normalize();
    if r.scale() > RATE_SCALE {
        return Err(CoreError::validation(field, "rates carry at most 8 decimal places"));
    }
    r.rescale(RATE_SCALE);
    Ok(r.mantissa())
}

fn overflow() -> CoreError {
    CoreError::internal("job cost overflows 128-bit arithmetic")
}

/// The numerator over [`DENOMINATOR`] of a job's exact cost.
fn numerator(q: Quantities, p: Prices) -> CoreResult<i128> {
    let cpu = (q.cpu_ms as i128)
        .checked_mul(scaled(p.cpu, "cpu")?)
        .and_then(|v| v.checked_mul(KIB_PER_GIB))
        .ok_or_else(overflow)?;
    let gpu = (q.gpu_s as i128)
        .checked_mul(1000)
        .and_then(|v| v.checked_mul(scaled(p.gpu, "gpu").ok()?))
        .and_then(|v| v.checked_mul(KIB_PER_GIB))
        .ok_or_else(overflow)?;
    let mem = (q.mem_kib_s as i128)
        .checked_mul(1000)
        .and_then(|v| v.checked_mul(scaled(p.mem, "mem").ok()?))
        .ok_or_else(overflow)?;
    cpu.checked_add(gpu)
        .and_then(|v| v.checked_add(mem))
        .ok_or_else(overflow)
}

/// Divides rounding half away from zero.
fn div_round_half_away(n: i128, d: i128) -> i128 {
    let q = n / d;
    let r = n % d;
    if 2 * r.abs() >= d {
        q + n.signum()
    } else {
        q
    }
}

/// The cost of `q` at `p`, in minor units of `currency`, rounded once (see the module docs).
pub fn cost_minor(q: Quantities, p: Prices, currency: Currency) -> CoreResult<i64> {
    let n = numerator(q, p)?;
    let scaled_n = n.checked_mul(10i128.pow(exponent(currency))).ok_or_else(overflow)?;
    i64::try_from(div_round_half_away(scaled_n, DENOMINATOR)).map_err(|_| overflow())
}

/// The exact cost as a decimal with 10 places (for explanations; never for billing).
pub fn cost_exact(q: Quantities, p: Prices) -> CoreResult<Decimal> {
    let n = numerator(q, p)?;
    let tenth = div_round_half_away(n.checked_mul(10i128.pow(10)).ok_or_else(overflow)?, DENOMINATOR);
    Decimal::try_from_i128_with_scale(tenth, 10).map_err(|_| overflow())
}

/// Hours from a base-unit quantity with 6 decimal places, for display.
pub fn hours(amount: i64, units_per_hour: i64) -> Decimal {
    let micro = div_round_half_away(amount as i128 * 1_000_000, units_per_hour as i128);
    Decimal::try_from_i128_with_scale(micro, 6)
        .unwrap_or_default()
        .normalize()
}

/// Base units per hour of each quantity.
pub mod per_hour {
    /// CPU core-milliseconds per core-hour.
    pub const CPU_MS: i64 = 3_600_000;
    /// GPU-seconds per GPU-hour.
    pub const GPU_S: i64 = 3_600;
    /// KiB·seconds per GB-hour.
    pub const MEM_KIB_S: i64 = 1_048_576 * 3_600;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    fn mu() -> Prices {
        Prices {
            cpu: d("1.0"),
            gpu: d("5.0"),
            mem: d("0.5"),
        }
    }

    #[test]
    fn one_hour_of_each_resource_costs_the_rate() {
        let q = Quantities {
            cpu_ms: per_hour::CPU_MS,
            gpu_s: per_hour::GPU_S,
            mem_kib_s: per_hour::MEM_KIB_S,
        };
        assert_eq!(cost_minor(q, mu(), Currency::THB).expect("cost"), 650);
        assert_eq!(cost_exact(q, mu()).expect("exact"), d("6.5"));
    }

    #[test]
    fn hand_computed_gpu_job() {
        // 4 cores × 2 h used, 2 GPUs × 2 h, 16 GB allocated × 2 h, private rates 5/100/2:
        // 8 × 5 + 4 × 100 + 32 × 2 = 40 + 400 + 64 = 504.00 THB.
        let q = Quantities {
            cpu_ms: 8 * per_hour::CPU_MS,
            gpu_s: 4 * per_hour::GPU_S,
            mem_kib_s: 16 * 2 * per_hour::MEM_KIB_S,
        };
        let private = Prices {
            cpu: d("5"),
            gpu: d("100"),
            mem: d("2"),
        };
        assert_eq!(cost_minor(q, private, Currency::THB).expect("cost"), 50_400);
    }

    #[test]
    fn rounding_is_half_away_from_zero_at_the_minor_unit() {
        // 18 s of one core at 1 THB/h = 0.005 THB exactly → 0.01 THB.
        let half = Quantities {
            cpu_ms: 18_000,
            ..Default::default()
        };
        assert_eq!(cost_exact(half, mu()).expect("exact"), d("0.005"));
        assert_eq!(cost_minor(half, mu(), Currency::THB).expect("cost"), 1);
        // One millisecond less is 0.0049999… THB → 0.00 THB.
        let below = Quantities {
            cpu_ms: 17_999,
            ..Default::default()
        };
        assert_eq!(cost_minor(below, mu(), Currency::THB).expect("cost"), 0);
        // JPY has no minor unit: 0.5 JPY → 1 JPY, 0.49… → 0.
        let jpy = Currency::parse("JPY").expect("code");
        assert_eq!(
            cost_minor(
                Quantities {
                    cpu_ms: 1_800_000,
                    ..Default::default()
                },
                mu(),
                jpy
            )
            .expect("cost"),
            1
        );
        assert_eq!(
            cost_minor(
                Quantities {
                    cpu_ms: 1_799_999,
                    ..Default::default()
                },
                mu(),
                jpy
            )
            .expect("cost"),
            0
        );
    }

    #[test]
    fn thirds_of_an_hour_stay_exact() {
        // 20 minutes at 0.03 THB/h = 0.01 THB exactly, though 1/3 h is not a finite decimal.
        let q = Quantities {
            cpu_ms: 1_200_000,
            ..Default::default()
        };
        assert_eq!(
            cost_minor(
                q,
                Prices {
                    cpu: d("0.03"),
                    gpu: d("0"),
                    mem: d("0")
                },
                Currency::THB
            )
            .expect("cost"),
            1
        );
        assert_eq!(
            cost_exact(
                q,
                Prices {
                    cpu: d("0.03"),
                    gpu: d("0"),
                    mem: d("0")
                }
            )
            .expect("exact"),
            d("0.01")
        );
    }

    #[test]
    fn zero_usage_costs_nothing_and_huge_usage_does_not_overflow_silently() {
        assert_eq!(cost_minor(Quantities::default(), mu(), Currency::THB).expect("cost"), 0);
        let huge = Quantities {
            cpu_ms: i64::MAX,
            gpu_s: i64::MAX,
            mem_kib_s: i64::MAX,
        };
        let pricey = Prices {
            cpu: d("1000000000"),
            gpu: d("1000000000"),
            mem: d("1000000000"),
        };
        assert!(cost_minor(huge, pricey, Currency::THB).is_err());
    }

    #[test]
    fn hours_are_shown_with_six_places() {
        assert_eq!(hours(5_400_000, per_hour::CPU_MS), d("1.5"));
        assert_eq!(hours(1_200_000, per_hour::CPU_MS), d("0.333333"));
    }
}
