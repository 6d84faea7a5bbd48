//! One record per job id out of answers that list a job more than once.
//!
//! slurmdbd keeps one record per run of a job id: a job requeued (by `scontrol requeue`, a node
//! failure or preemption) has its superseded run, `REQUEUED` (`["PENDING", "REQUEUED"]` from
//! v0.0.40), and then its next run. `/slurmdb/vX/jobs` lists every run in every version
//! (slurmrestd asks slurmdbd for duplicates unless the query sets flags of its own, which this
//! plugin never does; v0.0.40+ also take `show_duplicates`), superseded runs first; sacct
//! without `--duplicates` prints only the latest. A long window is also fetched in pieces whose
//! answers can list the same run twice. Billing the first record seen would price a requeued
//! job on a run Slurm replaced, so the latest run of each job id is kept, within one answer and
//! across the pieces of a window.

use std::collections::{HashMap, HashSet};

use hpcb_plugin_slurm_parse::{FetchOutput, Record};

/// The records of one window, gathered answer by answer: the latest run of each job id, in the
/// order the job ids were first listed, plus every distinct warning.
#[derive(Debug, Default)]
pub(crate) struct LatestRuns {
    merged: FetchOutput,
    /// Job id → its record's position in `merged.jobs`.
    positions: HashMap<String, usize>,
    seen_warnings: HashSet<String>,
}

impl LatestRuns {
    /// Adds one answer: its records in the order slurmrestd listed them (superseded runs of a
    /// job before the run that replaced them), and its warnings.
    pub(crate) fn add(&mut self, answer: FetchOutput) {
        for record in answer.jobs {
            match self.positions.get(&record.job_id) {
                Some(&at) => {
                    if let Some(kept) = self.merged.jobs.get_mut(at) {
                        if replaces(&record, kept) {
                            *kept = record;
                        }
                    }
                }
                None => {
                    self.positions.insert(record.job_id.clone(), self.merged.jobs.len());
                    self.merged.jobs.push(record);
                }
            }
        }
        for warning in answer.warnings {
            if self.seen_warnings.insert(warning.clone()) {
                self.merged.warnings.push(warning);
            }
        }
    }

    /// The window's records and warnings.
    pub(crate) fn finish(self) -> FetchOutput {
        self.merged
    }
}

/// Whether `run`, of the same job id as `kept`, replaces it. Each run of a job id has its own
/// submission time (a requeued job is submitted again when its run ends), and the latest record
/// is the one submitted last, as for slurmdbd (sacct without `--duplicates` keeps the record
/// with the latest submission). A run listed again (by a later piece of the window) replaces
/// its earlier listing, which may have been taken while it was still running.
fn replaces(run: &Record, kept: &Record) -> bool {
    let submitted = |record: &Record| record.submit.unwrap_or(i64::MIN);
    submitted(run) >= submitted(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(job_id: &str, state: &str, start: i64, end: Option<i64>) -> Record {
        Record {
            job_id: job_id.into(),
            user: "alice".into(),
            account: Some("physics".into()),
            partition: Some("debug".into()),
            state: state.into(),
            submit: Some(start - 1_000),
            start: Some(start),
            end,
            elapsed_s: end.map_or(0, |end| (end - start) / 1_000),
            alloc_cpus: 1,
            alloc_gpus: 0,
            alloc_mem_mb: 64,
            cpu_used_ms: None,
            cpu_time_raw_s: None,
            mem_used_kib_s: None,
            energy_j: None,
            nodes: Some("localhost".into()),
        }
    }

    fn answer(jobs: Vec<Record>, warnings: &[&str]) -> FetchOutput {
        FetchOutput {
            jobs,
            warnings: warnings.iter().map(|w| (*w).to_owned()).collect(),
        }
    }

    fn states(output: &FetchOutput) -> Vec<(&str, &str)> {
        output
            .jobs
            .iter()
            .map(|r| (r.job_id.as_str(), r.state.as_str()))
            .collect()
    }

    #[test]
    fn the_run_listed_after_a_superseded_one_is_kept_in_its_place() {
        let mut runs = LatestRuns::default();
        runs.add(answer(
            vec![
                run("7", "REQUEUED", 10_000, Some(11_000)),
                run("5", "COMPLETED", 9_000, Some(12_000)),
                run("7", "COMPLETED", 13_000, Some(17_000)),
            ],
            &[],
        ));
        let output = runs.finish();
        assert_eq!(states(&output), [("7", "COMPLETED"), ("5", "COMPLETED")]);
        assert_eq!(output.jobs[0].elapsed_s, 4);
    }

    #[test]
    fn a_later_piece_replaces_the_run_an_earlier_piece_listed() {
        let mut runs = LatestRuns::default();
        runs.add(answer(vec![run("7", "REQUEUED", 10_000, Some(11_000))], &["w1"]));
        runs.add(answer(vec![run("7", "RUNNING", 13_000, None)], &["w1", "w2"]));
        runs.add(answer(vec![run("7", "COMPLETED", 13_000, Some(17_000))], &[]));
        let output = runs.finish();
        // the run that is still running in one answer has ended in a later one
        assert_eq!(states(&output), [("7", "COMPLETED")]);
        assert_eq!(output.warnings, ["w1", "w2"]);
    }

    #[test]
    fn a_superseded_run_never_replaces_its_successor_whatever_the_order() {
        let mut runs = LatestRuns::default();
        runs.add(answer(vec![run("7", "COMPLETED", 13_000, Some(17_000))], &[]));
        runs.add(answer(vec![run("7", "REQUEUED", 10_000, Some(11_000))], &[]));
        assert_eq!(states(&runs.finish()), [("7", "COMPLETED")]);

        let mut runs = LatestRuns::default();
        runs.add(answer(
            vec![
                run("7", "PENDING", 13_000, None),
                run("7", "REQUEUED", 10_000, Some(11_000)),
            ],
            &[],
        ));
        assert_eq!(states(&runs.finish()), [("7", "PENDING")]);
    }
}
