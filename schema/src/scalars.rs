//! Scalars with exact, unambiguous wire forms.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use rust_decimal::Decimal;

/// An exact decimal number, serialised as a string (`"1.25"`). Floats are refused on input, so
/// a price can never pass through binary floating point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dec(pub Decimal);

#[Scalar(name = "Decimal")]
impl ScalarType for Dec {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => Decimal::from_str_exact(s.trim())
                .map(Dec)
                .map_err(|e| InputValueError::custom(format!("not an exact decimal: {e}"))),
            Value::Number(n) if n.is_i64() || n.is_u64() => n
                .as_i64()
                .map(|i| Dec(Decimal::from(i)))
                .ok_or_else(|| InputValueError::custom("out of range")),
            Value::Number(_) => Err(InputValueError::custom(
                "pass decimals as strings, e.g. \"1.25\"; floats are inexact",
            )),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.normalize().to_string())
    }
}

/// A point in time, RFC 3339 in UTC on output (`2026-11-01T00:00:00Z`); any offset accepted on
/// input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTime(pub i64);

#[Scalar(name = "DateTime")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| DateTime(t.timestamp_millis()))
                .map_err(|e| InputValueError::custom(format!("not an RFC 3339 time: {e}"))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        match chrono::DateTime::from_timestamp_millis(self.0) {
            Some(t) => Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
            None => Value::Null,
        }
    }
}
