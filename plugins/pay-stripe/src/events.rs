//! What a verified Stripe event means for a payment (the table in
//! `plugins/payment-gateways.md`). Only an explicit success is `succeeded`; events about
//! anything else are answered with `status: null`.

use hpcb_plugin_sdk::{PluginError, Value};
use serde::{de::DeserializeOwned, Deserialize};

use crate::objects::{expandable_id, iso_money, metadata_payment_id, Charge, Dispute, PaymentIntent, Session};
use crate::protocol::{PaymentStatus, VerifiedEvent};

/// The envelope of every Stripe event.
#[derive(Debug, Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Debug, Deserialize)]
struct EventData {
    object: Value,
}

fn object<T: DeserializeOwned>(event: &Event) -> Result<T, PluginError> {
    serde_json::from_value(event.data.object.clone()).map_err(|err| {
        PluginError::bad_request(format!(
            "Stripe event {} ({}): data.object: {err}",
            event.id, event.kind
        ))
    })
}

/// Interprets the body of a delivery whose signature was verified. Every error is about the
/// body (its shape, amounts or currency), never transient.
pub fn describe(body: &str) -> Result<VerifiedEvent, PluginError> {
    let event: Event =
        serde_json::from_str(body).map_err(|err| PluginError::bad_request(format!("not a Stripe event: {err}")))?;
    let mut answer = VerifiedEvent::unrelated(event.id.clone(), event.kind.clone());
    match event.kind.as_str() {
        "checkout.session.completed"
        | "checkout.session.async_payment_succeeded"
        | "checkout.session.async_payment_failed"
        | "checkout.session.expired" => {
            let session: Session = object(&event)?;
            answer.status = Some(match event.kind.as_str() {
                // `unpaid`: a delayed method (bank transfer, …) started; its outcome comes later
                "checkout.session.completed" => match session.payment_status.as_deref() {
                    Some("paid" | "no_payment_required") => PaymentStatus::Succeeded,
                    _ => PaymentStatus::Pending,
                },
                "checkout.session.async_payment_succeeded" => PaymentStatus::Succeeded,
                "checkout.session.async_payment_failed" => PaymentStatus::Failed,
                _ => PaymentStatus::Expired,
            });
            (answer.amount_minor, answer.currency) = iso_money(session.amount_total, &session.currency)?;
            answer.payment_id = session.payment_id();
            answer.external_id = Some(session.id);
        }
        "payment_intent.succeeded" | "payment_intent.payment_failed" => {
            let intent: PaymentIntent = object(&event)?;
            answer.status = Some(if event.kind == "payment_intent.succeeded" {
                PaymentStatus::Succeeded
            } else {
                // the customer may retry with another card on the same intent
                PaymentStatus::Pending
            });
            (answer.amount_minor, answer.currency) = iso_money(intent.paid_amount(), &intent.currency)?;
            answer.payment_id = metadata_payment_id(&intent.metadata);
            answer.external_id = Some(intent.id);
        }
        "charge.refunded" => {
            let charge: Charge = object(&event)?;
            answer.status = Some(PaymentStatus::Refunded);
            (answer.amount_minor, answer.currency) = iso_money(charge.amount, &charge.currency)?;
            (answer.refunded_minor, _) = iso_money(charge.amount_refunded, &charge.currency)?;
            answer.payment_id = metadata_payment_id(&charge.metadata);
            answer.external_id = expandable_id(&charge.payment_intent);
        }
        "charge.dispute.created" => {
            let dispute: Dispute = object(&event)?;
            answer.status = Some(PaymentStatus::Disputed);
            (answer.amount_minor, answer.currency) = iso_money(dispute.amount, &dispute.currency)?;
            answer.payment_id = metadata_payment_id(&dispute.metadata);
            // like charge.refunded: the PaymentIntent, the one id both flows share
            answer.external_id = expandable_id(&dispute.payment_intent);
        }
        _ => {}
    }
    Ok(answer)
}
