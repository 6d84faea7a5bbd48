//! Usage: the records sources deliver, how they become stored and priced jobs, ingestion runs
//! with watermarks and fallbacks, the daily rollup kept in step with them, and the queries over
//! stored usage.

mod batch_tx;
mod ingest;
mod job_key;
mod job_rows;
mod pg_rows;
mod query;
mod record;
mod reprice;
mod rollup;
mod rollup_summary;
mod source;
mod sqlite_rows;
mod store;

pub use crate::pricing::job::{billable_quantities, Basis, PricedJob, Pricer};
pub use ingest::{IngestReport, IngestService, SourceConfig, SourceStatus};
pub use job_key::canonical_job_key;
pub use query::{cursor_of, parse_cursor, GroupBy, JobPage, SummaryRow, UsageFilter, UsageQuery};
pub use record::UsageRecord;
pub use reprice::{affected_by_override, affected_by_rate, reprice};
pub use source::{FetchResult, UsageSource};
