//! Versions' records, kept: a version never changes, so its record is rendered once and served
//! from the database from then on, and the SHA-256 of those bytes, stated in the version's view,
//! stays true whatever changes later in the templates, the fonts or the service's key.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Binary, Integer, Text, Timestamp};
use sha2::{Digest, Sha256};

use crate::db::DbConnection;
use crate::error::Error;
use crate::schema::document_records;
use crate::timestamps;

/// A version's record as kept.
pub struct KeptRecord {
    pub record_sha256: String,
    pub pdf: Vec<u8>,
}

/// Which version a record is of: its document's kind and id, and its number.
#[derive(Debug, Clone, Copy)]
pub struct RecordOf<'a> {
    pub kind: &'a str,
    pub document_id: i64,
    pub number: i32,
}

/// The record kept for a version, if it has been rendered.
pub fn kept(conn: &mut DbConnection, of: RecordOf) -> Result<Option<KeptRecord>, Error> {
    Ok(document_records::table
        .find((of.kind, of.document_id, of.number))
        .select((document_records::record_sha256, document_records::pdf))
        .first::<(String, Vec<u8>)>(conn)
        .optional()?
        .map(|(record_sha256, pdf)| KeptRecord { record_sha256, pdf }))
}

/// The SHA-256 of the record kept for a version, if it has been rendered.
pub fn kept_sha256(conn: &mut DbConnection, of: RecordOf) -> Result<Option<String>, Error> {
    Ok(document_records::table
        .find((of.kind, of.document_id, of.number))
        .select(document_records::record_sha256)
        .first::<String>(conn)
        .optional()?)
}

/// Keeps `pdf` as the version's record unless one is kept already (two first readers at once),
/// and answers the one kept.
pub fn keep(conn: &mut DbConnection, of: RecordOf, pdf: Vec<u8>) -> Result<KeptRecord, Error> {
    let record_sha256 = hex::encode(Sha256::digest(&pdf));
    diesel::sql_query(
        "INSERT INTO document_records (document_kind, document_id, number, record_sha256, pdf, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (document_kind, document_id, number) DO NOTHING",
    )
    .bind::<Text, _>(of.kind)
    .bind::<BigInt, _>(of.document_id)
    .bind::<Integer, _>(of.number)
    .bind::<Text, _>(&record_sha256)
    .bind::<Binary, _>(&pdf)
    .bind::<Timestamp, _>(timestamps::now())
    .execute(conn)?;
    kept(conn, of)?.ok_or_else(|| Error::internal("a record kept and then not found"))
}
