//! The hash of one audit entry.
//!
//! `hash = HMAC-SHA256(key, prev_hash ‖ 0x00 ‖ canonical)`, where `canonical` is the JSON array
//! `[seq, at, actor, ip, user_agent, request_id, action, target, status, details]`. Keying with a
//! secret the database does not hold means someone who can write the database cannot recompute
//! a valid chain after editing it.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields an audit hash covers, in chain order.
pub struct HashInput<'a> {
    /// Chain position.
    pub seq: i64,
    /// Unix ms.
    pub at: i64,
    /// Actor user name.
    pub actor: Option<&'a str>,
    /// Client address.
    pub ip: Option<&'a str>,
    /// User agent.
    pub user_agent: Option<&'a str>,
    /// Request id.
    pub request_id: Option<&'a str>,
    /// Action.
    pub action: &'a str,
    /// Target.
    pub target: Option<&'a str>,
    /// Status.
    pub status: &'a str,
    /// Details JSON text, hashed as stored.
    pub details: &'a str,
}

/// Computes the hex hash of an entry given the previous entry's hash.
pub fn entry_hash(key: &[u8], prev_hash: &str, input: &HashInput<'_>) -> String {
    let canonical = serde_json::json!([
        input.seq,
        input.at,
        input.actor,
        input.ip,
        input.user_agent,
        input.request_id,
        input.action,
        input.target,
        input.status,
        input.details,
    ]);
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(prev_hash.as_bytes());
    mac.update(&[0]);
    mac.update(canonical.to_string().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(details: &str) -> HashInput<'_> {
        HashInput {
            seq: 1,
            at: 1_700_000_000_000,
            actor: Some("admin"),
            ip: Some("127.0.0.1"),
            user_agent: None,
            request_id: Some("r1"),
            action: "auth.login.success",
            target: Some("user:admin"),
            status: "ok",
            details,
        }
    }

    #[test]
    fn hash_depends_on_key_previous_hash_and_every_field() {
        let base = entry_hash(b"k", GENESIS_HASH, &input("{}"));
        assert_eq!(base.len(), 64);
        assert_eq!(base, entry_hash(b"k", GENESIS_HASH, &input("{}")));
        assert_ne!(base, entry_hash(b"other", GENESIS_HASH, &input("{}")));
        assert_ne!(base, entry_hash(b"k", &"1".repeat(64), &input("{}")));
        assert_ne!(base, entry_hash(b"k", GENESIS_HASH, &input("{\"x\":1}")));
    }

    #[test]
    fn field_boundaries_cannot_be_shifted() {
        let mut a = input("{}");
        a.actor = Some("ab");
        a.ip = Some("c");
        let mut b = input("{}");
        b.actor = Some("a");
        b.ip = Some("bc");
        assert_ne!(entry_hash(b"k", GENESIS_HASH, &a), entry_hash(b"k", GENESIS_HASH, &b));
    }
}
