//! How a declaration question is drawn, online and at the counter alike:
//! the input kind, a date's three boxes, the radio choices.

use motcua_domain::declaration::{Field, Kind};

/// The input of one question with its current answer.
pub struct Widget {
    /// "text", "tel", "email", "number", "numeric", "date3" or "radios".
    pub kind: &'static str,
    /// A date's boxes: day, month, year.
    pub parts: (String, String, String),
    /// Radio choices: (value, label, chosen).
    pub options: Vec<(String, String, bool)>,
}

/// A stored or typed date (`YYYY-MM-DD` or `d/m/y`) as its three boxes.
fn boxes(value: &str) -> (String, String, String) {
    match value.split('-').collect::<Vec<_>>().as_slice() {
        [y, m, d] => (d.to_string(), m.to_string(), y.to_string()),
        _ => match value.split('/').collect::<Vec<_>>().as_slice() {
            [d, m, y] => (d.to_string(), m.to_string(), y.to_string()),
            _ => Default::default(),
        },
    }
}

/// A date's three boxes as one answer (`d/m/y`), or nothing when all are empty.
pub fn joined(part: impl Fn(&str) -> String) -> Option<String> {
    let (d, m, y) = (part("day"), part("month"), part("year"));
    (!d.is_empty() || !m.is_empty() || !y.is_empty()).then(|| format!("{d}/{m}/{y}"))
}

pub fn widget(f: &Field, value: &str) -> Widget {
    let mut w = Widget {
        kind: "text",
        parts: Default::default(),
        options: Vec::new(),
    };
    let radios = |pairs: Vec<(String, String)>| -> Vec<(String, String, bool)> {
        pairs
            .into_iter()
            .map(|(v, l)| {
                let chosen = v == value;
                (v, l, chosen)
            })
            .collect()
    };
    match &f.kind {
        Kind::Date { .. } => {
            w.kind = "date3";
            w.parts = boxes(value);
        }
        Kind::Choice { options } => {
            w.kind = "radios";
            w.options = radios(
                options
                    .iter()
                    .map(|o| (o.value.clone(), o.label.clone()))
                    .collect(),
            );
        }
        Kind::YesNo => {
            w.kind = "radios";
            w.options = radios(vec![
                ("co".into(), "Có".into()),
                ("khong".into(), "Không".into()),
            ]);
        }
        Kind::Phone => w.kind = "tel",
        Kind::Email => w.kind = "email",
        Kind::Count { .. } => w.kind = "number",
        Kind::IdNumber { .. } => w.kind = "numeric",
        Kind::Text | Kind::LongText | Kind::Name | Kind::Address => {}
    }
    w
}
