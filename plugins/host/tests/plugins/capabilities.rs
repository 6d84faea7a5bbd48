//! Every capability, through the real `test-echo` library, with its allow-lists and limits.

use std::collections::BTreeMap;
use std::time::Duration;

use hpcb_plugin_host::{
    FilePolicy, HttpPolicy, PluginCallError, PluginInstance, PluginKind, PluginPolicy, RunPolicy, SecretValue,
};
use serde_json::{json, Value};

use crate::support::{http_peer, logs, registry, scratch_dir, TEST_NOW_MS};

async fn echo_instance(policy: PluginPolicy) -> PluginInstance {
    registry(4)
        .instantiate("test-echo", PluginKind::Test, &json!({}), policy)
        .await
        .expect("test-echo instantiates")
}

/// The capability error code the plugin received, as it reported it back.
fn plugin_code(result: Result<Value, PluginCallError>) -> String {
    let error = result.expect_err("the capability call must fail");
    error
        .plugin_code()
        .unwrap_or_else(|| panic!("not a plugin error: {error}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn http_reaches_allow_listed_hosts_only_and_enforces_limits() {
    let peer = http_peer::start();
    let plugin = echo_instance(PluginPolicy {
        http: HttpPolicy {
            allowed_hosts: vec![format!("127.0.0.1:{}", peer.port())],
            allow_plain_http: true,
            max_timeout: Duration::from_secs(5),
            max_response_bytes: 1000,
        },
        ..PluginPolicy::default()
    })
    .await;
    let base = format!("http://{peer}");

    let response = plugin
        .call(
            "http",
            &json!({ "method": "POST", "url": format!("{base}/echo"),
                     "headers": { "x-test": "yes" }, "body": "{\"amount_minor\":100}" }),
        )
        .await
        .expect("allowed request succeeds");
    assert_eq!(response["status"], 200);
    assert_eq!(response["headers"]["content-type"], "application/json");
    let echoed: Value =
        serde_json::from_str(response["body"].as_str().expect("text body")).expect("the peer answers JSON");
    assert_eq!(
        echoed,
        json!({ "method": "POST", "path": "/echo", "x_test": "yes",
                "body": "{\"amount_minor\":100}" })
    );

    let binary = plugin
        .call("http", &json!({ "method": "GET", "url": format!("{base}/binary") }))
        .await
        .expect("binary responses are fine");
    assert_eq!(binary["body"], Value::Null);
    assert_eq!(binary["body_base64"], "//4AAQ==");

    let redirect = plugin
        .call("http", &json!({ "method": "GET", "url": format!("{base}/redirect") }))
        .await
        .expect("a redirect is a normal response");
    assert_eq!(redirect["status"], 302, "redirects are not followed");

    let big = plugin
        .call("http", &json!({ "method": "GET", "url": format!("{base}/big") }))
        .await;
    assert_eq!(plugin_code(big), "too_large");

    let slow = plugin
        .call(
            "http",
            &json!({ "method": "GET", "url": format!("{base}/slow"), "timeout_ms": 200 }),
        )
        .await;
    assert_eq!(plugin_code(slow), "timeout");

    let other_port = plugin
        .call("http", &json!({ "method": "GET", "url": "http://127.0.0.1:1/echo" }))
        .await;
    assert_eq!(plugin_code(other_port), "denied");

    let other_host = plugin
        .call("http", &json!({ "method": "GET", "url": "https://evil.example/steal" }))
        .await;
    assert_eq!(plugin_code(other_host), "denied");
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_http_is_refused_unless_allowed() {
    let plugin = echo_instance(PluginPolicy {
        http: HttpPolicy {
            allowed_hosts: vec!["127.0.0.1:*".to_owned()],
            ..HttpPolicy::default()
        },
        ..PluginPolicy::default()
    })
    .await;
    let result = plugin
        .call("http", &json!({ "method": "GET", "url": "http://127.0.0.1:9/x" }))
        .await;
    assert_eq!(plugin_code(result), "denied");
}

#[tokio::test(flavor = "multi_thread")]
async fn run_starts_allow_listed_programs_with_a_clean_environment_and_limits() {
    let plugin = echo_instance(PluginPolicy {
        run: RunPolicy {
            allowed_programs: vec!["cat".to_owned(), "sh".to_owned()],
            max_timeout: Duration::from_secs(5),
            max_output_bytes: 1000,
            ..RunPolicy::default()
        },
        ..PluginPolicy::default()
    })
    .await;
    let run = |request: Value| {
        let plugin = plugin.clone();
        async move { plugin.call("run", &request).await }
    };

    let cat = run(json!({ "program": "cat", "stdin": "job,cpu\n1,4\n" }))
        .await
        .expect("cat runs");
    assert_eq!(cat, json!({ "status": 0, "stdout": "job,cpu\n1,4\n", "stderr": "" }));

    let failing = run(json!({ "program": "sh", "args": ["-c", "echo oops >&2; exit 3"] }))
        .await
        .expect("a failing program is a normal response");
    assert_eq!(failing["status"], 3);
    assert_eq!(failing["stderr"], "oops\n");

    // cargo sets CARGO_MANIFEST_DIR for this test process; it must not leak to programs.
    let env = run(json!({ "program": "sh", "args": ["-c", "echo \"[$CARGO_MANIFEST_DIR]\""] }))
        .await
        .expect("sh runs");
    assert_eq!(env["stdout"], "[]\n");

    let denied = run(json!({ "program": "ls", "args": ["/"] })).await;
    assert_eq!(plugin_code(denied), "denied");
    let denied_path = run(json!({ "program": "/bin/sh", "args": ["-c", "true"] })).await;
    assert_eq!(plugin_code(denied_path), "denied", "allow-list entries match exactly");

    let started = std::time::Instant::now();
    let slow = run(json!({ "program": "sh", "args": ["-c", "sleep 10"], "timeout_ms": 300 })).await;
    assert_eq!(plugin_code(slow), "timeout");
    assert!(started.elapsed() < Duration::from_secs(5));

    let chatty = run(json!({ "program": "sh", "args": ["-c", "yes | head -c 100000"] })).await;
    assert_eq!(plugin_code(chatty), "too_large");
}

#[tokio::test(flavor = "multi_thread")]
async fn read_file_serves_allow_listed_directories_only() {
    let dir = scratch_dir("read-file");
    std::fs::create_dir_all(dir.join("usage")).expect("writable");
    std::fs::write(dir.join("usage/jobs.csv"), "job,cpu\n").expect("writable");
    std::fs::write(dir.join("server.toml"), "db_password = 'x'").expect("writable");
    let plugin = echo_instance(PluginPolicy {
        files: FilePolicy {
            allowed_dirs: vec![dir.join("usage")],
            ..FilePolicy::default()
        },
        ..PluginPolicy::default()
    })
    .await;
    let read = |path: std::path::PathBuf| {
        let plugin = plugin.clone();
        async move {
            plugin
                .call("read_file", &json!({ "path": path.to_string_lossy() }))
                .await
        }
    };

    let content = read(dir.join("usage/jobs.csv")).await.expect("allowed file");
    assert_eq!(content["content"], "job,cpu\n");
    assert_eq!(plugin_code(read(dir.join("server.toml")).await), "denied");
    assert_eq!(plugin_code(read(dir.join("usage/../server.toml")).await), "denied");
}

#[tokio::test(flavor = "multi_thread")]
async fn log_now_and_secret_work_and_secrets_never_reach_the_log() {
    let secret = "sk_test_do_not_log_4242";
    let plugin = echo_instance(PluginPolicy {
        secrets: BTreeMap::from([("api_key".to_owned(), SecretValue::new(secret))]),
        ..PluginPolicy::default()
    })
    .await;

    let now = plugin.call("now", &json!({})).await.expect("now works");
    assert_eq!(now["unix_ms"], TEST_NOW_MS);

    let value = plugin
        .call("secret", &json!({ "name": "api_key" }))
        .await
        .expect("a configured secret is served");
    assert_eq!(value["value"], secret);
    let unknown = plugin.call("secret", &json!({ "name": "db_password" })).await;
    assert_eq!(plugin_code(unknown), "denied");

    plugin
        .call("log", &json!({ "message": "settlement batch 77 done" }))
        .await
        .expect("log works");
    let unknown_capability = plugin
        .call("raw_capability", &json!({ "capability": "teleport", "request": {} }))
        .await;
    assert_eq!(plugin_code(unknown_capability), "unknown_capability");

    let logs = logs::captured();
    let line = logs
        .lines()
        .find(|line| line.contains("settlement batch 77 done"))
        .expect("the plugin's log line reached the host log");
    assert!(line.contains("WARN"), "{line}");
    assert!(line.contains("plugin=test-echo"), "{line}");
    assert!(logs.contains("read secret api_key"), "secret reads are logged by name");
    assert!(!logs.contains(secret), "a secret value reached the log");
}
