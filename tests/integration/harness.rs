//! Test harness: builds the binary once, provides fresh databases, spawns servers, and a small
//! GraphQL client.

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// The admin password every test server is started with.
pub const ADMIN_PASSWORD: &str = "admin-password-1";

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A freshly created PostgreSQL database.
    Postgres,
}

/// Runs an async test body once per backend. The PostgreSQL run is skipped (loudly) only when no
/// server is reachable and `CI` is not set.
#[macro_export]
macro_rules! both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                super::$name($crate::harness::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                if $crate::harness::postgres_available().await {
                    super::$name($crate::harness::Backend::Postgres).await;
                }
            }
        }
    };
}

pub(crate) use hpcb_tests::skip;

/// The PostgreSQL server used for test databases.
pub fn postgres_admin_url() -> String {
    std::env::var("HPC_BILLING_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Whether PostgreSQL tests can run; fails the test in CI when they cannot.
pub async fn postgres_available() -> bool {
    static CHECK: tokio::sync::OnceCell<Result<(), String>> = tokio::sync::OnceCell::const_new();
    let r = CHECK
        .get_or_init(|| async {
            let conn = Database::connect(postgres_admin_url())
                .await
                .map_err(|e| e.to_string())?;
            // Leftovers of earlier, interrupted runs.
            let rows = conn
                .query_all(sea_orm::Statement::from_string(
                    sea_orm::DatabaseBackend::Postgres,
                    "SELECT datname FROM pg_database WHERE datname LIKE 'hpcb_t_%'",
                ))
                .await
                .map_err(|e| e.to_string())?;
            for row in rows {
                if let Ok(name) = row.try_get::<String>("", "datname") {
                    let _ = conn
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                }
            }
            Ok(())
        })
        .await;
    match r {
        Ok(()) => true,
        Err(e) => {
            skip(
                "postgresql",
                &format!(
                    "no server at {} ({e}); start PostgreSQL or set HPC_BILLING_TEST_PG_URL",
                    postgres_admin_url()
                ),
            );
            false
        }
    }
}

/// A fresh database, removed again when dropped.
pub struct TestDb {
    /// URL the server is given.
    pub url: String,
    pg_name: Option<String>,
    /// Holds the SQLite file and key files.
    pub dir: PathBuf,
}

fn random_suffix() -> String {
    hex::encode(rand::random::<[u8; 6]>())
}

impl TestDb {
    /// Creates a fresh, empty database.
    pub async fn new(backend: Backend) -> TestDb {
        let dir = std::env::temp_dir().join(format!("hpcb-test-{}", random_suffix()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        match backend {
            Backend::Sqlite => TestDb {
                url: format!("sqlite://{}?mode=rwc", dir.join("test.db").display()),
                pg_name: None,
                dir,
            },
            Backend::Postgres => {
                let name = format!("hpcb_t_{}", random_suffix());
                let admin = Database::connect(postgres_admin_url())
                    .await
                    .expect("connect to PostgreSQL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                let base = postgres_admin_url();
                let url = match base.rsplit_once('/') {
                    Some((prefix, _)) => format!("{prefix}/{name}"),
                    None => panic!("HPC_BILLING_TEST_PG_URL needs a database path"),
                };
                TestDb {
                    url,
                    pg_name: Some(name),
                    dir,
                }
            }
        }
    }

    /// A database somewhere else (a private PostgreSQL of a test), not dropped by this value.
    pub fn external(url: &str) -> TestDb {
        let dir = std::env::temp_dir().join(format!("hpcb-test-{}", random_suffix()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TestDb {
            url: url.to_owned(),
            pg_name: None,
            dir,
        }
    }

    /// A direct connection, for inspecting and tampering with rows.
    pub async fn connect(&self) -> DatabaseConnection {
        Database::connect(&self.url)
            .await
            .expect("connect to the test database")
    }

    /// Removes the PostgreSQL database (the SQLite file goes with the temp dir).
    pub async fn drop_database(&self) {
        if let Some(name) = &self.pg_name {
            if let Ok(admin) = Database::connect(postgres_admin_url()).await {
                let _ = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(name) = self.pg_name.take() {
            // Dropping needs async; do it on a thread of its own so Drop works in any context.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
                if let Ok(rt) = rt {
                    rt.block_on(async {
                        if let Ok(admin) = Database::connect(postgres_admin_url()).await {
                            let _ = admin
                                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .await;
                        }
                    });
                }
            })
            .join();
        }
    }
}

/// Path of the server binary, built once per test run (with the `pam` feature when the tests
/// are).
pub fn binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    static LOCK: Mutex<()> = Mutex::new(());
    BIN.get_or_init(|| {
        let _g = LOCK.lock().unwrap_or_else(|p| p.into_inner());
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = std::process::Command::new(cargo);
        cmd.args(["build", "-q", "-p", "hpc-billing", "--bin", "hpc-billing"]);
        if cfg!(feature = "pam") {
            cmd.args(["--features", "pam"]);
        }
        let status = cmd.status().expect("run cargo build");
        assert!(status.success(), "building hpc-billing failed");
        // tests run from target/<profile>/deps/integration-…; the binary sits in target/<profile>.
        let exe = std::env::current_exe().expect("test executable path");
        let profile_dir = exe.parent().and_then(Path::parent).expect("target profile dir");
        let bin = profile_dir.join("hpc-billing");
        assert!(bin.exists(), "no binary at {}", bin.display());
        bin
    })
    .clone()
}

/// A running server.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The database it uses (shared with its replicas).
    pub db: std::sync::Arc<TestDb>,
    child: Option<Child>,
    env: Vec<(String, String)>,
}

pub(crate) fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("local addr").port()
}

/// Environment every test server gets: fast password hashing, quiet logs, the admin account.
pub fn base_env(db: &TestDb, port: u16) -> Vec<(String, String)> {
    vec![
        ("HPC_BILLING_DATABASE_URL".into(), db.url.clone()),
        ("HPC_BILLING_LISTEN".into(), format!("127.0.0.1:{port}")),
        (
            "HPC_BILLING_SERVER_DATA_DIR".into(),
            db.dir.join("data").display().to_string(),
        ),
        ("HPC_BILLING_ADMIN_PASSWORD".into(), ADMIN_PASSWORD.into()),
        ("HPC_BILLING_AUTH_ARGON2_MEMORY_KIB".into(), "512".into()),
        ("HPC_BILLING_AUTH_ARGON2_ITERATIONS".into(), "1".into()),
        ("HPC_BILLING_SERVER_SHUTDOWN_GRACE_SECS".into(), "2".into()),
        ("HPC_BILLING_LOG_LEVEL".into(), "warn".into()),
        ("HPC_BILLING_DATABASE_MAX_CONNECTIONS".into(), "20".into()),
    ]
}

impl Server {
    /// Starts a server on a fresh database with extra environment settings.
    pub async fn start_with(backend: Backend, extra: &[(&str, &str)]) -> Server {
        let db = TestDb::new(backend).await;
        Server::start_on(db, extra).await
    }

    /// Starts a server with default settings.
    pub async fn start(backend: Backend) -> Server {
        Server::start_with(backend, &[]).await
    }

    /// Starts a server on an existing database.
    pub async fn start_on(db: TestDb, extra: &[(&str, &str)]) -> Server {
        let port = free_port();
        let mut env = base_env(&db, port);
        for (k, v) in extra {
            env.retain(|(ek, _)| ek != k);
            env.push((k.to_string(), v.to_string()));
        }
        Server::spawn(std::sync::Arc::new(db), env, port).await
    }

    /// Starts a second server process on the same database and configuration, on its own port:
    /// a replica behind a load balancer.
    pub async fn replica(&self) -> Server {
        let port = free_port();
        let mut env = self.env.clone();
        env.retain(|(k, _)| k != "HPC_BILLING_LISTEN");
        env.push(("HPC_BILLING_LISTEN".into(), format!("127.0.0.1:{port}")));
        Server::spawn(self.db.clone(), env, port).await
    }

    async fn spawn(db: std::sync::Arc<TestDb>, env: Vec<(String, String)>, port: u16) -> Server {
        let mut cmd = Command::new(binary());
        cmd.arg("serve")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        for (k, _) in
            std::env::vars().filter(|(k, _)| k.starts_with("HPC_BILLING_") && !k.starts_with("HPC_BILLING_TEST_"))
        {
            cmd.env_remove(k);
        }
        cmd.envs(env.iter().cloned());
        let child = cmd.spawn().expect("spawn hpc-billing");
        let server = Server {
            base: format!("http://127.0.0.1:{port}"),
            db,
            child: Some(child),
            env,
        };
        server.wait_healthy().await;
        server
    }

    async fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let http = reqwest::Client::new();
        while Instant::now() < deadline {
            if let Ok(r) = http.get(format!("{}/healthz", self.base)).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("server at {} did not become healthy", self.base);
    }

    /// The server's process id, to read its memory from `/proc`.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    /// The environment the server was started with (for CLI runs against the same database).
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// An anonymous client.
    pub fn client(&self) -> Client {
        Client {
            http: reqwest::Client::new(),
            url: format!("{}/graphql", self.base),
            token: None,
            headers: Vec::new(),
        }
    }

    /// A client signed in as `username`.
    pub async fn login(&self, username: &str, password: &str) -> Client {
        let mut c = self.client();
        let r = c
            .gql(
                "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }",
                json!({"u": username, "p": password}),
            )
            .await;
        let token = r["data"]["login"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("login as {username} failed: {r}"));
        c.token = Some(token.to_owned());
        c
    }

    /// A client signed in as the admin.
    pub async fn admin(&self) -> Client {
        self.login("admin", ADMIN_PASSWORD).await
    }

    /// Creates an account as admin and returns a client signed in as it.
    pub async fn user_with_role(&self, admin: &Client, username: &str, role: &str) -> Client {
        let r = admin
            .gql(
                "mutation($u: String!, $p: String!, $r: Role!) { createUser(username: $u, password: $p, role: $r) { username } }",
                json!({"u": username, "p": password_of(username), "r": role}),
            )
            .await;
        assert!(r["errors"].is_null(), "createUser {username}: {r}");
        self.login(username, &password_of(username)).await
    }

    /// Kills the process with SIGKILL (no chance to finish anything) and waits for it.
    pub async fn kill_now(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.start_kill();
            let _ = tokio::time::timeout(Duration::from_secs(30), child.wait()).await;
        }
    }

    /// Sends SIGTERM and waits for the exit status.
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("server running");
        let pid = child.id().expect("pid");
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
        tokio::time::timeout(Duration::from_secs(30), child.wait())
            .await
            .expect("server stops within 30 s")
            .expect("exit status")
    }
}

/// The password tests give an account.
pub fn password_of(username: &str) -> String {
    format!("pw-{username}-123456")
}

/// A GraphQL-over-HTTP client.
#[derive(Clone)]
pub struct Client {
    /// The HTTP client.
    pub http: reqwest::Client,
    /// The `/graphql` URL.
    pub url: String,
    /// Bearer token, if signed in.
    pub token: Option<String>,
    /// Extra headers for every request.
    pub headers: Vec<(String, String)>,
}

impl Client {
    /// Posts a query and returns the JSON body (whatever the status).
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        let mut req = self
            .http
            .post(&self.url)
            .json(&json!({"query": query, "variables": variables}));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        let resp = req.send().await.expect("send GraphQL request");
        resp.json().await.expect("JSON response")
    }
}

/// The `extensions.code` of the first error, if any.
pub fn error_code(v: &Value) -> Option<String> {
    v["errors"][0]["extensions"]["code"].as_str().map(str::to_owned)
}

/// Runs the CLI against a server's database and configuration.
pub async fn run_cli(env: &[(String, String)], args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    use tokio::io::AsyncWriteExt;
    let mut cmd = Command::new(binary());
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("HPC_BILLING_") && !k.starts_with("HPC_BILLING_TEST_"))
    {
        cmd.env_remove(k);
    }
    cmd.envs(env.iter().filter(|(k, _)| k != "HPC_BILLING_LISTEN").cloned());
    let mut child = cmd.spawn().expect("spawn cli");
    if let Some(mut pipe) = child.stdin.take() {
        if let Some(s) = stdin {
            pipe.write_all(s.as_bytes()).await.expect("write stdin");
        }
        drop(pipe);
    }
    let out = child.wait_with_output().await.expect("cli output");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
