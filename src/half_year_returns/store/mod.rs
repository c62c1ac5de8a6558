//! A half-year return's rows and the queries that read and write them: `read` assembles a return
//! and lists them, `write` stores drafts; the `Document` impl here joins the two for the lifecycle.

mod read;
mod write;

use diesel::prelude::*;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::db::DbConnection;
use crate::documents::{Document, DocumentFilter, DocumentKind, Located, Place, Unlocated};
use crate::error::{Error, Violations};
use crate::pagination::{Page, PageRequest};
use crate::schema::{half_year_projects, half_year_returns};
use crate::workflow::Transition;

use super::model::*;

use read::{assemble, head, list};
use write::{insert, update};

impl Document for HalfYearReturn {
    const KIND: DocumentKind = DocumentKind::HalfYearReturn;
    const SIGNING: Transition = Transition::Sign;
    type Input = HalfYearReturnInput;
    type Summary = HalfYearReturnSummary;

    crate::documents::stored_in!(half_year_returns);

    fn read(conn: &mut DbConnection, document: &Located) -> Result<HalfYearReturn, Error> {
        let head = head(conn, document.id())?.ok_or(Error::NotFound("half-year return"))?;
        assemble(conn, head)
    }

    fn place_and_read(
        conn: &mut DbConnection,
        id: i64,
        _: Unlocated,
    ) -> Result<Option<(Place, HalfYearReturn)>, Error> {
        let Some((row, allocation, deadline)) = head(conn, id)? else {
            return Ok(None);
        };
        let place = Place::in_allocation(&allocation, row.status, row.version);
        Ok(Some((place, assemble(conn, (row, allocation, deadline))?)))
    }

    fn insert(conn: &mut DbConnection, caller: &Caller, input: &HalfYearReturnInput) -> Result<i64, Error> {
        insert(conn, caller, input)
    }

    fn update(conn: &mut DbConnection, document: &Located, input: &HalfYearReturnInput) -> Result<(), Error> {
        update(conn, document, input)
    }

    fn list(
        conn: &mut DbConnection,
        caller: &Caller,
        filter: &DocumentFilter,
        page: &PageRequest,
    ) -> Result<Page<HalfYearReturnSummary>, Error> {
        list(conn, caller, filter, page)
    }

    /// A return can be signed once it reports on a project and names its invoice.
    fn ensure_complete(conn: &mut DbConnection, document: &Located) -> Result<(), Error> {
        let projects: i64 = half_year_projects::table
            .filter(half_year_projects::half_year_return_id.eq(document.id()))
            .count()
            .get_result(conn)?;
        let invoice: String = half_year_returns::table
            .find(document.id())
            .select(half_year_returns::invoice_reference)
            .first(conn)?;
        let mut v = Violations::new();
        v.check(
            projects > 0,
            "projects",
            "required_for_submission",
            "report on at least one project before signing",
        );
        v.check(
            !invoice.trim().is_empty(),
            "invoice_reference",
            "required_for_submission",
            "submit the invoice with the return: give its reference",
        );
        v.finish()
    }

    /// The claim, the invoice and each project as the partnership reported it; not what the
    /// plan says of its lines (titles, funding), the totals or the review.
    fn signed_content(&self) -> Value {
        json!({
            "allocation_id": self.header.allocation_id,
            "fund_year": self.header.fund_year,
            "half": self.half,
            "half_year_end": self.half_year_end,
            "amount_claimed": self.amount_claimed,
            "invoice_reference": self.invoice_reference,
            "projects": self.projects.iter().map(|project| json!({
                "plan_line": project.plan_line,
                "provider": project.provider,
                "provider_status": project.provider_status,
                "commissioning_body": project.commissioning_body,
                "total_service_funding": project.total_service_funding,
                "expenditure": project.expenditure,
                "intended_outcomes": project.intended_outcomes,
                "how_measured": project.how_measured,
                "extent_achieved": project.extent_achieved,
                "indicator_actuals": project.indicator_actuals.iter().map(|a| json!({
                    "indicator": a.indicator,
                    "actual": a.actual,
                })).collect::<Vec<_>>(),
                "actions": project.actions,
                "rag": project.rag,
            })).collect::<Vec<_>>(),
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
