//! Reads shared by the subscribers of one topic: when a change is announced, the first
//! subscriber of the topic to wake reads the database and every other subscriber of the same
//! announcement gets that read, so an event costs one read however many watch it. Each
//! subscriber still checks its own right to what was read.

use hpcb_core::events::{Event, Topic};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// Topics remembered at most; past this the memory is cleared (a cleared topic costs one more
/// read, never a wrong answer).
const MAX_TOPICS: usize = 10_000;

type Slot<V> = (Arc<Event>, Arc<OnceCell<Option<V>>>);

/// The latest read of each topic, keyed by the announcement it answers.
pub struct SharedReads<V> {
    latest: Mutex<HashMap<Topic, Slot<V>>>,
}

impl<V> Default for SharedReads<V> {
    fn default() -> Self {
        SharedReads {
            latest: Mutex::new(HashMap::new()),
        }
    }
}

impl<V: Clone> SharedReads<V> {
    /// The value read for announcement `event` of `topic`: read by `load` once, for the first
    /// caller; `None` when the read failed (logged by `load`).
    pub async fn get<F, Fut>(&self, topic: &Topic, event: &Arc<Event>, load: F) -> Option<V>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Option<V>>,
    {
        let cell = {
            let mut map = self.latest.lock().unwrap_or_else(|p| p.into_inner());
            match map.get(topic) {
                // The event is held in the map, so its address cannot be reused meanwhile.
                Some((seen, cell)) if Arc::ptr_eq(seen, event) => Arc::clone(cell),
                _ => {
                    if map.len() >= MAX_TOPICS {
                        map.clear();
                    }
                    let cell = Arc::new(OnceCell::new());
                    map.insert(topic.clone(), (Arc::clone(event), Arc::clone(&cell)));
                    cell
                }
            }
        };
        cell.get_or_init(load).await.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn one_announcement_is_read_once_for_every_subscriber() {
        let reads = SharedReads::<u32>::default();
        let loads = AtomicUsize::new(0);
        let topic = Topic::Receipt(7);
        let event = Arc::new(Event::ReceiptChanged {
            receipt_id: 7,
            username: "a".into(),
            status: "paid".into(),
        });
        for _ in 0..50 {
            let v = reads
                .get(&topic, &event, || async {
                    loads.fetch_add(1, Ordering::SeqCst);
                    Some(1)
                })
                .await;
            assert_eq!(v, Some(1));
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        let next = Arc::new(Event::ReceiptChanged {
            receipt_id: 7,
            username: "a".into(),
            status: "void".into(),
        });
        reads
            .get(&topic, &next, || async {
                loads.fetch_add(1, Ordering::SeqCst);
                Some(2)
            })
            .await;
        assert_eq!(loads.load(Ordering::SeqCst), 2, "a new announcement is read again");
    }
}
