//! The user a Slurm JWT was made for (its `sun` claim), sent as `X-SLURM-USER-NAME` when the
//! settings name no user: slurmrestd 22.05 answers 401 to a token without that header (observed
//! on 22.05.8 with `scontrol token`). The token is only read, never verified: slurmrestd does.

use serde::Deserialize;

/// The `sun` ("slurm user name") claim of a JWT, if the token has that shape.
pub(crate) fn user_of(token: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Claims {
        sun: String,
    }
    let payload = token.trim().split('.').nth(1)?;
    let bytes = base64url_decode(payload)?;
    let claims: Claims = serde_json::from_slice(&bytes).ok()?;
    Some(claims.sun).filter(|sun| !sun.is_empty())
}

/// Decodes unpadded (or padded) base64url.
fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let mut bits: u32 = 0;
    let mut count = 0;
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for byte in text.trim_end_matches('=').bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push(u8::try_from((bits >> count) & 0xff).ok()?);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_user_of_a_scontrol_token() {
        // the token of shared/slurm/fixtures/scontrol-token.txt (signature removed)
        let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3OTUzMTE5ODQsImlhdCI6MTc5NTMwNDc4NCwic3VuIjoiYWxpY2UifQ.sig";
        assert_eq!(user_of(token).as_deref(), Some("alice"));
        assert_eq!(user_of("not-a-jwt"), None);
        assert_eq!(user_of("a.!!!.c"), None);
        assert_eq!(user_of("a.e30.c"), None); // {} has no sun
        assert_eq!(base64url_decode("aGk"), Some(b"hi".to_vec()));
    }
}
