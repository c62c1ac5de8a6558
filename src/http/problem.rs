//! Every error a client sees is an RFC 9457 problem (`application/problem+json`). This module is
//! the one place where errors become HTTP: statuses, problem types, and the headers that go with
//! them (WWW-Authenticate, Retry-After, Allow).

use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::connection_lost;
use crate::error::{AuthFailure, Error, FieldError};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// The kinds of problem this API reports. Each has a stable `type` URI, served as a short
/// description at that path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemType {
    MalformedRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PreconditionFailed,
    PayloadTooLarge,
    UnsupportedMediaType,
    Validation,
    PreconditionRequired,
    TooManyRequests,
    Internal,
    Unavailable,
}

impl ProblemType {
    pub const ALL: [ProblemType; 14] = [
        ProblemType::MalformedRequest,
        ProblemType::Unauthorized,
        ProblemType::Forbidden,
        ProblemType::NotFound,
        ProblemType::MethodNotAllowed,
        ProblemType::Conflict,
        ProblemType::PreconditionFailed,
        ProblemType::PayloadTooLarge,
        ProblemType::UnsupportedMediaType,
        ProblemType::Validation,
        ProblemType::PreconditionRequired,
        ProblemType::TooManyRequests,
        ProblemType::Internal,
        ProblemType::Unavailable,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            ProblemType::MalformedRequest => "malformed-request",
            ProblemType::Unauthorized => "unauthorized",
            ProblemType::Forbidden => "forbidden",
            ProblemType::NotFound => "not-found",
            ProblemType::MethodNotAllowed => "method-not-allowed",
            ProblemType::Conflict => "conflict",
            ProblemType::PreconditionFailed => "precondition-failed",
            ProblemType::PreconditionRequired => "precondition-required",
            ProblemType::PayloadTooLarge => "payload-too-large",
            ProblemType::UnsupportedMediaType => "unsupported-media-type",
            ProblemType::Validation => "validation",
            ProblemType::TooManyRequests => "too-many-requests",
            ProblemType::Internal => "internal",
            ProblemType::Unavailable => "unavailable",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            ProblemType::MalformedRequest => StatusCode::BAD_REQUEST,
            ProblemType::Unauthorized => StatusCode::UNAUTHORIZED,
            ProblemType::Forbidden => StatusCode::FORBIDDEN,
            ProblemType::NotFound => StatusCode::NOT_FOUND,
            ProblemType::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ProblemType::Conflict => StatusCode::CONFLICT,
            ProblemType::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ProblemType::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ProblemType::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ProblemType::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProblemType::Validation => StatusCode::UNPROCESSABLE_ENTITY,
            ProblemType::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ProblemType::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ProblemType::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ProblemType::MalformedRequest => "Malformed request",
            ProblemType::Unauthorized => "Authentication required",
            ProblemType::Forbidden => "Not allowed for your role",
            ProblemType::NotFound => "Not found",
            ProblemType::MethodNotAllowed => "Method not allowed",
            ProblemType::Conflict => "Conflict with the current state",
            ProblemType::PreconditionFailed => "The resource has changed",
            ProblemType::PreconditionRequired => "If-Match required",
            ProblemType::PayloadTooLarge => "Request body too large",
            ProblemType::UnsupportedMediaType => "Unsupported media type",
            ProblemType::Validation => "Validation failed",
            ProblemType::TooManyRequests => "Too many requests",
            ProblemType::Internal => "Internal error",
            ProblemType::Unavailable => "Service unavailable",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            ProblemType::MalformedRequest => {
                "The request could not be read: the body is not valid JSON, or a header or query parameter is malformed."
            }
            ProblemType::Unauthorized => {
                "No valid credentials: the bearer token is missing, malformed, expired or revoked, or the login details are wrong. The WWW-Authenticate header says which."
            }
            ProblemType::Forbidden => "You are authenticated, but your role may not take this action.",
            ProblemType::NotFound => {
                "There is no such route, or no such object visible to you. Objects of another partnership are reported as not found."
            }
            ProblemType::MethodNotAllowed => {
                "The route exists but not with this method; the Allow header lists the methods it has."
            }
            ProblemType::Conflict => {
                "The request is valid but conflicts with the current state: a name already in use, or a transition the document's state does not allow (`allowed_transitions` lists those that are)."
            }
            ProblemType::PreconditionFailed => {
                "No entity tag in the If-Match header is current (a weak tag never is): someone else changed the resource. Read it again (its ETag) and retry."
            }
            ProblemType::PreconditionRequired => {
                "Changing a document or any other resource that has an ETag requires If-Match with the ETag you read, so that nobody's changes are silently overwritten."
            }
            ProblemType::PayloadTooLarge => "The request body is larger than the service accepts.",
            ProblemType::UnsupportedMediaType => {
                "The request body's media type is not accepted here: JSON bodies need application/json; evidence files one of the configured types."
            }
            ProblemType::Validation => {
                "The request breaks one or more rules. `errors` lists each field path, the rule and a message; nothing was stored."
            }
            ProblemType::TooManyRequests => "Too many failed attempts; wait for the number of seconds in Retry-After.",
            ProblemType::Internal => {
                "The service failed. Nothing about the cause is disclosed; quote the X-Request-Id header when reporting it."
            }
            ProblemType::Unavailable => {
                "The service cannot take this request right now (its database is unreachable, or it is checking as many passwords as it can); retry after the seconds in Retry-After."
            }
        }
    }

    /// The `type` member: a URI reference resolved against the API's own address.
    pub fn uri(self) -> String {
        format!("/problems/{}", self.slug())
    }

    pub fn from_slug(slug: &str) -> Option<ProblemType> {
        ProblemType::ALL.into_iter().find(|t| t.slug() == slug)
    }

    /// The type for a status produced outside our handlers (framework or middleware).
    pub fn for_status(status: StatusCode) -> Option<ProblemType> {
        ProblemType::ALL.into_iter().find(|t| t.status() == status)
    }
}

/// An RFC 9457 problem.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"type": "/problems/validation", "title": "Validation failed", "status": 422,
    "detail": "The request breaks 1 rule(s).",
    "errors": [{"field": "lines[0].amount", "rule": "max_two_decimal_places",
                "message": "must have at most two decimal places"}]}))]
pub struct Problem {
    /// URI reference identifying the problem type; GET it for a description.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// For validation problems: each broken rule.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// For a refused transition: the transitions you may take now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_transitions: Option<Vec<String>>,
}

/// One broken rule: which field (dotted path with indices), which rule, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    /// e.g. `email`, `lines[2].sub_allocations[0].amount`; `$` is the whole body.
    pub field: String,
    /// Stable machine-readable rule name, e.g. `required`, `max_two_decimal_places`, `unique`.
    pub rule: String,
    pub message: String,
}

impl From<FieldError> for FieldProblem {
    fn from(e: FieldError) -> Self {
        FieldProblem {
            field: e.field,
            rule: e.rule,
            message: e.message,
        }
    }
}

/// Errors of the HTTP layer: the domain's errors plus those only HTTP can have.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Domain(#[from] Error),
    #[error("no route matches {0}")]
    NoRoute(String),
    #[error("method not allowed; allowed: {}", .0.join(", "))]
    MethodNotAllowed(Vec<String>),
    #[error("{0}")]
    Malformed(String),
    #[error("the request body exceeds {0} bytes")]
    PayloadTooLarge(usize),
    #[error("{0}")]
    UnsupportedMediaType(String),
}

const REALM: &str = "Bearer realm=\"cspfund\"";

impl ApiError {
    fn problem_type(&self) -> ProblemType {
        match self {
            ApiError::Domain(e) => match e {
                Error::NotFound(_) => ProblemType::NotFound,
                Error::Invalid(_) => ProblemType::Validation,
                Error::Conflict { .. } => ProblemType::Conflict,
                Error::Forbidden(_) => ProblemType::Forbidden,
                Error::TransitionNotAllowed { .. } => ProblemType::Conflict,
                Error::StaleVersion { .. } => ProblemType::PreconditionFailed,
                Error::PreconditionRequired => ProblemType::PreconditionRequired,
                Error::UnreadablePrecondition => ProblemType::MalformedRequest,
                Error::Unauthenticated(_) | Error::StepUpRequired(_) => ProblemType::Unauthorized,
                Error::Throttled { .. } => ProblemType::TooManyRequests,
                Error::Database(diesel::result::Error::NotFound) => ProblemType::NotFound,
                Error::Database(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation
                    | diesel::result::DatabaseErrorKind::ForeignKeyViolation
                    | diesel::result::DatabaseErrorKind::CheckViolation,
                    _,
                )) => ProblemType::Conflict,
                Error::Unavailable(_)
                | Error::HistoryBroken { .. }
                | Error::NoConnectionInTime
                | Error::Overloaded { .. }
                | Error::ProviderUnreachable(_) => ProblemType::Unavailable,
                Error::Database(e) if connection_lost(e) => ProblemType::Unavailable,
                Error::Database(_) | Error::Internal(_) => ProblemType::Internal,
            },
            ApiError::NoRoute(_) => ProblemType::NotFound,
            ApiError::MethodNotAllowed(_) => ProblemType::MethodNotAllowed,
            ApiError::Malformed(_) => ProblemType::MalformedRequest,
            ApiError::PayloadTooLarge(_) => ProblemType::PayloadTooLarge,
            ApiError::UnsupportedMediaType(_) => ProblemType::UnsupportedMediaType,
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::Domain(Error::Unauthenticated(failure)) => match failure {
                AuthFailure::MissingToken => "send an access token: Authorization: Bearer <token>".into(),
                AuthFailure::InvalidToken => {
                    "the access token is invalid, expired or no longer valid for this account".into()
                }
                AuthFailure::InvalidCredentials => "the credentials are not valid".into(),
                AuthFailure::InvalidRefreshToken => {
                    "the refresh token is invalid, expired, revoked or already used".into()
                }
            },
            ApiError::Domain(Error::Database(diesel::result::Error::DatabaseError(kind, info)))
                if self.problem_type() == ProblemType::Conflict =>
            {
                // A rule the service should have checked itself: worth a warning, not a 500.
                tracing::warn!(?kind, message = info.message(), "the database refused a write");
                "the request conflicts with existing records or their integrity rules".into()
            }
            ApiError::Domain(Error::Database(diesel::result::Error::NotFound)) => "not found".into(),
            ApiError::Domain(Error::Database(e)) if connection_lost(e) => {
                "the connection to the database was lost and nothing was changed; retry after the seconds in Retry-After"
                    .into()
            }
            ApiError::Domain(Error::NotFound(what)) => format!("{what} not found"),
            ApiError::Domain(Error::Invalid(errors)) => format!("The request breaks {} rule(s).", errors.len()),
            ApiError::Domain(Error::Database(_) | Error::Internal(_)) => {
                "the service failed to handle this request".into()
            }
            ApiError::Domain(Error::Unavailable(_)) => "the database is not reachable right now".into(),
            ApiError::Domain(Error::NoConnectionInTime) => {
                "every database connection stayed busy; retry after the seconds in Retry-After".into()
            }
            ApiError::Domain(Error::Overloaded { .. }) => {
                "the service is checking as many passwords as it can; retry after the seconds in Retry-After".into()
            }
            other => other.to_string(),
        }
    }

    fn field_problems(&self) -> Vec<FieldProblem> {
        match self {
            ApiError::Domain(Error::Invalid(errors)) => errors.iter().cloned().map(FieldProblem::from).collect(),
            ApiError::Domain(Error::Conflict { field: Some(field), .. }) => vec![field.clone().into()],
            _ => Vec::new(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.problem_type().status()
    }

    fn error_response(&self) -> HttpResponse {
        let kind = self.problem_type();
        // Failures are logged with the request's span (and so its request id), never shown to
        // the client. A refusal for load is not a failure, and logging each one would let a
        // storm of requests flood the log.
        if kind.status().is_server_error() && !matches!(self, ApiError::Domain(Error::Overloaded { .. })) {
            tracing::error!(error = %self, "request failed");
        }
        let allowed_transitions = match self {
            ApiError::Domain(Error::TransitionNotAllowed { allowed, .. }) => Some(allowed.clone()),
            _ => None,
        };
        let mut response = render(Problem {
            problem_type: kind.uri(),
            title: kind.title().into(),
            status: kind.status().as_u16(),
            detail: self.detail(),
            errors: self.field_problems(),
            allowed_transitions,
        });
        let headers = response.headers_mut();
        match self {
            ApiError::Domain(Error::Unauthenticated(AuthFailure::InvalidToken)) => {
                let challenge = format!(
                    "{REALM}, error=\"invalid_token\", error_description=\"{}\"",
                    self.detail()
                );
                if let Ok(value) = HeaderValue::from_str(&challenge) {
                    headers.insert(header::WWW_AUTHENTICATE, value);
                }
            }
            ApiError::Domain(Error::Unauthenticated(_)) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(REALM));
            }
            ApiError::Domain(Error::StepUpRequired(step_up)) => {
                if let Ok(value) = HeaderValue::from_str(&step_up_challenge(step_up)) {
                    headers.insert(header::WWW_AUTHENTICATE, value);
                }
            }
            ApiError::Domain(Error::ProviderUnreachable(_)) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            ApiError::Domain(Error::Throttled { retry_after_secs } | Error::Overloaded { retry_after_secs }) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            ApiError::Domain(Error::Unavailable(_)) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            ApiError::Domain(Error::NoConnectionInTime) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            ApiError::Domain(Error::Database(e)) if connection_lost(e) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            ApiError::Domain(Error::StaleVersion { current: Some(version) }) => {
                if let Ok(value) = HeaderValue::from_str(&crate::preconditions::etag(*version)) {
                    headers.insert(header::ETAG, value);
                }
            }
            ApiError::MethodNotAllowed(methods) => {
                if let Ok(value) = HeaderValue::from_str(&methods.join(", ")) {
                    headers.insert(header::ALLOW, value);
                }
            }
            _ => {}
        }
        response
    }
}

/// RFC 9470: what sign-in a declaration needs, for the front end to send the person back to
/// their provider with `max_age` and `acr_values`.
fn step_up_challenge(step_up: &crate::error::StepUp) -> String {
    let mut challenge = format!(
        "{REALM}, error=\"insufficient_user_authentication\", error_description=\"{}\"",
        step_up.detail.replace(['"', '\\'], "'")
    );
    if let Some(max_age) = step_up.max_age {
        challenge.push_str(&format!(", max_age=\"{max_age}\""));
    }
    if !step_up.acr_values.is_empty() {
        challenge.push_str(&format!(", acr_values=\"{}\"", step_up.acr_values.join(" ")));
    }
    challenge
}

fn render(problem: Problem) -> HttpResponse {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status).content_type(PROBLEM_JSON).json(problem)
}

/// Last line of defence: an error response produced outside our handlers (the framework's
/// own 404 for a malformed path parameter, a CORS refusal, ...) is rewritten as a problem,
/// keeping its status and headers.
/// Marks an error answered in the shape another standard prescribes (RFC 6749's token endpoint
/// errors), which is left as it is.
pub struct OtherStandardsError;

pub fn ensure_problem<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let already = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()))
        || res.response().extensions().get::<OtherStandardsError>().is_some();
    if already {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let reason = status.canonical_reason().unwrap_or("Error");
    let (problem_type, title) = match ProblemType::for_status(status) {
        Some(kind) => (kind.uri(), kind.title().to_owned()),
        // RFC 9457: "about:blank" means the status code says all there is to say.
        None => ("about:blank".to_owned(), reason.to_owned()),
    };
    let detail = if status.is_server_error() {
        "the service failed to handle this request".to_owned()
    } else {
        reason.to_lowercase()
    };
    let (request, original) = res.into_parts();
    let mut replacement = render(Problem {
        problem_type,
        title,
        status: status.as_u16(),
        detail,
        errors: Vec::new(),
        allowed_transitions: None,
    });
    for (name, value) in original.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            replacement.headers_mut().append(name.clone(), value.clone());
        }
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(request, replacement).map_into_right_body::<B>(),
    ))
}
