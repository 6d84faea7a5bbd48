//! A PostgreSQL cluster of a test's own (`initdb` in a temporary folder, its own port), for
//! tests that stop, kill or break the database on purpose: never the machine's shared server,
//! which other tests use at the same time.

use std::path::PathBuf;
use std::process::Command;

/// A private cluster; stopped and removed when dropped.
pub struct PrivatePg {
    dir: PathBuf,
    bin: PathBuf,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

/// The folder of PostgreSQL's server programs, newest version first.
fn server_bin() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists() && p.join("pg_ctl").exists())
        .collect();
    versions.sort();
    versions.pop()
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| {
        use std::os::unix::fs::MetadataExt as _;
        m.uid() == 0
    })
}

impl PrivatePg {
    /// Creates and starts a cluster with database `billing`, or `None` (test skipped) when the
    /// server programs are not installed.
    pub fn start() -> Option<PrivatePg> {
        let Some(bin) = server_bin() else {
            crate::harness::skip(
                "postgresql",
                "PostgreSQL's server programs (initdb, pg_ctl) are not installed: apt-get install postgresql",
            );
            return None;
        };
        let dir = std::env::temp_dir().join(format!("hpcb-pg-{}", hex::encode(rand::random::<[u8; 5]>())));
        std::fs::create_dir_all(&dir).expect("cluster dir");
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            l.local_addr().expect("addr").port()
        };
        let pg = PrivatePg { dir, bin, port };
        if is_root() {
            // PostgreSQL refuses to run as root: the cluster belongs to `postgres`.
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&pg.dir)
                .status()
                .expect("chown");
            assert!(status.success());
        }
        pg.run(
            "initdb",
            &["-D", &pg.data(), "--auth=trust", "-U", "postgres", "--no-sync"],
        );
        pg.ctl_start();
        pg.run(
            "createdb",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &pg.port.to_string(),
                "-U",
                "postgres",
                "billing",
            ],
        );
        Some(pg)
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    fn run(&self, program: &str, args: &[&str]) {
        let path = self.bin.join(program);
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        let out = cmd
            .args(args)
            .current_dir(&self.dir)
            .output()
            .expect("run a PostgreSQL program");
        assert!(
            out.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The URL of its `billing` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/billing", self.port)
    }

    /// Starts (or starts again) the server and waits until it accepts connections.
    pub fn ctl_start(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("log").display().to_string();
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-o", &options, "-l", &log, "-w", "start"],
        );
    }

    /// Stops the server at once, as a crash or an operator would (`immediate`).
    pub fn ctl_stop(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "immediate", "-w", "stop"]);
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        let data = self.data();
        let path = self.bin.join("pg_ctl");
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        let _ = cmd.args(["-D", &data, "-m", "immediate", "stop"]).output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
