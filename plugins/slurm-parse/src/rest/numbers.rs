//! Reading the number shapes of every API version: plain integers, `null`, and the NO_VAL
//! structs `{"set": bool, "infinite": bool, "number": int}` of v0.0.39 and later.

use serde_json::Value;

/// A number that may be a plain integer, `null`, or a NO_VAL struct; `None` for `null`, an unset
/// or infinite struct, or anything else.
pub(super) fn number(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(n) => n.as_i64(),
        Value::Object(fields) => {
            let set = fields.get("set").and_then(Value::as_bool).unwrap_or(false);
            let infinite = fields.get("infinite").and_then(Value::as_bool).unwrap_or(false);
            if set && !infinite {
                fields.get("number").and_then(Value::as_i64)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// A timestamp in Unix seconds as milliseconds; Slurm's `0` ("not yet") is `None`.
pub(super) fn time_ms(value: Option<&Value>) -> Option<i64> {
    number(value).filter(|s| *s > 0).map(|s| s.saturating_mul(1000))
}

/// A non-empty string (`null` in v0.0.38 and `""` later both mean unset).
pub(super) fn text(value: Option<&Value>) -> Option<&str> {
    value.and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

/// `{"seconds": s, "microseconds": us}` as whole milliseconds (microseconds dropped, as sacct
/// prints TotalCPU).
pub(super) fn cpu_ms(value: Option<&Value>) -> Option<i64> {
    let value = value?;
    let seconds = number(value.get("seconds"))?;
    let micros = number(value.get("microseconds")).unwrap_or(0);
    Some(seconds.saturating_mul(1000).saturating_add(micros / 1000))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_number_shape() {
        assert_eq!(number(Some(&json!(5))), Some(5));
        assert_eq!(number(Some(&json!(null))), None);
        assert_eq!(number(None), None);
        assert_eq!(
            number(Some(&json!({"set": true, "infinite": false, "number": 3}))),
            Some(3)
        );
        assert_eq!(
            number(Some(&json!({"set": false, "infinite": false, "number": 0}))),
            None
        );
        assert_eq!(
            number(Some(&json!({"set": false, "infinite": true, "number": 0}))),
            None
        );
        assert_eq!(number(Some(&json!({"set": true, "infinite": true, "number": 9}))), None);
        assert_eq!(number(Some(&json!("5"))), None);
        assert_eq!(number(Some(&json!(1.5))), None);
        assert_eq!(time_ms(Some(&json!(0))), None);
        assert_eq!(time_ms(Some(&json!(1_795_307_501))), Some(1_795_307_501_000));
        assert_eq!(text(Some(&json!(""))), None);
        assert_eq!(text(Some(&json!(null))), None);
        assert_eq!(text(Some(&json!("gpu"))), Some("gpu"));
        assert_eq!(
            cpu_ms(Some(&json!({"seconds": 2, "microseconds": 530_448}))),
            Some(2_530)
        );
        assert_eq!(cpu_ms(Some(&json!({"microseconds": 1}))), None);
    }
}
