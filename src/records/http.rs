//! Records over HTTP: `Accept: application/pdf` on a document or one of its versions, and the
//! check anyone holding a record can make.

use actix_web::http::header::{Accept, ContentDisposition, DispositionParam, DispositionType, Header};
use actix_web::{HttpRequest, HttpResponse, get, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::APPLICATION_PDF;
use super::check::{self, RecordCheck};
use crate::http::State;
use crate::http::problem::ApiError;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(check_record);
}

/// Check a record by the SHA-256 printed on it or computed from its file; needs no token.
///
/// The QR code on a record of a version leads here with the SHA-256 of the content it shows;
/// `sha256sum` of a record's file gives the other. The answer names the versions kept under it
/// (kind, partnership, fund year, number, reason, when taken, the record's own SHA-256 once
/// rendered) and the signatures on their content (capacity, printed name, position, when signed,
/// whether voided since), never the content itself.
#[utoipa::path(tag = "records",
    params(("sha256" = String, Path, description = "64 hexadecimal digits")),
    responses(
        (status = 200, description = "What the service keeps under this SHA-256", body = RecordCheck),
        (status = 404, description = "No version's content or record has this SHA-256"),
        (status = 422, description = "Not a SHA-256: 64 hexadecimal digits (`sha256:format`)"),
    ))]
#[get("/records/{sha256}")]
pub async fn check_record(state: State, sha256: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let sha256 = sha256.into_inner();
    let found = state.db.run(move |conn| check::check(conn, &sha256)).await?;
    Ok(HttpResponse::Ok().json(found))
}

/// Whether the client ranks a PDF above JSON (`Accept: application/pdf`); JSON when it does not say.
pub fn prefers_pdf(req: &HttpRequest) -> bool {
    let Ok(accept) = Accept::parse(req) else {
        return false;
    };
    accept
        .ranked()
        .iter()
        .find_map(|media| match (media.type_().as_str(), media.subtype().as_str()) {
            ("application", "pdf") => Some(true),
            ("application", "json") | ("application", "*") | ("*", "*") => Some(false),
            _ => None,
        })
        .unwrap_or(false)
}

/// A rendered record, to be saved as `file_name`.
pub fn pdf(bytes: Vec<u8>, file_name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(APPLICATION_PDF)
        .insert_header(ContentDisposition {
            disposition: DispositionType::Inline,
            parameters: vec![DispositionParam::Filename(file_name.to_owned())],
        })
        .body(bytes)
}
