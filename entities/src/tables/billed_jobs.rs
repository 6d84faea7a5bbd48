//! `billed_jobs`: which live receipt each billed job is on; its primary key forbids double
//! billing.

use sea_orm::entity::prelude::*;

/// A job on a live (pending or paid) receipt.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "billed_jobs")]
pub struct Model {
    /// Cluster.
    #[sea_orm(primary_key, auto_increment = false)]
    pub cluster: String,
    /// Canonical job key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub job_key: String,
    /// The receipt.
    pub receipt_id: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
