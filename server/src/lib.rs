//! The hpc-billing server: configuration, composition of the services, the HTTP surface
//! (GraphQL, REST shim, health and metrics), the command line, and graceful shutdown.
//!
//! `main.rs` only parses the command line; everything else is here so tests can build the same
//! application on a loopback port.

pub mod app;
pub mod cli;
pub mod commands;
pub mod config;
pub mod demo_data;
pub mod gateways;
pub mod http;
pub mod keys;
#[cfg(feature = "pam")]
pub mod pam;
pub mod plugins;
pub mod secret;
pub mod state;
pub mod telemetry;

pub use app::Application;
pub use config::Config;
