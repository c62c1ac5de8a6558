//! What the grant cycle's documents (plans, half-year returns, final reports) share: who may
//! edit them, how their lists are filtered, and (in `lifecycle`) how they move through the
//! workflow, get signed, snapshotted and recorded in the history.

pub mod http;
pub mod lifecycle;

use diesel::prelude::*;
use serde::Deserialize;
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::IntoParams;

use crate::auth::{Caller, Role};
use crate::db::DbConnection;
use crate::error::Error;
use crate::pagination::{Page, PageRequest};
use crate::schema::{allocations, final_reports, half_year_returns, plan_lines, plans};
use crate::workflow::{self, Status, Transition};

crate::stored_enum! {
    /// The three kinds of document, as named in attachments and history.
    pub enum DocumentKind {
        Plan => "plan",
        HalfYearReturn => "half_year_return",
        FinalReport => "final_report",
    }
}

/// Filters every document list accepts.
#[derive(Deserialize, IntoParams, Debug, Default, Clone)]
#[into_params(parameter_in = Query)]
pub struct DocumentFilter {
    /// A fund year label, e.g. 2021-22.
    pub fund_year: Option<String>,
    pub partnership_id: Option<i64>,
    pub status: Option<Status>,
}

/// Narrows a boxed document list query (joined to its allocation and fund year) by a
/// [`DocumentFilter`] and by the partnership the caller is confined to.
#[macro_export]
macro_rules! filter_documents {
    ($query:ident, $filter:expr, $caller:expr, $status:path) => {
        if let Some(label) = &$filter.fund_year {
            $query = $query.filter($crate::schema::fund_years::label.eq(label.clone()));
        }
        if let Some(id) = $filter.partnership_id {
            $query = $query.filter($crate::schema::allocations::partnership_id.eq(id));
        }
        if let Some(status) = $filter.status {
            $query = $query.filter($status.eq(status));
        }
        if let Some(only) = $caller.scope().confined_to() {
            $query = $query.filter($crate::schema::allocations::partnership_id.eq(only));
        }
    };
}

/// Only a partnership's manager writes its documents, and only while they are drafts.
pub fn ensure_editable(caller: &Caller, partnership_id: i64, status: Status, what: &'static str) -> Result<(), Error> {
    caller.ensure_visible(partnership_id, what)?;
    caller.require(&[Role::CspManager])?;
    if status != Status::Draft {
        return Err(Error::Conflict {
            detail: format!("the {what} is {status}; only a draft can be edited"),
            field: None,
        });
    }
    Ok(())
}

/// A replacement body may repeat an identifying field (allocation, half), but not change it.
pub fn check_unchanged<T: PartialEq + std::fmt::Display>(
    violations: &mut crate::error::Violations,
    field: &str,
    sent: Option<T>,
    current: T,
) {
    if let Some(sent) = sent {
        violations.check(
            sent == current,
            field,
            "immutable",
            format!("cannot change; it is {current}"),
        );
    }
}

/// Where a document belongs, for checks that apply to any kind of document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Located {
    pub kind: DocumentKind,
    pub id: i64,
    pub allocation_id: i64,
    pub partnership_id: i64,
    pub status: Status,
    pub version: i32,
}

/// What each kind of document offers the machinery shared by all three.
pub trait Document: Serialize + Sized + Send + 'static {
    const KIND: DocumentKind;
    /// Its content, as created and replaced.
    type Input: DeserializeOwned + Send + 'static;
    /// Its entry in a list.
    type Summary: Serialize + Send + 'static;

    fn id(&self) -> i64;
    /// The document, whoever asks (the workflow's snapshots and hashes).
    fn load(conn: &mut DbConnection, id: i64) -> Result<Self, Error>;
    fn create(conn: &mut DbConnection, caller: &Caller, input: &Self::Input) -> Result<Self, Error>;
    fn replace(
        conn: &mut DbConnection,
        caller: &Caller,
        id: i64,
        expected: Precondition,
        input: &Self::Input,
    ) -> Result<Self, Error>;
    fn list(
        conn: &mut DbConnection,
        caller: &Caller,
        filter: &DocumentFilter,
        page: &PageRequest,
    ) -> Result<Page<Self::Summary>, Error>;
    fn allowed_transitions(&mut self) -> &mut Vec<Transition>;
}

/// Implements [`Document`] for a kind whose module has `load`, `create`, `replace` and `list`,
/// and whose view has `id` and `allowed_transitions` fields.
#[macro_export]
macro_rules! impl_document {
    ($view:ty, kind: $kind:expr, input: $input:ty, summary: $summary:ty) => {
        impl $crate::documents::Document for $view {
            const KIND: $crate::documents::DocumentKind = $kind;
            type Input = $input;
            type Summary = $summary;

            fn id(&self) -> i64 {
                self.id
            }

            fn load(conn: &mut $crate::db::DbConnection, id: i64) -> Result<Self, $crate::error::Error> {
                load(conn, id)
            }

            fn create(
                conn: &mut $crate::db::DbConnection,
                caller: &$crate::auth::Caller,
                input: &$input,
            ) -> Result<Self, $crate::error::Error> {
                create(conn, caller, input)
            }

            fn replace(
                conn: &mut $crate::db::DbConnection,
                caller: &$crate::auth::Caller,
                id: i64,
                expected: $crate::documents::Precondition,
                input: &$input,
            ) -> Result<Self, $crate::error::Error> {
                replace(conn, caller, id, expected, input)
            }

            fn list(
                conn: &mut $crate::db::DbConnection,
                caller: &$crate::auth::Caller,
                filter: &$crate::documents::DocumentFilter,
                page: &$crate::pagination::PageRequest,
            ) -> Result<$crate::pagination::Page<$summary>, $crate::error::Error> {
                list(conn, caller, filter, page)
            }

            fn allowed_transitions(&mut self) -> &mut Vec<$crate::workflow::Transition> {
                &mut self.allowed_transitions
            }
        }
    };
}

/// A document, if the caller may see it, with the transitions the caller may take now.
pub fn get<D: Document>(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<D, Error> {
    let document = locate(conn, caller, D::KIND, id)?;
    let mut found = D::load(conn, id)?;
    *found.allowed_transitions() = workflow::allowed(D::KIND, document.status, caller.role);
    Ok(found)
}

impl DocumentKind {
    /// The collection's path segment: `plans`, `half-year-returns`, `final-reports`.
    pub fn collection(self) -> &'static str {
        match self {
            DocumentKind::Plan => "plans",
            DocumentKind::HalfYearReturn => "half-year-returns",
            DocumentKind::FinalReport => "final-reports",
        }
    }

    /// What the document is called in messages.
    pub fn noun(self) -> &'static str {
        match self {
            DocumentKind::Plan => "plan",
            DocumentKind::HalfYearReturn => "half-year return",
            DocumentKind::FinalReport => "final report",
        }
    }
}

/// Finds a document of any kind, if the caller may see it.
pub fn locate(conn: &mut DbConnection, caller: &Caller, kind: DocumentKind, id: i64) -> Result<Located, Error> {
    let found: Option<(i64, i64, Status, i32)> = match kind {
        DocumentKind::Plan => plans::table
            .inner_join(allocations::table)
            .filter(plans::id.eq(id))
            .select((
                plans::allocation_id,
                allocations::partnership_id,
                plans::status,
                plans::version,
            ))
            .first(conn)
            .optional()?,
        DocumentKind::HalfYearReturn => half_year_returns::table
            .inner_join(allocations::table)
            .filter(half_year_returns::id.eq(id))
            .select((
                half_year_returns::allocation_id,
                allocations::partnership_id,
                half_year_returns::status,
                half_year_returns::version,
            ))
            .first(conn)
            .optional()?,
        DocumentKind::FinalReport => final_reports::table
            .inner_join(allocations::table)
            .filter(final_reports::id.eq(id))
            .select((
                final_reports::allocation_id,
                allocations::partnership_id,
                final_reports::status,
                final_reports::version,
            ))
            .first(conn)
            .optional()?,
    };
    let (allocation_id, partnership_id, status, version) = found.ok_or(Error::NotFound(kind.noun()))?;
    caller.ensure_visible(partnership_id, kind.noun())?;
    Ok(Located {
        kind,
        id,
        allocation_id,
        partnership_id,
        status,
        version,
    })
}

/// What a client says about the version it read (from `If-Match`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precondition {
    /// No If-Match: refused (428), so nobody overwrites changes they have not seen.
    Missing,
    Version(i32),
    /// An If-Match that names no version of ours: never current.
    Unreadable,
}

impl Located {
    /// Refuses a change unless the client read the current version: 428 without If-Match, 412
    /// with a stale one.
    pub fn ensure_version(&self, expected: Precondition) -> Result<(), Error> {
        match expected {
            Precondition::Missing => Err(Error::PreconditionRequired),
            Precondition::Version(version) if version == self.version => Ok(()),
            _ => Err(Error::StaleVersion {
                current: Some(self.version),
            }),
        }
    }
}

/// Sets a document's status and version, only if it is still at version `expected`: of two
/// concurrent changes, exactly one succeeds.
pub fn advance(
    conn: &mut DbConnection,
    kind: DocumentKind,
    id: i64,
    expected: i32,
    status: Status,
) -> Result<i32, Error> {
    let next = expected + 1;
    let now = crate::timestamps::now();
    let updated = match kind {
        DocumentKind::Plan => diesel::update(
            plans::table
                .filter(plans::id.eq(id))
                .filter(plans::version.eq(expected)),
        )
        .set((
            plans::status.eq(status),
            plans::version.eq(next),
            plans::updated_at.eq(now),
        ))
        .execute(conn)?,
        DocumentKind::HalfYearReturn => diesel::update(
            half_year_returns::table
                .filter(half_year_returns::id.eq(id))
                .filter(half_year_returns::version.eq(expected)),
        )
        .set((
            half_year_returns::status.eq(status),
            half_year_returns::version.eq(next),
            half_year_returns::updated_at.eq(now),
        ))
        .execute(conn)?,
        DocumentKind::FinalReport => diesel::update(
            final_reports::table
                .filter(final_reports::id.eq(id))
                .filter(final_reports::version.eq(expected)),
        )
        .set((
            final_reports::status.eq(status),
            final_reports::version.eq(next),
            final_reports::updated_at.eq(now),
        ))
        .execute(conn)?,
    };
    if updated == 1 {
        Ok(next)
    } else {
        Err(Error::StaleVersion { current: None })
    }
}

/// Records the reviewer's reason for sending a document back.
pub fn set_review_comment(conn: &mut DbConnection, kind: DocumentKind, id: i64, comment: &str) -> Result<(), Error> {
    let comment = comment.trim();
    match kind {
        DocumentKind::Plan => diesel::update(plans::table.find(id))
            .set(plans::review_comment.eq(comment))
            .execute(conn)?,
        DocumentKind::HalfYearReturn => diesel::update(half_year_returns::table.find(id))
            .set(half_year_returns::review_comment.eq(comment))
            .execute(conn)?,
        DocumentKind::FinalReport => diesel::update(final_reports::table.find(id))
            .set(final_reports::review_comment.eq(comment))
            .execute(conn)?,
    };
    Ok(())
}

/// Clears a plan's line decisions when it goes back to the partnership: the next review decides
/// afresh. The reviewer's comment stays, so the manager can read what to change.
pub fn clear_review(conn: &mut DbConnection, kind: DocumentKind, id: i64) -> Result<(), Error> {
    if kind == DocumentKind::Plan {
        diesel::update(plan_lines::table.filter(plan_lines::plan_id.eq(id)))
            .set((
                plan_lines::decision.eq(None::<String>),
                plan_lines::decision_comment.eq(""),
            ))
            .execute(conn)?;
    }
    Ok(())
}
