//! The Spending Intentions Plan's rules, as plain functions over its content.

use std::collections::BTreeSet;

use super::PlanLineInput;
use crate::error::Violations;
use crate::money::Money;

pub const MAX_TITLE: usize = 500;
pub const MAX_TEXT: usize = 20_000;
pub const MAX_SHORT: usize = 300;
pub const MAX_LINE_NUMBER: i32 = 999;

/// Checks a plan's lines against the money available and the fund year's priority numbers.
pub fn check_lines(v: &mut Violations, lines: &[PlanLineInput], available: Money, priority_numbers: &BTreeSet<i32>) {
    let mut numbers = BTreeSet::new();
    for (i, line) in lines.iter().enumerate() {
        let at = |field: &str| format!("lines[{i}].{field}");
        v.check(
            (1..=MAX_LINE_NUMBER).contains(&line.number),
            at("number"),
            "range",
            format!("must be between 1 and {MAX_LINE_NUMBER}"),
        );
        v.check(
            numbers.insert(line.number),
            at("number"),
            "unique",
            format!("line {} is listed twice", line.number),
        );
        v.text(&at("title"), &line.title, MAX_TITLE);
        v.optional_text(&at("outline"), Some(&line.outline), MAX_TEXT);
        v.optional_text(&at("outcome_measures"), Some(&line.outcome_measures), MAX_TEXT);
        v.optional_text(&at("provider"), line.provider.as_deref(), MAX_SHORT);

        for (j, sub) in line.sub_allocations.iter().enumerate() {
            v.text(&format!("lines[{i}].sub_allocations[{j}].label"), &sub.label, MAX_SHORT);
        }
        let sub_total = Money::sum(line.sub_allocations.iter().map(|s| s.amount));
        v.check(
            sub_total.is_some_and(|total| total <= line.amount),
            at("sub_allocations"),
            "exceeds_line",
            format!(
                "sub-allocations add up to {} but the line allocates {}",
                sub_total.map(|t| t.to_string()).unwrap_or_else(|| "too much".into()),
                line.amount
            ),
        );
        if let Some(total) = line.total_contract_value {
            v.check(
                total >= line.amount,
                at("total_contract_value"),
                "below_line_amount",
                format!(
                    "the total contract value cannot be less than the {} the line allocates",
                    line.amount
                ),
            );
        }

        let mut cited = BTreeSet::new();
        for (j, number) in line.priorities.iter().enumerate() {
            let field = format!("lines[{i}].priorities[{j}]");
            v.check(
                priority_numbers.contains(number),
                &field,
                "unknown_priority",
                format!(
                    "{number} is not a priority of this fund year's Police & Crime Plan (known: {})",
                    priority_numbers
                        .iter()
                        .map(i32::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            v.check(cited.insert(*number), field, "unique", "is cited twice");
        }

        let mut indicator_numbers = BTreeSet::new();
        for (j, indicator) in line.indicators.iter().enumerate() {
            let at = |field: &str| format!("lines[{i}].indicators[{j}].{field}");
            v.check(indicator.number >= 1, at("number"), "range", "must be 1 or more");
            v.check(
                indicator_numbers.insert(indicator.number),
                at("number"),
                "unique",
                "is listed twice",
            );
            v.text(&at("name"), &indicator.name, MAX_TITLE);
            v.optional_text(&at("unit"), Some(&indicator.unit), 40);
            v.check(
                indicator.comparison.is_some() == indicator.target.is_some(),
                at("target"),
                "target_and_comparison",
                "give both a comparison and a target, or neither for a qualitative indicator",
            );
        }
    }
    let total = Money::sum(lines.iter().map(|l| l.amount));
    v.check(
        total.is_some_and(|total| total <= available),
        "lines",
        "exceeds_available",
        format!(
            "the lines add up to {} but only {available} is available (grant plus carry-forward)",
            total.map(|t| t.to_string()).unwrap_or_else(|| "too much".into())
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::measures::Comparison;
    use crate::plans::{IndicatorInput, SubAllocation};

    fn line(number: i32, amount: i64) -> PlanLineInput {
        PlanLineInput {
            number,
            title: format!("Line {number}"),
            outline: String::new(),
            amount: Money::pounds(amount),
            sub_allocations: Vec::new(),
            provider: None,
            total_contract_value: None,
            priorities: vec![3],
            outcome_measures: String::new(),
            indicators: Vec::new(),
            recommendation_id: None,
        }
    }

    fn broken(lines: &[PlanLineInput], available: i64) -> Vec<String> {
        let mut v = Violations::new();
        check_lines(&mut v, lines, Money::pounds(available), &(1..=5).collect());
        match v.finish() {
            Ok(()) => Vec::new(),
            Err(Error::Invalid(errors)) => errors.into_iter().map(|e| format!("{}:{}", e.field, e.rule)).collect(),
            Err(other) => vec![other.to_string()],
        }
    }

    #[test]
    fn the_2021_22_plan_fits_its_grant_exactly() {
        let mut first = line(1, 240_819);
        first.sub_allocations = vec![
            SubAllocation {
                label: "PDAS".into(),
                amount: Money::pounds(210_000),
            },
            SubAllocation {
                label: "Perpetrator pilot".into(),
                amount: Money::pounds(30_819),
            },
        ];
        let lines = [
            first,
            line(2, 25_000),
            line(3, 93_575),
            line(4, 26_500),
            line(5, 10_000),
            line(6, 4_674),
        ];
        assert!(broken(&lines, 400_568).is_empty());
        assert_eq!(broken(&lines, 400_567), ["lines:exceeds_available"]);
    }

    #[test]
    fn lines_sub_allocations_priorities_and_indicators_are_checked() {
        let mut l = line(1, 100);
        l.sub_allocations = vec![SubAllocation {
            label: "a".into(),
            amount: Money::pounds(101),
        }];
        l.total_contract_value = Some(Money::pounds(99));
        l.priorities = vec![3, 6, 3];
        l.indicators = vec![
            IndicatorInput {
                number: 1,
                name: "Re-referral rate".into(),
                comparison: Some(Comparison::LessThan),
                target: None,
                unit: "%".into(),
            },
            IndicatorInput {
                number: 1,
                name: "Staff satisfied".into(),
                comparison: None,
                target: None,
                unit: String::new(),
            },
        ];
        assert_eq!(
            broken(&[l, line(1, 1)], 1_000),
            [
                "lines[0].sub_allocations:exceeds_line",
                "lines[0].total_contract_value:below_line_amount",
                "lines[0].priorities[1]:unknown_priority",
                "lines[0].priorities[2]:unique",
                "lines[0].indicators[0].target:target_and_comparison",
                "lines[0].indicators[1].number:unique",
                "lines[1].number:unique",
            ]
        );
    }
}
