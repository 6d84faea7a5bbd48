//! The configuration file: `Config::load` of the `hpc-billing` server on the input written to a
//! TOML file, with an empty environment, and, when it loads, every derived setting the server
//! reads at start (listen address, database URL and SQLite path, tiers, tax, payments).

#![no_main]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use hpcb_server::Config;
use libfuzzer_sys::fuzz_target;

/// The file the inputs are written to: one per fuzzing process, in memory (`/dev/shm`) where
/// there is such a file system, else in the temporary directory. (Rewriting a file on ext4
/// writes it to the disk at every close: fifty times fewer executions per second.)
fn path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let shm = PathBuf::from("/dev/shm");
        let dir = if shm.is_dir() { shm } else { std::env::temp_dir() };
        dir.join(format!("hpcb-fuzz-config-{}.toml", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let path = path();
    std::fs::write(path, data).expect("the temporary directory is writable");
    let loaded = Config::load(Some(path.as_path()), &BTreeMap::new());
    // nothing is left behind when the fuzzer stops
    let _ = std::fs::remove_file(path);
    match loaded {
        Ok(config) => {
            config.listen_addr().expect("a loaded configuration has a valid listen address");
            config.tax().expect("a loaded configuration has a valid tax rate");
            let url = config.database_url();
            assert!(url.starts_with("sqlite:") || url.starts_with("postgres"), "{url}");
            let _ = (config.sqlite_path(), config.data_dir(), config.is_sqlite());
            let _ = (config.tier_rules(), config.payment_settings());
        }
        Err(err) => {
            let message = format!("{err:#}");
            assert!(!message.is_empty());
        }
    }
});
