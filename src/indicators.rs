//! Actual figures reported against a plan line's indicators: by each half-year return's
//! projects, and at year end by the final report's lines.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{Error, Violations};
use crate::measures::{Comparison, Measure, describe_target, stored_comparison, stored_target};
use crate::plans::{IndicatorRef, LineRef};

#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct IndicatorActualInput {
    /// The indicator's number within the plan line.
    pub indicator: i32,
    pub actual: Measure,
}

/// An actual figure against its target, and whether it meets it (null for qualitative
/// indicators).
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct IndicatorActual {
    pub indicator: i32,
    pub name: String,
    pub comparison: Option<Comparison>,
    pub target: Option<Measure>,
    pub unit: String,
    pub target_text: Option<String>,
    pub actual: Measure,
    pub met: Option<bool>,
}

impl IndicatorActual {
    /// An actual as a document's details read it back, with its indicator's number, name,
    /// comparison, target and unit as stored; `None` for an actual that no longer parses.
    pub fn stored(
        number: i32,
        name: String,
        comparison: Option<&str>,
        target: Option<&str>,
        unit: String,
        actual: &str,
    ) -> Option<IndicatorActual> {
        let actual: Measure = actual.parse().ok()?;
        let comparison = stored_comparison(comparison);
        let target = stored_target(target);
        let judged = comparison.zip(target);
        Some(IndicatorActual {
            indicator: number,
            name,
            comparison,
            target,
            target_text: judged.map(|(c, t)| describe_target(c, t, &unit)),
            met: judged.map(|(c, t)| c.met(actual, t)),
            unit,
            actual,
        })
    }
}

/// Each actual names one of the line's indicators, once. `field` names the actual at an index.
pub fn check(
    v: &mut Violations,
    line: Option<&LineRef>,
    actuals: &[IndicatorActualInput],
    field: impl Fn(usize) -> String,
) {
    let mut reported = BTreeSet::new();
    for (j, actual) in actuals.iter().enumerate() {
        if let Some(line) = line {
            v.check(
                line.indicators.iter().any(|ind| ind.number == actual.indicator),
                field(j),
                "not_an_indicator",
                format!("plan line {} has no indicator {}", line.number, actual.indicator),
            );
        }
        v.check(
            reported.insert(actual.indicator),
            field(j),
            "unique",
            "is reported twice",
        );
    }
}

/// The indicator an actual was checked to name.
pub fn named<'a>(line: &'a LineRef, actual: &IndicatorActualInput) -> Result<&'a IndicatorRef, Error> {
    line.indicators
        .iter()
        .find(|i| i.number == actual.indicator)
        .ok_or_else(|| Error::internal("indicator checked above"))
}
