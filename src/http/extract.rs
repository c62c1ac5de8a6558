//! Reading requests: JSON bodies and query strings, with errors that name the exact field.
//!
//! actix's own `Json` and `Query` extractors report serde's message without the field's path;
//! these read through `serde_path_to_error` so a client learns `lines[2].amount` broke
//! `max_two_decimal_places`, not "invalid value at line 1 column 212".

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::BytesMut;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::Value;

use utoipa::IntoParams;
use utoipa::openapi::path::ParameterIn;

use super::AppState;
use super::problem::ApiError;
use crate::error::{Error, FieldError, untag};
use crate::pagination::{ChangedSince, PageParams, PageRequest};
use crate::preconditions::Precondition;

/// The default when the application state is missing (it never is outside unit tests).
const FALLBACK_BODY_LIMIT: usize = 1024 * 1024;

/// The versions a client says it read, from `If-Match` (RFC 9110: `*`, or a list of entity
/// tags). Nothing is refused here: a document of another partnership is "not found", and a role
/// that may not change it "forbidden", before a missing or malformed If-Match is reported.
pub struct IfMatch(pub Precondition);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = std::future::Ready<Result<IfMatch, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let lines: Option<Vec<&str>> = req
            .headers()
            .get_all(header::IF_MATCH)
            .map(|line| line.to_str().ok())
            .collect();
        let precondition = match lines {
            Some(lines) if lines.is_empty() => Precondition::Missing,
            Some(lines) => Precondition::from_header(&lines.join(",")),
            None => Precondition::Unreadable,
        };
        std::future::ready(Ok(IfMatch(precondition)))
    }
}

/// A JSON request body of type `T`.
pub struct JsonBody<T>(pub T);

impl<T> JsonBody<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// The request's media type without its parameters, lower-cased: `application/json`.
pub fn media_type(req: &HttpRequest) -> Option<String> {
    let content_type = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
}

fn is_json(req: &HttpRequest) -> bool {
    media_type(req).is_some_and(|essence| {
        essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
    })
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req);
        let body = read_body(req, payload);
        Box::pin(async move {
            if !json {
                return Err(ApiError::UnsupportedMediaType(
                    "the request body must be JSON (Content-Type: application/json)".into(),
                ));
            }
            parse_json(&body.await?).map(JsonBody)
        })
    }
}

/// The request body, refused once it passes the service's body limit (declared or sent).
pub fn read_body(req: &HttpRequest, payload: &mut Payload) -> impl Future<Output = Result<BytesMut, ApiError>> + use<> {
    let limit = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.config.max_body_bytes)
        .unwrap_or(FALLBACK_BODY_LIMIT);
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let mut payload = payload.take();
    async move {
        if declared.is_some_and(|length| length > limit) {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        let mut body = BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| ApiError::Malformed(format!("the request body could not be read: {e}")))?;
            if body.len() + chunk.len() > limit {
                return Err(ApiError::PayloadTooLarge(limit));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// Parses a JSON document: syntax errors are 400, documents of the wrong shape are 422 naming
/// the field.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::Malformed(
            "the request body is empty; send a JSON document".into(),
        ));
    }
    // Syntax first, over the whole document, so a broken document is always a 400 even when
    // its beginning would already fail the shape check. serde_json bounds nesting (128 levels)
    // and refuses lone surrogates, so neither reaches further.
    let document: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::Malformed(format!("the request body is not valid JSON: {e}")))?;
    // Every body of this API is an object; serde would also read a struct from an array of its
    // fields in order, which no client means.
    if !document.is_object() {
        return Err(Error::invalid("$", "type", "the request body must be a JSON object").into());
    }
    let mut refused = Vec::new();
    find_control_characters(&document, &mut String::new(), &mut refused);
    if !refused.is_empty() {
        return Err(Error::Invalid(refused).into());
    }
    serde_path_to_error::deserialize(document).map_err(|e| {
        let path = e.path().to_string();
        ApiError::Domain(Error::Invalid(vec![field_error(&path, &e.into_inner().to_string())]))
    })
}

/// True for text no field may hold: control characters other than tab, line feed and carriage
/// return. NUL cannot be stored by PostgreSQL at all, and the others are never meant in a form.
fn has_control_character(text: &str) -> bool {
    text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

fn control_character(field: &str) -> FieldError {
    FieldError::new(
        if field.is_empty() { "$" } else { field },
        "control_character",
        "must not contain control characters such as U+0000 (tab, line feed and carriage return are allowed)",
    )
}

/// Collects the path of every string (or object key) holding a control character.
fn find_control_characters(value: &Value, path: &mut String, refused: &mut Vec<FieldError>) {
    match value {
        Value::String(text) if has_control_character(text) => refused.push(control_character(path)),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let length = path.len();
                path.push_str(&format!("[{index}]"));
                find_control_characters(item, path, refused);
                path.truncate(length);
            }
        }
        Value::Object(fields) => {
            for (name, item) in fields {
                let length = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(name);
                if has_control_character(name) {
                    refused.push(control_character(path));
                } else {
                    find_control_characters(item, path, refused);
                }
                path.truncate(length);
            }
        }
        _ => {}
    }
}

/// Query-string parameters of type `T`, and no others: a parameter the operation does not
/// declare (a misspelt filter, which would otherwise be ignored and widen the answer) is refused.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned + IntoParams> FromRequest for QueryParams<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(read_query(req, &declared::<T>()).and_then(|()| parse_query(req).map(QueryParams)))
    }
}

/// A collection's query: its page (`limit`, `cursor`) and its filters `F`, and no other parameter.
pub struct Listing<F> {
    pub page: PageParams,
    pub filter: F,
}

impl<F: DeserializeOwned + IntoParams> FromRequest for Listing<F> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let mut names = declared::<PageParams>();
        names.extend(declared::<F>());
        let listing = read_query(req, &names).and_then(|()| {
            Ok(Listing {
                page: parse_query(req)?,
                filter: parse_query(req)?,
            })
        });
        std::future::ready(listing)
    }
}

/// A top-level collection's query: its page, `updated_since` to sync only what changed, and its
/// filters `F`, and no other parameter.
pub struct SyncListing<F> {
    pub page: PageParams,
    pub changed: ChangedSince,
    pub filter: F,
}

impl<F> SyncListing<F> {
    /// The page asked for, in change order when `updated_since` was given.
    pub fn request(&self) -> Result<PageRequest, Error> {
        self.page.request_changed(&self.changed)
    }
}

impl<F: DeserializeOwned + IntoParams> FromRequest for SyncListing<F> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let mut names = declared::<PageParams>();
        names.extend(declared::<ChangedSince>());
        names.extend(declared::<F>());
        let listing = read_query(req, &names).and_then(|()| {
            Ok(SyncListing {
                page: parse_query(req)?,
                changed: parse_query(req)?,
                filter: parse_query(req)?,
            })
        });
        std::future::ready(listing)
    }
}

/// The filters of a collection that has none.
#[derive(Debug, Default, serde::Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Unfiltered {}

/// The query parameters a type declares, by name, as the OpenAPI document lists them.
fn declared<T: IntoParams>() -> Vec<String> {
    T::into_params(|| Some(ParameterIn::Query))
        .into_iter()
        .map(|parameter| parameter.name)
        .collect()
}

/// Refuses a query string holding control characters, or naming a parameter not in `declared`.
fn read_query(req: &HttpRequest, declared: &[String]) -> Result<(), ApiError> {
    let pairs = form_urlencoded::parse(req.query_string().as_bytes());
    let mut refused: Vec<FieldError> = Vec::new();
    for (name, value) in pairs {
        if has_control_character(&name) || has_control_character(&value) {
            refused.push(control_character(&name));
        } else if !declared.iter().any(|known| *known == name) {
            refused.push(FieldError::new(
                if name.is_empty() { "$" } else { &name },
                "unknown_parameter",
                if declared.is_empty() {
                    "this operation takes no query parameters".to_owned()
                } else {
                    format!(
                        "is not a parameter of this operation, which takes {}",
                        declared.join(", ")
                    )
                },
            ));
        }
    }
    if refused.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(refused).into())
    }
}

/// The query string as a `T`, errors naming the parameter.
fn parse_query<T: DeserializeOwned>(req: &HttpRequest) -> Result<T, ApiError> {
    let pairs = form_urlencoded::parse(req.query_string().as_bytes());
    serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(pairs)).map_err(|e| {
        let path = e.path().to_string();
        ApiError::Domain(Error::Invalid(vec![field_error(&path, &e.into_inner().to_string())]))
    })
}

/// Turns serde's message into a field path, a rule and a message.
fn field_error(path: &str, message: &str) -> FieldError {
    // serde_json appends the position; the field path says more.
    let message = match message.rfind(" at line ") {
        Some(at) => &message[..at],
        None => message,
    };
    let parent = if path == "." { "" } else { path };
    // serde_path_to_error stops at the object for a missing field but at the key for an unknown one.
    let join = |name: &str| {
        if parent.is_empty() {
            name.to_owned()
        } else if parent == name || parent.ends_with(&format!(".{name}")) {
            parent.to_owned()
        } else {
            format!("{parent}.{name}")
        }
    };
    let quoted = |text: &str| text.split('`').nth(1).map(str::to_owned);
    let whole = || {
        if parent.is_empty() {
            "$".to_owned()
        } else {
            parent.to_owned()
        }
    };
    if let Some((rule, text)) = untag(message) {
        return FieldError::new(whole(), rule, text);
    }
    if message.starts_with("missing field") {
        let name = quoted(message).unwrap_or_default();
        return FieldError::new(join(&name), "required", "is required");
    }
    if message.starts_with("unknown field") {
        let name = quoted(message).unwrap_or_default();
        return FieldError::new(join(&name), "unknown_field", message);
    }
    let rule = if message.starts_with("unknown variant") {
        "enum"
    } else if message.starts_with("invalid type")
        || message.starts_with("invalid digit")
        || message.contains("invalid value")
        // A query's boolean (serde_urlencoded's own wording).
        || message.contains("not `true` or `false`")
    {
        "type"
    } else {
        "invalid"
    };
    FieldError::new(whole(), rule, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Money;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Line {
        title: String,
        amount: Money,
    }

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Plan {
        lines: Vec<Line>,
    }

    fn first_error(json: &str) -> (String, String) {
        match parse_json::<Plan>(json.as_bytes()) {
            Err(ApiError::Domain(Error::Invalid(errors))) => (errors[0].field.clone(), errors[0].rule.clone()),
            other => panic!("expected a validation error, got {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn errors_name_the_field_and_rule() {
        let e = first_error(r#"{"lines":[{"title":"a","amount":"1.00"},{"title":"b","amount":"1.005"}]}"#);
        assert_eq!(e, ("lines[1].amount".into(), "max_two_decimal_places".into()));
        let e = first_error(r#"{"lines":[{"title":"a"}]}"#);
        assert_eq!(e, ("lines[0].amount".into(), "required".into()));
        let e = first_error(r#"{"lines":[{"title":"a","amount":"1","colour":"red"}]}"#);
        assert_eq!(e, ("lines[0].colour".into(), "unknown_field".into()));
        let e = first_error(r#"{"lines":[{"title":7,"amount":"1"}]}"#);
        assert_eq!(e, ("lines[0].title".into(), "type".into()));
        let e = first_error(r#""text""#);
        assert_eq!(e, ("$".into(), "type".into()));
        let e = first_error(r#"[[]]"#);
        assert_eq!(e, ("$".into(), "type".into()));
    }

    #[test]
    fn control_characters_are_refused_by_field() {
        let body =
            "{\"lines\":[{\"title\":\"a\\u0000\",\"amount\":\"1\"},{\"title\":\"tab\\tok\",\"amount\":\"1\\u001b\"}]}";
        match parse_json::<Plan>(body.as_bytes()) {
            Err(ApiError::Domain(Error::Invalid(errors))) => {
                let fields: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.rule.as_str())).collect();
                assert_eq!(
                    fields,
                    [
                        ("lines[0].title", "control_character"),
                        ("lines[1].amount", "control_character")
                    ]
                );
            }
            other => panic!("expected a validation error, got {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn deep_nesting_and_lone_surrogates_are_malformed() {
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(matches!(
            parse_json::<Plan>(deep.as_bytes()),
            Err(ApiError::Malformed(_))
        ));
        assert!(matches!(
            parse_json::<Plan>(b"{\"lines\": [{\"title\": \"\\ud800\"}]}"),
            Err(ApiError::Malformed(_))
        ));
    }

    #[test]
    fn syntax_errors_are_malformed() {
        assert!(matches!(
            parse_json::<Plan>(b"{\"lines\": ["),
            Err(ApiError::Malformed(_))
        ));
        assert!(matches!(
            parse_json::<Plan>(b"{\"lines\": []} x"),
            Err(ApiError::Malformed(_))
        ));
        assert!(matches!(parse_json::<Plan>(b"  "), Err(ApiError::Malformed(_))));
    }
}
