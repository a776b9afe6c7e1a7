//! Fees on the dossier page: what is owed (the domain's fee lines), the
//! cash payment card, the receipts with their PDF, and voiding one. The
//! citizen downloads their receipt from the lookup page.

use super::*;
use axum::response::Response;
use motcua_store::DossierRow;

/// A receipt as the dossier page lists it.
pub(super) struct ReceiptView {
    pub(super) receipt: String,
    pub(super) total: String,
    pub(super) paid: String,
    /// "Đã hủy …: lý do", once voided.
    pub(super) voided: Option<String>,
    pub(super) href: String,
}

/// What the dossier owes and has paid, for the page.
#[derive(Default)]
pub(super) struct FeesView {
    /// (phí or lệ phí, what, amount).
    pub(super) lines: Vec<(String, String, String)>,
    pub(super) total: String,
    /// The province sets the amount: the officer enters it with its basis.
    pub(super) set_by_province: Option<String>,
    pub(super) receipts: Vec<ReceiptView>,
    /// Receipts still in force, for the void form.
    pub(super) in_force: Vec<String>,
}

pub(super) async fn fees_view(
    s: &AppState,
    c: &Ctx,
    r: &DossierRow,
    procedure: &Procedure,
) -> Result<FeesView, PageError> {
    let quote = motcua_domain::fees::quote(procedure, &r.answers(), r.channel == "online");
    let payments = s.store.payments(&r.code).await.map_err(store_err(c.lang))?;
    let vnd = motcua_domain::text::format_vnd;
    Ok(FeesView {
        lines: quote
            .lines
            .iter()
            .map(|l| (l.charge.label_vi().to_string(), l.label.clone(), vnd(l.vnd)))
            .collect(),
        total: vnd(quote.total_vnd),
        set_by_province: quote.set_by_province.clone(),
        in_force: payments
            .iter()
            .filter(|p| p.in_force())
            .map(|p| p.receipt.clone())
            .collect(),
        receipts: payments
            .iter()
            .map(|p| ReceiptView {
                receipt: p.receipt.clone(),
                total: vnd(p.total_vnd),
                paid: format!("{} · {}", format_vn(p.paid_at), p.paid_by),
                voided: closed(c, p),
                href: format!(
                    "/can-bo/ho-so/{}/bien-lai/{}.pdf",
                    url_encode(&r.code),
                    url_encode(&p.receipt)
                ),
            })
            .collect(),
    })
}

/// Why a receipt no longer stands: voided or refunded, when, and the reason.
fn closed(c: &Ctx, p: &motcua_store::payments::Payment) -> Option<String> {
    let (word, at, why) = match (p.voided_at, p.refunded_at) {
        (Some(at), _) => (c.tr("Đã hủy", "Voided"), at, &p.void_reason),
        (None, Some(at)) => (c.tr("Đã hoàn trả", "Refunded"), at, &p.refund_reason),
        (None, None) => return None,
    };
    Some(format!(
        "{word} {}: {}",
        format_vn(at),
        why.clone().unwrap_or_default()
    ))
}

/// A payment's receipt as PDF for `rec`.
pub(crate) async fn receipt_pdf(
    s: &AppState,
    lang: Lang,
    rec: &DossierRecord,
    receipt: &str,
) -> Result<Response, PageError> {
    let r = &rec.row;
    let missing = || {
        PageError::new(
            lang,
            Problem::not_found("no_receipt", "Không có biên lai này").into(),
        )
    };
    let payments = s.store.payments(&r.code).await.map_err(store_err(lang))?;
    let p = payments
        .iter()
        .find(|p| p.receipt == receipt.trim_end_matches(".pdf"))
        .ok_or_else(missing)?;
    let procedure = s.store.procedure_of(r).await.map_err(store_err(lang))?;
    // The unit that issued the receipt (a dossier may have been routed since).
    let unit = unit_name(s, &p.unit_code).await.map_err(store_err(lang))?;
    let collector = s
        .store
        .user_by_username(&p.paid_by)
        .await
        .map_err(store_err(lang))?
        .map_or_else(|| p.paid_by.clone(), |u| u.full_name);
    let info = motcua_documents::receipt::ReceiptInfo {
        unit_name: &unit,
        receipt: &p.receipt,
        template_symbol: p.template_symbol.as_deref(),
        series: p.series.as_deref(),
        dossier_code: &r.code,
        procedure: &procedure.name,
        payer: &p.payer_name,
        payer_address: &p.payer_address,
        lines: &p.lines,
        total_vnd: p.total_vnd,
        method: &p.method,
        paid_at: p.paid_at,
        collected_by: &collector,
        voided: p.voided_at.map(|at| {
            format!(
                "{}: {}",
                format_vn(at),
                p.void_reason.clone().unwrap_or_default()
            )
        }),
        refunded: p.refunded_at.map(|at| {
            format!(
                "{}: {}",
                format_vn(at),
                p.refund_reason.clone().unwrap_or_default()
            )
        }),
    };
    let bytes = motcua_documents::receipt::render_receipt(&info).map_err(|e| {
        PageError::new(
            lang,
            Problem::invalid("bad_receipt", "receipt", e.to_string()).into(),
        )
    })?;
    Ok(crate::documents::file_response(
        bytes,
        "application/pdf",
        &format!("bien-lai-{}.pdf", p.receipt),
    ))
}

/// The officer's copy of a receipt.
pub(super) async fn office_receipt(
    c: Ctx,
    State(s): State<AppState>,
    Path((code, receipt)): Path<(String, String)>,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let rec = visible_dossier(&s, c.lang, &user, &code).await?;
    s.store
        .log_access(&user.username, &rec.row.code, "receipt", s.now())
        .await
        .map_err(store_err(c.lang))?;
    receipt_pdf(&s, c.lang, &rec, &receipt).await
}

/// The amount an officer typed ("150.000", "150000 đ", "150.000,00"), in
/// whole đồng: dots group thousands, a comma starts the (dropped) decimals.
pub(super) fn typed_vnd(typed: &str) -> Option<u64> {
    let whole = typed.split(',').next().unwrap_or("");
    let digits: String = whole.chars().filter(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn amounts_read_as_people_write_them() {
        assert_eq!(super::typed_vnd("150.000"), Some(150_000));
        assert_eq!(super::typed_vnd("150.000,00"), Some(150_000));
        assert_eq!(super::typed_vnd("15000 đ"), Some(15_000));
        assert_eq!(super::typed_vnd(""), None);
    }
}
