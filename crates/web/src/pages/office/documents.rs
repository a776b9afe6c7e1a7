//! Scans of a dossier's documents, for its officers (`/can-bo/tai-lieu/{id}`).

use super::*;

/// Only what is needed to show a scan; frameable by our own pages only.
pub(super) const DOCUMENT_CSP: &str = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'self'";

pub(super) async fn document(
    c: Ctx,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let lang = c.lang;
    let missing = || {
        PageError::new(
            lang,
            Problem::not_found("document_not_found", "Không tìm thấy tài liệu").into(),
        )
    };
    let (dossier_id, meta) = s
        .store
        .document(&id)
        .await
        .map_err(store_err(lang))?
        .ok_or_else(missing)?;
    // Not yet in a dossier: only its uploader's form previews it, not staff.
    let code = match dossier_id {
        Some(d) => s
            .store
            .document_readable_by(&user, d, meta.created_at)
            .await
            .map_err(store_err(lang))?,
        None => None,
    };
    let Some(code) = code else {
        return Err(missing());
    };
    // A scan of an ID card is personal data: its reads are kept too.
    s.store
        .log_access(
            &user.username,
            &code,
            &format!("page:document:{id}"),
            s.now(),
        )
        .await
        .map_err(store_err(lang))?;
    let sha = meta.sha256.clone().ok_or_else(missing)?;
    let bytes = s
        .store
        .blobs()
        .get(&sha)
        .await
        .map_err(|e| PageError::new(lang, ApiError::Store(e.into())))?;
    let ct = meta
        .content_type
        .unwrap_or_else(|| "application/octet-stream".into());
    let mut resp = (StatusCode::OK, bytes).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&ct)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(DOCUMENT_CSP),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(resp)
}
