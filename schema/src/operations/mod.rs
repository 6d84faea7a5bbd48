//! What finance and admins watch: the billing overview and the plugin files.

mod query;
mod types;

pub use query::OperationsQuery;
