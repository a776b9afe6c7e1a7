//! Pages of electronic results: the officers' result page (the specialist
//! attaches the PDF, a leader of the unit signs it), the citizen's download
//! from the lookup page, and the public verification page the QR code on
//! every signed result points to.

use super::{Ctx, Lang, PageError, PageResult, base_url, render, render_status, url_encode};
use crate::AppState;
use crate::api::results::{pdf_response, signed_for_citizen};
use crate::error::ApiError;
use crate::extract::Query;
use crate::limits::Limits;
use askama::Template;
use axum::Extension;
use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use motcua_domain::calendar::format_vn;
use motcua_domain::lifecycle::ResultAction;
use motcua_domain::{Problem, ProblemKind};
use motcua_store::StoreError;
use motcua_store::signing::{ResultDoc, check_result_action};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;

/// A result PDF plus the form around it.
/// One PDF of at most the upload limit (10 MB), and the form around it.
const FORM_BODY_LIMIT: usize = motcua_store::DEFAULT_MAX_UPLOAD + 64 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/can-bo/ho-so/{code}/ket-qua",
            get(office_page)
                .post(attach)
                .layer(DefaultBodyLimit::max(FORM_BODY_LIMIT)),
        )
        .route("/can-bo/ho-so/{code}/ket-qua/tao", post(draft))
        .route("/can-bo/ho-so/{code}/ky-so", post(sign))
        .route("/can-bo/ho-so/{code}/ket-qua/tep", get(office_file))
        .route("/tra-cuu/{code}/ket-qua", get(citizen_file))
        .route(
            "/xac-minh/{id}",
            get(verify_page)
                .post(verify_upload)
                .layer(DefaultBodyLimit::max(FORM_BODY_LIMIT)),
        )
}

fn page_err(lang: Lang) -> impl Fn(StoreError) -> PageError {
    move |e| PageError::new(lang, e.into())
}

use super::sign_in;

use super::dossier_not_found as not_found;

fn size_words(n: i64) -> String {
    motcua_store::human_size(usize::try_from(n).unwrap_or(0))
}

#[derive(Template)]
#[template(path = "office_result.html")]
struct OfficeResult {
    c: Ctx,
    code: String,
    status: String,
    result: Option<ResultView>,
    can_attach: bool,
    can_sign: bool,
    notice: Option<String>,
    error: Option<String>,
}

struct ResultView {
    filename: String,
    size: String,
    attached_by: String,
    attached_at: String,
    signed: bool,
    signer: String,
    signed_at: String,
    sha256: String,
    verify_path: String,
}

fn view(r: &ResultDoc) -> ResultView {
    ResultView {
        filename: r.filename.clone().unwrap_or_else(|| "ket-qua.pdf".into()),
        size: size_words(r.original_size),
        attached_by: r.attached_by.clone(),
        attached_at: format_vn(r.attached_at),
        signed: r.signed_at.is_some(),
        signer: format!(
            "{} ({})",
            r.signer_name.clone().unwrap_or_default(),
            r.signed_by.clone().unwrap_or_default()
        ),
        signed_at: r.signed_at.map(format_vn).unwrap_or_default(),
        sha256: r.signed_sha256.clone().unwrap_or_default(),
        verify_path: r
            .public_id
            .as_ref()
            .map(|id| format!("/xac-minh/{id}"))
            .unwrap_or_default(),
    }
}

async fn office_view(
    s: &AppState,
    c: Ctx,
    code: &str,
    notice: Option<String>,
    error: Option<String>,
) -> Result<OfficeResult, PageError> {
    let lang = c.lang;
    let Some(user) = c.user.clone() else {
        return Err(not_found(lang));
    };
    let row = s
        .store
        .dossier_row(code.trim())
        .await
        .map_err(page_err(lang))?
        .filter(|r| user.reads_dossiers_of(&r.unit_code))
        .ok_or_else(|| not_found(lang))?;
    let result = s
        .store
        .signing()
        .result(&row.code)
        .await
        .map_err(page_err(lang))?;
    let signed = result.as_ref().is_some_and(|r| r.signed_at.is_some());
    let may = |a| {
        check_result_action(
            &user,
            a,
            &row.unit_code,
            &row.status,
            row.assignee.as_deref(),
        )
        .is_ok()
    };
    let status = row
        .status
        .parse()
        .map(|st| super::citizen::status_words(&c, st))
        .unwrap_or_default();
    Ok(OfficeResult {
        can_attach: !signed && may(ResultAction::Attach),
        can_sign: !signed && result.is_some() && may(ResultAction::Sign),
        result: result.as_ref().map(view),
        code: row.code,
        status,
        notice,
        error,
        c,
    })
}

#[derive(Deserialize)]
struct OkQuery {
    ok: Option<String>,
}

async fn office_page(
    c: Ctx,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<OkQuery>,
) -> PageResult {
    if c.user.is_none() {
        return Ok(sign_in(&c.path));
    }
    let notice = match q.ok.as_deref() {
        Some("attach") => Some(
            c.tr(
                "Đã đính kèm văn bản kết quả.",
                "The result document is attached.",
            )
            .to_string(),
        ),
        Some("sign") => Some(
            c.tr("Đã ký số văn bản kết quả.", "The result is signed.")
                .to_string(),
        ),
        _ => None,
    };
    render(&office_view(&s, c, &code, notice, None).await?)
}

/// Show the page again with the problem, or the error page when it is not about this form.
async fn again(s: &AppState, c: Ctx, code: &str, p: Problem) -> PageResult {
    if matches!(p.kind, ProblemKind::NotFound | ProblemKind::Forbidden) {
        return Err(PageError::new(c.lang, p.into()));
    }
    let status = crate::error::status_of(p.kind);
    render_status(
        status,
        &office_view(s, c, code, None, Some(p.message)).await?,
    )
}

async fn attach(
    c: Ctx,
    State(s): State<AppState>,
    Path(code): Path<String>,
    req: Request,
) -> PageResult {
    let page = format!("/can-bo/ho-so/{}/ket-qua", url_encode(&code));
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&page));
    };
    let lang = c.lang;
    let posted = super::form::read_form(&s, lang, req).await?;
    let (name, bytes) = posted
        .file("file")
        .map(|(_, name, bytes)| (name.clone(), bytes.clone()))
        .unwrap_or_default();
    match s
        .store
        .signing()
        .attach_result(&code, &bytes, name.as_deref(), &user, s.now())
        .await
    {
        Ok(r) => Ok(Redirect::to(&format!(
            "/can-bo/ho-so/{}/ket-qua?ok=attach",
            url_encode(&r.dossier_code)
        ))
        .into_response()),
        Err(StoreError::Problem(p)) => again(&s, c, &code, p).await,
        Err(e) => Err(PageError::new(lang, e.into())),
    }
}

/// The specialist drafts the result from the dossier instead of uploading a file.
async fn draft(
    c: Ctx,
    State(s): State<AppState>,
    Path(code): Path<String>,
    req: Request,
) -> PageResult {
    let page = format!("/can-bo/ho-so/{}/ket-qua", url_encode(&code));
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&page));
    };
    let lang = c.lang;
    let form = super::form::read_form(&s, lang, req).await?;
    let now = s.now();
    let rec = s
        .store
        .dossier(code.trim())
        .await
        .map_err(page_err(lang))?
        .filter(|r| user.reads_dossiers_of(&r.row.unit_code))
        .ok_or_else(|| not_found(lang))?;
    // Checked before drawing anything; the store checks again when attaching.
    if let Err(p) = check_result_action(
        &user,
        ResultAction::Attach,
        &rec.row.unit_code,
        &rec.row.status,
        rec.row.assignee.as_deref(),
    ) {
        return match p {
            StoreError::Problem(p) => again(&s, c, &code, p).await,
            e => Err(PageError::new(lang, e.into())),
        };
    }
    let text = motcua_domain::text::nfc(form.trimmed("noi_dung"));
    if text.chars().count() > 5000 {
        let p = Problem::invalid("text_too_long", "noi_dung", "Nội dung dài quá 5.000 ký tự");
        return again(&s, c, &code, p).await;
    }
    let filename = format!("ket-qua-{}.pdf", rec.row.code);
    let bytes = match crate::documents::draft_result(&s.store, rec, text, now).await {
        Ok(b) => b,
        Err(StoreError::Problem(p)) => return again(&s, c, &code, p).await,
        Err(e) => return Err(PageError::new(lang, e.into())),
    };
    match s
        .store
        .signing()
        .attach_result(&code, &bytes, Some(&filename), &user, now)
        .await
    {
        Ok(r) => Ok(Redirect::to(&format!(
            "/can-bo/ho-so/{}/ket-qua?ok=attach",
            url_encode(&r.dossier_code)
        ))
        .into_response()),
        Err(StoreError::Problem(p)) => again(&s, c, &code, p).await,
        Err(e) => Err(PageError::new(lang, e.into())),
    }
}

async fn sign(
    c: Ctx,
    State(s): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> PageResult {
    let page = format!("/can-bo/ho-so/{}/ket-qua", url_encode(&code));
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&page));
    };
    let lang = c.lang;
    match motcua_app::signing::sign_result(&s.store, &code, &user, &base_url(&headers), s.now())
        .await
    {
        Ok(r) => Ok(Redirect::to(&format!(
            "/can-bo/ho-so/{}/ket-qua?ok=sign",
            url_encode(&r.dossier_code)
        ))
        .into_response()),
        Err(StoreError::Problem(p)) => again(&s, c, &code, p).await,
        Err(e) => Err(PageError::new(lang, e.into())),
    }
}

#[derive(Deserialize)]
struct FileQuery {
    loai: Option<String>,
}

async fn office_file(
    c: Ctx,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<FileQuery>,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let lang = c.lang;
    let row = s
        .store
        .dossier_row(code.trim())
        .await
        .map_err(page_err(lang))?
        .filter(|r| user.reads_dossiers_of(&r.unit_code))
        .ok_or_else(|| not_found(lang))?;
    let missing = || {
        PageError::new(
            lang,
            Problem::not_found("no_result", "Không có văn bản này").into(),
        )
    };
    let r = s
        .store
        .signing()
        .result(&row.code)
        .await
        .map_err(page_err(lang))?
        .ok_or_else(missing)?;
    let sha = match q.loai.as_deref() {
        Some("da-ky") => r.signed_sha256.clone().ok_or_else(missing)?,
        _ => r.original_sha256.clone(),
    };
    let bytes = s
        .store
        .blobs()
        .get(&sha)
        .await
        .map_err(|e| PageError::new(lang, ApiError::Store(e.into())))?;
    Ok(pdf_response(bytes, &format!("{}.pdf", r.dossier_code)))
}

#[derive(Deserialize)]
struct KeyQuery {
    key: Option<String>,
}

async fn citizen_file(
    c: Ctx,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
    Query(q): Query<KeyQuery>,
) -> PageResult {
    c.citizen_only()?;
    limits
        .lookup
        .check(peer.ip())
        .map_err(|wait| PageError::new(c.lang, crate::auth::rate_limited(wait).into()))?;
    let (r, bytes) = signed_for_citizen(&s, &code, q.key.as_deref())
        .await
        .map_err(|e| PageError::new(c.lang, e))?;
    Ok(pdf_response(bytes, &format!("{}.pdf", r.dossier_code)))
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    c: Ctx,
    id: String,
    unit: String,
    signer: String,
    signed_at: String,
    sha256: String,
    dossier_code: String,
    cert_state: String,
    cert_ok: bool,
    compared: Option<Compared>,
}

struct Compared {
    matches: bool,
    sha256: String,
    verdict: String,
    /// The file is validly signed but is another document: which one
    /// (dossier and signing time; empty when it is not one of this system's).
    other: Option<String>,
}

async fn verify_view(
    s: &AppState,
    c: Ctx,
    id: &str,
    compared: Option<Compared>,
) -> Result<VerifyPage, PageError> {
    let lang = c.lang;
    let missing = || {
        PageError::new(
            lang,
            Problem::not_found(
                "result_not_found",
                "Không tìm thấy văn bản điện tử này; kiểm tra lại mã QR",
            )
            .into(),
        )
    };
    let r = s
        .store
        .signing()
        .result_by_public_id(id)
        .await
        .map_err(page_err(lang))?
        .filter(|r| r.signed_at.is_some())
        .ok_or_else(missing)?;
    let unit = s
        .store
        .unit(&r.unit_code)
        .await
        .map_err(page_err(lang))?
        .map(|u| format!("{} ({})", u.name, u.code))
        .unwrap_or_else(|| r.unit_code.clone());
    let cert = match &r.cert_serial {
        Some(serial) => s
            .store
            .signing()
            .cert(serial)
            .await
            .map_err(page_err(lang))?,
        None => None,
    };
    // The stored file checked as anyone would check it: chain, validity, revocation of
    // the leader's certificate and of the unit authority that issued it.
    let verdict = match &r.signed_sha256 {
        Some(sha) => {
            let bytes = s
                .store
                .blobs()
                .get(sha)
                .await
                .map_err(|e| PageError::new(lang, ApiError::Store(e.into())))?;
            Some(
                motcua_app::signing::verify(&s.store, &bytes, s.now())
                    .await
                    .map_err(page_err(lang))?
                    .verdict,
            )
        }
        None => None,
    };
    let (cert_state, cert_ok) = match (&cert, verdict) {
        (Some(k), _) if k.revoked_at.is_some() => (
            format!(
                "{} {} — {}",
                c.tr("Chứng thư đã bị thu hồi ngày", "Certificate revoked on"),
                k.revoked_at.map(format_vn).unwrap_or_default(),
                k.revoke_reason.clone().unwrap_or_default()
            ),
            false,
        ),
        (Some(k), Some(v)) if v.is_valid() => (
            format!(
                "{} {} ({} {})",
                c.tr("Còn hiệu lực, sê-ri", "Valid, serial"),
                k.serial,
                c.tr("đến", "until"),
                format_vn(k.not_after)
            ),
            true,
        ),
        (_, Some(v)) => {
            let m = v.message();
            let mut chars = m.chars();
            let first = chars.next().map(|f| f.to_uppercase().collect::<String>());
            (
                format!("{}{}", first.unwrap_or_default(), chars.as_str()),
                false,
            )
        }
        (_, None) => (
            c.tr("Không rõ chứng thư", "Unknown certificate")
                .to_string(),
            false,
        ),
    };
    Ok(VerifyPage {
        id: id.to_string(),
        unit,
        signer: r.signer_name.clone().unwrap_or_default(),
        signed_at: r.signed_at.map(format_vn).unwrap_or_default(),
        sha256: r.signed_sha256.clone().unwrap_or_default(),
        dossier_code: r.dossier_code.clone(),
        cert_state,
        cert_ok,
        compared,
        c,
    })
}

async fn verify_page(c: Ctx, State(s): State<AppState>, Path(id): Path<String>) -> PageResult {
    render(&verify_view(&s, c, &id, None).await?)
}

async fn verify_upload(
    c: Ctx,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    req: Request,
) -> PageResult {
    let lang = c.lang;
    limits
        .lookup
        .check(peer.ip())
        .map_err(|wait| PageError::new(lang, crate::auth::rate_limited(wait).into()))?;
    let posted = super::form::read_form(&s, lang, req).await?;
    let bytes = posted
        .file("file")
        .map(|(_, _, bytes)| bytes.clone())
        .unwrap_or_default();
    if bytes.is_empty() {
        return Err(PageError::new(
            lang,
            Problem::invalid("empty_file", "file", "Hãy chọn tệp cần kiểm tra").into(),
        ));
    }
    let report = motcua_app::signing::verify(&s.store, &bytes, s.now())
        .await
        .map_err(page_err(lang))?;
    let expected = s
        .store
        .signing()
        .result_by_public_id(&id)
        .await
        .map_err(page_err(lang))?
        .and_then(|r| r.signed_sha256);
    let matches = expected.as_deref() == Some(report.sha256.as_str());
    // A validly signed file that is not this document: say which one it is.
    let other = if !matches && report.verdict.is_valid() {
        s.store
            .signing()
            .result_by_signed_sha256(&report.sha256)
            .await
            .map_err(page_err(lang))?
            .map(|r| {
                format!(
                    "{} · {}",
                    r.dossier_code,
                    r.signed_at
                        .map(motcua_domain::calendar::format_vn)
                        .unwrap_or_default()
                )
            })
            .or(Some(String::new()))
    } else {
        None
    };
    let compared = Compared {
        matches,
        sha256: report.sha256.clone(),
        verdict: report.verdict.message(),
        other,
    };
    let page = verify_view(&s, c, &id, Some(compared)).await?;
    render_status(StatusCode::OK, &page)
}
