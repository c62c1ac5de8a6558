//! The rules a commissioning paper's content must hold, as plain functions over its input.

use std::collections::{BTreeSet, HashSet};

use super::model::*;
use crate::error::Violations;
use crate::money::Money;

pub const MAX_FUND_YEARS: usize = 5;
pub const MAX_PRIORITIES: usize = 50;
pub const MAX_RECOMMENDATIONS: usize = 100;
const MAX_TITLE: usize = 300;
const MAX_TEXT: usize = 10_000;
const MAX_CONTEXT: usize = 100_000;

/// The fund years a paper covers: one to five labels, none twice.
pub fn check_fund_years(v: &mut Violations, labels: &[String]) {
    v.check(
        !labels.is_empty(),
        "fund_years",
        "required",
        "name at least one fund year",
    );
    v.check(
        labels.len() <= MAX_FUND_YEARS,
        "fund_years",
        "max_items",
        format!("a paper covers at most {MAX_FUND_YEARS} fund years"),
    );
    let distinct: HashSet<&String> = labels.iter().collect();
    v.check(
        distinct.len() == labels.len(),
        "fund_years",
        "unique",
        "names a fund year twice",
    );
}

/// Everything but the fund years: texts, numbering, the priorities' aims (each in
/// `plan_priorities`, the Police & Crime Plan priorities of every year covered; `None` when the
/// years named are not all known, and the aims cannot be judged) and the recommendations' amounts
/// and priorities.
pub fn check_content(v: &mut Violations, input: &CommissioningPaperInput, plan_priorities: Option<&BTreeSet<i32>>) {
    v.text("title", &input.title, MAX_TITLE);
    v.check(
        input.context.chars().count() <= MAX_CONTEXT,
        "context",
        "max_length",
        format!("must be at most {MAX_CONTEXT} characters"),
    );
    v.check(
        input.priorities.len() <= MAX_PRIORITIES,
        "priorities",
        "max_items",
        format!("at most {MAX_PRIORITIES} priorities"),
    );
    v.check(
        input.recommendations.len() <= MAX_RECOMMENDATIONS,
        "recommendations",
        "max_items",
        format!("at most {MAX_RECOMMENDATIONS} recommendations"),
    );
    let mut own = BTreeSet::new();
    for (i, priority) in input.priorities.iter().enumerate() {
        let at = format!("priorities[{i}]");
        numbered(v, &at, priority.number, &mut own);
        v.text(&format!("{at}.title"), &priority.title, MAX_TITLE);
        v.check(
            !priority.plan_priorities.is_empty(),
            format!("{at}.plan_priorities"),
            "required",
            "name the Police & Crime Plan priorities it serves",
        );
        if let Some(plan_priorities) = plan_priorities {
            cited(
                v,
                &format!("{at}.plan_priorities"),
                &priority.plan_priorities,
                plan_priorities,
                "the Police & Crime Plan of every fund year the paper covers",
            );
        }
    }
    let mut numbers = BTreeSet::new();
    for (i, recommendation) in input.recommendations.iter().enumerate() {
        let at = format!("recommendations[{i}]");
        numbered(v, &at, recommendation.number, &mut numbers);
        v.text(&format!("{at}.area_need"), &recommendation.area_need, MAX_TEXT);
        v.text(
            &format!("{at}.recommendation"),
            &recommendation.recommendation,
            MAX_TEXT,
        );
        check_amount(v, &format!("{at}.opcc_contribution"), &recommendation.opcc_contribution);
        check_amount(v, &format!("{at}.total_budget"), &recommendation.total_budget);
        if let (Some(contribution), Some(budget)) = (
            recommendation.opcc_contribution.known(),
            recommendation.total_budget.known(),
        ) {
            v.check(
                contribution <= budget,
                format!("{at}.opcc_contribution"),
                "exceeds_total_budget",
                format!("the OPCC contribution {contribution} exceeds the total budget {budget}"),
            );
        }
        cited(
            v,
            &format!("{at}.priorities"),
            &recommendation.priorities,
            &own,
            "the paper's priorities",
        );
    }
}

/// A child's number: at least 1, and not used twice in its list.
fn numbered(v: &mut Violations, at: &str, number: i32, seen: &mut BTreeSet<i32>) {
    v.check(number >= 1, format!("{at}.number"), "minimum", "must be 1 or more");
    v.check(
        seen.insert(number),
        format!("{at}.number"),
        "unique",
        format!("number {number} is used twice"),
    );
}

/// Numbers cited from a list: each once, each in `known`.
fn cited(v: &mut Violations, at: &str, numbers: &[i32], known: &BTreeSet<i32>, of: &str) {
    let mut seen = BTreeSet::new();
    for number in numbers {
        v.check(seen.insert(*number), at, "unique", format!("cites {number} twice"));
        v.check(
            known.contains(number),
            at,
            "unknown_priority",
            format!("{number} is not among {of}"),
        );
    }
}

/// An amount given exactly when it is known, and then more than zero: "none" says there is none.
pub fn check_amount(v: &mut Violations, at: &str, amount: &ProposedAmount) {
    match (amount.state, amount.amount) {
        (AmountState::Known, None) => v.add(at.to_owned() + ".amount", "required", "a known amount needs its amount"),
        (AmountState::Known, Some(value)) => v.check(
            value > Money::ZERO,
            at.to_owned() + ".amount",
            "positive",
            "a known amount is more than zero; use the state \"none\" for none",
        ),
        (state, Some(_)) => v.add(
            at.to_owned() + ".amount",
            "not_allowed",
            format!("an amount that is {state} has no amount"),
        ),
        (_, None) => {}
    }
}

/// A paper can be put to its board once it recommends something.
pub fn check_complete(paper: &CommissioningPaper) -> Violations {
    let mut v = Violations::new();
    v.check(
        !paper.recommendations.is_empty(),
        "recommendations",
        "required",
        "a paper put to the board recommends at least one thing",
    );
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(state: AmountState, pounds: Option<i64>) -> ProposedAmount {
        ProposedAmount {
            state,
            amount: pounds.map(Money::pounds),
        }
    }

    fn paper(contribution: ProposedAmount, budget: ProposedAmount) -> CommissioningPaperInput {
        CommissioningPaperInput {
            fund_years: None,
            title: "Integrated Commissioning".into(),
            context: String::new(),
            priorities: vec![CommissioningPriorityInput {
                number: 1,
                title: "Hate Crime".into(),
                source: PrioritySource::StrategicAssessment,
                plan_priorities: vec![1],
            }],
            recommendations: vec![RecommendationInput {
                number: 1,
                area_need: "Victims of domestic abuse".into(),
                recommendation: "Continue the contract".into(),
                opcc_contribution: contribution,
                total_budget: budget,
                priorities: vec![1],
            }],
        }
    }

    fn broken(input: &CommissioningPaperInput) -> Vec<String> {
        let mut v = Violations::new();
        check_content(&mut v, input, Some(&BTreeSet::from([1, 2, 3, 4, 5])));
        match v.finish() {
            Ok(()) => Vec::new(),
            Err(crate::error::Error::Invalid(errors)) => {
                errors.into_iter().map(|e| format!("{}:{}", e.field, e.rule)).collect()
            }
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_seed_rows_hold() {
        let known = |p| amount(AmountState::Known, Some(p));
        assert!(broken(&paper(known(110_000), known(501_753))).is_empty());
        assert!(
            broken(&paper(
                amount(AmountState::AwaitingConfirmation, None),
                amount(AmountState::NoAmount, None)
            ))
            .is_empty()
        );
        assert!(broken(&paper(amount(AmountState::ToBeConfirmed, None), known(2_000_000))).is_empty());
    }

    #[test]
    fn a_contribution_never_exceeds_a_known_budget() {
        let known = |p| amount(AmountState::Known, Some(p));
        assert_eq!(
            broken(&paper(known(75_001), known(75_000))),
            ["recommendations[0].opcc_contribution:exceeds_total_budget"]
        );
        assert!(broken(&paper(known(75_000), known(75_000))).is_empty());
    }

    #[test]
    fn an_amount_is_given_exactly_when_known_and_never_a_made_up_zero() {
        assert_eq!(
            broken(&paper(
                amount(AmountState::Known, None),
                amount(AmountState::NoAmount, None)
            )),
            ["recommendations[0].opcc_contribution.amount:required"]
        );
        assert_eq!(
            broken(&paper(
                amount(AmountState::Known, Some(0)),
                amount(AmountState::NoAmount, None)
            )),
            ["recommendations[0].opcc_contribution.amount:positive"]
        );
        assert_eq!(
            broken(&paper(
                amount(AmountState::ToBeConfirmed, None),
                amount(AmountState::NoAmount, Some(5))
            )),
            ["recommendations[0].total_budget.amount:not_allowed"]
        );
    }

    #[test]
    fn priorities_serve_the_plan_and_recommendations_cite_the_papers_priorities() {
        let mut input = paper(
            amount(AmountState::ToBeConfirmed, None),
            amount(AmountState::NoAmount, None),
        );
        input.priorities[0].plan_priorities = vec![6];
        input.recommendations[0].priorities = vec![2];
        assert_eq!(
            broken(&input),
            [
                "priorities[0].plan_priorities:unknown_priority",
                "recommendations[0].priorities:unknown_priority"
            ]
        );
    }
}
