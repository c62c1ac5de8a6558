//! HTTP shared by the three kinds of document: ETags and If-Match, responses, and the routes
//! every kind has (withdraw, start-review, request-changes, revise, signatures, versions,
//! history), generated per kind by [`document_routes!`](crate::document_routes).

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::{DocumentKind, Precondition, lifecycle};
use crate::auth::Caller;
use crate::db::{DbConnection, rehearse, write_transaction};
use crate::error::Error;
use crate::http::State;
use crate::http::problem::ApiError;
use crate::signatures::Signer;

/// A document version's ETag: `"7"`.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// The version a client says it read, from `If-Match`. Never refuses by itself: a document of
/// another partnership is "not found" before a missing If-Match is reported.
pub struct IfMatch(pub Precondition);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<IfMatch, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let precondition = match req.headers().get(header::IF_MATCH) {
            None => Precondition::Missing,
            Some(value) => value
                .to_str()
                .ok()
                .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
                .and_then(|v| v.parse::<i32>().ok())
                .map_or(Precondition::Unreadable, Precondition::Version),
        };
        ready(Ok(IfMatch(precondition)))
    }
}

/// A document in a response, with its version as the ETag.
pub fn respond(status: actix_web::http::StatusCode, document: Value) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    if let Some(version) = document["version"].as_i64().and_then(|v| i32::try_from(v).ok()) {
        response.insert_header((header::ETAG, etag(version)));
    }
    response.json(document)
}

/// A typed document in a response, with its ETag.
pub fn respond_with<T: serde::Serialize>(
    status: actix_web::http::StatusCode,
    document: &T,
) -> Result<HttpResponse, ApiError> {
    let value = serde_json::to_value(document).map_err(Error::internal)?;
    Ok(respond(status, value))
}

/// A new document: 201 with its Location and ETag.
pub fn respond_created<D: super::Document>(document: &D) -> Result<HttpResponse, ApiError> {
    let mut response = respond_with(actix_web::http::StatusCode::CREATED, document)?;
    let location = format!("/api/v1/{}/{}", D::KIND.collection(), document.id());
    if let Ok(value) = header::HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// `?dry_run=true`: check everything, store nothing.
#[derive(Deserialize, IntoParams, Debug, Default, Clone, Copy)]
#[into_params(parameter_in = Query)]
pub struct DryRun {
    /// `true` to check the request against every rule and see the document as it would then read,
    /// without storing anything or writing history: 200 with the document, or the same problem
    /// the real request would get. Ids and versions in the answer are not reserved.
    #[serde(default)]
    pub dry_run: bool,
}

/// Runs document work for real, or as a rehearsal under `dry_run`.
pub async fn run_or_rehearse<T, F>(state: &State, dry_run: DryRun, work: F) -> Result<T, Error>
where
    F: FnOnce(&mut DbConnection) -> Result<T, Error> + Send + 'static,
    T: Send + 'static,
{
    if dry_run.dry_run {
        state.db.run(move |conn| rehearse(conn, work)).await
    } else {
        state.db.run(work).await
    }
}

/// Runs a change to a document in one transaction and answers with the document as it now is.
pub async fn act<F>(
    state: &State,
    caller: Caller,
    kind: DocumentKind,
    id: i64,
    change: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(&mut DbConnection, &Caller) -> Result<(), Error> + Send + 'static,
{
    act_as(state, caller, kind, id, DryRun::default(), change).await
}

/// [`act`], or its rehearsal under `dry_run`.
pub async fn act_as<F>(
    state: &State,
    caller: Caller,
    kind: DocumentKind,
    id: i64,
    dry_run: DryRun,
    change: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(&mut DbConnection, &Caller) -> Result<(), Error> + Send + 'static,
{
    let document = run_or_rehearse(state, dry_run, move |conn| {
        write_transaction(conn, |conn| {
            change(conn, &caller)?;
            lifecycle::view_for(conn, &caller, kind, id)
        })
    })
    .await?;
    Ok(respond(actix_web::http::StatusCode::OK, document))
}

/// The reviewer's reason for sending a document back.
#[derive(Deserialize, ToSchema, Debug)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Line 3: please give the provider and the total contract value."}))]
pub struct ChangesRequest {
    pub reason: String,
}

impl ChangesRequest {
    pub fn checked(self) -> Result<String, Error> {
        let mut v = crate::error::Violations::new();
        v.text("reason", &self.reason, 5_000);
        v.finish()?;
        Ok(self.reason)
    }
}

/// Generates the routes every kind of document has, with their OpenAPI descriptions. The
/// invoking module must import actix-web's `get` and `post` (utoipa reads those attributes).
#[macro_export]
macro_rules! document_routes {
    (
        kind: $kind:expr, tag: $tag:literal, view: $view:ty,
        withdraw: $withdraw:ident = $withdraw_path:literal,
        start_review: $start:ident = $start_path:literal,
        request_changes: $changes:ident = $changes_path:literal,
        revise: $revise:ident = $revise_path:literal,
        signatures: $signatures:ident = $signatures_path:literal,
        versions: $versions:ident = $versions_path:literal,
        version: $version:ident = $version_path:literal,
        history: $history:ident = $history_path:literal $(,)?
    ) => {
        /// Withdraw it before review starts (the partnership's manager): back to draft, signatures void.
        #[utoipa::path(tag = $tag, security(("bearer" = [])), params(("id" = i64, Path),
            ("If-Match" = String, Header, description = "The ETag you read")), responses(
            (status = 200, description = "Withdrawn to draft", body = $view),
            (status = 403, description = "Not the partnership's manager"),
            (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
            (status = 412, description = "The document changed since you read it"),
            (status = 428, description = "If-Match is missing"),
        ))]
        #[post($withdraw_path)]
        pub async fn $withdraw(
            state: $crate::http::State,
            caller: $crate::auth::Caller,
            id: actix_web::web::Path<i64>,
            version: $crate::documents::http::IfMatch,
        ) -> Result<actix_web::HttpResponse, $crate::http::problem::ApiError> {
            let (id, expected) = (id.into_inner(), version.0);
            $crate::documents::http::act(&state, caller, $kind, id, move |conn, caller| {
                $crate::documents::lifecycle::withdraw(conn, caller, $kind, id, expected)
            })
            .await
        }

        /// Start reviewing it (an OPCC reviewer).
        #[utoipa::path(tag = $tag, security(("bearer" = [])), params(("id" = i64, Path),
            ("If-Match" = String, Header, description = "The ETag you read")), responses(
            (status = 200, description = "Under review", body = $view),
            (status = 403, description = "Not an OPCC reviewer"),
            (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
            (status = 412, description = "The document changed since you read it"),
            (status = 428, description = "If-Match is missing"),
        ))]
        #[post($start_path)]
        pub async fn $start(
            state: $crate::http::State,
            caller: $crate::auth::Caller,
            id: actix_web::web::Path<i64>,
            version: $crate::documents::http::IfMatch,
        ) -> Result<actix_web::HttpResponse, $crate::http::problem::ApiError> {
            let (id, expected) = (id.into_inner(), version.0);
            $crate::documents::http::act(&state, caller, $kind, id, move |conn, caller| {
                $crate::documents::lifecycle::step_only(conn, caller, $kind, id, expected, $crate::workflow::Transition::StartReview)
            })
            .await
        }

        /// Send it back to the partnership with the changes needed (an OPCC reviewer).
        #[utoipa::path(tag = $tag, security(("bearer" = [])), params(("id" = i64, Path),
            ("If-Match" = String, Header, description = "The ETag you read")),
            request_body = $crate::documents::http::ChangesRequest, responses(
            (status = 200, description = "Changes requested", body = $view),
            (status = 403, description = "Not an OPCC reviewer"),
            (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
            (status = 412, description = "The document changed since you read it"),
            (status = 428, description = "If-Match is missing"),
        ))]
        #[post($changes_path)]
        pub async fn $changes(
            state: $crate::http::State,
            caller: $crate::auth::Caller,
            id: actix_web::web::Path<i64>,
            version: $crate::documents::http::IfMatch,
            body: $crate::http::extract::JsonBody<$crate::documents::http::ChangesRequest>,
        ) -> Result<actix_web::HttpResponse, $crate::http::problem::ApiError> {
            let (id, expected, reason) = (id.into_inner(), version.0, body.into_inner().checked()?);
            $crate::documents::http::act(&state, caller, $kind, id, move |conn, caller| {
                $crate::documents::lifecycle::request_changes(conn, caller, $kind, id, expected, &reason)
            })
            .await
        }

        /// Reopen it as a draft after changes were requested (the partnership's manager); its
        /// signatures become void.
        #[utoipa::path(tag = $tag, security(("bearer" = [])), params(("id" = i64, Path),
            ("If-Match" = String, Header, description = "The ETag you read")), responses(
            (status = 200, description = "A draft again", body = $view),
            (status = 403, description = "Not the partnership's manager"),
            (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
            (status = 412, description = "The document changed since you read it"),
            (status = 428, description = "If-Match is missing"),
        ))]
        #[post($revise_path)]
        pub async fn $revise(
            state: $crate::http::State,
            caller: $crate::auth::Caller,
            id: actix_web::web::Path<i64>,
            version: $crate::documents::http::IfMatch,
        ) -> Result<actix_web::HttpResponse, $crate::http::problem::ApiError> {
            let (id, expected) = (id.into_inner(), version.0);
            $crate::documents::http::act(&state, caller, $kind, id, move |conn, caller| {
                $crate::documents::lifecycle::revise(conn, caller, $kind, id, expected)
            })
            .await
        }

        /// Its signatures, each with `valid`: not voided, and the content still hashes as signed.
        #[utoipa::path(tag = $tag, security(("bearer" = [])), params(("id" = i64, Path)),
            responses((status = 200, description = "The signatures, oldest first", body = Vec<$crate::signatures::Signature>)))]
        #[get($signatures_path)]
        pub async fn $signatures(
            state: $crate::http::State,
            caller: $crate::auth::Caller,
            id: actix_web::web::Path<i64>,
        ) -> Result<actix_web::HttpResponse, $crate::http::problem::ApiError> {
            let id = id.into_inner();
            let signatures = state.db.run(move |conn| $crate::signatures::list_visible(conn, &caller, $kind, id)).await?;
            Ok(actix_web::HttpResponse::Ok().json(signatures))
        }

        /// Its snapshots: what was submitted, approved or accepted, oldest first.
        #[utoipa::path(tag = $tag, security(("bearer" = [])), params(("id" = i64, Path), $crate::pagination::PageParams),
            responses((status = 200, description = "A page of snapshots", body = $crate::pagination::Page<$crate::versions::VersionSummary>)))]
        #[get($versions_path)]
        pub async fn $versions(
            state: $crate::http::State,
            caller: $crate::auth::Caller,
            id: actix_web::web::Path<i64>,
            page: $crate::http::extract::QueryParams<$crate::pagination::PageParams>,
        ) -> Result<actix_web::HttpResponse, $crate::http::problem::ApiError> {
            let (id, page) = (id.into_inner(), page.0.request()?);
            let versions = state
                .db
                .run(move |conn| {
                    $crate::documents::locate(conn, &caller, $kind, id)?;
                    $crate::versions::list(conn, $kind, id, &page)
                })
                .await?;
            Ok(actix_web::HttpResponse::Ok().json(versions))
        }

        /// One snapshot, with the document exactly as it then read.
        #[utoipa::path(tag = $tag, security(("bearer" = [])), params(("id" = i64, Path), ("number" = i32, Path)),
            responses((status = 200, description = "The snapshot", body = $crate::versions::Version)))]
        #[get($version_path)]
        pub async fn $version(
            state: $crate::http::State,
            caller: $crate::auth::Caller,
            path: actix_web::web::Path<(i64, i32)>,
        ) -> Result<actix_web::HttpResponse, $crate::http::problem::ApiError> {
            let (id, number) = path.into_inner();
            let version = state
                .db
                .run(move |conn| {
                    $crate::documents::locate(conn, &caller, $kind, id)?;
                    $crate::versions::get(conn, $kind, id, number)
                })
                .await?;
            Ok(actix_web::HttpResponse::Ok().json(version))
        }

        /// Its history: every edit and transition, oldest first.
        #[utoipa::path(tag = $tag, security(("bearer" = [])), params(("id" = i64, Path), $crate::pagination::PageParams),
            responses((status = 200, description = "A page of history entries", body = $crate::pagination::Page<$crate::history::Entry>)))]
        #[get($history_path)]
        pub async fn $history(
            state: $crate::http::State,
            caller: $crate::auth::Caller,
            id: actix_web::web::Path<i64>,
            page: $crate::http::extract::QueryParams<$crate::pagination::PageParams>,
        ) -> Result<actix_web::HttpResponse, $crate::http::problem::ApiError> {
            let (id, page) = (id.into_inner(), page.0.request()?);
            let entries = state
                .db
                .run(move |conn| {
                    $crate::documents::locate(conn, &caller, $kind, id)?;
                    let filter = $crate::history::HistoryFilter { entity_kind: Some($kind.as_str().to_owned()), entity_id: Some(id) };
                    $crate::history::list(conn, &caller, &filter, &page)
                })
                .await?;
            Ok(actix_web::HttpResponse::Ok().json(entries))
        }
    };
}

/// Confirms a signer's identity (their password again) and settles the name and position to
/// print. The transition is checked first (404, 403, 409, 412, 428): a caller who may not sign
/// learns so without any password being hashed, and never counts towards a lockout.
pub async fn confirm_signer(
    state: &State,
    caller: &Caller,
    step: SigningStep,
    input: crate::signatures::SignatureInput,
) -> Result<Signer, ApiError> {
    let SigningStep {
        kind,
        id,
        expected,
        transition,
    } = step;
    let checker = caller.clone();
    state
        .db
        .run(move |conn| lifecycle::begin(conn, &checker, kind, id, expected, transition).map(|_| ()))
        .await?;
    let account = crate::auth::http::confirm_identity(state, caller, input.password.clone(), "password").await?;
    Ok(Signer::from_input(
        &input,
        account.display_name.as_deref(),
        account.job_title.as_deref(),
    )?)
}

/// The signing transition a signer's password is about to confirm.
#[derive(Clone, Copy, Debug)]
pub struct SigningStep {
    pub kind: DocumentKind,
    pub id: i64,
    pub expected: Precondition,
    pub transition: crate::workflow::Transition,
}

/// Generates a kind of document's list, create, read and replace routes, with their OpenAPI
/// descriptions. The invoking module must import actix-web's `get`, `post` and `put`.
#[macro_export]
macro_rules! document_crud_routes {
    (
        document: $view:ty, input: $input:ty, summary: $summary:ty, tag: $tag:literal,
        list: $list:ident = $list_path:literal, $list_doc:literal,
        create: $create:ident = $create_path:literal, $create_doc:literal,
        read: $read:ident = $read_path:literal, $read_doc:literal,
        replace: $replace:ident = $replace_path:literal, $replace_doc:literal $(,)?
    ) => {
        #[doc = $list_doc]
        #[utoipa::path(tag = $tag, security(("bearer" = [])),
            params($crate::pagination::PageParams, $crate::documents::DocumentFilter),
            responses((status = 200, description = "A page of summaries", body = $crate::pagination::Page<$summary>)))]
        #[get($list_path)]
        pub async fn $list(
            state: $crate::http::State,
            caller: $crate::auth::Caller,
            page: $crate::http::extract::QueryParams<$crate::pagination::PageParams>,
            filter: $crate::http::extract::QueryParams<$crate::documents::DocumentFilter>,
        ) -> Result<actix_web::HttpResponse, $crate::http::problem::ApiError> {
            let (page, filter) = (page.0.request()?, filter.0);
            let found = state
                .db
                .run(move |conn| <$view as $crate::documents::Document>::list(conn, &caller, &filter, &page))
                .await?;
            Ok(actix_web::HttpResponse::Ok().json(found))
        }

        #[doc = $create_doc]
        #[utoipa::path(tag = $tag, security(("bearer" = [])), params($crate::documents::http::DryRun),
            request_body = $input, responses(
            (status = 201, description = "Created as a draft; the ETag is its version", body = $view),
            (status = 200, description = "With `dry_run=true`: the document as it would be created; nothing was stored", body = $view),
            (status = 403, description = "Only the partnership's manager writes its documents"),
        ))]
        #[post($create_path)]
        pub async fn $create(
            state: $crate::http::State,
            caller: $crate::auth::Caller,
            dry_run: $crate::http::extract::QueryParams<$crate::documents::http::DryRun>,
            body: $crate::http::extract::JsonBody<$input>,
        ) -> Result<actix_web::HttpResponse, $crate::http::problem::ApiError> {
            let (input, dry_run) = (body.into_inner(), dry_run.0);
            let created = $crate::documents::http::run_or_rehearse(&state, dry_run, move |conn| {
                <$view as $crate::documents::Document>::create(conn, &caller, &input)
            })
            .await?;
            if dry_run.dry_run {
                return $crate::documents::http::respond_with(actix_web::http::StatusCode::OK, &created);
            }
            $crate::documents::http::respond_created(&created)
        }

        #[doc = $read_doc]
        #[utoipa::path(tag = $tag, security(("bearer" = [])), params(("id" = i64, Path)),
            responses((status = 200, description = "The document; the ETag is its version", body = $view)))]
        #[get($read_path)]
        pub async fn $read(
            state: $crate::http::State,
            caller: $crate::auth::Caller,
            id: actix_web::web::Path<i64>,
        ) -> Result<actix_web::HttpResponse, $crate::http::problem::ApiError> {
            let id = id.into_inner();
            let found: $view = state.db.run(move |conn| $crate::documents::get(conn, &caller, id)).await?;
            $crate::documents::http::respond_with(actix_web::http::StatusCode::OK, &found)
        }

        #[doc = $replace_doc]
        #[utoipa::path(tag = $tag, security(("bearer" = [])),
            params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read"),
                $crate::documents::http::DryRun),
            request_body = $input, responses(
            (status = 200, description = "Replaced (with `dry_run=true`: as it would be; nothing was stored)", body = $view),
            (status = 403, description = "Only the partnership's manager writes its documents"),
            (status = 409, description = "Not a draft"),
            (status = 412, description = "The document changed since you read it"),
            (status = 428, description = "If-Match is missing"),
        ))]
        #[put($replace_path)]
        pub async fn $replace(
            state: $crate::http::State,
            caller: $crate::auth::Caller,
            id: actix_web::web::Path<i64>,
            version: $crate::documents::http::IfMatch,
            dry_run: $crate::http::extract::QueryParams<$crate::documents::http::DryRun>,
            body: $crate::http::extract::JsonBody<$input>,
        ) -> Result<actix_web::HttpResponse, $crate::http::problem::ApiError> {
            let (id, input) = (id.into_inner(), body.into_inner());
            let replaced = $crate::documents::http::run_or_rehearse(&state, dry_run.0, move |conn| {
                <$view as $crate::documents::Document>::replace(conn, &caller, id, version.0, &input)
            })
            .await?;
            $crate::documents::http::respond_with(actix_web::http::StatusCode::OK, &replaced)
        }
    };
}

/// Generates the sign and countersign routes of a return or report. `$sign` is the kind's
/// manager-signing function (it knows what makes the document complete).
#[macro_export]
macro_rules! signing_routes {
    (
        kind: $kind:expr, tag: $tag:literal, view: $view:ty, sign: $sign:path,
        sign_route: $sign_fn:ident = $sign_path:literal, $sign_doc:literal,
        countersign_route: $countersign_fn:ident = $countersign_path:literal, $countersign_doc:literal $(,)?
    ) => {
        #[doc = $sign_doc]
        #[utoipa::path(tag = $tag, security(("bearer" = [])),
                    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read"),
                        $crate::documents::http::DryRun),
                    request_body = $crate::signatures::SignatureInput, responses(
                    (status = 200, description = "Signed (with `dry_run=true`: as it would be; nothing was stored)", body = $view),
                    (status = 403, description = "Only the partnership's manager signs"),
                    (status = 409, description = "Not allowed in this state; `allowed_transitions` says what is"),
                    (status = 412, description = "The document changed since you read it"),
                    (status = 428, description = "If-Match is missing"),
                    (status = 429, description = "Too many wrong passwords"),
                ))]
        #[post($sign_path)]
        pub async fn $sign_fn(
            state: $crate::http::State,
            caller: $crate::auth::Caller,
            id: actix_web::web::Path<i64>,
            version: $crate::documents::http::IfMatch,
            dry_run: $crate::http::extract::QueryParams<$crate::documents::http::DryRun>,
            body: $crate::http::extract::JsonBody<$crate::signatures::SignatureInput>,
        ) -> Result<actix_web::HttpResponse, $crate::http::problem::ApiError> {
            let id = id.into_inner();
            let step = $crate::documents::http::SigningStep {
                kind: $kind, id, expected: version.0, transition: $crate::workflow::Transition::Sign,
            };
            let signer = $crate::documents::http::confirm_signer(&state, &caller, step, body.into_inner()).await?;
            $crate::documents::http::act_as(&state, caller, $kind, id, dry_run.0, move |conn, caller| {
                $sign(conn, caller, id, version.0, &signer)
            })
            .await
        }

        #[doc = $countersign_doc]
        #[utoipa::path(tag = $tag, security(("bearer" = [])),
                    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag you read"),
                        $crate::documents::http::DryRun),
                    request_body = $crate::signatures::SignatureInput, responses(
                    (status = 200, description = "Countersigned and submitted (with `dry_run=true`: as it would be; nothing was stored)", body = $view),
                    (status = 403, description = "Only the partnership's treasurer countersigns"),
                    (status = 409, description = "Not signed by the manager yet, or not allowed in this state"),
                    (status = 412, description = "The document changed since you read it"),
                    (status = 428, description = "If-Match is missing"),
                    (status = 429, description = "Too many wrong passwords"),
                ))]
        #[post($countersign_path)]
        pub async fn $countersign_fn(
            state: $crate::http::State,
            caller: $crate::auth::Caller,
            id: actix_web::web::Path<i64>,
            version: $crate::documents::http::IfMatch,
            dry_run: $crate::http::extract::QueryParams<$crate::documents::http::DryRun>,
            body: $crate::http::extract::JsonBody<$crate::signatures::SignatureInput>,
        ) -> Result<actix_web::HttpResponse, $crate::http::problem::ApiError> {
            let id = id.into_inner();
            let step = $crate::documents::http::SigningStep {
                kind: $kind, id, expected: version.0, transition: $crate::workflow::Transition::Countersign,
            };
            let signer = $crate::documents::http::confirm_signer(&state, &caller, step, body.into_inner()).await?;
            $crate::documents::http::act_as(&state, caller, $kind, id, dry_run.0, move |conn, caller| {
                $crate::documents::lifecycle::countersign(conn, caller, $kind, id, version.0, &signer)
            })
            .await
        }
    };
}
