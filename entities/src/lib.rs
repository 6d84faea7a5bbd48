//! Database entities of hpc-billing, plus the id newtypes and the `Money` type the other
//! crates share.
//!
//! The `tables` module mirrors the schema created by the `hpcb-migration` crate and holds no
//! behaviour; everything hand-written (ids, money) lives beside it, so the table structs can be
//! regenerated without losing code. Timestamps are `i64` Unix milliseconds (UTC) on every
//! table: one representation that sorts and compares identically on SQLite and PostgreSQL.
//! Decimal rates are stored as canonical decimal strings, because SQLite has no exact numeric
//! type and a float must never carry a price.

pub mod ids;
pub mod money;
pub mod tables;

pub use ids::*;
pub use money::{Currency, Money};
