//! A plan's lines as half-year returns and final reports cite them.

use diesel::prelude::*;

use crate::allocations::Allocation;
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::documents::Located;
use crate::error::Error;
use crate::measures::{Comparison, Measure};
use crate::money::Money;
use crate::schema::plans;

use super::store::{indicators_by_line, load_lines};

/// A plan line as half-year returns and final reports cite it.
#[derive(Debug, Clone)]
pub struct LineRef {
    pub id: i64,
    pub number: i32,
    pub title: String,
    pub amount: Money,
    pub indicators: Vec<IndicatorRef>,
}

#[derive(Debug, Clone)]
pub struct IndicatorRef {
    pub id: i64,
    pub number: i32,
    pub name: String,
    pub comparison: Option<Comparison>,
    pub target: Option<Measure>,
    pub unit: String,
}

/// The lines of the plan of a document's allocation, by number; `None` when there is no plan.
pub fn cited_by(conn: &mut DbConnection, document: &Located) -> Result<Option<Vec<LineRef>>, Error> {
    lines_of_allocation(conn, document.allocation_id())
}

/// The lines of the plan of an allocation the caller may see (404 for another partnership's).
pub fn cited_in(
    conn: &mut DbConnection,
    caller: &Caller,
    allocation: &Allocation,
) -> Result<Option<Vec<LineRef>>, Error> {
    caller.ensure_visible(allocation.partnership_id, "allocation")?;
    lines_of_allocation(conn, allocation.id)
}

/// The lines of an allocation's plan, by number; `None` when the allocation has no plan.
fn lines_of_allocation(conn: &mut DbConnection, allocation_id: i64) -> Result<Option<Vec<LineRef>>, Error> {
    let Some(plan_id) = plans::table
        .filter(plans::allocation_id.eq(allocation_id))
        .select(plans::id)
        .first::<i64>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let lines = load_lines(conn, plan_id)?;
    let mut indicators = indicators_by_line(conn, &lines)?;
    Ok(Some(
        lines
            .into_iter()
            .map(|line| LineRef {
                indicators: indicators
                    .remove(&line.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|i| IndicatorRef {
                        id: i.id,
                        number: i.number,
                        comparison: i.comparison(),
                        target: i.target(),
                        name: i.name,
                        unit: i.unit,
                    })
                    .collect(),
                id: line.id,
                number: line.number,
                title: line.title,
                amount: line.amount_pence,
            })
            .collect(),
    ))
}
