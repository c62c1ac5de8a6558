//! What the grant cycle's documents (plans, half-year returns, final reports) share.
//!
//! Each kind implements [`Document`] in its own module: how it is stored, read, listed and
//! what its signers vouch for. Everything else is written once over `D: Document`: the
//! workflow's moves, edits, signing, snapshots and history, and the HTTP around them, in
//! `crate::lifecycle`, above this module and below the kinds. A document is reached only
//! through [`locate`], which takes the caller and answers 404 for another partnership's
//! document; the [`Located`] it returns is the only key to a document's content, versions,
//! signatures, attachments and history.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::IntoParams;

use crate::allocations::{Allocation, AllocationOfDocument};
use crate::auth::{Caller, Role};
use crate::db::DbConnection;
use crate::deadlines::{Deadline, Placed};
use crate::error::Error;
use crate::pagination::{Page, PageRequest};
use crate::workflow::{Status, Transition};

pub mod children;
mod header;

pub use crate::workflow::DocumentKind;
pub(crate) use header::stored;
pub use header::{DocumentHeader, Named, Stored, splice};

/// Filters every document list accepts.
#[derive(Deserialize, IntoParams, Debug, Default, Clone)]
#[into_params(parameter_in = Query)]
pub struct DocumentFilter {
    /// A fund year label, e.g. 2021-22.
    pub fund_year: Option<String>,
    pub partnership_id: Option<i64>,
    pub status: Option<Status>,
}

impl DocumentFilter {
    /// The partnerships a list is narrowed to, or `None` for all: a caller confined to one
    /// partnership sees only its own (a filter naming another then finds nothing).
    pub fn partnerships(&self, caller: &Caller) -> Option<Vec<i64>> {
        match (caller.scope().confined_to(), self.partnership_id) {
            (Some(own), Some(named)) if named != own => Some(Vec::new()),
            (Some(own), _) => Some(vec![own]),
            (None, named) => named.map(|id| vec![id]),
        }
    }
}

/// Where a document sits, as its table says, before anyone has checked who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub allocation_id: i64,
    pub partnership_id: i64,
    pub status: Status,
    pub version: i32,
}

impl Place {
    /// Where a document read with its allocation sits.
    pub fn in_allocation(allocation: &crate::allocations::Allocation, status: Status, version: i32) -> Place {
        Place {
            allocation_id: allocation.id,
            partnership_id: allocation.partnership_id,
            status,
            version,
        }
    }
}

/// Proof that [`locate`] (or [`locate_and_read`]) is the caller of [`Document::place`]: only this
/// module can make one.
pub struct Unlocated(());

/// The statement that opens a document's read: its row (`$row`, from `$table`) joined with its
/// allocation, fund year and partnership, and left-joined with its "submitted" snapshots, a row
/// each; answers the row, its allocation and its deadline, or `None`. A macro because the three
/// documents' tables are three types.
macro_rules! document_head {
    ($conn:expr, $table:ident, $row:ty, $kind:expr, $id:expr, $placed:expr) => {{
        use $crate::schema::{allocations, document_versions, fund_years, partnerships};
        let rows: Vec<(
            $row,
            $crate::allocations::AllocationOfDocument,
            Option<chrono::NaiveDateTime>,
        )> = $table::table
            .inner_join(
                allocations::table
                    .inner_join(fund_years::table)
                    .inner_join(partnerships::table),
            )
            .left_join(
                document_versions::table.on($crate::deadlines::submission_snapshots($kind.as_str())
                    .and(document_versions::document_id.eq($table::id))),
            )
            .filter($table::id.eq($id))
            .select((
                <$row>::as_select(),
                $crate::allocations::AllocationOfDocument::as_select(),
                document_versions::created_at.nullable(),
            ))
            .load($conn)?;
        $crate::documents::with_allocation(rows, $kind, $placed)
    }};
}
pub(crate) use document_head;

/// The statement that reads a page of a kind's documents (`$row`, from `$table`, with the extra
/// columns `$extra`), each with its partnership and fund year ([`Named`]), narrowed by the list's
/// filter to what the caller may see, in id order. A macro because the three documents' tables
/// are three types.
macro_rules! document_list {
    ($conn:expr, $caller:expr, $filter:expr, $page:expr, $table:ident, $row:ty $(, $extra:expr)*) => {{
        use $crate::schema::{allocations, fund_years, partnerships};
        let mut query = $table::table
            .inner_join(
                allocations::table
                    .inner_join(fund_years::table)
                    .inner_join(partnerships::table),
            )
            .select((
                <$row>::as_select(),
                (allocations::partnership_id, partnerships::name, fund_years::label),
                $($extra,)*
            ))
            .into_boxed();
        if let Some(label) = &$filter.fund_year {
            query = query.filter(fund_years::label.eq(label.clone()));
        }
        if let Some(ids) = $filter.partnerships($caller) {
            query = query.filter(allocations::partnership_id.eq_any(ids));
        }
        if let Some(status) = $filter.status {
            query = query.filter($table::status.eq(status));
        }
        $crate::pagination::in_page_order!(query, $table, $page).load($conn)?
    }};
}
pub(crate) use document_list;

/// A document read in one statement joined with its allocation (with fund year and
/// partnership) and left-joined with its "submitted" snapshots, one row each: the document, its
/// allocation and its deadline, or `None` when there was no row.
pub fn with_allocation<R>(
    rows: Vec<(R, AllocationOfDocument, Option<chrono::NaiveDateTime>)>,
    kind: DocumentKind,
    placed: impl Fn(&R) -> Placed,
) -> Option<(R, Allocation, Deadline)> {
    let mut rows = rows.into_iter();
    let (row, allocation, submitted) = rows.next()?;
    let submissions = submitted.into_iter().chain(rows.filter_map(|(_, _, at)| at));
    let (allocation, due) = allocation.into_parts();
    let deadline = crate::deadlines::of_read(&due, kind, placed(&row), submissions);
    Some((row, allocation, deadline))
}

/// The `Document` methods that only name the kind's table: where a document sits (`place`), its
/// status and version moved together against the version read (`set_status`), and the
/// reviewer's comment kept (`set_review_comment`). Written once for the three kinds, whose
/// tables share these columns; a macro because the tables are three types.
macro_rules! stored_in {
    ($table:ident) => {
        fn place(
            conn: &mut $crate::db::DbConnection,
            id: i64,
            _: $crate::documents::Unlocated,
        ) -> Result<Option<$crate::documents::Place>, $crate::error::Error> {
            use $crate::schema::allocations;
            Ok($table::table
                .inner_join(allocations::table)
                .filter($table::id.eq(id))
                .select((
                    $table::allocation_id,
                    allocations::partnership_id,
                    $table::status,
                    $table::version,
                ))
                .first::<(i64, i64, $crate::workflow::Status, i32)>(conn)
                .optional()?
                .map(
                    |(allocation_id, partnership_id, status, version)| $crate::documents::Place {
                        allocation_id,
                        partnership_id,
                        status,
                        version,
                    },
                ))
        }

        fn set_status(
            conn: &mut $crate::db::DbConnection,
            document: &$crate::documents::Located,
            status: $crate::workflow::Status,
            next: i32,
        ) -> Result<usize, $crate::error::Error> {
            Ok(diesel::update(
                $table::table
                    .filter($table::id.eq(document.id()))
                    .filter($table::version.eq(document.version())),
            )
            .set((
                $table::status.eq(status),
                $table::version.eq(next),
                $table::updated_at.eq($crate::timestamps::now()),
            ))
            .execute(conn)?)
        }

        fn set_review_comment(
            conn: &mut $crate::db::DbConnection,
            document: &$crate::documents::Located,
            comment: &str,
        ) -> Result<(), $crate::error::Error> {
            diesel::update($table::table.find(document.id()))
                .set($table::review_comment.eq(comment))
                .execute(conn)?;
            Ok(())
        }
    };
}
pub(crate) use stored_in;

/// A document the caller has been found allowed to see, and where it stood when found. Only
/// [`locate`] and [`locate_and_read`] make one, so holding one means the visibility check was
/// made. ([`locate_and_read`] reads the document before the check, and drops what it read unless
/// the check passes.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Located {
    kind: DocumentKind,
    id: i64,
    place: Place,
}

impl Located {
    fn of<D: Document>(id: i64, place: Place) -> Located {
        Located {
            kind: D::KIND,
            id,
            place,
        }
    }
}

impl Located {
    pub fn kind(&self) -> DocumentKind {
        self.kind
    }

    pub fn id(&self) -> i64 {
        self.id
    }

    pub fn allocation_id(&self) -> i64 {
        self.place.allocation_id
    }

    pub fn partnership_id(&self) -> i64 {
        self.place.partnership_id
    }

    pub fn status(&self) -> Status {
        self.place.status
    }

    pub fn version(&self) -> i32 {
        self.place.version
    }

    /// Refuses a change unless the client read the current version: 428 without If-Match, 412
    /// with a stale one.
    pub fn ensure_version(&self, expected: Precondition) -> Result<(), Error> {
        expected.ensure(self.version())
    }
}

/// What each kind of document is. Implemented by hand in each kind's module; the methods that
/// touch one document take a [`Located`], so they cannot be reached without the caller check.
pub trait Document: Serialize + Sized + Send + 'static {
    const KIND: DocumentKind;
    /// How its manager signs: a plan is submitted by it, a return or report waits for the
    /// treasurer's countersignature.
    const SIGNING: Transition;
    /// Its content, as created and replaced.
    type Input: DeserializeOwned + Send + 'static;
    /// Its entry in a list.
    type Summary: Serialize + Send + 'static;

    /// Where document `id` sits, or `None`. Only [`locate`] and [`locate_and_read`] ask (they alone
    /// have an [`Unlocated`]).
    fn place(conn: &mut DbConnection, id: i64, _: Unlocated) -> Result<Option<Place>, Error>;
    /// The document as clients read it (without `allowed_transitions`, which depend on who asks).
    fn read(conn: &mut DbConnection, document: &Located) -> Result<Self, Error>;
    /// Where document `id` sits and the document itself, or `None`: what [`locate_and_read`]
    /// asks, in fewer statements than placing the document and then reading it.
    fn place_and_read(conn: &mut DbConnection, id: i64, _: Unlocated) -> Result<Option<(Place, Self)>, Error>;
    /// Checks and stores a new draft (the caller's role and allocation are checked here);
    /// returns its id.
    fn insert(conn: &mut DbConnection, caller: &Caller, input: &Self::Input) -> Result<i64, Error>;
    /// Checks and stores a draft's new content.
    fn update(conn: &mut DbConnection, document: &Located, input: &Self::Input) -> Result<(), Error>;
    /// A page of the documents the caller may see.
    fn list(
        conn: &mut DbConnection,
        caller: &Caller,
        filter: &DocumentFilter,
        page: &PageRequest,
    ) -> Result<Page<Self::Summary>, Error>;
    /// Sets status and version to `next`, only if the document is still at the version read;
    /// returns the rows changed (0 when another change came first).
    fn set_status(conn: &mut DbConnection, document: &Located, status: Status, next: i32) -> Result<usize, Error>;
    /// Keeps the reviewer's reason for sending the document back.
    fn set_review_comment(conn: &mut DbConnection, document: &Located, comment: &str) -> Result<(), Error>;
    /// Forgets review decisions when the document goes back to the partnership.
    fn clear_review(_conn: &mut DbConnection, _document: &Located) -> Result<(), Error> {
        Ok(())
    }
    /// Refuses (422, naming what is missing) a document not complete enough to sign.
    fn ensure_complete(conn: &mut DbConnection, document: &Located) -> Result<(), Error>;
    /// What its signers vouch for: exactly what the form holds (lines, amounts, texts), never
    /// display names, statuses or totals that move with other documents.
    fn signed_content(&self) -> Value;

    fn id(&self) -> i64;
    /// The version read, sent as the ETag.
    fn version(&self) -> i32;
    fn allowed_transitions(&mut self) -> &mut Vec<Transition>;
}

/// Finds a document of kind `D`, if the caller may see it: 404 for one that does not exist and
/// for another partnership's.
pub fn locate<D: Document>(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<Located, Error> {
    let place = D::place(conn, id, Unlocated(()))?.ok_or(Error::NotFound(D::KIND.noun()))?;
    caller.ensure_visible(place.partnership_id, D::KIND.noun())?;
    Ok(Located::of::<D>(id, place))
}

/// Like [`locate`], reading the document as well: 404 for one that does not exist and for
/// another partnership's, whose content is then dropped unseen.
pub fn locate_and_read<D: Document>(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<(Located, D), Error> {
    let (place, found) = D::place_and_read(conn, id, Unlocated(()))?.ok_or(Error::NotFound(D::KIND.noun()))?;
    caller.ensure_visible(place.partnership_id, D::KIND.noun())?;
    Ok((Located::of::<D>(id, place), found))
}

/// Only a partnership's manager writes its documents, and only while they are drafts.
pub fn ensure_editable(caller: &Caller, document: &Located) -> Result<(), Error> {
    caller.require(&[Role::CspManager])?;
    if document.status() != Status::Draft {
        return Err(Error::Conflict {
            detail: format!(
                "the {} is {}; only a draft can be edited",
                document.kind().noun(),
                document.status()
            ),
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

pub use crate::preconditions::Precondition;
