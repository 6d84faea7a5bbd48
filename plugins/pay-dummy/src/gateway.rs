//! The plugin instance. A development gateway keeps no books: what its checkout page decided
//! lives in this instance only, and is forgotten when the server restarts.

use std::collections::{BTreeMap, HashMap};

use hpcb_plugin_sdk::kinds::payment_gateway::{CREATE_CHECKOUT, FETCH_STATUS, VERIFY_WEBHOOK};
use hpcb_plugin_sdk::{Host, Plugin, PluginError, PluginInfo, PluginKind, Value};

use crate::events::{describe, DummyEvent, EventData};
use crate::protocol::{
    check_money, parse_request, CheckoutAnswer, CheckoutRequest, PaymentStatus, RefundAnswer, RefundRequest,
    SignEventAnswer, SignEventRequest, StatusAnswer, StatusRequest, WebhookAnswer, WebhookRequest, REFUND, SIGN_EVENT,
};
use crate::settings::Settings;
use crate::signature::{sign_header, verify, HEADER};

/// The host secret holding the current webhook signing secret.
pub const WEBHOOK_SECRET: &str = "webhook_secret";
/// The host secret holding the webhook secret being rotated out (optional).
pub const WEBHOOK_SECRET_PREVIOUS: &str = "webhook_secret_previous";

/// The prefix of every external id.
const EXTERNAL_PREFIX: &str = "dummy_";

/// What this instance knows about one payment.
#[derive(Debug, Clone)]
struct Known {
    payment_id: String,
    amount_minor: i64,
    currency: String,
    status: PaymentStatus,
}

/// A refund already answered, by idempotency key.
#[derive(Debug, Clone)]
struct KnownRefund {
    refund_id: String,
    external_id: String,
    amount_minor: i64,
}

/// The development gateway.
pub struct DummyGateway {
    host: Host,
    settings: Settings,
    /// By external id.
    payments: HashMap<String, Known>,
    /// By idempotency key.
    refunds: HashMap<String, KnownRefund>,
    /// Counts signed events, so two events in the same second get different ids.
    events_signed: u64,
}

impl Plugin for DummyGateway {
    fn info() -> PluginInfo {
        PluginInfo::new("dummy", PluginKind::PaymentGateway, env!("CARGO_PKG_VERSION"))
            .with_description("Development gateway: the server's own checkout page, signed webhooks")
    }

    fn create(config: Value, host: Host) -> Result<Self, PluginError> {
        Ok(DummyGateway {
            host,
            settings: Settings::from_config(config)?,
            payments: HashMap::new(),
            refunds: HashMap::new(),
            events_signed: 0,
        })
    }

    fn call(&mut self, method: &str, request: Value) -> Result<Value, PluginError> {
        match method {
            CREATE_CHECKOUT => Ok(serde_json::to_value(
                self.create_checkout(parse_request(method, request)?)?,
            )?),
            VERIFY_WEBHOOK => self.verify_webhook(parse_request(method, request)?)?.to_json(),
            FETCH_STATUS => Ok(serde_json::to_value(
                self.fetch_status(parse_request(method, request)?),
            )?),
            REFUND => Ok(serde_json::to_value(self.refund(parse_request(method, request)?)?)?),
            SIGN_EVENT => Ok(serde_json::to_value(self.sign_event(parse_request(method, request)?)?)?),
            other => Err(PluginError::unknown_method(other)),
        }
    }
}

/// Percent-encodes a URL path segment (RFC 3986 unreserved characters kept).
fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn external_id_of(payment_id: &str) -> String {
    format!("{EXTERNAL_PREFIX}{payment_id}")
}

impl DummyGateway {
    fn create_checkout(&mut self, request: CheckoutRequest) -> Result<CheckoutAnswer, PluginError> {
        check_money(request.amount_minor, &request.currency)?;
        if request.payment_id.is_empty() {
            return Err(PluginError::bad_request("payment_id is empty"));
        }
        let server_url = request.server_url.trim().trim_end_matches('/');
        if !(server_url.starts_with("http://") || server_url.starts_with("https://")) {
            return Err(PluginError::bad_request(format!(
                "server_url must be an http(s) URL, not {server_url:?}"
            )));
        }
        let external_id = external_id_of(&request.payment_id);
        // a retried create must not undo what the page already decided
        self.payments.entry(external_id.clone()).or_insert_with(|| Known {
            payment_id: request.payment_id.clone(),
            amount_minor: request.amount_minor,
            currency: request.currency.clone(),
            status: PaymentStatus::Pending,
        });
        Ok(CheckoutAnswer {
            checkout_url: Some(format!(
                "{server_url}/payments/dummy/checkout/{}",
                path_segment(&request.payment_id)
            )),
            external_id,
            qr_image_url: None,
            client_secret: None,
            status: PaymentStatus::Pending,
            expires_at_ms: request.expires_at_ms,
        })
    }

    fn sign_event(&mut self, request: SignEventRequest) -> Result<SignEventAnswer, PluginError> {
        check_money(request.amount_minor, &request.currency)?;
        if request.external_id != external_id_of(&request.payment_id) {
            return Err(PluginError::bad_request(format!(
                "external_id {:?} does not belong to payment {:?}",
                request.external_id, request.payment_id
            )));
        }
        let secret = self.host.secret(WEBHOOK_SECRET)?;
        let created = self.host.now_ms()?.div_euclid(1000);
        self.events_signed += 1;
        // Unique within this instance thanks to the counter; two instances could only collide
        // on the same payment, outcome, second and count, and such a duplicate says the same.
        let event = DummyEvent {
            id: format!(
                "dev_{}_{}_{created}_{}",
                request.payment_id,
                request.outcome.as_str(),
                self.events_signed
            ),
            kind: format!("payment.{}", request.outcome.as_str()),
            created,
            data: EventData {
                payment_id: Some(request.payment_id.clone()),
                external_id: Some(request.external_id.clone()),
                amount_minor: Some(request.amount_minor),
                currency: Some(request.currency.clone()),
                refunded_minor: None,
            },
        };
        let body = serde_json::to_string(&event)?;
        let signature = sign_header(&secret, created, &body).map_err(PluginError::other)?;
        self.payments.insert(
            request.external_id.clone(),
            Known {
                payment_id: request.payment_id,
                amount_minor: request.amount_minor,
                currency: request.currency,
                status: request.outcome.status(),
            },
        );
        let headers = BTreeMap::from([
            ("content-type".to_owned(), "application/json".to_owned()),
            (HEADER.to_owned(), signature),
        ]);
        Ok(SignEventAnswer { headers, body })
    }

    /// The current and previous webhook secrets that are configured.
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
        let Some(header) = request.header(HEADER).filter(|h| !h.is_empty()) else {
            return Ok(WebhookAnswer::Rejected("missing X-Dummy-Signature header".to_owned()));
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
            Err(why) => WebhookAnswer::Rejected(format!("signature valid, but the body is unusable: {why}")),
        })
    }

    fn fetch_status(&self, request: StatusRequest) -> StatusAnswer {
        if self.settings.status_delay_ms > 0 {
            // the development aid of `status_delay_ms`: a gateway that is slow to answer
            std::thread::sleep(std::time::Duration::from_millis(self.settings.status_delay_ms));
        }
        match self.payments.get(&request.external_id) {
            Some(known) => StatusAnswer {
                external_id: request.external_id.clone(),
                status: known.status,
                amount_minor: Some(known.amount_minor),
                currency: Some(known.currency.clone()),
                payment_id: Some(known.payment_id.clone()),
            },
            // created by an earlier instance (before a restart): nothing decided here yet
            None => StatusAnswer {
                payment_id: request
                    .external_id
                    .strip_prefix(EXTERNAL_PREFIX)
                    .filter(|id| !id.is_empty())
                    .map(str::to_owned),
                external_id: request.external_id,
                status: PaymentStatus::Pending,
                amount_minor: None,
                currency: None,
            },
        }
    }

    fn refund(&mut self, request: RefundRequest) -> Result<RefundAnswer, PluginError> {
        check_money(request.amount_minor, &request.currency)?;
        if !request.external_id.starts_with(EXTERNAL_PREFIX) {
            return Err(PluginError::bad_request(format!(
                "external_id {:?} is not a dummy payment",
                request.external_id
            )));
        }
        if request.idempotency_key.trim().is_empty() {
            return Err(PluginError::bad_request("idempotency_key is empty"));
        }
        if let Some(known) = self.refunds.get(&request.idempotency_key) {
            // as real gateways do: a key replays its first answer, and only for the same request
            if known.external_id != request.external_id || known.amount_minor != request.amount_minor {
                return Err(PluginError::bad_request(format!(
                    "idempotency_key {:?} was used for another refund",
                    request.idempotency_key
                )));
            }
            return Ok(RefundAnswer {
                refund_id: known.refund_id.clone(),
                status: PaymentStatus::Succeeded,
                amount_minor: known.amount_minor,
            });
        }
        let refund_id = format!("dre_{}", self.refunds.len() + 1);
        self.refunds.insert(
            request.idempotency_key,
            KnownRefund {
                refund_id: refund_id.clone(),
                external_id: request.external_id,
                amount_minor: request.amount_minor,
            },
        );
        Ok(RefundAnswer {
            refund_id,
            status: PaymentStatus::Succeeded,
            amount_minor: request.amount_minor,
        })
    }
}
