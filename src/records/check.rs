//! Checking a record without an account: what the service keeps under a SHA-256 printed on a
//! record (its content's) or computed from the file (the record's own). Whoever holds the paper
//! learns which version it is and who signed it, never the content; a SHA-256 nobody was given
//! cannot be guessed. At most [`MOST`] versions, each a handful of indexed reads: bounded work
//! for a stranger.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::store::{self, RecordOf};
use crate::db::DbConnection;
use crate::error::Error;
use crate::schema::{
    allocations, document_records, document_versions, final_reports, fund_years, half_year_returns, partnerships,
    plans, signatures,
};
use crate::timestamps;

/// The most versions one answer names.
const MOST: i64 = 20;

/// What the service keeps under a SHA-256.
#[derive(Serialize, ToSchema, Debug)]
pub struct RecordCheck {
    /// The SHA-256 asked about.
    pub sha256: String,
    /// The versions whose content (printed on the record) or kept record (the file) has it,
    /// oldest first; at most 20.
    pub versions: Vec<CheckedVersion>,
}

/// A version a record shows, as the service kept it.
#[derive(Serialize, ToSchema, Debug)]
pub struct CheckedVersion {
    /// `plan`, `half_year_return` or `final_report`.
    pub document_kind: String,
    pub document_id: i64,
    pub number: i32,
    /// Why the version was taken: signed, submitted, approved, accepted, amended.
    pub reason: String,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub taken_at: NaiveDateTime,
    pub partnership: String,
    pub fund_year: String,
    pub content_sha256: String,
    /// SHA-256 of the version's record as kept; null until it is first rendered.
    pub record_sha256: Option<String>,
    /// Where the partnership and the OPCC read the version (with a token).
    pub address: String,
    /// The signatures on the content this version holds.
    pub signatures: Vec<CheckedSignature>,
}

/// A signature on a checked version.
#[derive(Serialize, ToSchema, Debug)]
pub struct CheckedSignature {
    /// `csp_manager` or `treasurer`.
    pub capacity: String,
    pub printed_name: String,
    pub position: String,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub signed_at: NaiveDateTime,
    /// When the signature stopped holding for the document as it read later (an edit after
    /// signing); the version itself still shows what was signed.
    #[serde(serialize_with = "timestamps::optional_as_utc")]
    #[schema(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub voided_at: Option<NaiveDateTime>,
}

type VersionRow = (String, i64, i32, String, NaiveDateTime, String);

/// What the service keeps under `sha256` (64 hexadecimal digits): 404 when nothing.
pub fn check(conn: &mut DbConnection, sha256: &str) -> Result<RecordCheck, Error> {
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::invalid(
            "sha256",
            "format",
            "must be a SHA-256: 64 hexadecimal digits",
        ));
    }
    let sha256 = sha256.to_ascii_lowercase();
    let columns = (
        document_versions::document_kind,
        document_versions::document_id,
        document_versions::number,
        document_versions::reason,
        document_versions::created_at,
        document_versions::content_sha256,
    );
    let mut rows: Vec<VersionRow> = document_versions::table
        .filter(document_versions::content_sha256.eq(&sha256))
        .filter(document_versions::document_kind.ne("commissioning_paper"))
        .order(document_versions::id)
        .limit(MOST)
        .select(columns)
        .load(conn)?;
    if rows.is_empty() {
        let kept: Vec<(String, i64, i32)> = document_records::table
            .filter(document_records::record_sha256.eq(&sha256))
            .limit(MOST)
            .select((
                document_records::document_kind,
                document_records::document_id,
                document_records::number,
            ))
            .load(conn)?;
        for (kind, id, number) in kept {
            rows.extend(
                document_versions::table
                    .filter(document_versions::document_kind.eq(kind))
                    .filter(document_versions::document_id.eq(id))
                    .filter(document_versions::number.eq(number))
                    .select(columns)
                    .first::<VersionRow>(conn)
                    .optional()?,
            );
        }
    }
    if rows.is_empty() {
        return Err(Error::NotFound("record"));
    }
    let versions = rows
        .into_iter()
        .map(|row| checked(conn, row))
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(RecordCheck { sha256, versions })
}

fn checked(
    conn: &mut DbConnection,
    (kind, id, number, reason, taken_at, content_sha256): VersionRow,
) -> Result<CheckedVersion, Error> {
    let (collection, allocation) = match kind.as_str() {
        "plan" => (
            "plans",
            plans::table.find(id).select(plans::allocation_id).first::<i64>(conn)?,
        ),
        "half_year_return" => (
            "half-year-returns",
            half_year_returns::table
                .find(id)
                .select(half_year_returns::allocation_id)
                .first::<i64>(conn)?,
        ),
        "final_report" => (
            "final-reports",
            final_reports::table
                .find(id)
                .select(final_reports::allocation_id)
                .first::<i64>(conn)?,
        ),
        _ => return Err(Error::internal(format!("a version of an unknown kind {kind}"))),
    };
    let (partnership, fund_year): (String, String) = allocations::table
        .inner_join(partnerships::table)
        .inner_join(fund_years::table)
        .filter(allocations::id.eq(allocation))
        .select((partnerships::name, fund_years::label))
        .first(conn)?;
    // The signatures on this content: given up to this version, on the content last signed.
    let signed_sha256: Option<String> = document_versions::table
        .filter(document_versions::document_kind.eq(&kind))
        .filter(document_versions::document_id.eq(id))
        .filter(document_versions::number.le(number))
        .filter(document_versions::reason.eq(crate::versions::SIGNED))
        .order(document_versions::number.desc())
        .select(document_versions::content_sha256)
        .first(conn)
        .optional()?;
    let signatures = match signed_sha256 {
        Some(signed) => signatures::table
            .filter(signatures::document_kind.eq(&kind))
            .filter(signatures::document_id.eq(id))
            .filter(signatures::version_number.le(number))
            .filter(signatures::content_sha256.eq(signed))
            .order(signatures::id)
            .select((
                signatures::capacity,
                signatures::printed_name,
                signatures::position,
                signatures::signed_at,
                signatures::voided_at,
            ))
            .load::<(String, String, String, NaiveDateTime, Option<NaiveDateTime>)>(conn)?
            .into_iter()
            .map(
                |(capacity, printed_name, position, signed_at, voided_at)| CheckedSignature {
                    capacity,
                    printed_name,
                    position,
                    signed_at,
                    voided_at,
                },
            )
            .collect(),
        None => Vec::new(),
    };
    let record_sha256 = store::kept_sha256(
        conn,
        RecordOf {
            kind: &kind,
            document_id: id,
            number,
        },
    )?;
    Ok(CheckedVersion {
        address: format!("/api/v1/{collection}/{id}/versions/{number}"),
        document_kind: kind,
        document_id: id,
        number,
        reason,
        taken_at,
        partnership,
        fund_year,
        content_sha256,
        record_sha256,
        signatures,
    })
}
