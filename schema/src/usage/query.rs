//! Usage queries.

use super::types::{GroupByGql, JobConnectionInfo, JobGql, UsageFilterInput, UsageSourceGql, UsageSummaryRow};
use crate::context::{principal, services};
use crate::error::ApiError;
use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object};
use hpcb_core::auth::{Principal, Role};
use hpcb_core::usage::{cursor_of, UsageFilter};
use hpcb_core::CoreError;

/// Largest page of jobs.
const MAX_PAGE: i32 = 1000;

/// Usage queries.
#[derive(Default)]
pub struct UsageQueryRoot;

type JobConnection = Connection<String, JobGql, JobConnectionInfo>;

async fn page(
    ctx: &Context<'_>,
    p: &Principal,
    filter: UsageFilter,
    first: i32,
    after: Option<String>,
) -> Result<JobConnection, ApiError> {
    if !(1..=MAX_PAGE).contains(&first) {
        return Err(CoreError::validation("first", format!("must be between 1 and {MAX_PAGE}")).into());
    }
    let svc = services(ctx)?;
    let filter = svc.usage.scope(p, filter)?;
    let page = svc.usage.page(&filter, first as u64, after.as_deref()).await?;
    let mut conn = Connection::with_additional_fields(
        after.is_some(),
        page.has_next,
        JobConnectionInfo {
            total_count: page.total,
        },
    );
    conn.edges
        .extend(page.jobs.into_iter().map(|j| Edge::new(cursor_of(&j), JobGql::from(j))));
    Ok(conn)
}

#[Object]
impl UsageQueryRoot {
    /// Your jobs with their hours and costs, newest first (running jobs first of all).
    #[graphql(complexity = "crate::cost::page(first, child_complexity)")]
    async fn my_usage(
        &self,
        ctx: &Context<'_>,
        filter: Option<UsageFilterInput>,
        #[graphql(default = 50)] first: i32,
        after: Option<String>,
    ) -> Result<JobConnection, ApiError> {
        let p = principal(ctx)?;
        page(
            ctx,
            p,
            filter.unwrap_or_default().into_filter(Some(p.username.clone())),
            first,
            after,
        )
        .await
    }

    /// Anyone's jobs, or one user's (admin, finance).
    #[graphql(complexity = "crate::cost::page(first, child_complexity)")]
    async fn usage(
        &self,
        ctx: &Context<'_>,
        user: Option<String>,
        filter: Option<UsageFilterInput>,
        #[graphql(default = 50)] first: i32,
        after: Option<String>,
    ) -> Result<JobConnection, ApiError> {
        let p = principal(ctx)?;
        p.require(&[Role::Admin, Role::Finance])?;
        page(ctx, p, filter.unwrap_or_default().into_filter(user), first, after).await
    }

    /// Totals grouped by user, account, partition, tier, day or month, computed by the
    /// database. Users get their own totals; admin and finance everyone's (or `user`'s).
    #[graphql(complexity = "crate::cost::unpaged(child_complexity)")]
    async fn usage_summary(
        &self,
        ctx: &Context<'_>,
        group_by: GroupByGql,
        filter: Option<UsageFilterInput>,
        user: Option<String>,
    ) -> Result<Vec<UsageSummaryRow>, ApiError> {
        let p = principal(ctx)?;
        let svc = services(ctx)?;
        let filter = svc.usage.scope(p, filter.unwrap_or_default().into_filter(user))?;
        Ok(svc
            .usage
            .summary(&filter, group_by.into())
            .await?
            .into_iter()
            .map(UsageSummaryRow::from)
            .collect())
    }

    /// The configured usage sources: last run, rows, errors, watermark, freshness (admin,
    /// finance).
    async fn usage_sources(&self, ctx: &Context<'_>) -> Result<Vec<UsageSourceGql>, ApiError> {
        let p = principal(ctx)?;
        let svc = services(ctx)?;
        let now = svc.clock.now_ms();
        Ok(svc
            .ingest
            .status(p)
            .await?
            .into_iter()
            .map(|s| UsageSourceGql::new(s, now))
            .collect())
    }
}
