//! Login throttling: the arithmetic of one counter, separate from storage (`throttle_store.rs`)
//! so it can be tested on its own. The same rule runs for each of the three counters an attempt
//! touches (per name and address, per address, per account), each with its own limit.

use super::settings::ThrottleSettings;
use hpcb_entities::tables::login_throttle;

/// Where a (username, address) pair stands at `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LockState {
    /// No lock.
    Open,
    /// Locked for this many more milliseconds.
    Locked { remaining_ms: i64 },
    /// A lock existed and has run out; the next attempt starts afresh.
    Expired,
}

pub(crate) fn lock_state(row: Option<&login_throttle::Model>, now: i64) -> LockState {
    match row.and_then(|r| r.locked_until) {
        Some(until) if until > now => LockState::Locked {
            remaining_ms: until - now,
        },
        Some(_) => LockState::Expired,
        None => LockState::Open,
    }
}

/// The counter after one more failure: `(failures, window_start, locked_until)`; it locks when
/// the failures in the window reach `max_failures`.
pub(crate) fn after_failure(
    row: Option<&login_throttle::Model>,
    now: i64,
    max_failures: u32,
    s: &ThrottleSettings,
) -> (i32, i64, Option<i64>) {
    let fresh = match row {
        None => true,
        Some(r) => r.locked_until.is_some() || now - r.window_start >= s.window_secs * 1000,
    };
    let (failures, window_start) = match row {
        Some(r) if !fresh => (r.failures.saturating_add(1), r.window_start),
        _ => (1, now),
    };
    let locked_until = (i64::from(failures) >= i64::from(max_failures)).then_some(now + s.lock_secs * 1000);
    (failures, window_start, locked_until)
}

/// Seconds a client must wait, rounded up so `0` never appears while still locked.
pub(crate) fn retry_after_secs(remaining_ms: i64) -> i64 {
    (remaining_ms + 999) / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ThrottleSettings {
        ThrottleSettings {
            max_failures: 3,
            address_max_failures: 10,
            account_max_failures: 10,
            window_secs: 60,
            lock_secs: 30,
        }
    }

    fn row(failures: i32, window_start: i64, locked_until: Option<i64>) -> login_throttle::Model {
        login_throttle::Model {
            username: "a".into(),
            ip: "1".into(),
            failures,
            window_start,
            locked_until,
            refused: 0,
        }
    }

    #[test]
    fn the_third_failure_in_the_window_locks() {
        let s = settings();
        assert_eq!(after_failure(None, 1000, 3, &s), (1, 1000, None));
        assert_eq!(after_failure(Some(&row(1, 1000, None)), 2000, 3, &s), (2, 1000, None));
        assert_eq!(
            after_failure(Some(&row(2, 1000, None)), 3000, 3, &s),
            (3, 1000, Some(33_000))
        );
    }

    #[test]
    fn failures_outside_the_window_start_a_new_count() {
        let s = settings();
        assert_eq!(
            after_failure(Some(&row(2, 1000, None)), 61_000, 3, &s),
            (1, 61_000, None)
        );
    }

    #[test]
    fn a_lock_runs_out_and_counting_restarts() {
        let r = row(3, 0, Some(30_000));
        assert_eq!(lock_state(Some(&r), 29_999), LockState::Locked { remaining_ms: 1 });
        assert_eq!(lock_state(Some(&r), 30_000), LockState::Expired);
        assert_eq!(after_failure(Some(&r), 30_000, 3, &settings()), (1, 30_000, None));
        assert_eq!(retry_after_secs(1), 1);
        assert_eq!(retry_after_secs(30_000), 30);
    }
}
