//! Live payment status.

use super::types::PaymentGql;
use crate::context::{principal, services};
use crate::error::ApiError;
use crate::live::SharedReads;
use async_graphql::{Context, Subscription, ID};
use futures_util::stream::{self, Stream};
use hpcb_core::events::{Event, Topic};
use hpcb_core::payments::{Payment, PaymentService, PaymentStatus};
use std::sync::Arc;
use tokio::sync::broadcast::{self, error::RecvError};

/// Payment subscriptions.
#[derive(Default)]
pub struct PaymentSubscription;

struct Watch {
    rx: broadcast::Receiver<Arc<Event>>,
    payments: PaymentService,
    reads: Arc<SharedReads<Payment>>,
    id: String,
    first: Option<PaymentGql>,
    done: bool,
}

#[Subscription]
impl PaymentSubscription {
    /// The payment's current state at once, then every change, ending after a final state
    /// (its owner, admin, finance). Changes made on any server replica arrive.
    async fn payment_status(
        &self,
        ctx: &Context<'_>,
        payment_id: ID,
    ) -> Result<impl Stream<Item = PaymentGql>, ApiError> {
        let p = principal(ctx)?;
        let svc = services(ctx)?;
        let current = svc.payments.get(p, &payment_id).await?;
        // Subscribe before the state is sent, then re-read on every notice, so no change
        // between the read and the subscription is lost.
        let rx = svc.events.subscribe(Topic::Payment(current.public_id.clone()));
        let current = svc.payments.get(p, &payment_id).await?;
        let state = Watch {
            rx,
            payments: svc.payments.clone(),
            reads: ctx.data::<Arc<SharedReads<Payment>>>()?.clone(),
            id: current.public_id.clone(),
            first: Some(current.into()),
            done: false,
        };
        Ok(stream::unfold(state, |mut w| async move {
            if w.done {
                return None;
            }
            if let Some(first) = w.first.take() {
                w.done = is_final(&first);
                return Some((first, w));
            }
            loop {
                let event = match w.rx.recv().await {
                    Ok(ev) if matches!(&*ev, Event::PaymentChanged { payment_id, .. } if *payment_id == w.id) => ev,
                    Ok(_) => continue,
                    // Missed notices: re-read, the database has the truth.
                    Err(RecvError::Lagged(_)) => Arc::new(Event::PaymentChanged {
                        payment_id: w.id.clone(),
                        receipt_id: 0,
                        username: String::new(),
                        status: String::new(),
                    }),
                    Err(RecvError::Closed) => return None,
                };
                let topic = Topic::Payment(w.id.clone());
                let (payments, id) = (w.payments.clone(), w.id.clone());
                let read = w
                    .reads
                    .get(&topic, &event, || async move {
                        match payments.by_public_id(&id).await {
                            Ok(pay) => Some(pay),
                            Err(e) => {
                                tracing::warn!(error = %e, "payment status feed could not load the payment");
                                None
                            }
                        }
                    })
                    .await;
                if let Some(pay) = read {
                    let out = PaymentGql::from(pay);
                    w.done = is_final(&out);
                    return Some((out, w));
                }
            }
        }))
    }
}

fn is_final(p: &PaymentGql) -> bool {
    PaymentStatus::parse(&p.row.status).is_some_and(PaymentStatus::is_terminal)
}
