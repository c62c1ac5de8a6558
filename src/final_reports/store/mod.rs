//! A final report's rows and the queries that read and write them: `read` assembles a report and
//! lists them, `write` stores drafts; the `Document` impl here joins the two for the lifecycle.

mod read;
mod write;

use diesel::prelude::*;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::db::DbConnection;
use crate::documents::{Document, DocumentFilter, DocumentKind, Located, Place, Unlocated};
use crate::error::Error;
use crate::pagination::{Page, PageRequest};
use crate::plans;
use crate::schema::final_reports;
use crate::workflow::Transition;

use super::model::*;
use super::rules;

use read::{assemble, head, list};
use write::{insert, update};

impl Document for FinalReport {
    const KIND: DocumentKind = DocumentKind::FinalReport;
    const SIGNING: Transition = Transition::Sign;
    type Input = FinalReportInput;
    type Summary = FinalReportSummary;

    crate::documents::stored_in!(final_reports);

    fn read(conn: &mut DbConnection, document: &Located) -> Result<FinalReport, Error> {
        let head = head(conn, document.id())?.ok_or(Error::NotFound("final report"))?;
        assemble(conn, head)
    }

    fn place_and_read(conn: &mut DbConnection, id: i64, _: Unlocated) -> Result<Option<(Place, FinalReport)>, Error> {
        let Some((row, allocation, deadline)) = head(conn, id)? else {
            return Ok(None);
        };
        let place = Place::in_allocation(&allocation, row.status, row.version);
        Ok(Some((place, assemble(conn, (row, allocation, deadline))?)))
    }

    fn insert(conn: &mut DbConnection, caller: &Caller, input: &FinalReportInput) -> Result<i64, Error> {
        insert(conn, caller, input)
    }

    fn update(conn: &mut DbConnection, document: &Located, input: &FinalReportInput) -> Result<(), Error> {
        update(conn, document, input)
    }

    fn list(
        conn: &mut DbConnection,
        caller: &Caller,
        filter: &DocumentFilter,
        page: &PageRequest,
    ) -> Result<Page<FinalReportSummary>, Error> {
        list(conn, caller, filter, page)
    }

    /// A report can be signed once it reports on every plan line, each with outcomes and an
    /// anonymised case study.
    fn ensure_complete(conn: &mut DbConnection, document: &Located) -> Result<(), Error> {
        let report = FinalReport::read(conn, document)?;
        let planned = plans::cited_by(conn, document)?.unwrap_or_default();
        rules::check_complete(&report, &planned)
    }

    /// Spending, variances, outcomes and case studies per line, the virements and the proposed
    /// treatment of any unspent balance; not what the plan says (titles, allocations), the
    /// totals or the review.
    fn signed_content(&self) -> Value {
        json!({
            "allocation_id": self.header.allocation_id,
            "fund_year": self.header.fund_year,
            "lines": self.lines.iter().map(|line| {
                let mut signed = json!({
                    "plan_line": line.plan_line,
                    "actual_spend": line.actual_spend,
                    "variance_explanation": line.variance_explanation,
                    "outcomes": line.outcomes,
                    "case_study": line.case_study,
                    "case_study_anonymised": line.case_study_anonymised,
                });
                // Only when given, so reports signed before year-end actuals existed still hold.
                if !line.indicator_actuals.is_empty() {
                    signed["indicator_actuals"] = line.indicator_actuals.iter().map(|a| json!({
                        "indicator": a.indicator,
                        "actual": a.actual,
                    })).collect();
                }
                signed
            }).collect::<Vec<_>>(),
            "virements": self.virements,
            "unspent_treatment": self.unspent_treatment,
            "treatment_notes": self.treatment_notes,
        })
    }

    fn id(&self) -> i64 {
        self.header.id
    }

    fn version(&self) -> i32 {
        self.header.version
    }

    fn allowed_transitions(&mut self) -> &mut Vec<Transition> {
        &mut self.allowed_transitions
    }
}
