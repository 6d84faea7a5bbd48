//! Attacks on `/graphql/ws`, each reproducing a hole a hostile review found: a socket that
//! kept its first principal after logout, password reset, disabling or demotion; sockets that
//! never initialise; duplicate operation ids; unbounded subscriptions; cookie mutations
//! without the CSRF token.

use crate::harness::{Backend, Server};
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A socket speaking `graphql-transport-ws`, with extra request headers.
pub(crate) async fn open(s: &Server, headers: &[(&str, String)]) -> Ws {
    let url = format!("{}/graphql/ws", s.base.replace("http://", "ws://"));
    let mut req = url.into_client_request().expect("request");
    req.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    for (k, v) in headers {
        req.headers_mut().insert(
            tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
            HeaderValue::from_str(v).expect("value"),
        );
    }
    let (ws, _) = tokio_tungstenite::connect_async(req).await.expect("connect");
    ws
}

pub(crate) async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::text(v.to_string())).await.expect("send");
}

/// The next protocol message, or the close code once the server closes (pings are answered).
pub(crate) async fn next(ws: &mut Ws) -> Result<Value, u16> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(15), ws.next())
            .await
            .expect("the server answers within 15 s");
        match msg {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(t.as_str()).expect("JSON");
                if v["type"] == "ping" {
                    send(ws, json!({"type": "pong"})).await;
                    continue;
                }
                return Ok(v);
            }
            Some(Ok(Message::Close(frame))) => return Err(frame.map_or(1005, |f| u16::from(f.code))),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return Err(1006),
        }
    }
}

/// Reads until the server closes; the close code.
async fn closed(ws: &mut Ws) -> u16 {
    loop {
        if let Err(code) = next(ws).await {
            return code;
        }
    }
}

async fn init(s: &Server, token: &str) -> Ws {
    let mut ws = open(s, &[]).await;
    send(
        &mut ws,
        json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}}),
    )
    .await;
    assert_eq!(next(&mut ws).await.expect("ack")["type"], "connection_ack");
    ws
}

/// Runs one operation to its first answer.
async fn run(ws: &mut Ws, id: &str, query: &str) -> Result<Value, u16> {
    send(ws, json!({"type": "subscribe", "id": id, "payload": {"query": query}})).await;
    next(ws).await
}

async fn user(s: &Server, name: &str, role: &str) -> String {
    let admin = s.admin().await;
    let r = admin
        .gql(
            "mutation($u: String!, $r: Role!) { createUser(username: $u, password: \"socket-pass-1\", role: $r) { username } }",
            json!({"u": name, "r": role}),
        )
        .await;
    assert_eq!(r["data"]["createUser"]["username"], name, "{r}");
    s.login(name, "socket-pass-1").await.token.expect("token")
}

#[tokio::test]
async fn a_socket_ends_when_its_session_or_rights_change() {
    let s = Server::start(Backend::Sqlite).await;
    let admin = s.admin().await;

    // Logout of the socket's session: closed with 4401, no further operation runs.
    let token = user(&s, "sock-a", "USER").await;
    let mut ws = init(&s, &token).await;
    let me = run(&mut ws, "1", "{ me { username } }").await.expect("next");
    assert_eq!(me["payload"]["data"]["me"]["username"], "sock-a", "{me}");
    let mut client = s.client();
    client.token = Some(token.clone());
    client.gql("mutation { logout }", json!({})).await;
    assert_eq!(next(&mut ws).await.map(|v| v["type"].clone()), Ok(json!("complete")));
    assert_eq!(next(&mut ws).await, Err(4401), "logout ends the socket");

    // A password reset by an admin ends the user's sockets.
    let token = s.login("sock-a", "socket-pass-1").await.token.expect("token");
    let mut ws = init(&s, &token).await;
    admin
        .gql(
            "mutation { setUserPassword(username: \"sock-a\", password: \"socket-pass-2\") }",
            json!({}),
        )
        .await;
    assert_eq!(next(&mut ws).await, Err(4401));

    // A demoted admin's socket closes (4403) and cannot make another admin any more.
    let token = user(&s, "sock-admin", "ADMIN").await;
    let mut ws = init(&s, &token).await;
    let r = admin
        .gql(
            "mutation { setUserRole(username: \"sock-admin\", role: USER) { role } }",
            json!({}),
        )
        .await;
    assert_eq!(r["data"]["setUserRole"]["role"], "USER", "{r}");
    assert_eq!(next(&mut ws).await, Err(4403));
    let mut ws = init(&s, &token).await;
    let made = run(
        &mut ws,
        "1",
        "mutation { createUser(username: \"sneaky\", password: \"sneaky-pass-1\", role: ADMIN) { username } }",
    )
    .await
    .expect("answer");
    assert_eq!(
        made["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{made}"
    );
    let users = admin.gql("{ users { username } }", json!({})).await;
    assert!(!users.to_string().contains("sneaky"), "{users}");

    // Disabling ends the socket too.
    admin
        .gql(
            "mutation { disableUser(username: \"sock-admin\") { disabled } }",
            json!({}),
        )
        .await;
    assert_eq!(closed(&mut ws).await, 4401);
}

#[tokio::test]
async fn sockets_are_bounded_and_follow_the_protocol() {
    let s = Server::start_with(
        Backend::Sqlite,
        &[
            ("HPC_BILLING_GRAPHQL_WS_INIT_TIMEOUT_SECS", "1"),
            ("HPC_BILLING_GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION", "3"),
        ],
    )
    .await;
    // A socket that never sends connection_init is closed with 4408.
    let mut silent = open(&s, &[]).await;
    assert_eq!(next(&mut silent).await, Err(4408));

    let admin_token = s.admin().await.token.expect("token");
    let mut ws = init(&s, &admin_token).await;
    for id in ["a", "b", "c"] {
        send(
            &mut ws,
            json!({"type": "subscribe", "id": id, "payload": {"query": "subscription { auditAppended { id } }"}}),
        )
        .await;
    }
    // The fourth subscription on this socket is refused, the socket stays.
    let refused = run(&mut ws, "d", "subscription { auditAppended { id } }")
        .await
        .expect("error");
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "RATE_LIMITED", "{refused}");
    // A query still runs beside them.
    let me = run(&mut ws, "q", "{ me { username } }").await.expect("next");
    assert_eq!(me["payload"]["data"]["me"]["username"], "admin", "{me}");
    // Reusing a live id closes the socket with 4409.
    send(
        &mut ws,
        json!({"type": "subscribe", "id": "a", "payload": {"query": "subscription { auditAppended { id } }"}}),
    )
    .await;
    assert_eq!(closed(&mut ws).await, 4409);
}

#[tokio::test]
async fn cookie_mutations_over_a_socket_need_the_csrf_token() {
    let s = Server::start(Backend::Sqlite).await;
    user(&s, "cookie-user", "USER").await;
    let http = reqwest::Client::new();
    let login = || {
        let http = http.clone();
        let url = format!("{}/graphql", s.base);
        async move {
            let r = http
                .post(&url)
                .json(&json!({"query": "mutation { login(username: \"cookie-user\", password: \"socket-pass-1\") { token } }"}))
                .send()
                .await
                .expect("login");
            let cookies: Vec<String> = r
                .headers()
                .get_all(reqwest::header::SET_COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .map(|c| c.split(';').next().unwrap_or_default().to_owned())
                .collect();
            let csrf = cookies
                .iter()
                .find_map(|c| c.strip_prefix("hpcb_csrf="))
                .map(str::to_owned)
                .unwrap_or_default();
            (cookies.join("; "), csrf)
        }
    };
    let origin = s.base.clone();
    let host = s.base.trim_start_matches("http://").to_owned();
    let (cookies, csrf) = login().await;
    let headers = [
        ("Cookie", cookies.clone()),
        ("Origin", origin.clone()),
        ("Host", host.clone()),
    ];
    // Without the token: the mutation is refused as over HTTP.
    let mut ws = open(&s, &headers).await;
    send(&mut ws, json!({"type": "connection_init", "payload": {}})).await;
    assert_eq!(next(&mut ws).await.expect("ack")["type"], "connection_ack");
    let r = run(&mut ws, "1", "mutation { logout }").await.expect("answer");
    assert_eq!(r["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN", "{r}");
    // With it: allowed.
    let mut ws = open(&s, &headers).await;
    send(
        &mut ws,
        json!({"type": "connection_init", "payload": {"X-CSRF-Token": csrf}}),
    )
    .await;
    assert_eq!(next(&mut ws).await.expect("ack")["type"], "connection_ack");
    let r = run(&mut ws, "1", "mutation { logout }").await.expect("answer");
    assert_eq!(r["payload"]["data"]["logout"], true, "{r}");
}

#[tokio::test]
async fn a_logout_on_one_replica_ends_the_socket_on_another() {
    if !crate::harness::postgres_available().await {
        return;
    }
    let a = Server::start(Backend::Postgres).await;
    let b = a.replica().await;
    let token = user(&a, "sock-replica", "USER").await;
    let mut ws = init(&b, &token).await;
    let me = run(&mut ws, "1", "{ me { username } }").await.expect("next");
    assert_eq!(me["payload"]["data"]["me"]["username"], "sock-replica", "{me}");
    let mut client = a.client();
    client.token = Some(token);
    client.gql("mutation { logout }", json!({})).await;
    assert_eq!(
        closed(&mut ws).await,
        4401,
        "the event crossed replicas through PostgreSQL"
    );
}

#[tokio::test]
async fn a_subscription_flood_from_one_user_is_capped() {
    let s = Server::start_with(
        Backend::Sqlite,
        &[
            ("HPC_BILLING_GRAPHQL_MAX_SUBSCRIPTIONS_PER_USER", "300"),
            ("HPC_BILLING_GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION", "50"),
        ],
    )
    .await;
    let pid = s.pid().expect("pid");
    let rss = || {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let token = s.admin().await.token.expect("token");
    let before = rss();
    // 10 sockets each asking for 60 subscriptions: 600 asked, 300 allowed for the account.
    let mut sockets = Vec::new();
    let (mut accepted, mut refused) = (0, 0);
    for _ in 0..10 {
        let mut ws = init(&s, &token).await;
        for i in 0..60 {
            send(&mut ws, json!({"type": "subscribe", "id": format!("s{i}"), "payload": {"query": "subscription { auditAppended { id } }"}})).await;
        }
        // Refusals come back at once; the rest are live and quiet.
        while let Ok(Ok(v)) = tokio::time::timeout(Duration::from_millis(300), next(&mut ws)).await {
            if v["type"] == "error" {
                assert_eq!(v["payload"][0]["extensions"]["code"], "RATE_LIMITED", "{v}");
                refused += 1;
            }
        }
        accepted += 60;
        sockets.push(ws);
    }
    accepted -= refused;
    let after = rss();
    // One audited change reaches every live subscription with one database read each.
    let admin = s.admin().await;
    admin
        .gql(
            "mutation { setTierOverride(username: \"someone\", tier: \"mu\") { tier } }",
            json!({}),
        )
        .await;
    let mut heard = 0;
    for ws in sockets.iter_mut() {
        while let Ok(Ok(v)) = tokio::time::timeout(Duration::from_millis(500), next(ws)).await {
            if v["type"] == "next" {
                heard += 1;
            }
        }
    }
    hpcb_tests::figure(&format!(
        "600 subscriptions asked by one account on 10 sockets: {accepted} live, {refused} refused with RATE_LIMITED; RSS {} KiB before, {} KiB after; one audited change heard by {heard}",
        before, after
    ));
    assert_eq!(accepted, 300);
    assert_eq!(refused, 300);
    assert!(heard >= 300, "every live subscription heard the change: {heard}");
}
