//! A half-year return as its paper form, the Half Year Report Return: the partnership, the half
//! year, the allocation and the claim, then per project (A, B, C...) its funding, expenditure,
//! outcomes, how they are measured, how far achieved, the actions taken and its RAG rating; the
//! CSP manager's and the treasurer's signature blocks.

use serde_json::{Value, json};

use super::HalfYearReturn;
use super::rules::letter;
use crate::lifecycle::record::Recorded;
use crate::records::{self, Form, text};

impl Recorded for HalfYearReturn {
    const FORM: Form = Form::HalfYearReturn;

    fn form_fields(ret: &Value) -> Value {
        let projects: Vec<Value> = ret["projects"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(index, project)| {
                let letter = project["letter"]
                    .as_str()
                    .map_or_else(|| letter(index), str::to_owned);
                let share = match (project["share_of_service_percent"].as_str(), project["total_service_funding"].as_str()) {
                    (Some(share), Some(_)) => format!(
                        "{share}% of the total service funding of {}",
                        records::pounds(&project["total_service_funding"])
                    ),
                    _ => String::new(),
                };
                let rag = text(&project["rag"]);
                json!({
                    "letter": letter,
                    "title": text(&project["title"]),
                    "plan_line": project["plan_line"],
                    "provider": text(&project["provider"]),
                    "provider_status": text(&project["provider_status"]).replace('_', " "),
                    "commissioning_body": text(&project["commissioning_body"]),
                    "funding": records::pounds(&project["funding"]),
                    "share": share,
                    "expenditure": project["expenditure"].as_array().into_iter().flatten()
                        .map(|item| json!({"description": text(&item["description"]), "amount": records::pounds(&item["amount"])}))
                        .collect::<Vec<_>>(),
                    "expenditure_to_date": records::pounds(&project["expenditure_to_date"]),
                    "intended_outcomes": text(&project["intended_outcomes"]),
                    "how_measured": text(&project["how_measured"]),
                    "extent_achieved": text(&project["extent_achieved"]),
                    "indicators": records::indicator_actuals(&project["indicator_actuals"]),
                    "actions": text(&project["actions"]),
                    "rag": {
                        "achieved": rag == "achieved",
                        "on_track": rag == "on_track",
                        "behind": rag == "behind",
                    },
                })
            })
            .collect();
        let fund_year = text(&ret["fund_year"]);
        let review = &ret["review"];
        json!({
            "partnership": text(&ret["partnership"]),
            "fund_year": fund_year,
            "fund_year_span": records::fund_year_span(&fund_year),
            "due_on": records::long_date(&ret["deadline"]["due_on"]),
            "half": match ret["half"].as_str() {
                Some("second") => "Second",
                Some("first") => "First",
                _ => "",
            },
            "half_year_end": records::month_and_year(&ret["half_year_end"]),
            "allocation": records::pounds(&ret["totals"]["available"]),
            "amount_claimed": records::pounds(&ret["amount_claimed"]),
            "invoice_reference": text(&ret["invoice_reference"]),
            "projects": projects,
            "totals": {
                "allocated": records::pounds(&ret["totals"]["allocated"]),
                "claimed_to_date": records::pounds(&ret["totals"]["claimed_to_date"]),
                "unclaimed": records::pounds(&ret["totals"]["unclaimed"]),
                "expenditure_to_date": records::pounds(&ret["totals"]["expenditure_to_date"]),
            },
            "review": {
                "claim_approved": records::pounds(&review["claim_approved"]),
                "claim_approved_on": records::long_date(&review["claim_approved_on"]),
                "reason": text(&review["claim_approval_reason"]),
                "comment": text(&review["comment"]),
            },
            "payment": {
                "paid": records::pounds(&ret["payment"]["paid"]),
                "outstanding": records::pounds(&ret["payment"]["outstanding"]),
            },
        })
    }
}
