//! `login_throttle`: failed-login counters per (username, IP), per address (`username = "*"`)
//! and per account (`ip = "*"`).

use sea_orm::entity::prelude::*;

/// Failure counter and lock state for one (username, client address) pair.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_throttle")]
pub struct Model {
    /// Lower-cased user name as typed (it need not exist, so probing is throttled too).
    #[sea_orm(primary_key, auto_increment = false)]
    pub username: String,
    /// Client address.
    #[sea_orm(primary_key, auto_increment = false)]
    pub ip: String,
    /// Failures since `window_start`.
    pub failures: i32,
    /// Start of the counting window, Unix ms.
    pub window_start: i64,
    /// While in the future, every attempt is refused; Unix ms.
    pub locked_until: Option<i64>,
    /// Attempts refused during the current lock (audited once, with this count at its end).
    pub refused: i32,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
