//! The final evaluation report's rules, as plain functions over its content: variances need
//! explaining, virements move only underspend, and after them no line is overspent.

use std::collections::{BTreeMap, BTreeSet};

use super::{FinalReport, FinalReportInput};
use crate::error::{Error, Violations};
use crate::indicators;
use crate::money::Money;
use crate::plans::LineRef;

const MAX_TEXT: usize = 20_000;
const MAX_SHORT: usize = 1_000;

pub struct Context<'a> {
    pub available: Money,
    /// The allocation's plan lines, if it has a plan.
    pub lines: Option<&'a [LineRef]>,
}

/// Money moved into and out of each plan line number by the virements.
pub fn movements(input: &FinalReportInput) -> BTreeMap<i32, (Money, Money)> {
    let mut moved: BTreeMap<i32, (Money, Money)> = BTreeMap::new();
    for virement in &input.virements {
        let from = moved.entry(virement.from_line).or_default();
        from.1 = from.1.checked_add(virement.amount).unwrap_or(from.1);
        let to = moved.entry(virement.to_line).or_default();
        to.0 = to.0.checked_add(virement.amount).unwrap_or(to.0);
    }
    moved
}

pub fn check(v: &mut Violations, input: &FinalReportInput, context: &Context) {
    let mut allocated_by_line: BTreeMap<i32, Money> = BTreeMap::new();
    let mut reported = BTreeSet::new();
    for (i, line) in input.lines.iter().enumerate() {
        let at = |field: &str| format!("lines[{i}].{field}");
        let plan_line = match context.lines {
            None => {
                v.add(
                    at("plan_line"),
                    "no_plan",
                    "the allocation has no spending plan to report against",
                );
                None
            }
            Some(lines) => {
                let found = lines.iter().find(|l| l.number == line.plan_line);
                v.check(
                    found.is_some(),
                    at("plan_line"),
                    "not_in_plan",
                    format!("the allocation's plan has no line {}", line.plan_line),
                );
                found
            }
        };
        v.check(
            reported.insert(line.plan_line),
            at("plan_line"),
            "unique",
            "is reported on twice",
        );
        v.optional_text(&at("variance_explanation"), Some(&line.variance_explanation), MAX_TEXT);
        v.optional_text(&at("outcomes"), Some(&line.outcomes), MAX_TEXT);
        v.optional_text(&at("case_study"), Some(&line.case_study), MAX_TEXT);
        v.check(
            line.case_study.trim().is_empty() || line.case_study_anonymised,
            at("case_study_anonymised"),
            "anonymised_confirmation_required",
            "confirm that the case study is anonymised and holds no personal data",
        );
        indicators::check(v, plan_line, &line.indicator_actuals, |j| {
            format!("lines[{i}].indicator_actuals[{j}].indicator")
        });
        if let Some(plan_line) = plan_line {
            allocated_by_line.insert(line.plan_line, plan_line.amount);
            v.check(
                line.actual_spend == plan_line.amount || !line.variance_explanation.trim().is_empty(),
                at("variance_explanation"),
                "explanation_required",
                format!(
                    "explain the difference between the {} allocated and the {} spent",
                    plan_line.amount, line.actual_spend
                ),
            );
        }
    }

    let mut moved_out: BTreeMap<i32, Money> = BTreeMap::new();
    for (i, virement) in input.virements.iter().enumerate() {
        let at = |field: &str| format!("virements[{i}].{field}");
        v.check(
            reported.contains(&virement.from_line),
            at("from_line"),
            "not_in_report",
            format!("line {} is not reported on", virement.from_line),
        );
        v.check(
            reported.contains(&virement.to_line),
            at("to_line"),
            "not_in_report",
            format!("line {} is not reported on", virement.to_line),
        );
        v.check(
            virement.from_line != virement.to_line,
            at("to_line"),
            "same_line",
            "must differ from from_line",
        );
        v.check(
            virement.amount > Money::ZERO,
            at("amount"),
            "positive",
            "must be more than zero",
        );
        v.text(&at("reason"), &virement.reason, MAX_SHORT);
        let line = input.lines.iter().find(|l| l.plan_line == virement.from_line);
        if let (Some(line), Some(allocated)) = (line, allocated_by_line.get(&virement.from_line)) {
            let underspend = allocated
                .checked_sub(line.actual_spend)
                .filter(|u| !u.is_negative())
                .unwrap_or(Money::ZERO);
            let out = moved_out.entry(virement.from_line).or_default();
            *out = out.checked_add(virement.amount).unwrap_or(Money::from_pence(i64::MAX));
            v.check(
                *out <= underspend,
                at("amount"),
                "exceeds_underspend",
                format!("line {} has only {underspend} underspent to move", virement.from_line),
            );
        }
    }

    let moved = movements(input);
    for (i, line) in input.lines.iter().enumerate() {
        let Some(allocated) = allocated_by_line.get(&line.plan_line) else {
            continue;
        };
        let (moved_in, moved_out) = moved.get(&line.plan_line).copied().unwrap_or_default();
        let after = allocated.checked_add(moved_in).and_then(|a| a.checked_sub(moved_out));
        v.check(
            after.is_some_and(|after| line.actual_spend <= after),
            format!("lines[{i}].actual_spend"),
            "overspend_not_covered",
            format!(
                "{} spent is more than the {} allocated after virements; move underspend from another line",
                line.actual_spend,
                after.map(|a| a.to_string()).unwrap_or_default()
            ),
        );
    }

    let spent = Money::sum(input.lines.iter().map(|l| l.actual_spend));
    v.check(
        spent.is_some_and(|s| s <= context.available),
        "lines",
        "exceeds_available",
        format!("more is reported spent than the {} available", context.available),
    );
    let unspent = spent
        .and_then(|s| context.available.checked_sub(s))
        .unwrap_or(Money::ZERO);
    let complete = context
        .lines
        .is_some_and(|lines| lines.iter().all(|l| reported.contains(&l.number)));
    if unspent > Money::ZERO && complete {
        v.check(
            input.unspent_treatment.is_some(),
            "unspent_treatment",
            "required",
            format!("{unspent} is unspent: propose to return it, carry it forward or offset it"),
        );
    }
    if unspent == Money::ZERO {
        v.check(
            input.unspent_treatment.is_none(),
            "unspent_treatment",
            "nothing_unspent",
            "nothing is unspent to treat",
        );
    }
    v.optional_text("treatment_notes", Some(&input.treatment_notes), MAX_TEXT);
}

/// A report can be signed once it reports on every plan line, each with outcomes and an
/// anonymised case study.
pub fn check_complete(report: &FinalReport, planned: &[LineRef]) -> Result<(), Error> {
    let mut v = Violations::new();
    let missing: Vec<String> = planned
        .iter()
        .filter(|l| report.lines.iter().all(|r| r.plan_line != l.number))
        .map(|l| l.number.to_string())
        .collect();
    v.check(
        missing.is_empty(),
        "lines",
        "required_for_submission",
        format!(
            "report on every plan line before signing; missing: {}",
            missing.join(", ")
        ),
    );
    for (i, line) in report.lines.iter().enumerate() {
        v.check(
            !line.outcomes.trim().is_empty(),
            format!("lines[{i}].outcomes"),
            "required_for_submission",
            "describe the outcomes",
        );
        v.check(
            !line.case_study.trim().is_empty(),
            format!("lines[{i}].case_study"),
            "required_for_submission",
            "give one particularly successful, anonymised positive outcome",
        );
    }
    v.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::final_reports::{FinalLineInput, VirementInput};

    fn plan_line(number: i32, amount: i64) -> LineRef {
        LineRef {
            id: i64::from(number),
            number,
            title: format!("Line {number}"),
            amount: Money::pounds(amount),
            indicators: Vec::new(),
        }
    }

    fn spent(plan_line: i32, pounds: i64, explanation: &str) -> FinalLineInput {
        FinalLineInput {
            plan_line,
            actual_spend: Money::pounds(pounds),
            variance_explanation: explanation.into(),
            outcomes: String::new(),
            case_study: String::new(),
            case_study_anonymised: false,
            indicator_actuals: Vec::new(),
        }
    }

    fn virement(from_line: i32, to_line: i32, pounds: i64) -> VirementInput {
        VirementInput {
            from_line,
            to_line,
            amount: Money::pounds(pounds),
            reason: "offset".into(),
        }
    }

    fn broken(input: &FinalReportInput, plan: &[LineRef], available: i64) -> Vec<String> {
        let mut v = Violations::new();
        check(
            &mut v,
            input,
            &Context {
                available: Money::pounds(available),
                lines: Some(plan),
            },
        );
        match v.finish() {
            Ok(()) => Vec::new(),
            Err(Error::Invalid(errors)) => errors.into_iter().map(|e| format!("{}:{}", e.field, e.rule)).collect(),
            Err(other) => vec![other.to_string()],
        }
    }

    fn report(lines: Vec<FinalLineInput>, virements: Vec<VirementInput>) -> FinalReportInput {
        FinalReportInput {
            allocation_id: None,
            lines,
            virements,
            unspent_treatment: None,
            treatment_notes: String::new(),
        }
    }

    #[test]
    fn the_asb_overspend_is_met_from_the_infrastructure_underspend() {
        let plan = [plan_line(6, 16_046), plan_line(8, 39_000)];
        let balanced = report(
            vec![
                spent(6, 16_486, "overspent by £440"),
                spent(8, 38_560, "underspend offset against ASB"),
            ],
            vec![virement(8, 6, 440)],
        );
        assert!(broken(&balanced, &plan, 55_046).is_empty());

        let unmet = report(balanced.lines.clone(), Vec::new());
        assert_eq!(
            broken(&unmet, &plan, 55_046),
            ["lines[0].actual_spend:overspend_not_covered"]
        );

        let too_much = report(balanced.lines.clone(), vec![virement(8, 6, 441)]);
        assert_eq!(
            broken(&too_much, &plan, 55_046),
            [
                "virements[0].amount:exceeds_underspend",
                "lines[1].actual_spend:overspend_not_covered"
            ]
        );

        let unexplained = report(
            vec![spent(6, 16_486, ""), spent(8, 38_560, "x")],
            vec![virement(8, 6, 440)],
        );
        assert_eq!(
            broken(&unexplained, &plan, 55_046),
            ["lines[0].variance_explanation:explanation_required"]
        );
    }

    #[test]
    fn virements_join_reported_lines_and_unspent_money_needs_a_treatment() {
        let plan = [plan_line(1, 100), plan_line(2, 100)];
        let odd = report(vec![spent(1, 90, "under")], vec![virement(1, 1, 5), virement(1, 3, 5)]);
        assert_eq!(
            broken(&odd, &plan, 200),
            ["virements[0].to_line:same_line", "virements[1].to_line:not_in_report"]
        );
        let complete = report(vec![spent(1, 90, "under"), spent(2, 100, "")], Vec::new());
        assert_eq!(broken(&complete, &plan, 200), ["unspent_treatment:required"]);
        let mut treated = complete;
        treated.unspent_treatment = Some(crate::final_reports::UnspentTreatment::ReturnToOpcc);
        assert!(broken(&treated, &plan, 200).is_empty());
        let nothing_moved = report(vec![spent(1, 100, ""), spent(2, 100, "")], vec![virement(1, 2, 0)]);
        assert_eq!(broken(&nothing_moved, &plan, 200), ["virements[0].amount:positive"]);
    }
}
