//! Core services against real databases: a fresh SQLite file and a fresh PostgreSQL database
//! per test, migrated, with fake usage sources and a manual clock.

mod support;

mod ingest;
mod payments;
mod receipts;
mod rollup;
