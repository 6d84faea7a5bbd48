//! Money as integer minor units plus a currency: exact, and unambiguous across currencies whose
//! minor unit differs (THB has 2 decimals, JPY none).

use serde::{Deserialize, Serialize};
use std::fmt;

/// An ISO 4217 currency code in upper case (`THB`, `USD`, `JPY`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
