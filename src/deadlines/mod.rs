//! Deadlines: when each document of an allocation is due (the plan, the first and the second
//! half's return, the final report), when it was submitted, and whether it is overdue or came in
//! late, by the service's clock. A document that does not exist yet is due all the same.

pub mod http;

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::dsl::min;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::db::DbConnection;
use crate::error::{Error, Violations};
use crate::fund_years::{DueDates, Half};
use crate::schema::{
    allocations, document_versions, final_reports, fund_years, half_year_returns, partnerships, plans,
};
use crate::timestamps;
use crate::workflow::{DocumentKind, Status};

/// Why a document's snapshot was taken when it reached the OPCC.
const SUBMITTED: &str = "submitted";

/// A document not yet submitted is "due soon" this many days before its due date.
pub const DUE_SOON_DAYS: i64 = 14;

crate::stored_enum! {
    /// Where a document stands against its due date.
    pub enum DeadlineState {
        /// Not submitted; due later than 14 days from today.
        Upcoming => "upcoming",
        /// Not submitted; due today or within 14 days.
        DueSoon => "due_soon",
        /// Not submitted, and the due date has passed.
        Overdue => "overdue",
        /// Submitted on or before the due date.
        Submitted => "submitted",
        /// Submitted after the due date.
        SubmittedLate => "submitted_late",
    }
}

/// A document's due date and how it stands against it today.
#[derive(Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[schema(example = json!({"due_on": "2017-11-03", "submitted_on": null, "state": "overdue",
    "overdue": true, "submitted_late": false, "days_late": 4}))]
pub struct Deadline {
    pub due_on: NaiveDate,
    /// When it was first submitted (a plan) or countersigned (a return or report); null while it
    /// is a draft, or signed by the manager only.
    pub submitted_on: Option<NaiveDate>,
    pub state: DeadlineState,
    /// Not submitted, and the due date has passed.
    pub overdue: bool,
    /// Submitted after the due date.
    pub submitted_late: bool,
    /// Days past the due date: until today while overdue, until submission when late; else 0.
    pub days_late: i64,
}

impl Deadline {
    /// Judges a due date against the day of submission, if any, and today.
    pub fn judge(due_on: NaiveDate, submitted_on: Option<NaiveDate>, today: NaiveDate) -> Deadline {
        let late_by = |day: NaiveDate| (day - due_on).num_days().max(0);
        let (state, days_late) = match submitted_on {
            Some(day) if day > due_on => (DeadlineState::SubmittedLate, late_by(day)),
            Some(_) => (DeadlineState::Submitted, 0),
            None if today > due_on => (DeadlineState::Overdue, late_by(today)),
            None if (due_on - today).num_days() <= DUE_SOON_DAYS => (DeadlineState::DueSoon, 0),
            None => (DeadlineState::Upcoming, 0),
        };
        Deadline {
            due_on,
            submitted_on,
            overdue: state == DeadlineState::Overdue,
            submitted_late: state == DeadlineState::SubmittedLate,
            state,
            days_late,
        }
    }
}

/// The due date of a kind of document (and half, for a return) in a fund year.
pub fn due_on(due: &DueDates, kind: DocumentKind, half: Option<Half>) -> NaiveDate {
    match (kind, half) {
        // A commissioning paper is agreed before the plan carrying it out is due; papers show no
        // deadline of their own.
        (DocumentKind::Plan | DocumentKind::CommissioningPaper, _) => due.plan,
        (DocumentKind::HalfYearReturn, Some(Half::Second)) => due.second_half,
        (DocumentKind::HalfYearReturn, _) => due.first_half,
        (DocumentKind::FinalReport, _) => due.final_report,
    }
}

/// Whether a document in this status has been submitted: drafts and documents signed by the
/// manager only (or withdrawn to them) have not.
fn is_submitted(status: Status) -> bool {
    !matches!(status, Status::Draft | Status::Signed)
}

/// A document as its deadline needs it.
#[derive(Debug, Clone, Copy)]
pub struct Placed {
    pub id: i64,
    pub allocation_id: i64,
    pub half: Option<Half>,
    pub status: Status,
}

/// The due dates of the fund years of these allocations.
fn due_dates(conn: &mut DbConnection, allocation_ids: &[i64]) -> Result<HashMap<i64, DueDates>, Error> {
    Ok(allocations::table
        .inner_join(fund_years::table)
        .filter(allocations::id.eq_any(allocation_ids))
        .select((
            allocations::id,
            fund_years::plan_due,
            fund_years::first_half_return_due,
            fund_years::second_half_return_due,
            fund_years::final_report_due,
        ))
        .load::<(i64, NaiveDate, NaiveDate, NaiveDate, NaiveDate)>(conn)?
        .into_iter()
        .map(|(id, plan, first_half, second_half, final_report)| {
            (
                id,
                DueDates {
                    plan,
                    first_half,
                    second_half,
                    final_report,
                },
            )
        })
        .collect())
}

/// The "submitted" snapshots of documents of a kind, as a join condition on `document_versions`:
/// a document's own query joins them (matching `document_id` too) and the earliest is its first
/// submission (see [`of_read`]).
#[diesel::dsl::auto_type]
pub fn submission_snapshots(kind: &'static str) -> _ {
    let reason: &'static str = SUBMITTED;
    document_versions::document_kind
        .eq(kind)
        .and(document_versions::reason.eq(reason))
}

/// The deadline of a document read in one query with its fund year's due dates and the times of
/// its "submitted" snapshots.
pub fn of_read(
    due: &DueDates,
    kind: DocumentKind,
    document: Placed,
    submissions: impl IntoIterator<Item = chrono::NaiveDateTime>,
) -> Deadline {
    let submitted_on = is_submitted(document.status)
        .then(|| submissions.into_iter().min())
        .flatten()
        .map(timestamps::london_date);
    Deadline::judge(due_on(due, kind, document.half), submitted_on, timestamps::today())
}

/// The day each of these documents was first submitted: its first "submitted" snapshot.
fn first_submissions(
    conn: &mut DbConnection,
    kind: DocumentKind,
    ids: &[i64],
) -> Result<HashMap<i64, NaiveDate>, Error> {
    Ok(document_versions::table
        .filter(document_versions::document_kind.eq(kind.as_str()))
        .filter(document_versions::document_id.eq_any(ids))
        .filter(document_versions::reason.eq(SUBMITTED))
        .group_by(document_versions::document_id)
        .select((document_versions::document_id, min(document_versions::created_at)))
        .load::<(i64, Option<chrono::NaiveDateTime>)>(conn)?
        .into_iter()
        .filter_map(|(id, at)| at.map(|at| (id, timestamps::london_date(at))))
        .collect())
}

/// The deadlines of documents of one kind, by document id.
pub fn of_documents(
    conn: &mut DbConnection,
    kind: DocumentKind,
    documents: &[Placed],
) -> Result<HashMap<i64, Deadline>, Error> {
    let allocation_ids: Vec<i64> = documents.iter().map(|d| d.allocation_id).collect();
    let due = due_dates(conn, &allocation_ids)?;
    let submitted_ids: Vec<i64> = documents
        .iter()
        .filter(|d| is_submitted(d.status))
        .map(|d| d.id)
        .collect();
    let submitted = first_submissions(conn, kind, &submitted_ids)?;
    let today = timestamps::today();
    let mut deadlines = HashMap::with_capacity(documents.len());
    for document in documents {
        let dates = due
            .get(&document.allocation_id)
            .ok_or_else(|| Error::internal("a document's allocation has no fund year"))?;
        deadlines.insert(
            document.id,
            Deadline::judge(
                due_on(dates, kind, document.half),
                submitted.get(&document.id).copied(),
                today,
            ),
        );
    }
    Ok(deadlines)
}

/// The deadline of one document.
pub fn of_document(conn: &mut DbConnection, kind: DocumentKind, document: Placed) -> Result<Deadline, Error> {
    of_documents(conn, kind, &[document])?
        .remove(&document.id)
        .ok_or_else(|| Error::internal("a document without a deadline"))
}

/// One document an allocation owes, whether or not it exists yet.
#[derive(Serialize, ToSchema, Debug, Clone)]
#[schema(example = json!({"allocation_id": 1, "partnership_id": 1, "partnership": "Safer Plymouth",
    "fund_year": "2017-18", "kind": "half_year_return", "half": "second", "document_id": null,
    "status": null, "deadline": {"due_on": "2018-05-04", "submitted_on": null, "state": "overdue",
    "overdue": true, "submitted_late": false, "days_late": 3}}))]
pub struct DueDocument {
    pub allocation_id: i64,
    pub partnership_id: i64,
    pub partnership: String,
    pub fund_year: String,
    pub kind: DocumentKind,
    /// Which half, for a half-year return.
    pub half: Option<Half>,
    /// Null while the document has not been started.
    pub document_id: Option<i64>,
    pub status: Option<Status>,
    pub deadline: Deadline,
}

/// What is due, as of when, and how soon counts as "due soon".
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct DueDocuments {
    /// Today, by the service's clock.
    pub as_of: NaiveDate,
    pub due_soon_days: i64,
    pub items: Vec<DueDocument>,
}

/// Which deadlines to list.
#[derive(Deserialize, IntoParams, ToSchema, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeadlineFilter {
    /// Fund year label, e.g. "2017-18".
    pub fund_year: Option<String>,
    pub partnership_id: Option<i64>,
    pub kind: Option<DocumentKind>,
    pub state: Option<DeadlineState>,
}

/// An allocation and what its fund year and partnership say of it.
pub struct Owing {
    pub allocation_id: i64,
    pub partnership_id: i64,
    pub partnership: String,
    pub fund_year: String,
}

/// Every document the allocations the caller may see owe, in fund year and partnership order.
pub fn list(conn: &mut DbConnection, caller: &Caller, filter: &DeadlineFilter) -> Result<DueDocuments, Error> {
    let mut v = Violations::new();
    v.check(
        filter.partnership_id.is_none_or(|id| id > 0),
        "partnership_id",
        "minimum",
        "must be a partnership id",
    );
    v.finish()?;
    due_documents(conn, caller.scope().confined_to(), filter)
}

/// Every document past its due date and not submitted, of every partnership.
pub fn overdue(conn: &mut DbConnection) -> Result<Vec<DueDocument>, Error> {
    let filter = DeadlineFilter {
        state: Some(DeadlineState::Overdue),
        ..DeadlineFilter::default()
    };
    Ok(due_documents(conn, None, &filter)?.items)
}

/// What the allocations of one partnership (`only`) or all owe, filtered.
fn due_documents(conn: &mut DbConnection, only: Option<i64>, filter: &DeadlineFilter) -> Result<DueDocuments, Error> {
    let mut query = allocations::table
        .inner_join(fund_years::table)
        .inner_join(partnerships::table)
        .order((fund_years::starts_on, partnerships::name, allocations::id))
        .select((
            allocations::id,
            allocations::partnership_id,
            partnerships::name,
            fund_years::label,
        ))
        .into_boxed();
    if let Some(label) = &filter.fund_year {
        query = query.filter(fund_years::label.eq(label.clone()));
    }
    if let Some(id) = filter.partnership_id {
        query = query.filter(allocations::partnership_id.eq(id));
    }
    if let Some(only) = only {
        query = query.filter(allocations::partnership_id.eq(only));
    }
    let owing: Vec<Owing> = query
        .load::<(i64, i64, String, String)>(conn)?
        .into_iter()
        .map(|(allocation_id, partnership_id, partnership, fund_year)| Owing {
            allocation_id,
            partnership_id,
            partnership,
            fund_year,
        })
        .collect();
    let items = owed(conn, &owing)?
        .into_iter()
        .filter(|item| filter.kind.is_none_or(|kind| item.kind == kind))
        .filter(|item| filter.state.is_none_or(|state| item.deadline.state == state))
        .collect();
    Ok(DueDocuments {
        as_of: timestamps::today(),
        due_soon_days: DUE_SOON_DAYS,
        items,
    })
}

/// The four documents each allocation owes: its plan, both halves' returns and its final report.
fn owed(conn: &mut DbConnection, owing: &[Owing]) -> Result<Vec<DueDocument>, Error> {
    let ids: Vec<i64> = owing.iter().map(|o| o.allocation_id).collect();
    let due = due_dates(conn, &ids)?;
    let placed = |rows: Vec<(i64, i64, Option<Half>, Status)>| -> Vec<Placed> {
        rows.into_iter()
            .map(|(id, allocation_id, half, status)| Placed {
                id,
                allocation_id,
                half,
                status,
            })
            .collect()
    };
    let plans = placed(
        plans::table
            .filter(plans::allocation_id.eq_any(&ids))
            .select((plans::id, plans::allocation_id, plans::status))
            .load::<(i64, i64, Status)>(conn)?
            .into_iter()
            .map(|(id, allocation, status)| (id, allocation, None, status))
            .collect(),
    );
    let returns = placed(
        half_year_returns::table
            .filter(half_year_returns::allocation_id.eq_any(&ids))
            .select((
                half_year_returns::id,
                half_year_returns::allocation_id,
                half_year_returns::half,
                half_year_returns::status,
            ))
            .load::<(i64, i64, Half, Status)>(conn)?
            .into_iter()
            .map(|(id, allocation, half, status)| (id, allocation, Some(half), status))
            .collect(),
    );
    let reports = placed(
        final_reports::table
            .filter(final_reports::allocation_id.eq_any(&ids))
            .select((final_reports::id, final_reports::allocation_id, final_reports::status))
            .load::<(i64, i64, Status)>(conn)?
            .into_iter()
            .map(|(id, allocation, status)| (id, allocation, None, status))
            .collect(),
    );
    let mut submitted = HashMap::new();
    let mut by_slot: HashMap<(i64, DocumentKind, Option<Half>), Placed> = HashMap::new();
    for (kind, documents) in [
        (DocumentKind::Plan, plans),
        (DocumentKind::HalfYearReturn, returns),
        (DocumentKind::FinalReport, reports),
    ] {
        let ids: Vec<i64> = documents
            .iter()
            .filter(|d| is_submitted(d.status))
            .map(|d| d.id)
            .collect();
        for (id, day) in first_submissions(conn, kind, &ids)? {
            submitted.insert((kind, id), day);
        }
        for document in documents {
            by_slot.insert((document.allocation_id, kind, document.half), document);
        }
    }
    let today = timestamps::today();
    let mut items = Vec::with_capacity(owing.len() * 4);
    for allocation in owing {
        let dates = due
            .get(&allocation.allocation_id)
            .ok_or_else(|| Error::internal("an allocation without a fund year"))?;
        let slots = [
            (DocumentKind::Plan, None),
            (DocumentKind::HalfYearReturn, Some(Half::First)),
            (DocumentKind::HalfYearReturn, Some(Half::Second)),
            (DocumentKind::FinalReport, None),
        ];
        for (kind, half) in slots {
            let document = by_slot.get(&(allocation.allocation_id, kind, half));
            let submitted_on = document.and_then(|d| submitted.get(&(kind, d.id)).copied());
            items.push(DueDocument {
                allocation_id: allocation.allocation_id,
                partnership_id: allocation.partnership_id,
                partnership: allocation.partnership.clone(),
                fund_year: allocation.fund_year.clone(),
                kind,
                half,
                document_id: document.map(|d| d.id),
                status: document.map(|d| d.status),
                deadline: Deadline::judge(due_on(dates, kind, half), submitted_on, today),
            });
        }
    }
    Ok(items)
}

/// The documents each of these allocations owes, with their deadlines, by allocation id.
pub fn of_allocations(conn: &mut DbConnection, owing: &[Owing]) -> Result<HashMap<i64, Vec<DueDocument>>, Error> {
    let mut by_allocation: HashMap<i64, Vec<DueDocument>> = HashMap::new();
    for item in owed(conn, owing)? {
        by_allocation.entry(item.allocation_id).or_default().push(item);
    }
    Ok(by_allocation)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn a_deadline_is_judged_by_submission_then_by_today() {
        let due = d("2017-11-03");
        let state = |submitted: Option<&str>, today: &str| {
            let deadline = Deadline::judge(due, submitted.map(d), d(today));
            (deadline.state, deadline.days_late)
        };
        assert_eq!(state(None, "2017-10-01"), (DeadlineState::Upcoming, 0));
        assert_eq!(state(None, "2017-10-20"), (DeadlineState::DueSoon, 0));
        assert_eq!(state(None, "2017-11-03"), (DeadlineState::DueSoon, 0));
        assert_eq!(state(None, "2017-11-04"), (DeadlineState::Overdue, 1));
        assert_eq!(state(Some("2017-11-03"), "2018-01-01"), (DeadlineState::Submitted, 0));
        assert_eq!(
            state(Some("2017-11-10"), "2018-01-01"),
            (DeadlineState::SubmittedLate, 7)
        );
    }
}
