//! The kiosk's dossier lookup (`/kiosk/{unit}/tra-cuu`): code and key typed,
//! or the receipt's QR scanned into the code box, answered on the kiosk
//! screen with the public lookup's own search and wording.

use super::*;
use crate::pages::citizen::{LookupView, find_by_key, lookup_view, split_scanned};

/// Seconds before the screen goes back to the kiosk's home by itself, so
/// the next person does not find someone else's dossier on it.
pub(super) const LOOKUP_IDLE_SECONDS: u32 = 60;

#[derive(Template)]
#[template(path = "kiosk_lookup.html")]
pub(super) struct KioskLookup {
    pub(super) c: Ctx,
    pub(super) unit: String,
    pub(super) unit_name: String,
    pub(super) print: bool,
    pub(super) idle: u32,
    pub(super) d: Option<LookupView>,
    /// The code as typed (a key is never shown again on a shared screen).
    pub(super) code: String,
    pub(super) not_found: bool,
    pub(super) errors: Vec<ErrorLine>,
    pub(super) code_error: Option<String>,
    pub(super) key_error: Option<String>,
}

impl KioskLookup {
    fn new(c: Ctx, unit: String, unit_name: String, print: bool) -> Self {
        KioskLookup {
            c,
            unit,
            unit_name,
            print,
            idle: LOOKUP_IDLE_SECONDS,
            d: None,
            code: String::new(),
            not_found: false,
            errors: Vec::new(),
            code_error: None,
            key_error: None,
        }
    }
}

/// The form alone, as opened from the kiosk's home.
pub(super) async fn kiosk_lookup_page(
    c: Ctx,
    State(s): State<AppState>,
    Path(unit): Path<String>,
    Query(q): Query<KioskQuery>,
) -> PageResult {
    c.citizen_only()?;
    let unit_name = unit_name(&s, c.lang, &unit).await?;
    let print = q.print.as_deref() == Some("1");
    private(render(&KioskLookup::new(c, unit, unit_name, print)))
}

pub(super) async fn kiosk_lookup(
    c: Ctx,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(unit): Path<String>,
    req: Request,
) -> PageResult {
    // Staff read dossiers in the back office, where reading is recorded.
    c.citizen_only()?;
    let lang = c.lang;
    let form = form_fields(&s, lang, req).await?;
    let unit_name = unit_name(&s, lang, &unit).await?;
    let print = form.trimmed("in") == "1";
    let (code, key) = split_scanned(form.trimmed("code"), form.trimmed("key"));
    let key = key.trim().to_string();
    let mut page = KioskLookup::new(c, unit, unit_name, print);
    page.code = code.clone();
    if code.is_empty() {
        let m = page.c.tr(
            "Hãy nhập mã hồ sơ, hoặc quét mã QR trên giấy tiếp nhận",
            "Enter the dossier code, or scan the receipt's QR code",
        );
        page.code_error = Some(m.to_string());
        page.errors.push(ErrorLine {
            href: "#lookup-code".into(),
            message: m.to_string(),
        });
    }
    if key.is_empty() {
        let m = page.c.tr(
            "Hãy nhập mã tra cứu in trên giấy tiếp nhận",
            "Enter the lookup key printed on the receipt",
        );
        page.key_error = Some(m.to_string());
        page.errors.push(ErrorLine {
            href: "#lookup-key".into(),
            message: m.to_string(),
        });
    }
    if !page.errors.is_empty() {
        return private(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    limit(&limits, peer, lang)?;
    // A wrong code and a wrong key are the same "not found", as on the public page.
    let Some(rec) = find_by_key(&s, &code, &key).await? else {
        page.not_found = true;
        return private(render_status(StatusCode::NOT_FOUND, &page));
    };
    page.d = Some(lookup_view(&s, &page.c, &rec).await?);
    private(render(&page))
}

/// A dossier's state is personal: no cache keeps it (the kiosk's paths are
/// not among the public lookup's, which the server marks itself).
fn private(r: PageResult) -> PageResult {
    r.map(|mut resp| {
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        resp
    })
}
