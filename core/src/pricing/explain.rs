//! A cost written out for people: the hours, the rates and the arithmetic, e.g.
//! `2.5 core-h × 1 + 0 GPU-h × 5 + 1.2 GB-h × 0.5 = 3.1 → 3.10 THB`. Jobs, quotes and receipt
//! lines all explain themselves with this one function, so they can never disagree on how.

use super::{cost_exact, hours, per_hour, Prices, Quantities};
use crate::error::CoreResult;
use hpcb_entities::Money;

/// The arithmetic of `cost` for `q` at `prices`: each resource's hours times its rate, the exact
/// sum, and the amount it was rounded to.
pub fn arithmetic(q: Quantities, prices: Prices, cost: Money) -> CoreResult<String> {
    let exact = cost_exact(q, prices)?.normalize();
    Ok(format!(
        "{} core-h × {} + {} GPU-h × {} + {} GB-h × {} = {} → {} {}",
        hours(q.cpu_ms, per_hour::CPU_MS),
        prices.cpu.normalize(),
        hours(q.gpu_s, per_hour::GPU_S),
        prices.gpu.normalize(),
        hours(q.mem_kib_s, per_hour::MEM_KIB_S),
        prices.mem.normalize(),
        exact,
        crate::money::format_minor(cost.minor, cost.currency),
        cost.currency
    ))
}

/// What a cost without a rate in force says.
pub const NO_RATE: &str = "no rate in force: 0";

#[cfg(test)]
mod tests {
    use super::*;
    use hpcb_entities::Currency;
    use rust_decimal::Decimal;

    #[test]
    fn the_arithmetic_names_hours_rates_exact_sum_and_rounded_amount() {
        let q = Quantities {
            cpu_ms: 9_000_000,
            gpu_s: 0,
            mem_kib_s: 1_048_576 * 4_320,
        };
        let prices = Prices {
            cpu: Decimal::new(1, 0),
            gpu: Decimal::new(5, 0),
            mem: Decimal::new(5, 1),
        };
        let text = arithmetic(q, prices, Money::new(310, Currency::THB)).expect("explained");
        assert_eq!(text, "2.5 core-h × 1 + 0 GPU-h × 5 + 1.2 GB-h × 0.5 = 3.1 → 3.10 THB");
    }
}
