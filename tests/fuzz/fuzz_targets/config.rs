//! The configuration file: `Config::load` of the `hpc-billing` server on the input written to a
//! TOML file, with an empty environment, and, when it loads, every derived setting the server
//! reads at start (listen address, database URL and SQLite path, tiers, tax, payments).

#![no_main]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use hpcb_server::Config;
use libfuzzer_sys::fuzz_target;

/// The file the inputs are written to: one per fuzzing process, in the temporary directory.
fn path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| std::env::temp_dir().join(format!("hpcb-fuzz-config-{}.toml", std::process::id())))
}

fuzz_target!(|data: &[u8]| {
    let path = path();
    std::fs::write(path, data).expect("the temporary directory is writable");
    match Config::load(Some(path.as_path()), &BTreeMap::new()) {
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
