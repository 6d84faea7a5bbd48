//! The `hpc-billing` binary: parses the command line and configuration, starts logging, and
//! hands over to the library.

use clap::Parser;
use hpcb_server::cli::{exit, Cli};
use hpcb_server::{commands, telemetry, Config};

fn main() {
    let cli = Cli::parse();
    let env: std::collections::BTreeMap<String, String> = std::env::vars().collect();
    let config = match Config::load(cli.config.as_deref(), &env) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("hpc-billing: {e:#}");
            std::process::exit(exit::CONFIG);
        }
    };
    telemetry::init(&config.log, commands::serves(&cli.command));
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("hpc-billing: cannot start the async runtime: {e}");
            std::process::exit(exit::FAILURE);
        }
    };
    let code = match runtime.block_on(commands::run(cli.command, config)) {
        Ok(()) => exit::OK,
        Err(f) => {
            eprintln!("hpc-billing: {}", f.message);
            f.code
        }
    };
    std::process::exit(code);
}
