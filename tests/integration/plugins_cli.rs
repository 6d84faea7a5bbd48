//! `hpc-billing plugins check FILE` and `plugins list` on real files.

use crate::harness::binary;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds the well-behaved test plugin (a workspace of its own, into a target directory of its
/// own) and returns its path.
fn test_plugin() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-builds");
    let status = Command::new(cargo)
        .args(["build", "-q", "--lib", "--manifest-path"])
        .arg(root.join("plugins/test-plugin/Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .status()
        .expect("cargo");
    assert!(status.success());
    let so = target.join("debug/libhpcb_test_plugin.so");
    assert!(so.exists(), "{}", so.display());
    so
}

/// The development gateway, as built next to the server binary.
fn dummy_gateway() -> PathBuf {
    crate::usage::build_plugin("hpcb-plugin-pay-dummy");
    let so = binary()
        .parent()
        .expect("target dir")
        .join("libhpcb_plugin_pay_dummy.so");
    assert!(so.exists(), "{}", so.display());
    so
}

fn check(file: &Path) -> (Option<i32>, String, String) {
    let out = Command::new(binary())
        .args(["plugins", "check"])
        .arg(file)
        .output()
        .expect("run");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn plugins_check_explains_in_one_line_whether_a_file_loads() {
    let (code, out, err) = check(&dummy_gateway());
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.starts_with("ok: dummy "), "{out}");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert_eq!(err, "", "a passing check prints nothing else");

    // `check` judges a file as the server does: a test plugin loads nowhere, so it is refused
    // with the reason `plugins list` and the server give.
    let (code, out, err) = check(&test_plugin());
    assert_eq!(code, Some(6), "{out}{err}");
    assert!(
        err.contains("is a test plugin; expected payment-gateway or usage-source"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "one readable line: {err}");

    let not_plugin = std::env::temp_dir().join(format!("not-a-plugin-{}.so", std::process::id()));
    std::fs::write(&not_plugin, b"\x7fELF but not really").expect("write");
    let (code, _, err) = check(&not_plugin);
    assert_eq!(code, Some(6), "{err}");
    assert!(err.contains("not an hpc-billing plugin"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one readable line: {err}");
    let _ = std::fs::remove_file(&not_plugin);

    // A missing file is called missing, not "not a plugin".
    let (code, _, err) = check(Path::new("/nonexistent/plugin.so"));
    assert_eq!(code, Some(6));
    assert_eq!(
        err.trim(),
        "hpc-billing: /nonexistent/plugin.so: cannot read the file: no such file"
    );
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
    let log = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{text}");
    // A command prints its answer; the refusals are in it, not repeated as log lines.
    assert_eq!(log, "", "nothing on stderr");
    // A production host refuses test plugins; both files are reported with their reasons.
    assert!(text.contains("libtest.so") && text.contains("libbroken.so"), "{text}");
    assert!(
        text.lines().filter(|l| l.starts_with("refused:")).count() >= 1,
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
