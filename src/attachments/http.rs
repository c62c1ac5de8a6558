//! HTTP for evidence files: upload the raw file as the request body (its media type as
//! Content-Type, its name in `?filename=`), list a document's files, read and download them.

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType, HeaderValue};
use actix_web::web::BytesMut;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use futures_util::StreamExt;
use utoipa_actix_web::service_config::ServiceConfig;

use super::store::EvidenceStore;
use super::{Attachment, StoredFile, UploadParams};
use crate::auth::Caller;
use crate::commissioning::CommissioningPaper;
use crate::documents::Document;
use crate::error::Error;
use crate::final_reports::FinalReport;
use crate::half_year_returns::HalfYearReturn;
use crate::http::State;
use crate::http::extract::QueryParams;
use crate::http::problem::ApiError;
use crate::pagination::{Page, PageParams};
use crate::plans::Plan;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(attach_to_plan)
        .service(list_plan_attachments)
        .service(attach_to_half_year_return)
        .service(list_half_year_return_attachments)
        .service(attach_to_final_report)
        .service(list_final_report_attachments)
        .service(attach_to_commissioning_paper)
        .service(list_commissioning_paper_attachments)
        .service(get_attachment)
        .service(download_attachment)
        .service(delete_attachment);
}

/// Reads, checks, stores and records one upload.
async fn upload<D: Document>(
    state: State,
    caller: Caller,
    req: HttpRequest,
    mut payload: web::Payload,
    document_id: i64,
    params: UploadParams,
) -> Result<HttpResponse, ApiError> {
    super::check_filename(&params.filename)?;
    let config = &state.config;
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let content_type =
        super::accepted_type(content_type, &params.filename, &config.attachment_types).ok_or_else(|| {
            ApiError::UnsupportedMediaType(format!(
                "send the file with one of these Content-Types: {} (or application/octet-stream with \
                 a file name ending .pdf, .docx, .xlsx, .odt, .csv, .txt, .png, .jpg...)",
                config.attachment_types.join(", ")
            ))
        })?;
    // Refuse before reading the file when the document cannot take it.
    let check_caller = caller.clone();
    state
        .db
        .run(move |conn| super::writable_document::<D>(conn, &check_caller, document_id).map(|_| ()))
        .await?;

    let limit = config.attachment_max_bytes;
    let mut content = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::Malformed(format!("the file could not be read: {e}")))?;
        if content.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        content.extend_from_slice(&chunk);
    }
    if content.is_empty() {
        return Err(Error::invalid("file", "required", "the request body (the file) is empty").into());
    }
    let size_bytes = i64::try_from(content.len()).map_err(Error::internal)?;
    let sha256 = EvidenceStore::of(config, &state.db).put(content.to_vec()).await?;
    let file = StoredFile {
        filename: params.filename,
        content_type,
        size_bytes,
        sha256,
    };
    let plan_line = params.plan_line;
    let attachment = state
        .db
        .run(move |conn| super::record::<D>(conn, &caller, document_id, plan_line, &file))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/attachments/{}", attachment.id)))
        .json(attachment))
}

async fn list<D: Document>(state: State, caller: Caller, id: i64, page: PageParams) -> Result<HttpResponse, ApiError> {
    let page = page.request()?;
    Ok(HttpResponse::Ok().json(
        state
            .db
            .run(move |conn| super::list::<D>(conn, &caller, id, &page))
            .await?,
    ))
}

/// Attach evidence to a draft plan (the partnership's manager). The body is the file itself.
#[utoipa::path(tag = "attachments", security(("bearer" = [])), params(("id" = i64, Path), UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file's bytes. Send its media type as Content-Type (by default PDF, Word, \
Excel, OpenDocument text and spreadsheet, CSV, plain text, PNG or JPEG are accepted: `CSPFUND_ATTACHMENT_TYPES`), \
or `application/octet-stream` and a `filename` whose extension names the type (`.pdf`, `.doc`, `.docx`, \
`.xls`, `.xlsx`, `.odt`, `.ods`, `.csv`, `.txt`, `.png`, `.jpg`, `.jpeg`)."),
    responses(
    (status = 201, description = "Attached", body = Attachment),
    (status = 403, description = "Only the partnership's manager attaches evidence"),
    (status = 409, description = "The document is not a draft"),
))]
#[post("/plans/{id}/attachments")]
pub async fn attach_to_plan(
    state: State,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
    id: web::Path<i64>,
    params: QueryParams<UploadParams>,
) -> Result<HttpResponse, ApiError> {
    upload::<Plan>(state, caller, req, payload, id.into_inner(), params.0).await
}

/// List a plan's evidence.
#[utoipa::path(tag = "attachments", security(("bearer" = [])), params(("id" = i64, Path), PageParams),
    responses((status = 200, description = "A page of attachments", body = Page<Attachment>)))]
#[get("/plans/{id}/attachments")]
pub async fn list_plan_attachments(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    page: QueryParams<PageParams>,
) -> Result<HttpResponse, ApiError> {
    list::<Plan>(state, caller, id.into_inner(), page.0).await
}

/// Attach evidence to a draft commissioning paper (the partnership's manager).
///
/// Such as its strategic assessment. The body is the file itself.
#[utoipa::path(tag = "attachments", security(("bearer" = [])), params(("id" = i64, Path), UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file's bytes. Send its media type as Content-Type (by default PDF, Word, \
Excel, OpenDocument text and spreadsheet, CSV, plain text, PNG or JPEG are accepted: `CSPFUND_ATTACHMENT_TYPES`), \
or `application/octet-stream` and a `filename` whose extension names the type (`.pdf`, `.doc`, `.docx`, \
`.xls`, `.xlsx`, `.odt`, `.ods`, `.csv`, `.txt`, `.png`, `.jpg`, `.jpeg`). A paper's evidence names no plan line."),
    responses(
    (status = 201, description = "Attached", body = Attachment),
    (status = 403, description = "Only the partnership's manager attaches evidence"),
    (status = 409, description = "The paper is not a draft"),
))]
#[post("/commissioning-papers/{id}/attachments")]
pub async fn attach_to_commissioning_paper(
    state: State,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
    id: web::Path<i64>,
    params: QueryParams<UploadParams>,
) -> Result<HttpResponse, ApiError> {
    upload::<CommissioningPaper>(state, caller, req, payload, id.into_inner(), params.0).await
}

/// List a commissioning paper's evidence.
#[utoipa::path(tag = "attachments", security(("bearer" = [])), params(("id" = i64, Path), PageParams),
    responses((status = 200, description = "A page of attachments", body = Page<Attachment>)))]
#[get("/commissioning-papers/{id}/attachments")]
pub async fn list_commissioning_paper_attachments(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    page: QueryParams<PageParams>,
) -> Result<HttpResponse, ApiError> {
    list::<CommissioningPaper>(state, caller, id.into_inner(), page.0).await
}

/// Attach evidence to a draft half-year return (the partnership's manager). The body is the file itself.
#[utoipa::path(tag = "attachments", security(("bearer" = [])), params(("id" = i64, Path), UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file's bytes. Send its media type as Content-Type (by default PDF, Word, \
Excel, OpenDocument text and spreadsheet, CSV, plain text, PNG or JPEG are accepted: `CSPFUND_ATTACHMENT_TYPES`), \
or `application/octet-stream` and a `filename` whose extension names the type (`.pdf`, `.doc`, `.docx`, \
`.xls`, `.xlsx`, `.odt`, `.ods`, `.csv`, `.txt`, `.png`, `.jpg`, `.jpeg`)."),
    responses(
    (status = 201, description = "Attached", body = Attachment),
    (status = 403, description = "Only the partnership's manager attaches evidence"),
    (status = 409, description = "The document is not a draft"),
))]
#[post("/half-year-returns/{id}/attachments")]
pub async fn attach_to_half_year_return(
    state: State,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
    id: web::Path<i64>,
    params: QueryParams<UploadParams>,
) -> Result<HttpResponse, ApiError> {
    upload::<HalfYearReturn>(state, caller, req, payload, id.into_inner(), params.0).await
}

/// List a half-year return's evidence.
#[utoipa::path(tag = "attachments", security(("bearer" = [])), params(("id" = i64, Path), PageParams),
    responses((status = 200, description = "A page of attachments", body = Page<Attachment>)))]
#[get("/half-year-returns/{id}/attachments")]
pub async fn list_half_year_return_attachments(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    page: QueryParams<PageParams>,
) -> Result<HttpResponse, ApiError> {
    list::<HalfYearReturn>(state, caller, id.into_inner(), page.0).await
}

/// Attach evidence to a draft final report (the partnership's manager). The body is the file itself.
#[utoipa::path(tag = "attachments", security(("bearer" = [])), params(("id" = i64, Path), UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file's bytes. Send its media type as Content-Type (by default PDF, Word, \
Excel, OpenDocument text and spreadsheet, CSV, plain text, PNG or JPEG are accepted: `CSPFUND_ATTACHMENT_TYPES`), \
or `application/octet-stream` and a `filename` whose extension names the type (`.pdf`, `.doc`, `.docx`, \
`.xls`, `.xlsx`, `.odt`, `.ods`, `.csv`, `.txt`, `.png`, `.jpg`, `.jpeg`)."),
    responses(
    (status = 201, description = "Attached", body = Attachment),
    (status = 403, description = "Only the partnership's manager attaches evidence"),
    (status = 409, description = "The document is not a draft"),
))]
#[post("/final-reports/{id}/attachments")]
pub async fn attach_to_final_report(
    state: State,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
    id: web::Path<i64>,
    params: QueryParams<UploadParams>,
) -> Result<HttpResponse, ApiError> {
    upload::<FinalReport>(state, caller, req, payload, id.into_inner(), params.0).await
}

/// List a final report's evidence.
#[utoipa::path(tag = "attachments", security(("bearer" = [])), params(("id" = i64, Path), PageParams),
    responses((status = 200, description = "A page of attachments", body = Page<Attachment>)))]
#[get("/final-reports/{id}/attachments")]
pub async fn list_final_report_attachments(
    state: State,
    caller: Caller,
    id: web::Path<i64>,
    page: QueryParams<PageParams>,
) -> Result<HttpResponse, ApiError> {
    list::<FinalReport>(state, caller, id.into_inner(), page.0).await
}

/// Read an attachment's record.
#[utoipa::path(tag = "attachments", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, description = "The attachment", body = Attachment)))]
#[get("/attachments/{id}")]
pub async fn get_attachment(state: State, caller: Caller, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    Ok(HttpResponse::Ok().json(state.db.run(move |conn| super::get(conn, &caller, id)).await?))
}

/// Download an attachment's file. The ETag is its SHA-256.
#[utoipa::path(tag = "attachments", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, description = "The file, as the media type it was uploaded as (the service's default \
types are listed; an operator may allow others with CSPFUND_ATTACHMENT_TYPES)", content(
        (Vec<u8> = "application/pdf"),
        (Vec<u8> = "application/msword"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (Vec<u8> = "application/vnd.ms-excel"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (Vec<u8> = "application/vnd.oasis.opendocument.text"),
        (Vec<u8> = "application/vnd.oasis.opendocument.spreadsheet"),
        (Vec<u8> = "text/csv"),
        (Vec<u8> = "text/plain"),
        (Vec<u8> = "image/png"),
        (Vec<u8> = "image/jpeg"),
    ))))]
#[get("/attachments/{id}/content")]
pub async fn download_attachment(state: State, caller: Caller, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let attachment = state.db.run(move |conn| super::get(conn, &caller, id)).await?;
    let content = EvidenceStore::of(&state.config, &state.db)
        .read(attachment.sha256.clone())
        .await?;
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![DispositionParam::Filename(attachment.filename.clone())],
    };
    Ok(HttpResponse::Ok()
        .content_type(attachment.content_type.as_str())
        .insert_header(disposition)
        .insert_header((header::ETAG, format!("\"{}\"", attachment.sha256)))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .body(content))
}

/// Remove an attachment from a draft document (the partnership's manager).
#[utoipa::path(tag = "attachments", security(("bearer" = [])), params(("id" = i64, Path)), responses(
    (status = 204, description = "Removed"),
    (status = 403, description = "Only the partnership's manager removes evidence"),
    (status = 409, description = "The document is not a draft"),
))]
#[delete("/attachments/{id}")]
pub async fn delete_attachment(state: State, caller: Caller, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    state.db.run(move |conn| super::remove(conn, &caller, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
