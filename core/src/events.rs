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
