//! Electronic signatures. A signature records who signed, in what capacity, their printed name
//! and position, when, the declaration they made, and the SHA-256 of the canonical content they
//! signed, and that content itself, so a signature that no longer holds can say which signed
//! fields changed. It is valid while it is not voided and the document's content still hashes
//! the same; sending a document back voids its signatures.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use serde_json::Value;

use crate::auth::Caller;
use crate::auth::providers::ProviderSignIn;
use crate::canonical;
use crate::db::DbConnection;
use crate::documents::{DocumentKind, Located};
use crate::error::{Error, Violations};
use crate::history::diff;
use crate::schema::signatures;
use crate::service_key::ServiceKey;
use crate::{timestamps, versions};

crate::stored_enum! {
    /// In what capacity someone signs.
    pub enum Capacity {
        /// The partnership's manager signs the content.
        CspManager => "csp_manager",
        /// The Treasurer / CFO (S151 officer) countersigns the financial declaration.
        Treasurer => "treasurer",
    }
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = signatures, check_for_backend(crate::db::MultiBackend))]
pub struct SignatureRow {
    pub id: i64,
    pub capacity: Capacity,
    pub signer: String,
    pub printed_name: String,
    pub position: String,
    pub declaration: String,
    pub content_sha256: String,
    pub signed_at: NaiveDateTime,
    pub voided_at: Option<NaiveDateTime>,
    pub void_reason: Option<String>,
    pub content: String,
    pub version_number: Option<i32>,
    pub attestation_key_id: Option<String>,
    pub attestation: Option<String>,
    pub sign_in: Option<String>,
}

/// The service's Ed25519 signature over what a signature says: which document, the SHA-256 of
/// the content signed, who, in what capacity, when. Anyone with the key from
/// `GET /api/v1/signing-key` can check it without trusting the database.
#[derive(Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct Attestation {
    pub key_id: String,
    /// The exact bytes signed (UTF-8): canonical JSON of `capacity`, `content_sha256`,
    /// `document_id`, `document_kind`, `purpose`, `signed_at` and `signer`, and `sign_in` for a
    /// signer who signed in at their organisation's identity provider.
    pub message: String,
    /// Ed25519 signature of `message`, base64.
    pub signature: String,
}

/// What an attestation's message says of a signature.
const ATTESTATION_PURPOSE: &str = "cspfund signature attestation";

fn attestation_message(
    document: &Located,
    content_sha256: &str,
    signer: &str,
    capacity: Capacity,
    signed_at: NaiveDateTime,
    sign_in: Option<&ProviderSignIn>,
) -> String {
    let mut message = serde_json::json!({
        "purpose": ATTESTATION_PURPOSE,
        "document_kind": document.kind(),
        "document_id": document.id(),
        "content_sha256": content_sha256,
        "signer": signer,
        "capacity": capacity,
        "signed_at": timestamps::utc(signed_at).to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
    });
    // Signatures confirmed by a password kept here say nothing more, as they always have.
    if let (Some(sign_in), Value::Object(fields)) = (sign_in, &mut message) {
        fields.insert("sign_in".into(), serde_json::json!(sign_in));
    }
    canonical::canonical_json(&message)
}

#[derive(Serialize, ToSchema, Debug, Clone)]
#[schema(example = json!({"id": 7, "capacity": "csp_manager", "signer": "user:3", "printed_name": "Matt Garrett",
    "position": "Head of Community Connections", "declaration": "I confirm that the information in this half-year return is accurate...",
    "content_sha256": "3b7c1f0e9d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c",
    "signed_at": "2017-11-03T09:00:00Z", "voided_at": null, "void_reason": null, "changed_fields": [], "valid": true}))]
pub struct Signature {
    pub id: i64,
    pub capacity: Capacity,
    /// `user:<id>` or `client:<id>`.
    pub signer: String,
    pub printed_name: String,
    pub position: String,
    pub declaration: String,
    /// SHA-256 of the canonical JSON of the content signed.
    pub content_sha256: String,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub signed_at: NaiveDateTime,
    #[serde(serialize_with = "timestamps::optional_as_utc")]
    #[schema(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub voided_at: Option<NaiveDateTime>,
    /// Why the signature no longer holds: the reason it was voided, or that signed content has
    /// changed since.
    pub void_reason: Option<String>,
    /// The signed fields whose value is no longer what was signed, e.g. `lines[0].amount`.
    pub changed_fields: Vec<String>,
    /// Not voided, and the document's current content still has the signed hash.
    pub valid: bool,
    /// The document's version holding exactly the canonical content signed: its SHA-256 is
    /// `content_sha256`. Null for signatures made before versions kept it.
    pub version: Option<i32>,
    /// The service's attestation of this signature; null for signatures made before the
    /// service attested them.
    pub attestation: Option<Attestation>,
    /// How the signer proved who they were when they signed at their organisation's identity
    /// provider: which provider, who there, when they last signed in and how (`acr`, `amr`).
    /// Null for a signer who confirmed with a password (an API client: its secret) kept here.
    pub sign_in: Option<ProviderSignIn>,
}

/// What a signer sends: their password again (an API client: its secret), and optionally the
/// name and position to print (by default a user's own). Someone signed in at their
/// organisation's provider sends no password: a recent sign-in there confirms the signature.
#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"password": "correct horse battery staple", "printed_name": "Matt Garrett",
    "position": "Head of Community Connections"}))]
pub struct SignatureInput {
    #[schema(format = Password)]
    pub password: Option<String>,
    pub printed_name: Option<String>,
    pub position: Option<String>,
}

/// A signer whose identity has been confirmed, and the service's key that attests the signature.
#[derive(Debug, Clone)]
pub struct Signer {
    pub printed_name: String,
    pub position: String,
    /// The provider's sign-in that confirmed the signer, if that is how they confirmed.
    pub sign_in: Option<ProviderSignIn>,
    pub attested_by: ServiceKey,
}

impl Signer {
    /// The name and position to print: as given, else the account's own.
    pub fn from_input(
        input: &SignatureInput,
        display_name: Option<&str>,
        job_title: Option<&str>,
        sign_in: Option<ProviderSignIn>,
        attested_by: ServiceKey,
    ) -> Result<Signer, Error> {
        let printed_name = input
            .printed_name
            .as_deref()
            .or(display_name)
            .unwrap_or("")
            .trim()
            .to_owned();
        let position = input.position.as_deref().or(job_title).unwrap_or("").trim().to_owned();
        let mut v = Violations::new();
        v.text("printed_name", &printed_name, 200);
        v.text("position", &position, 200);
        v.finish()?;
        Ok(Signer {
            printed_name,
            position,
            sign_in,
            attested_by,
        })
    }
}

/// The declaration a signer makes, by document and capacity.
pub fn declaration(kind: DocumentKind, capacity: Capacity) -> String {
    match (kind, capacity) {
        (DocumentKind::Plan, _) => {
            "I confirm that this Spending Intentions Plan sets out how the partnership intends to spend its \
             Community Safety Partnership Fund allocation, and that the information in it is accurate."
                .to_owned()
        }
        (_, Capacity::CspManager) => format!(
            "I confirm that the information in this {} is accurate and that the grant has been used for the \
             purposes agreed with the Office of the Police and Crime Commissioner.",
            kind.noun()
        ),
        (_, Capacity::Treasurer) => format!(
            "As the partnership's Treasurer / Chief Finance Officer (S151 officer), I confirm that the financial \
             information in this {} is a true statement of the expenditure of the grant.",
            kind.noun()
        ),
    }
}

/// Records a signature on `content`, the document's signed content now: a version holding
/// exactly that content, and the service's attestation.
pub fn record(
    conn: &mut DbConnection,
    caller: &Caller,
    document: &Located,
    capacity: Capacity,
    signer: &Signer,
    content: &Value,
) -> Result<(), Error> {
    let content_sha256 = canonical::digest(content);
    let signed_at = timestamps::now();
    let subject = caller.principal.subject();
    let version = versions::record(conn, caller, document, versions::SIGNED, content)?;
    let attestation = signer.attested_by.sign(&attestation_message(
        document,
        &content_sha256,
        &subject,
        capacity,
        signed_at,
        signer.sign_in.as_ref(),
    ));
    let sign_in = signer
        .sign_in
        .as_ref()
        .map(|sign_in| canonical::canonical_json(&serde_json::json!(sign_in)));
    diesel::insert_into(signatures::table)
        .values((
            signatures::document_kind.eq(document.kind().as_str()),
            signatures::document_id.eq(document.id()),
            signatures::capacity.eq(capacity),
            signatures::signer.eq(&subject),
            signatures::printed_name.eq(&signer.printed_name),
            signatures::position.eq(&signer.position),
            signatures::declaration.eq(declaration(document.kind(), capacity)),
            signatures::content_sha256.eq(&content_sha256),
            signatures::content.eq(canonical::canonical_json(content)),
            signatures::signed_at.eq(signed_at),
            signatures::version_number.eq(version),
            signatures::attestation_key_id.eq(signer.attested_by.key_id()),
            signatures::attestation.eq(&attestation),
            signatures::sign_in.eq(&sign_in),
        ))
        .execute(conn)?;
    Ok(())
}

/// The signatures not voided, oldest first.
pub fn standing(conn: &mut DbConnection, document: &Located) -> Result<Vec<SignatureRow>, Error> {
    Ok(signatures::table
        .filter(signatures::document_kind.eq(document.kind().as_str()))
        .filter(signatures::document_id.eq(document.id()))
        .filter(signatures::voided_at.is_null())
        .order(signatures::id)
        .select(SignatureRow::as_select())
        .load(conn)?)
}

/// Voids every standing signature of a document, saying why.
pub fn void_all(conn: &mut DbConnection, document: &Located, reason: &str) -> Result<usize, Error> {
    Ok(diesel::update(signatures::table)
        .filter(signatures::document_kind.eq(document.kind().as_str()))
        .filter(signatures::document_id.eq(document.id()))
        .filter(signatures::voided_at.is_null())
        .set((
            signatures::voided_at.eq(timestamps::now()),
            signatures::void_reason.eq(reason),
        ))
        .execute(conn)?)
}

/// Judges a signature against the document's signed content now.
fn judge(document: &Located, row: SignatureRow, current: &Value, current_sha256: &str) -> Signature {
    let sign_in: Option<ProviderSignIn> = row.sign_in.as_deref().and_then(|s| serde_json::from_str(s).ok());
    let attestation = match (row.attestation_key_id, row.attestation) {
        (Some(key_id), Some(signature)) => Some(Attestation {
            key_id,
            message: attestation_message(
                document,
                &row.content_sha256,
                &row.signer,
                row.capacity,
                row.signed_at,
                sign_in.as_ref(),
            ),
            signature,
        }),
        _ => None,
    };
    let content_holds = row.content_sha256 == current_sha256;
    // A signature made before content was stored with it can say that, not what, changed.
    let signed: Option<Value> = serde_json::from_str(&row.content).ok();
    let changed_fields = match (&signed, content_holds) {
        (Some(signed), false) => diff::changed_fields(signed, current),
        _ => Vec::new(),
    };
    let void_reason = match (&row.void_reason, content_holds) {
        (Some(reason), _) => Some(reason.clone()),
        (None, true) => None,
        (None, false) if changed_fields.is_empty() => Some("the signed content has changed since".to_owned()),
        (None, false) => Some(format!(
            "the signed content has changed since: {}",
            changed_fields.join(", ")
        )),
    };
    Signature {
        valid: row.voided_at.is_none() && content_holds,
        id: row.id,
        capacity: row.capacity,
        signer: row.signer,
        printed_name: row.printed_name,
        position: row.position,
        declaration: row.declaration,
        content_sha256: row.content_sha256,
        signed_at: row.signed_at,
        voided_at: row.voided_at,
        void_reason,
        changed_fields,
        version: row.version_number,
        attestation,
        sign_in,
    }
}

/// All of a document's signatures, oldest first, each judged against `current`, the
/// document's signed content now.
pub fn list(conn: &mut DbConnection, document: &Located, current: &Value) -> Result<Vec<Signature>, Error> {
    let current_sha256 = canonical::digest(current);
    let rows: Vec<SignatureRow> = signatures::table
        .filter(signatures::document_kind.eq(document.kind().as_str()))
        .filter(signatures::document_id.eq(document.id()))
        .order(signatures::id)
        .select(SignatureRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| judge(document, row, current, &current_sha256))
        .collect())
}
