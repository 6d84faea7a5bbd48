//! Operations running at once per caller (an account, or an address for anonymous callers):
//! one caller cannot take every database connection with a handful of heavy queries. Over the
//! bound a request is refused with `RATE_LIMITED` at once, not queued.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The per-caller bound.
pub struct PerCaller {
    max: usize,
    slots: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// One running operation of a caller; gives its place back when dropped.
pub struct Slot {
    permit: Option<OwnedSemaphorePermit>,
    key: String,
    owner: Arc<PerCaller>,
}

impl PerCaller {
    /// A bound of `max` operations per caller.
    pub fn new(max: usize) -> Arc<PerCaller> {
        Arc::new(PerCaller {
            max: max.max(1),
            slots: Mutex::new(HashMap::new()),
        })
    }

    /// A place for one more operation of `key`, or `None` when it has `max` running.
    pub fn try_enter(self: &Arc<Self>, key: String) -> Option<Slot> {
        let semaphore = {
            let mut map = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            Arc::clone(
                map.entry(key.clone())
                    .or_insert_with(|| Arc::new(Semaphore::new(self.max))),
            )
        };
        let permit = semaphore.try_acquire_owned().ok()?;
        Some(Slot {
            permit: Some(permit),
            key,
            owner: Arc::clone(self),
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        drop(self.permit.take());
        // Forget callers with nothing running, so the table holds only active ones.
        let mut map = self.owner.slots.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = map.get(&self.key) {
            if Arc::strong_count(s) == 1 && s.available_permits() == self.owner.max {
                map.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_gets_at_most_max_places_and_they_come_back() {
        let limit = PerCaller::new(2);
        let a = limit.try_enter("alice".into()).expect("first");
        let b = limit.try_enter("alice".into()).expect("second");
        assert!(limit.try_enter("alice".into()).is_none());
        assert!(limit.try_enter("bob".into()).is_some(), "others are not affected");
        drop(a);
        assert!(limit.try_enter("alice".into()).is_some());
        drop(b);
        assert!(
            limit.slots.lock().expect("lock").is_empty(),
            "idle callers are forgotten"
        );
    }
}
