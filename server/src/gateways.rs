//! Payment-gateway plugins behind the core's `Gateway` port: JSON in and out as
//! `plugins/payment-gateways.md` specifies, plugin faults turned into "unavailable" (detail
//! for the log), a call that never got its turn into "busy", and the gateway's own refusals
//! (error code `gateway`) into messages for people. A plugin instance that panicked or hung is
//! replaced by the plugin host on the next call; its health feeds `/readyz`.

use crate::config::Config;
use anyhow::{anyhow, Result};
use hpcb_core::payments::{
    CheckoutRequest, CheckoutStart, Gateway, GatewayError, GatewayHealth, GatewayReport, Gateways, RefundOutcome,
    RefundRequest, ReportedStatus, SignedEvent, WebhookDelivery, WebhookVerdict,
};
use hpcb_plugin_host::{InstanceHealth, PluginCallError, PluginInstance, PluginKind, PluginRegistry};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// One gateway plugin instance.
pub struct PluginGateway {
    provider: String,
    instance: PluginInstance,
}

impl PluginGateway {
    async fn call<T: DeserializeOwned>(&self, method: &str, request: Value) -> Result<T, GatewayError> {
        let answer = self.instance.call(method, &request).await.map_err(|e| match e {
            PluginCallError::Failed { code, message, .. } if code == "gateway" => GatewayError::Refused(message),
            busy @ PluginCallError::Busy { .. } => GatewayError::Busy(busy.to_string()),
            other => GatewayError::Unavailable(other.to_string()),
        })?;
        serde_json::from_value(answer).map_err(|e| {
            GatewayError::Unavailable(format!(
                "plugin {} answered {method} with an unreadable document: {e}",
                self.provider
            ))
        })
    }
}

#[derive(Deserialize)]
struct StartAnswer {
    external_id: String,
    #[serde(default)]
    checkout_url: Option<String>,
    #[serde(default)]
    qr_image_url: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    expires_at_ms: Option<i64>,
}

#[derive(Deserialize)]
struct ReportAnswer {
    #[serde(default)]
    payment_id: Option<String>,
    #[serde(default)]
    external_id: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    amount_minor: Option<i64>,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    refunded_minor: Option<i64>,
}

impl ReportAnswer {
    fn into_report(self) -> Result<GatewayReport, GatewayError> {
        let status = match self.status.as_deref() {
            None => None,
            Some(s) => Some(
                ReportedStatus::parse(s)
                    .ok_or_else(|| GatewayError::Unavailable(format!("plugin reported an unknown status {s:?}")))?,
            ),
        };
        Ok(GatewayReport {
            payment_id: self.payment_id,
            external_id: self.external_id,
            status,
            amount_minor: self.amount_minor,
            currency: self.currency.map(|c| c.to_ascii_uppercase()),
            refunded_minor: self.refunded_minor,
        })
    }
}

#[derive(Deserialize)]
struct VerifyAnswer {
    verified: bool,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    event_id: Option<String>,
    #[serde(default)]
    event_type: Option<String>,
    #[serde(flatten)]
    report: ReportAnswer,
}

#[derive(Deserialize)]
struct RefundAnswer {
    refund_id: String,
    status: String,
}

#[derive(Deserialize)]
struct SignAnswer {
    headers: BTreeMap<String, String>,
    body: String,
}

#[async_trait::async_trait]
impl Gateway for PluginGateway {
    fn health(&self) -> GatewayHealth {
        match self.instance.health() {
            InstanceHealth::Ready => GatewayHealth::Ready,
            InstanceHealth::Recovering { reason } => GatewayHealth::Degraded(reason),
            InstanceHealth::Dead { reason } => {
                // An instance nobody calls (readiness keeps traffic away) still gets to recover.
                self.instance.revive();
                GatewayHealth::Down(reason)
            }
        }
    }

    async fn create_checkout(&self, r: CheckoutRequest) -> Result<CheckoutStart, GatewayError> {
        let a: StartAnswer = self
            .call(
                "create_checkout",
                json!({
                    "payment_id": r.payment_id, "amount_minor": r.amount_minor, "currency": r.currency,
                    "description": r.description, "server_url": r.server_url, "return_url": r.return_url,
                    "cancel_url": r.cancel_url, "idempotency_key": r.idempotency_key,
                    "customer_email": r.customer_email, "expires_at_ms": r.expires_at_ms,
                }),
            )
            .await?;
        Ok(CheckoutStart {
            external_id: a.external_id,
            checkout_url: a.checkout_url,
            qr_image_url: a.qr_image_url,
            client_secret: a.client_secret,
            expires_at_ms: a.expires_at_ms,
        })
    }

    async fn verify_webhook(&self, d: WebhookDelivery) -> Result<WebhookVerdict, GatewayError> {
        let a: VerifyAnswer = self
            .call("verify_webhook", json!({"headers": d.headers, "body": d.body}))
            .await?;
        if !a.verified {
            return Ok(WebhookVerdict::Rejected(
                a.reason.unwrap_or_else(|| "signature not verified".into()),
            ));
        }
        let event_id = a
            .event_id
            .ok_or_else(|| GatewayError::Unavailable("verified webhook without an event id".into()))?;
        Ok(WebhookVerdict::Verified {
            event_id,
            event_type: a.event_type.unwrap_or_default(),
            report: a.report.into_report()?,
        })
    }

    async fn fetch_status(&self, external_id: &str) -> Result<GatewayReport, GatewayError> {
        let a: ReportAnswer = self.call("fetch_status", json!({"external_id": external_id})).await?;
        a.into_report()
    }

    async fn refund(&self, r: RefundRequest) -> Result<RefundOutcome, GatewayError> {
        let a: RefundAnswer = self
            .call(
                "refund",
                json!({"external_id": r.external_id, "amount_minor": r.amount_minor, "currency": r.currency,
                    "idempotency_key": r.idempotency_key, "reason": r.reason}),
            )
            .await?;
        Ok(RefundOutcome {
            refund_id: a.refund_id,
            status: a.status,
        })
    }

    async fn sign_event(
        &self,
        payment_id: &str,
        external_id: &str,
        amount_minor: i64,
        currency: &str,
        succeeded: bool,
    ) -> Result<SignedEvent, GatewayError> {
        let a: SignAnswer = self
            .call(
                "sign_event",
                json!({"payment_id": payment_id, "external_id": external_id, "amount_minor": amount_minor,
                    "currency": currency, "outcome": if succeeded { "succeeded" } else { "failed" }}),
            )
            .await?;
        Ok(SignedEvent {
            headers: a.headers,
            body: a.body,
        })
    }
}

/// Instantiates every configured gateway; a gateway that cannot start is a start-up error
/// naming it, since payments through it would fail anyway.
pub async fn build_gateways(registry: &PluginRegistry, config: &Config) -> Result<Gateways> {
    let mut out = Gateways::new();
    for link in &config.payments.gateways {
        let settings = serde_json::to_value(&link.settings).map_err(|e| {
            anyhow!(
                "payments gateway {}: settings are not representable as JSON: {e}",
                link.plugin
            )
        })?;
        let instance = registry
            .instantiate(
                &link.plugin,
                PluginKind::PaymentGateway,
                &settings,
                crate::plugins::policy(link)?,
            )
            .await
            .map_err(|e| anyhow!("payments gateway {}: {e}", link.plugin))?;
        out.insert(
            link.plugin.clone(),
            Arc::new(PluginGateway {
                provider: link.plugin.clone(),
                instance,
            }) as Arc<dyn Gateway>,
        );
    }
    Ok(out)
}
