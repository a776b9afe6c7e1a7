//! What citizens say: the satisfaction rating of a returned dossier and
//! feedback, with the officers' list and answers.

use super::*;

// ---- forms -------------------------------------------------------------------------

pub(super) async fn form(
    s: &AppState,
    lang: Lang,
    req: Request,
) -> Result<HashMap<String, String>, PageError> {
    let fields = crate::pages::form::read_form(s, lang, req).await?.fields;
    Ok(fields.into_iter().collect())
}

pub(super) fn field<'a>(f: &'a HashMap<String, String>, name: &str) -> &'a str {
    f.get(name).map_or("", String::as_str)
}

pub(super) async fn find_by_key(
    s: &AppState,
    code: &str,
    key: &str,
) -> Result<Option<motcua_store::DossierRow>, PageError> {
    let key = motcua_domain::dossier::normalize_key(key);
    Ok(s.store.dossier_row_by_key(code, &key).await?)
}

pub(super) fn not_found_dossier(lang: Lang) -> PageError {
    PageError::new(
        lang,
        Problem::not_found(
            "dossier_not_found",
            "Không tìm thấy hồ sơ; kiểm tra mã hồ sơ và mã tra cứu",
        )
        .into(),
    )
}

// ---- satisfaction rating -----------------------------------------------------------

#[derive(Template)]
#[template(path = "index_rate.html")]
pub(super) struct RatePage {
    c: Ctx,
    code: String,
    key: String,
    criteria: Vec<(&'static str, &'static str)>,
    done: bool,
    already: bool,
}

#[derive(Deserialize, Default)]
pub(super) struct KeyQuery {
    code: Option<String>,
    key: Option<String>,
    unit: Option<String>,
}

pub(super) async fn rate_form(
    c: Ctx,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(q): Query<KeyQuery>,
) -> PageResult {
    c.citizen_only()?;
    let lang = c.lang;
    limits
        .lookup
        .check(peer.ip())
        .map_err(|wait| PageError::new(lang, crate::auth::rate_limited(wait).into()))?;
    let (code, key) = (q.code.unwrap_or_default(), q.key.unwrap_or_default());
    let row = find_by_key(&s, &code, &key)
        .await?
        .ok_or_else(|| not_found_dossier(lang))?;
    if row.status != motcua_domain::lifecycle::Status::Returned.as_str() {
        return Err(PageError::new(
            lang,
            Problem::conflict("not_returned", "Chỉ đánh giá được sau khi đã nhận kết quả").into(),
        ));
    }
    let already = s.store.rating(&row).await?.is_some();
    render(&RatePage {
        c,
        code: row.code,
        key: motcua_domain::dossier::normalize_key(&key),
        criteria: idx::RATING_CRITERIA.to_vec(),
        done: false,
        already,
    })
}

pub(super) async fn rate_post(
    c: Ctx,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> PageResult {
    c.citizen_only()?;
    let lang = c.lang;
    limits
        .lookup
        .check(peer.ip())
        .map_err(|wait| PageError::new(lang, crate::auth::rate_limited(wait).into()))?;
    let f = form(&s, lang, req).await?;
    let row = find_by_key(&s, field(&f, "code"), field(&f, "key"))
        .await?
        .ok_or_else(|| not_found_dossier(lang))?;
    let mut scores = Vec::new();
    for (name, label) in idx::RATING_CRITERIA {
        let v = field(&f, name).trim().parse::<u8>().map_err(|_| {
            PageError::new(
                lang,
                Problem::invalid(
                    "bad_rating",
                    *name,
                    format!("Chưa chấm tiêu chí \"{label}\" (1 đến 5)"),
                )
                .into(),
            )
        })?;
        scores.push(v);
    }
    let comment = Some(field(&f, "comment")).filter(|c| !c.trim().is_empty());
    s.store
        .rate_dossier(&row, &scores, comment, now(&s))
        .await?;
    render(&RatePage {
        c,
        code: row.code,
        key: String::new(),
        criteria: Vec::new(),
        done: true,
        already: false,
    })
}

// ---- feedback ----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "index_feedback.html")]
pub(super) struct FeedbackFormPage {
    c: Ctx,
    unit: String,
    code: String,
    key: String,
    sent: Option<(i64, String)>,
}

pub(super) async fn feedback_form(c: Ctx, Query(q): Query<KeyQuery>) -> PageResult {
    render(&FeedbackFormPage {
        c,
        unit: q.unit.unwrap_or_default(),
        code: q.code.unwrap_or_default(),
        key: q.key.unwrap_or_default(),
        sent: None,
    })
}

pub(super) async fn feedback_post(
    c: Ctx,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> PageResult {
    let lang = c.lang;
    limits
        .lookup
        .check(peer.ip())
        .map_err(|wait| PageError::new(lang, crate::auth::rate_limited(wait).into()))?;
    let f = form(&s, lang, req).await?;
    let code = field(&f, "code").trim();
    // About a dossier: code and key prove it is the applicant's; the unit follows.
    let dossier = if code.is_empty() {
        None
    } else {
        Some(
            find_by_key(&s, code, field(&f, "key"))
                .await?
                .ok_or_else(|| not_found_dossier(lang))?,
        )
    };
    let unit = match &dossier {
        Some(d) => d.unit_code.clone(),
        None => field(&f, "unit").trim().to_string(),
    };
    if s.store.unit(&unit).await?.is_none() {
        return Err(PageError::new(
            lang,
            Problem::invalid(
                "unknown_unit",
                "unit",
                "Không có đơn vị mã này (5 chữ số, ví dụ 30112)",
            )
            .into(),
        ));
    }
    let fb = s
        .store
        .submit_feedback(
            &unit,
            dossier.as_ref(),
            field(&f, "name"),
            field(&f, "contact"),
            field(&f, "content"),
            now(&s),
        )
        .await?;
    render(&FeedbackFormPage {
        c,
        unit,
        code: String::new(),
        key: String::new(),
        sent: Some((fb.id, motcua_domain::calendar::format_vn(fb.due_at))),
    })
}

#[derive(Template)]
#[template(path = "index_feedback_list.html")]
pub(super) struct FeedbackListPage {
    c: Ctx,
    unit: String,
    unit_name: String,
    units: Vec<(String, String, bool)>,
    may_answer: bool,
    items: Vec<FeedbackView>,
}

pub(super) struct FeedbackView {
    id: i64,
    at: String,
    due: String,
    name: String,
    contact: String,
    content: String,
    dossier: Option<String>,
    state: &'static str,
    late: bool,
    answer: Option<String>,
    answered: String,
}

pub(super) async fn feedback_list(
    c: Ctx,
    State(s): State<AppState>,
    Query(q): Query<IndexQuery>,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let lang = c.lang;
    let unit = q
        .unit
        .clone()
        .filter(|u| !u.is_empty())
        .or_else(|| user.units.first().cloned())
        .unwrap_or_default();
    if unit.is_empty() || !user.sees_unit(&unit) {
        return Err(forbidden(lang));
    }
    let unit_name = s
        .store
        .unit(&unit)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    let mut units = Vec::new();
    for code in user.units.iter().take(200) {
        let name = s
            .store
            .unit(code)
            .await?
            .map_or_else(|| code.clone(), |u| u.name);
        units.push((code.clone(), name, *code == unit));
    }
    let t = now(&s);
    let items = s
        .store
        .feedback_list(&unit)
        .await?
        .into_iter()
        .map(|f| {
            let (state, late) = match f.answered_at {
                Some(a) if a <= f.due_at => ("Đã trả lời đúng hạn", false),
                Some(_) => ("Đã trả lời quá hạn", true),
                None if t > f.due_at => ("Quá hạn, chưa trả lời", true),
                None => ("Chờ trả lời", false),
            };
            FeedbackView {
                id: f.id,
                at: motcua_domain::calendar::format_vn(f.at),
                due: motcua_domain::calendar::format_vn(f.due_at),
                name: f.name,
                contact: f.contact,
                content: f.content,
                dossier: f.dossier_code,
                state,
                late,
                answer: f.answer,
                answered: f
                    .answered_at
                    .map(motcua_domain::calendar::format_vn)
                    .unwrap_or_default(),
            }
        })
        .collect();
    render(&FeedbackListPage {
        may_answer: idx::may_answer_feedback(&user.roles),
        unit,
        unit_name,
        units,
        items,
        c,
    })
}

pub(super) async fn feedback_answer(
    c: Ctx,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    req: Request,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in("/can-bo/phan-anh"));
    };
    let lang = c.lang;
    let f = form(&s, lang, req).await?;
    let unit = field(&f, "unit").to_string();
    if !user.sees_unit(&unit) || !idx::may_answer_feedback(&user.roles) {
        return Err(forbidden(lang));
    }
    s.store
        .answer_feedback(&unit, id, field(&f, "answer"), &user.username, now(&s))
        .await?;
    Ok(Redirect::to(&format!("/can-bo/phan-anh?unit={}", url_encode(&unit))).into_response())
}
