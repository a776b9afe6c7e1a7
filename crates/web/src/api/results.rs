//! Electronic results over the API: the specialist attaches the result PDF,
//! the leader signs it, staff read it, the citizen downloads the signed file
//! once the dossier is returned, and anyone verifies a file.

use crate::AppState;
use crate::auth::Staff;
use crate::error::ErrorBody;
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::limits::Limits;
use crate::results::Verification;
use crate::view::{Instant, instant};
use axum::Extension;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use motcua_domain::dossier::normalize_key;
use motcua_domain::lifecycle::Status;
use motcua_domain::{Problem, ProblemKind};
use motcua_store::signing::ResultDoc;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

fn not_found() -> ApiError {
    Problem::not_found("dossier_not_found", "Không tìm thấy hồ sơ").into()
}

/// A dossier's electronic result.
#[derive(Serialize, ToSchema)]
#[schema(as = Result)]
pub struct ResultView {
    dossier_code: String,
    #[schema(required)]
    filename: Option<String>,
    original_sha256: String,
    original_size: i64,
    attached_by: String,
    attached_at: Instant,
    signed: bool,
    #[schema(required)]
    signed_by: Option<String>,
    #[schema(required)]
    signer_name: Option<String>,
    #[schema(required)]
    signed_at: Option<Instant>,
    #[schema(required)]
    signed_sha256: Option<String>,
    #[schema(required)]
    signed_size: Option<i64>,
    #[schema(required)]
    cert_serial: Option<String>,
    /// The public verification page, e.g. `/xac-minh/3f2a…`.
    #[schema(required)]
    verify_path: Option<String>,
}

pub fn result_view(r: &ResultDoc) -> ResultView {
    ResultView {
        dossier_code: r.dossier_code.clone(),
        filename: r.filename.clone(),
        original_sha256: r.original_sha256.clone(),
        original_size: r.original_size,
        attached_by: r.attached_by.clone(),
        attached_at: instant(r.attached_at),
        signed: r.signed_at.is_some(),
        signed_by: r.signed_by.clone(),
        signer_name: r.signer_name.clone(),
        signed_at: r.signed_at.map(instant),
        signed_sha256: r.signed_sha256.clone(),
        signed_size: r.signed_size,
        cert_serial: r.cert_serial.clone(),
        verify_path: r.public_id.as_ref().map(|id| format!("/xac-minh/{id}")),
    }
}

/// A PDF response, downloaded under `name`.
pub fn pdf_response(bytes: Vec<u8>, name: &str) -> Response {
    let mut resp = (StatusCode::OK, bytes).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    let safe: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    resp
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AttachQuery {
    /// Original file name when attaching.
    #[param(example = "ket-qua.pdf")]
    filename: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileQuery {
    /// `original` or `signed`: return that PDF instead of the description.
    file: Option<String>,
}

/// The request to sign the attached result.
#[derive(Deserialize, ToSchema)]
#[schema(as = SignRequest)]
pub struct SignBody {
    /// `sign_result`.
    #[schema(example = "sign_result")]
    action: String,
}

/// Attach (PDF body, by the assigned specialist) or sign (`{"action":"sign_result"}`,
/// by a leader of the unit).
#[utoipa::path(
    post,
    path = "/api/v1/dossiers/{code}/result",
    operation_id = "postResult",
    tag = "results",
    summary = "Attach or sign the electronic result",
    description = "Two uses. **Attach**: the assigned specialist of the unit sends the result PDF as the raw body (any Content-Type but JSON) while the dossier is processing; it replaces an earlier unsigned attachment. The same size limit and content sniffing as uploads apply, and only PDF is accepted. **Sign**: a leader of the unit sends `{\"action\":\"sign_result\"}` (Content-Type application/json) while the dossier awaits approval or has its result ready; a QR code to the public verification page `/xac-minh/{id}` is stamped on the last page, then the PDF is signed (PAdES-style, `adbe.pkcs7.detached`) with the leader's certificate issued by the unit's authority. Roles come from the domain's table: attach — specialist, sign — leader, both in their own units only.",
    params(("code" = String, Path, description = "Dossier code (mã hồ sơ): `<unit code>-<yymmdd>-<sequence>`.", pattern = "^[0-9]{5}-[0-9]{6}-[0-9]{4,9}$", example = "30112-260302-0001"), AttachQuery),
    request_body(description = "The PDF to attach, or the sign request.", content((String = "application/pdf"), (SignBody = "application/json"))),
    responses(
        (status = 200, description = "Signed.", body = ResultView),
        (status = 201, description = "Attached.", body = ResultView),
        (status = 401, description = "Not signed in — codes: `unauthorized`", body = ErrorBody),
        (status = 403, description = "Not allowed: wrong role, another unit, not the assignee — codes: `forbidden_action`, `not_assignee`", body = ErrorBody),
        (status = 404, description = "Unknown dossier or another unit's — codes: `dossier_not_found`", body = ErrorBody),
        (status = 409, description = "Wrong state or nothing to sign — codes: `illegal_transition`, `no_result`, `result_already_signed`, `result_changed`, `no_signing_certificate`, `no_unit_ca`, `signing_not_configured`", body = ErrorBody),
        (status = 413, description = "File too large — codes: `file_too_large`", body = ErrorBody),
        (status = 415, description = "Not a PDF — codes: `unsupported_file_type`", body = ErrorBody),
        (status = 422, description = "Empty file, unknown action, or a PDF that cannot be signed — codes: `empty_file`, `unknown_action`, `bad_pdf`", body = ErrorBody),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn post(
    State(s): State<AppState>,
    Staff(user): Staff,
    Path(code): Path<String>,
    Query(q): Query<AttachQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let limit = s.store.max_upload;
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        Problem::new(
            ProblemKind::TooLarge,
            "file_too_large",
            format!("Tệp quá lớn: tối đa {}", motcua_store::human_size(limit)),
        )
        .with_field("file")
    })?;
    let now = s.now();
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        let req: SignBody = serde_json::from_slice(&bytes).map_err(|e| {
            Problem::new(
                ProblemKind::BadRequest,
                "bad_json",
                format!("JSON không hợp lệ: {e}"),
            )
        })?;
        if req.action != "sign_result" {
            return Err(Problem::invalid(
                "unknown_action",
                "action",
                format!("Không có thao tác \"{}\" (sign_result)", req.action),
            )
            .into());
        }
        let base = crate::pages::base_url(&headers);
        let r = motcua_app::signing::sign_result(&s.store, &code, &user, &base, now).await?;
        return Ok((StatusCode::OK, axum::Json(result_view(&r))).into_response());
    }
    let r = s
        .store
        .signing()
        .attach_result(&code, &bytes, q.filename.as_deref(), &user, now)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(result_view(&r))).into_response())
}

/// The result of a dossier for staff of its unit: its description, or a file.
#[utoipa::path(
    get,
    path = "/api/v1/dossiers/{code}/result",
    operation_id = "getResult",
    tag = "results",
    summary = "A dossier's electronic result",
    description = "For staff of the dossier's unit: the attached result document and its signature. With `file=original` or `file=signed`, the PDF itself.",
    params(("code" = String, Path, description = "Dossier code (mã hồ sơ): `<unit code>-<yymmdd>-<sequence>`.", pattern = "^[0-9]{5}-[0-9]{6}-[0-9]{4,9}$", example = "30112-260302-0001"), FileQuery),
    responses(
        (status = 200, description = "The description, or the PDF when `file` is given.", content((ResultView = "application/json"), (String = "application/pdf"))),
        (status = 401, description = "Not signed in — codes: `unauthorized`", body = ErrorBody),
        (status = 404, description = "Unknown dossier, another unit's, no result or not signed yet — codes: `dossier_not_found`, `no_result`, `not_signed`", body = ErrorBody),
        (status = 422, description = "Bad `file` — codes: `bad_file`", body = ErrorBody),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn get(
    State(s): State<AppState>,
    Staff(user): Staff,
    Path(code): Path<String>,
    Query(q): Query<FileQuery>,
) -> ApiResult<Response> {
    let row = s
        .store
        .dossier_row(code.trim())
        .await?
        .filter(|r| user.reads_dossiers_of(&r.unit_code))
        .ok_or_else(not_found)?;
    let r = s.store.signing().result(&row.code).await?.ok_or_else(|| {
        ApiError::from(Problem::not_found(
            "no_result",
            "Hồ sơ chưa có văn bản kết quả",
        ))
    })?;
    let sha = match q.file.as_deref() {
        None | Some("") => return Ok(axum::Json(result_view(&r)).into_response()),
        Some("original") => r.original_sha256.clone(),
        Some("signed") => r.signed_sha256.clone().ok_or_else(|| {
            ApiError::from(Problem::not_found(
                "not_signed",
                "Văn bản kết quả chưa được ký số",
            ))
        })?,
        Some(_) => {
            return Err(
                Problem::invalid("bad_file", "file", "file là original hoặc signed").into(),
            );
        }
    };
    let bytes = s
        .store
        .blobs()
        .get(&sha)
        .await
        .map_err(|e| ApiError::Store(e.into()))?;
    Ok(pdf_response(bytes, &format!("{}.pdf", r.dossier_code)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KeyQuery {
    /// Lookup key (mã tra cứu) printed on the receipt.
    #[param(example = "7KQ2MXR9TA")]
    key: Option<String>,
}

/// The signed result for the citizen: the dossier's code and lookup key, once
/// the result is returned. A wrong key looks like an unknown code.
pub async fn signed_for_citizen(
    s: &AppState,
    code: &str,
    key: Option<&str>,
) -> ApiResult<(ResultDoc, Vec<u8>)> {
    let key = normalize_key(key.unwrap_or(""));
    let row = s
        .store
        .dossier_row_by_key(code, &key)
        .await?
        .ok_or_else(not_found)?;
    let unavailable = || {
        ApiError::from(Problem::conflict(
            "result_not_available",
            "Kết quả điện tử chưa sẵn sàng: hồ sơ chưa được trả kết quả hoặc kết quả chưa được ký số",
        ))
    };
    if row.status != Status::Returned.as_str() {
        return Err(unavailable());
    }
    let r = s
        .store
        .signing()
        .result(&row.code)
        .await?
        .ok_or_else(unavailable)?;
    let sha = r.signed_sha256.clone().ok_or_else(unavailable)?;
    let bytes = s
        .store
        .blobs()
        .get(&sha)
        .await
        .map_err(|e| ApiError::Store(e.into()))?;
    Ok((r, bytes))
}

#[utoipa::path(
    get,
    path = "/api/v1/lookup/{code}/result",
    operation_id = "lookupResult",
    tags = ["public", "results"],
    summary = "Download the signed result (tải kết quả điện tử)",
    description = "The signed PDF, for the citizen holding the dossier's code and lookup key, once the result is returned. A wrong or missing key gives the same 404 as an unknown code. Rate-limited per client like the lookup.",
    params(("code" = String, Path, description = "Dossier code (mã hồ sơ): `<unit code>-<yymmdd>-<sequence>`.", pattern = "^[0-9]{5}-[0-9]{6}-[0-9]{4,9}$", example = "30112-260302-0001"), KeyQuery),
    responses(
        (status = 200, description = "The signed PDF.", content((String = "application/pdf"))),
        (status = 404, description = "Unknown code or wrong key — codes: `dossier_not_found`", body = ErrorBody),
        (status = 409, description = "Not returned yet, or no signed result — codes: `result_not_available`", body = ErrorBody),
        (status = 429, description = "Too many lookups — codes: `rate_limited`", body = ErrorBody),
    ),
)]
pub async fn lookup(
    _: crate::auth::Citizen,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
    Query(q): Query<KeyQuery>,
) -> ApiResult<Response> {
    limits
        .lookup
        .check(peer.ip())
        .map_err(crate::auth::rate_limited)?;
    let (r, bytes) = signed_for_citizen(&s, &code, q.key.as_deref()).await?;
    Ok(pdf_response(bytes, &format!("{}.pdf", r.dossier_code)))
}

/// Verify a PDF (the body) against the certificates the system issued.
#[utoipa::path(
    post,
    path = "/api/v1/verify",
    operation_id = "verifyPdf",
    tags = ["public", "results"],
    summary = "Verify a signed PDF (xác minh)",
    description = "Check every signature in the PDF (raw body): the byte ranges cover the whole file but the signature itself, the digest, the CMS signature, the chain to a unit authority the system knows, validity at signing time and revocation. Nothing is stored. `verdict` is one of `valid`, `no_signature`, `malformed_signature`, `modified`, `bad_signature`, `appended`, `unknown_issuer`, `revoked`, `expired`, `not_yet_valid`; `message` says it in Vietnamese then English.",
    request_body(description = "The PDF's bytes.", content((String = "application/pdf"))),
    responses(
        (status = 200, description = "The verdict (also for files that are not valid).", body = Verification),
        (status = 413, description = "File too large — codes: `file_too_large`", body = ErrorBody),
        (status = 422, description = "Empty body — codes: `empty_file`", body = ErrorBody),
        (status = 429, description = "Too many checks — codes: `rate_limited`", body = ErrorBody),
    ),
)]
pub async fn verify(
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Body,
) -> ApiResult<axum::Json<Verification>> {
    limits
        .lookup
        .check(peer.ip())
        .map_err(crate::auth::rate_limited)?;
    let limit = s.store.max_upload;
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        Problem::new(
            ProblemKind::TooLarge,
            "file_too_large",
            format!("Tệp quá lớn: tối đa {}", motcua_store::human_size(limit)),
        )
        .with_field("file")
    })?;
    if bytes.is_empty() {
        return Err(Problem::invalid("empty_file", "file", "Tệp tải lên trống").into());
    }
    let report = motcua_app::signing::verify(&s.store, &bytes, s.now()).await?;
    let mut out = crate::results::verification(&report);
    if let Some(code) = report.signer.as_ref().and_then(|x| x.unit_code.clone()) {
        let name = s.store.unit(&code).await?.map(|u| u.name);
        out.unit = Some(crate::results::SignerUnit { code, name });
    }
    Ok(axum::Json(out))
}
