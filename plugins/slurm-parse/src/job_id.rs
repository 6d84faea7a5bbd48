//! Canonical job ids: the billing key of a job, an array task or a heterogeneous component, and
//! the folding of step ids (`12345.batch`, `12345_7.extern`, `12345+1.0`) into it.

/// Whether `id` has the shape of a billable unit: `digits`, `digits_digits` (array task) or
/// either followed by `+digits` (heterogeneous component).
pub fn is_unit_id(id: &str) -> bool {
    unit_length(id.as_bytes()) == Some(id.len())
}

/// The billing key of a job or step id: for a step (`12345.batch`, `12345.0`, `12345_7.extern`,
/// `12345+0.batch`) the part before the first dot when that part is a unit id (see
/// [`is_unit_id`]); otherwise the id unchanged (`12345_[1-3]`, a pending array, stays itself).
pub fn canonical_job_id(id: &str) -> &str {
    step_parent(id).unwrap_or(id)
}

/// For a step id, the id of the unit it belongs to; `None` for an id that is not a step.
///
/// One pass over the bytes (this runs for every sacct line): a unit id cannot contain a dot, so
/// the id is a step exactly when a unit id is followed by a dot.
pub fn step_parent(id: &str) -> Option<&str> {
    let length = unit_length(id.as_bytes())?;
    match id.as_bytes().get(length) {
        Some(b'.') => id.get(..length),
        _ => None,
    }
}

/// The length of the unit id at the start of `bytes` (`digits`, then optionally `_digits`, then
/// optionally `+digits`), read as far as it goes; `None` when there is none, or a `_` or `+` is
/// not followed by a digit.
fn unit_length(bytes: &[u8]) -> Option<usize> {
    /// The end of the run of digits starting at `from`; `None` when it is empty.
    fn digits_from(bytes: &[u8], from: usize) -> Option<usize> {
        let mut at = from;
        while bytes.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        (at > from).then_some(at)
    }
    let mut length = digits_from(bytes, 0)?;
    if bytes.get(length) == Some(&b'_') {
        length = digits_from(bytes, length + 1)?;
    }
    if bytes.get(length) == Some(&b'+') {
        length = digits_from(bytes, length + 1)?;
    }
    Some(length)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_fold_into_their_unit() {
        assert_eq!(canonical_job_id("12345.batch"), "12345");
        assert_eq!(canonical_job_id("12345.0"), "12345");
        assert_eq!(canonical_job_id("12345_7.extern"), "12345_7");
        assert_eq!(canonical_job_id("12345+1.0"), "12345+1");
        assert_eq!(canonical_job_id("12345_7"), "12345_7");
        assert_eq!(canonical_job_id("12345"), "12345");
        assert_eq!(step_parent("6.2"), Some("6"));
        assert_eq!(step_parent("6"), None);
    }

    #[test]
    fn other_shapes_stay_unchanged() {
        assert_eq!(canonical_job_id("5_[1-3]"), "5_[1-3]");
        assert_eq!(canonical_job_id("abc.batch"), "abc.batch");
        assert_eq!(canonical_job_id(".batch"), ".batch");
        assert_eq!(canonical_job_id(""), "");
        assert!(!is_unit_id("12_"));
        assert!(!is_unit_id("_3"));
        assert!(!is_unit_id("1+"));
        assert!(is_unit_id("1_2+3"));
    }
}
