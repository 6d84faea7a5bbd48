//! Secrets that must exist but need not be configured for a single-server install: the token
//! signing key and the audit HMAC key. When the configuration leaves one empty, it is read from
//! (or created in) a file in the data directory with owner-only permissions. The audit key is
//! deliberately never stored in the database.

use anyhow::{Context as _, Result};
use std::io::Write;
use std::path::Path;

/// Returns the configured secret, or the content of `dir/file`, creating it with 64 random
/// bytes (hex) on first use.
pub fn secret_or_file(configured: &str, dir: &Path, file: &str) -> Result<Vec<u8>> {
    if !configured.is_empty() {
        return Ok(configured.as_bytes().to_vec());
    }
    let path = dir.join(file);
    match std::fs::read_to_string(&path) {
        Ok(s) if s.trim().len() >= 32 => return Ok(s.trim().as_bytes().to_vec()),
        Ok(_) => anyhow::bail!("key file {} is shorter than 32 characters", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot read key file {}", path.display())),
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create data directory {}", dir.display()))?;
    let key = hex::encode(rand::random::<[u8; 32]>()) + &hex::encode(rand::random::<[u8; 32]>());
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(&path) {
        Ok(mut f) => {
            f.write_all(key.as_bytes())
                .with_context(|| format!("cannot write key file {}", path.display()))?;
            tracing::info!(file = %path.display(), "created key file {}", path.display());
            Ok(key.into_bytes())
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => secret_or_file("", dir, file),
        Err(e) => Err(e).with_context(|| format!("cannot create key file {}", path.display())),
    }
}
