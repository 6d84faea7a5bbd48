//! What each subcommand does; `main` maps the outcome to an exit code.
#![expect(clippy::print_stdout, reason = "standard output is the command line's interface")]

mod audit;
mod demo;
mod ingest;
mod plugins;
mod user;

use crate::app::{open_db, open_services, Application};
use crate::cli::{exit, Command};
use crate::config::Config;
use hpcb_core::CoreError;

/// A failure with the exit code it should produce.
#[derive(Debug)]
pub struct Failure {
    /// Process exit code (see [`crate::cli::exit`]).
    pub code: i32,
    /// What to print.
    pub message: String,
}

impl Failure {
    /// Builds a failure.
    pub fn new(code: i32, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }

    /// Maps a core refusal to its exit code.
    pub fn core(e: CoreError) -> Failure {
        let code = match &e {
            CoreError::Validation { .. } | CoreError::NotFound(_) | CoreError::Conflict(_) => exit::REFUSED,
            _ => exit::FAILURE,
        };
        Failure::new(code, e.to_string())
    }

    fn database(e: anyhow::Error) -> Failure {
        Failure::new(exit::DATABASE, format!("{e:#}"))
    }
}

/// Runs a subcommand to completion.
pub async fn run(command: Command, config: Config) -> Result<(), Failure> {
    match command {
        Command::Serve => {
            let app = Application::build(config).await.map_err(Failure::database)?;
            app.run_until_stopped()
                .await
                .map_err(|e| Failure::new(exit::FAILURE, format!("{e:#}")))
        }
        Command::Migrate => {
            open_db(&config).await.map_err(Failure::database)?;
            println!("database is up to date");
            Ok(())
        }
        Command::User(cmd) => {
            let services = open_services(&config).await.map_err(Failure::database)?;
            user::run(&services, cmd).await
        }
        Command::Audit(cmd) => {
            let services = open_services(&config).await.map_err(Failure::database)?;
            audit::run(&services, cmd).await
        }
        Command::Ingest { source, from, to } => {
            let services = open_services(&config).await.map_err(Failure::database)?;
            ingest::run(&services, &source, &from, to.as_deref()).await
        }
        Command::Plugins(cmd) => plugins::run(&config, cmd),
        Command::Demo { jobs } => demo::run(config, jobs).await,
    }
}
