//! `hpc-billing plugins list|check`.

use super::Failure;
use crate::cli::{exit, PluginsCommand};
use crate::config::Config;
use hpcb_plugin_host::{HostConfig, LoadPolicy, PluginRegistry};

/// Runs a `plugins` subcommand.
pub fn run(config: &Config, cmd: PluginsCommand) -> Result<(), Failure> {
    match cmd {
        PluginsCommand::List => {
            let (registry, refused) =
                crate::plugins::load_registry(config).map_err(|e| Failure::new(exit::FAILURE, format!("{e:#}")))?;
            println!("plugin directory: {}", config.plugin_dir().display());
            println!("{:<20} {:<16} {:<10} {:<6} path", "id", "kind", "version", "api");
            for p in registry.list() {
                println!(
                    "{:<20} {:<16} {:<10} {:<6} {}",
                    p.info.id,
                    p.info.kind.as_str(),
                    p.info.version,
                    p.info.api.to_string(),
                    p.path.display()
                );
            }
            for r in refused {
                println!("refused: {r}");
            }
            Ok(())
        }
        PluginsCommand::Check { file } => {
            // Judged as the server judges the files of its plugin directory, so `check`, `list`
            // and the server never disagree about one file.
            let registry = PluginRegistry::new(HostConfig::default());
            match registry.check_file(&file, &LoadPolicy::production()) {
                Ok(info) => {
                    println!(
                        "ok: {} {} ({}, plugin API {}) loads in the server",
                        info.id,
                        info.version,
                        info.kind.as_str(),
                        info.api
                    );
                    Ok(())
                }
                Err(e) => Err(Failure::new(exit::REFUSED, format!("{}: {e}", file.display()))),
            }
        }
    }
}
