//! Operations running at once per caller (an account, or an address for anonymous callers):
//! one caller cannot take every database connection with a handful of heavy queries. Over the
//! bound a request waits its turn, up to [`WAIT`] and with at most `max_waiting` waiting per
//! caller; past either it is refused with `RATE_LIMITED`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Longest wait for a turn.
pub const WAIT: Duration = Duration::from_secs(10);

/// A caller's running operations and how many wait.
struct Caller {
    running: Arc<Semaphore>,
    waiting: usize,
}

/// The per-caller bound.
pub struct PerCaller {
    max: usize,
    max_waiting: usize,
    slots: Mutex<HashMap<String, Caller>>,
}

/// One running operation of a caller; gives its place back when dropped.
pub struct Slot {
    permit: Option<OwnedSemaphorePermit>,
    key: String,
    owner: Arc<PerCaller>,
}

impl PerCaller {
    /// A bound of `max` operations per caller, with `max_waiting` more waiting.
    pub fn new(max: usize, max_waiting: usize) -> Arc<PerCaller> {
        Arc::new(PerCaller {
            max: max.max(1),
            max_waiting,
            slots: Mutex::new(HashMap::new()),
        })
    }

    /// A place for one more operation of `key`, at once or after waiting its turn; `None` when
    /// too many wait already or the turn did not come within [`WAIT`].
    pub async fn enter(self: &Arc<Self>, key: String) -> Option<Slot> {
        let running = {
            let mut map = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            let caller = map.entry(key.clone()).or_insert_with(|| Caller {
                running: Arc::new(Semaphore::new(self.max)),
                waiting: 0,
            });
            if let Ok(permit) = Arc::clone(&caller.running).try_acquire_owned() {
                return Some(self.slot(permit, key));
            }
            if caller.waiting >= self.max_waiting {
                return None;
            }
            caller.waiting += 1;
            Arc::clone(&caller.running)
        };
        let permit = tokio::time::timeout(WAIT, running.acquire_owned()).await;
        if let Some(caller) = self.slots.lock().unwrap_or_else(|p| p.into_inner()).get_mut(&key) {
            caller.waiting -= 1;
        }
        match permit {
            Ok(Ok(permit)) => Some(self.slot(permit, key)),
            _ => {
                self.forget_if_idle(&key);
                None
            }
        }
    }

    fn slot(self: &Arc<Self>, permit: OwnedSemaphorePermit, key: String) -> Slot {
        Slot {
            permit: Some(permit),
            key,
            owner: Arc::clone(self),
        }
    }

    /// Forgets a caller with nothing running or waiting, so the table holds only active ones.
    fn forget_if_idle(&self, key: &str) {
        let mut map = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if map
            .get(key)
            .is_some_and(|c| c.waiting == 0 && c.running.available_permits() == self.max)
        {
            map.remove(key);
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        drop(self.permit.take());
        self.owner.forget_if_idle(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_caller_runs_at_most_max_and_waits_in_a_bounded_line() {
        let limit = PerCaller::new(2, 1);
        let a = limit.enter("alice".into()).await.expect("first");
        let b = limit.enter("alice".into()).await.expect("second");
        // The third waits for a place; a fourth finds the line full.
        let third = tokio::spawn({
            let limit = Arc::clone(&limit);
            async move { limit.enter("alice".into()).await.map(drop).is_some() }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(limit.enter("alice".into()).await.is_none(), "the line is full");
        assert!(limit.enter("bob".into()).await.is_some(), "others are not affected");
        drop(a);
        assert!(third.await.expect("task"), "the waiting one got the freed place");
        drop(b);
        assert!(
            limit.slots.lock().expect("lock").is_empty(),
            "idle callers are forgotten"
        );
    }
}
