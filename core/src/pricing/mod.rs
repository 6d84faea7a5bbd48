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
//!
//! The rest of pricing lives beside this arithmetic: billable quantities, tier choice and the
//! rate version in force (`job`), the tier rules (`tiers`), and the written-out explanation of
//! a cost (`explain`).

pub mod explain;
pub mod job;
pub mod tiers;

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

/// A rate version's prices and currency brought once to the integers [`cost_minor`] multiplies
/// by, so pricing a million jobs does not rescale the same three decimals a million times.
/// [`ScaledPrices::cost_minor`] gives exactly [`cost_minor`]'s result, errors included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScaledPrices {
    /// Per CPU core-millisecond: the scaled rate × KiB per GiB.
    cpu: i128,
    /// Per GPU-second: the scaled rate × 1000 × KiB per GiB.
    gpu: i128,
    /// Per KiB·second: the scaled rate × 1000.
    mem: i128,
    /// 10^(the currency's minor-unit exponent).
    minor: i128,
    /// The largest magnitude whose product with `minor` fits in an `i128`.
    minor_limit: u128,
}

impl ScaledPrices {
    /// `None` when [`cost_minor`] would refuse these prices whatever the quantities (a rate
    /// with more than 8 decimal places); such rates are priced by [`cost_minor`] itself, which
    /// says why.
    pub fn new(p: Prices, currency: Currency) -> Option<ScaledPrices> {
        Some(ScaledPrices {
            cpu: scaled(p.cpu, "cpu").ok()?.checked_mul(KIB_PER_GIB)?,
            gpu: scaled(p.gpu, "gpu").ok()?.checked_mul(1000 * KIB_PER_GIB)?,
            mem: scaled(p.mem, "mem").ok()?.checked_mul(1000)?,
            minor: 10i128.pow(exponent(currency)),
            minor_limit: (i128::MAX / 10i128.pow(exponent(currency))).unsigned_abs(),
        })
    }

    /// [`cost_minor`] of `q` at these prices. Each term is the same product as there, only
    /// with its constant factors (1000, 2^20) multiplied in advance; as those are at least 1, a
    /// term overflows exactly when it overflows there, and the sum, scaling and rounding are
    /// the same.
    pub fn cost_minor(&self, q: Quantities) -> CoreResult<i64> {
        let scaled_n = term(q.cpu_ms, self.cpu)
            .zip(term(q.gpu_s, self.gpu))
            .zip(term(q.mem_kib_s, self.mem))
            .and_then(|((cpu, gpu), mem)| cpu.checked_add(gpu)?.checked_add(mem))
            .and_then(|n| match n.unsigned_abs() <= self.minor_limit {
                // |n × minor| ≤ i128::MAX: no overflow to check for
                true => Some(n * self.minor),
                false => n.checked_mul(self.minor),
            })
            .ok_or_else(overflow)?;
        i64::try_from(div_round_half_away_once(scaled_n, DENOMINATOR)).map_err(|_| overflow())
    }
}

/// `quantity × price`, `None` on overflow. A price that fits in 64 bits cannot overflow (two
/// 64-bit factors fit in 128), so it is a single multiplication, not the checked 128-bit one.
fn term(quantity: i64, price: i128) -> Option<i128> {
    match i64::try_from(price) {
        Ok(price) => Some(i128::from(quantity) * i128::from(price)),
        Err(_) => i128::from(quantity).checked_mul(price),
    }
}

/// [`DENOMINATOR`] is this odd part times 2^20 (`KIB_PER_GIB`).
const DENOMINATOR_ODD: u64 = 3_600_000 * 100_000_000;

/// [`div_round_half_away`] with at most one 128-bit division: the remainder is recovered by a
/// multiplication (`d` is positive), and a division by [`DENOMINATOR`] whose quotient fits in
/// 64 bits (every real job) divides `n / 2^20` by the odd part in 64 bits, which is exact:
/// ⌊⌊n / 2^20⌋ / c⌋ = ⌊n / (2^20 c)⌋. Pricing divides once per job; this makes that cheap.
fn div_round_half_away_once(n: i128, d: i128) -> i128 {
    let (magnitude, divisor) = (n.unsigned_abs(), d.unsigned_abs());
    let q = match u64::try_from(magnitude >> 20) {
        Ok(high) if d == DENOMINATOR => u128::from(high / DENOMINATOR_ODD),
        _ => magnitude / divisor,
    };
    let r = magnitude - q * divisor;
    let rounded = if 2 * r >= divisor { q + 1 } else { q };
    // below 2^127 unless d is 1 and n is i128::MIN, which wraps back to itself as there
    let rounded = rounded as i128;
    if n < 0 {
        rounded.wrapping_neg()
    } else {
        rounded
    }
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
    fn scaled_prices_cost_exactly_what_cost_minor_does() {
        let jpy = Currency::parse("JPY").expect("code");
        let prices = [
            mu(),
            Prices {
                cpu: d("0.03"),
                gpu: d("0"),
                mem: d("0"),
            },
            Prices {
                cpu: d("5"),
                gpu: d("100"),
                mem: d("2"),
            },
            Prices {
                cpu: d("-1.5"),
                gpu: d("0.00000001"),
                mem: d("123456.78901234"),
            },
            Prices {
                cpu: d("1000000000"),
                gpu: d("1000000000"),
                mem: d("1000000000"),
            },
        ];
        let amounts = [
            0,
            1,
            17_999,
            18_000,
            1_799_999,
            1_800_000,
            3_600_000,
            987_654_321,
            i64::MAX / 7,
            i64::MAX,
        ];
        for p in prices {
            for currency in [Currency::THB, jpy] {
                let scaled = ScaledPrices::new(p, currency).expect("at most 8 places");
                for cpu_ms in amounts {
                    for gpu_s in [0, 1, 3_600, 1_000_000_007] {
                        for mem_kib_s in [0, 5, per_hour::MEM_KIB_S, i64::MAX / 3] {
                            let q = Quantities {
                                cpu_ms,
                                gpu_s,
                                mem_kib_s,
                            };
                            let expected = cost_minor(q, p, currency).map_err(|e| e.to_string());
                            assert_eq!(scaled.cost_minor(q).map_err(|e| e.to_string()), expected, "{q:?} {p:?}");
                        }
                    }
                }
            }
        }
        let too_precise = Prices {
            cpu: d("0.000000001"),
            ..mu()
        };
        assert_eq!(ScaledPrices::new(too_precise, Currency::THB), None);
        assert_eq!(i128::from(DENOMINATOR_ODD) << 20, DENOMINATOR);
        let near_half = [
            DENOMINATOR / 2,
            DENOMINATOR / 2 + 1,
            DENOMINATOR / 2 - 1,
            7 * DENOMINATOR + DENOMINATOR / 2,
        ];
        let big = [
            (1i128 << 84) - 1,
            1i128 << 84,
            (1i128 << 84) + DENOMINATOR / 2,
            5 * DENOMINATOR - 1,
        ];
        for n in [0, 1, -1, 5, -5, 10, 15, -15, 14, i128::MAX, i128::MIN + 1, i128::MIN]
            .into_iter()
            .chain(near_half)
            .chain(big)
            .flat_map(|n| [n, n.saturating_neg()])
        {
            for d in [1, 2, 10, DENOMINATOR] {
                assert_eq!(div_round_half_away_once(n, d), div_round_half_away(n, d), "{n} / {d}");
            }
        }
    }

    #[test]
    fn hours_are_shown_with_six_places() {
        assert_eq!(hours(5_400_000, per_hour::CPU_MS), d("1.5"));
        assert_eq!(hours(1_200_000, per_hour::CPU_MS), d("0.333333"));
    }
}
