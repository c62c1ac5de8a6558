//! HTTP shared by the three kinds of document: ETags and If-Match, responses, and the work behind
//! the routes every kind has. Each kind's `http` module declares its routes (paths, OpenAPI
//! descriptions) as plain functions that call these.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::accounts::http::Confirmed;
use crate::auth::Caller;
use crate::db::{DbConnection, rehearse, write_transaction};
use crate::documents::{Document, DocumentFilter, Precondition, locate};
use crate::error::Error;
use crate::http::State;
use crate::http::extract::{JsonBody, QueryParams, SyncListing};
use crate::http::problem::ApiError;
use crate::lifecycle::record::{Issuer, Recorded};
use crate::lifecycle::{self, record};
use crate::pagination::PageParams;
use crate::records::store::{self, KeptRecord, RecordOf};
use crate::records::{self, Sheet};
use crate::signatures::{SignatureInput, Signer};
use crate::workflow::Transition;
use crate::{history, versions};

pub use crate::http::extract::IfMatch;
pub use crate::preconditions::etag;

/// A document in a response, with its version as the ETag; serialized straight from its type.
pub fn respond_with<D: Document>(status: StatusCode, document: &D) -> Result<HttpResponse, ApiError> {
    let body = serde_json::to_vec(document).map_err(Error::internal)?;
    Ok(HttpResponse::build(status)
        .insert_header((header::ETAG, etag(document.version())))
        .insert_header(header::ContentType::json())
        .body(body))
}

/// A new document: 201 with its Location and ETag.
pub fn respond_created<D: Document>(document: &D) -> Result<HttpResponse, ApiError> {
    let mut response = respond_with(StatusCode::CREATED, document)?;
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

/// Runs a change to a document in one transaction (or its rehearsal under `dry_run`) and
/// answers with the document as it now is.
pub async fn act<D, F>(
    state: &State,
    caller: Caller,
    id: i64,
    dry_run: DryRun,
    change: F,
) -> Result<HttpResponse, ApiError>
where
    D: Document,
    F: FnOnce(&mut DbConnection, &Caller) -> Result<(), Error> + Send + 'static,
{
    let document: D = run_or_rehearse(state, dry_run, move |conn| {
        write_transaction(conn, |conn| {
            change(conn, &caller)?;
            lifecycle::get::<D>(conn, &caller, id)
        })
    })
    .await?;
    respond_with(StatusCode::OK, &document)
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

/// Confirms the caller's identity for a declaration on a document: their password again, or a
/// recent sign-in at their provider. The step is checked first (404, 403, 409, 412, 428): a
/// caller who may not take it learns so without any password being hashed, and never counts
/// towards a lockout.
pub async fn confirm_declarant<D: Document>(
    state: &State,
    caller: &Caller,
    id: i64,
    expected: Precondition,
    transition: Transition,
    password: Option<String>,
) -> Result<Confirmed, ApiError> {
    let checker = caller.clone();
    state
        .db
        .run(move |conn| lifecycle::begin::<D>(conn, &checker, id, expected, transition).map(|_| ()))
        .await?;
    crate::accounts::http::confirm_declarant(state, caller, password).await
}

/// Confirms a signer's identity and settles the name and position to print.
pub async fn confirm_signer<D: Document>(
    state: &State,
    caller: &Caller,
    id: i64,
    expected: Precondition,
    transition: Transition,
    input: SignatureInput,
) -> Result<Signer, ApiError> {
    let account = confirm_declarant::<D>(state, caller, id, expected, transition, input.password.clone()).await?;
    Ok(Signer::from_input(
        &input,
        account.display_name.as_deref(),
        account.job_title.as_deref(),
        account.sign_in,
        state.config.service_key.clone(),
    )?)
}

/// The work behind each route every kind of document has. A kind's `http` module declares the
/// route and calls these with its own type.
pub mod handle {
    use super::*;

    pub async fn list<D: Document>(
        state: State,
        caller: Caller,
        query: SyncListing<DocumentFilter>,
    ) -> Result<HttpResponse, ApiError> {
        let (page, filter) = (query.request()?, query.filter);
        let found = state.db.run(move |conn| D::list(conn, &caller, &filter, &page)).await?;
        Ok(HttpResponse::Ok().json(found))
    }

    pub async fn create<D: Document>(
        state: State,
        caller: Caller,
        dry_run: QueryParams<DryRun>,
        body: JsonBody<D::Input>,
    ) -> Result<HttpResponse, ApiError> {
        let (input, dry_run) = (body.into_inner(), dry_run.0);
        let created: D = run_or_rehearse(&state, dry_run, move |conn| lifecycle::create(conn, &caller, &input)).await?;
        if dry_run.dry_run {
            return respond_with(StatusCode::OK, &created);
        }
        respond_created(&created)
    }

    pub async fn read<D: Document>(state: State, caller: Caller, id: i64) -> Result<HttpResponse, ApiError> {
        let found: D = state.db.run(move |conn| lifecycle::get(conn, &caller, id)).await?;
        respond_with(StatusCode::OK, &found)
    }

    pub async fn replace<D: Document>(
        state: State,
        caller: Caller,
        id: i64,
        version: IfMatch,
        dry_run: QueryParams<DryRun>,
        body: JsonBody<D::Input>,
    ) -> Result<HttpResponse, ApiError> {
        let input = body.into_inner();
        let replaced: D = run_or_rehearse(&state, dry_run.0, move |conn| {
            lifecycle::replace(conn, &caller, id, version.0, &input)
        })
        .await?;
        respond_with(StatusCode::OK, &replaced)
    }

    pub async fn withdraw<D: Document>(
        state: State,
        caller: Caller,
        id: i64,
        version: IfMatch,
    ) -> Result<HttpResponse, ApiError> {
        act::<D, _>(&state, caller, id, DryRun::default(), move |conn, caller| {
            lifecycle::withdraw::<D>(conn, caller, id, version.0)
        })
        .await
    }

    pub async fn start_review<D: Document>(
        state: State,
        caller: Caller,
        id: i64,
        version: IfMatch,
    ) -> Result<HttpResponse, ApiError> {
        act::<D, _>(&state, caller, id, DryRun::default(), move |conn, caller| {
            lifecycle::step_only::<D>(conn, caller, id, version.0, Transition::StartReview)
        })
        .await
    }

    pub async fn request_changes<D: Document>(
        state: State,
        caller: Caller,
        id: i64,
        version: IfMatch,
        body: JsonBody<ChangesRequest>,
    ) -> Result<HttpResponse, ApiError> {
        let reason = body.into_inner().checked()?;
        act::<D, _>(&state, caller, id, DryRun::default(), move |conn, caller| {
            lifecycle::request_changes::<D>(conn, caller, id, version.0, &reason)
        })
        .await
    }

    pub async fn revise<D: Document>(
        state: State,
        caller: Caller,
        id: i64,
        version: IfMatch,
    ) -> Result<HttpResponse, ApiError> {
        act::<D, _>(&state, caller, id, DryRun::default(), move |conn, caller| {
            lifecycle::revise::<D>(conn, caller, id, version.0)
        })
        .await
    }

    /// The manager's signature: submits a plan, signs a return or report.
    pub async fn sign<D: Document>(
        state: State,
        caller: Caller,
        id: i64,
        version: IfMatch,
        dry_run: QueryParams<DryRun>,
        body: JsonBody<SignatureInput>,
    ) -> Result<HttpResponse, ApiError> {
        let signer = confirm_signer::<D>(&state, &caller, id, version.0.clone(), D::SIGNING, body.into_inner()).await?;
        act::<D, _>(&state, caller, id, dry_run.0, move |conn, caller| {
            lifecycle::sign_as_manager::<D>(conn, caller, id, version.0, &signer)
        })
        .await
    }

    pub async fn countersign<D: Document>(
        state: State,
        caller: Caller,
        id: i64,
        version: IfMatch,
        dry_run: QueryParams<DryRun>,
        body: JsonBody<SignatureInput>,
    ) -> Result<HttpResponse, ApiError> {
        let signer = confirm_signer::<D>(
            &state,
            &caller,
            id,
            version.0.clone(),
            Transition::Countersign,
            body.into_inner(),
        )
        .await?;
        act::<D, _>(&state, caller, id, dry_run.0, move |conn, caller| {
            lifecycle::countersign::<D>(conn, caller, id, version.0, &signer)
        })
        .await
    }

    pub async fn signatures<D: Document>(state: State, caller: Caller, id: i64) -> Result<HttpResponse, ApiError> {
        let signatures = state
            .db
            .run(move |conn| lifecycle::signatures::<D>(conn, &caller, id))
            .await?;
        Ok(HttpResponse::Ok().json(signatures))
    }

    pub async fn versions<D: Document>(
        state: State,
        caller: Caller,
        id: i64,
        page: QueryParams<PageParams>,
    ) -> Result<HttpResponse, ApiError> {
        let page = page.0.request()?;
        let found = state
            .db
            .run(move |conn| {
                let document = locate::<D>(conn, &caller, id)?;
                versions::list(conn, &document, &page)
            })
            .await?;
        Ok(HttpResponse::Ok().json(found))
    }

    pub async fn version<D: Document>(
        state: State,
        caller: Caller,
        id: i64,
        number: i32,
    ) -> Result<HttpResponse, ApiError> {
        let found = state
            .db
            .run(move |conn| {
                let document = locate::<D>(conn, &caller, id)?;
                versions::get(conn, &document, number)
            })
            .await?;
        Ok(HttpResponse::Ok().json(found))
    }

    /// A document of a kind with a paper form: as JSON, or as its record when the client asks
    /// for a PDF.
    pub async fn read_or_record<D: Recorded>(
        req: &HttpRequest,
        state: State,
        caller: Caller,
        id: i64,
    ) -> Result<HttpResponse, ApiError> {
        if records::http::prefers_pdf(req) {
            return record::<D>(state, caller, id, None).await;
        }
        read::<D>(state, caller, id).await
    }

    /// One snapshot of a kind with a paper form: as JSON with the SHA-256 of its record, or as
    /// that record when the client asks for a PDF.
    pub async fn version_or_record<D: Recorded>(
        req: &HttpRequest,
        state: State,
        caller: Caller,
        id: i64,
        number: i32,
    ) -> Result<HttpResponse, ApiError> {
        if records::http::prefers_pdf(req) {
            return record::<D>(state, caller, id, Some(number)).await;
        }
        recorded_version::<D>(state, caller, id, number).await
    }

    /// One snapshot read as JSON by a kind with a paper form: with the SHA-256 of its record,
    /// rendered and kept at the first reading.
    async fn recorded_version<D: Recorded>(
        state: State,
        caller: Caller,
        id: i64,
        number: i32,
    ) -> Result<HttpResponse, ApiError> {
        let of = move || RecordOf {
            kind: D::KIND.as_str(),
            document_id: id,
            number,
        };
        let asker = caller.clone();
        let (mut found, kept) = state
            .db
            .run(move |conn| {
                let document = locate::<D>(conn, &asker, id)?;
                Ok((versions::get(conn, &document, number)?, store::kept_sha256(conn, of())?))
            })
            .await?;
        let kept = match kept {
            Some(kept) => kept,
            None => kept_record::<D>(&state, caller, id, number).await?.record_sha256,
        };
        found.record_sha256 = Some(kept);
        Ok(HttpResponse::Ok().json(found))
    }

    /// A document, or one of its versions, as its PDF/A record (`Accept: application/pdf`).
    async fn record<D: Recorded>(
        state: State,
        caller: Caller,
        id: i64,
        number: Option<i32>,
    ) -> Result<HttpResponse, ApiError> {
        let name = D::KIND.collection().trim_end_matches('s');
        let (pdf, file_name) = match number {
            Some(number) => (
                kept_record::<D>(&state, caller, id, number).await?.pdf,
                format!("{name}-{id}-version-{number}.pdf"),
            ),
            None => {
                let issuer = issuer_of(&state);
                let sheet = state
                    .db
                    .run(move |conn| {
                        let document = locate::<D>(conn, &caller, id)?;
                        record::sheet::<D>(conn, &caller, &document, None, &issuer)
                    })
                    .await?;
                (records::typeset(sheet).await?, format!("{name}-{id}.pdf"))
            }
        };
        Ok(records::http::pdf(pdf, &file_name))
    }

    /// A version's record as found: kept already, or to be rendered from its sheet.
    enum Found {
        Kept(KeptRecord),
        ToRender(Sheet),
    }

    /// A version's record as kept, rendered and kept first if it has not been yet.
    async fn kept_record<D: Recorded>(
        state: &State,
        caller: Caller,
        id: i64,
        number: i32,
    ) -> Result<KeptRecord, Error> {
        let issuer = issuer_of(state);
        let of = move || RecordOf {
            kind: D::KIND.as_str(),
            document_id: id,
            number,
        };
        let found = state
            .db
            .run(move |conn| {
                let document = locate::<D>(conn, &caller, id)?;
                match store::kept(conn, of())? {
                    Some(kept) => Ok(Found::Kept(kept)),
                    None => record::sheet::<D>(conn, &caller, &document, Some(number), &issuer).map(Found::ToRender),
                }
            })
            .await?;
        let sheet = match found {
            Found::Kept(kept) => return Ok(kept),
            Found::ToRender(sheet) => sheet,
        };
        let pdf = records::typeset(sheet).await?;
        state
            .db
            .run(move |conn| write_transaction(conn, |conn| store::keep(conn, of(), pdf)))
            .await
    }

    /// The service's address and key, for a record's check address and attestation.
    fn issuer_of(state: &State) -> Issuer {
        Issuer {
            public_url: state.config.public_url.clone(),
            key: state.config.service_key.clone(),
        }
    }

    pub async fn history<D: Document>(
        state: State,
        caller: Caller,
        id: i64,
        page: QueryParams<PageParams>,
    ) -> Result<HttpResponse, ApiError> {
        let page = page.0.request()?;
        let entries = state
            .db
            .run(move |conn| {
                let document = locate::<D>(conn, &caller, id)?;
                history::of_document_unscoped(conn, document.kind(), document.id(), &page)
            })
            .await?;
        Ok(HttpResponse::Ok().json(entries))
    }
}
