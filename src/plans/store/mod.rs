//! A plan's rows and the queries that read and write them: `read` assembles a plan and lists
//! them, `write` stores drafts; the `Document` impl here joins the two for the lifecycle.

mod read;
mod write;

use diesel::prelude::*;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::db::DbConnection;
use crate::documents::{Document, DocumentFilter, DocumentKind, Located, Place, Unlocated};
use crate::error::{Error, Violations};
use crate::pagination::{Page, PageRequest};
use crate::schema::{plan_lines, plans};
use crate::workflow::Transition;

use super::model::*;

use read::{assemble, head, list};
use write::{insert, update};

pub(super) use read::{indicators_by_line, load_lines};
pub(super) use write::{check, priority_ids, write_lines};

impl Document for Plan {
    const KIND: DocumentKind = DocumentKind::Plan;
    const SIGNING: Transition = Transition::Submit;
    type Input = PlanInput;
    type Summary = PlanSummary;

    crate::documents::stored_in!(plans);

    fn read(conn: &mut DbConnection, document: &Located) -> Result<Plan, Error> {
        let head = head(conn, document.id())?.ok_or(Error::NotFound("plan"))?;
        assemble(conn, head)
    }

    fn place_and_read(conn: &mut DbConnection, id: i64, _: Unlocated) -> Result<Option<(Place, Plan)>, Error> {
        let Some((row, allocation, deadline)) = head(conn, id)? else {
            return Ok(None);
        };
        let place = Place::in_allocation(&allocation, row.status, row.version);
        Ok(Some((place, assemble(conn, (row, allocation, deadline))?)))
    }

    fn insert(conn: &mut DbConnection, caller: &Caller, input: &PlanInput) -> Result<i64, Error> {
        insert(conn, caller, input)
    }

    fn update(conn: &mut DbConnection, document: &Located, input: &PlanInput) -> Result<(), Error> {
        update(conn, document, input)
    }

    fn list(
        conn: &mut DbConnection,
        caller: &Caller,
        filter: &DocumentFilter,
        page: &PageRequest,
    ) -> Result<Page<PlanSummary>, Error> {
        list(conn, caller, filter, page)
    }

    /// The next review decides every line afresh. The reviewer's comment stays, so the manager
    /// can read what to change.
    fn clear_review(conn: &mut DbConnection, document: &Located) -> Result<(), Error> {
        diesel::update(plan_lines::table.filter(plan_lines::plan_id.eq(document.id())))
            .set((
                plan_lines::decision.eq(None::<String>),
                plan_lines::decision_comment.eq(""),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// A plan can be submitted once it has lines.
    fn ensure_complete(conn: &mut DbConnection, document: &Located) -> Result<(), Error> {
        let lines: i64 = plan_lines::table
            .filter(plan_lines::plan_id.eq(document.id()))
            .count()
            .get_result(conn)?;
        let mut v = Violations::new();
        v.check(
            lines > 0,
            "lines",
            "required_for_submission",
            "a plan needs at least one line to be submitted",
        );
        v.finish()
    }

    /// The form's lines as the partnership wrote them; not the priorities' titles, the totals
    /// or the review.
    fn signed_content(&self) -> Value {
        json!({
            "allocation_id": self.header.allocation_id,
            "fund_year": self.header.fund_year,
            "lines": self.lines.iter().map(|line| {
                let mut signed = json!({
                    "number": line.number,
                    "title": line.title,
                    "outline": line.outline,
                    "amount": line.amount,
                    "sub_allocations": line.sub_allocations,
                    "provider": line.provider,
                    "total_contract_value": line.total_contract_value,
                    "priorities": line.priorities.iter().map(|p| p.number).collect::<Vec<_>>(),
                    "outcome_measures": line.outcome_measures,
                    "indicators": line.indicators.iter().map(|i| json!({
                        "number": i.number,
                        "name": i.name,
                        "comparison": i.comparison,
                        "target": i.target,
                        "unit": i.unit,
                    })).collect::<Vec<_>>(),
                });
                // Only when given, so plans signed before lines cited recommendations still hold.
                if let Some(recommendation) = line.recommendation_id {
                    signed["recommendation_id"] = json!(recommendation);
                }
                signed
            }).collect::<Vec<_>>(),
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
