//! Test plugins for the plugin host's integration tests (`plugins/host/tests`), one library per
//! cargo feature (see `Cargo.toml`):
//!
//! - default: [`echo::EchoPlugin`] (`test-echo`), a well-behaved SDK plugin that exercises every
//!   capability and can panic or hang on request;
//! - `raw-abi` (+ `api-minor-next` | `api-major-2` | `info-garbage`): a plugin written against
//!   the bare ABI that misbehaves in ways the SDK prevents;
//! - `not-a-plugin`: a valid shared library that exports no plugin root module;
//! - `foreign-abi`: a root module declared by another interface crate, with an extra field.
//!
//! A library built with `-C panic=abort` from the default features is the `panic = "abort"`
//! case.

pub mod echo;

#[cfg(all(feature = "raw-abi", not(any(feature = "not-a-plugin", feature = "foreign-abi"))))]
mod raw;

#[cfg(all(feature = "foreign-abi", not(feature = "not-a-plugin")))]
mod foreign;

#[cfg(not(any(feature = "raw-abi", feature = "not-a-plugin", feature = "foreign-abi")))]
hpcb_plugin_sdk::export_plugin!(echo::EchoPlugin);
