//! Who is calling: the session from `Authorization: Bearer` or the session cookie, and the
//! client address (believing `X-Forwarded-For` only from configured proxies).

use crate::state::AppState;
use axum::http::HeaderMap;
use hpcb_core::auth::Principal;
use hpcb_core::context::RequestMeta;
use hpcb_core::CoreError;
use hpcb_schema::{CookiePolicy, SessionCookies};
use std::net::{IpAddr, SocketAddr};

/// The resolved caller of one request.
pub struct Resolved {
    /// The principal, `None` when anonymous.
    pub principal: Option<Principal>,
    /// `Set-Cookie` values to send back (a renewed token, or clearing a dead session).
    pub set_cookies: Vec<String>,
}

/// Reads one cookie from the `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// The bearer token of the `Authorization` header: `Ok(None)` when absent, an error when the
/// header is there but not a bearer token.
pub fn bearer(headers: &HeaderMap) -> Result<Option<&str>, CoreError> {
    match headers.get(axum::http::header::AUTHORIZATION) {
        None => Ok(None),
        Some(v) => {
            let v = v
                .to_str()
                .map_err(|_| CoreError::Unauthenticated("unreadable Authorization header".into()))?;
            let (scheme, token) = v.split_once(' ').unwrap_or((v, ""));
            if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
                return Err(CoreError::Unauthenticated("use Authorization: Bearer <token>".into()));
            }
            Ok(Some(token.trim()))
        }
    }
}

/// Resolves the caller. A bad bearer token is an error (the client asked to be someone); a dead
/// cookie just makes the request anonymous and clears the cookie.
pub async fn resolve(state: &AppState, headers: &HeaderMap) -> Result<Resolved, CoreError> {
    let auth = &state.services.auth;
    if let Some(token) = bearer(headers)? {
        let p = auth.authenticate(token, false, None).await?;
        return Ok(Resolved {
            principal: Some(p),
            set_cookies: Vec::new(),
        });
    }
    let Some(token) = cookie(headers, SessionCookies::SESSION) else {
        return Ok(Resolved {
            principal: None,
            set_cookies: Vec::new(),
        });
    };
    let policy = CookiePolicy {
        secure: state.config.auth.cookie_secure,
    };
    let csrf = headers.get(SessionCookies::CSRF_HEADER).and_then(|v| v.to_str().ok());
    match auth.authenticate(token, true, csrf).await {
        Ok(p) => {
            let mut set_cookies = Vec::new();
            if let Some((fresh, exp)) = auth.reissue(&p).await? {
                let max_age = (exp - state.services.clock.now_ms()) / 1000;
                // Renew only the session cookie; the CSRF token stays the session's.
                if let Some(csrf_cookie) = cookie(headers, SessionCookies::CSRF) {
                    set_cookies.extend(SessionCookies::set(&policy, &fresh, csrf_cookie, max_age));
                }
            }
            Ok(Resolved {
                principal: Some(p),
                set_cookies,
            })
        }
        Err(CoreError::Unauthenticated(_)) => Ok(Resolved {
            principal: None,
            set_cookies: SessionCookies::clear(&policy).to_vec(),
        }),
        Err(e) => Err(e),
    }
}

/// The client address: the peer, or the nearest untrusted hop of `X-Forwarded-For` when the
/// peer is a trusted proxy.
pub fn client_ip(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    let peer_ip = peer.ip();
    if !state.trusted_proxies.contains(&peer_ip) {
        if headers.contains_key("x-forwarded-for") {
            warn_untrusted_proxy(peer_ip);
        }
        return peer_ip;
    }
    headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',')
                .rev()
                .filter_map(|s| s.trim().parse::<IpAddr>().ok())
                .find(|ip| !state.trusted_proxies.contains(ip))
        })
        .unwrap_or(peer_ip)
}

/// Says once per process that a peer sends `X-Forwarded-For` without being a trusted proxy: if
/// it is a reverse proxy, every client behind it shares one address for login throttling and
/// connection limits (and one client's failures lock the others out).
fn warn_untrusted_proxy(peer: IpAddr) {
    static WARNED: std::sync::Once = std::sync::Once::new();
    WARNED.call_once(|| {
        tracing::warn!(
            %peer,
            "{peer} sends X-Forwarded-For but is not in server.trusted_proxies: if it is your reverse proxy, \
             add it, or every client behind it shares one address for login throttling and connection limits"
        );
    });
}

/// Request metadata for audit entries.
pub fn request_meta(ip: IpAddr, headers: &HeaderMap, request_id: &str) -> RequestMeta {
    RequestMeta {
        ip: Some(ip.to_string()),
        user_agent: headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        request_id: Some(request_id.to_owned()),
    }
}
