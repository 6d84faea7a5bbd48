//! Folding a job's own fields and its steps into one [`Record`]: the single place where CPU,
//! memory and energy usage are summed, shared by the sacct and slurmrestd parsers.

use crate::Record;

/// What a job (or array task) line says about itself, before its steps are folded in.
#[derive(Debug, Clone)]
pub(crate) struct JobFields {
    pub job_id: String,
    pub user: String,
    pub account: Option<String>,
    pub partition: Option<String>,
    pub state: String,
    pub submit: Option<i64>,
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub elapsed_s: i64,
    pub alloc_cpus: i64,
    pub alloc_gpus: i64,
    pub alloc_mem_mb: i64,
    /// The job's own TotalCPU, in ms.
    pub total_cpu_ms: Option<i64>,
    pub cpu_time_raw_s: Option<i64>,
    pub energy_j: Option<i64>,
    pub nodes: Option<String>,
}

/// What one step contributes.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct StepUsage {
    /// TotalCPU in ms.
    pub total_cpu_ms: Option<i64>,
    /// CPUTimeRAW in seconds (used when TotalCPU is unknown).
    pub cpu_time_raw_s: Option<i64>,
    /// AveRSS in bytes.
    pub ave_rss_bytes: Option<u128>,
    pub elapsed_s: Option<i64>,
    pub energy_j: Option<i64>,
}

/// The steps of one job summed as they arrive, so a parser needs to keep no list of steps: the
/// CPU time (TotalCPU, else CPUTimeRAW × 1000), AveRSS × elapsed in byte·seconds, and energy,
/// each unknown until a step reports it. Sums saturate; every amount is non-negative. Kept in 40
/// bytes (a parser holds one per job until the end).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct StepTotals {
    cpu_ms: i64,
    energy_j: i64,
    /// Byte·seconds, as the halves of a `u128` (which would align the whole to 16 bytes).
    mem_low: u64,
    mem_high: u64,
    /// Which sums some step reported: [`CPU`], [`MEM`], [`ENERGY`].
    known: u8,
}

const CPU: u8 = 1;
const MEM: u8 = 2;
const ENERGY: u8 = 4;

impl StepTotals {
    /// Adds one step.
    pub(crate) fn add(&mut self, step: &StepUsage) {
        if let Some(ms) = step
            .total_cpu_ms
            .or_else(|| step.cpu_time_raw_s.map(|s| s.saturating_mul(1000)))
        {
            self.cpu_ms = self.cpu_ms.saturating_add(ms);
            self.known |= CPU;
        }
        if let Some(bytes) = step.ave_rss_bytes {
            let seconds = u128::try_from(step.elapsed_s.unwrap_or(0).max(0)).unwrap_or(0);
            let sum = (u128::from(self.mem_high) << 64 | u128::from(self.mem_low))
                .saturating_add(bytes.saturating_mul(seconds));
            (self.mem_low, self.mem_high) = (sum as u64, (sum >> 64) as u64);
            self.known |= MEM;
        }
        if let Some(joules) = step.energy_j {
            self.energy_j = if self.known & ENERGY == 0 {
                joules
            } else {
                self.energy_j.saturating_add(joules)
            };
            self.known |= ENERGY;
        }
    }

    /// The job's CPU time: the steps' sum when it is above zero, else the job's own TotalCPU,
    /// else the (zero) sum of steps that reported one; `None` if nothing is known.
    pub(crate) fn cpu_used_ms(&self, job_total_cpu_ms: Option<i64>) -> Option<i64> {
        let sum = (self.known & CPU != 0).then_some(self.cpu_ms);
        match (sum, job_total_cpu_ms) {
            (Some(sum), _) if sum > 0 => Some(sum),
            (_, Some(job_ms)) => Some(job_ms),
            (sum, None) => sum,
        }
    }

    /// The memory used in KiB·s (byte·seconds divided once, rounded down), `None` when no step
    /// reported AveRSS.
    pub(crate) fn mem_used_kib_s(&self) -> Option<i64> {
        let total = u128::from(self.mem_high) << 64 | u128::from(self.mem_low);
        (self.known & MEM != 0).then(|| i64::try_from(total / 1024).unwrap_or(i64::MAX))
    }

    /// The job's own energy when known, else the steps' sum.
    pub(crate) fn energy_j(&self, job_energy_j: Option<i64>) -> Option<i64> {
        job_energy_j.or((self.known & ENERGY != 0).then_some(self.energy_j))
    }
}

/// Builds the record: steps' CPU time (TotalCPU, else CPUTimeRAW × 1000) summed, falling back
/// to the job's TotalCPU when the sum is zero; AveRSS × step elapsed summed in byte·seconds and
/// converted to KiB·s once; energy from the job, else summed over steps.
pub(crate) fn fold(job: JobFields, steps: &[StepUsage]) -> Record {
    let mut totals = StepTotals::default();
    for step in steps {
        totals.add(step);
    }
    Record {
        job_id: job.job_id,
        user: job.user,
        account: job.account,
        partition: job.partition,
        state: job.state,
        submit: job.submit,
        start: job.start,
        end: job.end,
        elapsed_s: job.elapsed_s,
        alloc_cpus: job.alloc_cpus,
        alloc_gpus: job.alloc_gpus,
        alloc_mem_mb: job.alloc_mem_mb,
        cpu_used_ms: totals.cpu_used_ms(job.total_cpu_ms),
        cpu_time_raw_s: job.cpu_time_raw_s,
        mem_used_kib_s: totals.mem_used_kib_s(),
        energy_j: totals.energy_j(job.energy_j),
        nodes: job.nodes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(total_cpu_ms: Option<i64>, energy_j: Option<i64>) -> JobFields {
        JobFields {
            job_id: "1".into(),
            user: "alice".into(),
            account: None,
            partition: None,
            state: "COMPLETED".into(),
            submit: None,
            start: None,
            end: None,
            elapsed_s: 10,
            alloc_cpus: 1,
            alloc_gpus: 0,
            alloc_mem_mb: 0,
            total_cpu_ms,
            cpu_time_raw_s: Some(10),
            energy_j,
            nodes: None,
        }
    }

    #[test]
    fn cpu_time_prefers_steps_then_the_job() {
        let steps = [
            StepUsage {
                total_cpu_ms: Some(45),
                ..StepUsage::default()
            },
            StepUsage {
                cpu_time_raw_s: Some(2),
                ..StepUsage::default()
            },
            StepUsage::default(),
        ];
        assert_eq!(fold(job(Some(7), None), &steps).cpu_used_ms, Some(2045));
        let idle = [StepUsage {
            total_cpu_ms: Some(0),
            ..StepUsage::default()
        }];
        assert_eq!(fold(job(Some(7), None), &idle).cpu_used_ms, Some(7));
        assert_eq!(fold(job(None, None), &idle).cpu_used_ms, Some(0));
        assert_eq!(fold(job(Some(3), None), &[]).cpu_used_ms, Some(3));
        assert_eq!(fold(job(None, None), &[]).cpu_used_ms, None);
    }

    #[test]
    fn memory_is_summed_in_byte_seconds_and_converted_once() {
        let steps = [
            StepUsage {
                ave_rss_bytes: Some(1536),
                elapsed_s: Some(1),
                ..StepUsage::default()
            },
            StepUsage {
                ave_rss_bytes: Some(512),
                elapsed_s: Some(1),
                ..StepUsage::default()
            },
            StepUsage {
                ave_rss_bytes: None,
                elapsed_s: Some(100),
                ..StepUsage::default()
            },
        ];
        assert_eq!(fold(job(None, None), &steps).mem_used_kib_s, Some(2));
        assert_eq!(fold(job(None, None), &steps[2..]).mem_used_kib_s, None);
    }

    #[test]
    fn energy_prefers_the_job() {
        let steps = [
            StepUsage {
                energy_j: Some(5),
                ..StepUsage::default()
            },
            StepUsage {
                energy_j: Some(6),
                ..StepUsage::default()
            },
        ];
        assert_eq!(fold(job(None, Some(100)), &steps).energy_j, Some(100));
        assert_eq!(fold(job(None, None), &steps).energy_j, Some(11));
        assert_eq!(fold(job(None, None), &[]).energy_j, None);
    }
}
