//! The plugin info JSON: what `PluginMod::info` returns, read by the host before anything else.
//!
//! ```json
//! {
//!   "id": "pay-dummy",
//!   "kind": "payment-gateway",
//!   "version": "0.1.0",
//!   "api": { "major": 1, "minor": 0 },
//!   "unwind": true,
//!   "description": "A gateway that approves everything, for demos"
//! }
//! ```
//!
//! | field         | type    | meaning |
//! |---------------|---------|---------|
//! | `id`          | string  | unique among loaded plugins; lowercase ASCII letters, digits and `-`, at most 64 characters |
//! | `kind`        | string  | one of [`crate::kinds`]: what the plugin is for and which methods it answers |
//! | `version`     | string  | the plugin's own version, shown to operators |
//! | `api`         | object  | the plugin API version the plugin was built against: `major` and `minor` (integers) |
//! | `unwind`      | boolean | `cfg!(panic = "unwind")` evaluated in the plugin crate; hosts refuse `false` |
//! | `description` | string  | optional, one line for operators |
//!
//! Hosts refuse a plugin whose `api.major` differs from theirs, whose `api.minor` is newer than
//! theirs (it may call capabilities they lack), or whose `unwind` is not `true` (its panics could
//! not be caught, and a panic crossing the boundary ends the whole server). Readers ignore fields
//! they do not know, so later minors may add fields here.

/// The info field naming the plugin; the key of the plugin in configuration and registries.
pub const FIELD_ID: &str = "id";
/// The info field naming the plugin kind (one of [`crate::kinds`]).
pub const FIELD_KIND: &str = "kind";
/// The info field carrying the plugin's own version.
pub const FIELD_VERSION: &str = "version";
/// The info field carrying `{"major": .., "minor": ..}`, the API the plugin was built against.
pub const FIELD_API: &str = "api";
/// The info field saying whether the plugin was built with `panic = "unwind"`.
pub const FIELD_UNWIND: &str = "unwind";
/// The optional info field with a one-line description.
pub const FIELD_DESCRIPTION: &str = "description";

/// The longest plugin id hosts accept, so ids stay usable as config keys and log fields.
pub const MAX_ID_LEN: usize = 64;
