//! The command line: `serve`, `migrate`, `user …`, `audit verify`, `ingest`, `plugins …`, `demo`.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Exit codes, stable for scripts.
pub mod exit {
    /// Success.
    pub const OK: i32 = 0;
    /// Anything not covered below.
    pub const FAILURE: i32 = 1;
    /// Wrong command-line usage (clap's own code).
    pub const USAGE: i32 = 2;
    /// The configuration is invalid.
    pub const CONFIG: i32 = 3;
    /// The database cannot be reached or migrated.
    pub const DATABASE: i32 = 4;
    /// `audit verify` found a broken chain.
    pub const AUDIT_BROKEN: i32 = 5;
    /// The request was refused: not found, conflict or invalid input.
    pub const REFUSED: i32 = 6;
    /// The server cannot listen on its address (in use, not permitted, not on this machine).
    pub const LISTEN: i32 = 7;
}

/// hpc-billing: Slurm usage to receipts and payments.
#[derive(Debug, Parser)]
#[command(name = "hpc-billing", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file (TOML); also `HPC_BILLING_CONFIG`.
    #[arg(long, global = true, env = "HPC_BILLING_CONFIG")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (creating and migrating the database first).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Work with the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Read a window of usage from a configured source now.
    Ingest {
        /// Source name from `[[sources]]`.
        #[arg(long)]
        source: String,
        /// Window start: RFC 3339 time or `YYYY-MM-DD` (UTC).
        #[arg(long)]
        from: String,
        /// Window end (exclusive): RFC 3339 time or `YYYY-MM-DD` (UTC); default now.
        #[arg(long)]
        to: Option<String>,
    },
    /// Inspect plugins.
    #[command(subcommand)]
    Plugins(PluginsCommand),
    /// Run the server with a generated, realistic demo data set ingested through the CSV plugin.
    Demo {
        /// Jobs to generate.
        #[arg(long, default_value_t = 5000)]
        jobs: usize,
    },
}

/// `plugins` subcommands.
#[derive(Debug, Subcommand)]
pub enum PluginsCommand {
    /// List the plugins the configured directory provides, and the files refused with why.
    List,
    /// Check one file and say in one line whether, and why not, it loads.
    Check {
        /// Path of the `.so` file.
        file: PathBuf,
    },
}

/// A role on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    /// Everything.
    Admin,
    /// Money.
    Finance,
    /// Own data.
    User,
}

/// `user` subcommands. Passwords are read from standard input (asked twice, without echo, on a
/// terminal), never from arguments, so they do not show up in process lists or shell history.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a local account; the password is read from standard input.
    Add {
        /// Login name.
        username: String,
        /// Role.
        #[arg(long, value_enum, default_value = "user")]
        role: RoleArg,
    },
    /// List accounts.
    List,
    /// Change an account's role.
    SetRole {
        /// Login name.
        username: String,
        /// New role.
        #[arg(value_enum)]
        role: RoleArg,
    },
    /// Disable an account and end its sessions.
    Disable {
        /// Login name.
        username: String,
    },
    /// Re-enable a disabled account (a login lock is separate: see `unlock`).
    Enable {
        /// Login name.
        username: String,
    },
    /// Lift the login locks of a name (from every address) and clear its failure counts.
    Unlock {
        /// Login name.
        username: String,
    },
    /// Set an account's password (read from standard input); its sessions end.
    Passwd {
        /// Login name.
        username: String,
    },
}

/// `audit` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every entry of the hash chain; exit 5 and name the first broken entry if any.
    Verify,
}
