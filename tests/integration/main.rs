//! Black-box tests of the real `hpc-billing` binary: each test starts the server on a loopback
//! port against a fresh database (SQLite and PostgreSQL) and talks to it over HTTP like a
//! client would.

mod harness;

mod accounts;
mod audit;
mod authorization;
mod authz_matrix;
mod browser;
mod cli;
mod crash;
mod dashboard;
mod dashboard_api;
mod db_outage;
mod dependency_rules;
mod docs_paths;
mod first_hour;
mod gateways;
mod graphql_http;
mod hardening_http;
mod hardening_ws;
mod operations;
#[cfg(feature = "pam")]
mod pam;
mod payments;
mod plugins_cli;
mod private_pg;
mod receipts;
mod schema_fuzz;
mod slurm;
mod ui_catalogs;
mod usage;
