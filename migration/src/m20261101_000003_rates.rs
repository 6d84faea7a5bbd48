//! Effective-dated rates (seeded with the predecessor's defaults) and per-user tier overrides.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Rates {
    Table,
    Id,
    Tier,
    Cpu,
    Gpu,
    Mem,
    Currency,
    EffectiveFrom,
    CreatedAt,
    CreatedBy,
}

#[derive(DeriveIden)]
enum TierOverrides {
    Table,
    Username,
    Tier,
    UpdatedAt,
    UpdatedBy,
}

/// The predecessor's default rates in THB per hour; effective since the epoch so that every
/// historical job has a price.
const DEFAULT_RATES: [(&str, &str, &str, &str); 3] = [
    ("mu", "1.0", "5.0", "0.5"),
    ("gov", "3.0", "10.0", "1.0"),
    ("private", "5.0", "100.0", "2.0"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Rates::Table)
                .col(
                    ColumnDef::new(Rates::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(Rates::Tier).string_len(32).not_null())
                .col(ColumnDef::new(Rates::Cpu).string_len(40).not_null())
                .col(ColumnDef::new(Rates::Gpu).string_len(40).not_null())
                .col(ColumnDef::new(Rates::Mem).string_len(40).not_null())
                .col(ColumnDef::new(Rates::Currency).string_len(3).not_null())
                .col(ColumnDef::new(Rates::EffectiveFrom).big_integer().not_null())
                .col(ColumnDef::new(Rates::CreatedAt).big_integer().not_null())
                .col(ColumnDef::new(Rates::CreatedBy).string_len(128))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_rates_tier_from")
                .table(Rates::Table)
                .col(Rates::Tier)
                .col(Rates::EffectiveFrom)
                .to_owned(),
        )
        .await?;
        let mut seed = Query::insert()
            .into_table(Rates::Table)
            .columns([
                Rates::Tier,
                Rates::Cpu,
                Rates::Gpu,
                Rates::Mem,
                Rates::Currency,
                Rates::EffectiveFrom,
                Rates::CreatedAt,
            ])
            .to_owned();
        for (tier, cpu, gpu, mem) in DEFAULT_RATES {
            seed.values_panic([
                tier.into(),
                cpu.into(),
                gpu.into(),
                mem.into(),
                "THB".into(),
                0i64.into(),
                0i64.into(),
            ]);
        }
        m.exec_stmt(seed).await?;
        m.create_table(
            Table::create()
                .table(TierOverrides::Table)
                .col(
                    ColumnDef::new(TierOverrides::Username)
                        .string_len(128)
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(TierOverrides::Tier).string_len(32).not_null())
                .col(ColumnDef::new(TierOverrides::UpdatedAt).big_integer().not_null())
                .col(ColumnDef::new(TierOverrides::UpdatedBy).string_len(128))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(TierOverrides::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Rates::Table).to_owned()).await
    }
}
