//! The port through which the core talks to payment gateways: implemented by the server for
//! gateway plugins (`plugins/payment-gateways.md` is the wire protocol), and by tests with
//! fakes. The core never holds a database transaction across any of these calls.

use super::model::ReportedStatus;
use std::collections::BTreeMap;

/// Why a gateway call did not give an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GatewayError {
    /// The gateway answered and refused (declined, invalid request); its message is meant for
    /// people and safe to show.
    Refused(String),
    /// No answer: transport failure, timeout, plugin fault. Detail for the log only.
    Unavailable(String),
    /// Not asked: the gateway was busy with earlier calls for longer than callers may wait.
    /// Nothing reached the gateway. Detail for the log only.
    Busy(String),
}

impl std::fmt::Display for GatewayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GatewayError::Refused(m) => write!(f, "refused: {m}"),
            GatewayError::Unavailable(m) => write!(f, "unavailable: {m}"),
            GatewayError::Busy(m) => write!(f, "busy: {m}"),
        }
    }
}

/// What the core asks a gateway to start.
#[derive(Clone, Debug)]
pub struct CheckoutRequest {
    /// Our public payment id; gateways carry it back in metadata.
    pub payment_id: String,
    /// Minor units (ISO 4217 exponent).
    pub amount_minor: i64,
    /// Upper-case ISO code.
    pub currency: String,
    /// What the customer sees.
    pub description: String,
    /// Public base URL of this server.
    pub server_url: String,
    /// Where the gateway sends the customer afterwards.
    pub return_url: String,
    /// Where the gateway sends the customer who gives up.
    pub cancel_url: String,
    /// Sent as the gateway's idempotency key.
    pub idempotency_key: String,
    /// Customer e-mail, when known.
    pub customer_email: Option<String>,
    /// When the checkout should stop accepting payment, Unix ms.
    pub expires_at_ms: Option<i64>,
}

/// A started checkout.
#[derive(Clone, Debug, Default)]
pub struct CheckoutStart {
    /// The gateway's id for it.
    pub external_id: String,
    /// Hosted page.
    pub checkout_url: Option<String>,
    /// QR image (PromptPay).
    pub qr_image_url: Option<String>,
    /// Client-side confirmation secret.
    pub client_secret: Option<String>,
    /// When the gateway stops accepting it.
    pub expires_at_ms: Option<i64>,
}

/// A webhook as received: lower-case header names and the raw body.
#[derive(Clone, Debug)]
pub struct WebhookDelivery {
    /// Headers, names lower-cased.
    pub headers: BTreeMap<String, String>,
    /// The exact body bytes as text.
    pub body: String,
}

/// What a gateway reports about a payment, from a verified webhook or a status check.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GatewayReport {
    /// Our public payment id, when the gateway carried it back.
    pub payment_id: Option<String>,
    /// The gateway's id of the object.
    pub external_id: Option<String>,
    /// What happened; `None` when the event is not about a payment's state.
    pub status: Option<ReportedStatus>,
    /// Amount the gateway says was paid, minor units.
    pub amount_minor: Option<i64>,
    /// Its currency.
    pub currency: Option<String>,
    /// Total refunded so far, minor units.
    pub refunded_minor: Option<i64>,
}

/// The verdict on a webhook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WebhookVerdict {
    /// The signature is valid.
    Verified {
        /// The gateway's event id (deduplication key).
        event_id: String,
        /// The gateway's event type.
        event_type: String,
        /// What it says.
        report: GatewayReport,
    },
    /// Refused for good (HTTP 400, never retried usefully): not from the gateway, a timestamp
    /// outside the tolerance either way, or a correctly signed body that is no usable event.
    /// The reason goes to the audit log and the answer.
    Rejected(String),
}

/// A refund to make.
#[derive(Clone, Debug)]
pub struct RefundRequest {
    /// The gateway's payment id.
    pub external_id: String,
    /// Minor units.
    pub amount_minor: i64,
    /// Currency.
    pub currency: String,
    /// Idempotency key.
    pub idempotency_key: String,
    /// Why.
    pub reason: Option<String>,
}

/// What the gateway did with a refund.
#[derive(Clone, Debug)]
pub struct RefundOutcome {
    /// The gateway's refund id.
    pub refund_id: String,
    /// `succeeded`, `pending` or `failed`.
    pub status: String,
}

/// A delivery a development gateway signed for its own checkout page.
#[derive(Clone, Debug)]
pub struct SignedEvent {
    /// Headers to send.
    pub headers: BTreeMap<String, String>,
    /// Body to send.
    pub body: String,
}

/// Whether a gateway can be called, as far as this process can tell without calling it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GatewayHealth {
    /// Calls are served.
    Ready,
    /// Calls are served, but something went wrong recently (e.g. a call hung and the gateway's
    /// plugin is being replaced); the text says what, for operators.
    Degraded(String),
    /// Calls fail at once (e.g. too many calls are stuck in the gateway's plugin, or it could
    /// not be started again); the text says why, for operators.
    Down(String),
}

/// One configured gateway.
#[async_trait::async_trait]
pub trait Gateway: Send + Sync + 'static {
    /// How the gateway is doing, for readiness. Must be cheap and never call the gateway; an
    /// implementation that finds itself down may start recovering in the background.
    fn health(&self) -> GatewayHealth {
        GatewayHealth::Ready
    }
    /// Starts a hosted checkout.
    async fn create_checkout(&self, req: CheckoutRequest) -> Result<CheckoutStart, GatewayError>;
    /// Verifies and reads a webhook.
    async fn verify_webhook(&self, delivery: WebhookDelivery) -> Result<WebhookVerdict, GatewayError>;
    /// Asks for the current state of a payment.
    async fn fetch_status(&self, external_id: &str) -> Result<GatewayReport, GatewayError>;
    /// Refunds part or all of a payment.
    async fn refund(&self, req: RefundRequest) -> Result<RefundOutcome, GatewayError>;
    /// Signs a webhook for a decision made on our own checkout page; only development gateways
    /// can.
    async fn sign_event(
        &self,
        payment_id: &str,
        external_id: &str,
        amount_minor: i64,
        currency: &str,
        succeeded: bool,
    ) -> Result<SignedEvent, GatewayError>;
}
