//! `Idempotency-Key` on POST: a partner system retrying a request (after a timeout, say) gets
//! the original answer again instead of creating or submitting twice. The key is scoped to the
//! caller; the same key with a different request is refused (422); a key whose first request is
//! still running answers 409. Answers are kept for a day.
//!
//! The work's own transaction marks the key as carried out (`db::write_transaction`), so the mark
//! commits exactly when the work does. A retry of a request whose work committed but whose answer
//! was never stored (the connection dropped between the two) is told so (409) and not run again;
//! a request that failed before committing, or was abandoned mid-way (its claim older than
//! `CLAIM_LEASE_SECONDS`, or held by an instance that has since started again), leaves the key
//! free to run again.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpMessage, HttpResponse, ResponseError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::State;
use super::problem::ApiError;
use crate::db::{DbConnection, IDEMPOTENCY_CLAIM, write_transaction};
use crate::error::{Error, FieldError};
use crate::schema::idempotency_keys;
use crate::timestamps;

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// Response headers worth replaying.
const KEPT_HEADERS: [HeaderName; 3] = [header::CONTENT_TYPE, header::LOCATION, header::ETAG];

const RETENTION_HOURS: i64 = 24;
/// How long a claimed key with no answer and no committed work counts as still running: longer
/// than any request takes (the connection pool gives up waiting after 10 seconds).
const CLAIM_LEASE_SECONDS: i64 = 30;

enum Claim {
    /// First use: run the request and keep its answer.
    Fresh(i64),
    /// Seen before with this request: answer as then.
    Replay {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    Mismatch,
    InProgress,
    /// The work committed, but its answer was never stored.
    CarriedOut,
}

/// What identifies a request: method, target and media type (`head`) and body.
fn request_digest(head: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(head.as_bytes());
    hasher.update(body);
    hex::encode(hasher.finalize())
}

/// A remembered request.
#[derive(Queryable, Selectable)]
#[diesel(table_name = idempotency_keys, check_for_backend(crate::db::MultiBackend))]
struct StoredRequest {
    id: i64,
    request_sha256: String,
    response_status: Option<i32>,
    response_headers: Option<String>,
    response_body: Option<Vec<u8>>,
    created_at: NaiveDateTime,
    claimed_at: Option<NaiveDateTime>,
    committed_at: Option<NaiveDateTime>,
    claimed_by: Option<String>,
}

fn claim(conn: &mut DbConnection, principal: &str, key: &str, digest: &str, instance: &str) -> Result<Claim, Error> {
    write_transaction(conn, |conn| {
        let now = timestamps::now();
        let expired = now - chrono::TimeDelta::hours(RETENTION_HOURS);
        diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(expired))).execute(conn)?;
        let found: Option<StoredRequest> = idempotency_keys::table
            .filter(idempotency_keys::principal.eq(principal))
            .filter(idempotency_keys::idempotency_key.eq(key))
            .select(StoredRequest::as_select())
            .first(conn)
            .optional()?;
        let abandoned_before = now - chrono::TimeDelta::seconds(CLAIM_LEASE_SECONDS);
        Ok(match found {
            Some(stored) if stored.request_sha256 != digest => Claim::Mismatch,
            Some(StoredRequest {
                response_status: None,
                committed_at: Some(_),
                ..
            }) => Claim::CarriedOut,
            Some(StoredRequest {
                id,
                response_status: None,
                created_at,
                claimed_at,
                claimed_by,
                ..
            }) => {
                if claimed_by.is_some() && claimed_at.unwrap_or(created_at) > abandoned_before {
                    Claim::InProgress
                } else {
                    // Its first request died before its work committed: run it now.
                    diesel::update(idempotency_keys::table.find(id))
                        .set((
                            idempotency_keys::claimed_at.eq(now),
                            idempotency_keys::claimed_by.eq(instance),
                        ))
                        .execute(conn)?;
                    Claim::Fresh(id)
                }
            }
            Some(StoredRequest {
                response_status: Some(status),
                response_headers: headers,
                response_body: body,
                ..
            }) => Claim::Replay {
                status: u16::try_from(status).unwrap_or(500),
                headers: headers.and_then(|h| serde_json::from_str(&h).ok()).unwrap_or_default(),
                body: body.unwrap_or_default(),
            },
            None => Claim::Fresh(
                diesel::insert_into(idempotency_keys::table)
                    .values((
                        idempotency_keys::principal.eq(principal),
                        idempotency_keys::idempotency_key.eq(key),
                        idempotency_keys::request_sha256.eq(digest),
                        idempotency_keys::created_at.eq(now),
                        idempotency_keys::claimed_at.eq(now),
                        idempotency_keys::claimed_by.eq(instance),
                    ))
                    .returning(idempotency_keys::id)
                    .get_result(conn)?,
            ),
        })
    })
}

/// Frees the claims an earlier run of this instance left neither answered nor committed: that
/// run was killed mid-request, and its clients' retries need not wait out the lease.
pub fn release_claims_of(conn: &mut DbConnection, instance: &str) -> Result<usize, Error> {
    Ok(diesel::update(
        idempotency_keys::table
            .filter(idempotency_keys::claimed_by.eq(instance))
            .filter(idempotency_keys::response_status.is_null())
            .filter(idempotency_keys::committed_at.is_null()),
    )
    .set(idempotency_keys::claimed_by.eq(None::<String>))
    .execute(conn)?)
}

fn problem(req: ServiceRequest, error: ApiError) -> ServiceResponse<BoxBody> {
    let response = error.error_response();
    req.into_response(response)
}

/// The middleware: passes everything through unless a POST under /api/v1 carries the header.
pub async fn replay_or_record(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let key = req
        .headers()
        .get(&IDEMPOTENCY_KEY)
        .map(|v| v.to_str().map(str::to_owned));
    let applies =
        req.method() == Method::POST && req.path().starts_with("/api/v1/") && !req.path().starts_with("/api/v1/auth/");
    let (Some(key), true) = (key, applies) else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    let Ok(key) = key.map_err(|_| ()).and_then(|k| {
        let k = k.trim().to_owned();
        ((1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
            .then_some(k)
            .ok_or(())
    }) else {
        return Ok(problem(
            req,
            ApiError::Malformed("Idempotency-Key must be 1 to 255 visible ASCII characters".into()),
        ));
    };
    let Some(state) = req.app_data::<State>().cloned() else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    // Unauthenticated requests go on to be refused by the handler; nothing to remember.
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned());
    let Some(Ok((principal, _))) = token.map(|t| state.tokens.verify(&t)) else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    let principal = principal.subject();

    let limit = state.config.max_body_bytes.max(state.config.attachment_max_bytes);
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let Ok(chunk) = chunk else {
            return Ok(problem(
                req,
                ApiError::Malformed("the request body could not be read".into()),
            ));
        };
        if body.len() + chunk.len() > limit {
            return Ok(problem(req, ApiError::PayloadTooLarge(limit)));
        }
        body.extend_from_slice(&chunk);
    }
    let body: Bytes = body.freeze();
    let head = format!(
        "{} {}\n{}\n",
        req.method(),
        req.uri(),
        req.headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    );
    req.set_payload(actix_web::dev::Payload::from(body.clone()));

    // Hashing a large upload is CPU work: done on the blocking pool, with the lookup.
    let claimed = {
        let (principal, key) = (principal.clone(), key.clone());
        let instance = state.instance_name().to_owned();
        state
            .db
            .run(move |conn| claim(conn, &principal, &key, &request_digest(&head, &body), &instance))
            .await
    };
    let reservation = match claimed {
        Err(e) => return Ok(problem(req, e.into())),
        Ok(Claim::Mismatch) => {
            return Ok(problem(
                req,
                Error::Invalid(vec![FieldError::new(
                    "Idempotency-Key",
                    "reused",
                    "this key was used for a different request; use a new key for a new request",
                )])
                .into(),
            ));
        }
        Ok(Claim::InProgress) => {
            return Ok(problem(
                req,
                Error::Conflict {
                    detail: "a request with this Idempotency-Key is still being processed; retry shortly".into(),
                    field: None,
                }
                .into(),
            ));
        }
        Ok(Claim::CarriedOut) => {
            return Ok(problem(
                req,
                Error::Conflict {
                    detail: "the request with this Idempotency-Key was carried out, but its answer was lost; \
                             read the result instead of sending it again"
                        .into(),
                    field: None,
                }
                .into(),
            ));
        }
        Ok(Claim::Replay { status, headers, body }) => {
            let mut response = HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::OK));
            for (name, value) in headers {
                response.insert_header((name, value));
            }
            response.insert_header((REPLAYED, "true"));
            return Ok(req.into_response(response.body(body)));
        }
        Ok(Claim::Fresh(id)) => id,
    };

    let response = IDEMPOTENCY_CLAIM.scope(reservation, next.call(req)).await?;
    let (request, response) = response.into_parts();
    let status = response.status();
    let kept: Vec<(String, String)> = KEPT_HEADERS
        .iter()
        .filter_map(|name| {
            Some((
                name.as_str().to_owned(),
                response.headers().get(name)?.to_str().ok()?.to_owned(),
            ))
        })
        .collect();
    let (head, body) = response.into_parts();
    let bytes = actix_web::body::to_bytes(body)
        .await
        .map_err(|_| actix_web::error::ErrorInternalServerError("response body"))?;
    let stored = bytes.to_vec();
    let outcome = state
        .db
        .run(move |conn| {
            if status.is_server_error() {
                // Free the key for a retry, unless the work committed before the error.
                diesel::delete(
                    idempotency_keys::table
                        .find(reservation)
                        .filter(idempotency_keys::committed_at.is_null()),
                )
                .execute(conn)?;
            } else {
                diesel::update(idempotency_keys::table.find(reservation))
                    .set((
                        idempotency_keys::response_status.eq(Some(i32::from(status.as_u16()))),
                        idempotency_keys::response_headers.eq(Some(serde_json::to_string(&kept).unwrap_or_default())),
                        idempotency_keys::response_body.eq(Some(stored)),
                    ))
                    .execute(conn)?;
            }
            Ok(())
        })
        .await;
    if let Err(e) = outcome {
        tracing::error!(error = %e, "could not record an idempotent response");
    }
    Ok(ServiceResponse::new(
        request,
        head.set_body(bytes).map_into_boxed_body(),
    ))
}
