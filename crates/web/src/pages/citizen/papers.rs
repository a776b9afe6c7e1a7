//! The forms an online applicant receives electronically (receipt,
//! supplement request, refusal, apology), downloaded from the lookup page
//! with the dossier's key and signed with the unit's organisation
//! certificate — the electronic counterpart of the seal on a printed form.

use super::*;
use motcua_documents::Form;

pub struct PaperLink {
    pub slug: &'static str,
    pub label: String,
}

/// The forms of an online dossier the applicant can download now.
pub(super) fn papers(c: &Ctx, rec: &DossierRecord) -> Vec<PaperLink> {
    motcua_app::seal::sent_to_applicant(&rec.row.channel, &rec.events)
        .into_iter()
        .map(|f| PaperLink {
            slug: f.slug(),
            label: c.tr(f.title_vi(), f.title_en()).to_string(),
        })
        .collect()
}

#[derive(Deserialize)]
pub(super) struct PaperQuery {
    key: Option<String>,
}

pub(super) async fn paper(
    c: Ctx,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path((code, file)): Path<(String, String)>,
    Query(q): Query<PaperQuery>,
) -> PageResult {
    c.citizen_only()?;
    let lang = c.lang;
    limits
        .lookup
        .check(peer.ip())
        .map_err(|wait| PageError::new(lang, crate::auth::rate_limited(wait).into()))?;
    let not_found = || {
        PageError::new(
            lang,
            Problem::not_found("paper_not_found", "Không có giấy tờ này cho hồ sơ").into(),
        )
    };
    // A wrong key looks exactly like an unknown code.
    let rec = find_by_key(&s, &code, q.key.as_deref().unwrap_or(""))
        .await?
        .ok_or_else(not_found)?;
    let form = file
        .strip_suffix(".pdf")
        .and_then(Form::from_slug)
        .filter(|f| motcua_app::seal::sent_to_applicant(&rec.row.channel, &rec.events).contains(f))
        .ok_or_else(not_found)?;
    let now = s.now();
    let unit = rec.row.unit_code.clone();
    let name = format!("mau-{}-{}.pdf", form.slug(), rec.row.code);
    s.store
        .log_access(
            "citizen",
            &rec.row.code,
            &format!("page:paper:{}", form.slug()),
            now,
        )
        .await?;
    let base = crate::documents::public_base(&s, &headers);
    let pdf = crate::documents::render_form(&s, rec, form, base, "citizen")
        .await
        .map_err(|e| PageError::new(lang, e))?;
    let bytes = match motcua_app::seal::seal_form(&s.store, &unit, form, pdf.clone(), now).await? {
        Some(signed) => signed,
        // No organisation certificate yet: the paper goes as it is, and the
        // lookup page says it is not signed.
        None => pdf,
    };
    Ok(crate::documents::file_response(
        bytes,
        "application/pdf",
        &name,
    ))
}

/// The citizen's copy of a fee receipt, with the dossier's lookup code.
pub(super) async fn fee_receipt(
    c: Ctx,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((code, receipt)): Path<(String, String)>,
    Query(q): Query<PaperQuery>,
) -> PageResult {
    c.citizen_only()?;
    let lang = c.lang;
    limits
        .lookup
        .check(peer.ip())
        .map_err(|wait| PageError::new(lang, crate::auth::rate_limited(wait).into()))?;
    // A wrong key looks exactly like an unknown code.
    let rec = find_by_key(&s, &code, q.key.as_deref().unwrap_or(""))
        .await?
        .ok_or_else(|| {
            PageError::new(
                lang,
                Problem::not_found("no_receipt", "Không có biên lai này").into(),
            )
        })?;
    s.store
        .log_access("citizen", &rec.row.code, "page:receipt", s.now())
        .await?;
    crate::pages::office::payments::receipt_pdf(&s, lang, &rec, &receipt).await
}
