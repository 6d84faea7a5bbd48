//! Matching URLs against the `http` allow-list patterns of a plugin's policy.

use reqwest::Url;

/// Whether `url`'s host and port match one of `patterns` (see `HttpPolicy::allowed_hosts`).
pub(super) fn host_allowed(patterns: &[String], url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let Some(port) = url.port_or_known_default() else {
        return false;
    };
    let default_port = default_port(url.scheme());
    patterns.iter().any(|pattern| {
        let (host_pattern, port_pattern) = split_port(pattern.trim());
        let port_matches = match port_pattern {
            None => Some(port) == default_port,
            Some("*") => true,
            Some(number) => number.parse::<u16>() == Ok(port),
        };
        port_matches && host_matches(host_pattern, host)
    })
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    }
}

/// `host:port` → (`host`, Some(`port`)); `host`, `[::1]` → (`host`, None).
fn split_port(pattern: &str) -> (&str, Option<&str>) {
    if pattern.ends_with(']') {
        return (pattern, None);
    }
    match pattern.rsplit_once(':') {
        Some((host, port)) if port == "*" || port.parse::<u16>().is_ok() => (host, Some(port)),
        _ => (pattern, None),
    }
}

/// Exact (case-insensitive) match, or `*.example.com` for any subdomain of `example.com`.
fn host_matches(pattern: &str, host: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(domain) => host
            .len()
            .checked_sub(domain.len() + 1)
            .and_then(|dot| host.get(dot..))
            .is_some_and(|tail| tail.starts_with('.') && tail[1..].eq_ignore_ascii_case(domain)),
        None => pattern.eq_ignore_ascii_case(host),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(patterns: &[&str], url: &str) -> bool {
        let patterns: Vec<String> = patterns.iter().map(|p| (*p).to_owned()).collect();
        host_allowed(&patterns, &Url::parse(url).expect("test URLs are valid"))
    }

    #[test]
    fn plain_host_allows_only_the_default_port() {
        assert!(allowed(&["api.stripe.com"], "https://api.stripe.com/v1/x"));
        assert!(allowed(&["API.Stripe.com"], "https://api.stripe.com:443/"));
        assert!(!allowed(&["api.stripe.com"], "https://api.stripe.com:8443/"));
        assert!(!allowed(&["api.stripe.com"], "https://api.stripe.com.evil.io/"));
        assert!(!allowed(&["api.stripe.com"], "https://evil.io/?api.stripe.com"));
    }

    #[test]
    fn ports_and_wildcards() {
        assert!(allowed(&["127.0.0.1:8080"], "http://127.0.0.1:8080/"));
        assert!(!allowed(&["127.0.0.1:8080"], "http://127.0.0.1:8081/"));
        assert!(allowed(&["localhost:*"], "http://localhost:1234/"));
        assert!(allowed(&["*.omise.co"], "https://api.omise.co/"));
        assert!(allowed(&["*.omise.co"], "https://a.b.omise.co/"));
        assert!(!allowed(&["*.omise.co"], "https://omise.co/"));
        assert!(!allowed(&["*.omise.co"], "https://evilomise.co/"));
        assert!(allowed(&["[::1]:9000"], "http://[::1]:9000/"));
        assert!(!allowed(&[], "https://api.stripe.com/"));
    }
}
