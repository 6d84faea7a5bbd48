//! The GraphQL schema executed in-process, without HTTP: authorization, pagination edges and
//! error codes, against real services on a fresh SQLite database per test. Fast enough to hold
//! many cases; the black-box tests in `tests/` cover the same API through the real server.

mod authorization;
mod errors;
mod pagination;
mod support;
