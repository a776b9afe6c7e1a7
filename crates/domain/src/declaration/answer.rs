//! Answers to a declaration: which questions are asked given the answers so
//! far, each answer checked with a message that names the real problem, the
//! whole set validated, filled from the applicant, and shown as answered.

use super::{Declaration, Field, Kind, Prefill};
use crate::Problem;
use crate::calendar::Date;
use crate::dossier::Applicant;
use std::collections::BTreeMap;

/// Answers by question key, as stored with the dossier: text as typed
/// (NFC), dates `YYYY-MM-DD`, choices by value, yes/no as `co`/`khong`.
pub type Answers = BTreeMap<String, String>;

/// The answers a dossier's stored fields hold (none when they are not an
/// object of texts: a paper declaration).
pub fn answers_of(fields: &serde_json::Value) -> Answers {
    fields
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn err(code: &'static str, key: &str, message: impl Into<String>) -> Problem {
    Problem::invalid(code, format!("fields.{key}"), message)
}

fn holds(c: &Option<super::Condition>, answers: &Answers) -> bool {
    c.as_ref().is_none_or(|c| {
        answers
            .get(&c.field)
            .is_some_and(|v| c.is.iter().any(|x| x == v))
    })
}

impl Declaration {
    /// Whether `field` is asked, given the answers so far.
    pub fn is_asked(&self, key: &str, answers: &Answers) -> bool {
        self.fields()
            .find(|(_, f)| f.key == key)
            .is_some_and(|(s, f)| holds(&s.when, answers) && holds(&f.when, answers))
    }

    /// The questions asked, in order, given the answers so far.
    pub fn asked<'a>(&'a self, answers: &'a Answers) -> impl Iterator<Item = &'a Field> + 'a {
        self.fields()
            .filter(|(s, f)| holds(&s.when, answers) && holds(&f.when, answers))
            .map(|(_, f)| f)
    }

    /// Check every answer and that every required question asked has one.
    /// Answers to questions no longer asked are dropped; an unknown key is
    /// refused. All problems are returned, in the order of the questions.
    pub fn validate(&self, given: &Answers, today: Date) -> Result<Answers, Vec<Problem>> {
        let mut problems = Vec::new();
        if let Some(k) = given.keys().find(|k| self.field(k).is_none()) {
            problems.push(err(
                "unknown_field",
                k,
                format!("Tờ khai không có câu hỏi \"{k}\""),
            ));
        }
        let mut out = Answers::new();
        for f in self.asked(given) {
            match given
                .get(&f.key)
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
            {
                Some(raw) => match check_answer(f, raw, given, today) {
                    Ok(v) => {
                        out.insert(f.key.clone(), v);
                    }
                    Err(p) => problems.push(p),
                },
                None if f.required => problems.push(err(
                    "answer_required",
                    &f.key,
                    format!("Cần trả lời: {}", f.label),
                )),
                None => {}
            }
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(problems)
        }
    }

    /// Answers filled from the applicant's details and the card's sex.
    pub fn prefill(&self, applicant: &Applicant, card_sex: Option<&str>) -> Answers {
        let mut out = Answers::new();
        for (_, f) in self.fields() {
            let value = match f.prefill {
                Some(Prefill::ApplicantFullName) => Some(applicant.full_name.clone()),
                Some(Prefill::ApplicantIdNumber) => Some(applicant.id_number.clone()),
                Some(Prefill::ApplicantDateOfBirth) => Some(applicant.date_of_birth.to_string()),
                Some(Prefill::ApplicantPhone) => Some(applicant.phone.clone()),
                Some(Prefill::ApplicantEmail) => applicant.email.clone(),
                Some(Prefill::ApplicantAddress) => Some(applicant.address.clone()),
                Some(Prefill::CardSex) => card_sex.map(str::to_string),
                None => None,
            };
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                out.insert(f.key.clone(), v);
            }
        }
        out
    }

    /// The declaration as answered, for screens and the printed form:
    /// (section title, [(question, answer as read)]) of the sections asked.
    pub fn answered(&self, answers: &Answers) -> Vec<(String, Vec<(String, String)>)> {
        self.sections
            .iter()
            .filter(|s| holds(&s.when, answers))
            .map(|s| {
                let lines = s
                    .fields
                    .iter()
                    .filter(|f| holds(&f.when, answers))
                    .map(|f| {
                        let v = answers.get(&f.key).map(String::as_str).unwrap_or("");
                        (f.label.clone(), shown(f, v))
                    })
                    .collect();
                (s.title.clone(), lines)
            })
            .collect()
    }
}

/// An answer as a person reads it: dates `dd/mm/yyyy`, choices by label.
pub fn shown(f: &Field, v: &str) -> String {
    match &f.kind {
        _ if v.is_empty() => String::new(),
        Kind::Date { .. } => parse_day(v)
            .map(|d| format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year()))
            .unwrap_or_else(|| v.to_string()),
        Kind::Choice { options } => options
            .iter()
            .find(|o| o.value == v)
            .map_or_else(|| v.to_string(), |o| o.label.clone()),
        Kind::YesNo => if v == "co" { "Có" } else { "Không" }.to_string(),
        _ => v.to_string(),
    }
}

fn parse_day(v: &str) -> Option<Date> {
    Date::parse(v, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// A day as typed: `YYYY-MM-DD`, or `d/m/yyyy` (the three boxes joined).
/// A day that does not exist is said so, not called a format error.
fn date(key: &str, label: &str, raw: &str) -> Result<Date, Problem> {
    let parts: Option<(i32, u8, u8)> = if let Some((y, rest)) = raw.split_once('-') {
        rest.split_once('-')
            .and_then(|(m, d)| Some((y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)))
    } else {
        let mut it = raw.split('/');
        match (it.next(), it.next(), it.next(), it.next()) {
            (Some(d), Some(m), Some(y), None) => (|| {
                Some((
                    y.trim().parse().ok()?,
                    m.trim().parse().ok()?,
                    d.trim().parse().ok()?,
                ))
            })(),
            _ => None,
        }
    };
    let Some((y, m, d)) = parts.filter(|(y, _, _)| (1000..=9999).contains(y)) else {
        return Err(err(
            "bad_date",
            key,
            format!("{label}: nhập ngày, tháng, năm bằng số, ví dụ 17 5 2024"),
        ));
    };
    time::Month::try_from(m)
        .ok()
        .and_then(|month| Date::from_calendar_date(y, month, d).ok())
        .ok_or_else(|| {
            err(
                "impossible_date",
                key,
                format!("{label}: ngày {d:02}/{m:02}/{y} không có thật"),
            )
        })
}

/// Check one answer; the value to keep, or what is wrong with it.
pub fn check_answer(
    f: &Field,
    raw: &str,
    answers: &Answers,
    today: Date,
) -> Result<String, Problem> {
    let key = f.key.as_str();
    let label = f.label.as_str();
    let printable = |max: usize| -> Result<String, Problem> {
        let v = crate::text::printable_text(raw).map_err(|c| {
            err(
                "unprintable",
                key,
                format!(
                    "{label}: ký tự \"{c}\" (U+{:04X}) không in được trên giấy tờ; hãy bỏ hoặc thay ký tự này",
                    u32::from(c)
                ),
            )
        })?;
        if v.chars().count() > max {
            return Err(err("too_long", key, format!("{label}: tối đa {max} ký tự")));
        }
        Ok(v)
    };
    match &f.kind {
        Kind::Text => printable(200),
        Kind::LongText => printable(2000),
        Kind::Name => {
            let v = printable(100)?;
            if v.chars().any(|c| c.is_numeric())
                || !v
                    .chars()
                    .all(|c| c.is_alphabetic() || c == ' ' || c == '\'' || c == '-')
            {
                return Err(err(
                    "bad_name",
                    key,
                    format!("{label}: họ và tên chỉ gồm chữ cái"),
                ));
            }
            if v.chars().filter(|c| c.is_alphabetic()).count() < 2 {
                return Err(err("bad_name", key, format!("{label}: quá ngắn")));
            }
            Ok(v)
        }
        Kind::Date { past } => {
            let d = date(key, label, raw.trim())?;
            if *past && d > today {
                return Err(err(
                    "future_date",
                    key,
                    format!("{label}: không được sau hôm nay"),
                ));
            }
            if d.year() < 1900 {
                return Err(err("bad_date", key, format!("{label}: năm phải từ 1900")));
            }
            Ok(d.to_string())
        }
        Kind::IdNumber { birth_field } => {
            let id: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
            let dob = birth_field
                .as_deref()
                .and_then(|b| answers.get(b))
                .and_then(|v| date(key, "", v).ok());
            crate::identity::check_personal_number(&id, dob, None)
                .map_err(|p| err(p.code, key, format!("{label}: {}", p.message)))?;
            Ok(id)
        }
        Kind::Phone => crate::dossier::normalize_phone(raw).ok_or_else(|| {
            err(
                "bad_phone",
                key,
                format!(
                    "{label}: số điện thoại di động gồm 10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09, ví dụ 0912345678"
                ),
            )
        }),
        Kind::Email => crate::dossier::field::email(Some(raw))
            .map_err(|p| err(p.code, key, format!("{label}: {}", p.message)))
            .map(Option::unwrap_or_default),
        Kind::Address => {
            let v = printable(300)?;
            if v.chars().count() < 5 {
                return Err(err(
                    "bad_address",
                    key,
                    format!("{label}: ghi rõ số nhà, thôn/ấp, xã/phường, tỉnh"),
                ));
            }
            Ok(v)
        }
        Kind::Choice { options } => options
            .iter()
            .find(|o| o.value == raw.trim())
            .map(|o| o.value.clone())
            .ok_or_else(|| {
                err(
                    "bad_choice",
                    key,
                    format!("{label}: hãy chọn một trong các lựa chọn"),
                )
            }),
        Kind::YesNo => match raw.trim() {
            "co" | "khong" => Ok(raw.trim().to_string()),
            _ => Err(err(
                "bad_choice",
                key,
                format!("{label}: hãy chọn Có hoặc Không"),
            )),
        },
        Kind::Count { min, max } => raw
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (*min..=*max).contains(n))
            .map(|n| n.to_string())
            .ok_or_else(|| {
                err(
                    "bad_count",
                    key,
                    format!("{label}: nhập một số nguyên từ {min} đến {max}"),
                )
            }),
    }
}
