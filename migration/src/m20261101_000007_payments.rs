//! Payments: one row per attempt to pay a receipt through a gateway, every webhook event
//! received (its unique key is what makes a redelivered event a no-op), and refunds.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Receipts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    PublicId,
    ReceiptId,
    Username,
    Provider,
    Status,
    AmountMinor,
    Currency,
    RefundedMinor,
    Disputed,
    ExternalId,
    CheckoutUrl,
    QrImageUrl,
    ClientSecret,
    IdempotencyKey,
    Error,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    SettledAt,
    ExpiresAt,
    NextCheckAt,
    CheckAttempts,
}

#[derive(DeriveIden)]
enum PaymentEvents {
    Table,
    Id,
    Provider,
    EventId,
    PaymentId,
    EventType,
    Status,
    AmountMinor,
    Currency,
    Outcome,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum Refunds {
    Table,
    Id,
    PaymentId,
    AmountMinor,
    Currency,
    Status,
    ExternalId,
    Reason,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Payments::Table)
                .col(
                    ColumnDef::new(Payments::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(Payments::PublicId)
                        .string_len(40)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(Payments::ReceiptId).big_integer().not_null())
                .col(ColumnDef::new(Payments::Username).string_len(128).not_null())
                .col(ColumnDef::new(Payments::Provider).string_len(64).not_null())
                .col(ColumnDef::new(Payments::Status).string_len(16).not_null())
                .col(ColumnDef::new(Payments::AmountMinor).big_integer().not_null())
                .col(ColumnDef::new(Payments::Currency).string_len(3).not_null())
                .col(
                    ColumnDef::new(Payments::RefundedMinor)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .col(ColumnDef::new(Payments::Disputed).boolean().not_null().default(false))
                .col(ColumnDef::new(Payments::ExternalId).string_len(255))
                .col(ColumnDef::new(Payments::CheckoutUrl).string_len(2048))
                .col(ColumnDef::new(Payments::QrImageUrl).string_len(2048))
                .col(ColumnDef::new(Payments::ClientSecret).string_len(255))
                .col(ColumnDef::new(Payments::IdempotencyKey).string_len(64).not_null())
                .col(ColumnDef::new(Payments::Error).string_len(512))
                .col(ColumnDef::new(Payments::CreatedBy).string_len(128).not_null())
                .col(ColumnDef::new(Payments::CreatedAt).big_integer().not_null())
                .col(ColumnDef::new(Payments::UpdatedAt).big_integer().not_null())
                .col(ColumnDef::new(Payments::SettledAt).big_integer())
                .col(ColumnDef::new(Payments::ExpiresAt).big_integer())
                .col(ColumnDef::new(Payments::NextCheckAt).big_integer())
                .col(ColumnDef::new(Payments::CheckAttempts).integer().not_null().default(0))
                .foreign_key(
                    ForeignKey::create()
                        .from(Payments::Table, Payments::ReceiptId)
                        .to(Receipts::Table, Receipts::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_payments_receipt")
                .table(Payments::Table)
                .col(Payments::ReceiptId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_payments_external")
                .table(Payments::Table)
                .col(Payments::Provider)
                .col(Payments::ExternalId)
                .to_owned(),
        )
        .await?;
        // The janitor's work list: pending payments by when they are next due.
        m.create_index(
            Index::create()
                .name("idx_payments_due")
                .table(Payments::Table)
                .col(Payments::Status)
                .col(Payments::NextCheckAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PaymentEvents::Table)
                .col(
                    ColumnDef::new(PaymentEvents::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(PaymentEvents::Provider).string_len(64).not_null())
                .col(ColumnDef::new(PaymentEvents::EventId).string_len(255).not_null())
                .col(ColumnDef::new(PaymentEvents::PaymentId).big_integer())
                .col(ColumnDef::new(PaymentEvents::EventType).string_len(128).not_null())
                .col(ColumnDef::new(PaymentEvents::Status).string_len(16))
                .col(ColumnDef::new(PaymentEvents::AmountMinor).big_integer())
                .col(ColumnDef::new(PaymentEvents::Currency).string_len(3))
                .col(ColumnDef::new(PaymentEvents::Outcome).string_len(32).not_null())
                .col(ColumnDef::new(PaymentEvents::ReceivedAt).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        // A redelivered event hits this key: the whole settlement is then a no-op.
        m.create_index(
            Index::create()
                .name("uq_payment_events_provider_event")
                .table(PaymentEvents::Table)
                .col(PaymentEvents::Provider)
                .col(PaymentEvents::EventId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_payment_events_payment")
                .table(PaymentEvents::Table)
                .col(PaymentEvents::PaymentId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Refunds::Table)
                .col(
                    ColumnDef::new(Refunds::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(Refunds::PaymentId).big_integer().not_null())
                .col(ColumnDef::new(Refunds::AmountMinor).big_integer().not_null())
                .col(ColumnDef::new(Refunds::Currency).string_len(3).not_null())
                .col(ColumnDef::new(Refunds::Status).string_len(16).not_null())
                .col(ColumnDef::new(Refunds::ExternalId).string_len(255))
                .col(ColumnDef::new(Refunds::Reason).string_len(512))
                .col(ColumnDef::new(Refunds::CreatedBy).string_len(128).not_null())
                .col(ColumnDef::new(Refunds::CreatedAt).big_integer().not_null())
                .col(ColumnDef::new(Refunds::UpdatedAt).big_integer().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .from(Refunds::Table, Refunds::PaymentId)
                        .to(Payments::Table, Payments::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_refunds_payment")
                .table(Refunds::Table)
                .col(Refunds::PaymentId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Refunds::Table.into_iden(),
            PaymentEvents::Table.into_iden(),
            Payments::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
