//! Building the test plugins with cargo, as a plugin author would, and collecting each variant
//! under its own file name (cargo writes every feature variant to the same output path).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Every plugin file the tests use, each under a distinct name in one directory.
pub struct Artifacts {
    /// `test-echo`: well-behaved, SDK-built.
    pub echo: PathBuf,
    /// `test-echo` built with `-C panic=abort`.
    pub abort: PathBuf,
    /// `test-garbage`: answers non-JSON.
    pub garbage: PathBuf,
    /// Declares API minor one above the host's.
    pub minor_next: PathBuf,
    /// Declares API major 2.
    pub major_2: PathBuf,
    /// Its info is not JSON.
    pub info_garbage: PathBuf,
    /// A real shared library without a plugin root module.
    pub no_root_module: PathBuf,
    /// A root module from another interface crate, with an extra field.
    pub foreign_abi: PathBuf,
    /// A text file named like a library.
    pub text_file: PathBuf,
    /// `compat-api-1-0`, built against the frozen API 1.0 copy.
    pub compat: PathBuf,
}

/// The artifacts, built once per test process (later callers wait for the first).
pub fn artifacts() -> &'static Artifacts {
    static ARTIFACTS: OnceLock<Artifacts> = OnceLock::new();
    ARTIFACTS.get_or_init(build_all)
}

/// The main workspace (this crate is `plugins/host`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fresh directory under cargo's scratch directory for integration tests, writable by its
/// owner only (the host refuses plugins others could replace), whatever the umask.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("hpcb-plugin-host-tests")
        .join(format!("{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory can be created");
    set_mode(&dir, 0o755);
    dir
}

/// Sets permission bits: the tests' files must not depend on the umask of whoever runs them.
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("scratch files can be chmod-ed");
}

fn build_all() -> Artifacts {
    let dir = scratch_dir("artifacts");
    let library = |name: &str| dir.join(format!("{name}.{}", std::env::consts::DLL_EXTENSION));
    let test_manifest = workspace_root().join("plugins/test-plugin/Cargo.toml");
    let test_manifest = test_manifest.to_string_lossy().into_owned();
    let test_plugin = |extra: &[&str], name: &str| {
        let mut args = vec!["build", "--manifest-path", &test_manifest, "--lib"];
        args.extend_from_slice(extra);
        collect(&cargo(&args), "hpcb_test_plugin", &library(name))
    };

    let artifacts = Artifacts {
        echo: test_plugin(&[], "test-echo"),
        garbage: test_plugin(&["--features", "raw-abi"], "test-garbage"),
        minor_next: test_plugin(&["--features", "api-minor-next"], "test-minor-next"),
        major_2: test_plugin(&["--features", "api-major-2"], "test-major-2"),
        info_garbage: test_plugin(&["--features", "info-garbage"], "test-info-garbage"),
        no_root_module: test_plugin(&["--features", "not-a-plugin"], "no-root-module"),
        foreign_abi: test_plugin(&["--features", "foreign-abi"], "foreign-abi"),
        // A profile cannot set `panic` per package, so pass it to this one crate only.
        abort: collect(
            &cargo(&[
                "rustc",
                "--manifest-path",
                &test_manifest,
                "--lib",
                "--crate-type",
                "cdylib",
                "--",
                "-C",
                "panic=abort",
            ]),
            "hpcb_test_plugin",
            &library("test-abort"),
        ),
        compat: {
            let manifest = workspace_root().join("plugins/compat/Cargo.toml");
            let manifest = manifest.to_string_lossy().into_owned();
            collect(
                &cargo(&[
                    "build",
                    "--manifest-path",
                    &manifest,
                    "-p",
                    "hpcb-compat-plugin-api-1-0",
                ]),
                "hpcb_compat_plugin_api_1_0",
                &library("compat-api-1-0"),
            )
        },
        text_file: {
            let path = library("not-a-plugin");
            std::fs::write(&path, "this is a text file, not a shared library\n").expect("scratch files are writable");
            set_mode(&path, 0o644);
            path
        },
    };
    artifacts
}

/// Where the test plugins and the compat plugin are built: a target directory of their own
/// inside the one running these tests (`CARGO_TARGET_TMPDIR` is its `tmp/`), never inside the
/// source tree and never next to the server binary, where the server loads plugins from.
fn plugin_target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-builds")
}

/// Runs cargo (the one running these tests) and returns its JSON messages.
fn cargo(args: &[&str]) -> Vec<serde_json::Value> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // Right after the subcommand: everything after `--` goes to rustc.
    let (subcommand, rest) = args.split_first().expect("a cargo subcommand");
    let (before_rustc, rustc_args) = match rest.iter().position(|a| *a == "--") {
        Some(i) => rest.split_at(i),
        None => (rest, &[][..]),
    };
    let output = Command::new(cargo)
        .arg(subcommand)
        .arg("--message-format=json-render-diagnostics")
        .arg("--target-dir")
        .arg(plugin_target_dir())
        .args(before_rustc)
        .args(rustc_args)
        .current_dir(workspace_root())
        .stderr(Stdio::inherit())
        .output()
        .expect("cargo can be started");
    assert!(output.status.success(), "cargo {args:?} failed with {}", output.status);
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

/// Copies the shared library cargo built for `crate_name` to `destination`.
fn collect(messages: &[serde_json::Value], crate_name: &str, destination: &Path) -> PathBuf {
    let suffix = format!(".{}", std::env::consts::DLL_EXTENSION);
    let built = messages
        .iter()
        .filter(|message| message["reason"] == "compiler-artifact" && message["target"]["name"] == crate_name)
        .flat_map(|message| message["filenames"].as_array().cloned().unwrap_or_default())
        .filter_map(|name| name.as_str().map(PathBuf::from))
        .find(|path| path.to_string_lossy().ends_with(&suffix))
        .unwrap_or_else(|| panic!("cargo built no shared library for {crate_name}"));
    std::fs::copy(&built, destination).expect("built library can be copied");
    // as cargo writes it under the usual umask 022
    set_mode(destination, 0o755);
    destination.to_owned()
}
