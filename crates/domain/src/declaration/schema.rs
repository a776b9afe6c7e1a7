//! A declaration as JSON Schema (draft 2020-12), for the API: every answer
//! is a string (dates `YYYY-MM-DD`, choices by value, yes/no `co`/`khong`,
//! counts in digits); conditional questions are `if`/`then` rules. The
//! server checks more than the schema can say (a day that does not exist,
//! the personal number against the birth date) with the same messages as
//! the pages.

use super::{Condition, Declaration, Field, Kind};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

fn property(f: &Field) -> Value {
    let mut p = Map::new();
    p.insert("type".into(), json!("string"));
    p.insert("title".into(), json!(f.label));
    if let Some(h) = &f.hint {
        p.insert("description".into(), json!(h));
    }
    match &f.kind {
        Kind::Text | Kind::Address => {
            p.insert("maxLength".into(), json!(300));
        }
        Kind::LongText => {
            p.insert("maxLength".into(), json!(2000));
        }
        Kind::Name => {
            p.insert("maxLength".into(), json!(100));
        }
        Kind::Date { .. } => {
            p.insert("format".into(), json!("date"));
        }
        Kind::IdNumber { .. } => {
            p.insert("pattern".into(), json!("^[0-9]{12}$"));
        }
        Kind::Phone => {
            p.insert("pattern".into(), json!("^(\\+84|0)[0-9 .]{9,12}$"));
        }
        Kind::Email => {
            p.insert("format".into(), json!("email"));
        }
        Kind::Choice { options } => {
            p.insert(
                "enum".into(),
                Value::Array(options.iter().map(|o| json!(o.value)).collect()),
            );
        }
        Kind::YesNo => {
            p.insert("enum".into(), json!(["co", "khong"]));
        }
        Kind::Count { min, max } => {
            p.insert("pattern".into(), json!("^[0-9]+$"));
            p.insert("x-minimum".into(), json!(min));
            p.insert("x-maximum".into(), json!(max));
        }
    }
    Value::Object(p)
}

fn condition(c: &Condition) -> Value {
    json!({
        "properties": { c.field.clone(): { "enum": c.is } },
        "required": [c.field]
    })
}

/// The JSON Schema of a declaration's answers.
pub fn json_schema(d: &Declaration) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    // Questions required under a condition, grouped by their conditions.
    let mut conditional: BTreeMap<String, (Vec<Value>, Vec<String>)> = BTreeMap::new();
    for (s, f) in d.fields() {
        properties.insert(f.key.clone(), property(f));
        if !f.required {
            continue;
        }
        let conds: Vec<Value> = [&s.when, &f.when]
            .into_iter()
            .flatten()
            .map(condition)
            .collect();
        if conds.is_empty() {
            required.push(f.key.clone());
        } else {
            let entry = conditional
                .entry(Value::Array(conds.clone()).to_string())
                .or_insert((conds, Vec::new()));
            entry.1.push(f.key.clone());
        }
    }
    let all_of: Vec<Value> = conditional
        .into_values()
        .map(|(conds, keys)| {
            let cond = if conds.len() == 1 {
                conds.into_iter().next().unwrap_or(Value::Null)
            } else {
                json!({ "allOf": conds })
            };
            json!({ "if": cond, "then": { "required": keys } })
        })
        .collect();
    let mut out = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": d.title,
        "description": d.template,
        "type": "object",
        "additionalProperties": false,
        "properties": properties,
        "required": required,
    });
    if !all_of.is_empty()
        && let Some(o) = out.as_object_mut()
    {
        o.insert("allOf".into(), Value::Array(all_of));
    }
    out
}
