//! The error JSON carried in the `RErr` side of every call across the ABI, in both directions.
//!
//! ```json
//! { "code": "denied", "message": "http: host evil.example is not allow-listed" }
//! ```
//!
//! `code` is one of the constants below or a plugin-specific lowercase code; `message` is one
//! human-readable line. Readers must also accept an error string that is not JSON and treat it as
//! `{"code": "error", "message": <the string>}`.

/// The plugin panicked; the SDK caught the panic at the boundary. The message starts with
/// [`PANIC_MESSAGE_PREFIX`].
pub const PANIC: &str = "panic";

/// The message prefix of [`PANIC`] errors.
pub const PANIC_MESSAGE_PREFIX: &str = "plugin panicked: ";

/// The instance panicked earlier and refuses further calls; create a new instance.
pub const POISONED: &str = "poisoned";

/// The plugin does not implement the requested method.
pub const UNKNOWN_METHOD: &str = "unknown_method";

/// The host does not serve the requested capability.
pub const UNKNOWN_CAPABILITY: &str = "unknown_capability";

/// The request (or configuration) JSON is malformed or misses a required field.
pub const BAD_REQUEST: &str = "bad_request";

/// The host's policy for this plugin refuses the capability call (not allow-listed, unknown
/// secret, ...).
pub const DENIED: &str = "denied";

/// The capability call did not finish in time.
pub const TIMEOUT: &str = "timeout";

/// The response or file exceeded the host's size limit.
pub const TOO_LARGE: &str = "too_large";

/// The I/O itself failed (connection refused, program not found, file missing, ...).
pub const IO: &str = "io";

/// Used by readers for error strings that are not error JSON, and for failures without a more
/// specific code.
pub const ERROR: &str = "error";
