//! Every error leaves as `{"error":{"code","message","field"}}` with its status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use motcua_domain::{Problem, ProblemKind};
use motcua_store::StoreError;

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
    }
}

pub fn problem_response(p: &Problem) -> Response {
    let body = serde_json::json!({
        "error": { "code": p.code, "message": p.message, "field": p.field }
    });
    let mut resp = (status_of(p.kind), axum::Json(body)).into_response();
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
                let body = serde_json::json!({
                    "error": {
                        "code": "internal",
                        "message": "Hệ thống đang gặp sự cố, vui lòng thử lại sau (internal error)",
                        "field": null
                    }
                });
                (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response()
            }
        }
    }
}
