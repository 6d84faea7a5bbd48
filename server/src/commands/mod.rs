//! What each subcommand does; `main` maps the outcome to an exit code.
//!
//! Only `serve`, `demo` and `migrate` create or migrate the database; every other command opens
//! the existing one, refuses a missing or outdated database, and prints only its answer.
#![expect(clippy::print_stdout, reason = "standard output is the command line's interface")]

mod audit;
mod demo;
mod ingest;
mod plugins;
mod user;

use crate::app::{describe_db, open_db, open_services, pending_migrations, Application, Purpose, StartError};
use crate::cli::{exit, Command};
use crate::config::Config;
use hpcb_core::db_probe::Access;
use hpcb_core::CoreError;
use hpcb_migration::MigratorTrait as _;

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
}

impl From<StartError> for Failure {
    fn from(e: StartError) -> Failure {
        Failure::new(e.exit_code(), e.to_string())
    }
}

/// Whether a command serves (and so logs at the configured level) or answers and exits.
pub fn serves(command: &Command) -> bool {
    matches!(command, Command::Serve | Command::Demo { .. })
}

/// Runs a subcommand to completion.
pub async fn run(command: Command, config: Config) -> Result<(), Failure> {
    match command {
        Command::Serve => {
            let app = Application::build(config).await?;
            app.run_until_stopped()
                .await
                .map_err(|e| Failure::new(exit::FAILURE, format!("{e:#}")))
        }
        Command::Migrate => {
            // What is pending, read before migrating (a missing or empty database: everything).
            let pending = match open_db(&config, Access::Existing).await {
                Ok(db) => pending_migrations(&db).await.ok(),
                Err(_) => None,
            }
            .unwrap_or(hpcb_migration::Migrator::migrations().len());
            open_db(&config, Access::CreateIfMissing).await?;
            if pending == 0 {
                println!("the {} is up to date", describe_db(&config));
            } else {
                println!("applied {pending} migration(s) to the {}", describe_db(&config));
            }
            Ok(())
        }
        Command::User(cmd) => {
            let services = open_services(&config, Purpose::Manage).await?;
            user::run(&services, cmd).await
        }
        Command::Audit(cmd) => {
            let services = open_services(&config, Purpose::Manage).await?;
            audit::run(&services, cmd).await
        }
        Command::Ingest { source, from, to } => {
            let services = open_services(&config, Purpose::Ingest).await?;
            ingest::run(&services, &source, &from, to.as_deref()).await
        }
        Command::Plugins(cmd) => plugins::run(&config, cmd),
        Command::Demo { jobs } => demo::run(config, jobs).await,
    }
}
