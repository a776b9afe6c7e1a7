//! The procedure's declaration at the counter: every question on the one
//! intake screen (the citizen does not write; the officer types, the card
//! fills what it can), checked by the declaration's rules when received.

use super::*;
use motcua_domain::declaration::{Answers, Kind};

/// One question on the intake screen.
pub(super) struct DeclInput {
    pub(super) id: String,
    pub(super) label: String,
    pub(super) hint: String,
    /// "text", "tel", "email", "number", "numeric", "date3" or "radios".
    pub(super) kind: &'static str,
    pub(super) value: String,
    pub(super) parts: (String, String, String),
    pub(super) options: Vec<(String, String, bool)>,
    pub(super) optional: bool,
    pub(super) error: Option<String>,
}

/// A section of questions, with when it applies.
pub(super) struct DeclSection {
    pub(super) title: String,
    pub(super) when: String,
    pub(super) fields: Vec<DeclInput>,
}

/// The answers as typed on the intake form (`d:<key>`, a date in three boxes).
pub(super) fn typed(form: &crate::pages::form::Posted, p: &Procedure) -> Answers {
    let Some(decl) = &p.declaration else {
        return Answers::new();
    };
    let mut out = Answers::new();
    for (_, f) in decl.fields() {
        let name = format!("d:{}", f.key);
        let value = if matches!(f.kind, Kind::Date { .. }) {
            crate::pages::widget::joined(|x| form.get(&format!("{name}-{x}")).trim().to_string())
                .unwrap_or_default()
        } else {
            form.get(&name).trim().to_string()
        };
        if !value.is_empty() {
            out.insert(f.key.clone(), value);
        }
    }
    out
}

fn condition_words(
    decl: &motcua_domain::declaration::Declaration,
    c: &Option<motcua_domain::declaration::Condition>,
) -> String {
    let Some(c) = c else {
        return String::new();
    };
    let Some(f) = decl.field(&c.field) else {
        return String::new();
    };
    let values: Vec<String> =
        c.is.iter()
            .map(|v| motcua_domain::declaration::shown(f, v))
            .collect();
    format!("Chỉ điền khi \"{}\" là: {}", f.label, values.join(", "))
}

/// The declaration's questions for the intake screen, with what was typed
/// (or what the applicant's details fill) and the errors of each.
pub(super) fn inputs(
    p: &Procedure,
    answers: &Answers,
    applicant: Option<&motcua_domain::dossier::Applicant>,
    errors: &[Problem],
) -> Vec<DeclSection> {
    let Some(decl) = &p.declaration else {
        return Vec::new();
    };
    let filled = applicant.map(|a| decl.prefill(a, None)).unwrap_or_default();
    decl.sections
        .iter()
        .map(|s| DeclSection {
            title: s.title.clone(),
            when: condition_words(decl, &s.when),
            fields: s
                .fields
                .iter()
                .map(|f| {
                    let value = answers
                        .get(&f.key)
                        .or_else(|| filled.get(&f.key))
                        .cloned()
                        .unwrap_or_default();
                    let error = errors
                        .iter()
                        .find(|e| e.field.as_deref() == Some(&format!("fields.{}", f.key)))
                        .map(|e| e.message.clone());
                    let mut hint = f.hint.clone().unwrap_or_default();
                    let when = condition_words(decl, &f.when);
                    if !when.is_empty() {
                        hint = if hint.is_empty() {
                            when
                        } else {
                            format!("{hint}. {when}")
                        };
                    }
                    let mut input = DeclInput {
                        id: format!("d-{}", f.key),
                        label: f.label.clone(),
                        hint,
                        kind: "text",
                        value: value.clone(),
                        parts: Default::default(),
                        options: Vec::new(),
                        optional: !f.required || f.when.is_some() || s.when.is_some(),
                        error,
                    };
                    let w = crate::pages::widget::widget(f, &value);
                    input.kind = w.kind;
                    input.parts = w.parts;
                    input.options = w.options;
                    input
                })
                .collect(),
        })
        .collect()
}

/// Check the typed answers by the declaration's rules: every problem, each
/// with its path `fields.<key>`. No answer at all: the declaration is the
/// paper form among the documents.
pub(super) fn check(
    p: &Procedure,
    answers: &Answers,
    today: time::Date,
) -> Result<Answers, Vec<Problem>> {
    match &p.declaration {
        Some(decl) if !answers.is_empty() => decl.validate(answers, today),
        _ => Ok(Answers::new()),
    }
}
