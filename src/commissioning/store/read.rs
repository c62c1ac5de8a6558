//! Reading commissioning papers: their rows, one paper assembled from them, and the list.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::auth::Caller;
use crate::db::DbConnection;
use crate::documents::DocumentFilter;
use crate::error::Error;
use crate::money::Money;
use crate::pagination::{Page, PageRequest, in_page_order};
use crate::priority_sets::Priority;
use crate::schema::{
    allocations, commissioning_paper_years, commissioning_papers, commissioning_priorities,
    commissioning_priority_aims, fund_years, partnerships, priorities, recommendation_priorities, recommendations,
};
use crate::workflow::Status;

use crate::commissioning::model::*;

// ---- Rows ----

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = commissioning_papers, check_for_backend(crate::db::MultiBackend))]
pub(in crate::commissioning) struct PaperRow {
    pub(in crate::commissioning) id: i64,
    pub(in crate::commissioning) allocation_id: i64,
    title: String,
    context: String,
    board: String,
    pub(in crate::commissioning) meeting_on: Option<NaiveDate>,
    decided_on: Option<NaiveDate>,
    review_comment: String,
    pub(in crate::commissioning) status: Status,
    pub(in crate::commissioning) version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    /// Where its last change stands among all changes: the order `updated_since` lists in.
    revision: i64,
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = commissioning_priorities, check_for_backend(crate::db::MultiBackend))]
pub(super) struct PriorityRow {
    pub(super) id: i64,
    pub(super) number: i32,
    pub(super) title: String,
    pub(super) source: PrioritySource,
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = recommendations, check_for_backend(crate::db::MultiBackend))]
pub(super) struct RecommendationRow {
    pub(super) id: i64,
    pub(super) number: i32,
    pub(super) area_need: String,
    pub(super) recommendation: String,
    pub(super) opcc_contribution_state: AmountState,
    pub(super) opcc_contribution_pence: Option<Money>,
    pub(super) total_budget_state: AmountState,
    pub(super) total_budget_pence: Option<Money>,
}

impl RecommendationRow {
    pub(super) fn opcc_contribution(&self) -> ProposedAmount {
        ProposedAmount {
            state: self.opcc_contribution_state,
            amount: self.opcc_contribution_pence,
        }
    }

    pub(super) fn total_budget(&self) -> ProposedAmount {
        ProposedAmount {
            state: self.total_budget_state,
            amount: self.total_budget_pence,
        }
    }
}

/// A paper's row with its partnership's id and name.
pub(super) type Head = (PaperRow, i64, String);

// ---- Reading ----

pub(in crate::commissioning) fn head(conn: &mut DbConnection, id: i64) -> Result<Option<Head>, Error> {
    Ok(commissioning_papers::table
        .inner_join(allocations::table.inner_join(partnerships::table))
        .filter(commissioning_papers::id.eq(id))
        .select((PaperRow::as_select(), allocations::partnership_id, partnerships::name))
        .first(conn)
        .optional()?)
}

/// The fund years of these papers (id and label), each paper's in date order.
pub fn years_of(conn: &mut DbConnection, paper_ids: &[i64]) -> Result<HashMap<i64, Vec<(i64, String)>>, Error> {
    let mut years: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    for (paper, year, label) in commissioning_paper_years::table
        .inner_join(fund_years::table)
        .filter(commissioning_paper_years::paper_id.eq_any(paper_ids))
        .order((commissioning_paper_years::paper_id, fund_years::starts_on))
        .select((commissioning_paper_years::paper_id, fund_years::id, fund_years::label))
        .load::<(i64, i64, String)>(conn)?
    {
        years.entry(paper).or_default().push((year, label));
    }
    Ok(years)
}

pub(super) fn priorities_of(conn: &mut DbConnection, paper_id: i64) -> Result<Vec<PriorityRow>, Error> {
    Ok(commissioning_priorities::table
        .filter(commissioning_priorities::paper_id.eq(paper_id))
        .order(commissioning_priorities::number)
        .select(PriorityRow::as_select())
        .load(conn)?)
}

/// The Police & Crime Plan priorities each of these priorities serves, by number.
pub(super) fn aims_of(conn: &mut DbConnection, priority_ids: &[i64]) -> Result<HashMap<i64, Vec<i32>>, Error> {
    let mut aims: HashMap<i64, Vec<i32>> = HashMap::new();
    for (priority, number) in commissioning_priority_aims::table
        .filter(commissioning_priority_aims::commissioning_priority_id.eq_any(priority_ids))
        .order((
            commissioning_priority_aims::commissioning_priority_id,
            commissioning_priority_aims::plan_priority,
        ))
        .select((
            commissioning_priority_aims::commissioning_priority_id,
            commissioning_priority_aims::plan_priority,
        ))
        .load::<(i64, i32)>(conn)?
    {
        aims.entry(priority).or_default().push(number);
    }
    Ok(aims)
}

pub(super) fn recommendations_of(conn: &mut DbConnection, paper_id: i64) -> Result<Vec<RecommendationRow>, Error> {
    Ok(recommendations::table
        .filter(recommendations::paper_id.eq(paper_id))
        .order(recommendations::number)
        .select(RecommendationRow::as_select())
        .load(conn)?)
}

/// The paper's own priorities each of these recommendations serves, by number.
pub(super) fn served_by(conn: &mut DbConnection, recommendation_ids: &[i64]) -> Result<HashMap<i64, Vec<i32>>, Error> {
    let mut served: HashMap<i64, Vec<i32>> = HashMap::new();
    for (recommendation, number) in recommendation_priorities::table
        .filter(recommendation_priorities::recommendation_id.eq_any(recommendation_ids))
        .order((
            recommendation_priorities::recommendation_id,
            recommendation_priorities::priority_number,
        ))
        .select((
            recommendation_priorities::recommendation_id,
            recommendation_priorities::priority_number,
        ))
        .load::<(i64, i32)>(conn)?
    {
        served.entry(recommendation).or_default().push(number);
    }
    Ok(served)
}

/// The titles of the Police & Crime Plan priorities of a fund year, by number.
fn plan_priority_titles(conn: &mut DbConnection, fund_year_id: i64) -> Result<HashMap<i32, String>, Error> {
    Ok(priorities::table
        .inner_join(fund_years::table.on(fund_years::priority_set_id.eq(priorities::priority_set_id)))
        .filter(fund_years::id.eq(fund_year_id))
        .select((priorities::number, priorities::title))
        .load::<(i32, String)>(conn)?
        .into_iter()
        .collect())
}

/// The paper as clients read it.
pub(super) fn assemble(
    conn: &mut DbConnection,
    (row, partnership_id, partnership): Head,
) -> Result<CommissioningPaper, Error> {
    let years = years_of(conn, &[row.id])?.remove(&row.id).unwrap_or_default();
    let titles = match years.first() {
        Some((first, _)) => plan_priority_titles(conn, *first)?,
        None => HashMap::new(),
    };
    let priority_rows = priorities_of(conn, row.id)?;
    let mut aims = aims_of(conn, &priority_rows.iter().map(|p| p.id).collect::<Vec<_>>())?;
    let recommendation_rows = recommendations_of(conn, row.id)?;
    let mut served = served_by(conn, &recommendation_rows.iter().map(|r| r.id).collect::<Vec<_>>())?;
    Ok(CommissioningPaper {
        id: row.id,
        partnership_id,
        partnership,
        fund_years: years.into_iter().map(|(_, label)| label).collect(),
        status: row.status,
        version: row.version,
        title: row.title,
        context: row.context,
        priorities: priority_rows
            .into_iter()
            .map(|p| CommissioningPriority {
                plan_priorities: aims
                    .remove(&p.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|number| Priority {
                        number,
                        title: titles.get(&number).cloned().unwrap_or_default(),
                    })
                    .collect(),
                number: p.number,
                title: p.title,
                source: p.source,
            })
            .collect(),
        recommendations: recommendation_rows
            .into_iter()
            .map(|r| Recommendation {
                opcc_contribution: r.opcc_contribution(),
                total_budget: r.total_budget(),
                priorities: served.remove(&r.id).unwrap_or_default(),
                id: r.id,
                number: r.number,
                area_need: r.area_need,
                recommendation: r.recommendation,
            })
            .collect(),
        board: BoardDecision {
            board: row.board,
            meeting_on: row.meeting_on,
            decided_on: row.decided_on,
            comment: row.review_comment,
        },
        allowed_transitions: Vec::new(),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// A page of the papers the caller may see: a partnership's own, or for the OPCC every one;
/// narrowed to those covering a fund year, a partnership, a status.
pub(super) fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &DocumentFilter,
    page: &PageRequest,
) -> Result<Page<CommissioningPaperSummary>, Error> {
    let mut query = commissioning_papers::table
        .inner_join(allocations::table.inner_join(partnerships::table))
        .select((PaperRow::as_select(), allocations::partnership_id, partnerships::name))
        .into_boxed();
    if let Some(label) = &filter.fund_year {
        query = query.filter(
            commissioning_papers::id.eq_any(
                commissioning_paper_years::table
                    .inner_join(fund_years::table)
                    .filter(fund_years::label.eq(label.clone()))
                    .select(commissioning_paper_years::paper_id),
            ),
        );
    }
    if let Some(ids) = filter.partnerships(caller) {
        query = query.filter(allocations::partnership_id.eq_any(ids));
    }
    if let Some(status) = filter.status {
        query = query.filter(commissioning_papers::status.eq(status));
    }
    let rows: Vec<Head> = in_page_order!(query, commissioning_papers, page).load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|(row, ..)| row.id).collect();
    let mut years = years_of(conn, &ids)?;
    let counts: HashMap<i64, i64> = recommendations::table
        .filter(recommendations::paper_id.eq_any(&ids))
        .group_by(recommendations::paper_id)
        .select((recommendations::paper_id, diesel::dsl::count_star()))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    Ok(Page::from_rows(
        rows,
        page,
        |(row, ..)| page.position(row.id, row.revision),
        |(row, partnership_id, partnership)| CommissioningPaperSummary {
            fund_years: years
                .remove(&row.id)
                .unwrap_or_default()
                .into_iter()
                .map(|(_, label)| label)
                .collect(),
            recommendation_count: counts.get(&row.id).copied().unwrap_or(0),
            id: row.id,
            partnership_id,
            partnership,
            status: row.status,
            version: row.version,
            title: row.title,
            meeting_on: row.meeting_on,
            decided_on: row.decided_on,
            updated_at: row.updated_at,
        },
    ))
}
