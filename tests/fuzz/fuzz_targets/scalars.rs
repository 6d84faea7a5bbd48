//! The `Decimal` and `DateTime` GraphQL scalars of the schema (`schema/src/scalars.rs`): how
//! they read input values.
//!
//! The input is read as a GraphQL string value, and, when it is JSON, as the value that JSON
//! becomes in a GraphQL request's variables (numbers of every kind, lists, objects). What reads
//! must write back a value that reads as the same number or instant.

#![no_main]

use async_graphql::{ScalarType, Value};
use hpcb_schema::{DateTime, Dec};
use libfuzzer_sys::fuzz_target;

fn check(value: Value) {
    if let Ok(decimal) = Dec::parse(value.clone()) {
        let written = decimal.to_value();
        let again = Dec::parse(written.clone()).unwrap_or_else(|e| panic!("{value} read as {decimal:?}, wrote {written}, which does not read: {e:?}"));
        assert_eq!(again, decimal, "{value} read as {decimal:?}, wrote {written}");
    }
    if let Ok(instant) = DateTime::parse(value.clone()) {
        let written = instant.to_value();
        assert!(matches!(written, Value::String(_)), "{value} read as {instant:?}, wrote {written}");
        let again = DateTime::parse(written.clone()).unwrap_or_else(|e| panic!("{value} read as {instant:?}, wrote {written}, which does not read: {e:?}"));
        assert_eq!(again, instant, "{value} read as {instant:?}, wrote {written}");
    }
}

fuzz_target!(|data: &[u8]| {
    let text = hpcb_fuzz::text(data).into_owned();
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) {
        if let Ok(value) = Value::from_json(json) {
            check(value);
        }
    }
    check(Value::String(text));
});
