//! The citizen portal: find a procedure, read what it needs, submit online
//! one question per page, follow the dossier by its code and key.

use super::{
    Ctx, PageError, PageResult, base_url, fee_words, processing_words, qr_svg, render,
    render_status, url_encode, when,
};
use crate::AppState;
use crate::extract::Query;
use crate::limits::Limits;
use askama::Template;
use axum::Extension;
use axum::Router;
use axum::extract::ConnectInfo;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use motcua_domain::calendar::{OffsetDateTime, VN_OFFSET};
use motcua_domain::catalog::{OnlineLevel, Procedure};
use motcua_domain::dossier::{ApplicantInput, field, normalize_key};
use motcua_domain::lifecycle::{Action, Channel, Status};
use motcua_domain::text::fold;
use motcua_domain::{Problem, ProblemKind};
use motcua_store::{ActionRequest, Actor, DocumentRef, DossierRecord, Draft, NewDossier};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// Room for a 10 MB scan plus the form around it.
const UPLOAD_BODY_LIMIT: usize = 12 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/thu-tuc/{code}", get(procedure))
        .route("/thu-tuc/{code}/nop", post(start))
        .route("/nop/{id}/gui", post(submit))
        .route("/nop/{id}/xong", get(done))
        .route(
            "/nop/{id}/{step}",
            get(question)
                .post(answer)
                .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route("/tra-cuu", get(lookup))
        .route(
            "/tra-cuu/bo-sung",
            post(supplement).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    c: Ctx,
    q: String,
    results: Vec<Procedure>,
    fields: Vec<(String, Vec<Procedure>)>,
    field_open: String,
}

#[derive(Deserialize)]
struct HomeQuery {
    q: Option<String>,
    field: Option<String>,
}

/// Every word of the query must appear in the folded name or field.
pub fn search(procs: &[Procedure], q: &str) -> Vec<Procedure> {
    let phrase = fold(q);
    let words: Vec<&str> = phrase.split(' ').filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        return Vec::new();
    }
    let mut hits: Vec<(bool, &Procedure)> = procs
        .iter()
        .filter_map(|p| {
            let name = fold(&p.name);
            let hay = format!("{name} {} {}", fold(&p.field), fold(&p.code));
            words
                .iter()
                .all(|w| hay.contains(w))
                .then(|| (name.contains(&phrase), p))
        })
        .collect();
    // Names holding the whole phrase first, then the catalog order.
    hits.sort_by_key(|(phrase_hit, _)| !*phrase_hit);
    hits.into_iter().map(|(_, p)| p.clone()).collect()
}

async fn home(c: Ctx, State(s): State<AppState>, Query(q): Query<HomeQuery>) -> PageResult {
    let lang = c.lang;
    let procs = s
        .store
        .procedures()
        .await
        .map_err(|e| PageError::new(lang, e.into()))?;
    let query = q.q.unwrap_or_default();
    let results = search(&procs, &query);
    let mut fields: Vec<(String, Vec<Procedure>)> = Vec::new();
    for p in procs {
        match fields.iter_mut().find(|(f, _)| *f == p.field) {
            Some((_, list)) => list.push(p),
            None => fields.push((p.field.clone(), vec![p])),
        }
    }
    render(&Home {
        c,
        q: query,
        results,
        fields,
        field_open: q.field.unwrap_or_default(),
    })
}

#[derive(Template)]
#[template(path = "procedure.html")]
struct ProcedurePage {
    c: Ctx,
    p: Procedure,
    processing: String,
    fee: String,
    full_online: bool,
    active: bool,
}

async fn procedure(c: Ctx, State(s): State<AppState>, Path(code): Path<String>) -> PageResult {
    let lang = c.lang;
    let Some((p, active)) = s
        .store
        .procedure(&code)
        .await
        .map_err(|e| PageError::new(lang, e.into()))?
    else {
        return Err(PageError::new(
            lang,
            Problem::not_found("procedure_not_found", "Không có thủ tục này").into(),
        ));
    };
    let processing = processing_words(&c, p.processing);
    let fee = fee_words(&c, &p.fee);
    let full_online = p.online_level == OnlineLevel::Full;
    render(&ProcedurePage {
        c,
        p,
        processing,
        fee,
        full_online,
        active,
    })
}

async fn start(c: Ctx, State(s): State<AppState>, Path(code): Path<String>) -> PageResult {
    let d = s
        .store
        .new_draft(&code, s.now())
        .await
        .map_err(|e| PageError::new(c.lang, e.into()))?;
    Ok(Redirect::to(&format!("/nop/{}/tinh", d.id)).into_response())
}

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

fn steps(p: &Procedure) -> Vec<String> {
    let mut v: Vec<String> = APPLICANT_STEPS.iter().map(|s| s.to_string()).collect();
    v.extend(p.documents.iter().map(|d| format!("giay-to-{}", d.code)));
    v.push("kiem-tra".into());
    v
}

async fn load(s: &AppState, c: &Ctx, id: &str) -> Result<(Draft, Procedure), PageError> {
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
    let (p, _) = s
        .store
        .procedure(&draft.procedure_code)
        .await
        .map_err(|e| PageError::new(lang, e.into()))?
        .ok_or_else(gone)?;
    Ok((draft, p))
}

fn text(d: &Draft, key: &str) -> String {
    d.data
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn doc_file(d: &Draft, code: &str) -> Option<String> {
    d.data
        .get("documents")
        .and_then(|m| m.get(code))
        .and_then(|v| v.get("filename"))
        .and_then(Value::as_str)
        .map(str::to_string)
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
    label: String,
    hint: String,
    name: String,
    kind: &'static str,
    value: String,
    autocomplete: &'static str,
    options: Vec<(String, String, bool)>,
    optional: bool,
    existing: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct FlowQuery {
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
    let all = steps(p);
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
        label: String::new(),
        hint: String::new(),
        name: "answer".into(),
        kind: "text",
        value: String::new(),
        autocomplete: "off",
        options: Vec::new(),
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
                    "Ảnh chụp bằng điện thoại hoặc tệp PDF; PDF, JPEG hoặc PNG, tối đa 10 MB",
                    "A phone photo or a PDF; PDF, JPEG or PNG, up to 10 MB",
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
fn vn_date(iso: &str) -> String {
    let parts: Vec<&str> = iso.split('-').collect();
    match parts.as_slice() {
        [y, m, d] => format!("{d}/{m}/{y}"),
        _ => iso.to_string(),
    }
}

async fn question(
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

/// The answer of one page: a form field, or an uploaded file.
async fn read_answer(
    s: &AppState,
    req: Request,
) -> Result<(HashMap<String, String>, Option<(Vec<u8>, Option<String>)>), PageError> {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let bad = |m: String| PageError::from(Problem::new(ProblemKind::BadRequest, "bad_form", m));
    if !is_multipart {
        let axum::Form(map) = axum::Form::<HashMap<String, String>>::from_request(req, s)
            .await
            .map_err(|e| bad(format!("Biểu mẫu không hợp lệ: {e}")))?;
        return Ok((map, None));
    }
    let mut mp = Multipart::from_request(req, s)
        .await
        .map_err(|e| bad(format!("Biểu mẫu không hợp lệ: {e}")))?;
    let mut map = HashMap::new();
    let mut file = None;
    while let Some(field) = mp.next_field().await.map_err(|e| {
        PageError::from(Problem::new(
            ProblemKind::TooLarge,
            "file_too_large",
            format!("Tệp quá lớn hoặc bị gián đoạn: {e}"),
        ))
    })? {
        let name = field.name().unwrap_or("").to_string();
        if field.file_name().is_some() {
            let filename = field.file_name().map(str::to_string);
            let bytes = field.bytes().await.map_err(|e| {
                PageError::from(Problem::new(
                    ProblemKind::TooLarge,
                    "file_too_large",
                    format!("Tệp quá lớn: {e}"),
                ))
            })?;
            if !bytes.is_empty() && file.is_none() {
                file = Some((bytes.to_vec(), filename));
            }
            map.entry(format!("file-field:{name}"))
                .or_insert_with(String::new);
        } else {
            let value = field.text().await.map_err(|e| bad(e.to_string()))?;
            map.insert(name, value);
        }
    }
    Ok((map, file))
}

/// A scan from the citizen's side, counted against their client's limits.
async fn citizen_upload(
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

async fn answer(
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
    let (form, file) = read_answer(&s, req).await?;
    let value = form.get("answer").cloned().unwrap_or_default();
    let today = s.now().to_offset(VN_OFFSET).date();
    let now = s.now();
    let data = draft
        .data
        .as_object_mut()
        .ok_or_else(|| PageError::from(Problem::conflict("bad_draft", "Phiên nộp hồ sơ hỏng")))?;
    let result: Result<(), Problem> = match step.as_str() {
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
            match (doc, file) {
                (None, _) => Err(Problem::not_found("not_found", "Không có bước này")),
                (Some(_), Some((bytes, filename))) => {
                    match citizen_upload(&s, &limits, peer, &bytes, filename.as_deref(), now).await
                    {
                        Ok(meta) => {
                            let docs = data.entry("documents").or_insert_with(|| json!({}));
                            if let Some(m) = docs.as_object_mut() {
                                m.insert(code.clone(), json!({ "upload_id": meta.id, "filename": meta.filename.unwrap_or_else(|| "tệp".into()) }));
                            }
                            Ok(())
                        }
                        Err(motcua_store::StoreError::Problem(p)) => Err(p),
                        Err(e) => return Err(PageError::new(c.lang, e.into())),
                    }
                }
                (Some(d), None) if skip && (!d.required || has) => Ok(()),
                (Some(_), None) => Err(Problem::invalid(
                    "choose_file",
                    "file",
                    c.tr("Hãy chọn tệp để tải lên", "Choose a file to upload"),
                )),
            }
        }
        _ => Err(Problem::not_found("not_found", "Không có bước này")),
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
    let all = steps(&p);
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
    rows: Vec<(String, String, String)>,
    error: Option<String>,
    error_href: String,
}

async fn check_page(
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
    for doc in &p.documents {
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
                _ => "tinh".to_string(),
            };
            (Some(pr.message), change(&step))
        }
        None => (None, String::new()),
    };
    let all = steps(p);
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
            rows,
            error: error_msg,
            error_href,
        },
    )
}

async fn submit(
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
    let documents: Vec<DocumentRef> = draft
        .data
        .get("documents")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(code, v)| {
                    v.get("upload_id")
                        .and_then(Value::as_str)
                        .map(|u| DocumentRef {
                            code: code.clone(),
                            upload_id: Some(u.to_string()),
                            paper: false,
                        })
                })
                .collect()
        })
        .unwrap_or_default();
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
        fields: json!({}),
        documents,
    };
    match s.store.create_dossier(new, &Actor::Citizen, s.now()).await {
        Ok(rec) => {
            draft.dossier_code = Some(rec.row.code.clone());
            if let Some(m) = draft.data.as_object_mut() {
                // The key is not kept here: the confirmation page reads it from
                // the store's memory of keys just issued (half an hour).
                m.remove("lookup_key");
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
    code: String,
    key: String,
    procedure: String,
    unit: String,
    qr: String,
    lookup_href: String,
}

async fn done(
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
        code,
        key,
        procedure: p.name,
        unit,
        qr,
        lookup_href,
    })
}

// ---- public lookup -------------------------------------------------------------

pub struct SupplementView {
    pub note: String,
    pub documents: Vec<(String, String)>,
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
    pub history: Vec<(String, String)>,
    /// A signed electronic result the citizen can download (returned dossiers).
    pub has_result: bool,
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
}

#[derive(Deserialize)]
struct LookupQuery {
    code: Option<String>,
    key: Option<String>,
    ok: Option<String>,
}

/// A receipt's QR holds the whole lookup URL; a kiosk scanner types it into
/// the code box. Take code and key out of it.
fn split_scanned(code: &str, key: &str) -> (String, String) {
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

async fn find_by_key(
    s: &AppState,
    code: &str,
    key: &str,
) -> Result<Option<DossierRecord>, PageError> {
    Ok(s.store.dossier_by_key(code, &normalize_key(key)).await?)
}

async fn lookup_view(s: &AppState, c: &Ctx, rec: &DossierRecord) -> Result<LookupView, PageError> {
    let now = s.now();
    let r = &rec.row;
    let proj = r.projection()?;
    let (procedure, _) = s
        .store
        .procedure(&r.procedure_code)
        .await?
        .ok_or_else(|| Problem::conflict("corrupt_row", "Thủ tục không còn"))?;
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
                SupplementView {
                    note: e.note.clone().unwrap_or_default(),
                    documents: docs,
                }
            })
    } else {
        None
    };
    let due = if proj.pause_remaining.is_some() {
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
    Ok(LookupView {
        has_result,
        code: r.code.clone(),
        procedure: procedure.name,
        unit,
        applicant: motcua_domain::text::mask_name(&r.applicant_name),
        status_label: status_words(c, proj.status),
        late: proj.is_late(now),
        paused: proj.pause_remaining.is_some(),
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
    match c.lang {
        super::Lang::Vi => s.label_vi().to_string(),
        super::Lang::En => match s {
            Status::Submitted => "Submitted online, awaiting reception",
            Status::Received => "Received",
            Status::Processing => "Being processed",
            Status::AwaitingSupplement => "Awaiting a supplement",
            Status::AwaitingApproval => "Awaiting approval",
            Status::ResultReady => "Result ready for collection",
            Status::Returned => "Result returned",
            Status::Refused => "Refused at intake",
            Status::Rejected => "Rejected",
            Status::Withdrawn => "Withdrawn",
        }
        .to_string(),
    }
}

pub fn action_words(c: &Ctx, a: Action) -> String {
    match c.lang {
        super::Lang::Vi => a.label_vi().to_string(),
        super::Lang::En => a.as_str().replace('_', " "),
    }
}

async fn lookup(
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
    let searched = !code.is_empty() || !key.is_empty();
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
    let status = if searched && d.is_none() {
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
        },
    )
}

/// The citizen sends the missing papers from the lookup page.
async fn supplement(
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
    let mut mp = Multipart::from_request(req, &s).await.map_err(|e| {
        PageError::new(
            lang,
            Problem::new(
                ProblemKind::BadRequest,
                "bad_form",
                format!("Biểu mẫu không hợp lệ: {e}"),
            )
            .into(),
        )
    })?;
    let mut fields = HashMap::new();
    let mut files: Vec<(String, Vec<u8>, Option<String>)> = Vec::new();
    while let Some(f) = mp.next_field().await.map_err(|e| {
        PageError::new(
            lang,
            Problem::new(
                ProblemKind::TooLarge,
                "file_too_large",
                format!("Tệp quá lớn: {e}"),
            )
            .into(),
        )
    })? {
        let name = f.name().unwrap_or("").to_string();
        if let Some(code) = name.strip_prefix("doc:").map(str::to_string) {
            let filename = f.file_name().map(str::to_string);
            let bytes = f.bytes().await.map_err(|e| {
                PageError::new(
                    lang,
                    Problem::new(ProblemKind::TooLarge, "file_too_large", e.to_string()).into(),
                )
            })?;
            if !bytes.is_empty() {
                files.push((code, bytes.to_vec(), filename));
            }
        } else {
            fields.insert(name, f.text().await.unwrap_or_default());
        }
    }
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
    if files.is_empty() {
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
        assert_eq!(
            codes("dang ky ket hon"),
            vec!["HT-KH".to_string(), "HT-KHL".to_string()]
        );
        assert_eq!(codes("ĐĂNG KÝ KẾT HÔN"), codes("dang ky ket hon"));
        assert!(codes("tam tru").contains(&"CTR-TAM".to_string()));
        assert!(codes("xyz không có").is_empty());
    }
}
