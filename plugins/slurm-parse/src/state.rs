//! Job states reduced to their base state, the same for every source and API version.

/// The base state in upper case: `"CANCELLED by 1003"` (sacct) and `"CANCELLED+"` (sacct's
/// truncated column) become `"CANCELLED"`; a v0.0.40+ flag list such as
/// `["COMPLETED", "REQUEUED"]` is reduced by the caller to its first entry first. An empty
/// state is an error.
pub fn base_state(text: &str) -> Result<String, String> {
    // what sacct prints (`COMPLETED`, `CANCELLED by 1003`): a run of state characters at the
    // start, ended by the text's end or a space, is the first word and needs no other check
    let (mut length, mut lower) = (0, false);
    for b in text.bytes() {
        if !(b.is_ascii_alphanumeric() || b == b'_') {
            break;
        }
        lower |= b.is_ascii_lowercase();
        length += 1;
    }
    if length > 0 && matches!(text.as_bytes().get(length), None | Some(b' ')) {
        if let Some(word) = text.get(..length) {
            return Ok(if lower {
                word.to_ascii_uppercase()
            } else {
                word.to_owned()
            });
        }
    }
    let word = text
        .split_whitespace()
        .next()
        .map(|word| word.trim_end_matches('+'))
        .unwrap_or_default();
    if word.is_empty() || !word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(format!("not a job state: {text:?}"));
    }
    Ok(word.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_are_dropped() {
        assert_eq!(base_state("CANCELLED by 1003").as_deref(), Ok("CANCELLED"));
        assert_eq!(base_state("CANCELLED by 0").as_deref(), Ok("CANCELLED"));
        assert_eq!(base_state("CANCELLED+").as_deref(), Ok("CANCELLED"));
        assert_eq!(base_state("completed").as_deref(), Ok("COMPLETED"));
        assert_eq!(base_state("OUT_OF_MEMORY").as_deref(), Ok("OUT_OF_MEMORY"));
        assert!(base_state("").is_err());
        assert!(base_state("  ").is_err());
        assert!(base_state("{}").is_err());
    }
}
