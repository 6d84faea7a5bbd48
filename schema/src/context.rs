//! What resolvers take from the context: the services, the caller, the request metadata and
//! the cookie policy.

use crate::error::ApiError;
use async_graphql::Context;
use hpcb_core::auth::Principal;
use hpcb_core::context::RequestMeta;
use hpcb_core::{CoreError, Services};

/// The caller of one request, attached by the server: `None` when anonymous.
#[derive(Clone, Debug, Default)]
pub struct Caller(pub Option<Principal>);

/// How session cookies are written; set once from configuration.
#[derive(Clone, Debug)]
pub struct CookiePolicy {
    /// Add `Secure` (HTTPS deployments).
    pub secure: bool,
}

/// Names of the cookies, shared with the server that reads them.
pub struct SessionCookies;

impl SessionCookies {
    /// HttpOnly cookie holding the session token.
    pub const SESSION: &'static str = "hpcb_session";
    /// Readable cookie holding the CSRF token, echoed in `X-CSRF-Token`.
    pub const CSRF: &'static str = "hpcb_csrf";
    /// Header that must carry the CSRF token on cookie-authenticated mutations.
    pub const CSRF_HEADER: &'static str = "x-csrf-token";

    /// `Set-Cookie` values for a new session.
    pub fn set(policy: &CookiePolicy, token: &str, csrf: &str, max_age_secs: i64) -> [String; 2] {
        let secure = if policy.secure { "; Secure" } else { "" };
        [
            format!(
                "{}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}",
                Self::SESSION
            ),
            format!(
                "{}={csrf}; Path=/; SameSite=Strict; Max-Age={max_age_secs}{secure}",
                Self::CSRF
            ),
        ]
    }

    /// `Set-Cookie` values that remove both cookies.
    pub fn clear(policy: &CookiePolicy) -> [String; 2] {
        Self::set(policy, "", "", 0)
    }
}

pub(crate) fn services<'a>(ctx: &'a Context<'_>) -> Result<&'a Services, ApiError> {
    Ok(ctx.data::<Services>()?)
}

/// The caller, or `UNAUTHENTICATED`.
pub(crate) fn principal<'a>(ctx: &'a Context<'_>) -> Result<&'a Principal, ApiError> {
    ctx.data_opt::<Caller>()
        .and_then(|c| c.0.as_ref())
        .ok_or_else(|| CoreError::Unauthenticated("sign in first".into()).into())
}

pub(crate) fn meta(ctx: &Context<'_>) -> RequestMeta {
    ctx.data_opt::<RequestMeta>().cloned().unwrap_or_default()
}
