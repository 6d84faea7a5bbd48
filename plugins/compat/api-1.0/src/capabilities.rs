//! Host capabilities: the only I/O a plugin can do, requested through `HostObject::call` with a
//! capability name and a JSON request.
//!
//! The host applies a per-plugin policy to each call (allow-lists, timeouts, size limits) and
//! answers a refused call with the error code [`crate::errors::DENIED`]. Capabilities run on the
//! thread that called into the plugin and block it until they finish.
//!
//! All capabilities below exist since API 1.0.

/// An HTTP request, made by the host (TLS, redirects not followed, response size limited).
///
/// Request: `{"method": "POST", "url": "https://api.example/v1/x",
/// "headers": {"content-type": "application/json"} (optional), "body": "text" (optional) or
/// "body_base64": "..." (optional, for binary bodies), "timeout_ms": 10000 (optional; the host
/// caps it)}`.
///
/// Response: `{"status": 200, "headers": {"lowercase-name": "value", ..}, "body": "text"}`; when
/// the response body is not UTF-8 the host sends `"body": null, "body_base64": "..."` instead.
/// A non-2xx status is a normal response, not an error.
///
/// Only hosts matching the plugin's allow-list (`host`, `host:port`, `*.domain`, `host:*`) are
/// reachable.
pub const HTTP: &str = "http";

/// Runs an allow-listed program directly (no shell), with a timeout and output size limits.
///
/// Request: `{"program": "sacct", "args": ["-P", "-n"], "stdin": "text" (optional),
/// "timeout_ms": 30000 (optional; the host caps it)}`.
///
/// Response: `{"status": 0 (null when killed by a signal), "stdout": "text", "stderr": "text"}`
/// (output decoded as UTF-8, invalid bytes replaced). A non-zero status is a normal response.
pub const RUN: &str = "run";

/// Reads a UTF-8 text file under one of the plugin's allow-listed directories (after resolving
/// symlinks and `..`), up to a size limit.
///
/// Request: `{"path": "/var/spool/usage/2025-01.csv"}`. Response: `{"content": "text"}`.
pub const READ_FILE: &str = "read_file";

/// Writes one line to the server's log, tagged with the plugin id.
///
/// Request: `{"level": "error" | "warn" | "info" | "debug" | "trace", "message": "text"}`.
/// Response: `{}`.
pub const LOG: &str = "log";

/// The host's wall clock, so plugins stay deterministic under test clocks.
///
/// Request: `{}`. Response: `{"unix_ms": 1735689600000}`.
pub const NOW: &str = "now";

/// A secret configured by the operator for this plugin (API keys, webhook signing secrets).
/// Only names configured for the plugin are served; values are never logged by the host.
///
/// Request: `{"name": "webhook_secret"}`. Response: `{"value": "..."}`.
pub const SECRET: &str = "secret";

/// Every capability a 1.0 host serves.
pub const ALL: [&str; 6] = [HTTP, RUN, READ_FILE, LOG, NOW, SECRET];
