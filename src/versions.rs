//! Immutable snapshots of documents: what was submitted, approved, accepted or amended, kept
//! exactly as it read at that moment.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::canonical;
use crate::db::DbConnection;
use crate::documents::Located;
use crate::error::Error;
use crate::pagination::{Page, PageRequest};
use crate::schema::document_versions;
use crate::timestamps;

/// A snapshot's record, without its content.
#[derive(Queryable, Selectable, Serialize, ToSchema, Debug, Clone)]
#[diesel(table_name = document_versions, check_for_backend(crate::db::MultiBackend))]
pub struct VersionSummary {
    /// 1, 2, ... per document.
    pub number: i32,
    /// Why it was taken: signed (exactly the content a signature covers), submitted, approved,
    /// accepted, amended.
    pub reason: String,
    /// SHA-256 of the canonical JSON of `content`.
    pub content_sha256: String,
    pub created_by: String,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub created_at: NaiveDateTime,
}

/// A snapshot with the document as it then read.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct Version {
    #[serde(flatten)]
    pub summary: VersionSummary,
    #[schema(value_type = crate::open_json::JsonObject)]
    pub content: Value,
    /// `content` exactly as hashed: its UTF-8 bytes have the SHA-256 `content_sha256`.
    pub canonical_content: String,
    /// SHA-256 of this version's PDF/A record (this address with `Accept: application/pdf`),
    /// rendered once and kept, so the same bytes are served from then on; null for a kind
    /// without a paper form (commissioning papers).
    pub record_sha256: Option<String>,
}

/// The reason of a snapshot of exactly what a signature covers.
pub const SIGNED: &str = "signed";

/// Takes a snapshot of `content`, numbered after the document's previous ones.
pub fn record(
    conn: &mut DbConnection,
    actor: &Caller,
    document: &Located,
    reason: &str,
    content: &Value,
) -> Result<i32, Error> {
    let last: Option<i32> = document_versions::table
        .filter(document_versions::document_kind.eq(document.kind().as_str()))
        .filter(document_versions::document_id.eq(document.id()))
        .select(diesel::dsl::max(document_versions::number))
        .first(conn)?;
    let number = last.unwrap_or(0) + 1;
    diesel::insert_into(document_versions::table)
        .values((
            document_versions::document_kind.eq(document.kind().as_str()),
            document_versions::document_id.eq(document.id()),
            document_versions::number.eq(number),
            document_versions::reason.eq(reason),
            document_versions::content.eq(canonical::canonical_json(content)),
            document_versions::content_sha256.eq(canonical::digest(content)),
            document_versions::created_by.eq(actor.principal.subject()),
            document_versions::created_at.eq(timestamps::now()),
        ))
        .execute(conn)?;
    Ok(number)
}

/// A document's snapshots, oldest first.
pub fn list(conn: &mut DbConnection, document: &Located, page: &PageRequest) -> Result<Page<VersionSummary>, Error> {
    let after = i32::try_from(page.after).unwrap_or(i32::MAX);
    let rows: Vec<VersionSummary> = document_versions::table
        .filter(document_versions::document_kind.eq(document.kind().as_str()))
        .filter(document_versions::document_id.eq(document.id()))
        .filter(document_versions::number.gt(after))
        .order(document_versions::number)
        .limit(page.fetch())
        .select(VersionSummary::as_select())
        .load(conn)?;
    Ok(Page::from_rows(rows, page, |v| i64::from(v.number), |v| v))
}

/// All of a document's snapshots with their content, oldest first (a document has a handful).
pub fn all(conn: &mut DbConnection, document: &Located) -> Result<Vec<Version>, Error> {
    let rows: Vec<(VersionSummary, String)> = document_versions::table
        .filter(document_versions::document_kind.eq(document.kind().as_str()))
        .filter(document_versions::document_id.eq(document.id()))
        .order(document_versions::number)
        .select((VersionSummary::as_select(), document_versions::content))
        .load(conn)?;
    rows.into_iter()
        .map(|(summary, content)| {
            Ok(Version {
                summary,
                content: serde_json::from_str(&content).map_err(Error::internal)?,
                canonical_content: content,
                record_sha256: None,
            })
        })
        .collect()
}

pub fn get(conn: &mut DbConnection, document: &Located, number: i32) -> Result<Version, Error> {
    let (summary, content): (VersionSummary, String) = document_versions::table
        .filter(document_versions::document_kind.eq(document.kind().as_str()))
        .filter(document_versions::document_id.eq(document.id()))
        .filter(document_versions::number.eq(number))
        .select((VersionSummary::as_select(), document_versions::content))
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("version"))?;
    Ok(Version {
        summary,
        content: serde_json::from_str(&content).map_err(Error::internal)?,
        canonical_content: content,
        record_sha256: None,
    })
}
