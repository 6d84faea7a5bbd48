//! The `read_file` capability: UTF-8 files under allow-listed directories only, after resolving
//! symlinks, with a size limit.

use std::fs::File;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use hpcb_plugin_api::errors as codes;
use serde::Deserialize;
use serde_json::{json, Value};

use super::CapabilityError;
use crate::FilePolicy;

#[derive(Deserialize)]
pub(super) struct ReadFileRequest {
    path: String,
}

/// Runs on the plugin's blocking thread, so plain blocking file I/O is fine here.
pub(super) fn serve(policy: &FilePolicy, request: ReadFileRequest) -> Result<Value, CapabilityError> {
    let path = resolve(policy, Path::new(&request.path))?;
    let io_error =
        |err: std::io::Error| CapabilityError::new(codes::IO, format!("cannot read {}: {err}", request.path));
    let file = File::open(&path).map_err(io_error)?;
    let metadata = file.metadata().map_err(io_error)?;
    if !metadata.is_file() {
        return Err(CapabilityError::new(
            codes::IO,
            format!("{} is not a regular file", request.path),
        ));
    }
    let too_large = || {
        CapabilityError::new(
            codes::TOO_LARGE,
            format!("{} is larger than {} bytes", request.path, policy.max_bytes),
        )
    };
    if metadata.len() > policy.max_bytes {
        return Err(too_large());
    }
    // The file may grow between the size check and the read: read at most one byte too many.
    let mut content = Vec::new();
    file.take(policy.max_bytes.saturating_add(1))
        .read_to_end(&mut content)
        .map_err(io_error)?;
    if content.len() as u64 > policy.max_bytes {
        return Err(too_large());
    }
    let content = String::from_utf8(content)
        .map_err(|_| CapabilityError::new(codes::IO, format!("{} is not UTF-8 text", request.path)))?;
    Ok(json!({ "content": content }))
}

/// The canonical path of `requested` if it lies under an allowed directory. Refuses relative
/// paths and `..` outright, then compares canonical paths so symlinks cannot lead outside.
fn resolve(policy: &FilePolicy, requested: &Path) -> Result<PathBuf, CapabilityError> {
    if !requested.is_absolute() {
        return Err(CapabilityError::denied("read_file needs an absolute path"));
    }
    if requested.components().any(|part| part == Component::ParentDir) {
        return Err(CapabilityError::denied("read_file paths may not contain `..`"));
    }
    let outside = || {
        CapabilityError::denied(format!(
            "{} is outside the directories allowed for this plugin",
            requested.display()
        ))
    };
    let allowed_dirs: Vec<PathBuf> = policy
        .allowed_dirs
        .iter()
        .filter_map(|dir| std::fs::canonicalize(dir).ok())
        .collect();
    match std::fs::canonicalize(requested) {
        Ok(canonical) if allowed_dirs.iter().any(|dir| canonical.starts_with(dir)) => Ok(canonical),
        Ok(_) => Err(outside()),
        // Only say "not found" for paths the plugin may read; elsewhere, do not reveal anything.
        Err(err) => {
            let lexically_inside = policy
                .allowed_dirs
                .iter()
                .chain(&allowed_dirs)
                .any(|dir| requested.starts_with(dir));
            if lexically_inside {
                Err(CapabilityError::new(
                    codes::IO,
                    format!("cannot read {}: {err}", requested.display()),
                ))
            } else {
                Err(outside())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("hpcb-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("allowed")).expect("fixture files are writable");
        std::fs::write(dir.join("allowed/usage.csv"), "job,cpu\n1,2\n").expect("fixture files are writable");
        std::fs::write(dir.join("secret.txt"), "top secret").expect("fixture files are writable");
        dir
    }

    fn read(policy: &FilePolicy, path: &Path) -> Result<Value, CapabilityError> {
        serve(
            policy,
            ReadFileRequest {
                path: path.to_string_lossy().into_owned(),
            },
        )
    }

    #[test]
    fn reads_only_inside_allowed_directories() {
        let dir = scratch_dir("inside");
        let policy = FilePolicy {
            allowed_dirs: vec![dir.join("allowed")],
            max_bytes: 1024,
        };
        let content = read(&policy, &dir.join("allowed/usage.csv")).expect("this call must succeed");
        assert_eq!(content["content"], "job,cpu\n1,2\n");

        let denied = |path: &Path| read(&policy, path).expect_err("this call must fail").code;
        assert_eq!(denied(&dir.join("secret.txt")), codes::DENIED);
        assert_eq!(denied(&dir.join("allowed/../secret.txt")), codes::DENIED);
        assert_eq!(denied(Path::new("allowed/usage.csv")), codes::DENIED);
        assert_eq!(denied(&dir.join("missing-outside")), codes::DENIED);
        assert_eq!(denied(&dir.join("allowed/missing")), codes::IO);

        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.join("secret.txt"), dir.join("allowed/link"))
                .expect("fixture files are writable");
            assert_eq!(denied(&dir.join("allowed/link")), codes::DENIED);
        }

        let small = FilePolicy {
            max_bytes: 3,
            ..policy.clone()
        };
        assert_eq!(
            read(&small, &dir.join("allowed/usage.csv"))
                .expect_err("this call must fail")
                .code,
            codes::TOO_LARGE
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
