//! Loading, listing and refusing plugin files.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use hpcb_plugin_host::{ApiVersion, InstantiateError, LoadError, LoadPolicy, PluginKind, PluginPolicy, PluginRegistry};
use serde_json::json;

use crate::support::{artifacts, config, registry, scratch_dir};

/// The one-line reason `hpc-billing plugins check FILE` would print.
fn check(path: &Path, policy: &LoadPolicy) -> String {
    let registry = PluginRegistry::new(config(1));
    let error = registry
        .check_file(path, policy)
        .expect_err("this file must be refused");
    let line = error.to_string();
    assert!(!line.contains('\n'), "not one line: {line:?}");
    line
}

#[test]
fn the_well_behaved_plugin_loads_and_is_listed_with_its_versions_and_path() {
    let registry = registry(2);
    let listed: Vec<_> = registry.list().collect();
    assert_eq!(listed.len(), 2);
    let echo = registry.get("test-echo").expect("test-echo is loaded");
    assert_eq!(echo.info.kind, PluginKind::Test);
    assert_eq!(echo.info.version, "0.1.0");
    assert_eq!(echo.info.api, ApiVersion::HOST);
    assert!(echo.path.is_absolute());
    assert!(echo.path.ends_with("test-echo.so"));

    let info = registry
        .check_file(&artifacts().echo, &LoadPolicy::any_kind())
        .expect("checking a loaded plugin again is fine");
    assert_eq!(info.id, "test-echo");
}

#[test]
fn each_unusable_file_is_refused_with_its_one_line_reason() {
    let any = LoadPolicy::any_kind();
    let a = artifacts();
    assert_eq!(
        check(&a.abort, &any),
        "built with panic = \"abort\"; rebuild it with panic = \"unwind\" (the default) so its \
         panics can be caught"
    );
    assert_eq!(
        check(&a.minor_next, &any),
        "built for plugin API 1.1; this host supports up to 1.0"
    );
    assert_eq!(
        check(&a.major_2, &any),
        "built for plugin API 2.x; this host supports 1.x"
    );
    assert!(check(&a.info_garbage, &any).starts_with("plugin info is not valid: "));
    assert_eq!(
        check(&a.no_root_module, &any),
        "not an hpc-billing plugin: it exports no plugin root module (plugins are built with \
         hpcb_plugin_sdk::export_plugin!)"
    );
    assert_eq!(
        check(&a.foreign_abi, &any),
        "plugin ABI does not match this host's (its plugin API types differ from \
         hpcb-plugin-api 1.x; was it built against a modified copy?)"
    );
    assert_eq!(
        check(&a.text_file, &any),
        "not an hpc-billing plugin: it is not an ELF shared library (it does not start with the \
         ELF magic \\x7fELF); plugins are built with cargo as cdylib crates"
    );
    let missing = check(Path::new("/nonexistent/plugin.so"), &any);
    assert_eq!(missing, "cannot read the file: no such file");
    assert_eq!(
        check(&a.echo, &LoadPolicy::production()),
        "is a test plugin; expected payment-gateway or usage-source"
    );
}

#[test]
fn load_dir_loads_the_good_plugins_and_reports_each_refusal() {
    let dir = scratch_dir("load-dir");
    let a = artifacts();
    for (source, name) in [
        (&a.echo, "a-echo.so"),
        (&a.echo, "b-echo-again.so"),
        (&a.garbage, "c-garbage.so"),
        (&a.abort, "d-abort.so"),
        (&a.text_file, "e-text.so"),
    ] {
        std::fs::copy(source, dir.join(name)).expect("fixtures can be copied");
    }
    std::fs::write(dir.join("README.txt"), "not a library, ignored").expect("writable");

    let mut registry = PluginRegistry::new(config(1));
    let report = registry
        .load_dir(&dir, &LoadPolicy::any_kind())
        .expect("the directory is readable");

    let loaded: Vec<&str> = report.loaded.iter().map(|p| p.info.id.as_str()).collect();
    assert_eq!(loaded, ["test-echo", "test-garbage"]);
    let refused: Vec<String> = report.refused.iter().map(ToString::to_string).collect();
    assert_eq!(refused.len(), 3, "{refused:#?}");
    let first = report.loaded[0].path.display().to_string();
    assert!(refused[0].ends_with(&format!(
        "b-echo-again.so: duplicate plugin id \"test-echo\" (already loaded from {first})"
    )));
    assert!(refused[1].ends_with("d-abort.so: built with panic = \"abort\"; rebuild it with panic = \"unwind\" (the default) so its panics can be caught"));
    assert!(refused[2].contains("e-text.so: not an hpc-billing plugin"));
    assert_eq!(registry.list().count(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn instantiating_needs_a_loaded_plugin_of_the_expected_kind() {
    let registry = registry(1);
    let wrong_kind = registry
        .instantiate(
            "test-echo",
            PluginKind::PaymentGateway,
            &json!(null),
            PluginPolicy::default(),
        )
        .await
        .expect_err("test-echo is not a gateway");
    assert!(matches!(wrong_kind, InstantiateError::WrongKind { .. }));
    assert_eq!(
        wrong_kind.to_string(),
        "plugin test-echo is a test plugin, not a payment-gateway plugin"
    );

    let unknown = registry
        .instantiate(
            "pay-nope",
            PluginKind::PaymentGateway,
            &json!(null),
            PluginPolicy::default(),
        )
        .await
        .expect_err("nothing is called pay-nope");
    assert_eq!(unknown.to_string(), "no plugin with id \"pay-nope\" is loaded");
}

#[test]
fn refusals_at_load_time_do_not_register_anything() {
    let mut registry = PluginRegistry::new(config(1));
    let error = registry
        .load_file(&artifacts().major_2, &LoadPolicy::any_kind())
        .expect_err("major 2 is refused");
    assert!(matches!(error, LoadError::UnsupportedApiMajor { found: 2 }));
    assert_eq!(registry.list().count(), 0);
}

/// A copy of the well-behaved plugin at `dir/name` with permission bits `mode`.
fn echo_copy(dir: &Path, name: &str, mode: u32) -> PathBuf {
    let path = dir.join(name);
    std::fs::copy(&artifacts().echo, &path).expect("fixtures can be copied");
    chmod(&path, mode);
    path
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn cargo_outputs_and_owner_only_writable_files_load() {
    // as cargo writes a library (0755 under umask 022), owned by the user who built it, who runs
    // these tests; `tests/integration/plugins_cli.rs` checks one in place in target/debug
    let built = std::fs::metadata(&artifacts().echo).expect("built");
    assert_eq!(built.permissions().mode() & 0o7777, 0o755);
    assert_eq!(built.uid(), rustix::process::geteuid().as_raw());
    assert!(PluginRegistry::new(config(1))
        .check_file(&artifacts().echo, &LoadPolicy::any_kind())
        .is_ok());
    let dir = scratch_dir("owner-only");
    for mode in [0o700, 0o644, 0o555, 0o500] {
        let path = echo_copy(&dir, &format!("echo-{mode:o}.so"), mode);
        let info = PluginRegistry::new(config(1))
            .check_file(&path, &LoadPolicy::any_kind())
            .unwrap_or_else(|err| panic!("mode {mode:o}: {err}"));
        assert_eq!(info.id, "test-echo");
    }
}

#[test]
fn files_others_may_write_are_refused_before_loading_with_the_chmod_that_fixes_them() {
    let dir = scratch_dir("writable-file");
    let any = LoadPolicy::any_kind();
    for (mode, writers) in [(0o775, "its group"), (0o757, "others"), (0o666, "its group and others")] {
        let path = echo_copy(&dir, &format!("echo-{mode:o}.so"), mode);
        assert_eq!(
            check(&path, &any),
            format!(
                "writable by {writers} (mode {mode:04o}), who could change the code the server would run; \
                 chmod go-w {}",
                path.display()
            )
        );
        // what the line says fixes it
        chmod(&path, mode & !0o022);
        assert!(PluginRegistry::new(config(1)).check_file(&path, &any).is_ok());
    }
    // checked before the loader sees it: a writable text file is refused for being writable
    let text = dir.join("text.so");
    std::fs::copy(&artifacts().text_file, &text).expect("copy");
    chmod(&text, 0o666);
    assert!(check(&text, &any).starts_with("writable by its group and others (mode 0666)"));
}

#[test]
fn files_of_other_users_are_refused_before_loading() {
    let server = rustix::process::geteuid();
    if !server.is_root() {
        // only root can give a file away; CI runs as root
        eprintln!("skipped: giving a file to another user needs root");
        return;
    }
    let dir = scratch_dir("foreign-owner");
    let path = echo_copy(&dir, "echo-nobody.so", 0o755);
    std::os::unix::fs::chown(&path, Some(65534), None).expect("chown");
    assert_eq!(
        check(&path, &LoadPolicy::any_kind()),
        format!(
            "owned by uid 65534, who is neither root nor the user running the server (uid 0) and could \
             change the code it would run; chown root {}",
            path.display()
        )
    );
    std::os::unix::fs::chown(&path, Some(0), None).expect("chown");
    assert!(PluginRegistry::new(config(1))
        .check_file(&path, &LoadPolicy::any_kind())
        .is_ok());
}

#[test]
fn directories_fifos_and_other_non_regular_files_are_refused_without_opening_them() {
    let dir = scratch_dir("not-regular");
    let any = LoadPolicy::any_kind();
    let subdir = dir.join("plugin.so");
    std::fs::create_dir(&subdir).expect("mkdir");
    assert_eq!(
        check(&subdir, &any),
        "it is a directory, not a regular file: give the path of the plugin's .so file"
    );
    // opening a FIFO would wait for a writer for ever: it must be refused before that
    let fifo = dir.join("fifo.so");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    assert_eq!(
        check(&fifo, &any),
        "it is a FIFO, not a regular file: give the path of the plugin's .so file"
    );
    assert_eq!(
        check(Path::new("/dev/null"), &any),
        "it is a device, not a regular file: give the path of the plugin's .so file"
    );
}

#[test]
fn a_directory_anyone_may_change_is_refused_unless_sticky() {
    let any = LoadPolicy::any_kind();
    let dir = scratch_dir("world-writable");
    let path = echo_copy(&dir, "echo.so", 0o755);
    chmod(&dir, 0o777);
    assert_eq!(
        check(&path, &any),
        format!(
            "its directory {} is writable by everyone (mode 0777, no sticky bit), so anyone could \
             replace the plugin; chmod o-w {}",
            dir.display(),
            dir.display()
        )
    );
    // as /tmp: everyone may add files, but only the owner may rename or remove this one
    chmod(&dir, 0o1777);
    assert!(PluginRegistry::new(config(1)).check_file(&path, &any).is_ok());
    // a group may write it: not refused (shared install directories are often so)
    chmod(&dir, 0o775);
    assert!(PluginRegistry::new(config(1)).check_file(&path, &any).is_ok());

    // a symbolic link in a directory anyone may change could be pointed anywhere
    let safe = scratch_dir("link-target");
    let target = echo_copy(&safe, "echo.so", 0o755);
    let links = scratch_dir("links");
    let link = links.join("echo-link.so");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    assert!(PluginRegistry::new(config(1)).check_file(&link, &any).is_ok());
    chmod(&links, 0o777);
    let canonical_links = std::fs::canonicalize(&links).expect("canonical");
    assert!(
        check(&link, &any).starts_with(&format!(
            "its directory {} is writable by everyone",
            canonical_links.display()
        )),
        "{}",
        check(&link, &any)
    );
    chmod(&links, 0o755);
}

#[test]
fn load_dir_reports_unsafe_files_and_loads_the_rest() {
    let dir = scratch_dir("load-dir-unsafe");
    echo_copy(&dir, "a-echo.so", 0o755);
    let writable = echo_copy(&dir, "b-writable.so", 0o666);
    let mut registry = PluginRegistry::new(config(1));
    let report = registry
        .load_dir(&dir, &LoadPolicy::any_kind())
        .expect("the directory is readable");
    assert_eq!(report.loaded.len(), 1);
    let refused: Vec<String> = report.refused.iter().map(ToString::to_string).collect();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(
        refused[0].ends_with(&format!(
            "b-writable.so: writable by its group and others (mode 0666), who could change the code the \
             server would run; chmod go-w {}",
            std::fs::canonicalize(&writable).expect("canonical").display()
        )),
        "{refused:?}"
    );
}
