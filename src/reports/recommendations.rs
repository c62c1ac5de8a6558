//! From recommendation to spend: each commissioning paper's recommendation with what it proposed
//! and what the approved plans' lines carrying it out planned and their final reports spent; and
//! what partnerships ask of the OPCC that it has not yet confirmed.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::ReportFilter;
use super::priorities::approved_plan_lines;
use crate::auth::Caller;
use crate::commissioning::{self, AmountState, PrioritySource};
use crate::db::DbConnection;
use crate::error::Error;
use crate::money::Money;
use crate::schema::{
    allocations, commissioning_paper_years, commissioning_papers, commissioning_priorities, fund_years, partnerships,
    plan_line_recommendations, recommendation_priorities, recommendations,
};
use crate::tables::{CsvRow, Table};
use crate::workflow::Status;

diesel::allow_tables_to_appear_in_same_query!(approved_plan_lines, plan_line_recommendations);

/// One recommendation, from proposal to spend.
#[derive(Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[schema(example = json!({"partnership_id": 1, "partnership": "Safer Plymouth", "paper_id": 1,
    "paper_status": "agreed", "fund_years": "2017-18, 2018-19", "recommendation_id": 1, "number": 1,
    "recommendation": "Continue to commission the Plymouth Domestic Abuse contract",
    "opcc_contribution": "110000.00", "opcc_contribution_state": "known",
    "total_budget": "501753.00", "total_budget_state": "known",
    "plan_lines": 1, "planned": "160200.00", "spent": "160200.00", "funded": true}))]
pub struct RecommendationOutcome {
    pub partnership_id: i64,
    pub partnership: String,
    pub paper_id: i64,
    pub paper_status: Status,
    /// The fund years the paper covers, comma separated.
    pub fund_years: String,
    pub recommendation_id: i64,
    pub number: i32,
    pub recommendation: String,
    /// The OPCC contribution proposed, when known.
    pub opcc_contribution: Option<Money>,
    pub opcc_contribution_state: AmountState,
    /// The service's total budget, when known.
    pub total_budget: Option<Money>,
    pub total_budget_state: AmountState,
    /// Lines of approved plans (of the fund year asked about, or any) carrying it out.
    pub plan_lines: i64,
    /// Those lines' amounts.
    pub planned: Money,
    /// Their actual spend in submitted final reports; zero until reported.
    pub spent: Money,
    /// Whether any approved plan line carries it out; `false`: never funded.
    pub funded: bool,
}

/// Every recommendation of the papers in scope, in paper and number order.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct RecommendationOutcomes {
    pub rows: Vec<RecommendationOutcome>,
}

/// A recommendation whose OPCC contribution is still to be confirmed, under one of the paper's
/// priorities it serves (a recommendation serving several is in a row for each).
#[derive(Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[schema(example = json!({"partnership_id": 1, "partnership": "Safer Plymouth", "paper_id": 1,
    "paper_status": "agreed", "fund_years": "2017-18, 2018-19", "priority": 1,
    "priority_title": "Domestic Abuse and Sexual Violence including Child Sexual Exploitation",
    "priority_source": "strategic_assessment", "recommendation_id": 4, "number": 4,
    "recommendation": "Work with PDAP and MACSE to scope, commission and deliver Healthy Relationship work",
    "opcc_contribution_state": "awaiting_confirmation", "total_budget": null, "total_budget_state": "none"}))]
pub struct ContributionToConfirm {
    pub partnership_id: i64,
    pub partnership: String,
    pub paper_id: i64,
    pub paper_status: Status,
    pub fund_years: String,
    /// The paper's own priority; null for a recommendation that names none.
    pub priority: Option<i32>,
    pub priority_title: Option<String>,
    pub priority_source: Option<PrioritySource>,
    pub recommendation_id: i64,
    pub number: i32,
    pub recommendation: String,
    pub opcc_contribution_state: AmountState,
    pub total_budget: Option<Money>,
    pub total_budget_state: AmountState,
}

/// What the OPCC is asked for and has not confirmed, by partnership and priority: from papers
/// put to a board or agreed (drafts ask nothing yet).
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct ContributionsToConfirm {
    pub rows: Vec<ContributionToConfirm>,
}

/// A paper in scope: its partnership (id and name), status and the fund years it covers.
struct PaperInScope {
    partnership_id: i64,
    partnership: String,
    status: Status,
    fund_years: String,
}

/// The papers the caller may see within the report's scope, by id.
fn papers_in_scope(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &ReportFilter,
    statuses: Option<&[Status]>,
) -> Result<HashMap<i64, PaperInScope>, Error> {
    let Some(scope) = filter.scope(caller) else {
        return Ok(HashMap::new());
    };
    let mut query = commissioning_papers::table
        .inner_join(allocations::table.inner_join(partnerships::table))
        .select((
            commissioning_papers::id,
            allocations::partnership_id,
            partnerships::name,
            commissioning_papers::status,
        ))
        .into_boxed();
    if let Some(label) = &scope.fund_year {
        query = query.filter(
            commissioning_papers::id.eq_any(
                commissioning_paper_years::table
                    .inner_join(fund_years::table)
                    .filter(fund_years::label.eq(label.clone()))
                    .select(commissioning_paper_years::paper_id),
            ),
        );
    }
    if let Some(id) = scope.partnership {
        query = query.filter(allocations::partnership_id.eq(id));
    }
    if let Some(statuses) = statuses {
        query = query.filter(commissioning_papers::status.eq_any(statuses.to_vec()));
    }
    let papers: Vec<(i64, i64, String, Status)> = query.load(conn)?;
    let ids: Vec<i64> = papers.iter().map(|p| p.0).collect();
    let mut years = commissioning::years_of(conn, &ids)?;
    Ok(papers
        .into_iter()
        .map(|(id, partnership_id, partnership, status)| {
            let fund_years = years
                .remove(&id)
                .unwrap_or_default()
                .into_iter()
                .map(|(_, label)| label)
                .collect::<Vec<_>>()
                .join(", ");
            (
                id,
                PaperInScope {
                    partnership_id,
                    partnership,
                    status,
                    fund_years,
                },
            )
        })
        .collect())
}

/// A recommendation's row: id, paper, number, text, and its two amounts (state and pence).
type RecommendationRow = (
    i64,
    i64,
    i32,
    String,
    AmountState,
    Option<Money>,
    AmountState,
    Option<Money>,
);

fn recommendations_of(conn: &mut DbConnection, papers: &[i64]) -> Result<Vec<RecommendationRow>, Error> {
    Ok(recommendations::table
        .filter(recommendations::paper_id.eq_any(papers))
        .order((recommendations::paper_id, recommendations::number))
        .select((
            recommendations::id,
            recommendations::paper_id,
            recommendations::number,
            recommendations::recommendation,
            recommendations::opcc_contribution_state,
            recommendations::opcc_contribution_pence,
            recommendations::total_budget_state,
            recommendations::total_budget_pence,
        ))
        .load(conn)?)
}

pub fn recommendation_outcomes(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &ReportFilter,
) -> Result<RecommendationOutcomes, Error> {
    let papers = papers_in_scope(conn, caller, filter, None)?;
    let ids: Vec<i64> = papers.keys().copied().collect();
    let recommendations = recommendations_of(conn, &ids)?;
    let recommendation_ids: Vec<i64> = recommendations.iter().map(|r| r.0).collect();
    let mut lines = plan_line_recommendations::table
        .inner_join(
            approved_plan_lines::table
                .on(approved_plan_lines::plan_line_id.eq(plan_line_recommendations::plan_line_id)),
        )
        .filter(plan_line_recommendations::recommendation_id.eq_any(&recommendation_ids))
        .select((
            plan_line_recommendations::recommendation_id,
            approved_plan_lines::planned,
            approved_plan_lines::spent,
        ))
        .into_boxed();
    if let Some(label) = filter.fund_year.as_ref().filter(|label| !label.is_empty()) {
        lines = lines.filter(approved_plan_lines::fund_year.eq(label.clone()));
    }
    let mut carried_out: HashMap<i64, Vec<(Money, Option<Money>)>> = HashMap::new();
    for (recommendation, planned, spent) in lines.load::<(i64, Money, Option<Money>)>(conn)? {
        carried_out.entry(recommendation).or_default().push((planned, spent));
    }
    let overflow = || Error::internal("report total overflow");
    let mut rows = Vec::with_capacity(recommendations.len());
    for (id, paper_id, number, recommendation, contribution_state, contribution, budget_state, budget) in
        recommendations
    {
        let Some(paper) = papers.get(&paper_id) else {
            continue;
        };
        let lines = carried_out.remove(&id).unwrap_or_default();
        rows.push(RecommendationOutcome {
            partnership_id: paper.partnership_id,
            partnership: paper.partnership.clone(),
            paper_id,
            paper_status: paper.status,
            fund_years: paper.fund_years.clone(),
            recommendation_id: id,
            number,
            recommendation,
            opcc_contribution: contribution,
            opcc_contribution_state: contribution_state,
            total_budget: budget,
            total_budget_state: budget_state,
            plan_lines: lines.len() as i64,
            planned: Money::sum(lines.iter().map(|(planned, _)| *planned)).ok_or_else(overflow)?,
            spent: Money::sum(lines.iter().filter_map(|(_, spent)| *spent)).ok_or_else(overflow)?,
            funded: !lines.is_empty(),
        });
    }
    Ok(RecommendationOutcomes { rows })
}

pub fn contributions_to_confirm(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &ReportFilter,
) -> Result<ContributionsToConfirm, Error> {
    let papers = papers_in_scope(conn, caller, filter, Some(&[Status::ForDiscussion, Status::Agreed]))?;
    let ids: Vec<i64> = papers.keys().copied().collect();
    let unconfirmed: Vec<RecommendationRow> = recommendations_of(conn, &ids)?
        .into_iter()
        .filter(|r| matches!(r.4, AmountState::ToBeConfirmed | AmountState::AwaitingConfirmation))
        .collect();
    let recommendation_ids: Vec<i64> = unconfirmed.iter().map(|r| r.0).collect();
    let mut served: HashMap<i64, Vec<(i32, String, PrioritySource)>> = HashMap::new();
    for (recommendation, number, title, source) in recommendation_priorities::table
        .inner_join(recommendations::table)
        .inner_join(
            commissioning_priorities::table.on(commissioning_priorities::paper_id
                .eq(recommendations::paper_id)
                .and(commissioning_priorities::number.eq(recommendation_priorities::priority_number))),
        )
        .filter(recommendation_priorities::recommendation_id.eq_any(&recommendation_ids))
        .select((
            recommendation_priorities::recommendation_id,
            commissioning_priorities::number,
            commissioning_priorities::title,
            commissioning_priorities::source,
        ))
        .load::<(i64, i32, String, PrioritySource)>(conn)?
    {
        served.entry(recommendation).or_default().push((number, title, source));
    }
    let mut rows = Vec::new();
    for (id, paper_id, number, recommendation, state, _, budget_state, budget) in unconfirmed {
        let Some(paper) = papers.get(&paper_id) else {
            continue;
        };
        let priorities: Vec<Option<(i32, String, PrioritySource)>> = match served.remove(&id) {
            Some(found) => found.into_iter().map(Some).collect(),
            None => vec![None],
        };
        for priority in priorities {
            rows.push(ContributionToConfirm {
                partnership_id: paper.partnership_id,
                partnership: paper.partnership.clone(),
                paper_id,
                paper_status: paper.status,
                fund_years: paper.fund_years.clone(),
                priority: priority.as_ref().map(|p| p.0),
                priority_title: priority.as_ref().map(|p| p.1.clone()),
                priority_source: priority.as_ref().map(|p| p.2),
                recommendation_id: id,
                number,
                recommendation: recommendation.clone(),
                opcc_contribution_state: state,
                total_budget: budget,
                total_budget_state: budget_state,
            });
        }
    }
    rows.sort_by(|a, b| {
        (&a.partnership, a.paper_id, a.priority.is_none(), a.priority, a.number).cmp(&(
            &b.partnership,
            b.paper_id,
            b.priority.is_none(),
            b.priority,
            b.number,
        ))
    });
    Ok(ContributionsToConfirm { rows })
}

impl CsvRow for RecommendationOutcome {
    const COLUMNS: &'static [&'static str] = &[
        "partnership_id",
        "partnership",
        "paper_id",
        "paper_status",
        "fund_years",
        "recommendation_id",
        "number",
        "recommendation",
        "opcc_contribution",
        "opcc_contribution_state",
        "total_budget",
        "total_budget_state",
        "plan_lines",
        "planned",
        "spent",
        "funded",
    ];
}

impl Table for RecommendationOutcomes {
    type Row = RecommendationOutcome;
    fn rows(&self) -> &[RecommendationOutcome] {
        &self.rows
    }
}

impl CsvRow for ContributionToConfirm {
    const COLUMNS: &'static [&'static str] = &[
        "partnership_id",
        "partnership",
        "paper_id",
        "paper_status",
        "fund_years",
        "priority",
        "priority_title",
        "priority_source",
        "recommendation_id",
        "number",
        "recommendation",
        "opcc_contribution_state",
        "total_budget",
        "total_budget_state",
    ];
}

impl Table for ContributionsToConfirm {
    type Row = ContributionToConfirm;
    fn rows(&self) -> &[ContributionToConfirm] {
        &self.rows
    }
}
