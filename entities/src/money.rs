//! Money as integer minor units plus a currency: exact, and unambiguous across currencies whose
//! minor unit differs (THB has 2 decimals, JPY none).

use serde::{Deserialize, Serialize};
use std::fmt;

/// An ISO 4217 currency code in upper case (`THB`, `USD`, `JPY`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Currency([u8; 3]);

impl Currency {
    /// Thai baht, the default currency of the predecessor and of a fresh install.
    pub const THB: Currency = Currency(*b"THB");

    /// Parses a three-letter code; lower case is accepted and normalised, because gateways
    /// such as Stripe send lower-case codes.
    pub fn parse(code: &str) -> Option<Currency> {
        let bytes = code.as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return None;
        }
        let mut out = [0u8; 3];
        for (o, b) in out.iter_mut().zip(bytes) {
            *o = b.to_ascii_uppercase();
        }
        Some(Currency(out))
    }

    /// The upper-case code.
    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored (see `parse`), so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A currency column: stored as its three-letter code, read back only as a valid one, so a
/// row with a damaged code fails to load (a clear error) instead of turning into some default
/// currency.
mod column {
    use super::Currency;
    use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, StringLen, Value, ValueType, ValueTypeErr};
    use sea_orm::{ColIdx, DbErr, QueryResult, TryGetError, TryGetable};

    impl From<Currency> for Value {
        fn from(c: Currency) -> Value {
            Value::String(Some(Box::new(c.as_str().to_owned())))
        }
    }

    impl Nullable for Currency {
        fn null() -> Value {
            Value::String(None)
        }
    }

    impl ValueType for Currency {
        fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
            match v {
                Value::String(Some(s)) => Currency::parse(&s).ok_or(ValueTypeErr),
                _ => Err(ValueTypeErr),
            }
        }

        fn type_name() -> String {
            "Currency".to_owned()
        }

        fn array_type() -> ArrayType {
            ArrayType::String
        }

        fn column_type() -> ColumnType {
            ColumnType::String(StringLen::N(3))
        }
    }

    // A currency is never an auto-increment key; sea-orm asks because it is part of a
    // composite primary key (`usage_daily`).
    impl sea_orm::TryFromU64 for Currency {
        fn try_from_u64(_: u64) -> Result<Self, DbErr> {
            Err(DbErr::ConvertFromU64("Currency"))
        }
    }

    impl TryGetable for Currency {
        fn try_get_by<I: ColIdx>(res: &QueryResult, index: I) -> Result<Self, TryGetError> {
            let code = String::try_get_by(res, index)?;
            Currency::parse(&code).ok_or_else(|| {
                TryGetError::DbErr(DbErr::Type(format!("stored currency {code:?} is not a currency code")))
            })
        }
    }
}

/// An amount of money in the currency's minor units (satang for THB, cents for USD).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// Amount in minor units; negative for refunds and credits.
    pub minor: i64,
    /// Currency of the amount.
    pub currency: Currency,
}

impl Money {
    /// Builds an amount from minor units.
    pub fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    /// Adds two amounts of the same currency; `None` on a currency mismatch or overflow, so
    /// mixing currencies can never silently produce a number.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        if self.currency != other.currency {
            return None;
        }
        Some(Money::new(self.minor.checked_add(other.minor)?, self.currency))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_codes_are_normalised_and_validated() {
        assert_eq!(Currency::parse("thb"), Some(Currency::THB));
        assert_eq!(Currency::parse("THB").map(|c| c.to_string()), Some("THB".into()));
        assert_eq!(Currency::parse("TH"), None);
        assert_eq!(Currency::parse("T1B"), None);
    }

    #[test]
    fn adding_money_of_different_currencies_is_refused() {
        let usd = Currency::parse("USD").expect("valid code");
        let a = Money::new(100, Currency::THB);
        assert_eq!(
            a.checked_add(Money::new(50, Currency::THB)),
            Some(Money::new(150, Currency::THB))
        );
        assert_eq!(a.checked_add(Money::new(50, usd)), None);
        assert_eq!(Money::new(i64::MAX, Currency::THB).checked_add(a), None);
    }
}
