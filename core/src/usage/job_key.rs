//! The canonical job key that makes double billing impossible: steps never bill separately,
//! array tasks always do.

/// `12345.batch`, `12345.0`, `12345.extern` → `12345`; `12345_7.extern` → `12345_7`; anything
/// whose part before the first dot is not `digits` or `digits_digits` is returned unchanged.
pub fn canonical_job_key(job_id: &str) -> String {
    let head = job_id.split('.').next().unwrap_or(job_id);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let ok = match head.split_once('_') {
        Some((a, b)) => digits(a) && digits(b),
        None => digits(head),
    };
    if ok {
        head.to_owned()
    } else {
        job_id.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::canonical_job_key as key;

    #[test]
    fn steps_fold_and_array_tasks_stay_apart() {
        assert_eq!(key("12345"), "12345");
        assert_eq!(key("12345.batch"), "12345");
        assert_eq!(key("12345.0"), "12345");
        assert_eq!(key("12345_7.extern"), "12345_7");
        assert_eq!(key("12345_7"), "12345_7");
        assert_eq!(key("12345_[1-3]"), "12345_[1-3]");
        assert_eq!(key("abc.1"), "abc.1");
        assert_eq!(key(""), "");
    }
}
