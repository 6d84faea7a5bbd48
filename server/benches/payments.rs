//! Webhook arrival → subscriber notified, with many idle subscriptions open, and the memory an
//! idle subscription costs the server. Targets: p99 ≤ 50 ms with 10 000 open subscriptions,
//! ≤ 20 KB per idle subscription.
//!
//! It runs the real release server as a child process with the `dummy` gateway and the CSV
//! usage source, ingests generated usage, opens N idle `paymentStatus` subscriptions over
//! graphql-transport-ws (to a payment that stays pending, so every event wakes them all), then
//! times rounds of: new receipt and payment, a fresh subscriber, a signed webhook POST, and the
//! subscriber's `SUCCEEDED` message. Memory is the server's resident set before and after the
//! idle subscriptions opened.
//!
//! `cargo bench -p hpc-billing --bench payments -- [SUBSCRIPTIONS] [ROUNDS] [sqlite]` (defaults
//! 10000, 200); PostgreSQL (LISTEN/NOTIFY path) too when `HPC_BILLING_TEST_PG_URL` or the local
//! default answers.
#![expect(clippy::print_stdout, reason = "a benchmark reports on standard output")]
#![expect(clippy::unwrap_used, reason = "a benchmark fails loudly")]

use futures_util::{SinkExt, StreamExt};
use hmac::{Hmac, Mac};
use hpcb_server::demo_data::{generate, DumpSpec};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{json, Value};
use sha2::Sha256;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

const SECRET: &str = "bench-dummy-webhook-secret";
const ADMIN_PASSWORD: &str = "bench-admin-password-1";

type Ws = WebSocketStream<TcpStream>;

fn cargo_build(packages: &[&str]) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = std::process::Command::new(cargo);
    cmd.args(["build", "-q", "--release"]);
    for p in packages {
        cmd.args(["-p", p]);
    }
    assert!(cmd.status().unwrap().success(), "cargo build failed");
    // The bench runs from target/release/deps; binaries and plugins sit in target/release.
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server {
    child: Child,
    base: String,
    port: u16,
    http: reqwest::Client,
    token: String,
}

impl Server {
    async fn start(bin_dir: &Path, dir: &Path, database_url: &str) -> Server {
        let data = dir.join("usage");
        std::fs::create_dir_all(&data).unwrap();
        let dump = data.join("dump.psv");
        let now = chrono::Utc::now().timestamp();
        let spec = DumpSpec {
            jobs: 3000,
            seed: 5,
            end_s: now - 86_400,
            span_s: 30 * 86_400,
            odd_every: 0,
        };
        std::fs::write(&dump, generate(&spec)).unwrap();
        let config = dir.join("hpc-billing.toml");
        std::fs::write(
            &config,
            format!(
                "[[sources]]\nname = \"lab\"\ncluster = \"lab\"\ninterval_secs = 0\n\n[[sources.chain]]\nplugin = \"usage-csv\"\nsettings = {{ path = \"{}\" }}\nallow_dirs = [\"{}\"]\n\n[payments]\njanitor_interval_secs = 0\n\n[[payments.gateways]]\nplugin = \"dummy\"\nsecrets = {{ webhook_secret = \"{SECRET}\" }}\n",
                dump.display(),
                data.display()
            ),
        )
        .unwrap();
        let port = free_port();
        let child = Command::new(bin_dir.join("hpc-billing"))
            .arg("serve")
            .env("HPC_BILLING_CONFIG", &config)
            .env("HPC_BILLING_DATABASE_URL", database_url)
            .env("HPC_BILLING_LISTEN", format!("127.0.0.1:{port}"))
            .env("HPC_BILLING_SERVER_DATA_DIR", dir.join("data"))
            .env("HPC_BILLING_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("HPC_BILLING_LOG_LEVEL", "error")
            .env("HPC_BILLING_DATABASE_MAX_CONNECTIONS", "20")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while http.get(format!("{base}/healthz")).send().await.is_err() {
            assert!(Instant::now() < deadline, "server did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut s = Server {
            child,
            base,
            port,
            http,
            token: String::new(),
        };
        let login = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }";
        let admin = s.gql(login, json!({"u": "admin", "p": ADMIN_PASSWORD})).await;
        s.token = admin["data"]["login"]["token"].as_str().unwrap().to_owned();
        let ingest = "mutation { ingestUsage(source: \"lab\", from: \"2020-01-01T00:00:00Z\", to: \"2100-01-01T00:00:00Z\") { inserted } }";
        let r = s.gql(ingest, json!({})).await;
        assert!(r["errors"].is_null(), "{r}");
        s
    }

    async fn gql(&self, query: &str, variables: Value) -> Value {
        let mut req = self
            .http
            .post(format!("{}/graphql", self.base))
            .json(&json!({"query": query, "variables": variables}));
        if !self.token.is_empty() {
            req = req.bearer_auth(&self.token);
        }
        req.send().await.unwrap().json().await.unwrap()
    }

    /// Resident memory of the server process, bytes.
    fn rss(&self) -> u64 {
        let pid = self.child.id().unwrap();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap();
        kib * 1024
    }

    /// Job keys of alice's jobs, each billable on a receipt of its own.
    async fn job_keys(&self, n: usize) -> Vec<String> {
        let r = self
            .gql(
                "query($n: Int!) { usage(user: \"alice\", filter: {state: \"COMPLETED\"}, first: $n) { nodes { jobKey cost { minor } } } }",
                json!({"n": n as i64}),
            )
            .await;
        r["data"]["usage"]["nodes"]
            .as_array()
            .unwrap_or_else(|| panic!("usage: {r}"))
            .iter()
            .filter(|j| j["cost"]["minor"].as_i64().unwrap_or(0) > 0)
            .map(|j| j["jobKey"].as_str().unwrap().to_owned())
            .collect()
    }

    /// A pending dummy payment for a receipt over one job; returns (payment id, amount).
    async fn payment_for(&self, job: &str) -> (String, i64) {
        let r = self
            .gql(
                "mutation($j: [String!]) { createReceipt(user: \"alice\", jobs: $j) { id } }",
                json!({"j": [job]}),
            )
            .await;
        let rid = r["data"]["createReceipt"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{r}"));
        let r = self
            .gql(
                "mutation($r: ID!) { startPayment(receiptId: $r, provider: \"dummy\") { id amount { minor } } }",
                json!({"r": rid}),
            )
            .await;
        let p = &r["data"]["startPayment"];
        (
            p["id"].as_str().unwrap_or_else(|| panic!("{r}")).to_owned(),
            p["amount"]["minor"].as_i64().unwrap(),
        )
    }

    /// Opens a subscription to a payment's status and waits for its first (current) state.
    async fn subscribe(&self, payment: &str) -> Ws {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let mut req = format!("ws://127.0.0.1:{}/graphql/ws", self.port)
            .into_client_request()
            .unwrap();
        req.headers_mut()
            .insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
        let (mut ws, _) = tokio_tungstenite::client_async(req, stream).await.unwrap();
        let init = json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {}", self.token)}});
        ws.send(Message::text(init.to_string())).await.unwrap();
        expect(&mut ws, "connection_ack").await;
        let query = format!("subscription {{ paymentStatus(paymentId: \"{payment}\") {{ status }} }}");
        let sub = json!({"id": "1", "type": "subscribe", "payload": {"query": query}});
        ws.send(Message::text(sub.to_string())).await.unwrap();
        expect(&mut ws, "PENDING").await;
        ws
    }

    /// Posts a dummy-gateway success webhook, signed as the gateway signs it.
    async fn pay(&self, payment: &str, amount: i64, event: &str) {
        let t = chrono::Utc::now().timestamp();
        let body = json!({"id": event, "type": "payment.succeeded", "created": t, "data": {"payment_id": payment,
            "external_id": format!("dummy_{payment}"), "amount_minor": amount, "currency": "THB"}})
        .to_string();
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(format!("{t}.{body}").as_bytes());
        let sig = format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()));
        let r = self
            .http
            .post(format!("{}/payments/webhook/dummy", self.base))
            .header("x-dummy-signature", sig)
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "webhook refused: {}", r.status());
    }
}

/// Reads messages until one contains `needle` (pings and other frames are skipped).
async fn expect(ws: &mut Ws, needle: &str) {
    loop {
        match tokio::time::timeout(Duration::from_secs(60), ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) if t.contains(needle) => return,
            Ok(Some(Ok(Message::Text(t)))) if t.contains("\"error\"") => panic!("subscription error: {t}"),
            Ok(Some(Ok(_))) => continue,
            other => panic!("waiting for {needle}: {other:?}"),
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

async fn run(label: &str, bin_dir: &Path, database_url: &str, subscriptions: usize, rounds: usize) {
    let dir = std::env::temp_dir().join(format!("hpcb-bench-pay-{}", hex::encode(rand::random::<[u8; 4]>())));
    std::fs::create_dir_all(&dir).unwrap();
    let mut server = Server::start(bin_dir, &dir, database_url).await;
    let keys = server.job_keys(rounds + 1).await;
    assert!(keys.len() > rounds, "alice has only {} jobs", keys.len());
    let (idle_payment, _) = server.payment_for(&keys[0]).await;

    // Idle subscriptions, opened a few at a time.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = server.rss();
    let started = Instant::now();
    let mut idle: Vec<Ws> = Vec::with_capacity(subscriptions);
    while idle.len() < subscriptions {
        let batch = (subscriptions - idle.len()).min(64);
        let opened = futures_util::future::join_all((0..batch).map(|_| server.subscribe(&idle_payment))).await;
        idle.extend(opened);
    }
    let open_time = started.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = server.rss();
    let per_sub = after.saturating_sub(before) / subscriptions.max(1) as u64;

    let mut latencies = Vec::with_capacity(rounds);
    for (i, key) in keys[1..=rounds].iter().enumerate() {
        let (payment, amount) = server.payment_for(key).await;
        let mut watcher = server.subscribe(&payment).await;
        let t0 = Instant::now();
        server.pay(&payment, amount, &format!("evt_bench_{i}")).await;
        expect(&mut watcher, "SUCCEEDED").await;
        latencies.push(t0.elapsed());
    }
    latencies.sort();
    println!(
        "{label}: {subscriptions} idle subscriptions opened in {:.1} s; server RSS {} MiB -> {} MiB: {} bytes ({:.1} KB) per idle subscription (target <= 20 KB)",
        open_time.as_secs_f64(),
        before / (1024 * 1024),
        after / (1024 * 1024),
        per_sub,
        per_sub as f64 / 1000.0
    );
    println!(
        "{label}: webhook POST -> subscriber sees SUCCEEDED over {rounds} payments: p50 {}, p99 {}, max {} (target p99 <= 50 ms)",
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.99)),
        ms(*latencies.last().unwrap())
    );
    drop(idle);
    let _ = server.child.kill().await;
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let subscriptions = args.first().copied().unwrap_or(10_000);
    let rounds = args.get(1).copied().unwrap_or(200);
    let bin_dir = cargo_build(&["hpc-billing", "hpcb-plugin-pay-dummy", "hpcb-plugin-usage-csv"]);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sqlite_dir = std::env::temp_dir().join(format!("hpcb-bench-db-{}", hex::encode(rand::random::<[u8; 4]>())));
        std::fs::create_dir_all(&sqlite_dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", sqlite_dir.join("bench.db").display());
        run("sqlite", &bin_dir, &url, subscriptions, rounds).await;
        let _ = std::fs::remove_dir_all(&sqlite_dir);
        if std::env::args().skip(1).any(|a| a == "sqlite") {
            return;
        }
        let admin = std::env::var("HPC_BILLING_TEST_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let Ok(conn) = Database::connect(&admin).await else {
            println!("postgres: skipped (no server at {admin})");
            return;
        };
        let name = format!("hpcb_bench_pay_{}", hex::encode(rand::random::<[u8; 4]>()));
        conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        let (prefix, _) = admin.rsplit_once('/').unwrap();
        run("postgres", &bin_dir, &format!("{prefix}/{name}"), subscriptions, rounds).await;
        let _ = conn
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
    });
}
