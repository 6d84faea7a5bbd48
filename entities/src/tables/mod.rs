//! sea-orm models, one module per table, mirroring the migrations. No behaviour lives here.

pub mod audit_log;
pub mod billed_jobs;
pub mod invoice_counters;
pub mod jobs;
pub mod login_throttle;
pub mod payment_events;
pub mod payments;
pub mod rates;
pub mod receipt_items;
pub mod receipts;
pub mod refunds;
pub mod sessions;
pub mod tier_overrides;
pub mod usage_daily;
pub mod usage_sources;
pub mod users;
