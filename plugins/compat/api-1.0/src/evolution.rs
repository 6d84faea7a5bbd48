//! How the JSON carried by the frozen ABI evolves within major version 1 (documentation only).
//!
//! 1. The typed surface (`PluginMod`, `PluginObject`, `HostObject`, their signatures) never
//!    changes in 1.x. A change there is API 2.0.
//! 2. Every JSON request, response, info and error is an object. Readers ignore fields they do
//!    not know.
//! 3. A minor release may add capabilities, methods, kinds, error codes and optional JSON fields.
//!    Each new field has a documented default that means "behave as the previous minor did", so
//!    old senders stay correct. A field is never removed or given a new meaning in 1.x.
//! 4. A plugin declares in its info the minor it was built against. A host serves every plugin
//!    whose minor is at most its own, and refuses newer ones with a readable reason, since they
//!    may call capabilities the host does not have.
//! 5. A host calls only methods that exist in the minor the plugin declares, and a plugin calls
//!    only capabilities that exist in the minor it declares.
