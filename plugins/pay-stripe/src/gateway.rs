//! The plugin instance: the protocol's methods on top of Stripe's API.

use hpcb_plugin_sdk::kinds::payment_gateway::{CREATE_CHECKOUT, FETCH_STATUS, VERIFY_WEBHOOK};
use hpcb_plugin_sdk::{Host, Plugin, PluginError, PluginInfo, PluginKind, Value};

use crate::api::StripeApi;
use crate::currency::{from_stripe, to_stripe};
use crate::events::describe;
use crate::form::Form;
use crate::objects::{expandable_id, iso_money, metadata_payment_id, PaymentIntent, Refund, Session};
use crate::protocol::{
    check_idempotency_key, check_money, parse_request, CheckoutAnswer, CheckoutRequest, PaymentStatus, RefundAnswer,
    RefundRequest, StatusAnswer, StatusRequest, WebhookAnswer, WebhookRequest, REFUND,
};
use crate::settings::{Flow, Settings};
use crate::signature::verify;

/// The host secret holding the current webhook signing secret (`whsec_…`).
pub const WEBHOOK_SECRET: &str = "webhook_secret";
/// The host secret holding the webhook secret being rotated out (optional).
pub const WEBHOOK_SECRET_PREVIOUS: &str = "webhook_secret_previous";

/// The reasons Stripe accepts for `POST /v1/refunds`; any other reason goes to the refund's
/// metadata instead, so a free-text reason never makes Stripe refuse the refund.
const STRIPE_REFUND_REASONS: [&str; 3] = ["duplicate", "fraudulent", "requested_by_customer"];

/// One configured Stripe account.
pub struct StripeGateway {
    host: Host,
    settings: Settings,
}

impl Plugin for StripeGateway {
    fn info() -> PluginInfo {
        PluginInfo::new("stripe", PluginKind::PaymentGateway, env!("CARGO_PKG_VERSION"))
            .with_description("Stripe Checkout Sessions or PaymentIntents, signed webhooks, refunds")
    }

    fn create(config: Value, host: Host) -> Result<Self, PluginError> {
        Ok(StripeGateway {
            host,
            settings: Settings::from_config(config)?,
        })
    }

    fn call(&mut self, method: &str, request: Value) -> Result<Value, PluginError> {
        match method {
            CREATE_CHECKOUT => Ok(serde_json::to_value(
                self.create_checkout(parse_request(method, request)?)?,
            )?),
            VERIFY_WEBHOOK => self.verify_webhook(parse_request(method, request)?)?.to_json(),
            FETCH_STATUS => Ok(serde_json::to_value(
                self.fetch_status(parse_request(method, request)?)?,
            )?),
            REFUND => Ok(serde_json::to_value(self.refund(parse_request(method, request)?)?)?),
            other => Err(PluginError::unknown_method(other)),
        }
    }
}

/// What an id is, told by Stripe's prefix (the flow setting may change between a checkout and
/// its refund, the id does not).
enum ExternalId<'a> {
    Session(&'a str),
    Intent(&'a str),
}

fn classify(external_id: &str) -> Result<ExternalId<'_>, PluginError> {
    if external_id.starts_with("cs_") {
        Ok(ExternalId::Session(external_id))
    } else if external_id.starts_with("pi_") {
        Ok(ExternalId::Intent(external_id))
    } else {
        Err(PluginError::bad_request(format!(
            "external_id {external_id:?} is neither a Checkout Session (cs_…) nor a PaymentIntent (pi_…)"
        )))
    }
}

impl StripeGateway {
    fn api(&self) -> StripeApi<'_> {
        StripeApi::new(&self.host, &self.settings)
    }

    fn create_checkout(&self, request: CheckoutRequest) -> Result<CheckoutAnswer, PluginError> {
        check_money(request.amount_minor, &request.currency)?;
        check_idempotency_key(&request.idempotency_key)?;
        if request.payment_id.is_empty() {
            return Err(PluginError::bad_request("payment_id is empty"));
        }
        let amount = to_stripe(request.amount_minor, &request.currency)?.to_string();
        let currency = request.currency.to_ascii_lowercase();
        // Stripe refuses an empty product name
        let description = match request.description.as_deref().map(str::trim) {
            Some(text) if !text.is_empty() => text.to_owned(),
            _ => format!("Payment {}", request.payment_id),
        };
        let mut form = Form::new();
        match self.settings.flow {
            Flow::Checkout => {
                form.field("mode", "payment")
                    .field("line_items[0][price_data][currency]", currency)
                    .field("line_items[0][price_data][unit_amount]", amount)
                    .field("line_items[0][price_data][product_data][name]", description)
                    .field("line_items[0][quantity]", "1")
                    .field("client_reference_id", request.payment_id.clone())
                    .field("metadata[payment_id]", request.payment_id.clone())
                    // so PaymentIntent and Charge events of this session carry our id too
                    .field("payment_intent_data[metadata][payment_id]", request.payment_id.clone())
                    .field("success_url", request.return_url.clone());
                if let Some(cancel_url) = &request.cancel_url {
                    form.field("cancel_url", cancel_url.clone());
                }
                if let Some(email) = request.customer_email.as_ref().filter(|e| !e.is_empty()) {
                    form.field("customer_email", email.clone());
                }
                if let Some(expires_at_ms) = request.expires_at_ms {
                    // Stripe takes seconds and refuses less than 30 min or more than 24 h ahead
                    form.field("expires_at", expires_at_ms.div_euclid(1000).to_string());
                }
                if let Some(types) = &self.settings.payment_method_types {
                    form.list("payment_method_types", types);
                }
                let session: Session = self
                    .api()
                    .create("checkout/sessions", &form, &request.idempotency_key)?;
                Ok(CheckoutAnswer {
                    external_id: session.id,
                    checkout_url: session.url,
                    qr_image_url: None,
                    client_secret: None,
                    status: PaymentStatus::Pending,
                    expires_at_ms: session.expires_at.map(|s| s.saturating_mul(1000)),
                })
            }
            Flow::PaymentIntent => {
                form.field("amount", amount)
                    .field("currency", currency)
                    .field("description", description)
                    .field("metadata[payment_id]", request.payment_id.clone());
                if let Some(email) = request.customer_email.as_ref().filter(|e| !e.is_empty()) {
                    form.field("receipt_email", email.clone());
                }
                if let Some(types) = &self.settings.payment_method_types {
                    form.list("payment_method_types", types);
                }
                let intent: PaymentIntent = self.api().create("payment_intents", &form, &request.idempotency_key)?;
                Ok(CheckoutAnswer {
                    external_id: intent.id,
                    checkout_url: None,
                    qr_image_url: None,
                    client_secret: intent.client_secret,
                    status: PaymentStatus::Pending,
                    // a PaymentIntent does not expire
                    expires_at_ms: None,
                })
            }
        }
    }

    /// The current and previous webhook secrets that are configured (empty ones count as
    /// absent, as the SDKs refuse them).
    fn webhook_secrets(&self) -> Result<Vec<String>, PluginError> {
        let mut secrets = Vec::new();
        for name in [WEBHOOK_SECRET, WEBHOOK_SECRET_PREVIOUS] {
            match self.host.secret(name) {
                Ok(secret) if !secret.is_empty() => secrets.push(secret),
                Ok(_) => {}
                Err(err) if err.is("denied") => {}
                Err(err) => return Err(err),
            }
        }
        Ok(secrets)
    }

    fn verify_webhook(&self, request: WebhookRequest) -> Result<WebhookAnswer, PluginError> {
        let Some(header) = request.header("stripe-signature").filter(|h| !h.is_empty()) else {
            return Ok(WebhookAnswer::Rejected("missing Stripe-Signature header".to_owned()));
        };
        let secrets = self.webhook_secrets()?;
        if secrets.is_empty() {
            return Ok(WebhookAnswer::Rejected(
                "no webhook secret configured (secret webhook_secret)".to_owned(),
            ));
        }
        let now_s = self.host.now_ms()?.div_euclid(1000);
        if let Err(reason) = verify(header, &request.body, &secrets, now_s, self.settings.tolerance_secs) {
            return Ok(WebhookAnswer::Rejected(reason));
        }
        // a body we cannot read will never become readable: refused like a bad signature, not
        // an error (which the server answers with "retry later")
        Ok(match describe(&request.body) {
            Ok(event) => WebhookAnswer::Verified(event),
            Err(err) => WebhookAnswer::Rejected(format!("signature valid, but the body is unusable: {}", err.message)),
        })
    }

    fn fetch_status(&self, request: StatusRequest) -> Result<StatusAnswer, PluginError> {
        match classify(&request.external_id)? {
            ExternalId::Session(id) => {
                let session: Session = self.api().retrieve("checkout/sessions", id)?;
                let status = match (session.status.as_deref(), session.payment_status.as_deref()) {
                    (Some("complete"), Some("paid")) => PaymentStatus::Succeeded,
                    (Some("expired"), _) => PaymentStatus::Expired,
                    _ => PaymentStatus::Pending,
                };
                let (amount_minor, currency) = iso_money(session.amount_total, &session.currency)?;
                Ok(StatusAnswer {
                    external_id: request.external_id.clone(),
                    status,
                    amount_minor,
                    currency,
                    payment_id: session.payment_id(),
                })
            }
            ExternalId::Intent(id) => {
                let intent: PaymentIntent = self.api().retrieve("payment_intents", id)?;
                let status = match intent.status.as_deref() {
                    Some("succeeded") => PaymentStatus::Succeeded,
                    Some("canceled") => PaymentStatus::Failed,
                    _ => PaymentStatus::Pending,
                };
                let (amount_minor, currency) = iso_money(intent.paid_amount(), &intent.currency)?;
                Ok(StatusAnswer {
                    external_id: request.external_id.clone(),
                    status,
                    amount_minor,
                    currency,
                    payment_id: metadata_payment_id(&intent.metadata),
                })
            }
        }
    }

    fn refund(&self, request: RefundRequest) -> Result<RefundAnswer, PluginError> {
        check_money(request.amount_minor, &request.currency)?;
        check_idempotency_key(&request.idempotency_key)?;
        let intent_id = match classify(&request.external_id)? {
            ExternalId::Intent(id) => id.to_owned(),
            ExternalId::Session(id) => {
                let session: Session = self.api().retrieve("checkout/sessions", id)?;
                expandable_id(&session.payment_intent).ok_or_else(|| {
                    PluginError::bad_request(format!(
                        "Checkout Session {id} has no PaymentIntent (nothing was paid), so there is nothing to refund"
                    ))
                })?
            }
        };
        let mut form = Form::new();
        form.field("payment_intent", intent_id).field(
            "amount",
            to_stripe(request.amount_minor, &request.currency)?.to_string(),
        );
        match request.reason.as_deref().filter(|r| !r.is_empty()) {
            Some(reason) if STRIPE_REFUND_REASONS.contains(&reason) => {
                form.field("reason", reason);
            }
            Some(reason) => {
                form.field("metadata[reason]", reason);
            }
            None => {}
        }
        let refund: Refund = self.api().create("refunds", &form, &request.idempotency_key)?;
        let status = match refund.status.as_deref() {
            Some("succeeded") => PaymentStatus::Succeeded,
            Some("failed" | "canceled") => PaymentStatus::Failed,
            // pending, requires_action (e.g. PromptPay refunds wait for the customer's bank
            // details), or a status newer than this plugin
            _ => PaymentStatus::Pending,
        };
        Ok(RefundAnswer {
            refund_id: refund.id,
            status,
            amount_minor: from_stripe(refund.amount, &refund.currency)?,
        })
    }
}
