//! The plugin instance: the protocol's methods on top of Omise's API.

use hpcb_plugin_sdk::kinds::payment_gateway::{CREATE_CHECKOUT, FETCH_STATUS, VERIFY_WEBHOOK};
use hpcb_plugin_sdk::{Host, Plugin, PluginError, PluginInfo, PluginKind, Value};

use crate::api::{OmiseApi, GATEWAY};
use crate::events::interpret;
use crate::form::{percent_encode, Form};
use crate::objects::{Charge, Refund, Source};
use crate::protocol::{
    check_idempotency_key, check_money, parse_request, CheckoutAnswer, CheckoutRequest, PaymentStatus, RefundAnswer,
    RefundRequest, StatusAnswer, StatusRequest, VerifiedEvent, WebhookAnswer, WebhookRequest, REFUND,
};
use crate::settings::Settings;
use crate::signature::{decode_secret, verify, SIGNATURE_HEADER, TIMESTAMP_HEADER};

/// The host secret holding the current webhook secret (base64, from Omise's dashboard).
pub const WEBHOOK_SECRET: &str = "webhook_secret";
/// The host secret holding the webhook secret being rotated out (optional).
pub const WEBHOOK_SECRET_PREVIOUS: &str = "webhook_secret_previous";

/// One configured Omise account.
pub struct OmiseGateway {
    host: Host,
    settings: Settings,
}

impl Plugin for OmiseGateway {
    fn info() -> PluginInfo {
        PluginInfo::new("omise", PluginKind::PaymentGateway, env!("CARGO_PKG_VERSION"))
            .with_description("Omise (Opn Payments) PromptPay QR charges, signed webhooks, refunds")
    }

    fn create(config: Value, host: Host) -> Result<Self, PluginError> {
        Ok(OmiseGateway {
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

/// Whether `id` has the shape of an Omise charge id (`chrg_` and letters, digits, `_`): only
/// such an id is put into a request path, so a signed event cannot point a re-fetch at
/// `/charges/` (the list), `/charges/..` (the API root) or anywhere else.
fn is_charge_id(id: &str) -> bool {
    id.strip_prefix("chrg_")
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
}

fn check_charge_id(external_id: &str) -> Result<(), PluginError> {
    if is_charge_id(external_id) {
        Ok(())
    } else {
        Err(PluginError::bad_request(format!(
            "external_id {external_id:?} is not an Omise charge (chrg_…)"
        )))
    }
}

impl OmiseGateway {
    fn api(&self) -> OmiseApi<'_> {
        OmiseApi::new(&self.host, &self.settings)
    }

    fn create_checkout(&self, request: CheckoutRequest) -> Result<CheckoutAnswer, PluginError> {
        check_money(request.amount_minor, &request.currency)?;
        check_idempotency_key(&request.idempotency_key)?;
        if request.payment_id.is_empty() {
            return Err(PluginError::bad_request("payment_id is empty"));
        }
        let amount = request.amount_minor.to_string();
        let mut source_form = Form::new();
        source_form
            .field("type", self.settings.source_type.clone())
            .field("amount", amount.clone())
            .field("currency", request.currency.clone());
        // Two POSTs make one checkout: each gets its own key derived from the server's, so a
        // retried checkout replays both instead of colliding on one key.
        let source: Source = self.api().create(
            "/sources",
            "/sources",
            &source_form,
            &format!("{}-source", request.idempotency_key),
        )?;
        let mut charge_form = Form::new();
        charge_form
            .field("amount", amount)
            .field("currency", request.currency.clone())
            .field("source", source.id)
            .field("return_uri", request.return_url.clone())
            .field("metadata[payment_id]", request.payment_id.clone());
        if let Some(description) = request.description.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            charge_form.field("description", description);
        }
        let charge: Charge = self.api().create(
            "/charges",
            "/charges",
            &charge_form,
            &format!("{}-charge", request.idempotency_key),
        )?;
        if charge.status.as_deref() == Some("failed") {
            // declined at once: a gateway error with Omise's own words
            return Err(PluginError::new(
                GATEWAY,
                format!(
                    "Omise declined charge {}: {} {}",
                    charge.id,
                    charge.failure_code.as_deref().unwrap_or("failed"),
                    charge.failure_message.as_deref().unwrap_or_default()
                )
                .trim()
                .to_owned(),
            ));
        }
        Ok(CheckoutAnswer {
            qr_image_url: charge.qr_image_url(),
            checkout_url: charge.authorize_uri.clone(),
            expires_at_ms: charge.expires_at_ms(),
            external_id: charge.id,
            client_secret: None,
            status: PaymentStatus::Pending,
        })
    }

    /// The decoded current and previous webhook secrets that are configured; `Err` with a
    /// reason when none is usable.
    fn webhook_keys(&self) -> Result<Result<Vec<Vec<u8>>, String>, PluginError> {
        let mut keys = Vec::new();
        let mut undecodable = Vec::new();
        for name in [WEBHOOK_SECRET, WEBHOOK_SECRET_PREVIOUS] {
            match self.host.secret(name) {
                Ok(secret) if secret.trim().is_empty() => {}
                Ok(secret) => match decode_secret(&secret) {
                    Some(key) => keys.push(key),
                    None => undecodable.push(name),
                },
                Err(err) if err.is("denied") => {}
                Err(err) => return Err(err),
            }
        }
        if !keys.is_empty() {
            return Ok(Ok(keys));
        }
        Ok(Err(if undecodable.is_empty() {
            "no webhook secret configured (secret webhook_secret)".to_owned()
        } else {
            // names only, never the value
            format!(
                "secret {} is not base64 (Omise webhook secrets are)",
                undecodable.join(", ")
            )
        }))
    }

    fn verify_webhook(&self, request: WebhookRequest) -> Result<WebhookAnswer, PluginError> {
        let Some(signatures) = request.header(SIGNATURE_HEADER).filter(|h| !h.is_empty()) else {
            return Ok(WebhookAnswer::Rejected("missing Omise-Signature header".to_owned()));
        };
        let Some(timestamp) = request.header(TIMESTAMP_HEADER).filter(|h| !h.is_empty()) else {
            return Ok(WebhookAnswer::Rejected(
                "missing Omise-Signature-Timestamp header".to_owned(),
            ));
        };
        let keys = match self.webhook_keys()? {
            Ok(keys) => keys,
            Err(reason) => return Ok(WebhookAnswer::Rejected(reason)),
        };
        let now_s = self.host.now_ms()?.div_euclid(1000);
        if let Err(reason) = verify(
            signatures,
            timestamp,
            &request.body,
            &keys,
            now_s,
            self.settings.tolerance_secs,
        ) {
            return Ok(WebhookAnswer::Rejected(reason));
        }
        // a body we cannot read will never become readable: refused like a bad signature, not
        // an error (which the server answers with "retry later"); a failed re-fetch below is
        // an error, and the gateway retries
        let event = match interpret(&request.body) {
            Ok(event) => event,
            Err(err) => {
                return Ok(WebhookAnswer::Rejected(format!(
                    "signature valid, but the body is unusable: {}",
                    err.message
                )))
            }
        };
        let Some(charge_id) = event.charge_id else {
            return Ok(WebhookAnswer::Verified(VerifiedEvent::unrelated(
                event.event_id,
                event.event_type,
            )));
        };
        if !is_charge_id(&charge_id) {
            return Ok(WebhookAnswer::Rejected(format!(
                "signature valid, but the body is unusable: {charge_id:?} is not an Omise charge id (chrg_…)"
            )));
        }
        // the webhook's copy may be stale or reordered: the charge as Omise has it now decides
        let charge: Charge = self.api().charge(&charge_id)?;
        Ok(WebhookAnswer::Verified(VerifiedEvent {
            event_id: event.event_id,
            event_type: event.event_type,
            payment_id: charge.payment_id(),
            status: Some(event.status_override.unwrap_or_else(|| charge.payment_status())),
            amount_minor: charge.amount,
            currency: charge.iso_currency(),
            refunded_minor: charge.refunded_amount,
            external_id: Some(charge.id),
        }))
    }

    fn fetch_status(&self, request: StatusRequest) -> Result<StatusAnswer, PluginError> {
        check_charge_id(&request.external_id)?;
        let charge: Charge = self.api().charge(&request.external_id)?;
        Ok(StatusAnswer {
            status: charge.payment_status(),
            amount_minor: charge.amount,
            currency: charge.iso_currency(),
            payment_id: charge.payment_id(),
            external_id: request.external_id,
        })
    }

    fn refund(&self, request: RefundRequest) -> Result<RefundAnswer, PluginError> {
        check_money(request.amount_minor, &request.currency)?;
        check_idempotency_key(&request.idempotency_key)?;
        check_charge_id(&request.external_id)?;
        let mut form = Form::new();
        form.field("amount", request.amount_minor.to_string());
        if let Some(reason) = request.reason.as_deref().filter(|r| !r.is_empty()) {
            form.field("metadata[reason]", reason);
        }
        let path = format!("/charges/{}/refunds", percent_encode(&request.external_id));
        let refund: Refund = self
            .api()
            .create(&path, "/charges/{id}/refunds", &form, &request.idempotency_key)?;
        Ok(RefundAnswer {
            status: refund.payment_status(),
            refund_id: refund.id,
            amount_minor: refund.amount,
        })
    }
}

#[cfg(test)]
mod charge_id_tests {
    use super::is_charge_id;

    #[test]
    fn only_charge_shaped_ids_reach_a_request_path() {
        assert!(is_charge_id("chrg_test_5x0ab12"));
        for bad in [
            "",
            "chrg_",
            "..",
            "chrg_..",
            "chrg_a/b",
            "chrg_a?x",
            "evnt_1",
            "chrg_a%2f",
        ] {
            assert!(!is_charge_id(bad), "{bad}");
        }
    }
}
