//! `stripe`: a payment-gateway plugin for Stripe (`plugins/payment-gateways.md` has the
//! protocol).
//!
//! A checkout is a Checkout Session (Stripe's hosted page) or, with `flow = "payment_intent"`, a
//! PaymentIntent that our own page confirms with Stripe.js. Requests are form-encoded with
//! Stripe's bracket keys, authenticated with the `api_key` secret, pinned to one
//! `Stripe-Version` and made idempotent with the server's key. Webhooks are verified exactly as
//! Stripe's SDKs verify them (every `v1`, current and previous secret, tolerance on old
//! timestamps only). Amounts are converted between ISO minor units and Stripe's units, see
//! [`currency`].

mod api;
pub mod currency;
mod events;
mod form;
mod gateway;
mod objects;
mod protocol;
mod settings;
mod signature;

pub use gateway::StripeGateway;
pub use settings::{Flow, Settings};
pub use signature::sign_header;

hpcb_plugin_sdk::export_plugin!(gateway::StripeGateway);
