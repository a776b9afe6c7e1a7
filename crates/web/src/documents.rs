//! Official documents as the web serves them: the forms, results and the
//! register are built by `motcua_app::forms`; here they become answers.

use crate::AppState;
use crate::error::ApiResult;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use motcua_documents::Form;
use motcua_store::{DossierRecord, User};

pub use motcua_app::forms::{
    REGISTER_MAX_DAYS, REGISTER_MAX_ROWS, RegisterFormat, RegisterQuery, applicable, draft_result,
    lookup_url,
};

/// The public base URL printed in QR codes: the configured public URL when
/// set (the address citizens reach, e.g. behind a proxy), else the address
/// the officer used.
pub fn public_base(s: &AppState, headers: &HeaderMap) -> String {
    s.config
        .public_base()
        .unwrap_or_else(|| crate::pages::base_url(headers))
}

/// Render one form of a dossier as PDF bytes.
/// `viewer` is the officer printing: a key they issued in the last half hour
/// is printed with the form, never anyone else's.
pub async fn render_form(
    s: &AppState,
    rec: DossierRecord,
    form: Form,
    base: String,
    viewer: &str,
) -> ApiResult<Vec<u8>> {
    Ok(motcua_app::forms::render_form(&s.store, rec, form, base, viewer, s.now()).await?)
}

/// A file answer: PDF or CSV, shown inline or downloaded, never cached.
pub fn file_response(bytes: Vec<u8>, content_type: &'static str, filename: &str) -> Response {
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let disposition = if content_type == "application/pdf" {
        format!("inline; filename=\"{filename}\"")
    } else {
        format!("attachment; filename=\"{filename}\"")
    };
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    // A PDF is shown by the browser's viewer: no scripts, nothing else.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; object-src 'self'; frame-ancestors 'self'"),
    );
    resp
}

/// The register (Mẫu 06) of a unit for a period, as a file answer.
pub async fn register(s: &AppState, user: &User, q: &RegisterQuery) -> ApiResult<Response> {
    let f = motcua_app::forms::register(&s.store, user, q, s.now()).await?;
    Ok(file_response(f.bytes, f.content_type, &f.filename))
}
