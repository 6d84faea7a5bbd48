//! Accounts, passwords, sessions, tokens and login throttling.

mod external;
mod password;
mod principal;
mod service;
mod settings;
mod throttle;
mod throttle_store;
mod token;

pub use external::ExternalAuthenticator;
pub use password::PasswordHasher;
pub use principal::{AuthVia, Principal, Role};
pub(crate) use service::{revoke_all, revoke_except};
pub use service::{AuthService, LoginOutcome};
pub use settings::{Argon2Settings, AuthSettings, ThrottleSettings};
pub use throttle_store::Throttle;
pub use token::{Claims, TokenIssuer};
