//! Who is asking and from where: carried into every audited operation.

/// Facts about the request that caused an operation, recorded in audit entries and logs.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    /// Client address (after trusted-proxy handling by the server).
    pub ip: Option<String>,
    /// Client user agent, truncated.
    pub user_agent: Option<String>,
    /// Request id, also on every log line of the request.
    pub request_id: Option<String>,
}

impl RequestMeta {
    /// Metadata for actions started from the command line.
    pub fn cli() -> RequestMeta {
        RequestMeta {
            ip: None,
            user_agent: Some("hpc-billing cli".into()),
            request_id: None,
        }
    }

    /// The client address, or `unknown` for throttling keys when none is known.
    pub fn ip_or_unknown(&self) -> &str {
        self.ip.as_deref().unwrap_or("unknown")
    }
}

use crate::auth::{Principal, Role};
use crate::error::CoreResult;

/// Who performs an operation: a logged-in user, or the system itself (the command line run by
/// the operator, first-start bootstrap, scheduled jobs), which has local authority.
#[derive(Clone, Copy, Debug)]
pub enum Actor<'a> {
    /// A logged-in user.
    User(&'a Principal),
    /// The operator or the server itself; the name is recorded in the audit log.
    System(&'static str),
}

impl Actor<'_> {
    /// Name recorded as the audit actor.
    pub fn name(&self) -> &str {
        match self {
            Actor::User(p) => &p.username,
            Actor::System(n) => n,
        }
    }

    /// Refuses users without one of `roles`, and cookie sessions without the CSRF token (every
    /// caller of this is a state change). The system is always allowed.
    pub fn require(&self, roles: &[Role]) -> CoreResult<()> {
        match self {
            Actor::User(p) => {
                p.require(roles)?;
                p.require_csrf()
            }
            Actor::System(_) => Ok(()),
        }
    }
}
