//! Time windows: which records belong to `[from, to)`, and how a long window is cut into the
//! pieces one request may cover.

use crate::Record;

/// Whether a record belongs to the window `[from_ms, to_ms)`: a job that ended inside it, or a job
/// that has not ended (running or pending) and was submitted before its end. Slurm's own windows
/// mean "existed during", so sources fetch more and keep what this says.
pub fn in_window(record: &Record, from_ms: i64, to_ms: i64) -> bool {
    match record.end {
        Some(end) => from_ms <= end && end < to_ms,
        None => record.submit.is_none_or(|submit| submit < to_ms),
    }
}

/// Splits `[from_ms, to_ms)` into consecutive pieces of at most `piece_ms` (the last one may be
/// shorter). An empty or inverted window gives no pieces; a non-positive piece length gives the
/// whole window.
pub fn split(from_ms: i64, to_ms: i64, piece_ms: i64) -> Vec<(i64, i64)> {
    if from_ms >= to_ms {
        return Vec::new();
    }
    if piece_ms <= 0 {
        return vec![(from_ms, to_ms)];
    }
    let mut pieces = Vec::new();
    let mut start = from_ms;
    while start < to_ms {
        let end = start.saturating_add(piece_ms).min(to_ms);
        pieces.push((start, end));
        start = end;
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(submit: Option<i64>, end: Option<i64>) -> Record {
        Record {
            job_id: "1".into(),
            user: "u".into(),
            account: None,
            partition: None,
            state: "COMPLETED".into(),
            submit,
            start: None,
            end,
            elapsed_s: 0,
            alloc_cpus: 0,
            alloc_gpus: 0,
            alloc_mem_mb: 0,
            cpu_used_ms: None,
            cpu_time_raw_s: None,
            mem_used_kib_s: None,
            energy_j: None,
            nodes: None,
        }
    }

    #[test]
    fn ended_jobs_count_by_end_and_open_jobs_by_submission() {
        assert!(in_window(&record(Some(0), Some(100)), 100, 200));
        assert!(!in_window(&record(Some(0), Some(200)), 100, 200));
        assert!(!in_window(&record(Some(0), Some(99)), 100, 200));
        assert!(in_window(&record(Some(150), None), 100, 200));
        assert!(in_window(&record(Some(10), None), 100, 200));
        assert!(!in_window(&record(Some(200), None), 100, 200));
        assert!(in_window(&record(None, None), 100, 200));
    }

    #[test]
    fn windows_split_into_pieces() {
        assert_eq!(split(0, 10, 4), vec![(0, 4), (4, 8), (8, 10)]);
        assert_eq!(split(0, 8, 4), vec![(0, 4), (4, 8)]);
        assert_eq!(split(5, 5, 4), vec![]);
        assert_eq!(split(9, 5, 4), vec![]);
        assert_eq!(split(0, 10, 0), vec![(0, 10)]);
        assert_eq!(
            split(i64::MAX - 3, i64::MAX, 2),
            vec![(i64::MAX - 3, i64::MAX - 1), (i64::MAX - 1, i64::MAX)]
        );
    }
}
