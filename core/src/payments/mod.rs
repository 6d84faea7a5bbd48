//! Payments through gateway plugins (design §6): start a hosted checkout (at most one open per
//! receipt), settle from verified webhooks and status checks exactly once, refund (duplicates
//! automatically), and reconcile what webhooks missed.

mod duplicate;
mod gateway;
mod model;
mod query;
mod reconcile;
mod return_checks;
mod service;
mod settle;
mod start;

pub use gateway::{
    CheckoutRequest, CheckoutStart, Gateway, GatewayError, GatewayHealth, GatewayReport, RefundOutcome, RefundRequest,
    SignedEvent, WebhookDelivery, WebhookVerdict,
};
pub use model::{Payment, PaymentFilter, PaymentStatus, Refund, ReportedStatus, SettleOutcome};
pub use query::PaymentPage;
pub use reconcile::JanitorReport;
pub use service::{Gateways, PaymentService, PaymentSettings};
pub use settle::WebhookResult;
