//! Omise's webhook signature: `Omise-Signature` holds one hex HMAC-SHA256, or two separated
//! by a comma while the webhook secret is being rolled; `Omise-Signature-Timestamp` the Unix
//! time in seconds. The MAC is computed over `"{timestamp}.{raw body}"` with the
//! **base64-decoded** webhook secret as key (unlike Stripe, which uses its secret's text).
//!
//! Checked like Stripe's: any listed signature under the current or the previous secret, in
//! constant time, then refused when the timestamp is more than the tolerance away from our
//! clock, in the past (a replay) or in the future (a delivery stamped ahead would stay
//! replayable for as long as it is early).

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The signature list header (lower case, as the server hands headers over).
pub const SIGNATURE_HEADER: &str = "omise-signature";
/// The timestamp header.
pub const TIMESTAMP_HEADER: &str = "omise-signature-timestamp";

/// Decodes a webhook secret: standard or URL-safe alphabet, padding optional (the dashboard
/// shows standard base64; copying it must not depend on keeping the `=`).
pub fn decode_secret(secret: &str) -> Option<Vec<u8>> {
    let config = GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let secret = secret.trim();
    GeneralPurpose::new(&alphabet::STANDARD, config)
        .decode(secret)
        .or_else(|_| GeneralPurpose::new(&alphabet::URL_SAFE, config).decode(secret))
        .ok()
        .filter(|key| !key.is_empty())
}

fn mac(key: &[u8], timestamp: &str, body: &str) -> Result<HmacSha256, String> {
    let mut mac = HmacSha256::new_from_slice(key).map_err(|_| "webhook secret cannot key HMAC".to_owned())?;
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    Ok(mac)
}

/// Checks a delivery; `Err` holds the reason it is not to be trusted. `keys` are the decoded
/// current and previous secrets.
pub fn verify(
    signatures: &str,
    timestamp: &str,
    body: &str,
    keys: &[Vec<u8>],
    now_s: i64,
    tolerance_secs: u64,
) -> Result<(), String> {
    let timestamp = timestamp.trim();
    let seconds: i64 = timestamp
        .parse()
        .ok()
        .filter(|_| timestamp.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| "Omise-Signature-Timestamp is not a Unix time".to_owned())?;
    let candidates: Vec<Vec<u8>> = signatures
        .split(',')
        .map(str::trim)
        .filter(|s| s.len() == 64)
        .filter_map(|s| hex::decode(s).ok())
        .collect();
    if candidates.is_empty() {
        return Err("Omise-Signature holds no hex HMAC-SHA256 signature".to_owned());
    }
    let mut authentic = false;
    for key in keys {
        let mac = mac(key, timestamp, body)?;
        // every candidate is checked, so the time taken does not tell which one matched
        for candidate in &candidates {
            authentic |= mac.clone().verify_slice(candidate).is_ok();
        }
    }
    if !authentic {
        return Err("no Omise-Signature matches".to_owned());
    }
    check_timestamp(seconds, now_s, tolerance_secs)
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

/// Signs `body` as Omise would at Unix time `timestamp` with a base64 `secret`: the hex value
/// of `Omise-Signature`. For test peers only; `None` when the secret is not base64.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = decode_secret(secret)?;
    let mac = mac(&key, &timestamp.to_string(), body).ok()?;
    Some(hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_more_than_the_tolerance_away_either_way_are_refused() {
        let secret = "c2VjcmV0LWtleS1mb3ItdGVzdHM=";
        let keys = [decode_secret(secret).expect("base64")];
        let now = 1_800_000_000;
        let at = |t: i64| {
            let signature = sign(secret, t, "{}").expect("signed");
            verify(&signature, &t.to_string(), "{}", &keys, now, 300)
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

    #[test]
    fn secrets_decode_with_or_without_padding_and_in_both_alphabets() {
        assert_eq!(decode_secret("c2VjcmV0"), Some(b"secret".to_vec()));
        assert_eq!(decode_secret("c2VjcmV0cw=="), Some(b"secrets".to_vec()));
        assert_eq!(decode_secret("c2VjcmV0cw"), Some(b"secrets".to_vec()));
        assert_eq!(decode_secret("-_8"), Some(vec![0xfb, 0xff]));
        assert_eq!(decode_secret("not base64!"), None);
        assert_eq!(decode_secret(""), None);
    }
}
