//! Embeds the web files of `ui/` into the binary, so the server needs nothing next to it and
//! no network: each served file with its path, bytes, `ETag` and subresource-integrity hash.
//! Only files of web types are embedded (not the vendoring script, manifest or READMEs).

use base64::Engine as _;
use sha2::{Digest as _, Sha256, Sha384};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const SERVED: &[&str] = &["js", "mjs", "css", "html", "svg", "png", "ico", "woff2", "json"];

fn main() {
    let ui = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui");
    // A directory here makes cargo re-run this script when anything below it changes.
    println!("cargo:rerun-if-changed={}", ui.display());
    let mut files = Vec::new();
    walk(&ui, &mut files);
    // Sorted as the server searches them: by the path as a string (`react-dom/` before
    // `react/`), which is not the order of paths compared by components.
    let mut files: Vec<(String, PathBuf)> = files
        .into_iter()
        .map(|file| {
            let rel = file
                .strip_prefix(&ui)
                .unwrap_or(&file)
                .to_string_lossy()
                .replace('\\', "/");
            (rel, file)
        })
        .collect();
    files.sort();
    let mut out = String::from("/// Every embedded file, sorted by path.\npub static ASSETS: &[Asset] = &[\n");
    for (rel, file) in &files {
        let bytes = std::fs::read(file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        let integrity = base64::engine::general_purpose::STANDARD.encode(Sha384::digest(&bytes));
        let etag = hex::encode(&Sha256::digest(&bytes)[..12]);
        let absolute = std::fs::canonicalize(file).unwrap_or_else(|_| file.clone());
        let _ = writeln!(
            out,
            "    Asset {{ path: {rel:?}, bytes: include_bytes!({:?}), integrity: \"sha384-{integrity}\", etag: \"\\\"{etag}\\\"\" }},",
            absolute.display().to_string()
        );
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("ui_assets.rs");
    std::fs::write(&dest, out).unwrap_or_else(|e| panic!("cannot write {}: {e}", dest.display()));
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, files);
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| SERVED.contains(&e))
        {
            files.push(path);
        }
    }
}
