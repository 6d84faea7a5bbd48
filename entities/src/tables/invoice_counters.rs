//! `invoice_counters`: the last invoice number issued per year.

use sea_orm::entity::prelude::*;

/// Counter of one year; incremented in the transaction that creates the receipt, so a rolled
/// back receipt leaves no gap.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice_counters")]
pub struct Model {
    /// Year.
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    /// Last number issued.
    pub last: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
