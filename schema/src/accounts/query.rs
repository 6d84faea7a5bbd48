//! Account queries.

use super::types::UserGql;
use crate::context::{principal, services};
use crate::error::ApiError;
use async_graphql::{Context, Object};

/// Account queries.
#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The signed-in account.
    async fn me(&self, ctx: &Context<'_>) -> Result<UserGql, ApiError> {
        let p = principal(ctx)?;
        let user = services(ctx)?
            .users
            .find(&p.username)
            .await?
            .ok_or_else(|| hpcb_core::CoreError::Unauthenticated("session ended; log in again".into()))?;
        Ok(user.into())
    }

    /// Every account (admin).
    #[graphql(complexity = "crate::cost::unpaged(child_complexity)")]
    async fn users(&self, ctx: &Context<'_>) -> Result<Vec<UserGql>, ApiError> {
        let p = principal(ctx)?;
        Ok(services(ctx)?
            .users
            .list(p)
            .await?
            .into_iter()
            .map(UserGql::from)
            .collect())
    }
}
