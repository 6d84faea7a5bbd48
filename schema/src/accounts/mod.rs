//! Accounts and sessions: `login`, `logout`, `me`, `users` and account management.

mod mutation;
mod query;
mod types;

pub use mutation::AccountMutation;
pub use query::AccountQuery;
