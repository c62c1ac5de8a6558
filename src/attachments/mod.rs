//! Evidence attached to a plan, half-year return or final report (evaluation forms, monitoring
//! reports), optionally to one of its plan lines. Files live on disk (see [`store`]); the
//! database keeps who attached what, when, and the file's SHA-256.

pub mod http;
pub mod store;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::commissioning::CommissioningPaper;
use crate::db::{DbConnection, write_transaction};
use crate::documents::{self, Document, DocumentKind, Located};
use crate::error::{Error, Violations};
use crate::final_reports::FinalReport;
use crate::half_year_returns::HalfYearReturn;
use crate::history::Action;
use crate::lifecycle;
use crate::pagination::{Page, PageRequest};
use crate::plans::{self, Plan};
use crate::schema::{attachments, plan_lines};
use crate::timestamps;

const MAX_FILENAME: usize = 255;

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = attachments, check_for_backend(crate::db::MultiBackend))]
struct AttachmentRow {
    id: i64,
    partnership_id: i64,
    document_kind: DocumentKind,
    document_id: i64,
    plan_line_id: Option<i64>,
    filename: String,
    content_type: String,
    size_bytes: i64,
    sha256: String,
    uploaded_by: String,
    uploaded_at: NaiveDateTime,
}

/// An attached file's record.
#[derive(Serialize, ToSchema, Debug, Clone)]
#[schema(example = json!({"id": 4, "document_kind": "final_report", "document_id": 1, "plan_line": 1,
    "filename": "PDAS annual monitoring 2017-18.pdf", "content_type": "application/pdf", "size_bytes": 184320,
    "sha256": "9f2c0b7a6e5d4c3b2a190817161514131211100f0e0d0c0b0a09080706050403", "uploaded_by": "user:3",
    "uploaded_at": "2026-11-22T09:00:00Z"}))]
pub struct Attachment {
    pub id: i64,
    pub document_kind: DocumentKind,
    pub document_id: i64,
    /// The plan line the evidence is about, if any.
    pub plan_line: Option<i32>,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// SHA-256 of the content (hex); also the download's ETag.
    pub sha256: String,
    /// Who attached it: `user:<id>` or `client:<id>`.
    pub uploaded_by: String,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub uploaded_at: NaiveDateTime,
}

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// The file's name, e.g. `Trauma Informed Evaluation Form.docx`. Its extension names the
    /// file's type when it is sent as `application/octet-stream`.
    #[param(
        max_length = 255,
        pattern = r"^[^/\\\u0000-\u001F\u007F-\u009F]*[^/\\\s\u0000-\u001F\u007F-\u009F.][^/\\\u0000-\u001F\u007F-\u009F]*\.(pdf|PDF|doc|DOC|docx|DOCX|xls|XLS|xlsx|XLSX|odt|ODT|ods|ODS|csv|CSV|txt|TXT|png|PNG|jpg|JPG|jpeg|JPEG)$"
    )]
    pub filename: String,
    /// The number of the plan line the evidence is about.
    pub plan_line: Option<i32>,
}

/// A file received, stored and ready to be recorded.
pub struct StoredFile {
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
}

/// Checks a file's name; the media type and size are checked as the request is read.
pub fn check_filename(filename: &str) -> Result<(), Error> {
    let mut v = Violations::new();
    v.text("filename", filename, MAX_FILENAME);
    v.check(
        !filename.chars().any(|c| c.is_control() || matches!(c, '/' | '\\')) && !matches!(filename.trim(), "." | ".."),
        "filename",
        "filename",
        "must be a plain file name, without folders or control characters",
    );
    v.finish()
}

/// Media types known by file name extension, for uploads sent as `application/octet-stream`
/// (what generic HTTP clients send when they do not know better).
const TYPES_BY_EXTENSION: [(&str, &str); 12] = [
    ("pdf", "application/pdf"),
    ("doc", "application/msword"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("xls", "application/vnd.ms-excel"),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("odt", "application/vnd.oasis.opendocument.text"),
    ("ods", "application/vnd.oasis.opendocument.spreadsheet"),
    ("csv", "text/csv"),
    ("txt", "text/plain"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
];

/// The media type of an upload, without parameters, if the service accepts it: the
/// Content-Type, or for `application/octet-stream` the type the file name's extension names.
pub fn accepted_type(content_type: Option<&str>, filename: &str, allowed: &[String]) -> Option<String> {
    let essence = content_type?.split(';').next()?.trim().to_ascii_lowercase();
    let essence = if essence == "application/octet-stream" {
        let extension = filename.rsplit_once('.')?.1.to_ascii_lowercase();
        let (_, known) = TYPES_BY_EXTENSION.iter().find(|(e, _)| *e == extension)?;
        (*known).to_owned()
    } else {
        essence
    };
    allowed.contains(&essence).then_some(essence)
}

fn view(row: AttachmentRow, plan_line: Option<i32>) -> Attachment {
    Attachment {
        id: row.id,
        document_kind: row.document_kind,
        document_id: row.document_id,
        plan_line,
        filename: row.filename,
        content_type: row.content_type,
        size_bytes: row.size_bytes,
        sha256: row.sha256,
        uploaded_by: row.uploaded_by,
        uploaded_at: row.uploaded_at,
    }
}

fn line_number(conn: &mut DbConnection, plan_line_id: Option<i64>) -> Result<Option<i32>, Error> {
    Ok(match plan_line_id {
        Some(id) => Some(plan_lines::table.find(id).select(plan_lines::number).first(conn)?),
        None => None,
    })
}

/// The document an upload goes to, if the caller may attach to it now.
pub fn writable_document<D: Document>(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<Located, Error> {
    let document = documents::locate::<D>(conn, caller, id)?;
    documents::ensure_editable(caller, &document)?;
    Ok(document)
}

/// Records a stored file against a document (and optionally one of its plan lines).
pub fn record<D: Document>(
    conn: &mut DbConnection,
    caller: &Caller,
    document_id: i64,
    plan_line: Option<i32>,
    file: &StoredFile,
) -> Result<Attachment, Error> {
    write_transaction(conn, |conn| {
        // Evidence is part of the signed content: attaching is an edit of the document.
        let (document, before) = lifecycle::begin_edit::<D>(conn, caller, document_id, None)?;
        let plan_line_id = match plan_line {
            None => None,
            Some(_) if D::KIND == DocumentKind::CommissioningPaper => {
                return Err(Error::invalid(
                    "plan_line",
                    "not_allowed",
                    "a commissioning paper's evidence belongs to the paper, not to a plan line",
                ));
            }
            Some(number) => {
                let lines = plans::cited_by(conn, &document)?.unwrap_or_default();
                let line = lines.iter().find(|l| l.number == number).ok_or_else(|| {
                    Error::invalid(
                        "plan_line",
                        "not_in_plan",
                        format!("the allocation's plan has no line {number}"),
                    )
                })?;
                Some(line.id)
            }
        };
        let row: AttachmentRow = diesel::insert_into(attachments::table)
            .values((
                attachments::partnership_id.eq(document.partnership_id()),
                attachments::document_kind.eq(D::KIND),
                attachments::document_id.eq(document_id),
                attachments::plan_line_id.eq(plan_line_id),
                attachments::filename.eq(file.filename.trim()),
                attachments::content_type.eq(&file.content_type),
                attachments::size_bytes.eq(file.size_bytes),
                attachments::sha256.eq(&file.sha256),
                attachments::uploaded_by.eq(caller.principal.subject()),
                attachments::uploaded_at.eq(timestamps::now()),
            ))
            .returning(attachments::all_columns)
            .get_result(conn)?;
        let details = serde_json::json!({"attachment": row.id, "filename": row.filename, "sha256": row.sha256});
        lifecycle::finish_edit::<D>(conn, caller, &document, Action::AttachmentAdded, &before, details)?;
        Ok(view(row, plan_line))
    })
}

/// A document's evidence, if the caller may see the document.
pub fn list<D: Document>(
    conn: &mut DbConnection,
    caller: &Caller,
    document_id: i64,
    page: &PageRequest,
) -> Result<Page<Attachment>, Error> {
    let document = documents::locate::<D>(conn, caller, document_id)?;
    let rows: Vec<(AttachmentRow, Option<i32>)> = attachments::table
        .left_join(plan_lines::table)
        .filter(attachments::document_kind.eq(document.kind()))
        .filter(attachments::document_id.eq(document.id()))
        .filter(attachments::id.gt(page.after))
        .order(attachments::id)
        .limit(page.fetch())
        .select((AttachmentRow::as_select(), plan_lines::number.nullable()))
        .load(conn)?;
    Ok(Page::from_rows(
        rows,
        page,
        |(row, _)| row.id,
        |(row, line)| view(row, line),
    ))
}

pub fn get(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<Attachment, Error> {
    let row = attachments::table
        .find(id)
        .select(AttachmentRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("attachment"))?;
    caller.ensure_visible(row.partnership_id, "attachment")?;
    let line = line_number(conn, row.plan_line_id)?;
    Ok(view(row, line))
}

/// Removing an attachment from its document, whatever kind the document is.
struct Removal<'a> {
    conn: &'a mut DbConnection,
    caller: &'a Caller,
    attachment: Attachment,
}

impl ForKind for Removal<'_> {
    type Output = Result<(), Error>;

    fn run<D: Document>(self) -> Result<(), Error> {
        let Removal {
            conn,
            caller,
            attachment,
        } = self;
        let (document, before) = lifecycle::begin_edit::<D>(conn, caller, attachment.document_id, None)?;
        diesel::delete(attachments::table.find(attachment.id)).execute(conn)?;
        let details = serde_json::json!({"attachment": attachment.id, "filename": attachment.filename, "sha256": attachment.sha256});
        lifecycle::finish_edit::<D>(conn, caller, &document, Action::AttachmentRemoved, &before, details)?;
        Ok(())
    }
}

/// Removes an attachment's record while its document is a draft. The file itself is kept.
pub fn remove(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<(), Error> {
    write_transaction(conn, |conn| {
        let attachment = get(conn, caller, id)?;
        for_kind(
            attachment.document_kind,
            Removal {
                conn,
                caller,
                attachment,
            },
        )
    })
}

/// Work to do on a document whose kind is known only when the program runs (an attachment's).
trait ForKind {
    type Output;
    fn run<D: Document>(self) -> Self::Output;
}

/// The one place a kind is mapped to its type.
fn for_kind<W: ForKind>(kind: DocumentKind, work: W) -> W::Output {
    match kind {
        DocumentKind::Plan => work.run::<Plan>(),
        DocumentKind::HalfYearReturn => work.run::<HalfYearReturn>(),
        DocumentKind::FinalReport => work.run::<FinalReport>(),
        DocumentKind::CommissioningPaper => work.run::<CommissioningPaper>(),
    }
}
