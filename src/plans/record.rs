//! A plan as its paper form, the Spending Intentions Plan: the data its template lays out, from
//! the plan as it reads now or as a version kept it, with the signatures on it.

use serde_json::{Value, json};

use super::Plan;
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::documents::{Document, Located};
use crate::error::Error;
use crate::records::{self, Form, Sheet};
use crate::signatures::Signature;
use crate::{canonical, lifecycle, versions};

/// What the plan `document`'s record is made from: the plan as it reads now, or as version `number`
/// kept it. `check_at` is where anyone can read the same content through the API.
pub fn sheet(
    conn: &mut DbConnection,
    caller: &Caller,
    document: &Located,
    number: Option<i32>,
    check_at: &str,
) -> Result<Sheet, Error> {
    let signatures = lifecycle::signatures::<Plan>(conn, caller, document.id())?;
    let (content, content_sha256, dated, record_of, signed) = match number {
        Some(number) => {
            let version = versions::get(conn, document, number)?;
            let signed: Vec<Signature> = signatures
                .into_iter()
                .filter(|s| s.version.is_some_and(|v| v <= number))
                .collect();
            let record_of = format!("version {number} of the plan ({})", version.summary.reason);
            (
                version.content,
                version.summary.content_sha256,
                version.summary.created_at,
                record_of,
                signed,
            )
        }
        None => {
            let plan = Plan::read(conn, document)?;
            let dated = plan.header.updated_at;
            let plan = serde_json::to_value(plan).map_err(Error::internal)?;
            let digest = canonical::digest(&plan);
            let signed = signatures.into_iter().filter(|s| s.valid).collect();
            (
                plan,
                digest,
                dated,
                "the plan as it read when printed".to_owned(),
                signed,
            )
        }
    };
    let ident = format!(
        "cspfund-plan-{}-{}",
        document.id(),
        number.map_or("now".into(), |n| n.to_string())
    );
    Ok(Sheet {
        form: Form::Plan,
        data: sheet_data(&content, &content_sha256, &signed, check_at, &record_of),
        ident,
        dated,
    })
}

/// What the template reads: the plan's words and figures as printed.
fn sheet_data(plan: &Value, content_sha256: &str, signatures: &[Signature], check_at: &str, record_of: &str) -> Value {
    let text = |value: &Value| value.as_str().unwrap_or("").to_owned();
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
                "priorities": line["priorities"].as_array().cloned().unwrap_or_default(),
                "decision": decision_of(&line["number"]),
            })
        })
        .collect();
    let status = text(&plan["status"]);
    let fund_year = text(&plan["fund_year"]);
    json!({
        "partnership": text(&plan["partnership"]),
        "fund_year": fund_year,
        "fund_year_span": records::fund_year_span(&fund_year),
        "grant_total": records::pounds(&plan["totals"]["available"]),
        "allocated": records::pounds(&plan["totals"]["allocated"]),
        "unallocated": records::pounds(&plan["totals"]["unallocated"]),
        "due_on": text(&plan["deadline"]["due_on"]),
        "state": status.replace('_', " "),
        "draft": status == "draft" && signatures.is_empty(),
        "lines": lines,
        "signatures": signatures.iter().map(records::signature_block).collect::<Vec<_>>(),
        "content_sha256": content_sha256,
        "check_at": check_at,
        "record_of": record_of,
    })
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
