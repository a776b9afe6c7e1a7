//! Extractors whose rejections speak our error format instead of plain text.

use crate::error::ApiError;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use motcua_domain::{Problem, ProblemKind};
use serde::de::DeserializeOwned;

pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(rej) => {
                let (kind, code, msg) = match &rej {
                    _ if rej.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => (
                        ProblemKind::TooLarge,
                        "body_too_large",
                        "Nội dung yêu cầu quá lớn (request body too large)".to_string(),
                    ),
                    JsonRejection::MissingJsonContentType(_) => (
                        ProblemKind::UnsupportedMedia,
                        "json_expected",
                        "Cần gửi dữ liệu JSON (Content-Type: application/json)".to_string(),
                    ),
                    JsonRejection::JsonSyntaxError(_) => (
                        ProblemKind::BadRequest,
                        "malformed_json",
                        format!("JSON không hợp lệ: {}", rej.body_text()),
                    ),
                    JsonRejection::JsonDataError(_) => (
                        ProblemKind::Invalid,
                        "invalid_json",
                        format!("Dữ liệu JSON sai cấu trúc: {}", rej.body_text()),
                    ),
                    _ => (
                        ProblemKind::BadRequest,
                        "bad_body",
                        format!("Không đọc được nội dung yêu cầu: {}", rej.body_text()),
                    ),
                };
                Err(Problem::new(kind, code, msg).with_field("body").into())
            }
        }
    }
}

pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| Query(v))
            .map_err(|rej: QueryRejection| {
                Problem::invalid(
                    "bad_query",
                    "query",
                    format!("Tham số truy vấn không hợp lệ: {}", rej.body_text()),
                )
                .into()
            })
    }
}
