//! Live receipt updates.

use super::types::ReceiptGql;
use crate::context::{principal, services};
use crate::error::ApiError;
use crate::live::SharedReads;
use async_graphql::{Context, Subscription, ID};
use futures_util::stream::{self, Stream};
use hpcb_core::events::{Event, Topic};
use hpcb_core::receipts::Receipt;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;

/// Receipt subscriptions.
#[derive(Default)]
pub struct ReceiptSubscription;

#[Subscription]
impl ReceiptSubscription {
    /// The receipt each time it changes (paid by a gateway or by hand, voided, reverted), on
    /// any replica, for as long as the client stays subscribed (its owner, admin, finance).
    async fn receipt_updated(
        &self,
        ctx: &Context<'_>,
        receipt_id: ID,
    ) -> Result<impl Stream<Item = ReceiptGql>, ApiError> {
        let p = principal(ctx)?.clone();
        let svc = services(ctx)?.clone();
        let reads = ctx.data::<Arc<SharedReads<Receipt>>>()?.clone();
        let id = super::query::parse_id(&receipt_id)?;
        // Refuses (as NOT_FOUND) receipts the caller may not see, before subscribing to anything.
        svc.receipts.get(&p, id).await?;
        let rx = svc.events.subscribe(Topic::Receipt(id));
        let topic = Topic::Receipt(id);
        Ok(stream::unfold(rx, move |mut rx| {
            let (svc, p, reads, topic) = (svc.clone(), p.clone(), reads.clone(), topic.clone());
            async move {
                loop {
                    let event = match rx.recv().await {
                        Ok(ev) if matches!(&*ev, Event::ReceiptChanged { receipt_id, .. } if *receipt_id == id) => ev,
                        Ok(_) => continue,
                        // Missed notices: a fresh read tells the truth.
                        Err(RecvError::Lagged(_)) => Arc::new(Event::ReceiptChanged {
                            receipt_id: id,
                            username: String::new(),
                            status: String::new(),
                        }),
                        Err(RecvError::Closed) => return None,
                    };
                    let read = reads
                        .get(&topic, &event, || async {
                            match svc.receipts.by_id(id).await {
                                Ok(r) => r,
                                Err(e) => {
                                    tracing::warn!(error = %e, "receipt feed could not load the receipt");
                                    None
                                }
                            }
                        })
                        .await;
                    match read {
                        Some(r) if p.may_see_user(&r.username) => return Some((ReceiptGql::from(r), rx)),
                        _ => continue,
                    }
                }
            }
        }))
    }
}
