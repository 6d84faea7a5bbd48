//! Loading, listing and refusing plugin files.

use std::path::Path;

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
    let text = check(&a.text_file, &any);
    assert!(
        text.starts_with("not an hpc-billing plugin: cannot load it as a shared library"),
        "{text}"
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
