//! The `run` capability: allow-listed programs, started directly (no shell) with a cleared
//! environment, killed at the timeout or when their output exceeds the limit.

use std::ffi::OsString;
use std::process::Stdio;

use hpcb_plugin_api::errors as codes;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

use super::{capped_timeout, CapabilityError, HostServices};

#[derive(Deserialize)]
pub(super) struct RunRequest {
    program: String,
    #[serde(default)]
    args: Vec<String>,
    stdin: Option<String>,
    timeout_ms: Option<u64>,
}

pub(super) fn serve(services: &HostServices, request: RunRequest) -> Result<Value, CapabilityError> {
    let policy = &services.policy.run;
    if !policy.allowed_programs.contains(&request.program) {
        return Err(CapabilityError::denied(format!(
            "program `{}` is not allow-listed for this plugin",
            request.program
        )));
    }
    let timeout = capped_timeout(request.timeout_ms, policy.max_timeout);
    let limit = policy.max_output_bytes;

    let mut command = Command::new(&request.program);
    command
        .args(&request.args)
        .env_clear()
        .envs(passed_env(&policy.pass_env))
        .stdin(if request.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Dropping the child (timeout, output too large) kills it.
        .kill_on_drop(true);

    let program = request.program.clone();
    let execution = async move {
        let mut child = command
            .spawn()
            .map_err(|err| CapabilityError::new(codes::IO, format!("cannot start `{program}`: {err}")))?;
        let stdin_pipe = child.stdin.take();
        let stdout_pipe = child.stdout.take();
        let stderr_pipe = child.stderr.take();
        let feed = async move {
            if let (Some(mut pipe), Some(text)) = (stdin_pipe, request.stdin) {
                // A program that exits without reading its input is not an error.
                let _ = pipe.write_all(text.as_bytes()).await;
            }
            Ok::<(), CapabilityError>(())
        };
        let ((), stdout, stderr) = tokio::try_join!(
            feed,
            read_limited(stdout_pipe, limit, "stdout"),
            read_limited(stderr_pipe, limit, "stderr"),
        )?;
        let status = child
            .wait()
            .await
            .map_err(|err| CapabilityError::new(codes::IO, format!("waiting for `{program}` failed: {err}")))?;
        Ok::<_, CapabilityError>((status.code(), stdout, stderr))
    };
    let (status, stdout, stderr) = services
        .runtime
        .block_on(async { tokio::time::timeout(timeout, execution).await })
        .map_err(|_| {
            CapabilityError::new(
                codes::TIMEOUT,
                format!("`{}` did not finish within {timeout:?} and was killed", request.program),
            )
        })??;

    tracing::debug!(
        plugin = %services.plugin_id,
        program = %request.program,
        status,
        "plugin {} ran {}",
        services.plugin_id,
        request.program
    );
    Ok(json!({
        "status": status,
        "stdout": String::from_utf8_lossy(&stdout),
        "stderr": String::from_utf8_lossy(&stderr),
    }))
}

/// Reads a whole output stream, failing (and so killing the program) beyond `limit` bytes.
async fn read_limited<R: AsyncRead + Unpin>(
    pipe: Option<R>,
    limit: usize,
    name: &str,
) -> Result<Vec<u8>, CapabilityError> {
    let mut output = Vec::new();
    let Some(pipe) = pipe else {
        return Ok(output);
    };
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    pipe.take(cap)
        .read_to_end(&mut output)
        .await
        .map_err(|err| CapabilityError::new(codes::IO, format!("reading {name} failed: {err}")))?;
    if output.len() > limit {
        return Err(CapabilityError::new(
            codes::TOO_LARGE,
            format!("{name} exceeded {limit} bytes; the program was killed"),
        ));
    }
    Ok(output)
}

/// The server's environment variables the policy lets through (`NAME` or `PREFIX*`).
fn passed_env(pass_env: &[String]) -> Vec<(OsString, OsString)> {
    std::env::vars_os()
        .filter(|(name, _)| {
            let Some(name) = name.to_str() else {
                return false;
            };
            pass_env.iter().any(|pattern| match pattern.strip_suffix('*') {
                Some(prefix) => name.starts_with(prefix),
                None => name == pattern,
            })
        })
        .collect()
}
