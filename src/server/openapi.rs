//! The OpenAPI document: collected from the same `.service(...)` calls that route requests, then
//! completed here with the security scheme and the problem responses every operation can give.
//! The route table for 405 answers is read from the finished document, so both always agree.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::openapi::Required;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ArrayItems, KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type};
use utoipa::openapi::security::{
    ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, OpenIdConnect, Scopes, SecurityRequirement,
    SecurityScheme,
};
use utoipa::openapi::{Content, Header, OpenApi, Ref, RefOr};
use utoipa::{Modify, ToSchema};

use std::collections::BTreeSet;

use crate::documents;
use crate::error::Error;
use crate::final_reports::{FinalReport, FinalReportSummary};
use crate::half_year_returns::{HalfYearReturn, HalfYearReturnSummary};
use crate::http::AppState;
use crate::http::problem::{ApiError, ProblemType};
use crate::plans::{Plan, PlanSummary};

pub const SECURITY_SCHEME: &str = "bearer";

/// A partner system's token by the OAuth 2.0 client credentials grant; the same bearer token.
const OAUTH2_SCHEME: &str = "oauth2";

/// A person's access token from their organisation's OpenID Connect provider; a bearer token too.
const OPENID_CONNECT_SCHEME: &str = "openIdConnect";

/// Where generated clients and the interactive docs find a provider. Each deployment trusts its
/// own organisations' providers (CSPFUND_OIDC_ISSUERS); councils and the OPCC mostly sign in with
/// Microsoft Entra ID, whose multi-tenant discovery document this is.
const OPENID_CONNECT_URL: &str =
    "https://login.microsoftonline.com/organizations/v2.0/.well-known/openid-configuration";

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "cspfund",
        license(name = "Open Government Licence v3.0", identifier = "OGL-UK-3.0"),
        description = "System of record for a Police and Crime Commissioner's Community Safety \
Partnership Fund: partnerships' yearly allocations, spending plans, half-year returns and final \
reports, their signatures, and the OPCC's reviews.\n\n\
Authenticate with `POST /api/v1/auth/token` and send `Authorization: Bearer <access_token>`. \
Money is a decimal string with two places (\"400568.00\"). Every error is \
`application/problem+json` (RFC 9457). Collections are paginated with `limit` and `cursor`.",
    ),
    servers((url = "/", description = "The deployment serving this document; every path starts /api/v1")),
    components(schemas(crate::http::problem::Problem, crate::http::problem::FieldProblem, crate::webhooks::events::Payload)),
    modifiers(&Completion),
    tags(
        (name = "auth", description = "Tokens, sessions, and the caller's own account"),
        (name = "partnerships", description = "Community Safety Partnerships"),
        (name = "users", description = "People and their roles (admin)"),
        (name = "api-clients", description = "Machine credentials for partner systems (admin)"),
        (name = "reference-data", description = "Priority sets, fund years and allocations"),
        (name = "commissioning", description = "Commissioning papers: a partnership's priorities and the recommendations its board agrees, which plan lines carry out"),
        (name = "plans", description = "Spending Intentions Plans"),
        (name = "half-year-returns", description = "Half-year returns and claims"),
        (name = "final-reports", description = "Final evaluation reports"),
        (name = "attachments", description = "Evidence files attached to documents"),
        (name = "history", description = "The tamper-evident history of every change"),
        (name = "records", description = "The forms people file as PDF/A records (`Accept: application/pdf` on a document), and checking a record without an account"),
        (name = "webhooks", description = "Events pushed to partner systems (Standard Webhooks 1.0): subscriptions and the delivery log"),
        (name = "webhook-events", description = "What a subscription's endpoint receives, one event type each, under `webhooks`: the service calls these, clients do not"),
        (name = "opcc-desk", description = "Deadlines, payments, reports and exports for the OPCC, which owns the fund"),
        (name = "health", description = "Probes"),
        (name = "meta", description = "This document and the problem types"),
    )
)]
pub struct ApiDoc;

/// Adds what annotations would repeat on every operation.
struct Completion;

impl Modify for Completion {
    fn modify(&self, api: &mut OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SECURITY_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An access token: this service's (from /auth/token), or one from a trusted OpenID Connect provider",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            OAUTH2_SCHEME,
            SecurityScheme::OAuth2(OAuth2::with_description(
                [Flow::ClientCredentials(ClientCredentials::new(
                    "/api/v1/oauth/token",
                    Scopes::new(),
                ))],
                "Partner systems: the client credentials grant with client_secret_basic, client_secret_post or \
                 private_key_jwt. A client's role and partnership decide what it may do; there are no scopes.",
            )),
        );
        components.add_security_scheme(
            OPENID_CONNECT_SCHEME,
            SecurityScheme::OpenIdConnect(OpenIdConnect::with_description(
                OPENID_CONNECT_URL,
                "People: sign in at your organisation's own provider (authorization code with PKCE) and send its \
                 access token as a bearer token. The providers a deployment trusts are its operator's choice; \
                 Microsoft Entra ID's discovery is shown. See the README's \"Signing in at your organisation\".",
            )),
        );
        for kind in ProblemType::ALL {
            components.responses.insert(
                response_name(kind),
                RefOr::T(problem_response(kind, kind.description())),
            );
        }
    }
}

fn response_name(kind: ProblemType) -> String {
    let mut name = String::new();
    for word in kind.slug().split('-') {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            name.extend(first.to_uppercase());
            name.push_str(chars.as_str());
        }
    }
    name + "Problem"
}

fn problem_response(kind: ProblemType, description: &str) -> Response {
    let mut builder = ResponseBuilder::new().description(description).content(
        super::problem::PROBLEM_JSON,
        Content::new(Some(Ref::from_schema_name("Problem"))),
    );
    let header = |text: &str| Header::builder().description(Some(text)).build();
    builder = match kind {
        ProblemType::Unauthorized => builder.header(
            "WWW-Authenticate",
            header(
                "Bearer challenge; error=\"invalid_token\" when a token was sent but refused; \
                 error=\"insufficient_user_authentication\" with max_age and/or acr_values (RFC 9470) when a \
                 declaration needs a more recent or multi-factor sign-in at the person's identity provider",
            ),
        ),
        ProblemType::TooManyRequests | ProblemType::Unavailable => {
            builder.header("Retry-After", header("Seconds to wait before trying again"))
        }
        ProblemType::MethodNotAllowed => builder.header("Allow", header("The methods this route has")),
        ProblemType::PreconditionFailed => builder.header("ETag", header("The current version's ETag")),
        _ => builder,
    };
    builder.build()
}

/// Completes each operation's responses: documented error statuses get the problem body, and the
/// errors every operation of its kind can give are added.
fn complete_operation(op: &mut Operation) {
    // Any operation may find the database unreachable; those that check a password may find
    // every hashing thread busy.
    let mut standard = vec![ProblemType::Internal, ProblemType::Unavailable];
    if let Some(security) = op.security.as_mut().filter(|s| !s.is_empty()) {
        standard.push(ProblemType::Unauthorized);
        // Any of the three ways to a bearer token will do.
        security.push(SecurityRequirement::new(OAUTH2_SCHEME, Vec::<String>::new()));
        security.push(SecurityRequirement::new(OPENID_CONNECT_SCHEME, Vec::<String>::new()));
    }
    if op.request_body.is_some() {
        standard.extend([
            ProblemType::MalformedRequest,
            ProblemType::PayloadTooLarge,
            ProblemType::UnsupportedMediaType,
            ProblemType::Validation,
        ]);
    }
    let params = op.parameters.as_deref().unwrap_or_default();
    if params.iter().any(|p| p.parameter_in == ParameterIn::Path) {
        standard.push(ProblemType::NotFound);
    }
    if params.iter().any(|p| p.parameter_in == ParameterIn::Query) {
        standard.push(ProblemType::Validation);
    }
    if params.iter().any(|p| p.name == "If-Match") {
        standard.extend([
            ProblemType::MalformedRequest,
            ProblemType::PreconditionFailed,
            ProblemType::PreconditionRequired,
        ]);
    }
    let idempotent = params.iter().any(|p| p.name == "Idempotency-Key");
    if idempotent {
        // A malformed key (400), the key reused with another request (422), or its first
        // request still running (409).
        standard.extend([
            ProblemType::MalformedRequest,
            ProblemType::Validation,
            ProblemType::Conflict,
        ]);
    }
    let responses = &mut op.responses.responses;
    for (status, response) in responses.iter_mut() {
        let RefOr::T(response) = response else { continue };
        let kind = status.parse::<u16>().ok().and_then(|code| {
            let code = actix_web::http::StatusCode::from_u16(code).ok()?;
            ProblemType::for_status(code)
        });
        if let Some(kind) = kind.filter(|_| response.content.is_empty()) {
            *response = problem_response(kind, &response.description);
        }
        if status.starts_with('2') {
            describe_success_headers(status, response, idempotent);
        }
    }
    for kind in standard {
        responses
            .entry(kind.status().as_u16().to_string())
            .or_insert_with(|| RefOr::Ref(Ref::new(format!("#/components/responses/{}", response_name(kind)))));
    }
}

/// The headers a successful answer carries: the new object's address, a document's version, and
/// whether the answer is a replay of an earlier one with the same Idempotency-Key.
fn describe_success_headers(status: &str, response: &mut Response, idempotent: bool) {
    let header = |text: &str| Header::builder().description(Some(text)).build();
    if is_versioned(response) {
        response.headers.insert(
            "ETag".into(),
            header("Its version, e.g. \"3\": send it back as If-Match to change it, or as If-None-Match to be answered 304 while it is unchanged"),
        );
    }
    if status == "201" {
        response
            .headers
            .insert("Location".into(), header("The address of what was created"));
    }
    if idempotent {
        response.headers.insert(
            "Idempotent-Replayed".into(),
            header("`true` when this is the stored answer to an earlier request with the same Idempotency-Key"),
        );
    }
}

/// The schemas of what carries its version as an ETag: the three documents and every other
/// resource that can change.
const VERSIONED: [&str; 12] = [
    "Plan",
    "HalfYearReturn",
    "FinalReport",
    "Partnership",
    "User",
    "ApiClient",
    "ApiClientWithSecret",
    "PrioritySet",
    "FundYear",
    "AllocationView",
    "PublishingSettings",
    "Subscription",
];

fn is_versioned(response: &Response) -> bool {
    response.content.values().any(|content| {
        matches!(&content.schema, Some(RefOr::Ref(r))
            if VERSIONED.iter().any(|name| r.ref_location.ends_with(&format!("/{name}"))))
    })
}

/// A GET of something with an ETag takes If-None-Match and answers 304 while it is unchanged.
fn describe_conditional_read(path_item: &mut utoipa::openapi::path::PathItem) {
    let Some(op) = path_item.get.as_mut() else { return };
    let versioned = op
        .responses
        .responses
        .get("200")
        .is_some_and(|r| matches!(r, RefOr::T(response) if is_versioned(response)));
    if !versioned {
        return;
    }
    op.parameters.get_or_insert_with(Vec::new).push(
        utoipa::openapi::path::ParameterBuilder::new()
            .name("If-None-Match")
            .parameter_in(ParameterIn::Header)
            .required(utoipa::openapi::Required::False)
            .description(Some("The ETag you hold: 304 with no body while it is still current"))
            .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
            .build(),
    );
    op.responses.responses.insert(
        "304".into(),
        RefOr::T(
            ResponseBuilder::new()
                .description("Unchanged since the ETag you hold")
                .header(
                    "ETag",
                    Header::builder().description(Some("The current version")).build(),
                )
                .build(),
        ),
    );
}

/// RFC 9110's If-Match: `*`, or a list of entity tags, each quoted and perhaps weak (`W/"3"`).
const IF_MATCH_PATTERN: &str = "^(\\*|(W/)?\"[!#-~]*\"( *, *(W/)?\"[!#-~]*\")*)$";

/// Free text the service accepts: no control characters but tab, line feed and carriage return
/// (`http::extract` refuses the others with 422, naming the field).
const TEXT_PATTERN: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";

/// Files travel as raw bytes: `type: string, format: binary`, which generators turn into a file
/// or byte stream (utoipa would describe `Vec<u8>` as an array of numbers).
fn describe_files(op: &mut Operation) {
    let binary = || {
        RefOr::T(Schema::Object(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
                .build(),
        ))
    };
    let bodies = op.request_body.iter_mut().flat_map(|body| body.content.iter_mut());
    let answers = op
        .responses
        .responses
        .values_mut()
        .filter_map(|response| match response {
            RefOr::T(response) => Some(response.content.iter_mut()),
            RefOr::Ref(_) => None,
        })
        .flatten();
    for (media_type, content) in bodies.chain(answers) {
        let described = media_type.contains("json")
            || media_type == "text/csv"
            || media_type == "application/x-www-form-urlencoded";
        if !described {
            content.schema = Some(binary());
        }
    }
}

/// CSV is text whose first line names the columns; the document names them too, from the same
/// lists the server writes its header lines from.
fn describe_csv(api: &mut OpenApi) {
    for (path, columns) in crate::exports::http::csv_routes() {
        let Some(get) = api.paths.paths.get_mut(path).and_then(|item| item.get.as_mut()) else {
            continue;
        };
        for response in get.responses.responses.values_mut() {
            let RefOr::T(response) = response else { continue };
            let Some(content) = response.content.get_mut("text/csv") else {
                continue;
            };
            let description = format!(
                "CSV (RFC 4180) with a header line. Columns: {}. Money is a plain decimal (\"400568.00\"), \
                 an absent value an empty cell.",
                columns.join(", ")
            );
            content.schema = Some(RefOr::T(Schema::Object(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some(description))
                    .build(),
            )));
            content.example = Some(serde_json::Value::String(format!("{}\r\n", columns.join(","))));
        }
    }
}

/// Every response a document gives as a PDF/A record: binary, and said so.
fn describe_pdf(api: &mut OpenApi) {
    for item in api.paths.paths.values_mut() {
        let Some(get) = item.get.as_mut() else { continue };
        for response in get.responses.responses.values_mut() {
            let RefOr::T(response) = response else { continue };
            if let Some(content) = response.content.get_mut(crate::records::APPLICATION_PDF) {
                content.schema = Some(RefOr::T(Schema::Object(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
                        .description(Some(
                            "A PDF/A-2b record of the document as its paper form, with the SHA-256 of \
                             the content it shows printed and in its metadata (`content-sha256:` keyword).",
                        ))
                        .build(),
                )));
            }
        }
    }
}

/// The schema directly inside `schema`: properties, items and alternatives.
fn children(schema: &RefOr<Schema>) -> Vec<&RefOr<Schema>> {
    match schema {
        RefOr::T(Schema::Object(object)) => object.properties.values().collect(),
        RefOr::T(Schema::Array(array)) => match &array.items {
            ArrayItems::RefOrSchema(items) => vec![items.as_ref()],
            _ => Vec::new(),
        },
        RefOr::T(Schema::OneOf(one_of)) => one_of.items.iter().collect(),
        RefOr::T(Schema::AllOf(all_of)) => all_of.items.iter().collect(),
        RefOr::T(Schema::AnyOf(any_of)) => any_of.items.iter().collect(),
        _ => Vec::new(),
    }
}

/// The component schemas a request body can contain, directly or through other components.
fn request_schemas(api: &OpenApi) -> BTreeSet<String> {
    let components = api.components.as_ref().map(|c| &c.schemas);
    let mut found = BTreeSet::new();
    let mut pending: Vec<&RefOr<Schema>> = api
        .paths
        .paths
        .values()
        .flat_map(|item| [&item.get, &item.put, &item.post, &item.delete, &item.patch])
        .flatten()
        .filter_map(|op| op.request_body.as_ref())
        .flat_map(|body| body.content.values())
        .filter_map(|content| content.schema.as_ref())
        .collect();
    while let Some(schema) = pending.pop() {
        if let RefOr::Ref(reference) = schema {
            let name = reference.ref_location.rsplit('/').next().unwrap_or_default().to_owned();
            if let Some(target) = components.and_then(|c| c.get(&name))
                && found.insert(name)
            {
                pending.push(target);
            }
        }
        pending.extend(children(schema));
    }
    found
}

/// Adds [`TEXT_PATTERN`] to every free-text string of a schema a client sends, so that clients
/// and fuzzers know what the server refuses.
fn constrain_text(schema: &mut RefOr<Schema>) {
    let RefOr::T(schema) = schema else { return };
    match schema {
        Schema::Object(object) => {
            let is_text = match &object.schema_type {
                SchemaType::Type(Type::String) => true,
                SchemaType::Array(types) => types.contains(&Type::String),
                SchemaType::AnyValue => false,
                SchemaType::Type(_) => false,
            };
            let free = object.enum_values.is_none()
                && object.pattern.is_none()
                && object
                    .format
                    .as_ref()
                    .is_none_or(|f| matches!(f, SchemaFormat::KnownFormat(KnownFormat::Password)));
            if is_text && free {
                object.pattern = Some(TEXT_PATTERN.to_owned());
            }
            for property in object.properties.values_mut() {
                constrain_text(property);
            }
        }
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                constrain_text(items);
            }
        }
        Schema::OneOf(one_of) => one_of.items.iter_mut().for_each(constrain_text),
        Schema::AllOf(all_of) => all_of.items.iter_mut().for_each(constrain_text),
        Schema::AnyOf(any_of) => any_of.items.iter_mut().for_each(constrain_text),
        _ => {}
    }
}

/// The optional `Idempotency-Key` header every creating or transition POST accepts.
fn idempotency_key() -> Parameter {
    ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Any unique string (e.g. a UUID). A retry with the same key and request gets the original \
             answer (with `Idempotent-Replayed: true`) and does nothing again; the same key with a \
             different request is refused (422). Kept for 24 hours.",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(255))
                .pattern(Some("^[!-~]+$")),
        ))
        .build()
}

/// The documents' views and summaries, which flatten a `DocumentHeader`, and how many of their
/// own fields stand before the header's status: a return names its half and its claim there.
fn with_header() -> [(std::borrow::Cow<'static, str>, usize); 6] {
    [
        (Plan::name(), 0),
        (PlanSummary::name(), 0),
        (HalfYearReturn::name(), 4),
        (HalfYearReturnSummary::name(), 3),
        (FinalReport::name(), 0),
        (FinalReportSummary::name(), 0),
    ]
}

/// utoipa writes a page (`Page_X`) with a copy of its item's schema; each page's items refer to
/// the item's own schema instead, so that generators make one type of it, not one per page.
fn refer_to_page_items(schemas: &mut std::collections::BTreeMap<String, RefOr<Schema>>) {
    let pages: Vec<(String, String)> = schemas
        .keys()
        .filter_map(|name| {
            let item = name.strip_prefix("Page_")?;
            schemas.contains_key(item).then(|| (name.clone(), item.to_owned()))
        })
        .collect();
    for (page, item) in pages {
        if let Some(RefOr::T(Schema::Object(page))) = schemas.get_mut(&page)
            && let Some(RefOr::T(Schema::Array(items))) = page.properties.get_mut("items")
        {
            items.items = ArrayItems::RefOrSchema(Box::new(RefOr::Ref(Ref::from_schema_name(item))));
        }
    }
}

/// The finished document for the given routes.
pub fn finish(mut api: OpenApi) -> OpenApi {
    let sent = request_schemas(&api);
    if let Some(components) = api.components.as_mut() {
        for (name, lead) in with_header() {
            if let Some(schema) = components.schemas.get_mut(name.as_ref()) {
                documents::splice(schema, lead);
            }
        }
        refer_to_page_items(&mut components.schemas);
        components
            .schemas
            .iter_mut()
            .filter(|(name, _)| sent.contains(*name))
            .for_each(|(_, schema)| constrain_text(schema));
    }
    describe_csv(&mut api);
    describe_pdf(&mut api);
    for (path, item) in api.paths.paths.iter_mut() {
        if let Some(post) = item
            .post
            .as_mut()
            .filter(|_| path.starts_with("/api/v1/") && !path.starts_with("/api/v1/auth/"))
        {
            post.parameters.get_or_insert_with(Vec::new).push(idempotency_key());
        }
    }
    for item in api.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
            &mut item.head,
            &mut item.options,
            &mut item.trace,
        ]
        .into_iter()
        .flatten()
        {
            describe_files(op);
            complete_operation(op);
            shorten_summary(op);
            for parameter in op.parameters.iter_mut().flatten().filter(|p| p.name == "If-Match") {
                parameter.schema = Some(RefOr::T(Schema::Object(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .pattern(Some(IF_MATCH_PATTERN))
                        .build(),
                )));
            }
            for parameter in op.parameters.iter_mut().flatten() {
                if parameter.parameter_in == ParameterIn::Query
                    && let Some(schema) = parameter.schema.as_mut()
                {
                    constrain_text(schema);
                }
            }
        }
        describe_conditional_read(item);
    }
    api
}

/// The longest summary generators and documentation sidebars show whole.
const SUMMARY_LENGTH: usize = 80;

/// A doc comment's first paragraph becomes the operation's summary; generators print it as a
/// one-line heading. Where it runs on, its first sentence (or, if that is still long, the clause
/// before its first colon or semicolon) stays the summary and the rest leads the description.
fn shorten_summary(op: &mut Operation) {
    let Some(summary) = op.summary.as_deref() else {
        return;
    };
    let (head, rest) = summary_and_rest(summary);
    if rest.is_empty() {
        op.summary = Some(head);
        return;
    }
    op.description = Some(match op.description.as_deref() {
        Some(more) if !more.is_empty() => format!("{rest}\n\n{more}"),
        _ => rest,
    });
    op.summary = Some(head);
}

/// A summary cut to its first sentence or clause, and what followed it.
fn summary_and_rest(summary: &str) -> (String, String) {
    let text = summary.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut = |text: &str, at: &str, keep: &str| -> Option<(String, String)> {
        let (head, rest) = text.split_once(at)?;
        let rest = rest.trim();
        let mut first = rest.chars();
        let rest = match first.next() {
            Some(letter) => letter.to_uppercase().chain(first).collect(),
            None => String::new(),
        };
        Some((format!("{head}{keep}").trim_end_matches('.').to_owned(), rest))
    };
    let (head, rest) = cut(&text, ". ", "").unwrap_or((text.trim_end_matches('.').to_owned(), String::new()));
    if head.chars().count() <= SUMMARY_LENGTH {
        return (head, rest);
    }
    let clause = [": ", "; "]
        .iter()
        .filter_map(|at| head.find(at).map(|i| (i, *at)))
        .min();
    match clause.and_then(|(_, at)| cut(&head, at, "")) {
        Some((short, more)) => {
            let more = if rest.is_empty() {
                format!("{more}.")
            } else {
                format!("{more}. {rest}")
            };
            (short, more)
        }
        None => (head, rest),
    }
}

/// This OpenAPI document.
#[utoipa::path(tag = "meta", responses((status = 200, description = "The OpenAPI 3.1 document of this API", content_type = "application/json", body = crate::open_json::JsonObject)))]
#[get("/openapi.json")]
pub async fn get_openapi(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(&state.openapi)
}

/// This OpenAPI document as OpenAPI 3.0.3.
///
/// For tools that read no later version. Derived from the 3.1 document, never edited by hand; the webhooks, which 3.0 cannot describe, are
/// in the 3.1 document only.
#[utoipa::path(tag = "meta", responses((status = 200, description = "The OpenAPI 3.0.3 rendition of this API", content_type = "application/json", body = crate::open_json::JsonObject)))]
#[get("/openapi-3.0.json")]
pub async fn get_openapi_3_0(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(&state.openapi_3_0)
}

#[derive(Serialize, ToSchema)]
pub struct ProblemTypeDescription {
    #[serde(rename = "type")]
    #[schema(example = "/problems/validation")]
    pub problem_type: String,
    pub title: &'static str,
    pub status: u16,
    pub description: &'static str,
}

/// What a problem `type` means.
#[utoipa::path(tag = "meta", params(("slug" = String, Path, description = "e.g. validation")),
    responses((status = 200, description = "The problem type", body = ProblemTypeDescription)))]
#[get("/problems/{slug}")]
pub async fn get_problem_type(slug: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let kind = ProblemType::from_slug(&slug).ok_or(Error::NotFound("problem type"))?;
    Ok(HttpResponse::Ok().json(ProblemTypeDescription {
        problem_type: kind.uri(),
        title: kind.title(),
        status: kind.status().as_u16(),
        description: kind.description(),
    }))
}

/// For requests no route takes: 405 with Allow when the path exists with other methods, else 404.
pub async fn no_route(req: actix_web::HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Err(match state.routes.methods_for(req.path()) {
        Some(methods) if !methods.is_empty() => ApiError::MethodNotAllowed(methods.to_vec()),
        _ => ApiError::NoRoute(req.path().to_owned()),
    })
}

/// How a receiver checks a delivery, said once for every event.
const WEBHOOK_RECIPE: &str = "Delivered as Standard Webhooks 1.0 describes: POST with a JSON body and the \
headers `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`. To verify, take the \
subscription's secret, base64-decode what follows `whsec_`, compute HMAC-SHA256 over \
`{webhook-id}.{webhook-timestamp}.{body}` with the body exactly as received, base64 it, and compare it \
in constant time with each space-separated `v1,` signature (two while a secret rotation overlaps). Refuse \
a timestamp more than 5 minutes from your clock. The `standardwebhooks` libraries do all of this. Answer \
2xx within the timeout; anything else is retried after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h, with \
the same `webhook-id`, so drop a `webhook-id` already seen. Each subscription's messages arrive in order.";

/// The document as served, with OpenAPI 3.1's `webhooks`: one entry per event type, its payload
/// the shared schema (a schema per event, fixing `type`, would make generators write 23 models of
/// one shape). utoipa does not write this section, so it is added here.
pub fn with_webhooks(api: OpenApi) -> Result<serde_json::Value, serde_json::Error> {
    use crate::webhooks::events::EventType;
    use serde_json::json;
    let mut document = serde_json::to_value(api)?;
    let header = |name: &str, description: &str| json!({"name": name, "in": "header", "required": true, "description": description, "schema": {"type": "string"}});
    let webhooks: serde_json::Map<String, serde_json::Value> = EventType::ALL
        .iter()
        .map(|event| {
            let operation = json!({
                "tags": ["webhook-events"],
                "summary": event.summary(),
                "description": WEBHOOK_RECIPE,
                "operationId": format!("webhook_{}", event.as_str().replace('.', "_")),
                "parameters": [
                    header("webhook-id", "The message's id, the same on every retry, e.g. msg_2f1c0d9e8b7a4c3d2e1f0a9b8c7d6e5f"),
                    header("webhook-timestamp", "When this attempt was signed, in Unix seconds"),
                    header("webhook-signature", "`v1,` and the base64 HMAC-SHA256; several separated by spaces"),
                ],
                "requestBody": {
                    "required": true,
                    "description": format!("The payload, its `type` being `{event}`."),
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WebhookPayload"}}},
                },
                "responses": {"2XX": {"description": "Received. Any other answer, or none within the timeout, is retried."}},
            });
            (event.as_str().to_owned(), json!({"post": operation}))
        })
        .collect();
    if let Some(fields) = document.as_object_mut() {
        fields.insert("webhooks".into(), serde_json::Value::Object(webhooks));
    }
    examples_not_example(&mut document, false);
    Ok(document)
}

/// OpenAPI 3.1 deprecates a schema's `example` for JSON Schema's `examples` (a list); utoipa writes
/// the former, so every schema's example becomes a list of one. Parameters and media types keep
/// their own `example`, which is not deprecated.
fn examples_not_example(node: &mut serde_json::Value, is_schema: bool) {
    use serde_json::Value;
    match node {
        Value::Object(fields) => {
            if is_schema && let Some(example) = fields.remove("example") {
                fields.insert("examples".into(), Value::Array(vec![example]));
            }
            for (key, child) in fields.iter_mut() {
                match key.as_str() {
                    // Examples are data, not schemas.
                    "example" | "examples" => {}
                    "schema" | "items" | "additionalProperties" | "not" => examples_not_example(child, true),
                    "properties" | "schemas" => {
                        if let Value::Object(members) = child {
                            members
                                .values_mut()
                                .for_each(|schema| examples_not_example(schema, true));
                        }
                    }
                    "allOf" | "oneOf" | "anyOf" | "prefixItems" => {
                        if let Value::Array(schemas) = child {
                            schemas.iter_mut().for_each(|schema| examples_not_example(schema, true));
                        }
                    }
                    _ => examples_not_example(child, false),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| examples_not_example(item, false)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::summary_and_rest;

    #[test]
    fn a_long_summary_keeps_its_first_sentence_or_clause() {
        assert_eq!(
            summary_and_rest("Read an API client (admin). The secret is never shown again."),
            (
                "Read an API client (admin)".to_owned(),
                "The secret is never shown again.".to_owned()
            )
        );
        assert_eq!(
            summary_and_rest(
                "Start a half-year return (the partnership's manager): one per allocation and half; all claims \
                 together may not exceed the grant plus carry-forward."
            ),
            (
                "Start a half-year return (the partnership's manager)".to_owned(),
                "One per allocation and half; all claims together may not exceed the grant plus carry-forward."
                    .to_owned()
            )
        );
        assert_eq!(
            summary_and_rest("Who am I: the authenticated caller's account."),
            ("Who am I: the authenticated caller's account".to_owned(), String::new())
        );
    }
}
