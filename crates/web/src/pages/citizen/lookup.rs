//! The public lookup of a dossier by its code and key (typed or scanned),
//! its progress, and the citizen's supplement and withdrawal.

use super::*;

// ---- public lookup -------------------------------------------------------------

pub struct SupplementView {
    pub note: String,
    pub documents: Vec<(String, String)>,
    /// Answers of the declaration to correct: (key, question, answer on file, hint).
    pub questions: Vec<(String, String, String, String)>,
}

pub struct LookupView {
    pub code: String,
    pub procedure: String,
    pub unit: String,
    pub applicant: String,
    pub status_label: String,
    pub late: bool,
    pub paused: bool,
    pub submitted: String,
    pub due: String,
    pub finished: String,
    /// How the result is delivered, once returned (no postal address: the
    /// page is public to whoever holds the key).
    pub delivery: String,
    pub version: i64,
    /// The result was returned: the citizen may rate the service (once).
    pub can_rate: bool,
    pub supplement: Option<SupplementView>,
    /// Waiting for payment before processing: what to pay and until when.
    pub owing: Option<OwingView>,
    pub history: Vec<(String, String)>,
    /// A signed electronic result the citizen can download (returned dossiers).
    pub has_result: bool,
    /// The forms sent to an online applicant, to download.
    pub papers: Vec<PaperLink>,
    /// The fee receipts in force: (number, the end of its address after the code).
    pub receipts: Vec<String>,
    /// Whether those forms carry the unit's organisation signature.
    pub papers_signed: bool,
}

/// A dossier waiting for its fee before it is processed.
pub struct OwingView {
    /// (kind, what, amount) per fee line.
    pub lines: Vec<(String, String, String)>,
    pub total: String,
    /// The province sets the amount: the counter tells it.
    pub set_by_province: Option<String>,
    /// When an unpaid dossier stops.
    pub until: String,
    pub days: u32,
    /// The clock starts at the payment (else it resumes, paused since reception).
    pub starts: bool,
    /// Processing waits for the payment (awaiting_payment).
    pub before: bool,
    /// Online channels the unit offers: (channel, label).
    pub channels: Vec<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "lookup.html")]
struct Lookup {
    c: Ctx,
    d: Option<LookupView>,
    code: String,
    key: String,
    searched: bool,
    message: Option<String>,
    /// A form sent with a box left empty: (field id, message).
    missing: Vec<(&'static str, String)>,
    code_err: Option<String>,
    key_err: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct LookupQuery {
    code: Option<String>,
    key: Option<String>,
    ok: Option<String>,
}

/// A receipt's QR holds the whole lookup URL; a kiosk scanner types it into
/// the code box. Take code and key out of it.
pub(crate) fn split_scanned(code: &str, key: &str) -> (String, String) {
    if let Some(q) = code.split_once('?').map(|(_, q)| q) {
        let mut c = String::new();
        let mut k = key.to_string();
        for pair in q.split('&') {
            match pair.split_once('=') {
                Some(("code", v)) => c = v.to_string(),
                Some(("key", v)) if k.is_empty() => k = v.to_string(),
                _ => {}
            }
        }
        return (c, k);
    }
    (code.trim().to_string(), key.to_string())
}

pub(crate) async fn find_by_key(
    s: &AppState,
    code: &str,
    key: &str,
) -> Result<Option<DossierRecord>, PageError> {
    Ok(s.store.dossier_by_key(code, &normalize_key(key)).await?)
}

pub(crate) async fn lookup_view(
    s: &AppState,
    c: &Ctx,
    rec: &DossierRecord,
) -> Result<LookupView, PageError> {
    let now = s.now();
    let r = &rec.row;
    let proj = r.projection()?;
    let procedure = s.store.procedure_of(r).await?;
    let unit = s
        .store
        .unit(&r.unit_code)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    let supplement = if proj.status == Status::AwaitingSupplement {
        rec.events
            .iter()
            .rev()
            .find(|e| e.action == Action::RequestSupplement)
            .map(|e| {
                let missing: Vec<String> = e.payload.missing.clone().unwrap_or_default();
                let docs: Vec<(String, String)> = procedure
                    .documents
                    .iter()
                    .filter(|d| missing.is_empty() || missing.contains(&d.code))
                    .map(|d| (d.code.clone(), d.name.clone()))
                    .collect();
                let answers = r.answers();
                let questions = procedure
                    .declaration
                    .iter()
                    .flat_map(|decl| {
                        missing
                            .iter()
                            .filter_map(|m| m.strip_prefix("fields."))
                            .filter_map(|k| decl.field(k))
                            .map(|f| {
                                let v = answers.get(&f.key).map(String::as_str).unwrap_or("");
                                // A date as people write it; other answers as stored.
                                let (value, hint) = match f.kind {
                                    motcua_domain::declaration::Kind::Date { .. } => (
                                        motcua_domain::declaration::shown(f, v),
                                        "Ngày/tháng/năm, ví dụ 17/05/1990".to_string(),
                                    ),
                                    _ => (v.to_string(), f.hint.clone().unwrap_or_default()),
                                };
                                (f.key.clone(), f.label.clone(), value, hint)
                            })
                            .collect::<Vec<_>>()
                    })
                    .collect();
                SupplementView {
                    note: e.note.clone().unwrap_or_default(),
                    documents: docs,
                    questions,
                }
            })
    } else {
        None
    };
    let waits = proj.status == Status::AwaitingPayment;
    let answers = r.answers();
    let owes = motcua_domain::decide::owes(&procedure, &answers, &r.channel);
    // What motcua could record now is what may be paid online.
    let payable =
        motcua_domain::decide::offered(&proj, &motcua_domain::decide::Asker::System, owes)
            .contains(&Action::RecordPayment);
    let owing = if payable {
        let q = motcua_domain::fees::quote(&procedure, &answers, r.channel == "online");
        let channels = if q.payable_online() {
            motcua_app::integrations::online_channels(&s.store, &r.unit_code).await?
        } else {
            Vec::new()
        }
        .into_iter()
        .map(|ch| {
            let label = match ch {
                "vnpay" => c.tr(
                    "Thẻ ATM, thẻ quốc tế hoặc ví điện tử (qua VNPay)",
                    "Bank card or e-wallet (through VNPay)",
                ),
                _ => c.tr(
                    "Chuyển khoản bằng mã QR (VietQR, mọi ngân hàng)",
                    "Bank transfer by QR code (VietQR, any bank)",
                ),
            };
            (ch, label.to_string())
        })
        .collect();
        let vnd = motcua_domain::text::format_vnd;
        Some(OwingView {
            lines: q
                .lines
                .iter()
                .map(|l| (l.charge.label_vi().to_string(), l.label.clone(), vnd(l.vnd)))
                .collect(),
            total: vnd(q.total_vnd),
            set_by_province: q.set_by_province.clone(),
            until: proj
                .received_at
                .and_then(|at| motcua_domain::decide::unpaid_expiry(&procedure, at))
                .map(motcua_domain::calendar::format_vn)
                .unwrap_or_default(),
            days: procedure.pay_first.map_or(0, |f| f.expire_days),
            starts: proj.pause_remaining.is_none(),
            before: waits,
            channels,
        })
    } else {
        None
    };
    let due = if waits && proj.pause_remaining.is_some() {
        c.tr(
            "Tạm dừng, sẽ tính tiếp khi bạn nộp phí, lệ phí",
            "Paused until you pay the fee",
        )
        .to_string()
    } else if waits {
        c.tr(
            "Được hẹn khi bạn nộp phí, lệ phí",
            "Set when you pay the fee",
        )
        .to_string()
    } else if proj.pause_remaining.is_some() {
        c.tr(
            "Tạm dừng, sẽ tính tiếp khi bạn bổ sung hồ sơ",
            "Paused until you send the supplement",
        )
        .to_string()
    } else if proj.due_at.is_none() {
        c.tr(
            "Được hẹn khi hồ sơ được tiếp nhận",
            "Set when the dossier is received",
        )
        .to_string()
    } else {
        when(r.due_at)
    };
    let has_result = proj.status == Status::Returned
        && s.store
            .signing()
            .result(&r.code)
            .await?
            .is_some_and(|x| x.signed_at.is_some());
    let papers = papers(c, rec);
    let papers_signed = !papers.is_empty()
        && motcua_app::seal::organisation_cert(&s.store, &r.unit_code, now)
            .await?
            .is_some();
    let receipts = s
        .store
        .payments(&r.code)
        .await?
        .into_iter()
        .filter(|p| p.voided_at.is_none())
        .map(|p| p.receipt)
        .collect();
    Ok(LookupView {
        has_result,
        receipts,
        papers,
        papers_signed,
        code: r.code.clone(),
        procedure: procedure.name,
        unit,
        applicant: motcua_domain::text::mask_name(&r.applicant_name),
        status_label: status_words(c, proj.status),
        late: proj.is_late(now),
        paused: proj.status == Status::AwaitingSupplement,
        submitted: when(Some(r.submitted_at)),
        due,
        finished: when(r.finished_at),
        delivery: rec
            .events
            .iter()
            .rev()
            .find(|e| e.action == motcua_domain::lifecycle::Action::ReturnResult)
            .and_then(|e| motcua_domain::delivery::Delivery::from_payload(&e.payload))
            .map(|d| {
                let label = c.tr(d.method.label_vi(), d.method.label_en()).to_string();
                match d.tracking_number {
                    Some(t) => format!("{label} ({} {t})", c.tr("mã bưu gửi", "tracking number")),
                    None => label,
                }
            })
            .unwrap_or_default(),
        version: r.version,
        can_rate: proj.status == Status::Returned,
        supplement,
        owing,
        history: rec
            .events
            .iter()
            .map(|e| {
                (
                    motcua_domain::calendar::format_vn(e.at),
                    action_words(c, e.action),
                )
            })
            .collect(),
    })
}

pub fn status_words(c: &Ctx, s: Status) -> String {
    c.tr(s.label_vi(), s.label_en()).to_string()
}

pub fn action_words(c: &Ctx, a: Action) -> String {
    c.tr(a.label_vi(), a.label_en()).to_string()
}

pub(super) async fn lookup(
    c: Ctx,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(q): Query<LookupQuery>,
) -> PageResult {
    c.citizen_only()?;
    let (code, key) = split_scanned(
        q.code.as_deref().unwrap_or(""),
        q.key.as_deref().unwrap_or(""),
    );
    // Sent with a box left empty: say which, instead of searching.
    let sent = q.code.is_some() || q.key.is_some();
    let mut missing = Vec::new();
    if sent && code.is_empty() {
        missing.push((
            "code",
            c.tr("Hãy nhập mã hồ sơ", "Enter the dossier code")
                .to_string(),
        ));
    }
    if sent && key.is_empty() {
        missing.push((
            "key",
            c.tr(
                "Hãy nhập mã tra cứu (in trên giấy tiếp nhận, hoặc hiện trên trang xác nhận khi nộp trực tuyến)",
                "Enter the lookup code (on your receipt, or shown when you applied online)",
            )
            .to_string(),
        ));
    }
    let searched = missing.is_empty() && (!code.is_empty() || !key.is_empty());
    if searched {
        limits
            .lookup
            .check(peer.ip())
            .map_err(|wait| PageError::new(c.lang, crate::auth::rate_limited(wait).into()))?;
    }
    let rec = if searched {
        find_by_key(&s, &code, &key).await?
    } else {
        None
    };
    let d = match &rec {
        Some(rec) => Some(lookup_view(&s, &c, rec).await?),
        None => None,
    };
    let message = q.ok.as_deref().map(|_| {
        c.tr(
            "Đã nhận hồ sơ bổ sung. Thời hạn giải quyết được tính tiếp.",
            "Supplement received. The processing time runs again.",
        )
        .to_string()
    });
    let status = if !missing.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else if searched && d.is_none() {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    render_status(
        status,
        &Lookup {
            c,
            d,
            code,
            key: normalize_key(&key),
            searched,
            message,
            code_err: missing
                .iter()
                .find(|(i, _)| *i == "code")
                .map(|(_, m)| m.clone()),
            key_err: missing
                .iter()
                .find(|(i, _)| *i == "key")
                .map(|(_, m)| m.clone()),
            missing,
        },
    )
}

/// The citizen sends the missing papers from the lookup page.
pub(super) async fn supplement(
    c: Ctx,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> PageResult {
    c.citizen_only()?;
    limits
        .lookup
        .check(peer.ip())
        .map_err(|wait| PageError::new(c.lang, crate::auth::rate_limited(wait).into()))?;
    let lang = c.lang;
    let posted = crate::pages::form::read_form(&s, lang, req).await?;
    // Each document's scan comes as a file input named `doc:<code>`.
    let files: Vec<(String, Vec<u8>, Option<String>)> = posted
        .files
        .iter()
        .filter_map(|(name, filename, bytes)| {
            name.strip_prefix("doc:")
                .map(|code| (code.to_string(), bytes.clone(), filename.clone()))
        })
        .collect();
    // Corrected answers of the declaration come as `ans:<key>`.
    let answers: std::collections::BTreeMap<String, String> = posted
        .fields
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("ans:")
                .map(|k| (k.to_string(), v.trim().to_string()))
        })
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let fields: HashMap<String, String> = posted.fields.into_iter().collect();
    let code = fields.get("code").cloned().unwrap_or_default();
    let key = fields.get("key").cloned().unwrap_or_default();
    let Some(rec) = find_by_key(&s, &code, &key).await? else {
        return Err(PageError::new(
            lang,
            Problem::not_found("dossier_not_found", "Không tìm thấy hồ sơ").into(),
        ));
    };
    let back = format!(
        "/tra-cuu?code={}&key={}",
        url_encode(&code),
        url_encode(&normalize_key(&key))
    );
    let now = s.now();
    let mut docs = Vec::new();
    let mut problem = None;
    if files.is_empty() && answers.is_empty() {
        problem = Some(Problem::invalid(
            "choose_file",
            "file",
            c.tr(
                "Hãy chọn ít nhất một tệp để bổ sung",
                "Choose at least one file",
            ),
        ));
    }
    for (doc, bytes, filename) in files {
        match citizen_upload(&s, &limits, peer, &bytes, filename.as_deref(), now).await {
            Ok(meta) => docs.push(DocumentRef {
                code: doc,
                upload_id: Some(meta.id),
                paper: false,
            }),
            Err(motcua_store::StoreError::Problem(p)) => {
                problem = Some(p);
                break;
            }
            Err(e) => return Err(PageError::new(lang, e.into())),
        }
    }
    if problem.is_none() {
        let version = fields
            .get("version")
            .and_then(|v| v.parse().ok())
            .unwrap_or(rec.row.version);
        let req = ActionRequest {
            action: "supplement".into(),
            version,
            documents: docs,
            answers: Some(answers).filter(|a| !a.is_empty()),
            via: motcua_domain::lifecycle::Via::Page,
            ..ActionRequest::default()
        };
        match s.store.act(&rec.row.code, &req, &Actor::Citizen, now).await {
            Ok(_) => return Ok(Redirect::to(&format!("{back}&ok=1")).into_response()),
            Err(motcua_store::StoreError::Problem(p)) => problem = Some(p),
            Err(e) => return Err(PageError::new(lang, e.into())),
        }
    }
    let view = lookup_view(&s, &c, &rec).await?;
    let message = problem.map(|p| p.message);
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &Lookup {
            c,
            d: Some(view),
            code,
            key: normalize_key(&key),
            searched: true,
            message,
            missing: Vec::new(),
            code_err: None,
            key_err: None,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanned_receipt_urls_are_split() {
        assert_eq!(
            split_scanned(
                "http://10.0.0.5:8080/tra-cuu?code=30112-260302-0007&key=ABCDEFGHJK",
                ""
            ),
            ("30112-260302-0007".to_string(), "ABCDEFGHJK".to_string())
        );
        assert_eq!(
            split_scanned(" 30112-260302-0007 ", "k"),
            ("30112-260302-0007".to_string(), "k".to_string())
        );
    }

    #[test]
    fn search_ignores_diacritics() {
        let procs =
            motcua_domain::catalog::parse_catalog(motcua_domain::catalog::DEFAULT_CATALOG_JSON)
                .expect("catalog");
        let codes = |q: &str| {
            search(&procs, q)
                .into_iter()
                .map(|p| p.code)
                .collect::<Vec<_>>()
        };
        assert!(codes("khai sinh").contains(&"HT-KS".to_string()));
        assert!(codes("khai sinh").contains(&"HT-KSL".to_string()));
        let marriage = codes("dang ky ket hon");
        assert!(
            marriage.contains(&"HT-KH".to_string()) && marriage.contains(&"HT-KHL".to_string())
        );
        assert!(
            marriage.iter().all(|c| c.starts_with("HT-")),
            "{marriage:?}"
        );
        assert_eq!(codes("ĐĂNG KÝ KẾT HÔN"), codes("dang ky ket hon"));
        assert!(codes("tam tru").contains(&"CTR-TAM".to_string()));
        assert!(codes("xyz không có").is_empty());
    }
}
