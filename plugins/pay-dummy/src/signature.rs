//! The dummy gateway's webhook signature, Stripe's scheme under another header name:
//! `X-Dummy-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "{t}.{body}")>`, the secret used
//! as UTF-8 bytes. Verification follows Stripe's SDKs: every `v1` is a candidate (rotation),
//! other schemes are ignored, the comparison is constant-time, and timestamps more than the
//! tolerance away from our clock are refused, in the past (a replay) or in the future (a
//! delivery stamped ahead would stay replayable for as long as it is early).

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The header carrying the signature (lower case, as the server hands headers over).
pub const HEADER: &str = "x-dummy-signature";

struct Header<'a> {
    timestamp: &'a str,
    v1: Vec<&'a str>,
}

fn parse(header: &str) -> Result<Header<'_>, String> {
    let mut timestamp = None;
    let mut v1 = Vec::new();
    for item in header.split(',') {
        match item.split_once('=') {
            Some(("t", value)) => timestamp = Some(value),
            Some(("v1", value)) => v1.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp
        .filter(|t| !t.is_empty() && t.len() <= 18 && t.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| "X-Dummy-Signature header has no timestamp (t=…)".to_owned())?;
    if v1.is_empty() {
        return Err("X-Dummy-Signature header has no v1 signature".to_owned());
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

/// Whether `candidate` (64 lower-case hex digits) is the MAC, in constant time.
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
pub fn verify(header: &str, body: &str, secrets: &[String], now_s: i64, tolerance_secs: u64) -> Result<(), String> {
    let parsed = parse(header)?;
    let mut authentic = false;
    for secret in secrets {
        let mac = mac(secret, parsed.timestamp, body)?;
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
        .map_err(|_| "X-Dummy-Signature header has no timestamp (t=…)".to_owned())?;
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

/// Signs `body` at Unix time `timestamp`: `t=<timestamp>,v1=<hex>`.
pub fn sign_header(secret: &str, timestamp: i64, body: &str) -> Result<String, String> {
    let timestamp = timestamp.to_string();
    let mac = mac(secret, &timestamp, body)?;
    Ok(format!("t={timestamp},v1={}", hex::encode(mac.finalize().into_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_more_than_the_tolerance_away_either_way_are_refused() {
        let secrets = ["dev-secret".to_owned()];
        let now = 1_800_000_000;
        let at = |t: i64| {
            let header = sign_header("dev-secret", t, "{}").expect("signed");
            verify(&header, "{}", &secrets, now, 300)
        };
        assert_eq!(
            at(now + 301),
            Err("timestamp outside the tolerance zone (301 s in the future, tolerance 300 s)".to_owned())
        );
        assert_eq!(at(now + 290), Ok(()));
        assert_eq!(at(now + 300), Ok(()));
        assert_eq!(at(now - 300), Ok(()));
        assert_eq!(
            at(now - 301),
            Err("timestamp outside the tolerance zone (301 s old, tolerance 300 s)".to_owned())
        );
    }
}
