//! Plugins that panic, hang or answer garbage: each call fails cleanly, the process keeps
//! running, the host keeps serving other instances and plugins, and the instance itself serves
//! its next call on a fresh plugin object.

use std::time::{Duration, Instant};

use hpcb_plugin_host::{InstanceHealth, InstantiateError, PluginCallError, PluginKind, PluginPolicy};
use serde_json::json;

use crate::support::registry;

#[tokio::test(flavor = "multi_thread")]
async fn a_panic_in_call_fails_that_call_and_the_next_call_runs_on_a_fresh_object() {
    let registry = registry(2);
    let policy = PluginPolicy::default();
    let first = registry
        .instantiate("test-echo", PluginKind::Test, &json!({}), policy.clone())
        .await
        .expect("instantiates");
    let warm = first.call("echo", &json!({})).await.expect("echo answers");
    assert_eq!(warm["calls"], json!(1));

    let panicked = first.call("panic", &json!({})).await.expect_err("the call panics");
    assert!(matches!(panicked, PluginCallError::Panicked { .. }));
    assert_eq!(
        panicked.to_string(),
        "plugin test-echo panicked in `panic`: plugin panicked: asked to panic in call"
    );
    assert!(
        matches!(first.health(), InstanceHealth::Recovering { ref reason } if reason.contains("panicked")),
        "{:?}",
        first.health()
    );
    assert_eq!(first.unusable_reason(), None, "the instance is not dead");

    // The poisoned object is gone: a fresh one (its call counter starts again) answers.
    let after = first
        .call("echo", &json!({ "still": "alive" }))
        .await
        .expect("the instance serves on a fresh object");
    assert_eq!(after["echo"], json!({ "still": "alive" }));
    assert_eq!(after["calls"], json!(1), "{after}");
    assert_eq!(first.health(), InstanceHealth::Ready);
    assert_eq!(first.stuck_calls(), 0);

    let garbage = registry
        .instantiate("test-garbage", PluginKind::Test, &json!({}), policy)
        .await
        .expect("other plugins are still served");
    assert!(garbage.call("anything", &json!({})).await.is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_panic_in_create_is_reported() {
    let error = registry(1)
        .instantiate(
            "test-echo",
            PluginKind::Test,
            &json!({ "panic_in_create": true }),
            PluginPolicy::default(),
        )
        .await
        .expect_err("create panics");
    assert!(matches!(error, InstantiateError::Panicked { .. }));
    assert_eq!(
        error.to_string(),
        "plugin test-echo panicked while being created: plugin panicked: asked to panic in create"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_answers_are_reported_as_invalid_json() {
    let plugin = registry(1)
        .instantiate("test-garbage", PluginKind::Test, &json!({}), PluginPolicy::default())
        .await
        .expect("instantiates");
    let error = plugin
        .call("anything", &json!({}))
        .await
        .expect_err("the answer is not JSON");
    assert!(matches!(error, PluginCallError::InvalidResponse { .. }));
    assert!(
        error
            .to_string()
            .starts_with("plugin test-garbage answered `anything` with invalid JSON: "),
        "{error}"
    );
    plugin
        .call("again", &json!({}))
        .await
        .expect_err("still garbage, but the instance stays usable");
    assert!(plugin.unusable_reason().is_none());
}

/// Uses its own runtime: the hung thread never ends, and a plain runtime drop would wait for it.
#[test]
fn a_hung_call_times_out_and_the_next_call_runs_on_a_fresh_object_with_the_only_slot() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        // One slot in total: if the hung call kept it, nothing else could run.
        let registry = registry(1);
        let policy = PluginPolicy {
            call_timeout: Duration::from_millis(300),
            ..PluginPolicy::default()
        };
        let hung = registry
            .instantiate("test-echo", PluginKind::Test, &json!({}), policy.clone())
            .await
            .expect("instantiates");

        let started = Instant::now();
        let error = hung.call("hang", &json!({})).await.expect_err("the call hangs");
        assert!(matches!(error, PluginCallError::Timeout { .. }), "{error}");
        assert_eq!(error.to_string(), "plugin test-echo did not answer `hang` within 300ms");
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(hung.stuck_calls(), 1);
        assert!(
            matches!(hung.health(), InstanceHealth::Recovering { .. }),
            "{:?}",
            hung.health()
        );

        let fresh = hung
            .call("echo", &json!({}))
            .await
            .expect("the same instance serves the next call on a fresh object");
        assert_eq!(fresh["calls"], json!(1), "{fresh}");
        assert_eq!(hung.health(), InstanceHealth::Ready);
        assert_eq!(hung.stuck_calls(), 1, "the abandoned thread is still inside the plugin");
    });
    runtime.shutdown_background();
}
