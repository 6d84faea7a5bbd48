//! `dummy`: a development payment gateway (`plugins/payment-gateways.md` has the protocol).
//!
//! Its checkout page is served by the server itself (`/payments/dummy/checkout/<payment_id>`);
//! when the developer decides there, the server asks `sign_event` for a webhook delivery signed
//! like a real gateway's (`X-Dummy-Signature`, Stripe's scheme) and POSTs it to its own
//! `/payments/webhook/dummy`, so the whole verify-and-settle path runs without a gateway.
//! Refunds succeed at once. Nothing leaves the process: no HTTP, no state beyond the instance.

mod events;
mod gateway;
mod protocol;
mod settings;
mod signature;

pub use gateway::DummyGateway;
pub use settings::Settings;

hpcb_plugin_sdk::export_plugin!(gateway::DummyGateway);
