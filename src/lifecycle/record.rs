//! A document as its paper form, written once for every kind that has one: which content a record
//! shows, the signatures on it, and the service's attestation of what it shows.
//!
//! A version taken when a signature was given holds exactly what the signature covers, which is
//! not the whole form (no titles, names or totals). Its record lays out the first full snapshot
//! taken after it that still holds that content (a plan's "submitted", taken in the same step; a
//! return's after the treasurer's countersignature), else the document as it reads now if it
//! still does; failing both, the signed content alone.

use chrono::NaiveDateTime;
use serde_json::{Value, json};

use crate::allocations::{self, Allocation};
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::documents::{Document, Located};
use crate::error::Error;
use crate::money::Money;
use crate::records::{self, Form, Sheet};
use crate::service_key::ServiceKey;
use crate::signatures::Signature;
use crate::{canonical, lifecycle, versions};

/// What an attestation of a record says it is.
const RECORD_ATTESTATION_PURPOSE: &str = "cspfund record attestation";

/// A kind of document with a paper form.
pub trait Recorded: Document {
    const FORM: Form;
    /// What the form's template lays out, from the document as clients read it (`view`, the
    /// JSON of the document or of a full snapshot): the partnership, the fund year and the
    /// form's own sections, words and figures as printed.
    fn form_fields(view: &Value) -> Value;
}

/// Where a record is published and checked, and who attests it.
pub struct Issuer {
    /// The service's public address, as `CSPFUND_PUBLIC_URL` gives it.
    pub public_url: String,
    pub key: ServiceKey,
}

/// What the record of document `document` is made from: the document as it reads now, or as
/// version `number` kept it, with the signatures on that content.
pub fn sheet<D: Recorded>(
    conn: &mut DbConnection,
    caller: &Caller,
    document: &Located,
    number: Option<i32>,
    issuer: &Issuer,
) -> Result<Sheet, Error> {
    let signatures = lifecycle::signatures::<D>(conn, caller, document.id())?;
    let noun = D::KIND.noun();
    let collection = D::KIND.collection();
    let shown = match number {
        Some(number) => shown_in_version::<D>(conn, document, number, signatures)?,
        None => {
            let view = serde_json::to_value(D::read(conn, document)?).map_err(Error::internal)?;
            Shown {
                content_sha256: canonical::digest(&view),
                dated: updated_at(&view)?,
                record_of: format!("the {noun} as it read when printed"),
                signatures: signatures.into_iter().filter(|s| s.valid).collect(),
                view,
            }
        }
    };
    let read_at = match number {
        Some(number) => format!(
            "{}/api/v1/{collection}/{}/versions/{number}",
            issuer.public_url,
            document.id()
        ),
        None => format!("{}/api/v1/{collection}/{}", issuer.public_url, document.id()),
    };
    // A version is kept, so anyone can check its record by the SHA-256 printed on it; a document
    // as it reads now is checked by reading it again, with a token.
    let check_at = match number {
        Some(_) => format!("{}/api/v1/records/{}", issuer.public_url, shown.content_sha256),
        None => read_at.clone(),
    };
    let message = canonical::canonical_json(&json!({
        "purpose": RECORD_ATTESTATION_PURPOSE,
        "check_at": check_at,
        "content_sha256": shown.content_sha256,
        "record_of": shown.record_of,
    }));
    let grant_line = match shown.view["allocation_id"].as_i64() {
        Some(allocation) => allocations::find_unscoped(conn, allocation)?.map(|a| grant_line(&a)),
        None => None,
    };
    let status = shown.view["status"].as_str().unwrap_or("").to_owned();
    let mut data = D::form_fields(&shown.view);
    if let Value::Object(fields) = &mut data {
        let common = json!({
            "grant_line": grant_line.unwrap_or_default(),
            "state": status.replace('_', " "),
            "draft": (status == "draft" || status.is_empty()) && shown.signatures.is_empty(),
            "signatures": shown.signatures.iter().map(records::signature_block).collect::<Vec<_>>(),
            "content_sha256": shown.content_sha256,
            "check_at": check_at,
            "read_at": read_at,
            "record_of": shown.record_of,
            "signing_key_at": format!("{}/api/v1/signing-key", issuer.public_url),
            "attestation": {
                "key_id": issuer.key.key_id(),
                "message": message,
                "signature": issuer.key.sign(&message),
            },
        });
        if let Value::Object(common) = common {
            fields.extend(common);
        }
    }
    Ok(Sheet {
        form: D::FORM,
        data,
        ident: format!(
            "cspfund-{}-{}-{}",
            D::KIND.as_str(),
            document.id(),
            number.map_or("now".into(), |n| n.to_string())
        ),
        dated: shown.dated,
        check_at,
    })
}

/// The grant as the forms state it: "£400,568.00 (+ carried forward £27,678.00 for MARAC
/// co-ordinator and IDVA hours)".
fn grant_line(allocation: &Allocation) -> String {
    let grant = records::pounds(&json!(allocation.grant));
    if allocation.carry_forward == Money::ZERO {
        return grant;
    }
    let carried = records::pounds(&json!(allocation.carry_forward));
    match &allocation.carry_forward_purpose {
        Some(purpose) => format!("{grant} (+ carried forward {carried} for {purpose})"),
        None => format!("{grant} (+ carried forward {carried})"),
    }
}

/// The content a record shows and what vouches for it.
struct Shown {
    view: Value,
    content_sha256: String,
    dated: NaiveDateTime,
    record_of: String,
    signatures: Vec<Signature>,
}

/// When a document as clients read it was last changed.
fn updated_at(view: &Value) -> Result<NaiveDateTime, Error> {
    view["updated_at"]
        .as_str()
        .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
        .map(|at| at.naive_utc())
        .ok_or_else(|| Error::internal("a document read without its updated_at"))
}

/// What the record of version `number` shows (see the module's description).
fn shown_in_version<D: Recorded>(
    conn: &mut DbConnection,
    document: &Located,
    number: i32,
    signatures: Vec<Signature>,
) -> Result<Shown, Error> {
    let all = versions::all(conn, document)?;
    let version = all
        .iter()
        .find(|v| v.summary.number == number)
        .ok_or(Error::NotFound("version"))?;
    let noun = D::KIND.noun();
    // The signatures on this content: given up to this version, on the content last signed.
    let signed_sha256 = all
        .iter()
        .rfind(|v| v.summary.number <= number && v.summary.reason == versions::SIGNED)
        .map(|v| v.summary.content_sha256.clone());
    let signatures: Vec<Signature> = signatures
        .into_iter()
        .filter(|s| s.version.is_some_and(|v| v <= number) && Some(&s.content_sha256) == signed_sha256.as_ref())
        .collect();
    let summary = &version.summary;
    let mut shown = Shown {
        view: version.content.clone(),
        content_sha256: summary.content_sha256.clone(),
        dated: summary.created_at,
        record_of: format!("version {number} of the {noun} ({})", summary.reason),
        signatures,
    };
    if summary.reason != versions::SIGNED {
        return Ok(shown);
    }
    let later_full = all
        .iter()
        .filter(|v| v.summary.number > number)
        .take_while(|v| v.summary.reason != versions::SIGNED || v.summary.content_sha256 == summary.content_sha256)
        .find(|v| v.summary.reason != versions::SIGNED);
    if let Some(full) = later_full {
        shown.view = full.content.clone();
        shown.record_of = format!(
            "version {number} of the {noun}: the content signed, laid out as version {} ({}) shows it",
            full.summary.number, full.summary.reason
        );
    } else if canonical::digest(&lifecycle::content::<D>(conn, document)?) == summary.content_sha256 {
        shown.view = serde_json::to_value(D::read(conn, document)?).map_err(Error::internal)?;
        shown.record_of =
            format!("version {number} of the {noun}: the content signed, laid out as the {noun} still reads");
    } else {
        shown.record_of =
            format!("version {number} of the {noun}: the content signed alone, as the {noun} has changed since");
    }
    Ok(shown)
}
