//! Slow and hanging plugins: queueing is not the plugin's fault, a queue too long is `Busy`
//! without harm, and a plugin that hangs on every call strands a bounded number of threads.

use std::time::{Duration, Instant};

use hpcb_plugin_host::{InstanceHealth, PluginCallError, PluginKind, PluginPolicy, RunPolicy};
use serde_json::{json, Value};

use crate::support::{config, registry, registry_with};

/// A policy whose calls may take `call_timeout` and may run `sh` (to be slow on purpose).
fn slow_policy(call_timeout: Duration) -> PluginPolicy {
    PluginPolicy {
        call_timeout,
        run: RunPolicy {
            allowed_programs: vec!["sh".to_owned()],
            ..RunPolicy::default()
        },
        ..PluginPolicy::default()
    }
}

/// A plugin call that takes `seconds` and then answers.
fn sleeping(seconds: &str) -> Value {
    json!({ "program": "sh", "args": ["-c", format!("sleep {seconds}")] })
}

#[tokio::test(flavor = "multi_thread")]
async fn calls_queued_behind_slow_ones_do_not_time_out_because_of_the_queue() {
    let plugin = registry(4)
        .instantiate(
            "test-echo",
            PluginKind::Test,
            &json!({}),
            slow_policy(Duration::from_secs(2)),
        )
        .await
        .expect("instantiates");
    // Each call takes 0.8 s, well within its 2 s; run one after another (one instance), the
    // last ends 3.2 s after they were all made.
    let started = Instant::now();
    let calls: Vec<_> = (0..4)
        .map(|_| {
            let plugin = plugin.clone();
            tokio::spawn(async move { plugin.call("run", &sleeping("0.8")).await })
        })
        .collect();
    for call in calls {
        let answer = call.await.expect("join").expect("a queued call is not timed out");
        assert_eq!(answer["status"], json!(0), "{answer}");
    }
    assert!(
        started.elapsed() > Duration::from_secs(3),
        "the calls ran one at a time"
    );
    assert_eq!(plugin.health(), InstanceHealth::Ready);
    assert_eq!(plugin.stuck_calls(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_queue_longer_than_the_queue_timeout_is_busy_and_holds_nothing_against_the_plugin() {
    let registry = registry_with(hpcb_plugin_host::HostConfig {
        queue_timeout: Duration::from_millis(300),
        ..config(4)
    });
    let plugin = registry
        .instantiate(
            "test-echo",
            PluginKind::Test,
            &json!({}),
            slow_policy(Duration::from_secs(5)),
        )
        .await
        .expect("instantiates");
    let slow = {
        let plugin = plugin.clone();
        tokio::spawn(async move { plugin.call("run", &sleeping("1.5")).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let queued = plugin
        .call("echo", &json!({}))
        .await
        .expect_err("no turn within the queue timeout");
    assert!(matches!(queued, PluginCallError::Busy { .. }), "{queued}");
    assert_eq!(
        queued.to_string(),
        "plugin test-echo could not start `echo` within 300ms: busy"
    );
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    assert_eq!(plugin.health(), InstanceHealth::Ready, "busy is not the plugin's fault");

    slow.await.expect("join").expect("the slow call itself succeeds");
    let answer = plugin.call("echo", &json!({})).await.expect("served again");
    assert_eq!(
        answer["calls"],
        json!(2),
        "the same plugin object served all along: {answer}"
    );
}

/// Uses its own runtime: the hung threads never end, and a plain runtime drop would wait for
/// them.
#[test]
fn a_plugin_that_hangs_on_every_call_strands_at_most_the_stuck_bound_of_threads() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let registry = registry_with(hpcb_plugin_host::HostConfig {
            max_stuck_calls: 2,
            ..config(1)
        });
        let policy = PluginPolicy {
            call_timeout: Duration::from_millis(200),
            ..PluginPolicy::default()
        };
        let hanging = registry
            .instantiate("test-echo", PluginKind::Test, &json!({}), policy.clone())
            .await
            .expect("instantiates");

        // A caller that gives up early does not stop the bookkeeping: the call still ends in a
        // timeout, counted, in its own task.
        let impatient = tokio::time::timeout(Duration::from_millis(50), hanging.call("hang", &json!({}))).await;
        assert!(impatient.is_err(), "the caller stopped waiting");
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(hanging.stuck_calls(), 1);

        let second = hanging.call("hang", &json!({})).await.expect_err("hangs again");
        assert!(matches!(second, PluginCallError::Timeout { .. }), "{second}");
        assert_eq!(hanging.stuck_calls(), 2);
        let dead = hanging.health();
        assert!(
            matches!(dead, InstanceHealth::Dead { ref reason } if reason.contains("2 calls are stuck")),
            "{dead:?}"
        );

        // At the bound, calls are refused at once and no further thread enters the plugin.
        let started = Instant::now();
        let calls: Vec<_> = (0..20)
            .map(|_| {
                let hanging = hanging.clone();
                tokio::spawn(async move { hanging.call("hang", &json!({})).await })
            })
            .collect();
        for call in calls {
            let refused = call.await.expect("join").expect_err("refused");
            assert!(matches!(refused, PluginCallError::Unusable { .. }), "{refused}");
        }
        assert!(
            started.elapsed() < Duration::from_millis(200),
            "{:?}",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(hanging.stuck_calls(), 2);
        assert!(hanging.unusable_reason().is_some());

        // Other instances are served with the host's only slot.
        let other = registry
            .instantiate("test-echo", PluginKind::Test, &json!({}), policy)
            .await
            .expect("another instance");
        other.call("echo", &json!({})).await.expect("served");
    });
    runtime.shutdown_background();
}
