//! Records over HTTP: `Accept: application/pdf` on a document or one of its versions.

use actix_web::http::header::{Accept, ContentDisposition, DispositionParam, DispositionType, Header};
use actix_web::{HttpRequest, HttpResponse};

use super::APPLICATION_PDF;

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
