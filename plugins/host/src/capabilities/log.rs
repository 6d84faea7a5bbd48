//! The `log` capability: one line into the server's `tracing` log, tagged with the plugin id.

use serde::Deserialize;
use serde_json::{json, Value};

use super::CapabilityError;

/// Longest message kept; the rest is cut so a plugin cannot flood the log with one call.
const MAX_MESSAGE_CHARS: usize = 4096;

#[derive(Deserialize)]
pub(super) struct LogRequest {
    level: String,
    message: String,
}

pub(super) fn serve(plugin: &str, request: LogRequest) -> Result<Value, CapabilityError> {
    let message = sanitize(&request.message);
    match request.level.as_str() {
        "error" => tracing::error!(plugin = %plugin, "plugin {plugin}: {message}"),
        "warn" => tracing::warn!(plugin = %plugin, "plugin {plugin}: {message}"),
        "info" => tracing::info!(plugin = %plugin, "plugin {plugin}: {message}"),
        "debug" => tracing::debug!(plugin = %plugin, "plugin {plugin}: {message}"),
        "trace" => tracing::trace!(plugin = %plugin, "plugin {plugin}: {message}"),
        other => {
            return Err(CapabilityError::bad_request(format!(
                "unknown log level `{other}` (error, warn, info, debug, trace)"
            )))
        }
    }
    Ok(json!({}))
}

/// One line, bounded: control characters (newlines included) would let a plugin forge log
/// lines.
fn sanitize(message: &str) -> String {
    message
        .chars()
        .take(MAX_MESSAGE_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_cannot_forge_log_lines() {
        assert_eq!(sanitize("ok\nERROR fake"), "ok ERROR fake");
        assert_eq!(sanitize(&"x".repeat(10_000)).len(), MAX_MESSAGE_CHARS);
    }
}
