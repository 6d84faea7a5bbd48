//! Live receipt updates.

use super::types::ReceiptGql;
use crate::context::{principal, services};
use crate::error::ApiError;
use async_graphql::{Context, Subscription, ID};
use futures_util::stream::{self, Stream};
use hpcb_core::events::{Event, Topic};
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
        let id = super::query::parse_id(&receipt_id)?;
        let rx = svc.events.subscribe(Topic::Receipt(id));
        // Refuses (as NOT_FOUND) receipts the caller may not see, before anything streams.
        svc.receipts.get(&p, id).await?;
        Ok(stream::unfold((rx, svc, p), move |(mut rx, svc, p)| async move {
            loop {
                match rx.recv().await {
                    Ok(ev) => {
                        let Event::ReceiptChanged { receipt_id, .. } = &*ev else {
                            continue;
                        };
                        if *receipt_id != id {
                            continue;
                        }
                        match svc.receipts.get(&p, id).await {
                            Ok(r) => return Some((ReceiptGql::from(r), (rx, svc, p))),
                            Err(e) => {
                                tracing::warn!(error = %e, "receipt feed could not load the receipt");
                                continue;
                            }
                        }
                    }
                    Err(RecvError::Lagged(_)) => {
                        if let Ok(r) = svc.receipts.get(&p, id).await {
                            return Some((ReceiptGql::from(r), (rx, svc, p)));
                        }
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        }))
    }
}
