//! A generator of realistic `sacct --parsable2` dumps (header, job lines and their step lines,
//! array tasks, GPU jobs, failed/cancelled/timed-out jobs, several users, accounts and
//! partitions), deterministic for a seed. The demo ingests one through the CSV plugin; the
//! benchmarks use large ones, optionally with odd lines mixed in.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::fmt::Write as _;

/// Columns written, in order; the CSV plugin reads them by header name.
pub const HEADER: &str = "User|JobID|JobIDRaw|JobName|Account|Partition|State|ExitCode|Submit|Start|End|Elapsed|ElapsedRaw|TotalCPU|CPUTime|CPUTimeRAW|NCPUS|AllocCPUS|ReqMem|ReqTRES|AllocTRES|NodeList|Cluster|QOS|UID|AveRSS|ConsumedEnergyRaw";

/// Users of the demo cluster, chosen to exercise every default tier rule.
pub const USERS: [(&str, &str); 8] = [
    ("alice", "physics"),
    ("bob", "chemistry"),
    ("carol", "physics"),
    ("somchai.s", "biology"),
    ("nstda_lab", "ai-lab"),
    ("support01", "chemistry"),
    ("acme.corp", "ai-lab"),
    ("dave", "biology"),
];

/// What to generate.
#[derive(Clone, Debug)]
pub struct DumpSpec {
    /// Billable jobs (array tasks count one each).
    pub jobs: usize,
    /// Seed of the pseudo-random choices.
    pub seed: u64,
    /// Latest end time, Unix seconds (UTC).
    pub end_s: i64,
    /// Time span the jobs are spread over, seconds.
    pub span_s: i64,
    /// Every n-th job is followed by an unreadable line (0: none).
    pub odd_every: usize,
}

fn ts(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
        .unwrap_or_default()
}

fn dur(secs: i64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60, secs % 60);
    if d > 0 {
        format!("{d}-{h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

fn cpu_dur(ms: i64) -> String {
    let secs = ms / 1000;
    let frac = ms % 1000;
    if secs >= 3600 {
        format!("{}.{frac:03}", dur(secs))
    } else {
        format!("{:02}:{:02}.{frac:03}", secs / 60, secs % 60)
    }
}

/// Writes the dump.
pub fn generate(spec: &DumpSpec) -> String {
    let mut rng = StdRng::seed_from_u64(spec.seed);
    let mut out = String::with_capacity(spec.jobs * 420);
    out.push_str(HEADER);
    out.push('\n');
    let mut raw_id: i64 = 1000;
    let mut made = 0usize;
    while made < spec.jobs {
        let (user, account) = USERS[rng.gen_range(0..USERS.len())];
        let uid = 1000 + USERS.iter().position(|(u, _)| *u == user).unwrap_or(0);
        let gpu = rng.gen_bool(0.15);
        let partition = if gpu {
            "gpu"
        } else if rng.gen_bool(0.2) {
            "debug"
        } else {
            "compute"
        };
        let cpus: i64 = [1, 2, 4, 8, 16, 32][rng.gen_range(0..6)];
        let gpus: i64 = if gpu { rng.gen_range(1..=4) } else { 0 };
        let mem_gb: i64 = cpus * [1, 2, 4][rng.gen_range(0..3)];
        let array_tasks = if rng.gen_bool(0.1) {
            rng.gen_range(2..=5).min((spec.jobs - made) as i64)
        } else {
            1
        };
        let array_id = raw_id;
        for task in 0..array_tasks {
            raw_id += 1;
            made += 1;
            let elapsed: i64 = rng.gen_range(30..=36 * 3600);
            let end = spec.end_s - rng.gen_range(0..spec.span_s.max(1));
            let start = end - elapsed;
            let submit = start - rng.gen_range(0..7200);
            let roll: f64 = rng.gen();
            let (state, exit) = match roll {
                r if r < 0.80 => ("COMPLETED", "0:0"),
                r if r < 0.88 => ("FAILED", "1:0"),
                r if r < 0.95 => ("CANCELLED by 1000", "0:15"),
                r if r < 0.98 => ("TIMEOUT", "0:0"),
                _ => ("OUT_OF_MEMORY", "0:125"),
            };
            let (job_id, name) = if array_tasks > 1 {
                (format!("{array_id}_{task}"), "array-sweep")
            } else {
                (
                    raw_id.to_string(),
                    ["simulate", "train", "analyse", "render"][rng.gen_range(0..4)],
                )
            };
            let efficiency: f64 = rng.gen_range(0.05..1.0);
            let used_ms = ((cpus * elapsed * 1000) as f64 * efficiency) as i64;
            let rss_kib = (mem_gb * 1024 * 1024) as f64 * rng.gen_range(0.05..0.9);
            let energy = elapsed * cpus * rng.gen_range(5..20);
            let gres = if gpus > 0 {
                format!(",gres/gpu={gpus}")
            } else {
                String::new()
            };
            let tres = format!("billing={cpus},cpu={cpus}{gres},mem={mem_gb}G,node=1");
            let node = format!("node{:02}", rng.gen_range(1..=16));
            let _ = writeln!(
                out,
                "{user}|{job_id}|{raw_id}|{name}|{account}|{partition}|{state}|{exit}|{}|{}|{}|{}|{elapsed}|{}|{}|{}|{cpus}|{cpus}|{mem_gb}G|{tres}|{tres}|{node}|demo|normal|{uid}||{energy}",
                ts(submit),
                ts(start),
                ts(end),
                dur(elapsed),
                cpu_dur(used_ms),
                dur(cpus * elapsed),
                cpus * elapsed,
            );
            let steps: Vec<String> = if rng.gen_bool(0.3) {
                vec!["batch".into(), "0".into(), "1".into()]
            } else {
                vec!["batch".into()]
            };
            let share = used_ms / steps.len() as i64;
            for step in steps.iter().chain(std::iter::once(&"extern".to_owned())) {
                let (step_used, step_rss) = if step == "extern" {
                    (0, 0)
                } else {
                    (share, rss_kib as i64)
                };
                let _ = writeln!(
                    out,
                    "|{job_id}.{step}|{raw_id}.{step}|{step}|{account}||{state}|{exit}|{}|{}|{}|{}|{elapsed}|{}|{}|{}|{cpus}|{cpus}|||cpu={cpus}{gres},mem={mem_gb}G,node=1|{node}|demo|||{step_rss}K|{}",
                    ts(start),
                    ts(start),
                    ts(end),
                    dur(elapsed),
                    cpu_dur(step_used),
                    dur(cpus * elapsed),
                    cpus * elapsed,
                    energy / steps.len() as i64,
                );
            }
            if spec.odd_every > 0 && made.is_multiple_of(spec.odd_every) {
                out.push_str("garbage|line|that|sacct|would|never|print\n");
            }
            if made >= spec.jobs {
                break;
            }
        }
    }
    out
}

/// `n` completed usage records of one user, as a source would deliver them after parsing:
/// spread over a year, a tenth of them array tasks, a third with GPUs. For benchmarks that
/// start after parsing.
pub fn usage_records(n: usize, user: &str) -> Vec<hpcb_core::usage::UsageRecord> {
    let end0: i64 = 1_790_000_000_000;
    (0..n)
        .map(|i| {
            let elapsed = 60 + (i as i64 * 7919) % 86_400;
            let end = end0 - (i as i64 * 37_000) % (365 * 86_400_000);
            hpcb_core::usage::UsageRecord {
                job_id: if i % 10 == 0 {
                    format!("{}_{}", 1_000_000 + i / 10, i % 7)
                } else {
                    (2_000_000 + i).to_string()
                },
                user: user.into(),
                account: Some("physics".into()),
                partition: Some(["compute", "gpu", "debug"][i % 3].into()),
                state: "COMPLETED".into(),
                submit: Some(end - elapsed * 1000 - 5000),
                start: Some(end - elapsed * 1000),
                end: Some(end),
                elapsed_s: elapsed,
                alloc_cpus: 1 << (i % 6),
                alloc_gpus: if i % 3 == 1 { 1 + (i % 4) as i64 } else { 0 },
                alloc_mem_mb: 1024 << (i % 5),
                cpu_used_ms: Some(elapsed * 700),
                cpu_time_raw_s: Some(elapsed * (1 << (i % 6))),
                mem_used_kib_s: Some(elapsed * 500_000),
                energy_j: None,
                nodes: Some(format!("node{:02}", i % 16)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dumps_are_deterministic_and_well_formed() {
        let spec = DumpSpec {
            jobs: 200,
            seed: 7,
            end_s: 1_790_000_000,
            span_s: 86_400 * 30,
            odd_every: 0,
        };
        let a = generate(&spec);
        assert_eq!(a, generate(&spec));
        let columns = HEADER.split('|').count();
        for line in a.lines() {
            assert_eq!(line.split('|').count(), columns, "{line}");
        }
        let jobs = a.lines().skip(1).filter(|l| !l.starts_with('|')).count();
        assert_eq!(jobs, 200);
        assert!(a.contains("gres/gpu="));
        assert!(
            a.lines()
                .any(|l| l.split('|').nth(1).is_some_and(|id| id.contains('_'))),
            "has array tasks"
        );
    }
}
