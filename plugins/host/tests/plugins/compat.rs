//! The compatibility promise: a plugin built against the first released plugin API (1.0) loads
//! and works in this host.

use std::path::{Path, PathBuf};

use hpcb_plugin_host::{ApiVersion, LoadPolicy, PluginKind, PluginPolicy};
use serde_json::json;

use crate::support::{artifacts, registry, workspace_root, TEST_NOW_MS};

#[tokio::test(flavor = "multi_thread")]
async fn a_plugin_built_against_api_1_0_loads_and_works() {
    let mut registry = registry(2);
    let loaded = registry
        .load_file(&artifacts().compat, &LoadPolicy::any_kind())
        .expect("the API 1.0 plugin loads");
    assert_eq!(loaded.info.id, "compat-api-1-0");
    assert_eq!(loaded.info.api, ApiVersion { major: 1, minor: 0 });

    let plugin = registry
        .instantiate("compat-api-1-0", PluginKind::Test, &json!({}), PluginPolicy::default())
        .await
        .expect("instantiates");
    let answer = plugin.call("echo", &json!({ "receipt": 12 })).await.expect("answers");
    assert_eq!(
        answer,
        json!({ "echo": { "receipt": 12 }, "host_now": { "unix_ms": TEST_NOW_MS } })
    );
    let unknown = plugin
        .call("refund", &json!({}))
        .await
        .expect_err("unknown methods fail");
    assert_eq!(unknown.plugin_code(), Some("unknown_method"));
}

/// The fingerprint of `plugins/compat/api-1.0` as released. If this fails, the frozen copy was
/// edited: revert it. It must stay exactly what API 1.0 plugins were built against.
const FROZEN_API_1_0_FINGERPRINT: u64 = 0xc5d3_6918_5d4e_cd60;

#[test]
fn the_frozen_api_1_0_copy_is_unchanged() {
    let root = workspace_root().join("plugins/compat/api-1.0");
    let mut files = Vec::new();
    collect_files(&root, &mut files);
    files.sort();
    // FNV-1a over (relative path, NUL, content, NUL) of every file, in path order.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for file in &files {
        let relative = file.strip_prefix(&root).expect("under the root");
        let content = std::fs::read(file).expect("readable");
        let relative = relative.to_string_lossy();
        for part in [relative.as_bytes(), &[0], &content, &[0]] {
            for byte in part {
                hash ^= u64::from(*byte);
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
    }
    assert_eq!(
        hash, FROZEN_API_1_0_FINGERPRINT,
        "plugins/compat/api-1.0 changed (fingerprint {hash:#018x}); it must never be edited"
    );
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable directory") {
        let path = entry.expect("readable entry").path();
        if path.is_dir() {
            collect_files(&path, files);
        } else {
            files.push(path);
        }
    }
}
