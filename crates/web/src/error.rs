//! Every error leaves as `{"error":{"code","message","field"}}` with its status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use motcua_domain::{Problem, ProblemKind};
use motcua_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Problem(#[from] Problem),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Problem(p) => ApiError::Problem(p),
            other => ApiError::Store(other),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

pub fn status_of(kind: ProblemKind) -> StatusCode {
    match kind {
        ProblemKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        ProblemKind::BadRequest => StatusCode::BAD_REQUEST,
        ProblemKind::Unauthorized => StatusCode::UNAUTHORIZED,
        ProblemKind::Forbidden => StatusCode::FORBIDDEN,
        ProblemKind::NotFound => StatusCode::NOT_FOUND,
        ProblemKind::Conflict => StatusCode::CONFLICT,
        ProblemKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ProblemKind::UnsupportedMedia => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ProblemKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ProblemKind::Gone => StatusCode::GONE,
    }
}

/// Every error, with the HTTP status that fits it. `message` is Vietnamese
/// text for people; `code` is stable for programs; `field` names the input
/// at fault (e.g. `applicant.id_number`, `documents.to-khai`, `body`,
/// `version`) or is null.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Error, example = json!({"error": {"code": "unknown_procedure", "message": "Không có thủ tục mã \"KHONG-CO\"", "field": "procedure_code"}}))]
pub struct ErrorBody {
    #[schema(inline)]
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Machine code, e.g. `unknown_procedure`, `stale_version`.
    #[schema(example = "missing_document")]
    pub code: &'static str,
    /// Vietnamese explanation (thông báo lỗi).
    #[schema(
        example = "Thiếu giấy tờ bắt buộc: Tờ khai cấp Giấy xác nhận tình trạng hôn nhân (theo mẫu)"
    )]
    pub message: String,
    /// The input at fault, if any.
    #[schema(required, example = "documents.to-khai")]
    pub field: Option<String>,
}

impl ErrorBody {
    pub fn of(p: &Problem) -> Self {
        ErrorBody {
            error: ErrorDetail {
                code: p.code,
                message: p.message.clone(),
                field: p.field.clone(),
            },
        }
    }
}

/// The answer to a failure of the system itself, never to bad input.
pub fn internal_error() -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: "internal",
            message: "Hệ thống đang gặp sự cố, vui lòng thử lại sau (internal error)".into(),
            field: None,
        },
    };
    (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response()
}

pub fn problem_response(p: &Problem) -> Response {
    let mut resp = (status_of(p.kind), axum::Json(ErrorBody::of(p))).into_response();
    if p.kind == ProblemKind::RateLimited
        && let Ok(v) = axum::http::HeaderValue::from_str(&p.retry_after.unwrap_or(60).to_string())
    {
        resp.headers_mut()
            .insert(axum::http::header::RETRY_AFTER, v);
    }
    resp
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Problem(p) => problem_response(&p),
            ApiError::Store(e) => {
                tracing::error!(error = %e, "storage failure");
                internal_error()
            }
        }
    }
}
