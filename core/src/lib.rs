//! The business of hpc-billing, independent of HTTP, GraphQL and the plugin ABI.
//!
//! Every operation is a method on a service (`AuthService`, `UserService`, `RateService`,
//! `AuditService`) that takes the acting [`Principal`](auth::Principal) and the request's
//! [`RequestMeta`](context::RequestMeta), checks who may do it, runs in one database
//! transaction together with its audit entry, and returns a typed [`CoreError`] on refusal.
//! The GraphQL layer, the CLI and background jobs all call the same services.

pub mod audit;
pub mod auth;
pub mod clock;
pub mod context;
pub mod db;
pub mod db_probe;
pub mod error;
pub mod events;
pub mod metrics;
pub mod money;
pub mod overview;
pub mod payments;
pub mod pg_bus;
pub mod plugins;
pub mod pricing;
pub mod rates;
pub mod receipts;
pub mod services;
pub use pricing::tiers;
pub mod usage;
pub mod users;

pub use error::{CoreError, CoreResult};
pub use services::{Services, ServicesConfig};
