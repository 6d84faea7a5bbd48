//! The fast sacct reader changes nothing but speed: on every fixture and on generated lines of
//! every shape sacct prints (and many it should not), parsing with the fast reader first gives
//! exactly the records and warnings of the general reader alone.

use hpcb_plugin_slurm_parse::sacct::{parse_sacct, parse_sacct_general, Layout, SacctOptions, FORMAT_FIELDS};
use hpcb_plugin_slurm_parse::size::BareUnit;
use hpcb_plugin_slurm_parse::timestamp::UtcOffset;
use proptest::prelude::*;

use crate::support::fixture;

fn options(bare: BareUnit) -> SacctOptions {
    SacctOptions {
        utc_offset: UtcOffset::UTC,
        ave_rss_bare: bare,
    }
}

fn same(text: &str, layout: Layout<'_>, options: &SacctOptions) {
    let fast = parse_sacct(text, layout, options);
    let general = parse_sacct_general(text, layout, options);
    assert_eq!(fast, general, "the readers disagree on:\n{text}");
}

#[test]
fn every_sacct_fixture_reads_the_same_both_ways() {
    let header = [
        "shared-22.05/sacct-brief.allocations-only.header.psv",
        "shared-22.05/sacct-brief.header.psv",
        "shared-22.05/sacct-full.header.psv",
        "live/sacct-default.header.psv",
    ];
    for file in header {
        for bare in [BareUnit::KiB, BareUnit::Bytes] {
            same(&fixture(file), Layout::HeaderLine, &options(bare));
        }
    }
    same(
        &fixture("live/sacct-noconvert.noheader.psv"),
        Layout::Columns(&FORMAT_FIELDS),
        &options(BareUnit::Bytes),
    );
}

/// One of the usual values of a field, or an odd one.
fn pick(values: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(values).prop_map(str::to_owned)
}

fn time() -> impl Strategy<Value = String> {
    prop_oneof![
        (2020u32..2031, 1u32..13, 1u32..32, 0u32..24, 0u32..60, 0u32..60)
            .prop_map(|(y, mo, d, h, mi, s)| format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}")),
        pick(&[
            "Unknown",
            "None",
            "",
            "2026-02-30T10:00:00",
            "2026-13-01T00:00:00",
            "2026-11-03 10:00:00",
            "yesterday"
        ]),
    ]
}

fn duration() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..100, 0u32..60, 0u32..1000).prop_map(|(m, s, ms)| format!("{m:02}:{s:02}.{ms:03}")),
        (0u32..24, 0u32..60, 0u32..60).prop_map(|(h, m, s)| format!("{h:02}:{m:02}:{s:02}")),
        (1u32..30, 0u32..24, 0u32..60, 0u32..60).prop_map(|(d, h, m, s)| format!("{d}-{h:02}:{m:02}:{s:02}")),
        pick(&["", "INVALID", "00:00:00", "1:2", "99:99:99", "-1"]),
    ]
}

fn tres() -> impl Strategy<Value = String> {
    prop_oneof![
        (
            1u32..128,
            0u32..9,
            1u32..512,
            prop::sample::select(&["M", "G", "T", ""][..])
        )
            .prop_map(|(c, g, m, u)| {
                let gpu = if g > 0 { format!(",gres/gpu={g}") } else { String::new() };
                format!("billing={c},cpu={c}{gpu},mem={m}{u},node=1")
            }),
        pick(&[
            "",
            "cpu=2,mem=500M,node=1",
            "cpu=4,gres/gpu:a100=2,mem=8G",
            "cpu=x,mem=1G",
            "gres/gpu=1",
            "mem=0"
        ]),
    ]
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..100_000_000).prop_map(|n| n.to_string()),
        pick(&["", "-3", "12abc", "99999999999999999999"])
    ]
}

fn size() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..10_000_000, prop::sample::select(&["", "K", "M", "G", "T"][..])).prop_map(|(n, u)| format!("{n}{u}")),
        (0u32..100, 0u32..100).prop_map(|(a, b)| format!("{a}.{b}M")),
        pick(&["", "4Gc", "16Gn", "100Mn", "n/a"]),
    ]
}

fn state() -> impl Strategy<Value = String> {
    pick(&[
        "COMPLETED",
        "FAILED",
        "CANCELLED by 1000",
        "TIMEOUT",
        "RUNNING",
        "PENDING",
        "OUT_OF_MEMORY",
        "NODE_FAIL",
        "REQUEUED",
        "BOGUS",
        "",
    ])
}

/// A job line and some of its steps in the columns of the sacct plugin (`FORMAT_FIELDS`).
fn job(id: u32) -> impl Strategy<Value = Vec<String>> {
    let job_id = prop_oneof![
        Just(id.to_string()),
        (1u32..5).prop_map(move |t| format!("{id}_{t}")),
        Just(String::new())
    ];
    let line = (
        job_id,
        pick(&["alice", "bob", "somchai.s", ""]),
        pick(&["physics", ""]),
        pick(&["debug", "gpu", ""]),
        state(),
        (time(), time(), time()),
        (number(), duration(), number(), number()),
        (size(), tres(), tres(), size(), number()),
    );
    let steps = prop::collection::vec(
        (
            prop::sample::select(&["batch", "extern", "0", "1"][..]),
            duration(),
            size(),
            tres(),
            number(),
        ),
        0..4,
    );
    (line, steps).prop_map(|((job_id, user, account, partition, state, (submit, start, end), (elapsed, cpu, cputime, alloc), (req_mem, req_tres, alloc_tres, ave_rss, energy)), steps)| {
        let mut lines = vec![format!(
            "{job_id}|{job_id}|{user}|1001|{account}|{partition}|{state}|{submit}|{start}|{end}|{elapsed}|{cpu}|{cputime}|{alloc}|{req_mem}|{req_tres}|{alloc_tres}|{ave_rss}|{energy}|node1"
        )];
        for (step, step_cpu, rss, step_tres, step_energy) in steps {
            lines.push(format!(
                "{job_id}.{step}|{job_id}.{step}|||{account}||COMPLETED|{submit}|{start}|{end}|{elapsed}|{step_cpu}|{cputime}|{alloc}|||{step_tres}|{rss}|{step_energy}|node1"
            ));
        }
        lines
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn generated_output_reads_the_same_both_ways(jobs in prop::collection::vec(0u32..40, 1..12).prop_flat_map(|ids| ids.into_iter().map(job).collect::<Vec<_>>()), bytes in any::<bool>()) {
        let text: String = jobs.into_iter().flatten().map(|l| l + "\n").collect();
        let bare = if bytes { BareUnit::Bytes } else { BareUnit::KiB };
        let fast = parse_sacct(&text, Layout::Columns(&FORMAT_FIELDS), &options(bare));
        let general = parse_sacct_general(&text, Layout::Columns(&FORMAT_FIELDS), &options(bare));
        prop_assert_eq!(fast, general);
    }
}
