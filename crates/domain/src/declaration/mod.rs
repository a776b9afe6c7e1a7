//! A procedure's own declaration (tờ khai) as data: sections of questions
//! with their type, whether they are required or asked only under a
//! condition, help text, and where an answer can be filled from (the
//! applicant's details, the chip ID card). It lives in the catalog entry, so
//! it is versioned with the catalog: a dossier is read with the declaration
//! of the version it was received under.
//!
//! The same declaration drives the citizen's questions online (one per
//! page), the officer's screen at the counter, the validation of the API,
//! the JSON Schema the API publishes, the printed declaration and the fee
//! (`crate::fees`). The format is documented in README ("Declarations").

mod answer;
mod schema;

pub use answer::*;
pub use schema::json_schema;

use crate::Problem;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// A procedure's declaration.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Declaration {
    /// As printed: "TỜ KHAI ĐĂNG KÝ KHAI SINH".
    pub title: String,
    /// The legal template it follows, with its source.
    pub template: String,
    /// Checked against the template, or still to verify (said on screen).
    #[serde(default)]
    pub verified: crate::catalog::Verification,
    /// What could not be verified, in plain words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The catalog document this declaration stands for (default: the first
    /// whose code starts with "to-khai").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    pub sections: Vec<Section>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub title: String,
    /// The whole section is asked only when this holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Condition>,
    /// The questions: `{key, label, type, hint?, required?, when?, prefill?}`
    /// and the parameters of the type (README, "Declarations").
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub fields: Vec<Field>,
}

/// One question. Written in the catalog as one flat object (`type` and the
/// parameters of that type beside the key and label); an unknown field or a
/// parameter of another type is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawField", into = "RawField")]
pub struct Field {
    /// Unique in the declaration: letters, digits and '_' ("child_name").
    pub key: String,
    /// The question as asked and printed.
    pub label: String,
    pub hint: Option<String>,
    pub kind: Kind,
    pub required: bool,
    /// Asked only when this holds.
    pub when: Option<Condition>,
    /// Where the answer can be filled from.
    pub prefill: Option<Prefill>,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// A question as written in the file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    key: String,
    label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hint: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    when: Option<Condition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prefill: Option<Prefill>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    options: Option<Vec<Choice>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    past: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    birth_field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max: Option<u32>,
}

impl TryFrom<RawField> for Field {
    type Error = String;
    fn try_from(r: RawField) -> Result<Self, String> {
        let stray = |name: &str, present: bool| {
            if present {
                Err(format!(
                    "\"{name}\" không dùng cho câu hỏi loại \"{}\"",
                    r.kind
                ))
            } else {
                Ok(())
            }
        };
        let kind = match r.kind.as_str() {
            "choice" => Kind::Choice {
                options: r
                    .options
                    .clone()
                    .ok_or("câu hỏi lựa chọn cần \"options\"")?,
            },
            "count" => Kind::Count {
                min: r.min.unwrap_or(0),
                max: r.max.ok_or("câu hỏi số lượng cần \"max\"")?,
            },
            "date" => Kind::Date {
                past: r.past.unwrap_or(false),
            },
            "id_number" => Kind::IdNumber {
                birth_field: r.birth_field.clone(),
            },
            "text" => Kind::Text,
            "long_text" => Kind::LongText,
            "name" => Kind::Name,
            "phone" => Kind::Phone,
            "email" => Kind::Email,
            "address" => Kind::Address,
            "yes_no" => Kind::YesNo,
            other => return Err(format!("loại câu hỏi \"{other}\" không có")),
        };
        stray(
            "options",
            r.options.is_some() && !matches!(kind, Kind::Choice { .. }),
        )?;
        stray(
            "past",
            r.past.is_some() && !matches!(kind, Kind::Date { .. }),
        )?;
        stray(
            "birth_field",
            r.birth_field.is_some() && !matches!(kind, Kind::IdNumber { .. }),
        )?;
        stray(
            "min/max",
            (r.min.is_some() || r.max.is_some()) && !matches!(kind, Kind::Count { .. }),
        )?;
        Ok(Field {
            key: r.key,
            label: r.label,
            hint: r.hint,
            kind,
            required: r.required,
            when: r.when,
            prefill: r.prefill,
        })
    }
}

impl From<Field> for RawField {
    fn from(f: Field) -> RawField {
        let mut r = RawField {
            key: f.key,
            label: f.label,
            hint: f.hint,
            kind: String::new(),
            required: f.required,
            when: f.when,
            prefill: f.prefill,
            options: None,
            past: None,
            birth_field: None,
            min: None,
            max: None,
        };
        r.kind = match f.kind {
            Kind::Text => "text",
            Kind::LongText => "long_text",
            Kind::Name => "name",
            Kind::Date { past } => {
                r.past = past.then_some(true);
                "date"
            }
            Kind::IdNumber { birth_field } => {
                r.birth_field = birth_field;
                "id_number"
            }
            Kind::Phone => "phone",
            Kind::Email => "email",
            Kind::Address => "address",
            Kind::Choice { options } => {
                r.options = Some(options);
                "choice"
            }
            Kind::YesNo => "yes_no",
            Kind::Count { min, max } => {
                r.min = Some(min);
                r.max = Some(max);
                "count"
            }
        }
        .to_string();
        r
    }
}

/// What kind of answer a question takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A line of text (at most 200 characters).
    Text,
    /// Several lines (at most 2000 characters).
    LongText,
    /// A person's full name: letters only.
    Name,
    /// A day, in three boxes; `past`: not after today.
    Date {
        past: bool,
    },
    /// A 12-digit personal number, checked as the kiosk checks it; against
    /// the date of birth given in `birth_field` when there is one.
    IdNumber {
        birth_field: Option<String>,
    },
    /// A Vietnamese phone number.
    Phone,
    Email,
    /// An address (5 to 300 characters).
    Address,
    /// One of a list.
    Choice {
        options: Vec<Choice>,
    },
    /// Yes or no.
    YesNo,
    /// A whole number (pages, copies…).
    Count {
        min: u32,
        max: u32,
    },
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// When a question (or section) is asked: another answer equals one of these values.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub field: String,
    pub is: Vec<String>,
}

/// Where an answer can come from. VNeID and the population database are
/// the next sources; they are added here when they are connected.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prefill {
    ApplicantFullName,
    ApplicantIdNumber,
    ApplicantDateOfBirth,
    ApplicantPhone,
    ApplicantEmail,
    ApplicantAddress,
    /// The sex printed on the chip ID card ("nam" / "nu").
    CardSex,
}

fn bad(field: String, message: String) -> Problem {
    Problem::invalid("bad_declaration", field, message)
}

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 40
        && k.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl Declaration {
    /// Every text in NFC, as typed text is compared and printed.
    pub fn normalized(mut self) -> Self {
        let nfc = crate::text::nfc;
        self.title = nfc(&self.title);
        self.template = nfc(&self.template);
        self.note = self.note.as_deref().map(nfc);
        for s in &mut self.sections {
            s.title = nfc(&s.title);
            for f in &mut s.fields {
                f.label = nfc(&f.label);
                f.hint = f.hint.as_deref().map(nfc);
                if let Kind::Choice { options } = &mut f.kind {
                    for o in options {
                        o.label = nfc(&o.label);
                    }
                }
            }
        }
        self
    }

    /// Every question, in order, with its section's condition.
    pub fn fields(&self) -> impl Iterator<Item = (&Section, &Field)> {
        self.sections
            .iter()
            .flat_map(|s| s.fields.iter().map(move |f| (s, f)))
    }

    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields().map(|(_, f)| f).find(|f| f.key == key)
    }

    /// Whether the declaration is well made: keys unique and well formed,
    /// conditions naming an earlier question and one of its values, choices
    /// with options, counts with a sensible range. `at` prefixes the paths.
    pub fn check(&self, at: &str) -> Result<(), Problem> {
        if self.title.trim().is_empty() || self.template.trim().is_empty() {
            return Err(bad(
                format!("{at}.title"),
                "Tờ khai cần tiêu đề và mẫu căn cứ (template)".into(),
            ));
        }
        if self.sections.is_empty() {
            return Err(bad(
                format!("{at}.sections"),
                "Tờ khai cần ít nhất một phần".into(),
            ));
        }
        let mut seen: Vec<&Field> = Vec::new();
        let mut keys = HashSet::new();
        for (si, s) in self.sections.iter().enumerate() {
            let sat = format!("{at}.sections[{si}]");
            if let Some(c) = &s.when {
                check_condition(c, &seen, &format!("{sat}.when"))?;
            }
            if s.fields.is_empty() {
                return Err(bad(
                    format!("{sat}.fields"),
                    format!("Phần \"{}\" không có câu hỏi nào", s.title),
                ));
            }
            for (fi, f) in s.fields.iter().enumerate() {
                let fat = format!("{sat}.fields[{fi}]");
                if !valid_key(&f.key) {
                    return Err(bad(
                        format!("{fat}.key"),
                        format!(
                            "Mã câu hỏi \"{}\" chỉ gồm chữ thường không dấu, số và \"_\"",
                            f.key
                        ),
                    ));
                }
                if !keys.insert(f.key.as_str()) {
                    return Err(bad(
                        format!("{fat}.key"),
                        format!("Mã câu hỏi \"{}\" bị trùng", f.key),
                    ));
                }
                if f.label.trim().is_empty() {
                    return Err(bad(format!("{fat}.label"), "Câu hỏi trống".into()));
                }
                if let Some(c) = &f.when {
                    check_condition(c, &seen, &format!("{fat}.when"))?;
                }
                match &f.kind {
                    Kind::Choice { options } if options.is_empty() => {
                        return Err(bad(
                            format!("{fat}.options"),
                            format!("Câu hỏi \"{}\" không có lựa chọn nào", f.key),
                        ));
                    }
                    Kind::Count { min, max } if min > max => {
                        return Err(bad(
                            format!("{fat}.max"),
                            format!("Câu hỏi \"{}\": max nhỏ hơn min", f.key),
                        ));
                    }
                    Kind::IdNumber {
                        birth_field: Some(b),
                    } if !seen
                        .iter()
                        .any(|p| &p.key == b && matches!(p.kind, Kind::Date { .. })) =>
                    {
                        return Err(bad(
                            format!("{fat}.birth_field"),
                            format!("\"{b}\" không phải câu hỏi ngày sinh đứng trước"),
                        ));
                    }
                    _ => {}
                }
                seen.push(f);
            }
        }
        Ok(())
    }
}

fn check_condition(c: &Condition, seen: &[&Field], at: &str) -> Result<(), Problem> {
    let Some(f) = seen.iter().find(|f| f.key == c.field) else {
        return Err(bad(
            format!("{at}.field"),
            format!(
                "Điều kiện nhắc tới \"{}\", không phải câu hỏi đứng trước",
                c.field
            ),
        ));
    };
    let allowed: Vec<&str> = match &f.kind {
        Kind::Choice { options } => options.iter().map(|o| o.value.as_str()).collect(),
        Kind::YesNo => vec!["co", "khong"],
        _ => {
            return Err(bad(
                format!("{at}.field"),
                format!(
                    "Điều kiện chỉ dựa vào câu hỏi lựa chọn; \"{}\" thì không",
                    c.field
                ),
            ));
        }
    };
    match c.is.iter().find(|v| !allowed.contains(&v.as_str())) {
        Some(v) => Err(bad(
            format!("{at}.is"),
            format!("\"{v}\" không phải lựa chọn của \"{}\"", c.field),
        )),
        None if c.is.is_empty() => Err(bad(
            format!("{at}.is"),
            "Điều kiện cần ít nhất một giá trị".into(),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
