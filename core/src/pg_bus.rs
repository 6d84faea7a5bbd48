//! The event bus of a PostgreSQL deployment: every replica publishes with `NOTIFY` and listens
//! with `LISTEN`, so a webhook settled on replica A reaches a subscriber connected to replica B.
//!
//! Local events take the same path as remote ones (out through PostgreSQL and back), so all
//! subscribers of all replicas see events in the order the database delivered them. Publishing
//! never blocks a writer: notices queue in memory and one task sends them in order. If the
//! listening connection drops, it reconnects; notices sent meanwhile are lost (PostgreSQL does
//! not keep them), which is why subscriptions re-read state from the database rather than trust
//! an event's payload.

use crate::events::{Event, EventBus};
use sea_orm::sqlx::postgres::{PgListener, PgPool};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, watch};

/// The notification channel all replicas share.
pub const CHANNEL: &str = "hpc_billing_events";

/// `LISTEN/NOTIFY` fan-out across replicas.
#[derive(Debug)]
pub struct PgBus {
    local: broadcast::Sender<Arc<Event>>,
    outbox: mpsc::UnboundedSender<String>,
    ready: watch::Receiver<bool>,
}

impl PgBus {
    /// Starts the sender and listener tasks on `pool` (must be called inside a Tokio runtime).
    pub fn start(pool: PgPool, capacity: usize) -> PgBus {
        let (local, _) = broadcast::channel(capacity.max(16));
        let (outbox, mut pending) = mpsc::unbounded_channel::<String>();
        let sender_pool = pool.clone();
        tokio::spawn(async move {
            while let Some(payload) = pending.recv().await {
                let sent = sea_orm::sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(CHANNEL)
                    .bind(&payload)
                    .execute(&sender_pool)
                    .await;
                if let Err(e) = sent {
                    if sender_pool.is_closed() {
                        return;
                    }
                    tracing::warn!(error = %e, "could not publish an event to other replicas");
                }
            }
        });
        let (ready_tx, ready) = watch::channel(false);
        let fan_out = local.clone();
        tokio::spawn(async move {
            loop {
                if pool.is_closed() {
                    return;
                }
                match listen(&pool).await {
                    Ok(mut listener) => {
                        let _ = ready_tx.send(true);
                        loop {
                            match listener.try_recv().await {
                                Ok(Some(n)) => match serde_json::from_str::<Event>(n.payload()) {
                                    Ok(event) => {
                                        let _ = fan_out.send(Arc::new(event));
                                    }
                                    Err(e) => tracing::warn!(error = %e, "unreadable event notification ignored"),
                                },
                                Ok(None) => {
                                    tracing::warn!("event listener lost its connection; reconnecting");
                                }
                                Err(e) => {
                                    tracing::warn!(error = %e, "event listener failed; reconnecting");
                                    break;
                                }
                            }
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot listen for events; retrying"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        PgBus { local, outbox, ready }
    }
}

async fn listen(pool: &PgPool) -> Result<PgListener, sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

#[async_trait::async_trait]
impl EventBus for PgBus {
    fn publish(&self, event: Event) {
        match serde_json::to_string(&event) {
            // Ignored when the sender task ended (pool closed at shutdown).
            Ok(payload) => {
                let _ = self.outbox.send(payload);
            }
            Err(e) => tracing::warn!(error = %e, "event not serialisable; not published"),
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.local.subscribe()
    }

    async fn ready(&self) {
        let mut ready = self.ready.clone();
        // An error means the listener task ended; nothing more to wait for.
        let _ = ready.wait_for(|r| *r).await;
    }
}
