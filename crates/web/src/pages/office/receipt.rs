//! The printable receipt and appointment (`/can-bo/ho-so/{code}/bien-nhan`).

use super::*;

#[derive(Template)]
#[template(path = "office_receipt.html")]
pub(super) struct ReceiptPage {
    pub(super) c: Ctx,
    pub(super) code: String,
    pub(super) key: Option<String>,
    pub(super) unit: String,
    pub(super) province: String,
    pub(super) place_date: String,
    pub(super) applicant: String,
    pub(super) applicant_id: String,
    pub(super) applicant_phone: String,
    pub(super) applicant_address: String,
    pub(super) procedure: String,
    pub(super) processing: String,
    pub(super) documents: Vec<(String, String)>,
    pub(super) received: String,
    pub(super) due: String,
    pub(super) officer: String,
    pub(super) qr: String,
    pub(super) lookup_url: String,
    pub(super) received_yet: bool,
}

pub(super) async fn receipt(
    c: Ctx,
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let lang = c.lang;
    let rec = visible_dossier(&s, lang, &user, &code).await?;
    let r = &rec.row;
    let procedure = s.store.procedure_of(r).await.map_err(store_err(lang))?;
    let unit = s.store.unit(&r.unit_code).await.map_err(store_err(lang))?;
    let province = match &unit {
        Some(u) => s
            .store
            .provinces()
            .await
            .map_err(store_err(lang))?
            .into_iter()
            .find(|p| p.code == u.province_code)
            .map(|p| p.name)
            .unwrap_or_default(),
        None => String::new(),
    };
    let unit_name = unit.map_or_else(|| r.unit_code.clone(), |u| u.name);
    let reception = rec
        .events
        .iter()
        .find(|e| matches!(e.action, Action::Receive | Action::CreateAtCounter));
    let officer = match reception {
        Some(e) => match s
            .store
            .user_by_username(&e.actor)
            .await
            .map_err(store_err(lang))?
        {
            Some(u) => u.full_name,
            None => e.actor.clone(),
        },
        None => String::new(),
    };
    let day = reception.map_or_else(
        || s.now().to_offset(VN_OFFSET).date(),
        |e| e.at.to_offset(VN_OFFSET).date(),
    );
    let place = unit_name
        .split_once(' ')
        .map_or(unit_name.as_str(), |(_, rest)| rest)
        .to_string();
    let place_date = match lang {
        Lang::Vi => format!(
            "{place}, ngày {:02} tháng {:02} năm {}",
            day.day(),
            u8::from(day.month()),
            day.year()
        ),
        Lang::En => format!("{place}, {}", date_vn(day)),
    };
    let documents = rec
        .documents
        .iter()
        .map(|d| {
            let name = d
                .code
                .as_deref()
                .and_then(|code| procedure.documents.iter().find(|x| x.code == code))
                .map_or_else(|| d.code.clone().unwrap_or_default(), |x| x.name.clone());
            let how = if d.paper {
                c.tr("Bản giấy đã kiểm tra", "Paper copy checked")
            } else {
                c.tr("Bản điện tử", "Electronic copy")
            };
            (name, how.to_string())
        })
        .collect();
    // The key only if this officer issued it in the last half hour (intake
    // or "Cấp lại mã tra cứu"); a reprint carries the code alone.
    let key = s
        .store
        .issued_key(r, &user.username, s.now())
        .map_err(store_err(lang))?;
    let lookup_url = crate::documents::lookup_url(&base_url(&headers), &r.code, key.as_deref());
    let due = if r.pause_remaining.is_some() {
        c.tr("Tạm dừng chờ bổ sung", "Paused while awaiting a supplement")
            .to_string()
    } else {
        when(r.due_at)
    };
    render(&ReceiptPage {
        code: r.code.clone(),
        key,
        unit: unit_name,
        province,
        place_date,
        applicant: r.applicant_name.clone(),
        applicant_id: r.applicant_id_number.clone(),
        applicant_phone: r.applicant_phone.clone(),
        applicant_address: r.applicant_address.clone(),
        procedure: procedure.name.clone(),
        processing: processing_words(&c, procedure.processing),
        documents,
        received: when(r.received_at),
        due,
        officer,
        qr: strip_xml_declaration(qr_svg(&lookup_url)),
        lookup_url,
        received_yet: r.received_at.is_some(),
        c,
    })
}

/// Inline SVG needs no XML declaration inside HTML.
pub(super) fn strip_xml_declaration(svg: String) -> String {
    match svg.find("<svg") {
        Some(i) => svg[i..].to_string(),
        None => svg,
    }
}
