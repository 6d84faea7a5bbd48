//! Usage mutations.

use super::types::IngestReportGql;
use crate::context::{meta, principal, services};
use crate::error::ApiError;
use crate::scalars::DateTime;
use async_graphql::{Context, Object};
use hpcb_core::context::Actor;

/// Usage mutations.
#[derive(Default)]
pub struct UsageMutation;

#[Object]
impl UsageMutation {
    /// Reads a window from a source now, whatever its schedule (admin). Re-reading a window
    /// changes nothing that did not change in Slurm.
    async fn ingest_usage(
        &self,
        ctx: &Context<'_>,
        source: String,
        from: DateTime,
        to: DateTime,
    ) -> Result<IngestReportGql, ApiError> {
        let p = principal(ctx)?;
        Ok(services(ctx)?
            .ingest
            .run_now(Actor::User(p), &meta(ctx), &source, from.0, to.0)
            .await?
            .into())
    }
}
