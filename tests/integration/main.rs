//! Black-box tests of the real `hpc-billing` binary: each test starts the server on a loopback
//! port against a fresh database (SQLite and PostgreSQL) and talks to it over HTTP like a
//! client would.

mod harness;

mod accounts;
mod audit;
mod authorization;
mod browser;
mod cli;
mod dependency_rules;
mod first_hour;
mod gateways;
mod graphql_http;
mod operations;
#[cfg(feature = "pam")]
mod pam;
mod payments;
mod plugins_cli;
mod receipts;
mod slurm;
mod usage;
