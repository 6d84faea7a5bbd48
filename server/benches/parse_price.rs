//! Parse + price throughput on one core: a generated `sacct --parsable2` dump (job and step
//! lines, array tasks, GPUs, one odd line per 1 000 jobs) parsed by the Slurm parser the
//! plugins use, then priced exactly by the core's pricer. Prints figures.
//!
//! `cargo bench -p hpc-billing --bench parse_price -- [JOBS]` (default 1 000 000).
#![expect(clippy::print_stdout, reason = "a benchmark reports on standard output")]

use hpcb_core::pricing::Prices;
use hpcb_core::rates::Rate;
use hpcb_core::tiers::TierRules;
use hpcb_core::usage::{Pricer, UsageRecord};
use hpcb_entities::{Currency, RateId};
use hpcb_plugin_slurm_parse::sacct::{parse_sacct, Layout, SacctOptions};
use hpcb_plugin_slurm_parse::size::BareUnit;
use hpcb_plugin_slurm_parse::timestamp::UtcOffset;
use hpcb_server::demo_data::{generate, DumpSpec};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::time::Instant;

/// The allocator of the `usage-csv` plugin, where large dumps are parsed. (Pricing runs in the
/// server on the C library's allocator; the bench prints its share separately.)
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn rate(id: i64, tier: &str, p: Prices) -> Rate {
    Rate {
        id: RateId(id),
        tier: tier.into(),
        cpu: p.cpu,
        gpu: p.gpu,
        mem: p.mem,
        currency: Currency::THB,
        effective_from: 0,
        created_at: 0,
        created_by: None,
    }
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let t = Instant::now();
    let dump = generate(&DumpSpec {
        jobs: n,
        seed: 1,
        end_s: 1_790_000_000,
        span_s: 365 * 86_400,
        odd_every: 1000,
    });
    println!(
        "generated {n} jobs ({} MB, {} lines) in {:.2} s",
        dump.len() / 1_000_000,
        dump.lines().count(),
        t.elapsed().as_secs_f64()
    );
    let options = SacctOptions {
        utc_offset: UtcOffset::UTC,
        ave_rss_bare: BareUnit::KiB,
    };
    let d = |v: i64| Decimal::from(v);
    let pricer = Pricer::new(
        vec![
            rate(
                1,
                "mu",
                Prices {
                    cpu: d(1),
                    gpu: d(5),
                    mem: Decimal::new(5, 1),
                },
            ),
            rate(
                2,
                "gov",
                Prices {
                    cpu: d(3),
                    gpu: d(10),
                    mem: d(1),
                },
            ),
            rate(
                3,
                "private",
                Prices {
                    cpu: d(5),
                    gpu: d(100),
                    mem: d(2),
                },
            ),
        ],
        HashMap::new(),
        TierRules::default(),
        Currency::THB,
    );
    let mut best = f64::MAX;
    for round in 0..3 {
        let t = Instant::now();
        let parsed = parse_sacct(&dump, Layout::HeaderLine, &options).expect("parse");
        let parse_s = t.elapsed().as_secs_f64();
        let warnings = parsed.warnings.len();
        // the records move into the core's shape (no copies: same fields, same allocation)
        let records: Vec<UsageRecord> = parsed
            .jobs
            .into_iter()
            .map(|r| UsageRecord {
                job_id: r.job_id,
                user: r.user,
                account: r.account,
                partition: r.partition,
                state: r.state,
                submit: r.submit,
                start: r.start,
                end: r.end,
                elapsed_s: r.elapsed_s,
                alloc_cpus: r.alloc_cpus,
                alloc_gpus: r.alloc_gpus,
                alloc_mem_mb: r.alloc_mem_mb,
                cpu_used_ms: r.cpu_used_ms,
                cpu_time_raw_s: r.cpu_time_raw_s,
                mem_used_kib_s: r.mem_used_kib_s,
                energy_j: r.energy_j,
                nodes: r.nodes,
            })
            .collect();
        let convert_s = t.elapsed().as_secs_f64() - parse_s;
        let mut total: i64 = 0;
        for rec in &records {
            total += pricer.price(rec, 0).expect("price").cost_minor;
        }
        let all_s = t.elapsed().as_secs_f64();
        best = best.min(all_s);
        let jobs = records.len();
        // freeing the records is not timed (as before: they would be stored next)
        let t = Instant::now();
        drop(records);
        let drop_s = t.elapsed().as_secs_f64();
        println!(
            "round {round}: parsed {jobs} jobs ({warnings} warnings) in {parse_s:.2} s; parsed + priced in {all_s:.2} s = {:.0} jobs/s (total {total} THB satang; moving to UsageRecord {convert_s:.2} s, pricing {:.2} s; freeing them took {drop_s:.2} s more)",
            jobs as f64 / all_s,
            all_s - parse_s - convert_s,
        );
    }
    println!("best: {:.0} jobs/s parse + price on one thread", n as f64 / best);
}
