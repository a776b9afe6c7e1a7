//! Counter intake (`/can-bo/tiep-nhan`): the officer types the dossier for the citizen.

use super::*;

pub(super) struct Input {
    pub(super) id: &'static str,
    pub(super) label: String,
    pub(super) hint: String,
    pub(super) kind: &'static str,
    pub(super) value: String,
    pub(super) autocomplete: &'static str,
    pub(super) optional: bool,
    pub(super) error: Option<String>,
}

pub(super) struct DocInput {
    pub(super) code: String,
    pub(super) name: String,
    pub(super) required: bool,
    pub(super) paper: bool,
    pub(super) error: Option<String>,
}

#[derive(Template)]
#[template(path = "office_intake.html")]
pub(super) struct IntakePage {
    pub(super) c: Ctx,
    pub(super) allowed: bool,
    pub(super) nonce: String,
    pub(super) units: Vec<Choice>,
    pub(super) channels: Vec<Choice>,
    pub(super) groups: Vec<(String, Vec<Choice>)>,
    pub(super) procedure: Option<(String, String, String)>,
    pub(super) fields: Vec<Input>,
    /// The procedure's declaration, every question on this screen.
    pub(super) declaration: Vec<DeclSection>,
    pub(super) declaration_title: String,
    /// What the dossier costs with the answers typed (the counter's price).
    pub(super) fee: String,
    pub(super) docs: Vec<DocInput>,
    pub(super) errors: Vec<ErrorLine>,
    pub(super) unit_error: Option<String>,
    pub(super) procedure_error: Option<String>,
    pub(super) files_lost: bool,
    /// The text of "Quét thẻ căn cước" (kept when it could not be read).
    pub(super) card: String,
    pub(super) card_error: Option<String>,
    pub(super) card_filled: bool,
}

#[derive(Deserialize)]
pub(super) struct IntakeQuery {
    pub(super) thu_tuc: Option<String>,
    pub(super) unit: Option<String>,
}

pub(super) const APPLICANT_FIELDS: [&str; 6] = [
    "full_name",
    "id_number",
    "date_of_birth",
    "phone",
    "email",
    "address",
];

pub(super) fn applicant_input(
    c: &Ctx,
    id: &'static str,
    value: String,
    error: Option<String>,
) -> Input {
    let (label, hint, kind, autocomplete, optional) = match id {
        "full_name" => (
            c.tr("Họ và tên người nộp", "Applicant's full name"),
            c.tr(
                "Viết có dấu, như trên thẻ căn cước",
                "As on the ID card, with diacritics",
            ),
            "text",
            "off",
            false,
        ),
        "id_number" => (
            c.tr(
                "Số định danh cá nhân (số thẻ căn cước)",
                "Personal ID number",
            ),
            c.tr("12 chữ số", "12 digits"),
            "text",
            "off",
            false,
        ),
        "date_of_birth" => (
            c.tr("Ngày sinh", "Date of birth"),
            c.tr("Ví dụ 17/05/1990", "For example 17/05/1990"),
            "text",
            "off",
            false,
        ),
        "phone" => (
            c.tr("Số điện thoại", "Phone number"),
            c.tr(
                "10 chữ số, để nhắn tin về hồ sơ",
                "10 digits, for messages about the dossier",
            ),
            "tel",
            "off",
            false,
        ),
        "email" => (
            c.tr("Thư điện tử", "Email address"),
            "",
            "email",
            "off",
            true,
        ),
        _ => (
            c.tr("Địa chỉ liên hệ", "Postal address"),
            c.tr(
                "Số nhà, ấp/khóm, xã/phường, tỉnh",
                "House, hamlet, commune, province",
            ),
            "text",
            "off",
            false,
        ),
    };
    Input {
        id,
        label: label.to_string(),
        hint: hint.to_string(),
        kind,
        value,
        autocomplete,
        optional,
        error,
    }
}

/// A fresh form id: a second submission of the same form finds the first's dossier.
pub(super) fn new_nonce() -> String {
    let mut b = [0u8; 16];
    let _ = getrandom::fill(&mut b);
    motcua_store::hex(&b)
}

pub(super) type Slot = Arc<tokio::sync::Mutex<Option<String>>>;

/// The slot of an intake form: held while its dossier is being created, then
/// holding the dossier code, so a double click yields one dossier.
pub(super) fn intake_slot(nonce: &str) -> Option<Slot> {
    static SLOTS: OnceLock<std::sync::Mutex<VecDeque<(String, Slot)>>> = OnceLock::new();
    if nonce.len() != 32 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut slots = SLOTS.get_or_init(Default::default).lock().ok()?;
    if let Some((_, slot)) = slots.iter().find(|(n, _)| n == nonce) {
        return Some(slot.clone());
    }
    let slot = Slot::default();
    slots.push_back((nonce.to_string(), slot.clone()));
    if slots.len() > 1024 {
        slots.pop_front();
    }
    Some(slot)
}

pub(super) struct IntakeInput {
    pub(super) unit: String,
    pub(super) procedure: String,
    pub(super) channel: String,
    pub(super) values: Vec<String>,
    pub(super) paper: Vec<String>,
    pub(super) nonce: String,
    pub(super) errors: Vec<Problem>,
    pub(super) files_lost: bool,
    pub(super) card: String,
    pub(super) card_filled: bool,
    /// The declaration's answers as typed.
    pub(super) answers: motcua_domain::declaration::Answers,
}

/// Whether the lifecycle lets this officer file a dossier at the counter.
fn may_file_at_counter(user: &User) -> bool {
    Actor::Staff(user.clone())
        .principal_for(Action::CreateAtCounter)
        .is_some()
}

pub(super) async fn intake_page(s: &AppState, c: Ctx, user: &User, i: IntakeInput) -> PageResult {
    let lang = c.lang;
    let allowed = may_file_at_counter(user);
    let catalog = s.store.procedures().await.map_err(store_err(lang))?;
    let chosen = catalog.iter().find(|p| p.code == i.procedure).cloned();
    let units = unit_choices(s, user)
        .await
        .map_err(store_err(lang))?
        .into_iter()
        .map(|(code, name)| Choice {
            checked: code == i.unit || user.units.len() == 1,
            value: code,
            label: name,
        })
        .collect();
    let channels = [
        Channel::Counter,
        Channel::Kiosk,
        Channel::Mobile,
        Channel::Postal,
        Channel::Medical,
    ]
    .into_iter()
    .map(|ch| Choice {
        value: ch.as_str().to_string(),
        label: channel_words(&c, ch.as_str()),
        checked: ch.as_str() == i.channel,
    })
    .collect();
    let mut groups: Vec<(String, Vec<Choice>)> = Vec::new();
    for p in &catalog {
        let choice = Choice {
            value: p.code.clone(),
            label: p.name.clone(),
            checked: p.code == i.procedure,
        };
        match groups.iter_mut().find(|(f, _)| *f == p.field) {
            Some((_, list)) => list.push(choice),
            None => groups.push((p.field.clone(), vec![choice])),
        }
    }
    let field_error = |name: &str| {
        i.errors
            .iter()
            .find(|p| p.field.as_deref() == Some(name))
            .map(|p| p.message.clone())
    };
    let fields = APPLICANT_FIELDS
        .iter()
        .zip(i.values.iter())
        .map(|(id, v)| applicant_input(&c, id, v.clone(), field_error(&format!("applicant.{id}"))))
        .collect();
    // What the applicant's details fill in the declaration.
    let typed_applicant = ApplicantInput {
        full_name: i.values[0].clone(),
        id_number: i.values[1].clone(),
        date_of_birth: i.values[2].clone(),
        phone: i.values[3].clone(),
        email: Some(i.values[4].clone()).filter(|e| !e.trim().is_empty()),
        address: i.values[5].clone(),
    }
    .validate(time::Date::MAX)
    .ok();
    let declaration = chosen
        .as_ref()
        .map(|p| declare::inputs(p, &i.answers, typed_applicant.as_ref(), &i.errors))
        .unwrap_or_default();
    let declaration_title = chosen
        .as_ref()
        .and_then(|p| p.declaration.as_ref())
        .map(|d| format!("{} ({})", d.title, d.template))
        .unwrap_or_default();
    let docs = chosen
        .as_ref()
        .map(|p| {
            p.documents
                .iter()
                .map(|d| DocInput {
                    code: d.code.clone(),
                    name: d.name.clone(),
                    required: d.required,
                    paper: i.paper.contains(&d.code),
                    error: field_error(&format!("documents.{}", d.code)),
                })
                .collect()
        })
        .unwrap_or_default();
    let errors = i
        .errors
        .iter()
        .map(|p| {
            let f = p.field.as_deref().unwrap_or("");
            let target = if let Some(a) = f.strip_prefix("applicant.") {
                a.to_string()
            } else if let Some(d) = f.strip_prefix("documents.") {
                format!("file-{d}")
            } else if f == "unit_code" {
                "unit".to_string()
            } else if f == "channel" {
                "channel".to_string()
            } else if f == "card" || f.starts_with("card.") {
                "card-scan".to_string()
            } else if let Some(k) = f.strip_prefix("fields.") {
                format!("d-{k}")
            } else {
                "procedure".to_string()
            };
            ErrorLine {
                href: format!("#{target}"),
                message: p.message.clone(),
            }
        })
        .collect();
    let procedure = chosen.as_ref().map(|p| {
        (
            p.code.clone(),
            p.name.clone(),
            processing_words(&c, p.processing),
        )
    });
    let page = IntakePage {
        allowed,
        nonce: i.nonce,
        units,
        channels,
        groups,
        procedure,
        fields,
        declaration,
        declaration_title,
        fee: chosen
            .as_ref()
            .map(|p| crate::pages::quote_words(p, &i.answers, false))
            .unwrap_or_default(),
        docs,
        unit_error: field_error("unit_code"),
        procedure_error: field_error("procedure_code"),
        files_lost: i.files_lost && !i.errors.is_empty(),
        card_error: i
            .errors
            .iter()
            .find(|p| {
                p.field
                    .as_deref()
                    .is_some_and(|f| f == "card" || f.starts_with("card."))
            })
            .map(|p| p.message.clone()),
        card: i.card,
        card_filled: i.card_filled,
        errors,
        c,
    };
    let status = if !allowed {
        StatusCode::FORBIDDEN
    } else if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(status, &page)
}

pub(super) async fn intake_form(
    c: Ctx,
    State(s): State<AppState>,
    Query(q): Query<IntakeQuery>,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let input = IntakeInput {
        unit: q.unit.unwrap_or_default(),
        procedure: q.thu_tuc.unwrap_or_default(),
        channel: Channel::Counter.as_str().to_string(),
        values: vec![String::new(); APPLICANT_FIELDS.len()],
        paper: Vec::new(),
        nonce: new_nonce(),
        errors: Vec::new(),
        files_lost: false,
        card: String::new(),
        card_filled: false,
        answers: Default::default(),
    };
    intake_page(&s, c, &user, input).await
}

pub(super) async fn intake(c: Ctx, State(s): State<AppState>, req: Request) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in("/can-bo/tiep-nhan"));
    };
    let lang = c.lang;
    let form = read_form(&s, lang, req).await?;
    let unit = form.get("unit").trim().to_string();
    let procedure_code = form.get("procedure").trim().to_string();
    let channel_text = match form.get("channel").trim() {
        "" => Channel::Counter.as_str().to_string(),
        ch => ch.to_string(),
    };
    let values: Vec<String> = APPLICANT_FIELDS
        .iter()
        .map(|f| form.get(f).to_string())
        .collect();
    let catalog = s.store.procedures().await.map_err(store_err(lang))?;
    let procedure = catalog.iter().find(|p| p.code == procedure_code).cloned();
    let paper: Vec<String> = procedure
        .as_ref()
        .map(|p| {
            p.documents
                .iter()
                .filter(|d| form.has(&format!("paper:{}", d.code)))
                .map(|d| d.code.clone())
                .collect()
        })
        .unwrap_or_default();
    let mut nonce = form.get("nonce").to_string();
    if nonce.len() != 32 {
        nonce = new_nonce();
    }
    let files_lost = !form.files.is_empty();
    let answers = procedure
        .as_ref()
        .map(|p| declare::typed(&form, p))
        .unwrap_or_default();
    let mut input = IntakeInput {
        unit: unit.clone(),
        procedure: procedure_code.clone(),
        channel: channel_text.clone(),
        values: values.clone(),
        paper: paper.clone(),
        nonce: nonce.clone(),
        errors: Vec::new(),
        files_lost,
        card: String::new(),
        card_filled: false,
        answers: answers.clone(),
    };
    // "Điền từ thẻ": the ID card's QR code (or MRZ), as a scanner types it,
    // fills the applicant for the officer to check with the person; nothing
    // is saved until the dossier is received.
    if form.get("go") == "scan" {
        let raw = form.get("card_scan").trim();
        let today = s.now().to_offset(VN_OFFSET).date();
        let read = if raw.is_empty() {
            Err(Problem::invalid(
                "no_card",
                "card",
                c.tr(
                    "Hãy quét mã QR trên thẻ căn cước vào ô \"Quét thẻ căn cước\"",
                    "Scan the ID card's QR code into \"Scan the ID card\"",
                ),
            ))
        } else {
            motcua_domain::identity::parse_card(raw, today)
        };
        match read {
            Ok(card) => {
                let a = card.to_applicant();
                let dob = card.date_of_birth;
                input.values[0] = a.full_name;
                input.values[1] = a.id_number;
                input.values[2] = format!(
                    "{:02}/{:02}/{}",
                    dob.day(),
                    u8::from(dob.month()),
                    dob.year()
                );
                if !a.address.is_empty() {
                    input.values[5] = a.address;
                }
                // The card's sex fills the declaration's questions that ask it.
                let sex = match card.gender {
                    motcua_domain::identity::Gender::Male => "nam",
                    motcua_domain::identity::Gender::Female => "nu",
                };
                if let Some(decl) = procedure.as_ref().and_then(|p| p.declaration.as_ref()) {
                    for (_, f) in decl.fields() {
                        if f.prefill == Some(motcua_domain::declaration::Prefill::CardSex) {
                            input.answers.insert(f.key.clone(), sex.to_string());
                        }
                    }
                }
                input.card_filled = true;
            }
            Err(p) => {
                input.card = raw.to_string();
                input.errors = vec![p];
            }
        }
        return intake_page(&s, c, &user, input).await;
    }
    // "Chọn": show the chosen procedure's documents, keeping what was typed.
    if form.get("go") == "chon" || !may_file_at_counter(&user) {
        input.files_lost = false;
        return intake_page(&s, c, &user, input).await;
    }
    let slot = intake_slot(&nonce);
    let _guard = match &slot {
        Some(slot) => {
            let guard = slot.clone().lock_owned().await;
            if let Some(code) = guard.as_ref() {
                return Ok(
                    Redirect::to(&format!("/can-bo/ho-so/{}/bien-nhan", url_encode(code)))
                        .into_response(),
                );
            }
            Some(guard)
        }
        None => None,
    };
    // Check every field at once, so the officer sees all that is wrong.
    let today = s.now().to_offset(VN_OFFSET).date();
    let mut errors: Vec<Problem> = Vec::new();
    if unit.is_empty() || !user.sees_unit(&unit) {
        errors.push(Problem::invalid(
            "choose_unit",
            "unit_code",
            c.tr("Hãy chọn đơn vị tiếp nhận", "Choose the receiving unit"),
        ));
    }
    let channel = match channel_text.parse::<Channel>() {
        Ok(ch) if ch != Channel::Online => Some(ch),
        _ => {
            errors.push(Problem::invalid(
                "bad_channel",
                "channel",
                c.tr("Hãy chọn hình thức nộp", "Choose how it was filed"),
            ));
            None
        }
    };
    if procedure.is_none() {
        errors.push(Problem::invalid(
            "choose_procedure",
            "procedure_code",
            c.tr("Hãy chọn thủ tục", "Choose a procedure"),
        ));
    }
    let checks: [Result<(), Problem>; 6] = [
        field::full_name(&values[0]).map(drop),
        field::id_number(&values[1]).map(drop),
        field::date_of_birth(&values[2], today).map(drop),
        field::phone(&values[3]).map(drop),
        field::email(Some(&values[4])).map(drop),
        field::address(&values[5]).map(drop),
    ];
    errors.extend(checks.into_iter().filter_map(Result::err));
    // The declaration typed here stands for its paper form among the documents.
    let fields = match &procedure {
        Some(p) => match declare::check(p, &answers, today) {
            Ok(a) => a,
            Err(problems) => {
                errors.extend(problems);
                Default::default()
            }
        },
        None => Default::default(),
    };
    let declared_doc = procedure
        .as_ref()
        .filter(|_| !answers.is_empty())
        .and_then(|p| p.declaration_document())
        .map(|d| d.code.clone());
    if let Some(p) = &procedure {
        for d in p
            .required_documents()
            .filter(|d| Some(&d.code) != declared_doc.as_ref())
        {
            let has_file = form.file(&format!("file:{}", d.code)).is_some();
            if !has_file && !paper.contains(&d.code) {
                errors.push(Problem::invalid(
                    "missing_document",
                    format!("documents.{}", d.code),
                    format!(
                        "{}: {}",
                        c.tr(
                            "Cần bản quét hoặc xác nhận đã kiểm tra bản giấy",
                            "Attach a scan or confirm the paper copy",
                        ),
                        d.name
                    ),
                ));
            }
        }
    }
    let (Some(procedure), Some(channel), true) = (procedure, channel, errors.is_empty()) else {
        input.errors = errors;
        return intake_page(&s, c, &user, input).await;
    };
    let now = s.now();
    let mut documents = Vec::new();
    for d in &procedure.documents {
        // Several scans may make one document (front and back, pages).
        let name = format!("file:{}", d.code);
        let scans: Vec<_> = form.files_named(&name).collect();
        for (_, filename, bytes) in &scans {
            match s
                .store
                .upload(bytes, filename.as_deref(), &user.username, now)
                .await
            {
                Ok(meta) => documents.push(DocumentRef {
                    code: d.code.clone(),
                    upload_id: Some(meta.id),
                    paper: false,
                }),
                Err(StoreError::Problem(p)) => {
                    input.errors = vec![Problem::invalid(
                        p.code,
                        format!("documents.{}", d.code),
                        format!("{}: {}", d.name, p.message),
                    )];
                    return intake_page(&s, c, &user, input).await;
                }
                Err(e) => return Err(PageError::new(lang, e.into())),
            }
        }
        if scans.is_empty() && paper.contains(&d.code) {
            documents.push(DocumentRef {
                code: d.code.clone(),
                upload_id: None,
                paper: true,
            });
        }
    }
    let email = values[4].trim().to_string();
    let new = NewDossier {
        unit_code: unit,
        procedure_code: procedure.code.clone(),
        channel,
        applicant: ApplicantInput {
            full_name: values[0].clone(),
            id_number: values[1].clone(),
            date_of_birth: values[2].clone(),
            phone: values[3].clone(),
            email: (!email.is_empty()).then_some(email),
            address: values[5].clone(),
        },
        fields: serde_json::Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k, serde_json::Value::String(v)))
                .collect(),
        ),
        documents,
    };
    match s
        .store
        .create_dossier(new, &Actor::Staff(user.clone()), now)
        .await
    {
        Ok(rec) => {
            if let Some(mut guard) = _guard {
                *guard = Some(rec.row.code.clone());
            }
            Ok(Redirect::to(&format!(
                "/can-bo/ho-so/{}/bien-nhan",
                url_encode(&rec.row.code)
            ))
            .into_response())
        }
        Err(StoreError::Problem(p)) if p.kind == ProblemKind::Forbidden => {
            input.errors = vec![Problem::invalid("other_unit", "unit_code", p.message)];
            intake_page(&s, c, &user, input).await
        }
        Err(StoreError::Problem(p)) => {
            let p = if p.field.is_none() {
                p.with_field("procedure_code")
            } else {
                p
            };
            input.errors = vec![p];
            intake_page(&s, c, &user, input).await
        }
        Err(e) => Err(PageError::new(lang, e.into())),
    }
}
