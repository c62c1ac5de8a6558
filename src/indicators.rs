//! Actual figures reported against a plan line's indicators: by each half-year return's
//! projects, and at year end by the final report's lines.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{Error, Violations};
use crate::measures::{Comparison, Measure, describe_target};
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
    pub fn against(indicator: &IndicatorRef, actual: Measure) -> IndicatorActual {
        let target = indicator.comparison.zip(indicator.target);
        IndicatorActual {
            indicator: indicator.number,
            name: indicator.name.clone(),
            comparison: indicator.comparison,
            target: indicator.target,
            unit: indicator.unit.clone(),
            target_text: target.map(|(c, t)| describe_target(c, t, &indicator.unit)),
            met: target.map(|(c, t)| c.met(actual, t)),
            actual,
        }
    }
}

/// The actuals stored for one line, as (indicator id, actual), viewed against the line's
/// indicators; an actual that no longer parses or names a removed indicator is left out.
pub fn view(line: &LineRef, stored: Vec<(i64, String)>) -> Vec<IndicatorActual> {
    stored
        .into_iter()
        .filter_map(|(indicator_id, actual)| {
            let indicator = line.indicators.iter().find(|i| i.id == indicator_id)?;
            Some(IndicatorActual::against(indicator, actual.parse().ok()?))
        })
        .collect()
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
