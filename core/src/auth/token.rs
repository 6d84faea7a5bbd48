//! Signed bearer tokens. A token names a server-side session; it proves nothing on its own
//! once that session is revoked, and it expires quickly.

use crate::error::{CoreError, CoreResult};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The claims we sign.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    /// User name.
    pub sub: String,
    /// Session id.
    pub sid: String,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Expires at, Unix seconds.
    pub exp: i64,
    /// Always `hpc-billing`.
    pub iss: String,
}

const ISSUER: &str = "hpc-billing";

/// Signs and checks HS256 tokens with the configured key.
#[derive(Clone)]
pub struct TokenIssuer {
    enc: EncodingKey,
    dec: DecodingKey,
}

impl TokenIssuer {
    /// Builds an issuer; the key must be at least 32 bytes.
    pub fn new(secret: &[u8]) -> CoreResult<TokenIssuer> {
        if secret.len() < 32 {
            return Err(CoreError::validation("auth.jwt_secret", "must be at least 32 bytes"));
        }
        Ok(TokenIssuer {
            enc: EncodingKey::from_secret(secret),
            dec: DecodingKey::from_secret(secret),
        })
    }

    /// Signs a token for `sid` valid from `now_ms` for `ttl_secs`.
    pub fn issue(&self, username: &str, sid: &str, now_ms: i64, ttl_secs: i64) -> CoreResult<(String, i64)> {
        let iat = now_ms / 1000;
        let claims = Claims {
            sub: username.to_owned(),
            sid: sid.to_owned(),
            iat,
            exp: iat + ttl_secs,
            iss: ISSUER.into(),
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.enc).map_err(CoreError::internal)?;
        Ok((token, claims.exp * 1000))
    }

    /// Checks signature, algorithm, issuer and expiry (against `now_ms`, no leeway).
    pub fn check(&self, token: &str, now_ms: i64) -> CoreResult<Claims> {
        let mut v = Validation::new(Algorithm::HS256);
        v.set_issuer(&[ISSUER]);
        v.validate_exp = false; // checked below against our clock, not the library's
        v.set_required_spec_claims(&["exp", "iss", "sub"]);
        let data =
            decode::<Claims>(token, &self.dec, &v).map_err(|_| CoreError::Unauthenticated("invalid token".into()))?;
        if data.claims.exp * 1000 <= now_ms {
            return Err(CoreError::Unauthenticated("token expired; log in again".into()));
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_expire() {
        let t = TokenIssuer::new(&[7u8; 32]).expect("key long enough");
        let (tok, exp) = t.issue("alice", "s1", 1_000_000, 60).expect("signs");
        assert_eq!(exp, 1_060_000);
        let c = t.check(&tok, 1_000_000).expect("valid");
        assert_eq!((c.sub.as_str(), c.sid.as_str()), ("alice", "s1"));
        assert!(matches!(t.check(&tok, 1_060_000), Err(CoreError::Unauthenticated(_))));
    }

    #[test]
    fn tokens_signed_with_another_key_or_altered_are_refused() {
        let a = TokenIssuer::new(&[1u8; 32]).expect("key");
        let b = TokenIssuer::new(&[2u8; 32]).expect("key");
        let (tok, _) = a.issue("alice", "s1", 0, 60).expect("signs");
        assert!(b.check(&tok, 0).is_err());
        let mut altered = tok.clone();
        altered.push('x');
        assert!(a.check(&altered, 0).is_err());
        assert!(TokenIssuer::new(b"short").is_err());
    }
}
