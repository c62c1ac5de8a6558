//! The domain's error type: what went wrong, in the domain's terms. The HTTP layer maps it to a
//! problem+json response in one place (`http::problem`).

use std::fmt;

/// One broken rule on one field of a request, e.g. `lines[2].amount` / `max_two_decimal_places`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the field in the request, dotted with indices: `lines[0].sub_allocations[1].amount`.
    pub field: String,
    /// Machine-readable rule name, stable for clients to switch on.
    pub rule: String,
    /// Human-readable explanation.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, rule: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            rule: rule.into(),
            message: message.into(),
        }
    }
}

/// The OAuth 2.0 Step Up Authentication Challenge (RFC 9470) for a declaration: the sign-in
/// age and strength the provider must give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepUp {
    pub max_age: Option<u64>,
    pub acr_values: Vec<String>,
    pub detail: String,
}

/// Why a request could not be authenticated; all are answered with 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// No bearer token was presented.
    MissingToken,
    /// The token is malformed, forged, expired, or its holder is no longer active.
    InvalidToken,
    /// Login with a wrong identifier or secret (one answer for every cause).
    InvalidCredentials,
    /// A refresh token that is unknown, used, revoked or expired.
    InvalidRefreshToken,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("the request breaks {} rule(s)", .0.len())]
    Invalid(Vec<FieldError>),
    /// The request is well-formed but conflicts with the current state (a duplicate name, ...).
    #[error("{detail}")]
    Conflict { detail: String, field: Option<FieldError> },
    #[error("{0}")]
    Forbidden(String),
    /// The document's state does not permit this transition now.
    #[error("{detail}")]
    TransitionNotAllowed { detail: String, allowed: Vec<String> },
    /// The client's copy is out of date: the resource changed since it was read.
    #[error("it has changed since you read it; read it again (its ETag) and retry")]
    StaleVersion { current: Option<i32> },
    /// A change was sent without saying which version it was made against.
    #[error("send If-Match with the ETag of the version you read")]
    PreconditionRequired,
    /// An If-Match that is neither `*` nor a list of quoted entity tags.
    #[error("If-Match must be * or a list of quoted entity tags such as \"3\" (the ETag you read)")]
    UnreadablePrecondition,
    #[error("authentication failed: {0:?}")]
    Unauthenticated(AuthFailure),
    /// A declaration by someone signed in at a provider needs a fresher or stronger sign-in
    /// there (RFC 9470).
    #[error("{}", .0.detail)]
    StepUpRequired(StepUp),
    /// A trusted identity provider's keys could not be fetched, and none are known yet.
    #[error("the identity provider {0} cannot be reached to check the token; retry shortly")]
    ProviderUnreachable(String),
    #[error("too many failed attempts; retry after {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    /// The service is at its limit for this kind of work (password hashing); retry shortly.
    #[error("the service is busy; retry after {retry_after_secs} s")]
    Overloaded { retry_after_secs: u64 },
    /// The stored history contradicts the newest checkpoint the service signed, which it keeps
    /// outside the database: nothing more is signed until an operator restores the history.
    #[error("the history is broken at entry {entry}: {reason}; no checkpoint is signed over it")]
    HistoryBroken { entry: i64, reason: String },
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("no database connection available: {0}")]
    Unavailable(#[from] r2d2::Error),
    /// Every pooled connection stayed busy for as long as a request waits for one.
    #[error("no database connection came free in time")]
    NoConnectionInTime,
    #[error("{0}")]
    Internal(String),
}

impl Error {
    pub fn invalid(field: impl Into<String>, rule: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Invalid(vec![FieldError::new(field, rule, message)])
    }

    /// A conflict on one field's value, e.g. an e-mail address already in use.
    pub fn duplicate(field: &str, message: impl Into<String>) -> Error {
        let message = message.into();
        Error::Conflict {
            detail: message.clone(),
            field: Some(FieldError::new(field, "unique", message)),
        }
    }

    pub fn internal(context: impl fmt::Display) -> Error {
        Error::Internal(context.to_string())
    }
}

/// Collects every broken rule of a request before answering, so a client fixes them all at once.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldError>);

impl Violations {
    pub fn new() -> Self {
        Violations(Vec::new())
    }

    pub fn add(&mut self, field: impl Into<String>, rule: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, rule, message));
    }

    /// Records the rule as broken unless `holds`.
    pub fn check(&mut self, holds: bool, field: impl Into<String>, rule: &str, message: impl Into<String>) {
        if !holds {
            self.add(field, rule, message);
        }
    }

    /// A required text field: trimmed, not blank, at most `max` characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize) {
        let value = value.trim();
        // Worded apart from "must not be blank", which generic tools (schemathesis reads it as
        // Spring's) take to mean the field is required; in a PATCH body an absent field is fine.
        self.check(!value.is_empty(), field, "blank", "must contain text, not only spaces");
        self.check(
            value.chars().count() <= max,
            field,
            "max_length",
            format!("must be at most {max} characters"),
        );
    }

    /// An optional text field: when present, at most `max` characters.
    pub fn optional_text(&mut self, field: &str, value: Option<&str>, max: usize) {
        if let Some(value) = value {
            self.check(
                value.trim().chars().count() <= max,
                field,
                "max_length",
                format!("must be at most {max} characters"),
            );
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The collected violations as an error, for paths known to have broken a rule.
    pub fn into_error(self) -> Error {
        Error::Invalid(self.0)
    }

    /// `Ok(())` when no rule was broken, else the whole list as one error.
    pub fn finish(self) -> Result<(), Error> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(self.0))
        }
    }
}

/// Deserializers report a broken rule through serde's free-text error; the rule travels as a
/// `[rule] ` prefix that the request reader (`http::extract`) splits off again.
pub fn tagged(rule: &str, message: &dyn fmt::Display) -> String {
    format!("[{rule}] {message}")
}

/// Splits a message made by [`tagged`] into its rule and text.
pub fn untag(message: &str) -> Option<(&str, &str)> {
    let rest = message.strip_prefix('[')?;
    let (rule, text) = rest.split_once("] ")?;
    Some((rule, text))
}
