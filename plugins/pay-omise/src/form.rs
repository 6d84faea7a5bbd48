//! `application/x-www-form-urlencoded` bodies with bracket keys (`metadata[payment_id]=…`):
//! brackets in keys stay literal, everything else but RFC 3986 unreserved characters is
//! percent-encoded (a space is `%20`).

use std::fmt::Write as _;

/// A form body under construction, fields kept in insertion order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    /// An empty form.
    pub fn new() -> Self {
        Form::default()
    }

    /// Adds one field.
    pub fn field(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.pairs.push((key.into(), value.into()));
        self
    }

    /// The encoded body.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        for (index, (key, value)) in self.pairs.iter().enumerate() {
            if index > 0 {
                out.push('&');
            }
            encode_into(&mut out, key, true);
            out.push('=');
            encode_into(&mut out, value, false);
        }
        out
    }
}

/// Percent-encodes `text` as a URL path segment or form value (UTF-8, unreserved kept).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    encode_into(&mut out, text, false);
    out
}

fn encode_into(out: &mut String, text: &str, keep_brackets: bool) {
    for byte in text.bytes() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'_' | b'.' | b'~')
            || (keep_brackets && matches!(byte, b'[' | b']'));
        if keep {
            out.push(char::from(byte));
        } else {
            // writing to a String cannot fail
            let _ = write!(out, "%{byte:02X}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_brackets_and_values_are_percent_encoded() {
        let mut form = Form::new();
        form.field("metadata[payment_id]", "pay 1&x=½")
            .field("return_uri", "https://b.example/r?x=1#y");
        assert_eq!(
            form.encode(),
            "metadata[payment_id]=pay%201%26x%3D%C2%BD&return_uri=https%3A%2F%2Fb.example%2Fr%3Fx%3D1%23y"
        );
    }

    #[test]
    fn path_segments_cannot_escape() {
        assert_eq!(percent_encode("chrg_test_1/../x?y"), "chrg_test_1%2F..%2Fx%3Fy");
    }
}
