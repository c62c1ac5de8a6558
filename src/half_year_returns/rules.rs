//! The half-year return's rules, as plain functions over its content.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::HalfYearReturnInput;
use crate::error::Violations;
use crate::indicators;
use crate::money::Money;
use crate::plans::LineRef;

const MAX_TEXT: usize = 20_000;
const MAX_SHORT: usize = 300;

/// What a return is checked against.
pub struct Context<'a> {
    pub fund_year: (NaiveDate, NaiveDate),
    /// Grant plus carry-forward.
    pub available: Money,
    /// Claimed by the allocation's other half-year return.
    pub claimed_elsewhere: Money,
    /// The allocation's plan lines, if it has a plan.
    pub lines: Option<&'a [LineRef]>,
}

pub fn check(v: &mut Violations, input: &HalfYearReturnInput, context: &Context) {
    let (starts_on, ends_on) = context.fund_year;
    v.check(
        (starts_on..=ends_on).contains(&input.half_year_end),
        "half_year_end",
        "within_fund_year",
        format!("must fall within the fund year ({starts_on} to {ends_on})"),
    );
    v.optional_text("invoice_reference", Some(&input.invoice_reference), MAX_SHORT);
    let claimed = context.claimed_elsewhere.checked_add(input.amount_claimed);
    let unclaimed = context
        .available
        .checked_sub(context.claimed_elsewhere)
        .unwrap_or(Money::ZERO);
    v.check(
        claimed.is_some_and(|c| c <= context.available),
        "amount_claimed",
        "exceeds_unclaimed",
        format!(
            "only {unclaimed} of the {} available is left unclaimed",
            context.available
        ),
    );

    let mut cited = BTreeSet::new();
    for (i, project) in input.projects.iter().enumerate() {
        let at = |field: &str| format!("projects[{i}].{field}");
        let line = match context.lines {
            None => {
                v.add(
                    at("plan_line"),
                    "no_plan",
                    "the allocation has no spending plan to report against",
                );
                None
            }
            Some(lines) => {
                let line = lines.iter().find(|l| l.number == project.plan_line);
                v.check(
                    line.is_some(),
                    at("plan_line"),
                    "not_in_plan",
                    format!("the allocation's plan has no line {}", project.plan_line),
                );
                line
            }
        };
        v.check(
            cited.insert(project.plan_line),
            at("plan_line"),
            "unique",
            "is reported on twice",
        );
        v.text(&at("provider"), &project.provider, MAX_SHORT);
        v.optional_text(&at("commissioning_body"), Some(&project.commissioning_body), MAX_SHORT);
        for (field, text) in [
            ("intended_outcomes", &project.intended_outcomes),
            ("how_measured", &project.how_measured),
            ("extent_achieved", &project.extent_achieved),
            ("actions", &project.actions),
        ] {
            v.optional_text(&at(field), Some(text), MAX_TEXT);
        }
        for (j, item) in project.expenditure.iter().enumerate() {
            v.text(
                &format!("projects[{i}].expenditure[{j}].description"),
                &item.description,
                MAX_SHORT,
            );
        }
        v.check(
            Money::sum(project.expenditure.iter().map(|e| e.amount)).is_some(),
            at("expenditure"),
            "max_amount",
            "the expenditure is too large to add up",
        );
        if let (Some(line), Some(total)) = (line, project.total_service_funding) {
            v.check(
                total >= line.amount,
                at("total_service_funding"),
                "below_funding",
                format!("cannot be less than the {} this fund gives the project", line.amount),
            );
        }
        indicators::check(v, line, &project.indicator_actuals, |j| {
            format!("projects[{i}].indicator_actuals[{j}].indicator")
        });
    }
}

/// The letter of the project at `index`: A..Z, then AA, AB...
pub fn letter(index: usize) -> String {
    let mut n = index;
    let mut letters = Vec::new();
    loop {
        letters.push(char::from(b'A' + (n % 26) as u8));
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    letters.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projects_are_lettered_like_the_form() {
        let letters: Vec<String> = [0, 1, 7, 25, 26, 27, 51, 52].into_iter().map(letter).collect();
        assert_eq!(letters, ["A", "B", "H", "Z", "AA", "AB", "AZ", "BA"]);
    }
}
