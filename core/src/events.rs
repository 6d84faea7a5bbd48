//! The event bus: how a committed change reaches live subscribers.
//!
//! Events are published only after the transaction that caused them commits (see
//! [`WriteTx::publish_after_commit`](crate::db::WriteTx::publish_after_commit)), so a subscriber
//! never sees a change that was rolled back. The in-process bus serves a single server (the
//! SQLite deployment); a PostgreSQL deployment adds a bus that fans out across replicas.

use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::sync::broadcast;

/// Something that happened, as subscribers see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// An audit entry was appended (admin live feed).
    AuditAppended {
        /// Row id of the entry.
        id: i64,
        /// Chain position.
        seq: i64,
        /// Action name.
        action: String,
    },
    /// A payment changed state (or gained a refund or dispute).
    PaymentChanged {
        /// Public payment id.
        payment_id: String,
        /// Its receipt.
        receipt_id: i64,
        /// Owner, for authorisation of subscribers.
        username: String,
        /// New status.
        status: String,
    },
    /// A receipt changed state (paid, voided, reverted).
    ReceiptChanged {
        /// Receipt id.
        receipt_id: i64,
        /// Owner.
        username: String,
        /// New status.
        status: String,
    },
    /// An account's sessions or rights changed (logout, password, role, disabled): open
    /// connections of that account re-check whom they serve.
    AccountChanged {
        /// The account.
        username: String,
    },
}

/// Port through which committed changes are announced.
#[async_trait::async_trait]
pub trait EventBus: Send + Sync + 'static {
    /// Announces an event to every current subscriber; never blocks and never fails the
    /// caller (a lagging subscriber loses events, it does not slow writers).
    fn publish(&self, event: Event);
    /// A receiver of every event published from now on.
    fn subscribe(&self) -> broadcast::Receiver<Arc<Event>>;
    /// Resolves once events published anywhere reach this bus's subscribers (a bus that
    /// listens to a database is ready once it listens).
    async fn ready(&self) {}
}

/// Broadcast within one process.
#[derive(Debug)]
pub struct InProcessBus {
    tx: broadcast::Sender<Arc<Event>>,
}

impl InProcessBus {
    /// A bus that buffers up to `capacity` events per slow subscriber.
    pub fn new(capacity: usize) -> InProcessBus {
        let (tx, _) = broadcast::channel(capacity.max(16));
        InProcessBus { tx }
    }
}

#[async_trait::async_trait]
impl EventBus for InProcessBus {
    fn publish(&self, event: Event) {
        // No receivers is fine: nobody is listening.
        let _ = self.tx.send(Arc::new(event));
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }
}

/// What a live subscription is about: the router wakes only the subscribers of a subject, so
/// ten thousand idle subscriptions cost nothing when someone else's payment settles.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    /// A payment, by public id.
    Payment(String),
    /// A receipt, by id.
    Receipt(i64),
    /// An account's sessions and rights, by user name.
    Account(String),
}

impl Topic {
    /// The subject an event is about, if subscriptions can ask for it.
    pub fn of(event: &Event) -> Option<Topic> {
        match event {
            Event::PaymentChanged { payment_id, .. } => Some(Topic::Payment(payment_id.clone())),
            Event::ReceiptChanged { receipt_id, .. } => Some(Topic::Receipt(*receipt_id)),
            Event::AccountChanged { username } => Some(Topic::Account(username.clone())),
            Event::AuditAppended { .. } => None,
        }
    }
}

type Topics = std::collections::HashMap<Topic, broadcast::Sender<Arc<Event>>>;

/// Fans bus events out per [`Topic`]. A subscriber gets a receiver for its topic only; what it
/// receives is a hint to re-read the subject from the database, which holds the truth.
#[derive(Clone, Debug)]
pub struct EventRouter {
    topics: Arc<std::sync::Mutex<Topics>>,
    created: Arc<std::sync::atomic::AtomicU64>,
}

impl EventRouter {
    /// Starts routing the bus's events (must be called inside a Tokio runtime). When the
    /// router falls behind the bus, every topic is told to re-read.
    pub fn start(bus: &dyn EventBus) -> EventRouter {
        let router = EventRouter {
            topics: Arc::new(std::sync::Mutex::new(Topics::new())),
            created: Arc::new(std::sync::atomic::AtomicU64::new(0)),
        };
        let mut rx = bus.subscribe();
        let topics = router.topics.clone();
        tokio::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(event) => {
                        let Some(topic) = Topic::of(&event) else { continue };
                        let mut map = topics.lock().unwrap_or_else(|p| p.into_inner());
                        if let Some(tx) = map.get(&topic) {
                            if tx.send(event).is_err() {
                                // Nobody listens any more.
                                map.remove(&topic);
                            }
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let map = topics.lock().unwrap_or_else(|p| p.into_inner());
                        for (topic, tx) in map.iter() {
                            let hint = match topic {
                                Topic::Payment(id) => Event::PaymentChanged {
                                    payment_id: id.clone(),
                                    receipt_id: 0,
                                    username: String::new(),
                                    status: String::new(),
                                },
                                Topic::Receipt(id) => Event::ReceiptChanged {
                                    receipt_id: *id,
                                    username: String::new(),
                                    status: String::new(),
                                },
                                Topic::Account(name) => Event::AccountChanged { username: name.clone() },
                            };
                            let _ = tx.send(Arc::new(hint));
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        });
        router
    }

    /// A receiver of the events about `topic` from now on.
    pub fn subscribe(&self, topic: Topic) -> broadcast::Receiver<Arc<Event>> {
        let mut map = self.topics.lock().unwrap_or_else(|p| p.into_inner());
        // Now and then, forget topics whose subscribers all left without an event arriving.
        if self.created.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 1024 == 1023 {
            map.retain(|_, tx| tx.receiver_count() > 0);
        }
        map.entry(topic).or_insert_with(|| broadcast::channel(16).0).subscribe()
    }
}
