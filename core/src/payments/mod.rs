//! Payments through gateway plugins (design §6): start a hosted checkout, settle from verified
//! webhooks and status checks exactly once, refund, and reconcile what webhooks missed.

mod gateway;
mod model;
mod query;
mod reconcile;
mod service;
mod settle;

pub use gateway::{
    CheckoutRequest, CheckoutStart, Gateway, GatewayError, GatewayReport, RefundOutcome, RefundRequest, SignedEvent,
    WebhookDelivery, WebhookVerdict,
};
pub use model::{Payment, PaymentFilter, PaymentStatus, Refund, ReportedStatus, SettleOutcome};
pub use query::PaymentPage;
pub use reconcile::JanitorReport;
pub use service::{Gateways, PaymentService, PaymentSettings};
pub use settle::WebhookResult;
