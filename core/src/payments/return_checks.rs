//! Rationing the return page's status checks. The page is anonymous (gateways send customers
//! back without our cookie) and reloads itself while a payment is pending, so page loads must
//! not drive gateway calls: per payment at most one check runs at a time and a finished one is
//! reused for [`REUSE_MS`], and at most [`AT_ONCE`] checks run for all payments together. A load
//! that gets no check shows the stored state; the janitor and webhooks settle regardless.

use crate::clock::Clock;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// How long a finished check answers for the payment's later page loads, milliseconds.
pub(super) const REUSE_MS: i64 = 5_000;
/// Checks running at once for all return pages together.
pub(super) const AT_ONCE: usize = 4;
/// Entry count above which finished, no longer reusable entries are dropped.
const SWEEP_AT: usize = 1_024;

#[derive(Clone, Copy, Debug)]
enum Entry {
    Running,
    FinishedAt(i64),
}

#[derive(Debug, Default)]
struct State {
    entries: HashMap<i64, Entry>,
    running: usize,
}

/// The return page's checks, shared by every request of the process.
pub(super) struct ReturnChecks {
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

impl std::fmt::Debug for ReturnChecks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReturnChecks")
            .field("state", &*self.lock())
            .finish_non_exhaustive()
    }
}

/// Permission to run one check; the check counts as finished when this is dropped (also when
/// the request waiting for it goes away).
#[derive(Debug)]
pub(super) struct ReturnCheck {
    checks: Arc<ReturnChecks>,
    payment: i64,
}

impl ReturnChecks {
    pub(super) fn new(clock: Arc<dyn Clock>) -> ReturnChecks {
        ReturnChecks {
            clock,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A check of payment `payment` (its row id) may run now, or `None`: one is running, one
    /// finished less than [`REUSE_MS`] ago, or [`AT_ONCE`] are running.
    pub(super) fn begin(self: &Arc<Self>, payment: i64) -> Option<ReturnCheck> {
        let now = self.clock.now_ms();
        let mut state = self.lock();
        match state.entries.get(&payment) {
            Some(Entry::Running) => return None,
            Some(Entry::FinishedAt(at)) if now - at < REUSE_MS => return None,
            _ => {}
        }
        if state.running >= AT_ONCE {
            return None;
        }
        if state.entries.len() >= SWEEP_AT {
            state.entries.retain(|_, e| {
                matches!(e, Entry::FinishedAt(at) if now - *at < REUSE_MS) || matches!(e, Entry::Running)
            });
        }
        state.entries.insert(payment, Entry::Running);
        state.running += 1;
        Some(ReturnCheck {
            checks: Arc::clone(self),
            payment,
        })
    }
}

impl Drop for ReturnCheck {
    fn drop(&mut self) {
        let now = self.checks.clock.now_ms();
        let mut state = self.checks.lock();
        state.running = state.running.saturating_sub(1);
        state.entries.insert(self.payment, Entry::FinishedAt(now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn checks() -> (Arc<ManualClock>, Arc<ReturnChecks>) {
        let clock = Arc::new(ManualClock::new(1_790_000_000_000));
        (clock.clone(), Arc::new(ReturnChecks::new(clock)))
    }

    #[test]
    fn one_check_per_payment_at_a_time_and_its_result_is_reused_for_a_while() {
        let (clock, checks) = checks();
        let running = checks.begin(1).expect("the first check runs");
        assert!(checks.begin(1).is_none(), "a second one waits for the first");
        let other = checks.begin(2).expect("another payment is checked on its own");
        drop(running);
        drop(other);
        assert!(checks.begin(1).is_none(), "just checked");
        clock.advance(REUSE_MS - 1);
        assert!(checks.begin(1).is_none());
        clock.advance(1);
        assert!(checks.begin(1).is_some(), "stale: checked again");
    }

    #[test]
    fn at_most_a_few_checks_run_for_all_payments_together() {
        let (_clock, checks) = checks();
        let running: Vec<_> = (0..AT_ONCE as i64)
            .map(|p| checks.begin(p).expect("within the limit"))
            .collect();
        assert!(checks.begin(100).is_none());
        drop(running);
        assert!(checks.begin(100).is_some());
    }

    #[test]
    fn finished_entries_are_swept_once_there_are_many() {
        let (clock, checks) = checks();
        for p in 0..SWEEP_AT as i64 {
            drop(checks.begin(p));
        }
        clock.advance(REUSE_MS);
        drop(checks.begin(-1));
        assert_eq!(checks.lock().entries.len(), 1);
    }
}
