//! Stripe's webhook signature (`Stripe-Signature: t=<unix s>,v1=<hex>[,v1=<hex>…]`), checked
//! the way Stripe's official SDKs check it:
//!
//! 1. the header is split on `,` and each item once on `=`; `t` is the timestamp, **every**
//!    `v1` is a candidate (there are two while an endpoint secret is being rolled), other
//!    schemes (`v0`, …) are ignored; names are case-sensitive and not trimmed;
//! 2. the signed payload is `"{t}.{raw body}"`, the MAC `hex(HMAC-SHA256(secret as UTF-8 bytes,
//!    payload))`; a delivery is authentic when any `v1` equals it, compared in constant time,
//!    under the current or the previous secret;
//! 3. only then the timestamp: refused when it is more than the tolerance away from our clock,
//!    in the past (a replay) or in the **future**. Here the plugin is stricter than the SDKs,
//!    which accept any future timestamp: a delivery stamped ahead of time would stay replayable
//!    for as long as it is early, beyond the tolerance the operator set. Clocks that disagree by
//!    less than the tolerance still pass.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The parts of a `Stripe-Signature` header that matter.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Header<'a> {
    timestamp: &'a str,
    v1: Vec<&'a str>,
}

fn parse(header: &str) -> Result<Header<'_>, String> {
    let mut timestamp = None;
    let mut v1 = Vec::new();
    for item in header.split(',') {
        match item.split_once('=') {
            // a later `t` wins, as in the SDKs
            Some(("t", value)) => timestamp = Some(value),
            Some(("v1", value)) => v1.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp
        .filter(|t| !t.is_empty() && t.len() <= 18 && t.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| "Stripe-Signature header has no timestamp (t=…)".to_owned())?;
    if v1.is_empty() {
        return Err("Stripe-Signature header has no v1 signature".to_owned());
    }
    Ok(Header { timestamp, v1 })
}

fn mac(secret: &str, timestamp: &str, body: &str) -> Result<HmacSha256, String> {
    let mut mac =
        HmacSha256::new_from_slice(secret.as_bytes()).map_err(|_| "webhook secret cannot key HMAC".to_owned())?;
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    Ok(mac)
}

/// Whether `candidate` is the MAC, in constant time. The SDKs compare lower-case hex strings,
/// so anything but 64 lower-case hex digits never matches here either.
fn matches(mac: &HmacSha256, candidate: &str) -> bool {
    if candidate.len() != 64
        || !candidate
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return false;
    }
    match hex::decode(candidate) {
        Ok(bytes) => mac.clone().verify_slice(&bytes).is_ok(),
        Err(_) => false,
    }
}

/// Checks a delivery; `Err` holds the reason it is not to be trusted.
///
/// `secrets` are the current and, while rotating, the previous webhook secret; `now_s` is the
/// host's clock in Unix seconds.
pub fn verify(header: &str, body: &str, secrets: &[String], now_s: i64, tolerance_secs: u64) -> Result<(), String> {
    let parsed = parse(header)?;
    let mut authentic = false;
    for secret in secrets {
        let mac = mac(secret, parsed.timestamp, body)?;
        // every candidate is checked, so the time taken does not tell which one matched
        for candidate in &parsed.v1 {
            authentic |= matches(&mac, candidate);
        }
    }
    if !authentic {
        return Err("no v1 signature matches".to_owned());
    }
    let timestamp: i64 = parsed
        .timestamp
        .parse()
        .map_err(|_| "Stripe-Signature header has no timestamp (t=…)".to_owned())?;
    check_timestamp(timestamp, now_s, tolerance_secs)
}

/// Refuses a signed timestamp more than `tolerance_secs` before or after `now_s`.
fn check_timestamp(timestamp: i64, now_s: i64, tolerance_secs: u64) -> Result<(), String> {
    let tolerance = i64::try_from(tolerance_secs).unwrap_or(i64::MAX);
    let age = now_s.saturating_sub(timestamp);
    if age > tolerance {
        return Err(format!(
            "timestamp outside the tolerance zone ({age} s old, tolerance {tolerance_secs} s)"
        ));
    }
    let ahead = timestamp.saturating_sub(now_s);
    if ahead > tolerance {
        return Err(format!(
            "timestamp outside the tolerance zone ({ahead} s in the future, tolerance {tolerance_secs} s)"
        ));
    }
    Ok(())
}

/// Signs `body` as Stripe would at Unix time `timestamp`: `t=<timestamp>,v1=<hex>`.
///
/// For test peers only (a fake Stripe that delivers webhooks, cross-checks with Stripe's SDK);
/// the gateway itself never signs anything.
pub fn sign_header(secret: &str, timestamp: i64, body: &str) -> String {
    let timestamp = timestamp.to_string();
    let signature = match mac(secret, &timestamp, body) {
        Ok(mac) => hex::encode(mac.finalize().into_bytes()),
        // HMAC takes keys of any length, so this cannot happen; an empty v1 never verifies
        Err(_) => String::new(),
    };
    format!("t={timestamp},v1={signature}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_collects_every_v1_and_ignores_other_schemes() {
        let header = parse("t=12,v0=aa,v1=bb,x=1,v1=cc,V1=dd, v1=ee").expect("valid header");
        assert_eq!(header.timestamp, "12");
        assert_eq!(header.v1, ["bb", "cc"]);
    }

    #[test]
    fn parse_refuses_headers_without_timestamp_or_v1() {
        assert!(parse("v1=aa").expect_err("no t").contains("no timestamp"));
        assert!(parse("t=abc,v1=aa").expect_err("bad t").contains("no timestamp"));
        assert!(parse("t=1,v0=aa").expect_err("no v1").contains("no v1"));
        assert!(parse("").is_err());
    }

    #[test]
    fn timestamps_more_than_the_tolerance_away_either_way_are_refused() {
        let secrets = ["whsec_x".to_owned()];
        let now = 1_800_000_000;
        let at = |t: i64| verify(&sign_header("whsec_x", t, "{}"), "{}", &secrets, now, 300);
        assert_eq!(
            at(now + 301),
            Err("timestamp outside the tolerance zone (301 s in the future, tolerance 300 s)".to_owned())
        );
        assert_eq!(at(now + 290), Ok(()));
        assert_eq!(at(now + 300), Ok(()));
        assert_eq!(at(now), Ok(()));
        assert_eq!(at(now - 300), Ok(()));
        assert_eq!(
            at(now - 301),
            Err("timestamp outside the tolerance zone (301 s old, tolerance 300 s)".to_owned())
        );
        // a forged signature is refused as such, whatever its timestamp
        let forged = format!("t={},v1={}", now + 3600, "0".repeat(64));
        assert_eq!(
            verify(&forged, "{}", &secrets, now, 300),
            Err("no v1 signature matches".to_owned())
        );
    }

    #[test]
    fn upper_case_hex_does_not_match_like_the_sdks() {
        let header = sign_header("whsec_x", 100, "{}");
        let (t, signature) = header.split_once(",v1=").expect("signed header");
        let upper = format!("{t},v1={}", signature.to_uppercase());
        assert!(verify(&header, "{}", &["whsec_x".to_owned()], 100, 300).is_ok());
        assert_eq!(
            verify(&upper, "{}", &["whsec_x".to_owned()], 100, 300),
            Err("no v1 signature matches".to_owned())
        );
    }
}
