//! One quick connection attempt before the pool is built, so that a database that cannot be
//! reached is reported at once, in words an operator can act on (what is wrong, where, what to
//! check), instead of a pool that retries for its whole acquire timeout and ends in
//! "pool timed out".
//!
//! The pool itself keeps retrying later (a database restarting under a running server is not
//! fatal); only the start is judged here.

use sea_orm::sqlx::postgres::{PgConnectOptions, PgDatabaseError};
use sea_orm::sqlx::{ConnectOptions as _, Connection as _};
use std::path::{Path, PathBuf};
use std::str::FromStr as _;
use std::time::Duration;

/// Longest wait for the first answer of a database server: a refused connection is known in
/// milliseconds, an unreachable host is not worth more than this before saying so.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// Whether the caller may create a new, empty database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// `serve`, `demo`, `migrate`: a missing SQLite file is created (and migrated).
    CreateIfMissing,
    /// Every other command: the database must exist already.
    Existing,
}

/// Why the database cannot be used, written for the operator (one line).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unreachable(pub String);

/// Checks that the database at `url` can be opened: for SQLite that the file exists (or may be
/// created) and opens; for PostgreSQL that the server answers and accepts the role, password and
/// database within [`PROBE_TIMEOUT`].
pub async fn probe(url: &str, access: Access) -> Result<(), Unreachable> {
    if let Some(path) = sqlite_path(url) {
        return probe_sqlite(&path, access);
    }
    probe_postgres(url).await
}

/// The file of a `sqlite:` URL (`None` for other URLs and in-memory databases).
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

fn probe_sqlite(path: &Path, access: Access) -> Result<(), Unreachable> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !path.exists() {
        if access == Access::Existing {
            return Err(Unreachable(format!(
                "no database at {}: this command does not create one; start the server once \
                 (`hpc-billing serve`) or run `hpc-billing migrate`, or point server.data_dir or \
                 database.url at the existing database",
                path.display()
            )));
        }
        if !dir.is_dir() {
            return Err(Unreachable(format!(
                "cannot create the SQLite database {}: the folder {} does not exist",
                path.display(),
                dir.display()
            )));
        }
    }
    let mut options = std::fs::OpenOptions::new();
    options
        .read(true)
        .write(true)
        .create(access == Access::CreateIfMissing)
        .truncate(false);
    // A new database is readable by its owner only (SQLite gives its -wal and -shm files the
    // database's permissions).
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let opened = options.open(path);
    match opened {
        Ok(_) => Ok(()),
        Err(e) => Err(Unreachable(format!(
            "cannot open the SQLite database {}: {} (check that {} exists and this user may \
             read and write it)",
            path.display(),
            io_words(&e),
            dir.display()
        ))),
    }
}

async fn probe_postgres(url: &str) -> Result<(), Unreachable> {
    let options = PgConnectOptions::from_str(url).map_err(|e| {
        Unreachable(format!(
            "database.url is not a PostgreSQL URL this server can read ({e}); use \
             postgres://user:password@host:port/database"
        ))
    })?;
    let place = format!("{}:{}", options.get_host(), options.get_port());
    let database = options.get_database().unwrap_or("postgres").to_owned();
    let role = options.get_username().to_owned();
    let attempt = tokio::time::timeout(PROBE_TIMEOUT, options.connect()).await;
    let error = match attempt {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            return Ok(());
        }
        Ok(Err(e)) => e,
        Err(_) => {
            return Err(Unreachable(format!(
                "PostgreSQL at {place} did not answer within {} s: check the host and port in \
                 database.url and that no firewall drops the connection",
                PROBE_TIMEOUT.as_secs()
            )))
        }
    };
    let what = match &error {
        sea_orm::sqlx::Error::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => format!(
            "cannot connect to PostgreSQL at {place}: connection refused (is PostgreSQL running \
             there, on that port? check database.url)"
        ),
        sea_orm::sqlx::Error::Io(e) if is_unknown_host(e) => format!(
            "cannot connect to PostgreSQL at {place}: unknown host {:?} (check the host in \
             database.url)",
            options.get_host()
        ),
        sea_orm::sqlx::Error::Io(e) => {
            format!("cannot connect to PostgreSQL at {place}: {}", io_words(e))
        }
        sea_orm::sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            let detail = db
                .try_downcast_ref::<PgDatabaseError>()
                .map(|e| e.message().to_owned())
                .unwrap_or_else(|| db.message().to_owned());
            match code.as_str() {
                "3D000" => format!(
                    "PostgreSQL at {place} has no database {database:?} (create it with `createdb \
                     {database}`, or fix the database name in database.url)"
                ),
                "28P01" => format!(
                    "PostgreSQL at {place} refused the password of role {role:?} (check the \
                     password in database.url)"
                ),
                "28000" => format!(
                    "PostgreSQL at {place} refused role {role:?}: {detail} (check the user in \
                     database.url and pg_hba.conf)"
                ),
                _ => format!("PostgreSQL at {place} refused the connection: {detail} ({code})"),
            }
        }
        sea_orm::sqlx::Error::Tls(e) => format!("cannot connect to PostgreSQL at {place}: TLS failed: {e}"),
        other => format!("cannot connect to PostgreSQL at {place}: {other}"),
    };
    Err(Unreachable(what))
}

fn is_unknown_host(e: &std::io::Error) -> bool {
    let text = e.to_string();
    text.contains("failed to lookup address") || text.contains("Name or service not known")
}

/// An I/O error in a few words, without Rust's `(os error N)` suffix.
fn io_words(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::NotFound => "no such file or folder".to_owned(),
        _ => {
            let text = e.to_string();
            match text.find(" (os error") {
                Some(i) => text[..i].to_owned(),
                None => text,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            sqlite_path("sqlite:///var/lib/x/db.sqlite?mode=rwc"),
            Some(PathBuf::from("/var/lib/x/db.sqlite"))
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://a@b/c"), None);
    }

    #[tokio::test]
    async fn an_existing_only_open_never_creates_a_file() {
        let dir = std::env::temp_dir().join(format!("hpcb-probe-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("none.db");
        let url = format!("sqlite://{}?mode=rwc", file.display());
        let e = probe(&url, Access::Existing).await.expect_err("missing");
        assert!(e.0.starts_with(&format!("no database at {}", file.display())), "{e}");
        assert!(!file.exists());
        probe(&url, Access::CreateIfMissing).await.expect("created");
        assert!(file.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn a_closed_port_is_named_with_host_and_port() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            l.local_addr().expect("addr").port()
        };
        let started = std::time::Instant::now();
        let e = probe(&format!("postgres://u:p@127.0.0.1:{port}/db"), Access::Existing)
            .await
            .expect_err("closed");
        assert!(started.elapsed() < PROBE_TIMEOUT, "{:?}", started.elapsed());
        assert!(
            e.0.contains(&format!("127.0.0.1:{port}")) && e.0.contains("connection refused"),
            "{e}"
        );
    }
}
