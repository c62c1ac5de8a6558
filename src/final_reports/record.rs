//! A final report as its paper form, the Final Evaluation Report: the grant with any carry-forward,
//! a row per line (what was allocated, spent and moved, the outcomes, the comments on any under
//! or overspend), the virements, the unspent balance and its treatment; the CSP manager's and
//! the treasurer's signature blocks.

use serde_json::{Value, json};

use super::FinalReport;
use crate::lifecycle::record::Recorded;
use crate::records::{self, Form, text};

impl Recorded for FinalReport {
    const FORM: Form = Form::FinalReport;

    fn form_fields(report: &Value) -> Value {
        let lines: Vec<Value> = report["lines"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|line| {
                json!({
                    "plan_line": line["plan_line"],
                    "title": text(&line["title"]),
                    "allocated": records::pounds(&line["allocated"]),
                    "allocated_after_virements": records::pounds(&line["allocated_after_virements"]),
                    "actual_spend": records::pounds(&line["actual_spend"]),
                    "variance": records::pounds(&line["variance"]),
                    "variance_explanation": text(&line["variance_explanation"]),
                    "virements_in": records::pounds(&line["virements_in"]),
                    "virements_out": records::pounds(&line["virements_out"]),
                    "moved": line["virements_in"].as_str().is_some_and(|a| a != "0.00")
                        || line["virements_out"].as_str().is_some_and(|a| a != "0.00"),
                    "outcomes": text(&line["outcomes"]),
                    "indicators": records::indicator_actuals(&line["indicator_actuals"]),
                    "case_study": text(&line["case_study"]),
                })
            })
            .collect();
        let fund_year = text(&report["fund_year"]);
        let totals = &report["totals"];
        let review = &report["review"];
        json!({
            "partnership": text(&report["partnership"]),
            "fund_year": fund_year,
            "fund_year_span": records::fund_year_span(&fund_year),
            "due_on": records::long_date(&report["deadline"]["due_on"]),
            "lines": lines,
            "virements": report["virements"].as_array().into_iter().flatten()
                .map(|virement| json!({
                    "from_line": virement["from_line"],
                    "to_line": virement["to_line"],
                    "amount": records::pounds(&virement["amount"]),
                    "reason": text(&virement["reason"]),
                }))
                .collect::<Vec<_>>(),
            "totals": {
                "available": records::pounds(&totals["available"]),
                "allocated": records::pounds(&totals["allocated"]),
                "spent": records::pounds(&totals["spent"]),
                "variance": records::pounds(&totals["variance"]),
                "moved_by_virements": records::pounds(&totals["moved_by_virements"]),
                "unspent": records::pounds(&totals["unspent"]),
            },
            "unspent_treatment": text(&report["unspent_treatment"]).replace('_', " "),
            "treatment_notes": text(&report["treatment_notes"]),
            "review": {
                "unspent_decision": text(&review["unspent_decision"]).replace('_', " "),
                "comment": text(&review["comment"]),
            },
        })
    }
}
