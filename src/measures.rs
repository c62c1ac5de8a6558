//! Measurable outcome indicators: a target with a comparison and a unit ("re-referral rate less
//! than 20 %", "engagement at least 75 %"), and the actual figures reported against them.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::{PartialSchema, ToSchema};

/// A measured quantity: an exact decimal written as a string ("20", "84.5"), at most four places.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Measure(Decimal);

const MAX_PLACES: u32 = 4;

impl Measure {
    pub fn value(self) -> Decimal {
        self.0
    }
}

impl FromStr for Measure {
    type Err = &'static str;

    fn from_str(text: &str) -> Result<Measure, Self::Err> {
        let unsigned = text.strip_prefix('-').unwrap_or(text);
        let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
        let digits = |s: &str| !s.is_empty() && s.len() <= 15 && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || !digits(fraction) {
            return Err("must be a decimal number written as a string, e.g. \"75\" or \"12.5\"");
        }
        let value = Decimal::from_str(text)
            .map_err(|_| "must be a decimal number written as a string")?
            .normalize();
        if value.scale() > MAX_PLACES {
            return Err("must have at most four decimal places");
        }
        Ok(Measure(value))
    }
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for Measure {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Measure {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Measure, D::Error> {
        let refuse = |message: &str| serde::de::Error::custom(crate::error::tagged("decimal_format", &message));
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::String(text) => text.parse().map_err(|m: &str| refuse(m)),
            _ => Err(refuse("must be a decimal number written as a string, e.g. \"75\"")),
        }
    }
}

impl PartialSchema for Measure {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .pattern(Some(r"^-?[0-9]+(\.[0-9]{1,4})?$"))
            .description(Some(
                "An exact decimal number as a string, at most four decimal places.",
            ))
            .examples([serde_json::json!("75")])
            .into()
    }
}

impl ToSchema for Measure {}

/// How an actual figure is compared with its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    LessThan,
    AtMost,
    EqualTo,
    AtLeast,
    MoreThan,
}

impl Comparison {
    pub const ALL: [Comparison; 5] = [
        Comparison::LessThan,
        Comparison::AtMost,
        Comparison::EqualTo,
        Comparison::AtLeast,
        Comparison::MoreThan,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::LessThan => "less_than",
            Comparison::AtMost => "at_most",
            Comparison::EqualTo => "equal_to",
            Comparison::AtLeast => "at_least",
            Comparison::MoreThan => "more_than",
        }
    }

    pub fn parse(text: &str) -> Option<Comparison> {
        Comparison::ALL.into_iter().find(|c| c.as_str() == text)
    }

    fn symbol(self) -> &'static str {
        match self {
            Comparison::LessThan => "<",
            Comparison::AtMost => "<=",
            Comparison::EqualTo => "=",
            Comparison::AtLeast => ">=",
            Comparison::MoreThan => ">",
        }
    }

    /// Whether `actual` meets a target of `target` under this comparison.
    pub fn met(self, actual: Measure, target: Measure) -> bool {
        match self {
            Comparison::LessThan => actual < target,
            Comparison::AtMost => actual <= target,
            Comparison::EqualTo => actual == target,
            Comparison::AtLeast => actual >= target,
            Comparison::MoreThan => actual > target,
        }
    }
}

/// An indicator's comparison as stored (a text column), read back.
pub fn stored_comparison(stored: Option<&str>) -> Option<Comparison> {
    stored.and_then(Comparison::parse)
}

/// An indicator's target as stored (a text column), read back.
pub fn stored_target(stored: Option<&str>) -> Option<Measure> {
    stored.and_then(|t| t.parse().ok())
}

/// The target of an indicator, written out: "< 20 %".
pub fn describe_target(comparison: Comparison, target: Measure, unit: &str) -> String {
    let text = format!("{} {}", comparison.symbol(), target);
    if unit.is_empty() {
        text
    } else {
        format!("{text} {unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &str) -> Measure {
        text.parse().unwrap()
    }

    #[test]
    fn targets_are_met_by_their_comparison() {
        assert!(Comparison::LessThan.met(m("4"), m("20")));
        assert!(!Comparison::LessThan.met(m("20"), m("20")));
        assert!(Comparison::AtLeast.met(m("84"), m("75")));
        assert!(Comparison::AtLeast.met(m("75.0"), m("75")));
        assert!(!Comparison::AtLeast.met(m("68"), m("75")));
        assert!(Comparison::EqualTo.met(m("100"), m("100.00")));
    }

    #[test]
    fn measures_are_exact_plain_decimals() {
        assert_eq!(m("12.50").to_string(), "12.5");
        assert!("1e3".parse::<Measure>().is_err());
        assert!("0.12345".parse::<Measure>().is_err());
        assert_eq!(describe_target(Comparison::LessThan, m("20"), "%"), "< 20 %");
    }
}
