//! Attacks over plain HTTP, each reproducing a hole a hostile review found, with the figures
//! printed: concurrent password hashing on made-up names, rotating names from one address,
//! audit flooding on a locked account, guessing through `changePassword`, invented HTTP
//! methods as metric labels, idle and trickling connections.

use crate::harness::{error_code, Backend, Server};
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Peak and current resident memory of a process, KiB, from `/proc`.
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

async fn login(s: &Server, user: &str, password: &str) -> serde_json::Value {
    s.client()
        .gql(
            "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }",
            json!({"u": user, "p": password}),
        )
        .await
}

#[tokio::test]
async fn concurrent_logins_hash_in_bounded_memory() {
    // Real argon2 cost (19 MiB per hash), as in production.
    let s = Server::start_with(
        Backend::Sqlite,
        &[
            ("HPC_BILLING_AUTH_ARGON2_MEMORY_KIB", "19456"),
            ("HPC_BILLING_AUTH_ARGON2_ITERATIONS", "2"),
            ("HPC_BILLING_AUTH_THROTTLE_ADDRESS_MAX_FAILURES", "100000"),
            // Let every attempt reach the hashing queue: this test is about that bound.
            ("HPC_BILLING_GRAPHQL_MAX_CONCURRENT_PER_CALLER", "1000"),
        ],
    )
    .await;
    let pid = s.pid().expect("pid");
    let (_, before) = memory_kib(pid);
    let started = Instant::now();
    let answers = futures_util::future::join_all((0..100).map(|i| {
        let s = &s;
        async move { login(s, &format!("made-up-{i}"), "wrong-password").await }
    }))
    .await;
    let codes: Vec<Option<String>> = answers.iter().map(error_code).collect();
    let limited = codes.iter().filter(|c| c.as_deref() == Some("RATE_LIMITED")).count();
    let refused = codes.iter().filter(|c| c.as_deref() == Some("UNAUTHENTICATED")).count();
    let (peak, after) = memory_kib(pid);
    hpcb_tests::figure(&format!(
        "100 concurrent logins with made-up names: {refused} checked and refused, {limited} RATE_LIMITED, in {:?}; RSS {} MiB before, {} MiB after, peak {} MiB",
        started.elapsed(),
        before / 1024,
        after / 1024,
        peak / 1024
    ));
    assert_eq!(limited + refused, 100, "{codes:?}");
    assert!(limited > 0, "the hashing queue is bounded");
    assert!(peak < before + 300 * 1024, "peak {peak} KiB from {before} KiB");
}

#[tokio::test]
async fn one_address_rotating_names_is_locked_and_audited_once_per_lock() {
    let s = Server::start_with(
        Backend::Sqlite,
        &[("HPC_BILLING_AUTH_THROTTLE_ADDRESS_MAX_FAILURES", "8")],
    )
    .await;
    for i in 0..8 {
        let r = login(&s, &format!("guess-{i}"), "wrong-password").await;
        assert_eq!(error_code(&r).as_deref(), Some("UNAUTHENTICATED"), "{r}");
    }
    // The address is locked for every name, even with the right password.
    let r = login(&s, "admin", crate::harness::ADMIN_PASSWORD).await;
    assert_eq!(error_code(&r).as_deref(), Some("RATE_LIMITED"), "{r}");
    // Hammering the lock writes one audit entry, not one per attempt.
    for _ in 0..50 {
        login(&s, "admin", "whatever-password").await;
    }
    let audit = s.db.connect().await;
    use sea_orm::{ConnectionTrait as _, Statement};
    let row = audit
        .query_one(Statement::from_string(
            audit.get_database_backend(),
            "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'auth.lockout.active'",
        ))
        .await
        .expect("count")
        .expect("row");
    let n: i64 = row.try_get("", "n").expect("n");
    hpcb_tests::figure(&format!(
        "51 attempts on a locked address: {n} auth.lockout.active audit entries"
    ));
    assert_eq!(n, 1);
}

#[tokio::test]
async fn change_password_guesses_count_against_the_throttle() {
    let s = Server::start(Backend::Sqlite).await;
    let admin = s.admin().await;
    let mut last = json!(null);
    for _ in 0..6 {
        last = admin
            .gql(
                "mutation { changePassword(currentPassword: \"not-it-at-all\", newPassword: \"new-password-9\") }",
                json!({}),
            )
            .await;
    }
    assert_eq!(error_code(&last).as_deref(), Some("RATE_LIMITED"), "{last}");
}

#[tokio::test]
async fn invented_methods_do_not_create_metric_series() {
    let s = Server::start(Backend::Sqlite).await;
    let http = reqwest::Client::new();
    for i in 0..200 {
        let method = reqwest::Method::from_bytes(format!("X{i}ZZ").as_bytes()).expect("method");
        let _ = http.request(method, format!("{}/healthz", s.base)).send().await;
    }
    let metrics = http
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let series = metrics
        .lines()
        .filter(|l| l.starts_with("http_requests_total{"))
        .count();
    hpcb_tests::figure(&format!(
        "after 200 requests with invented methods: {series} http_requests_total series"
    ));
    assert!(!metrics.contains("X1ZZ"), "invented methods became labels");
    assert!(metrics.contains("method=\"OTHER\""), "{metrics}");
}

/// Whether the server has closed `stream` (a read returns 0 or fails) within `wait`.
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test]
async fn idle_trickling_and_excess_connections_are_closed() {
    let s = Server::start_with(
        Backend::Sqlite,
        &[
            ("HPC_BILLING_SERVER_HEADER_READ_TIMEOUT_SECS", "2"),
            ("HPC_BILLING_SERVER_BODY_TIMEOUT_SECS", "2"),
            ("HPC_BILLING_SERVER_MAX_CONNECTIONS_PER_ADDRESS", "40"),
        ],
    )
    .await;
    let addr = s.base.trim_start_matches("http://").to_owned();
    // 100 idle connections: 40 held, the rest closed at once.
    let mut idle = Vec::new();
    for _ in 0..100 {
        idle.push(TcpStream::connect(&addr).await.expect("connect"));
    }
    let started = Instant::now();
    let mut closed_at_once = 0;
    for c in idle.iter_mut().skip(40) {
        if closed_within(c, Duration::from_millis(500)).await {
            closed_at_once += 1;
        }
    }
    // A client that trickles its headers, and one that stalls its body.
    let mut trickle = TcpStream::connect(&addr).await;
    let mut held_closed = 0;
    for c in idle.iter_mut().take(40) {
        if closed_within(c, Duration::from_secs(5)).await {
            held_closed += 1;
        }
    }
    hpcb_tests::figure(&format!(
        "100 idle connections, 40 allowed per address: {closed_at_once} closed at once, {held_closed} of the 40 held closed by the header timeout after {:?}",
        started.elapsed()
    ));
    assert_eq!(closed_at_once, 60);
    assert_eq!(held_closed, 40);
    if let Ok(t) = trickle.as_mut() {
        let _ = t.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await;
        assert!(
            closed_within(t, Duration::from_secs(5)).await,
            "partial headers were held open"
        );
    }
    let mut stalled = TcpStream::connect(&addr).await.expect("connect");
    stalled
        .write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"query\":")
        .await
        .expect("write");
    assert!(
        closed_within(&mut stalled, Duration::from_secs(6)).await,
        "a stalled body was held open"
    );
    // And the server still answers.
    let ok = reqwest::get(format!("{}/healthz", s.base)).await.expect("healthz");
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn list_sizes_count_towards_the_cost_and_answers_are_bounded() {
    let s = Server::start_with(Backend::Sqlite, &[("HPC_BILLING_GRAPHQL_MAX_RESPONSE_BYTES", "2000")]).await;
    let admin = s.admin().await;
    // A dashboard page passes.
    let page = admin
        .gql(
            "{ usage(first: 50) { totalCount edges { node { jobId user account partition state cpuCoreHours gpuHours memGbHours cost { amount currency } } } } }",
            json!({}),
        )
        .await;
    assert!(page.get("errors").is_none(), "{page}");
    // Twenty aliases of the largest page do not.
    let aliases: String = (0..20)
        .map(|i| format!("a{i}: usage(first: 1000) {{ edges {{ node {{ jobId user account partition state cpuCoreHours }} }} }} "))
        .collect();
    let heavy = admin.gql(&format!("{{ {aliases} }}"), json!({})).await;
    assert_eq!(
        error_code(&heavy).as_deref(),
        Some("GRAPHQL_VALIDATION_FAILED"),
        "{heavy}"
    );
    // An answer over the size limit is replaced by an error naming it.
    let big = admin
        .gql("{ __schema { types { name description } } }", json!({}))
        .await;
    assert_eq!(error_code(&big).as_deref(), Some("RESPONSE_TOO_LARGE"), "{big}");
    hpcb_tests::figure(&format!(
        "20 aliases of usage(first: 1000): {}; an answer over 2000 bytes: {}",
        error_code(&heavy).unwrap_or_default(),
        error_code(&big).unwrap_or_default()
    ));
}
