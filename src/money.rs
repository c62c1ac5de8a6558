//! Money: exact pounds and pence. Stored as integer pence (BIGINT), written in JSON as a decimal
//! string with two places ("400568.00"), computed with `rust_decimal`. Never a float.
//!
//! This module is the one place where pence, decimals and strings meet.

use std::fmt;
use std::str::FromStr;

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::BigInt;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::{PartialSchema, ToSchema};

/// The largest amount accepted: just under one trillion pounds, so sums of many amounts stay far
/// from overflowing 64-bit pence.
const MAX_PENCE: i64 = 99_999_999_999_999;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = BigInt)]
pub struct Money(i64);

/// Why a text is not an acceptable amount; `rule` is the machine-readable name clients see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("must be a decimal amount written as a string, e.g. \"400568.00\"")]
    Format,
    #[error("must have at most two decimal places")]
    TooPrecise,
    #[error("must not be negative")]
    Negative,
    #[error("must be at most 999999999999.99")]
    TooLarge,
}

impl MoneyError {
    pub fn rule(&self) -> &'static str {
        match self {
            MoneyError::Format => "decimal_format",
            MoneyError::TooPrecise => "max_two_decimal_places",
            MoneyError::Negative => "non_negative",
            MoneyError::TooLarge => "max_amount",
        }
    }
}

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_pence(pence: i64) -> Money {
        Money(pence)
    }

    pub const fn pence(self) -> i64 {
        self.0
    }

    /// Whole pounds, for tests and fixtures.
    pub const fn pounds(pounds: i64) -> Money {
        Money(pounds * 100)
    }

    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    /// Exact conversion: a value that would need rounding is refused, never rounded.
    pub fn from_decimal(value: Decimal) -> Result<Money, MoneyError> {
        let value = value.normalize();
        if value.scale() > 2 {
            return Err(MoneyError::TooPrecise);
        }
        let pence = value
            .checked_mul(Decimal::ONE_HUNDRED)
            .and_then(|p| i64::try_from(p).ok())
            .filter(|p| p.abs() <= MAX_PENCE)
            .ok_or(MoneyError::TooLarge)?;
        Ok(Money(pence))
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// This amount as a percentage of `whole`, to two places ("28.99"); `None` when `whole` is
    /// zero. A ratio for display, so it is rounded (half away from zero), unlike money.
    pub fn percent_of(self, whole: Money) -> Option<String> {
        if whole.0 <= 0 {
            return None;
        }
        let share = (self.to_decimal() * Decimal::ONE_HUNDRED / whole.to_decimal())
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        Some(format!("{share:.2}"))
    }

    /// Sums amounts; `None` on overflow (impossible within [`MAX_PENCE`] for any realistic count).
    pub fn sum<I: IntoIterator<Item = Money>>(amounts: I) -> Option<Money> {
        amounts
            .into_iter()
            .try_fold(Money::ZERO, |total, amount| total.checked_add(amount))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_decimal())
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    /// Plain decimal notation only: optional minus, digits, optional point and digits.
    fn from_str(text: &str) -> Result<Money, MoneyError> {
        let unsigned = text.strip_prefix('-').unwrap_or(text);
        let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || !digits(fraction) {
            return Err(MoneyError::Format);
        }
        let value = Decimal::from_str(text).map_err(|_| MoneyError::TooLarge)?;
        Money::from_decimal(value)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Amounts a client sends are never negative; the rule is enforced as the JSON is read, so the
/// error names the exact field.
impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        let refuse = |e: MoneyError| serde::de::Error::custom(crate::error::tagged(e.rule(), &e));
        let text = match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::String(text) => text,
            _ => return Err(refuse(MoneyError::Format)),
        };
        let amount = text.parse::<Money>().map_err(refuse)?;
        if amount.is_negative() {
            return Err(refuse(MoneyError::Negative));
        }
        Ok(amount)
    }
}

impl PartialSchema for Money {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .pattern(Some(r"^-?[0-9]+(\.[0-9]{1,2})?$"))
            .description(Some(
                "An exact amount in pounds as a decimal string with at most two places. \
                 Responses always carry two places.",
            ))
            .examples([serde_json::json!("400568.00")])
            .into()
    }
}

impl ToSchema for Money {}

impl<DB> ToSql<BigInt, DB> for Money
where
    DB: Backend,
    i64: ToSql<BigInt, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        self.0.to_sql(out)
    }
}

impl<DB> FromSql<BigInt, DB> for Money
where
    DB: Backend,
    i64: FromSql<BigInt, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        i64::from_sql(bytes).map(Money)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_not_negative() {
        let pence = |p: i64| Money::from_pence(p);
        assert!(pence(-1).is_negative());
        assert!(!pence(0).is_negative());
        assert!(!pence(1).is_negative());
    }

    #[test]
    fn parses_and_prints_two_places() {
        let grant: Money = "400568".parse().unwrap_or_default();
        assert_eq!(grant, Money::pounds(400_568));
        assert_eq!(grant.to_string(), "400568.00");
        assert_eq!("0.5".parse::<Money>().map(|m| m.to_string()), Ok("0.50".into()));
        assert_eq!("12.34".parse::<Money>().map(Money::pence), Ok(1234));
        assert_eq!("1.500".parse::<Money>().map(Money::pence), Ok(150));
    }

    #[test]
    fn refuses_rather_than_rounds() {
        assert_eq!("1.005".parse::<Money>(), Err(MoneyError::TooPrecise));
        assert_eq!("1e5".parse::<Money>(), Err(MoneyError::Format));
        assert_eq!(" 1".parse::<Money>(), Err(MoneyError::Format));
        assert_eq!("1.".parse::<Money>(), Err(MoneyError::Format));
        assert_eq!("+1".parse::<Money>(), Err(MoneyError::Format));
        assert_eq!("1000000000000".parse::<Money>(), Err(MoneyError::TooLarge));
    }

    #[test]
    fn percentages_are_rounded_to_two_places() {
        assert_eq!(
            Money::pounds(160_200).percent_of(Money::pounds(552_500)),
            Some("29.00".into())
        );
        assert_eq!(
            Money::pounds(25_000).percent_of(Money::pounds(75_000)),
            Some("33.33".into())
        );
        assert_eq!(Money::pounds(1).percent_of(Money::ZERO), None);
    }

    #[test]
    fn json_amounts_are_non_negative_strings() {
        let read = |json: &str| serde_json::from_str::<Money>(json).map_err(|e| e.to_string());
        assert_eq!(read("\"27678.00\""), Ok(Money::pounds(27_678)));
        assert!(read("27678").is_err_and(|e| e.contains("decimal_format")));
        assert!(read("\"-1.00\"").is_err_and(|e| e.contains("non_negative")));
        assert_eq!(
            serde_json::to_string(&Money::from_pence(-44_000)).ok(),
            Some("\"-440.00\"".into())
        );
    }
}
