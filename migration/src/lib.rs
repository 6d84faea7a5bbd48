//! Schema migrations. This crate deliberately does not import `hpcb-entities`: an old migration
//! must keep creating exactly what it created when it was written, whatever the entities
//! become later. Migrations run on every server start and through `hpc-billing migrate`.

#![expect(
    elided_lifetimes_in_paths,
    reason = "MigrationTrait is an async_trait; its signatures must elide SchemaManager's lifetime"
)]

use sea_orm_migration::prelude::*;

pub use sea_orm_migration::MigratorTrait;

mod m20261101_000001_accounts;
mod m20261101_000002_audit;
mod m20261101_000003_rates;
mod m20261101_000004_usage;
mod m20261101_000005_usage_rollup;
mod m20261101_000006_receipts;
mod m20261101_000007_payments;
mod m20261122_000008_write_paths;
mod m20261206_000009_throttle_refusals;
mod m20261206_000010_user_language;

/// The ordered list of migrations.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261101_000001_accounts::Migration),
            Box::new(m20261101_000002_audit::Migration),
            Box::new(m20261101_000003_rates::Migration),
            Box::new(m20261101_000004_usage::Migration),
            Box::new(m20261101_000005_usage_rollup::Migration),
            Box::new(m20261101_000006_receipts::Migration),
            Box::new(m20261101_000007_payments::Migration),
            Box::new(m20261122_000008_write_paths::Migration),
            Box::new(m20261206_000009_throttle_refusals::Migration),
            Box::new(m20261206_000010_user_language::Migration),
        ]
    }
}
