//! Canonical job ids: the billing key of a job, an array task or a heterogeneous component, and
//! the folding of step ids (`12345.batch`, `12345_7.extern`, `12345+1.0`) into it.

/// Whether `id` has the shape of a billable unit: `digits`, `digits_digits` (array task) or
/// either followed by `+digits` (heterogeneous component).
pub fn is_unit_id(id: &str) -> bool {
    let (base, component) = match id.split_once('+') {
        Some((base, component)) => (base, Some(component)),
        None => (id, None),
    };
    let (job, task) = match base.split_once('_') {
        Some((job, task)) => (job, Some(task)),
        None => (base, None),
    };
    let number = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    number(job) && task.is_none_or(number) && component.is_none_or(number)
}

/// The billing key of a job or step id: for a step (`12345.batch`, `12345.0`, `12345_7.extern`,
/// `12345+0.batch`) the part before the first dot when that part is a unit id (see
/// [`is_unit_id`]); otherwise the id unchanged (`12345_[1-3]`, a pending array, stays itself).
pub fn canonical_job_id(id: &str) -> &str {
    match id.split_once('.') {
        Some((unit, _step)) if is_unit_id(unit) => unit,
        _ => id,
    }
}

/// For a step id, the id of the unit it belongs to; `None` for an id that is not a step.
pub fn step_parent(id: &str) -> Option<&str> {
    let parent = canonical_job_id(id);
    (parent != id).then_some(parent)
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
