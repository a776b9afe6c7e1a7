//! The procedure's declaration in the online flow: one question per page
//! (a date in three boxes, choices as radios), questions asked only when an
//! earlier answer calls for them, the answers on the check page with the fee
//! before submitting. The rules are the declaration's (`motcua_domain::declaration`).

use super::*;
use motcua_domain::declaration::{Answers, Declaration, Field, check_answer, shown};

/// The step of a declaration question.
pub(super) const PREFIX: &str = "to-khai-";

/// The declaration's answers kept in the draft.
pub(super) fn answers(d: &Draft) -> Answers {
    d.data
        .get("declaration")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// The questions asked now, as steps.
pub(super) fn steps(p: &Procedure, d: &Draft) -> Vec<String> {
    let Some(decl) = &p.declaration else {
        return Vec::new();
    };
    let a = answers(d);
    decl.asked(&a)
        .map(|f| format!("{PREFIX}{}", f.key))
        .collect()
}

/// Whether a document is asked as a file: not the paper declaration when
/// the declaration is answered here.
pub(super) fn asks_document(p: &Procedure, code: &str) -> bool {
    p.declaration_document().is_none_or(|d| d.code != code)
}

/// The applicant as typed so far, for filling the declaration's questions.
fn applicant(d: &Draft) -> Option<motcua_domain::dossier::Applicant> {
    let email = text(d, "email");
    ApplicantInput {
        full_name: text(d, "full_name"),
        id_number: text(d, "id_number"),
        date_of_birth: text(d, "date_of_birth"),
        phone: text(d, "phone"),
        email: (!email.is_empty()).then_some(email),
        address: text(d, "address"),
    }
    .validate(time::Date::MAX)
    .ok()
}

fn question_of<'a>(p: &'a Procedure, step: &str) -> Option<(&'a Declaration, &'a Field)> {
    let key = step.strip_prefix(PREFIX)?;
    let decl = p.declaration.as_ref()?;
    Some((decl, decl.field(key)?))
}

/// The section a question belongs to, for the caption.
fn section_of(decl: &Declaration, key: &str) -> String {
    decl.sections
        .iter()
        .find(|s| s.fields.iter().any(|f| f.key == key))
        .map(|s| s.title.clone())
        .unwrap_or_default()
}

/// What a question page shows for a declaration question.
pub(super) struct Asked {
    pub(super) caption: String,
    pub(super) label: String,
    pub(super) hint: String,
    pub(super) kind: &'static str,
    pub(super) value: String,
    pub(super) parts: (String, String, String),
    pub(super) options: Vec<(String, String, bool)>,
    pub(super) optional: bool,
}

/// The page of a declaration question: the stored answer, else what the
/// applicant's details fill in.
pub(super) fn asked(p: &Procedure, d: &Draft, step: &str, typed: Option<&str>) -> Option<Asked> {
    let (decl, f) = question_of(p, step)?;
    let stored = answers(d).get(&f.key).cloned();
    let value = typed.map(str::to_string).or(stored).unwrap_or_else(|| {
        applicant(d)
            .map(|a| decl.prefill(&a, None))
            .and_then(|m| m.get(&f.key).cloned())
            .unwrap_or_default()
    });
    let mut out = Asked {
        caption: format!("{} · {}", decl.title, section_of(decl, &f.key)),
        label: f.label.clone(),
        hint: f.hint.clone().unwrap_or_default(),
        kind: "text",
        value: value.clone(),
        parts: Default::default(),
        options: Vec::new(),
        optional: !f.required,
    };
    let w = crate::pages::widget::widget(f, &value);
    out.kind = w.kind;
    out.parts = w.parts;
    out.options = w.options;
    if w.kind == "date3" && out.hint.is_empty() {
        out.hint = "Ví dụ: 27 3 2026".into();
    }
    Some(out)
}

/// The answer posted for a declaration question, as one text (a date's
/// three boxes joined as d/m/y).
pub(super) fn posted(form: &HashMap<String, String>) -> String {
    let part = |k: &str| form.get(k).map(|v| v.trim()).unwrap_or("").to_string();
    if let Some(date) = crate::pages::widget::joined(|x| part(&format!("answer-{x}"))) {
        return date;
    }
    part("answer")
}

/// Keep the answer to a declaration question in the draft, or say what is wrong.
pub(super) fn take(
    p: &Procedure,
    draft: &mut Draft,
    step: &str,
    raw: &str,
    today: time::Date,
) -> Result<(), Problem> {
    let Some((_, f)) = question_of(p, step) else {
        return Err(Problem::not_found("not_found", "Không có bước này"));
    };
    let current = answers(draft);
    let value = if raw.trim().is_empty() || raw == "//" {
        if f.required {
            return Err(Problem::invalid(
                "answer_required",
                format!("fields.{}", f.key),
                format!("Cần trả lời: {}", f.label),
            ));
        }
        None
    } else {
        Some(check_answer(f, raw, &current, today)?)
    };
    let data = draft
        .data
        .as_object_mut()
        .ok_or_else(|| Problem::conflict("bad_draft", "Phiên nộp hồ sơ hỏng"))?;
    let slot = data.entry("declaration").or_insert_with(|| json!({}));
    if let Some(m) = slot.as_object_mut() {
        match value {
            Some(v) => m.insert(f.key.clone(), Value::String(v)),
            None => m.remove(&f.key),
        };
    }
    Ok(())
}

/// The declaration's rows on the check page: (question, answer, step).
pub(super) fn check_rows(p: &Procedure, d: &Draft) -> Vec<(String, String, String)> {
    let Some(decl) = &p.declaration else {
        return Vec::new();
    };
    let a = answers(d);
    decl.asked(&a)
        .map(|f| {
            let v = a.get(&f.key).map(String::as_str).unwrap_or("");
            (f.label.clone(), shown(f, v), format!("{PREFIX}{}", f.key))
        })
        .collect()
}

/// The fee before submitting, in words (the online price).
pub(super) fn fee_row(p: &Procedure, d: &Draft) -> String {
    crate::pages::quote_words(p, &answers(d), true)
}
