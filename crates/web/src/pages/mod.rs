//! Server-rendered pages: the citizen portal (no login) and the officers'
//! back office. Every page works without JavaScript; `static/app.js` only
//! adds upload progress and double-submit protection. Text is Vietnamese
//! first, English when the visitor switches.

pub mod admin;
pub mod citizen;
pub mod form;
pub mod forms;
pub mod index;
pub mod office;
pub mod queue;
pub mod results;
pub mod widget;

use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use motcua_domain::calendar::{OffsetDateTime, format_vn};
use motcua_domain::{Problem, ProblemKind};
use motcua_store::{StoreError, User};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/static/app.css",
            get(|| {
                asset(
                    "text/css; charset=utf-8",
                    include_str!("../../static/app.css"),
                )
            }),
        )
        .route(
            "/static/app.js",
            get(|| {
                asset(
                    "text/javascript; charset=utf-8",
                    include_str!("../../static/app.js"),
                )
            }),
        )
        .route("/cai-dat", get(settings))
        .route("/healthz", get(healthz))
        .merge(admin::routes())
        .merge(citizen::routes())
        .merge(index::routes())
        .merge(office::routes())
        .merge(forms::routes())
        .merge(queue::routes())
        .merge(results::routes())
}

async fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// Policy for pages: only our own scripts, styles, images and frames.
pub const PAGE_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
    frame-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

/// What every page needs: language, text size, who is signed in, where we are.
#[derive(Clone)]
pub struct Ctx {
    pub lang: Lang,
    pub large: bool,
    pub user: Option<User>,
    pub path: String,
    /// This browser's secret for its online drafts (the `nop` cookie): a
    /// draft opens only in the browser that started it.
    pub draft_pass: Option<String>,
}

impl Ctx {
    /// The citizen's side (lookup, supplement, rating, submission, result)
    /// refuses a signed-in officer: nobody acts or rates in a citizen's name.
    pub fn citizen_only(&self) -> Result<(), PageError> {
        match self.user {
            Some(_) => Err(PageError::new(
                self.lang,
                crate::auth::staff_session_refused().into(),
            )),
            None => Ok(()),
        }
    }

    /// Vietnamese, or English when chosen.
    pub fn tr<'a>(&self, vi: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }
    pub fn lang_code(&self) -> &'static str {
        match self.lang {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }
    pub fn other_lang(&self) -> &'static str {
        match self.lang {
            Lang::Vi => "en",
            Lang::En => "vi",
        }
    }
    pub fn is_staff(&self) -> bool {
        self.user.is_some()
    }
    /// Whether the signed-in user manages the connected systems of one of
    /// their units (the navigation link).
    pub fn manages_integrations(&self) -> bool {
        self.user.as_ref().is_some_and(|u| {
            let staff = u.staff();
            u.units
                .iter()
                .any(|unit| staff.may_manage_integrations(unit))
        })
    }
    pub fn username(&self) -> &str {
        self.user.as_ref().map_or("", |u| u.username.as_str())
    }
    /// Whether the signed-in officer takes or accounts for fees (the day's takings link).
    pub fn takes_fees(&self) -> bool {
        self.user.as_ref().is_some_and(takes_fees)
    }
    /// A catalog field's name in the page's language (as written when it
    /// has no English name).
    pub fn field<'a>(&self, vi: &'a str) -> &'a str {
        match self.lang {
            Lang::En => motcua_domain::catalog::field_en(vi).unwrap_or(vi),
            Lang::Vi => vi,
        }
    }
    /// The current path, for the settings links to come back to.
    pub fn back(&self) -> String {
        url_encode(&self.path)
    }
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let lang = if cookie(&parts.headers, "lang") == Some("en") {
            Lang::En
        } else {
            Lang::Vi
        };
        let large = cookie(&parts.headers, "size") == Some("large");
        let user = match cookie(&parts.headers, crate::auth::SESSION_COOKIE) {
            Some(token) => state
                .store
                .session_user(&crate::auth::token_hash(token), state.now())
                .await
                .map_err(|e| PageError::new(lang, e.into()))?,
            None => None,
        };
        let path = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        let draft_pass = cookie(&parts.headers, DRAFT_COOKIE)
            .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(str::to_string);
        let c = Ctx {
            lang,
            large,
            user,
            path,
            draft_pass,
        };
        // An error page drawn later for this request keeps the header, the
        // session and the text size.
        let _ = SEEN.try_with(|seen| *seen.borrow_mut() = Some(c.clone()));
        Ok(c)
    }
}

/// Whether an officer takes cash or accounts for it: the day's takings are theirs.
pub fn takes_fees(u: &User) -> bool {
    u.has_role(motcua_domain::lifecycle::Role::Receptionist)
        || u.has_role(motcua_domain::lifecycle::Role::Accountant)
}

/// The cookie that binds online drafts to the browser that started them.
pub const DRAFT_COOKIE: &str = "nop";

tokio::task_local! {
    /// The page context of the request being answered, once read.
    static SEEN: std::cell::RefCell<Option<Ctx>>;
}

/// Middleware: a place for the request's page context, for error pages.
pub async fn remember_ctx(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    SEEN.scope(std::cell::RefCell::new(None), next.run(req))
        .await
}

/// Any address nothing answers: an HTML page with a way back, in the
/// visitor's language; under `/api/` the API's JSON 404.
pub async fn fallback(c: Ctx, uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return crate::api::not_found(&uri).into_response();
    }
    let message = c.tr(
        "Địa chỉ này không có trên hệ thống. Có thể đường dẫn bị gõ sai hoặc trang đã được chuyển.",
        "There is no page at this address. The link may be mistyped, or the page has moved.",
    );
    PageError::new(c.lang, Problem::not_found("page_not_found", message).into()).into_response()
}

/// Percent-encode for a query value.
pub use motcua_app::forms::url_encode;

/// Liveness, on the public listener and the metrics listener alike.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Send a visitor who is not signed in to the sign-in page, coming back to `next`.
pub(crate) fn sign_in(next: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    axum::response::Redirect::to(&format!("/dang-nhap?next={}", url_encode(local_path(next))))
        .into_response()
}

/// A dossier that does not exist, or that this officer may not see: the same answer.
pub(crate) fn dossier_not_found(lang: Lang) -> PageError {
    PageError::new(
        lang,
        Problem::not_found("dossier_not_found", "Không tìm thấy hồ sơ").into(),
    )
}

/// Only local paths: never redirect off-site from a query parameter.
/// A path on this site to go back to, or "/". Browsers drop tabs and line
/// breaks from addresses ("/\t/evil" becomes "//evil", another site), and a
/// line break cannot go in a header: any control or space character, a
/// backslash or a second leading slash sends home instead.
pub fn local_path(p: &str) -> &str {
    let safe = p.starts_with('/')
        && !p.starts_with("//")
        && !p
            .chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace());
    if safe { p } else { "/" }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_local_paths_are_followed() {
        for bad in [
            "//evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\nSet-Cookie: x=1",
            "/\\evil.example",
            "https://evil.example",
            "/ /evil",
            "evil",
        ] {
            assert_eq!(super::local_path(bad), "/", "{bad:?}");
        }
        assert_eq!(
            super::local_path("/tra-cuu?code=1&key=2"),
            "/tra-cuu?code=1&key=2"
        );
    }
}

#[derive(Deserialize)]
struct SettingsQuery {
    lang: Option<String>,
    size: Option<String>,
    back: Option<String>,
}

/// Language and text size are cookies set by plain links, so they work without JS.
async fn settings(crate::extract::Query(q): crate::extract::Query<SettingsQuery>) -> Response {
    let mut headers = HeaderMap::new();
    let year = 365 * 24 * 3600;
    if let Some(lang) = q.lang.as_deref().filter(|l| *l == "vi" || *l == "en")
        && let Ok(v) = HeaderValue::from_str(&format!(
            "lang={lang}; Path=/; Max-Age={year}; SameSite=Lax"
        ))
    {
        headers.append(header::SET_COOKIE, v);
    }
    if let Some(size) = q
        .size
        .as_deref()
        .filter(|s| *s == "large" || *s == "normal")
        && let Ok(v) = HeaderValue::from_str(&format!(
            "size={size}; Path=/; Max-Age={year}; SameSite=Lax"
        ))
    {
        headers.append(header::SET_COOKIE, v);
    }
    (
        headers,
        Redirect::to(local_path(q.back.as_deref().unwrap_or("/"))),
    )
        .into_response()
}

/// Render a template as a page with the page security policy.
pub fn render<T: Template>(t: &T) -> Result<Response, PageError> {
    let html = t.render().map_err(|e| PageError {
        lang: Lang::Vi,
        err: ApiError::Store(StoreError::Config(e.to_string())),
    })?;
    let mut resp = Html(html).into_response();
    resp.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_CSP),
    );
    Ok(resp)
}

pub fn render_status<T: Template>(status: StatusCode, t: &T) -> Result<Response, PageError> {
    let mut resp = render(t)?;
    *resp.status_mut() = status;
    Ok(resp)
}

/// An error shown as a page (not JSON), with the right status.
#[derive(Debug)]
pub struct PageError {
    pub lang: Lang,
    pub err: ApiError,
}

impl PageError {
    pub fn new(lang: Lang, err: ApiError) -> Self {
        PageError { lang, err }
    }

    /// What was sent was larger than the form takes (a file too large).
    pub fn is_too_large(&self) -> bool {
        matches!(&self.err, ApiError::Problem(p) if p.kind == ProblemKind::TooLarge)
    }
}

impl From<ApiError> for PageError {
    fn from(err: ApiError) -> Self {
        PageError {
            lang: Lang::Vi,
            err,
        }
    }
}
impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        PageError {
            lang: Lang::Vi,
            err: e.into(),
        }
    }
}
impl From<Problem> for PageError {
    fn from(p: Problem) -> Self {
        PageError {
            lang: Lang::Vi,
            err: p.into(),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Ctx,
    title: String,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        // The request's own context when it was read (header, session, size).
        let mut c = SEEN
            .try_with(|seen| seen.borrow().clone())
            .ok()
            .flatten()
            .unwrap_or(Ctx {
                lang: self.lang,
                large: false,
                user: None,
                path: "/".into(),
                draft_pass: None,
            });
        c.lang = self.lang;
        let (status, title, message) = match &self.err {
            ApiError::Problem(p) => {
                let title = match p.kind {
                    ProblemKind::NotFound => c.tr("Không tìm thấy trang", "Not found"),
                    ProblemKind::Forbidden => c.tr("Không có quyền truy cập", "Forbidden"),
                    ProblemKind::Unauthorized => c.tr("Cần đăng nhập", "Please sign in"),
                    ProblemKind::Conflict => c.tr("Không thực hiện được", "Could not be done"),
                    ProblemKind::RateLimited => c.tr("Vui lòng thử lại sau", "Try again later"),
                    _ => c.tr("Yêu cầu không hợp lệ", "Invalid request"),
                };
                (crate::error::status_of(p.kind), title, p.message.clone())
            }
            ApiError::Store(e) => {
                tracing::error!(error = %e, "page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    c.tr("Hệ thống đang gặp sự cố", "System error"),
                    c.tr(
                        "Vui lòng thử lại sau ít phút.",
                        "Please try again in a few minutes.",
                    )
                    .to_string(),
                )
            }
        };
        let page = ErrorPage {
            c,
            title: title.to_string(),
            message,
        };
        match render_status(status, &page) {
            Ok(mut r) => {
                if status == StatusCode::TOO_MANY_REQUESTS {
                    r.headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
                }
                r
            }
            Err(_) => (status, message_fallback()).into_response(),
        }
    }
}

fn message_fallback() -> &'static str {
    "Lỗi hệ thống / System error"
}

pub type PageResult = Result<Response, PageError>;

/// Instants as people read them: dd/mm/yyyy HH:MM, Vietnam time.
pub fn when(ms: Option<i64>) -> String {
    ms.and_then(|ms| OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok())
        .map(format_vn)
        .unwrap_or_default()
}

/// A plain-words processing time.
pub fn processing_words(c: &Ctx, p: motcua_domain::calendar::ProcessingTime) -> String {
    use motcua_domain::calendar::ProcessingTime as P;
    match p {
        P::WorkingDays { amount } => format!("{amount} {}", c.tr("ngày làm việc", "working days")),
        P::WorkingHours { amount } => format!("{amount} {}", c.tr("giờ làm việc", "working hours")),
        P::Days { amount } => format!("{amount} {}", c.tr("ngày", "days")),
        P::SameDay {
            cutoff: Some(cutoff),
        } => match c.lang {
            Lang::Vi => format!(
                "Trong ngày (nộp trước {:02}:{:02}; sau giờ đó trả vào ngày làm việc tiếp theo)",
                cutoff.hour(),
                cutoff.minute()
            ),
            Lang::En => format!(
                "Same day (if received before {:02}:{:02}; otherwise the next working day)",
                cutoff.hour(),
                cutoff.minute()
            ),
        },
        P::SameDay { cutoff: None } => c
            .tr(
                "Trong ngày (nộp ngoài giờ làm việc trả vào ngày làm việc tiếp theo)",
                "Same day (if received outside working hours, the next working day)",
            )
            .to_string(),
    }
}

/// The fee in words.
/// What a dossier with these answers costs, in words: the phí and lệ phí
/// lines and their total, the province's rate, or the exemption claimed.
pub fn quote_words(
    p: &motcua_domain::catalog::Procedure,
    answers: &motcua_domain::declaration::Answers,
    online: bool,
) -> String {
    use motcua_domain::text::format_vnd;
    let q = motcua_domain::fees::quote(p, answers, online);
    if let Some(note) = &q.set_by_province {
        return format!("Theo mức của tỉnh ({note}); cán bộ báo khi tiếp nhận");
    }
    if let Some(e) = &q.exemption {
        return format!("Miễn ({}; xuất trình: {})", e.who, e.proof);
    }
    if q.lines.is_empty() {
        return "Không thu phí, lệ phí".into();
    }
    let lines: Vec<String> = q
        .lines
        .iter()
        .map(|l| format!("{} {}: {}", l.charge.label_vi(), l.label, format_vnd(l.vnd)))
        .collect();
    format!(
        "{} — tổng {}{}",
        lines.join("; "),
        format_vnd(q.total_vnd),
        if online {
            " (giá nộp trực tuyến)"
        } else {
            ""
        }
    )
}

pub fn fee_words(c: &Ctx, fee: &motcua_domain::catalog::Fee) -> String {
    use motcua_domain::catalog::Fee;
    use motcua_domain::text::format_vnd;
    match fee {
        Fee::Free { .. } => c.tr("Miễn phí", "Free").to_string(),
        Fee::Flat {
            vnd,
            online_vnd: Some(o),
            ..
        } => {
            format!(
                "{} ({} {})",
                format_vnd(*vnd),
                c.tr("nộp trực tuyến:", "online:"),
                format_vnd(*o)
            )
        }
        Fee::Flat { vnd, .. } => format_vnd(*vnd),
        Fee::PerPage {
            first_pages,
            first_vnd_per_page,
            then_vnd_per_page,
            max_vnd_per_copy,
            ..
        } => match c.lang {
            Lang::Vi => format!(
                "{} mỗi trang cho {first_pages} trang đầu, {} mỗi trang tiếp theo, tối đa {} một bản",
                format_vnd(*first_vnd_per_page),
                format_vnd(*then_vnd_per_page),
                format_vnd(*max_vnd_per_copy)
            ),
            Lang::En => format!(
                "{} a page for the first {first_pages} pages, {} a page after, at most {} a copy",
                format_vnd(*first_vnd_per_page),
                format_vnd(*then_vnd_per_page),
                format_vnd(*max_vnd_per_copy)
            ),
        },
        Fee::SetByProvince { note } => note.clone().unwrap_or_else(|| {
            c.tr("Theo mức thu của tỉnh", "Set by the province")
                .to_string()
        }),
    }
}

/// A QR code as inline SVG (no external service).
pub fn qr_svg(text: &str) -> String {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(180, 180)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}

/// The absolute base URL of this server, as the visitor reached it.
pub fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1:8080");
    format!("http://{host}")
}
