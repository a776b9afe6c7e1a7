//! Electronic results over the API: the specialist attaches the result PDF,
//! the leader signs it, staff read it, the citizen downloads the signed file
//! once the dossier is returned, and anyone verifies a file.

use crate::AppState;
use crate::auth::Staff;
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::limits::Limits;
use axum::Extension;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use motcua_domain::dossier::normalize_key;
use motcua_domain::lifecycle::Status;
use motcua_domain::{Problem, ProblemKind};
use motcua_store::signing::ResultDoc;
use serde::Deserialize;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;

fn not_found() -> ApiError {
    Problem::not_found("dossier_not_found", "Không tìm thấy hồ sơ").into()
}

/// The JSON shape of a result.
pub fn result_json(r: &ResultDoc) -> Value {
    json!({
        "dossier_code": r.dossier_code,
        "filename": r.filename,
        "original_sha256": r.original_sha256,
        "original_size": r.original_size,
        "attached_by": r.attached_by,
        "attached_at": crate::view::instant(r.attached_at),
        "signed": r.signed_at.is_some(),
        "signed_by": r.signed_by,
        "signer_name": r.signer_name,
        "signed_at": r.signed_at.map(crate::view::instant),
        "signed_sha256": r.signed_sha256,
        "signed_size": r.signed_size,
        "cert_serial": r.cert_serial,
        "verify_path": r.public_id.as_ref().map(|id| format!("/xac-minh/{id}")),
    })
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

#[derive(Deserialize)]
pub struct FileQuery {
    filename: Option<String>,
    /// `original` or `signed`: the file instead of its description.
    file: Option<String>,
}

#[derive(Deserialize)]
struct SignBody {
    action: String,
}

/// Attach (PDF body, by the assigned specialist) or sign (`{"action":"sign_result"}`,
/// by a leader of the unit).
pub async fn post(
    State(s): State<AppState>,
    Staff(user): Staff,
    Path(code): Path<String>,
    Query(q): Query<FileQuery>,
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
        return Ok((StatusCode::OK, axum::Json(result_json(&r))).into_response());
    }
    let r = s
        .store
        .signing()
        .attach_result(&code, &bytes, q.filename.as_deref(), &user, now)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(result_json(&r))).into_response())
}

/// The result of a dossier for staff of its unit: its description, or a file.
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
        None | Some("") => return Ok(axum::Json(result_json(&r)).into_response()),
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

#[derive(Deserialize)]
pub struct KeyQuery {
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
pub async fn verify(
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Body,
) -> ApiResult<axum::Json<Value>> {
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
    let mut out = crate::results::verdict_json(&report);
    if let Some(code) = report.signer.as_ref().and_then(|x| x.unit_code.clone()) {
        let name = s.store.unit(&code).await?.map(|u| u.name);
        out["unit"] = json!({ "code": code, "name": name });
    }
    Ok(axum::Json(out))
}
