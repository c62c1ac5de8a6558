//! A plan as its paper form, the Spending Intentions Plan: the fund year, the partnership and its
//! grant, a row per line with its sub-allocations, outcome measures, indicators and priorities,
//! and the OPCC's decision on each.

use serde_json::{Value, json};

use super::Plan;
use crate::lifecycle::record::Recorded;
use crate::records::{self, Form, text};

impl Recorded for Plan {
    const FORM: Form = Form::Plan;

    fn form_fields(plan: &Value) -> Value {
        let decisions = plan["review"]["decisions"].as_array().cloned().unwrap_or_default();
        let decision_of = |number: &Value| {
            decisions
                .iter()
                .find(|d| &d["line"] == number)
                .map_or("", |d| match d["decision"].as_str() {
                    Some("approved") => "Yes",
                    Some("declined") => "No",
                    _ => "",
                })
        };
        let lines: Vec<Value> = plan["lines"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|line| {
                json!({
                    "number": line["number"],
                    "title": text(&line["title"]),
                    "outline": text(&line["outline"]),
                    "amount": records::pounds(&line["amount"]),
                    "sub_allocations": line["sub_allocations"].as_array().into_iter().flatten()
                        .map(|part| json!({"label": text(&part["label"]), "amount": records::pounds(&part["amount"])}))
                        .collect::<Vec<_>>(),
                    "provider": line["provider"].as_str(),
                    "total_contract_value": line["total_contract_value"].as_str().map(|_| records::pounds(&line["total_contract_value"])),
                    "outcome_measures": text(&line["outcome_measures"]),
                    "indicators": line["indicators"].as_array().into_iter().flatten()
                        .map(|indicator| json!({"text": indicator_text(indicator)}))
                        .collect::<Vec<_>>(),
                    "priorities": line["priorities"].as_array().into_iter().flatten()
                        .map(|priority| match priority {
                            // The signed content names a priority by its number alone.
                            Value::Number(number) => json!({"number": number, "title": ""}),
                            priority => json!({"number": priority["number"], "title": text(&priority["title"])}),
                        })
                        .collect::<Vec<_>>(),
                    "decision": decision_of(&line["number"]),
                })
            })
            .collect();
        let fund_year = text(&plan["fund_year"]);
        json!({
            "partnership": text(&plan["partnership"]),
            "fund_year": fund_year,
            "fund_year_span": records::fund_year_span(&fund_year),
            "grant_total": records::pounds(&plan["totals"]["available"]),
            "allocated": records::pounds(&plan["totals"]["allocated"]),
            "unallocated": records::pounds(&plan["totals"]["unallocated"]),
            "due_on": records::long_date(&plan["deadline"]["due_on"]),
            "lines": lines,
        })
    }
}

/// An indicator as the form lists it under the outcomes: its name, and its target when it has one
/// ("Re-referral rate (target 20%)").
fn indicator_text(indicator: &Value) -> String {
    let name = indicator["name"].as_str().unwrap_or("");
    match (indicator["target"].as_str(), indicator["unit"].as_str().unwrap_or("")) {
        (Some(target), "%") => format!("{name} (target {target}%)"),
        (Some(target), "") => format!("{name} (target {target})"),
        (Some(target), unit) => format!("{name} (target {target} {unit})"),
        (None, _) => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_indicator_reads_with_its_target_when_it_has_one() {
        let indicator = |target: Value, unit: &str| json!({"name": "Re-referral rate", "target": target, "unit": unit});
        assert_eq!(
            indicator_text(&indicator(json!("20"), "%")),
            "Re-referral rate (target 20%)"
        );
        assert_eq!(
            indicator_text(&indicator(json!("12"), "sessions")),
            "Re-referral rate (target 12 sessions)"
        );
        assert_eq!(
            indicator_text(&indicator(json!("3"), "")),
            "Re-referral rate (target 3)"
        );
        assert_eq!(indicator_text(&indicator(Value::Null, "%")), "Re-referral rate");
    }
}
