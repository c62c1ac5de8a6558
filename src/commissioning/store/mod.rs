//! A commissioning paper's rows and the queries that read and write them; the `Document` impl
//! here joins the two for the lifecycle.

mod read;
mod write;

use diesel::prelude::*;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::db::DbConnection;
use crate::documents::{Document, DocumentFilter, DocumentKind, Located, Place, Unlocated};
use crate::error::Error;
use crate::pagination::{Page, PageRequest};
use crate::schema::commissioning_papers;
use crate::workflow::Transition;

use super::model::*;
use super::rules;

pub(super) use read::head;
pub use read::years_of;
pub(super) use write::{set_decision, set_meeting};

impl Document for CommissioningPaper {
    const KIND: DocumentKind = DocumentKind::CommissioningPaper;
    /// Papers are not signed: the board's agreement, recorded by the manager, stands for it. No
    /// route signs a paper.
    const SIGNING: Transition = Transition::Table;
    type Input = CommissioningPaperInput;
    type Summary = CommissioningPaperSummary;

    crate::documents::stored_in!(commissioning_papers);

    fn read(conn: &mut DbConnection, document: &Located) -> Result<CommissioningPaper, Error> {
        let head = read::head(conn, document.id())?.ok_or(Error::NotFound("commissioning paper"))?;
        read::assemble(conn, head)
    }

    fn place_and_read(
        conn: &mut DbConnection,
        id: i64,
        _: Unlocated,
    ) -> Result<Option<(Place, CommissioningPaper)>, Error> {
        let Some(head) = read::head(conn, id)? else {
            return Ok(None);
        };
        let place = Place {
            allocation_id: head.0.allocation_id,
            partnership_id: head.1,
            status: head.0.status,
            version: head.0.version,
        };
        Ok(Some((place, read::assemble(conn, head)?)))
    }

    fn insert(conn: &mut DbConnection, caller: &Caller, input: &CommissioningPaperInput) -> Result<i64, Error> {
        write::insert(conn, caller, input)
    }

    fn update(conn: &mut DbConnection, document: &Located, input: &CommissioningPaperInput) -> Result<(), Error> {
        write::update(conn, document, input)
    }

    fn list(
        conn: &mut DbConnection,
        caller: &Caller,
        filter: &DocumentFilter,
        page: &PageRequest,
    ) -> Result<Page<CommissioningPaperSummary>, Error> {
        read::list(conn, caller, filter, page)
    }

    fn ensure_complete(conn: &mut DbConnection, document: &Located) -> Result<(), Error> {
        rules::check_complete(&CommissioningPaper::read(conn, document)?).finish()
    }

    /// Everything the board is asked to agree: the years, the texts, the priorities and the
    /// recommendations with their amounts.
    fn signed_content(&self) -> Value {
        json!({
            "fund_years": self.fund_years,
            "title": self.title,
            "context": self.context,
            "priorities": self.priorities.iter().map(|p| json!({
                "number": p.number,
                "title": p.title,
                "source": p.source,
                "plan_priorities": p.plan_priorities.iter().map(|aim| aim.number).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "recommendations": self.recommendations.iter().map(|r| json!({
                "number": r.number,
                "area_need": r.area_need,
                "recommendation": r.recommendation,
                "opcc_contribution": r.opcc_contribution,
                "total_budget": r.total_budget,
                "priorities": r.priorities,
            })).collect::<Vec<_>>(),
        })
    }

    fn id(&self) -> i64 {
        self.id
    }

    fn version(&self) -> i32 {
        self.version
    }

    fn allowed_transitions(&mut self) -> &mut Vec<Transition> {
        &mut self.allowed_transitions
    }
}
