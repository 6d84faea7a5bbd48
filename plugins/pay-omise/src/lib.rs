//! `omise`: a payment-gateway plugin for Omise (Opn Payments) (`plugins/payment-gateways.md`
//! has the protocol).
//!
//! A checkout is a source (`promptpay` by default: a QR code the customer scans with a banking
//! app) and a charge on it; the answer carries the QR image and the charge's `authorize_uri`.
//! Requests are form-encoded, authenticated with the `api_key` secret (Basic, empty password),
//! pinned to one `Omise-Version` and made idempotent with keys derived from the server's.
//! Webhooks are verified with the base64-decoded webhook secret (`Omise-Signature`,
//! `Omise-Signature-Timestamp`), and then the charge is re-fetched: its current state, not the
//! webhook's copy, is what the answer reports.

mod api;
mod events;
mod form;
mod gateway;
mod objects;
mod protocol;
mod settings;
mod signature;

pub use api::OMISE_VERSION;
pub use gateway::OmiseGateway;
pub use settings::Settings;
pub use signature::sign;

hpcb_plugin_sdk::export_plugin!(gateway::OmiseGateway);
