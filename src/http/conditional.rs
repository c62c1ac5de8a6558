//! Conditional reads (RFC 9110 §13.1.2): a GET whose answer carries an ETag that the client
//! already holds (`If-None-Match`) is answered 304 with no body, so a client polling a plan or
//! an allocation pays for the body only when it changed.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, EntityTag, Header, IfNoneMatch};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};

pub async fn answer_unchanged(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    // An unreadable If-None-Match is ignored: the full answer is always a safe one.
    let held = (req.method() == Method::GET && req.headers().contains_key(header::IF_NONE_MATCH))
        .then(|| IfNoneMatch::parse(req.request()).ok())
        .flatten();
    let response = next.call(req).await?;
    let current = response
        .headers()
        .get(header::ETAG)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<EntityTag>().ok());
    let unchanged = match (&held, &current) {
        (Some(held), Some(current)) if response.status() == StatusCode::OK => match held {
            IfNoneMatch::Any => true,
            // Weak comparison, as If-None-Match takes.
            IfNoneMatch::Items(tags) => tags.iter().any(|tag| tag.weak_eq(current)),
        },
        _ => false,
    };
    match current.filter(|_| unchanged) {
        Some(current) => {
            let (request, _) = response.into_parts();
            let not_modified = HttpResponse::NotModified()
                .insert_header(header::ETag(current))
                .finish()
                .map_into_right_body();
            Ok(ServiceResponse::new(request, not_modified))
        }
        None => Ok(response.map_into_left_body()),
    }
}
