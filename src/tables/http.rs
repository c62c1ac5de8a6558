//! A report as JSON or, when the client prefers it, as a CSV file.

use actix_web::http::header::{Accept, ContentDisposition, DispositionParam, DispositionType, Header};
use actix_web::mime;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use super::Table;
use crate::http::problem::ApiError;

pub const TEXT_CSV: &str = "text/csv; charset=utf-8";

/// Whether the client ranks CSV above JSON (`Accept: text/csv`); JSON when it does not say.
pub fn prefers_csv(req: &HttpRequest) -> bool {
    let Ok(accept) = Accept::parse(req) else {
        return false;
    };
    accept
        .ranked()
        .iter()
        .find_map(|media| match (media.type_(), media.subtype()) {
            (mime::TEXT, subtype) if subtype == "csv" => Some(true),
            (mime::APPLICATION, mime::JSON) | (mime::APPLICATION, mime::STAR) | (mime::STAR, mime::STAR) => Some(false),
            _ => None,
        })
        .unwrap_or(false)
}

pub fn attachment(file_name: &str) -> ContentDisposition {
    ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![DispositionParam::Filename(file_name.to_owned())],
    }
}

/// A report as JSON, or as CSV of its rows when the client prefers it.
pub fn negotiated<T: Table + Serialize>(
    req: &HttpRequest,
    report: &T,
    bom: bool,
    file_name: &str,
) -> Result<HttpResponse, ApiError> {
    if prefers_csv(req) {
        Ok(HttpResponse::Ok()
            .content_type(TEXT_CSV)
            .insert_header(attachment(file_name))
            .body(super::table(report, bom)?))
    } else {
        Ok(HttpResponse::Ok().json(report))
    }
}
