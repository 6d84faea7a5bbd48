//! `hpc-billing plugins check FILE` and `plugins list` on real files.

use crate::harness::binary;
use std::path::PathBuf;
use std::process::Command;

/// Builds the well-behaved test plugin and returns its path.
fn test_plugin() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "-q", "-p", "hpcb-test-plugin"])
        .status()
        .expect("cargo");
    assert!(status.success());
    let dir = binary().parent().expect("target dir").to_path_buf();
    let so = dir.join("libhpcb_test_plugin.so");
    assert!(so.exists(), "{}", so.display());
    so
}

#[test]
fn plugins_check_explains_in_one_line_whether_a_file_loads() {
    let so = test_plugin();
    let ok = Command::new(binary())
        .args(["plugins", "check"])
        .arg(&so)
        .output()
        .expect("run");
    let out = String::from_utf8_lossy(&ok.stdout);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{out}{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(out.starts_with("ok: test-echo"), "{out}");

    let not_plugin = std::env::temp_dir().join(format!("not-a-plugin-{}.so", std::process::id()));
    std::fs::write(&not_plugin, b"\x7fELF but not really").expect("write");
    let refused = Command::new(binary())
        .args(["plugins", "check"])
        .arg(&not_plugin)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(6), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one readable line: {err}");
    let _ = std::fs::remove_file(&not_plugin);

    let missing = Command::new(binary())
        .args(["plugins", "check", "/nonexistent/plugin.so"])
        .output()
        .expect("run");
    assert_eq!(missing.status.code(), Some(6));
}

#[test]
fn plugins_list_shows_what_loads_and_what_was_refused() {
    let so = test_plugin();
    let dir = std::env::temp_dir().join(format!("hpcb-plugins-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::copy(&so, dir.join("libtest.so")).expect("copy");
    std::fs::write(dir.join("libbroken.so"), b"nope").expect("write");
    let out = Command::new(binary())
        .args(["plugins", "list"])
        .env("HPC_BILLING_PLUGINS_DIR", &dir)
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    // A production host refuses test plugins; both files are reported with their reasons.
    assert!(text.contains("libtest.so") && text.contains("libbroken.so"), "{text}");
    assert!(
        text.lines().filter(|l| l.starts_with("refused:")).count() >= 1,
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
