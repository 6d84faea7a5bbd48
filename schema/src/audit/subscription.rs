//! Audit subscriptions.

use super::types::AuditEntryGql;
use crate::context::{principal, services};
use crate::error::ApiError;
use async_graphql::{Context, Subscription};
use futures_util::stream::{self, Stream};
use hpcb_core::auth::Role;
use hpcb_core::events::Event;
use tokio::sync::broadcast::error::RecvError;

/// Audit subscriptions.
#[derive(Default)]
pub struct AuditSubscription;

#[Subscription]
impl AuditSubscription {
    /// Every audit entry appended from now on, as it commits (admin, finance).
    async fn audit_appended(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = AuditEntryGql>, ApiError> {
        let p = principal(ctx)?;
        p.require(&[Role::Admin, Role::Finance])?;
        let svc = services(ctx)?.clone();
        let rx = svc.bus.subscribe();
        Ok(stream::unfold((rx, svc), |(mut rx, svc)| async move {
            loop {
                match rx.recv().await {
                    Ok(ev) => {
                        let Event::AuditAppended { id, .. } = &*ev else {
                            continue;
                        };
                        match svc.audit.get(*id).await {
                            Ok(Some(e)) => return Some((AuditEntryGql::from(e), (rx, svc))),
                            Ok(None) => continue,
                            Err(e) => {
                                tracing::warn!(error = %e, "audit feed could not load an entry");
                                continue;
                            }
                        }
                    }
                    // A slow subscriber skips what it missed rather than slowing writers.
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return None,
                }
            }
        }))
    }
}
