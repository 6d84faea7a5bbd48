//! Plugin kinds and, for each, the methods a plugin of that kind answers through
//! `PluginObject::call`, with their JSON shapes.
//!
//! Every method takes a JSON object and returns a JSON object. Unknown methods must be answered
//! with the error code [`crate::errors::UNKNOWN_METHOD`]. Money is always an integer amount of
//! minor units (`amount_minor`) plus an ISO 4217 `currency`; times are Unix milliseconds.

/// A payment gateway: turns a payment into a hosted checkout, verifies webhooks and reports
/// status. It builds requests and parses responses; the host does the HTTP.
pub const PAYMENT_GATEWAY: &str = "payment-gateway";

/// A usage source: reads finished Slurm jobs (slurmrestd, sacct, CSV, ...) and reports them in
/// one neutral shape.
pub const USAGE_SOURCE: &str = "usage-source";

/// A plugin that exists only to test hosts; production hosts may refuse it.
pub const TEST: &str = "test";

/// Every kind a 1.0 host knows. Hosts refuse other kinds.
pub const ALL: [&str; 3] = [PAYMENT_GATEWAY, USAGE_SOURCE, TEST];

/// Methods of [`PAYMENT_GATEWAY`] plugins (API 1.0).
///
/// Payment `status` values: `"pending"`, `"succeeded"`, `"failed"`, `"refunded"`, `"disputed"`.
/// A gateway that cannot tell says `"pending"`; only an explicit answer from the gateway may be
/// reported as `"succeeded"` or `"failed"`.
pub mod payment_gateway {
    /// Starts a hosted checkout for one payment.
    ///
    /// Request: `{"payment_id": "pay_01", "amount_minor": 12345, "currency": "THB",
    /// "description": "Receipt 2025-000123", "return_url": "https://billing.example/pay/done",
    /// "idempotency_key": "pay_01-1", "customer_email": "alice@example.org" (optional)}`.
    ///
    /// Response: `{"external_id": "cs_123", "checkout_url": "https://gateway/..",
    /// "status": "pending"}`.
    pub const CREATE_CHECKOUT: &str = "create_checkout";

    /// Verifies and interprets one webhook delivery (the plugin fetches its signing secret with
    /// the `secret` capability and the time with `now`).
    ///
    /// Request: `{"headers": {"lowercase-name": "value", ..}, "body": "<raw body as text>"}`.
    ///
    /// Response when the signature is valid: `{"verified": true, "event_id": "evt_1",
    /// "external_id": "cs_123" (or null when the event is not about a payment),
    /// "status": "succeeded", "amount_minor": 12345, "currency": "THB"}`;
    /// otherwise `{"verified": false, "reason": "signature mismatch"}`.
    pub const VERIFY_WEBHOOK: &str = "verify_webhook";

    /// Asks the gateway for the current status of a payment (lost webhooks, return pages).
    ///
    /// Request: `{"external_id": "cs_123"}`.
    ///
    /// Response: `{"external_id": "cs_123", "status": "pending", "amount_minor": 12345
    /// (optional), "currency": "THB" (optional)}`.
    pub const FETCH_STATUS: &str = "fetch_status";
}

/// Methods of [`USAGE_SOURCE`] plugins (API 1.0); the full contract, with every field of a
/// record, is `plugins/usage-sources.md`.
pub mod usage_source {
    /// Checks that the source is reachable.
    ///
    /// Request: `{}`. Response: `{"ok": true, "detail": "…", "api_version": "v0.0.40" | null}`;
    /// an unreachable source answers `ok: false` with the reason.
    pub const PROBE: &str = "probe";

    /// Returns every job that ended in the window `[from, to)` plus jobs still running in it,
    /// steps folded into their job, array tasks separately.
    ///
    /// Request: `{"from": <unix ms>, "to": <unix ms>}`.
    ///
    /// Response: `{"jobs": [Record, ..], "warnings": ["line 7: …", ..]}` where a `Record` is
    /// `{"job_id": "1234" | "1234_7", "user": "alice", "account": "physics" | null,
    /// "partition": "gpu" | null, "state": "COMPLETED", "submit": ms | null, "start": ms | null,
    /// "end": ms | null, "elapsed_s": int, "alloc_cpus": int, "alloc_gpus": int,
    /// "alloc_mem_mb": int, "cpu_used_ms": int | null, "cpu_time_raw_s": int | null,
    /// "mem_used_kib_s": int | null, "energy_j": int | null, "nodes": "…" | null}`.
    pub const FETCH: &str = "fetch";
}

/// Methods of [`TEST`] plugins.
pub mod test {
    /// Returns the request unchanged.
    pub const ECHO: &str = "echo";
}
