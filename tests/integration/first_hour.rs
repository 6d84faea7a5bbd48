//! What a new operator meets in the first hour: commands that print only their answer, one
//! data directory whatever the working directory, start errors that say what is wrong, where
//! and what to check (quickly, and before anything is touched), and a way out of a lockout.

use crate::both_backends;
use crate::harness::{binary, error_code, free_port, postgres_admin_url, postgres_available, run_cli, Backend, Server};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::Command;

/// What a command printed and how it ended.
struct Run {
    code: i32,
    out: String,
    err: String,
    took: Duration,
}

/// Runs the binary in `cwd` with only the given `HPC_BILLING_*` settings (and `HOME`).
async fn cli(cwd: &Path, env: &[(&str, &str)], args: &[&str], stdin: Option<&str>) -> Run {
    use tokio::io::AsyncWriteExt as _;
    let mut cmd = Command::new(binary());
    cmd.args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("HPC_BILLING_") || k == "XDG_DATA_HOME") {
        cmd.env_remove(k);
    }
    cmd.env("HPC_BILLING_AUTH_ARGON2_MEMORY_KIB", "512");
    cmd.envs(env.iter().copied());
    let started = Instant::now();
    let mut child = cmd.spawn().expect("spawn hpc-billing");
    if let Some(mut pipe) = child.stdin.take() {
        if let Some(text) = stdin {
            pipe.write_all(text.as_bytes()).await.expect("stdin");
        }
    }
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("the command ends")
        .expect("output");
    Run {
        code: out.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&out.stdout).into_owned(),
        err: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: started.elapsed(),
    }
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hpcb-{tag}-{}", hex::encode(rand::random::<[u8; 5]>())));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[tokio::test]
async fn one_data_directory_whatever_the_working_directory_and_quiet_commands() {
    let home = temp_dir("home");
    let elsewhere = temp_dir("cwd");
    let home_s = home.display().to_string();
    let env = [("HOME", home_s.as_str())];
    let db = home.join(".local/share/hpc-billing/hpc-billing.db");

    // A read-only command creates nothing: it says where it looked and what to do.
    let r = cli(&home, &env, &["user", "list"], None).await;
    assert_eq!(r.code, 4, "{}{}", r.out, r.err);
    assert_eq!(
        r.err.trim(),
        format!(
            "hpc-billing: no database at {}: this command does not create one; start the server once \
             (`hpc-billing serve`) or run `hpc-billing migrate`, or point server.data_dir or \
             database.url at the existing database",
            db.display()
        )
    );
    assert!(!db.exists(), "a read-only command created a database");

    let r = cli(&home, &env, &["migrate"], None).await;
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.out.starts_with("applied ") && r.out.contains(&db.display().to_string()),
        "{}",
        r.out
    );
    assert_eq!(r.err, "", "migrate prints its answer only");
    let r = cli(&elsewhere, &env, &["migrate"], None).await;
    assert_eq!(
        r.out.trim(),
        format!("the SQLite database {} is up to date", db.display())
    );

    // From another folder, the same database.
    let r = cli(
        &elsewhere,
        &env,
        &["user", "add", "alice-with-a-long-name", "--role", "finance"],
        Some("alice-password-1\n"),
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.err);
    let r = cli(&home, &env, &["user", "add", "bob"], Some("bob-password-1\n")).await;
    assert_eq!(r.code, 0, "{}", r.err);
    let r = cli(&home, &env, &["user", "list"], None).await;
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(r.err, "", "no log lines, no migration chatter");
    assert!(!r.out.contains('\u{1b}'), "no colour codes in a pipe: {:?}", r.out);
    let lines: Vec<&str> = r.out.lines().collect();
    assert_eq!(lines.len(), 3, "{}", r.out);
    let column = |line: &str, word: &str| line.find(word).expect("word in line");
    assert_eq!(column(lines[0], "role"), column(lines[1], "finance"), "{}", r.out);
    assert_eq!(column(lines[1], "finance"), column(lines[2], "user"), "{}", r.out);
    assert_eq!(column(lines[0], "status"), column(lines[2], "active"), "{}", r.out);

    // Data directory and database are private to the account that runs the server.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(db.parent().expect("dir")), 0o700);
        assert_eq!(mode(&db), 0o600);
    }
    let _ = std::fs::remove_dir_all(&home);
    let _ = std::fs::remove_dir_all(&elsewhere);
}

#[tokio::test]
async fn a_busy_port_is_named_and_nothing_is_created() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let data = temp_dir("busy").join("data");
    let data_s = data.display().to_string();
    let r = cli(
        Path::new("/"),
        &[
            ("HPC_BILLING_LISTEN", addr.as_str()),
            ("HPC_BILLING_SERVER_DATA_DIR", data_s.as_str()),
            ("HPC_BILLING_ADMIN_PASSWORD", "admin-password-1"),
        ],
        &["serve"],
        None,
    )
    .await;
    assert_eq!(r.code, 7, "{}", r.err);
    assert!(
        r.err
            .contains(&format!("cannot listen on {addr}: the address is in use")),
        "{}",
        r.err
    );
    assert!(
        !data.exists(),
        "the data directory was created before the port was checked"
    );
}

#[tokio::test]
async fn database_problems_say_what_and_where_within_three_seconds() {
    let dir = temp_dir("dberr");
    let dir_s = dir.display().to_string();
    let base = [("HPC_BILLING_SERVER_DATA_DIR", dir_s.as_str())];

    // A closed PostgreSQL port: refused at once, host and port named.
    let port = free_port();
    let url = format!("postgres://hpcb:secret-password@127.0.0.1:{port}/billing");
    let r = cli(
        &dir,
        &[base[0], ("HPC_BILLING_DATABASE_URL", &url)],
        &["user", "list"],
        None,
    )
    .await;
    assert_eq!(r.code, 4, "{}", r.err);
    assert!(r.took < Duration::from_secs(3), "took {:?}", r.took);
    assert!(
        r.err.contains(&format!(
            "cannot connect to PostgreSQL at 127.0.0.1:{port}: connection refused"
        )),
        "{}",
        r.err
    );
    assert!(
        !r.err.contains("secret-password") && !r.err.contains("internal error"),
        "{}",
        r.err
    );

    // An SQLite file in a folder that does not exist: the path is named.
    let url = "sqlite:///nonexistent-hpcb-folder/billing.db?mode=rwc";
    let r = cli(&dir, &[base[0], ("HPC_BILLING_DATABASE_URL", url)], &["migrate"], None).await;
    assert_eq!(r.code, 4, "{}", r.err);
    assert!(
        r.err.contains("cannot create the SQLite database /nonexistent-hpcb-folder/billing.db: the folder /nonexistent-hpcb-folder does not exist"),
        "{}",
        r.err
    );

    // A data directory that cannot be made (its parent is a file).
    let file = dir.join("a-file");
    std::fs::write(&file, "x").expect("write");
    let under = file.join("data").display().to_string();
    let r = cli(&dir, &[("HPC_BILLING_SERVER_DATA_DIR", &under)], &["migrate"], None).await;
    assert_eq!(r.code, 4, "{}", r.err);
    assert!(
        r.err.contains(&format!("cannot create the data directory {under}")),
        "{}",
        r.err
    );

    // A configuration file with a syntax error: line and column.
    let config = dir.join("broken.toml");
    std::fs::write(&config, "[server]\nlisten = 127.0.0.1:8080\n").expect("write");
    let config_s = config.display().to_string();
    let r = cli(&dir, &[base[0]], &["--config", &config_s, "user", "list"], None).await;
    assert_eq!(r.code, 3, "{}", r.err);
    assert!(
        r.err.contains(&format!("config file {config_s}, line 2, column ")),
        "{}",
        r.err
    );
    assert_eq!(r.err.trim().lines().count(), 1, "{}", r.err);

    if postgres_available().await {
        let admin = postgres_admin_url();
        let (prefix, _) = admin.rsplit_once('/').expect("a database path");
        let missing = format!("{prefix}/hpcb_no_such_database");
        let r = cli(
            &dir,
            &[base[0], ("HPC_BILLING_DATABASE_URL", &missing)],
            &["user", "list"],
            None,
        )
        .await;
        assert_eq!(r.code, 4, "{}", r.err);
        assert!(r.err.contains("has no database \"hpcb_no_such_database\""), "{}", r.err);
        let after_scheme = prefix.split_once("://").map_or(prefix, |(_, rest)| rest);
        let host = after_scheme.rsplit_once('@').map_or(after_scheme, |(_, h)| h);
        let wrong_role = format!("postgres://hpcb_no_such_role@{host}/postgres");
        let r = cli(
            &dir,
            &[base[0], ("HPC_BILLING_DATABASE_URL", &wrong_role)],
            &["user", "list"],
            None,
        )
        .await;
        assert_eq!(r.code, 4, "{}", r.err);
        assert!(r.err.contains("hpcb_no_such_role"), "{}", r.err);
        assert!(!r.err.contains("internal error"), "{}", r.err);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

async fn a_locked_login_is_lifted_by_the_cli_and_by_an_admin(backend: Backend) {
    let s = Server::start(backend).await;
    let admin = s.admin().await;
    let r = admin
        .gql(
            "mutation { createUser(username: \"carol\", password: \"carol-password-1\") { username } }",
            json!({}),
        )
        .await;
    assert_eq!(r["data"]["createUser"]["username"], "carol", "{r}");
    let lock = || async {
        for _ in 0..5 {
            s.client()
                .gql(
                    "mutation { login(username: \"carol\", password: \"wrong-password\") { token } }",
                    json!({}),
                )
                .await;
        }
        let r = s
            .client()
            .gql(
                "mutation { login(username: \"carol\", password: \"carol-password-1\") { token } }",
                json!({}),
            )
            .await;
        assert_eq!(error_code(&r).as_deref(), Some("RATE_LIMITED"), "{r}");
    };
    lock().await;
    let (code, out, err) = run_cli(s.env(), &["user", "unlock", "carol"], None).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "carol is unlocked (1 lock lifted)");
    s.login("carol", "carol-password-1").await;

    lock().await;
    let r = admin
        .gql("mutation { unlockUser(username: \"carol\") }", json!({}))
        .await;
    assert_eq!(r["data"]["unlockUser"], 1, "{r}");
    s.login("carol", "carol-password-1").await;
    let (code, out, _) = run_cli(s.env(), &["user", "unlock", "carol"], None).await;
    assert_eq!(code, 0);
    assert_eq!(out.trim(), "carol was not locked; its failure counts are cleared");

    let log = admin
        .gql(
            "{ auditLog(first: 10, filter: {action: \"user.unlock\"}) { edges { node { actor target } } } }",
            json!({}),
        )
        .await;
    let actors: Vec<&str> = log["data"]["auditLog"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter_map(|e| e["node"]["actor"].as_str())
        .collect();
    assert_eq!(actors, ["cli", "admin", "cli"], "{log}");
}
both_backends!(a_locked_login_is_lifted_by_the_cli_and_by_an_admin);
