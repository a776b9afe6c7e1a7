//! Submitting online, one question per page: the draft, each question,
//! uploads, the check of the answers, the submission and its receipt.

use super::*;

// ---- the one-question-per-page flow ------------------------------------------

const APPLICANT_STEPS: [&str; 8] = [
    "tinh",
    "don-vi",
    "ho-ten",
    "so-dinh-danh",
    "ngay-sinh",
    "dien-thoai",
    "email",
    "dia-chi",
];

/// The steps now: the applicant, the declaration's questions asked given
/// the answers so far, the documents (not the paper declaration when it is
/// answered here), the check.
pub(super) fn steps(p: &Procedure, d: &Draft) -> Vec<String> {
    let mut v: Vec<String> = APPLICANT_STEPS.iter().map(|s| s.to_string()).collect();
    v.extend(declare::steps(p, d));
    v.extend(
        p.documents
            .iter()
            .filter(|doc| declare::asks_document(p, &doc.code))
            .map(|doc| format!("giay-to-{}", doc.code)),
    );
    v.push("kiem-tra".into());
    v
}

pub(super) async fn load(s: &AppState, c: &Ctx, id: &str) -> Result<(Draft, Procedure), PageError> {
    let lang = c.lang;
    let gone = || {
        PageError::new(
            lang,
            Problem::not_found(
                "draft_not_found",
                "Phiên nộp hồ sơ đã hết hạn hoặc không tồn tại; vui lòng bắt đầu lại",
            )
            .into(),
        )
    };
    let draft = s
        .store
        .draft(id, s.now())
        .await
        .map_err(|e| PageError::new(lang, e.into()))?
        .ok_or_else(gone)?;
    // Only the browser that started the draft opens it; elsewhere it looks
    // expired. Drafts started before the binding existed have no owner.
    let owner = draft.data.get(OWNER).and_then(serde_json::Value::as_str);
    let pass = c
        .draft_pass
        .as_deref()
        .map(motcua_app::credentials::token_hash);
    if owner.is_some_and(|o| Some(o) != pass.as_deref()) {
        return Err(gone());
    }
    let (p, _) = s
        .store
        .procedure(&draft.procedure_code)
        .await
        .map_err(|e| PageError::new(lang, e.into()))?
        .ok_or_else(gone)?;
    Ok((draft, p))
}

/// The draft's key holding the hash of its browser's secret.
pub(super) const OWNER: &str = "_owner";

/// The citizen abandons the draft (a shared kiosk, a change of mind): its
/// answers are deleted at once, and the page goes back to the start.
pub(super) async fn abandon(
    c: Ctx,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> PageResult {
    let (draft, _) = load(&s, &c, &id).await?;
    if draft.dossier_code.is_none() {
        s.store.delete_draft(&id).await?;
    }
    Ok(Redirect::to("/").into_response())
}

pub(super) fn text(d: &Draft, key: &str) -> String {
    d.data
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// The files uploaded for a document: (upload id, file name). A document
/// may take several (the front and back of a card); a draft of an earlier
/// release holds one as an object.
pub(super) fn doc_files(d: &Draft, code: &str) -> Vec<(String, String)> {
    let entry = d.data.get("documents").and_then(|m| m.get(code));
    let one = |v: &Value| {
        Some((
            v.get("upload_id")?.as_str()?.to_string(),
            v.get("filename")
                .and_then(Value::as_str)
                .unwrap_or("tệp")
                .to_string(),
        ))
    };
    match entry {
        Some(Value::Array(list)) => list.iter().filter_map(one).collect(),
        Some(v) => one(v).into_iter().collect(),
        None => Vec::new(),
    }
}

pub(super) fn doc_file(d: &Draft, code: &str) -> Option<String> {
    let names: Vec<String> = doc_files(d, code).into_iter().map(|(_, n)| n).collect();
    (!names.is_empty()).then(|| names.join(", "))
}

#[derive(Template)]
#[template(path = "question.html")]
struct Question {
    c: Ctx,
    caption: String,
    step_no: usize,
    step_total: usize,
    back_href: String,
    action: String,
    /// Where the citizen abandons the draft.
    abandon: String,
    label: String,
    hint: String,
    name: String,
    kind: &'static str,
    value: String,
    autocomplete: &'static str,
    options: Vec<(String, String, bool)>,
    /// A date's three boxes: day, month, year.
    parts: (String, String, String),
    optional: bool,
    existing: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct FlowQuery {
    tu: Option<String>,
}

/// Build the question page of `step`, with `value` and `error` when re-shown.
/// What a question page shows again after an answer was refused.
struct Reshow {
    value: Option<String>,
    error: Option<String>,
    from_check: bool,
}

async fn question_page(
    s: &AppState,
    c: Ctx,
    draft: &Draft,
    p: &Procedure,
    step: &str,
    again: Reshow,
) -> PageResult {
    let Reshow {
        value,
        error,
        from_check,
    } = again;
    let all = steps(p, draft);
    let Some(pos) = all.iter().position(|x| x == step) else {
        return Err(PageError::new(
            c.lang,
            Problem::not_found("not_found", "Không có bước này").into(),
        ));
    };
    let back_href = if from_check {
        format!("/nop/{}/kiem-tra", draft.id)
    } else if pos == 0 {
        format!("/thu-tuc/{}", p.code)
    } else {
        format!("/nop/{}/{}", draft.id, all[pos - 1])
    };
    let action = format!(
        "/nop/{}/{}{}",
        draft.id,
        step,
        if from_check { "?tu=kiem-tra" } else { "" }
    );
    let mut q = Question {
        caption: p.name.clone(),
        step_no: pos + 1,
        step_total: all.len(),
        back_href,
        action,
        abandon: format!("/nop/{}/huy", draft.id),
        label: String::new(),
        hint: String::new(),
        name: "answer".into(),
        kind: "text",
        value: String::new(),
        autocomplete: "off",
        options: Vec::new(),
        parts: Default::default(),
        optional: false,
        existing: None,
        error,
        c,
    };
    let c = &q.c;
    let stored = |k: &str| text(draft, k);
    match step {
        "tinh" => {
            q.label = c
                .tr(
                    "Bạn nộp hồ sơ tại tỉnh, thành phố nào?",
                    "In which province do you apply?",
                )
                .into();
            q.kind = "select";
            let chosen = value.unwrap_or_else(|| stored("province"));
            let provinces = s
                .store
                .provinces()
                .await
                .map_err(|e| PageError::new(c.lang, e.into()))?;
            q.options = provinces
                .into_iter()
                .map(|p| {
                    let sel = p.code == chosen;
                    (p.code, p.name, sel)
                })
                .collect();
        }
        "don-vi" => {
            q.label = c
                .tr(
                    "Xã, phường nơi nộp hồ sơ",
                    "The commune or ward you apply to",
                )
                .into();
            q.hint = c
                .tr(
                    "Thường là nơi bạn cư trú hoặc nơi xảy ra sự kiện (sinh, kết hôn…)",
                    "Usually where you live or where the event happened",
                )
                .into();
            q.kind = "select";
            let chosen = value.unwrap_or_else(|| stored("unit_code"));
            let units = s
                .store
                .units(Some(&stored("province")))
                .await
                .map_err(|e| PageError::new(c.lang, e.into()))?;
            q.options = units
                .into_iter()
                .map(|u| {
                    let sel = u.code == chosen;
                    (u.code, u.name, sel)
                })
                .collect();
        }
        "ho-ten" => {
            q.label = c
                .tr("Họ và tên người nộp hồ sơ", "Full name of the applicant")
                .into();
            q.hint = c
                .tr(
                    "Viết có dấu, như trên thẻ căn cước",
                    "As written on the ID card, with diacritics",
                )
                .into();
            q.value = value.unwrap_or_else(|| stored("full_name"));
            q.autocomplete = "name";
        }
        "so-dinh-danh" => {
            q.label = c
                .tr(
                    "Số định danh cá nhân (số thẻ căn cước)",
                    "Personal ID number (citizen ID card)",
                )
                .into();
            q.hint = c.tr("12 chữ số", "12 digits").into();
            q.value = value.unwrap_or_else(|| stored("id_number"));
        }
        "ngay-sinh" => {
            q.label = c.tr("Ngày sinh", "Date of birth").into();
            q.hint = c.tr("Ví dụ 17/05/1990", "For example 17/05/1990").into();
            q.value = value.unwrap_or_else(|| vn_date(&stored("date_of_birth")));
            q.autocomplete = "bday";
        }
        "dien-thoai" => {
            q.label = c.tr("Số điện thoại", "Phone number").into();
            q.hint = c
                .tr(
                    "Để nhận tin nhắn về hồ sơ",
                    "To receive messages about the dossier",
                )
                .into();
            q.kind = "tel";
            q.value = value.unwrap_or_else(|| stored("phone"));
            q.autocomplete = "tel";
        }
        "email" => {
            q.label = c.tr("Thư điện tử", "Email address").into();
            q.kind = "email";
            q.optional = true;
            q.value = value.unwrap_or_else(|| stored("email"));
            q.autocomplete = "email";
        }
        "dia-chi" => {
            q.label = c.tr("Địa chỉ liên hệ", "Postal address").into();
            q.hint = c
                .tr(
                    "Số nhà, ấp/khóm, xã/phường, tỉnh",
                    "House, hamlet, commune, province",
                )
                .into();
            q.value = value.unwrap_or_else(|| stored("address"));
            q.autocomplete = "street-address";
        }
        _ if step.starts_with(declare::PREFIX) => {
            let Some(a) = declare::asked(p, draft, step, value.as_deref()) else {
                return Err(PageError::new(
                    c.lang,
                    Problem::not_found("not_found", "Không có bước này").into(),
                ));
            };
            q.caption = format!("{} · {}", p.name, a.caption);
            q.label = a.label;
            q.hint = a.hint;
            q.kind = a.kind;
            q.value = a.value;
            q.parts = a.parts;
            q.options = a.options;
            q.optional = a.optional;
        }
        _ => {
            let code = step.strip_prefix("giay-to-").unwrap_or_default();
            let Some(doc) = p.documents.iter().find(|d| d.code == code) else {
                return Err(PageError::new(
                    c.lang,
                    Problem::not_found("not_found", "Không có bước này").into(),
                ));
            };
            q.label = doc.name.clone();
            q.hint = c
                .tr(
                    "Ảnh chụp bằng điện thoại hoặc tệp PDF; chọn được nhiều tệp (mặt trước, mặt sau, nhiều trang); PDF, JPEG hoặc PNG, tối đa 10 MB mỗi tệp",
                    "A phone photo or a PDF; several files if needed (front and back, several pages); PDF, JPEG or PNG, up to 10 MB each",
                )
                .into();
            q.kind = "file";
            q.name = "file".into();
            q.optional = !doc.required;
            q.existing = doc_file(draft, code);
        }
    }
    let status = if q.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render_status(status, &q)
}

/// "1990-05-17" → "17/05/1990" for display.
pub(super) fn vn_date(iso: &str) -> String {
    let parts: Vec<&str> = iso.split('-').collect();
    match parts.as_slice() {
        [y, m, d] => format!("{d}/{m}/{y}"),
        _ => iso.to_string(),
    }
}

pub(super) async fn question(
    c: Ctx,
    State(s): State<AppState>,
    Path((id, step)): Path<(String, String)>,
    Query(q): Query<FlowQuery>,
) -> PageResult {
    let (draft, p) = load(&s, &c, &id).await?;
    if draft.dossier_code.is_some() {
        return Ok(Redirect::to(&format!("/nop/{id}/xong")).into_response());
    }
    if step == "kiem-tra" {
        return check_page(c, &s, &draft, &p, None).await;
    }
    question_page(
        &s,
        c,
        &draft,
        &p,
        &step,
        Reshow {
            value: None,
            error: None,
            from_check: q.tu.as_deref() == Some("kiem-tra"),
        },
    )
    .await
}

/// The answer of one page: a form field, or an uploaded file (the first
/// non-empty one). A file input sent empty is noted as `file-field:<name>`.
pub(super) async fn read_answer(
    s: &AppState,
    lang: crate::pages::Lang,
    req: Request,
) -> Result<(HashMap<String, String>, Vec<(Vec<u8>, Option<String>)>), PageError> {
    let posted = crate::pages::form::read_form(s, lang, req).await?;
    let mut map: HashMap<String, String> = posted.fields.into_iter().collect();
    for name in posted.file_fields {
        map.entry(format!("file-field:{name}")).or_default();
    }
    let files = posted
        .files
        .into_iter()
        .map(|(_, filename, bytes)| (bytes, filename))
        .collect();
    Ok((map, files))
}

/// A scan from the citizen's side, counted against their client's limits.
pub(super) async fn citizen_upload(
    s: &AppState,
    limits: &Limits,
    peer: SocketAddr,
    bytes: &[u8],
    filename: Option<&str>,
    now: OffsetDateTime,
) -> Result<motcua_store::DocumentMeta, motcua_store::StoreError> {
    let who = crate::limits::requester(peer.ip(), None);
    crate::limits::guarded_upload(&s.store, limits, who, bytes, filename, "citizen", now).await
}

pub(super) async fn answer(
    c: Ctx,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((id, step)): Path<(String, String)>,
    Query(q): Query<FlowQuery>,
    req: Request,
) -> PageResult {
    let (mut draft, p) = load(&s, &c, &id).await?;
    if draft.dossier_code.is_some() {
        return Ok(Redirect::to(&format!("/nop/{id}/xong")).into_response());
    }
    let from_check = q.tu.as_deref() == Some("kiem-tra");
    let (form, files) = match read_answer(&s, c.lang, req).await {
        Ok(read) => read,
        // A file too large: the same step again, with the error summary.
        Err(e) if e.is_too_large() => {
            let message = match &e.err {
                crate::error::ApiError::Problem(p) => p.message.clone(),
                crate::error::ApiError::Store(_) => String::new(),
            };
            return question_page(
                &s,
                c,
                &draft,
                &p,
                &step,
                Reshow {
                    value: None,
                    error: Some(message),
                    from_check,
                },
            )
            .await;
        }
        Err(e) => return Err(e),
    };
    let mut value = form.get("answer").cloned().unwrap_or_default();
    let today = s.now().to_offset(VN_OFFSET).date();
    let now = s.now();
    let declared = step.starts_with(declare::PREFIX);
    if declared {
        value = declare::posted(&form);
    }
    let result: Result<(), Problem> = if declared {
        declare::take(&p, &mut draft, &step, &value, today)
    } else {
        let data = draft.data.as_object_mut().ok_or_else(|| {
            PageError::from(Problem::conflict("bad_draft", "Phiên nộp hồ sơ hỏng"))
        })?;
        match step.as_str() {
            "tinh" => {
                let ok = s.store.provinces().await?.iter().any(|x| x.code == value);
                if ok {
                    if data.get("province").and_then(Value::as_str) != Some(value.as_str()) {
                        data.remove("unit_code");
                    }
                    data.insert("province".into(), value.clone().into());
                    Ok(())
                } else {
                    Err(Problem::invalid(
                        "choose_province",
                        "province",
                        c.tr("Hãy chọn tỉnh, thành phố", "Choose a province"),
                    ))
                }
            }
            "don-vi" => {
                let province = data
                    .get("province")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                match s.store.unit(&value).await? {
                    Some(u) if u.province_code == province => {
                        data.insert("unit_code".into(), value.clone().into());
                        Ok(())
                    }
                    _ => Err(Problem::invalid(
                        "choose_unit",
                        "unit_code",
                        c.tr("Hãy chọn xã, phường", "Choose a commune or ward"),
                    )),
                }
            }
            "ho-ten" => field::full_name(&value).map(|v| {
                data.insert("full_name".into(), v.into());
            }),
            "so-dinh-danh" => field::id_number(&value).map(|v| {
                data.insert("id_number".into(), v.into());
            }),
            "ngay-sinh" => field::date_of_birth(&value, today).map(|d| {
                data.insert("date_of_birth".into(), d.to_string().into());
            }),
            "dien-thoai" => field::phone(&value).map(|v| {
                data.insert("phone".into(), v.into());
            }),
            "email" => field::email(Some(&value)).map(|v| {
                data.insert("email".into(), v.unwrap_or_default().into());
            }),
            "dia-chi" => field::address(&value).map(|v| {
                data.insert("address".into(), v.into());
            }),
            other if other.starts_with("giay-to-") => {
                let code = other
                    .strip_prefix("giay-to-")
                    .unwrap_or_default()
                    .to_string();
                let doc = p.documents.iter().find(|d| d.code == code).cloned();
                let skip = form.get("go").map(String::as_str) == Some("skip");
                let has = data.get("documents").and_then(|m| m.get(&code)).is_some();
                match (doc, files.is_empty()) {
                    (None, _) => Err(Problem::not_found("not_found", "Không có bước này")),
                    (Some(_), false) => {
                        // Every file chosen (front and back, several pages), all or none.
                        let mut kept = Vec::new();
                        let mut failed = None;
                        for (bytes, filename) in &files {
                            match citizen_upload(&s, &limits, peer, bytes, filename.as_deref(), now)
                                .await
                            {
                                Ok(meta) => kept.push(json!({ "upload_id": meta.id, "filename": meta.filename.unwrap_or_else(|| "tệp".into()) })),
                                Err(motcua_store::StoreError::Problem(p)) => {
                                    failed = Some(p);
                                    break;
                                }
                                Err(e) => return Err(PageError::new(c.lang, e.into())),
                            }
                        }
                        match failed {
                            Some(p) => Err(p),
                            None => {
                                let docs = data.entry("documents").or_insert_with(|| json!({}));
                                if let Some(m) = docs.as_object_mut() {
                                    m.insert(code.clone(), Value::Array(kept));
                                }
                                Ok(())
                            }
                        }
                    }
                    (Some(d), true) if skip && (!d.required || has) => Ok(()),
                    (Some(_), true) => Err(Problem::invalid(
                        "choose_file",
                        "file",
                        c.tr("Hãy chọn tệp để tải lên", "Choose a file to upload"),
                    )),
                }
            }
            _ => Err(Problem::not_found("not_found", "Không có bước này")),
        }
    };
    if let Err(problem) = result {
        if problem.kind == ProblemKind::NotFound {
            return Err(PageError::new(c.lang, problem.into()));
        }
        return question_page(
            &s,
            c,
            &draft,
            &p,
            &step,
            Reshow {
                value: Some(value),
                error: Some(problem.message),
                from_check,
            },
        )
        .await;
    }
    draft.updated_at = now.unix_timestamp() * 1000;
    s.store.save_draft(&draft).await?;
    let all = steps(&p, &draft);
    let next = if step == "tinh" {
        // A new province means choosing its commune again.
        format!("don-vi{}", if from_check { "?tu=kiem-tra" } else { "" })
    } else if from_check {
        "kiem-tra".to_string()
    } else {
        all.iter()
            .skip_while(|x| **x != step)
            .nth(1)
            .cloned()
            .unwrap_or_else(|| "kiem-tra".into())
    };
    Ok(Redirect::to(&format!("/nop/{id}/{next}")).into_response())
}

#[derive(Template)]
#[template(path = "check.html")]
struct Check {
    c: Ctx,
    caption: String,
    back_href: String,
    action: String,
    abandon: String,
    rows: Vec<(String, String, String)>,
    /// Phí and lệ phí before submitting.
    fee: String,
    error: Option<String>,
    error_href: String,
}

pub(super) async fn check_page(
    c: Ctx,
    s: &AppState,
    d: &Draft,
    p: &Procedure,
    error: Option<Problem>,
) -> PageResult {
    let base = format!("/nop/{}", d.id);
    let change = |step: &str| format!("{base}/{step}?tu=kiem-tra");
    let unit = s
        .store
        .unit(&text(d, "unit_code"))
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    let province = s
        .store
        .provinces()
        .await?
        .into_iter()
        .find(|x| x.code == text(d, "province"))
        .map(|x| x.name)
        .unwrap_or_default();
    let mut rows = vec![
        (
            c.tr("Nơi nộp", "Where").to_string(),
            format!("{unit}, {province}"),
            change("tinh"),
        ),
        (
            c.tr("Họ và tên", "Full name").to_string(),
            text(d, "full_name"),
            change("ho-ten"),
        ),
        (
            c.tr("Số định danh cá nhân", "Personal ID number")
                .to_string(),
            text(d, "id_number"),
            change("so-dinh-danh"),
        ),
        (
            c.tr("Ngày sinh", "Date of birth").to_string(),
            vn_date(&text(d, "date_of_birth")),
            change("ngay-sinh"),
        ),
        (
            c.tr("Số điện thoại", "Phone").to_string(),
            text(d, "phone"),
            change("dien-thoai"),
        ),
        (
            c.tr("Thư điện tử", "Email").to_string(),
            text(d, "email"),
            change("email"),
        ),
        (
            c.tr("Địa chỉ", "Address").to_string(),
            text(d, "address"),
            change("dia-chi"),
        ),
    ];
    for (label, value, step) in declare::check_rows(p, d) {
        rows.push((label, value, change(&step)));
    }
    for doc in p
        .documents
        .iter()
        .filter(|doc| declare::asks_document(p, &doc.code))
    {
        let v = doc_file(d, &doc.code)
            .unwrap_or_else(|| c.tr("Chưa tải lên", "Not uploaded").to_string());
        rows.push((
            doc.name.clone(),
            v,
            change(&format!("giay-to-{}", doc.code)),
        ));
    }
    let (error_msg, error_href) = match error {
        Some(pr) => {
            let step = match pr.field.as_deref().unwrap_or("") {
                "applicant.full_name" => "ho-ten".to_string(),
                "applicant.id_number" => "so-dinh-danh".to_string(),
                "applicant.date_of_birth" => "ngay-sinh".to_string(),
                "applicant.phone" => "dien-thoai".to_string(),
                "applicant.email" => "email".to_string(),
                "applicant.address" => "dia-chi".to_string(),
                f if f.starts_with("documents.") => {
                    format!(
                        "giay-to-{}",
                        f.strip_prefix("documents.").unwrap_or_default()
                    )
                }
                f if f.starts_with("fields.") => {
                    format!(
                        "{}{}",
                        declare::PREFIX,
                        f.strip_prefix("fields.").unwrap_or_default()
                    )
                }
                _ => "tinh".to_string(),
            };
            (Some(pr.message), change(&step))
        }
        None => (None, String::new()),
    };
    let all = steps(p, d);
    let back_href = format!(
        "{base}/{}",
        all.get(all.len().saturating_sub(2))
            .cloned()
            .unwrap_or_default()
    );
    let status = if error_msg.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render_status(
        status,
        &Check {
            c,
            caption: p.name.clone(),
            back_href,
            action: format!("{base}/gui"),
            abandon: format!("{base}/huy"),
            rows,
            fee: declare::fee_row(p, d),
            error: error_msg,
            error_href,
        },
    )
}

pub(super) async fn submit(
    c: Ctx,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
) -> PageResult {
    c.citizen_only()?;
    let (mut draft, p) = load(&s, &c, &id).await?;
    if draft.dossier_code.is_some() {
        return Ok(Redirect::to(&format!("/nop/{id}/xong")).into_response());
    }
    crate::limits::check_submission(
        &limits,
        &crate::limits::requester(peer.ip(), None),
        &text(&draft, "unit_code"),
        s.now(),
    )
    .map_err(|p| PageError::new(c.lang, p.into()))?;
    let codes: Vec<String> = draft
        .data
        .get("documents")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let documents: Vec<DocumentRef> = codes
        .iter()
        .flat_map(|code| {
            doc_files(&draft, code)
                .into_iter()
                .map(move |(upload, _)| DocumentRef {
                    code: code.clone(),
                    upload_id: Some(upload),
                    paper: false,
                })
        })
        .collect();
    let email = text(&draft, "email");
    let new = NewDossier {
        unit_code: text(&draft, "unit_code"),
        procedure_code: p.code.clone(),
        channel: Channel::Online,
        applicant: ApplicantInput {
            full_name: text(&draft, "full_name"),
            id_number: text(&draft, "id_number"),
            date_of_birth: text(&draft, "date_of_birth"),
            phone: text(&draft, "phone"),
            email: (!email.is_empty()).then_some(email),
            address: text(&draft, "address"),
        },
        // The declaration's answers; checked again by the store's rules.
        fields: Value::Object(
            declare::answers(&draft)
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        ),
        documents,
    };
    match s.store.create_dossier(new, &Actor::Citizen, s.now()).await {
        Ok(rec) => {
            draft.dossier_code = Some(rec.row.code.clone());
            if let Some(m) = draft.data.as_object_mut() {
                // Finished: the answers leave the draft (the dossier has them);
                // the key is not kept here either: the confirmation page reads
                // it from the store's memory of keys just issued (half an hour).
                m.retain(|k, _| k == OWNER || k == "unit_code");
            }
            s.store.save_draft(&draft).await?;
            Ok(Redirect::to(&format!("/nop/{id}/xong")).into_response())
        }
        Err(motcua_store::StoreError::Problem(pr)) => {
            // A second click may have lost the race to the first: show the first's result.
            if let Ok(Some(fresh)) = s.store.draft(&id, s.now()).await
                && fresh.dossier_code.is_some()
            {
                return Ok(Redirect::to(&format!("/nop/{id}/xong")).into_response());
            }
            check_page(c, &s, &draft, &p, Some(pr)).await
        }
        Err(e) => Err(PageError::new(c.lang, e.into())),
    }
}

#[derive(Template)]
#[template(path = "done.html")]
struct Done {
    c: Ctx,
    draft_id: String,
    code: String,
    key: String,
    procedure: String,
    unit: String,
    qr: String,
    lookup_href: String,
}

pub(super) async fn done(
    c: Ctx,
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> PageResult {
    let (draft, p) = load(&s, &c, &id).await?;
    let Some(code) = draft.dossier_code.clone() else {
        return Ok(Redirect::to(&format!("/nop/{id}/kiem-tra")).into_response());
    };
    let key = match s.store.dossier_row(&code).await? {
        Some(row) => s
            .store
            .issued_key(&row, "citizen", s.now())?
            .unwrap_or_default(),
        None => String::new(),
    };
    let lookup_href = if key.is_empty() {
        format!("/tra-cuu?code={}", url_encode(&code))
    } else {
        format!(
            "/tra-cuu?code={}&key={}",
            url_encode(&code),
            url_encode(&key)
        )
    };
    let qr = qr_svg(&format!("{}{}", base_url(&headers), lookup_href));
    let unit = s
        .store
        .unit(&text(&draft, "unit_code"))
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    render(&Done {
        c,
        draft_id: id,
        code,
        key,
        procedure: p.name,
        unit,
        qr,
        lookup_href,
    })
}

/// The "phiếu xác nhận nộp hồ sơ trực tuyến" as PDF, asked from the page that
/// shows the lookup code: the code comes back in the form and is checked
/// against the dossier, as the lookup checks it.
pub(super) async fn confirmation_pdf(
    c: Ctx,
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    axum::extract::Form(form): axum::extract::Form<std::collections::HashMap<String, String>>,
) -> PageResult {
    let (draft, _) = load(&s, &c, &id).await?;
    let lang = c.lang;
    let not_found = || {
        PageError::new(
            lang,
            Problem::not_found("dossier_not_found", "Không tìm thấy hồ sơ").into(),
        )
    };
    let code = draft.dossier_code.clone().ok_or_else(not_found)?;
    let key = form.get("key").map(String::as_str).unwrap_or("");
    let rec = super::lookup::find_by_key(&s, &code, key)
        .await?
        .ok_or_else(not_found)?;
    let key = motcua_domain::dossier::normalize_key(key);
    let bytes = motcua_app::forms::render_online_confirmation(
        &s.store,
        rec,
        key,
        crate::documents::public_base(&s, &headers),
    )
    .await
    .map_err(|e| PageError::new(lang, e.into()))?;
    Ok(crate::documents::file_response(
        bytes,
        "application/pdf",
        &format!("phieu-xac-nhan-{code}.pdf"),
    ))
}
