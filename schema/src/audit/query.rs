//! Audit queries.

use super::types::{AuditConnectionInfo, AuditEntryGql, AuditFilterInput, AuditVerifyResult};
use crate::context::{principal, services};
use crate::error::ApiError;
use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object};
use hpcb_core::auth::Role;
use hpcb_core::CoreError;

/// Largest page of `auditLog`.
const MAX_PAGE: i32 = 500;

/// Audit queries.
#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Audit entries, newest first (admin, finance). `after` is the `cursor` of the last edge
    /// of the previous page.
    #[graphql(complexity = "crate::cost::page(first, child_complexity)")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: i32,
        after: Option<String>,
        filter: Option<AuditFilterInput>,
    ) -> Result<Connection<String, AuditEntryGql, AuditConnectionInfo>, ApiError> {
        let p = principal(ctx)?;
        p.require(&[Role::Admin, Role::Finance])?;
        if !(1..=MAX_PAGE).contains(&first) {
            return Err(CoreError::validation("first", format!("must be between 1 and {MAX_PAGE}")).into());
        }
        let after_seq = match after {
            Some(c) => Some(
                c.parse::<i64>()
                    .map_err(|_| CoreError::validation("after", "not a cursor from this connection"))?,
            ),
            None => None,
        };
        let filter = filter.unwrap_or_default().into();
        let page = services(ctx)?.audit.list(&filter, first as u64, after_seq).await?;
        let mut conn = Connection::with_additional_fields(
            after_seq.is_some(),
            page.has_next,
            AuditConnectionInfo {
                total_count: page.total,
            },
        );
        conn.edges.extend(
            page.entries
                .into_iter()
                .map(|e| Edge::new(e.seq.to_string(), AuditEntryGql::from(e))),
        );
        Ok(conn)
    }

    /// Checks every entry of the hash chain and names the first that does not verify (admin,
    /// finance).
    async fn audit_verify(&self, ctx: &Context<'_>) -> Result<AuditVerifyResult, ApiError> {
        let p = principal(ctx)?;
        p.require(&[Role::Admin, Role::Finance])?;
        Ok(services(ctx)?.audit.verify().await?.into())
    }
}
