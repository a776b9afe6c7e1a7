//! A province's figures, scored with the ranking's arithmetic: the counts
//! per unit and indicator as the portal shows them in, the points of each
//! indicator and the total out, so a province can check its published
//! scores (`motcua index score FILE`, `POST /api/v1/index/score`).
//!
//! ```json
//! {"units":[{"code":"30112","name":"Xã Mỹ Hiệp",
//!   "indicators":{"2.1":{"numerator":2348,"denominator":2971}}}]}
//! ```
//!
//! A malformed file is refused whole, naming the line, the column and the
//! field at fault.

use super::indicators::{Definition, Scorecard, Value, Values, definition, score};
use crate::Problem;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// One unit's figures as read.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct UnitIn {
    code: String,
    #[serde(default)]
    name: Option<String>,
    indicators: Indicators,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileIn {
    units: Vec<UnitIn>,
}

/// Numerator and denominator of one indicator: whole numbers, the
/// numerator not above the denominator.
#[derive(Debug, Clone, Copy)]
struct Pair {
    numerator: i64,
    denominator: i64,
}

impl<'de> Deserialize<'de> for Pair {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            numerator: u32,
            denominator: u32,
        }
        let r = Raw::deserialize(d)?;
        if r.numerator > r.denominator {
            return Err(de::Error::custom(format!(
                "tử số {} lớn hơn mẫu số {} (numerator above denominator)",
                r.numerator, r.denominator
            )));
        }
        Ok(Pair {
            numerator: i64::from(r.numerator),
            denominator: i64::from(r.denominator),
        })
    }
}

/// The indicators of a unit, by the portal's codes; an unknown code is refused.
#[derive(Debug, Clone, Default)]
struct Indicators(BTreeMap<&'static str, Pair>);

impl<'de> Deserialize<'de> for Indicators {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Indicators;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of indicator codes")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Indicators, A::Error> {
                let mut out = BTreeMap::new();
                while let Some(code) = map.next_key::<String>()? {
                    let def: &'static Definition = definition(&code).ok_or_else(|| {
                        de::Error::custom(format!(
                            "không có chỉ số \"{code}\" (unknown indicator code)"
                        ))
                    })?;
                    let pair: Pair = map.next_value()?;
                    if out.insert(def.code, pair).is_some() {
                        return Err(de::Error::custom(format!(
                            "chỉ số \"{code}\" có hai lần (indicator given twice)"
                        )));
                    }
                }
                Ok(Indicators(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// A unit's figures and their scores.
#[derive(Debug, Clone)]
pub struct ScoredUnit {
    pub code: String,
    pub name: Option<String>,
    /// The codes the file gave, in the portal's order.
    pub given: Vec<&'static str>,
    pub card: Scorecard,
}

/// Read a file of figures and score each unit.
pub fn score_file(text: &str) -> Result<Vec<ScoredUnit>, Problem> {
    let file: FileIn = serde_json::from_str(text).map_err(|e| {
        Problem::invalid(
            "bad_index_file",
            format!("dòng {}, cột {}", e.line(), e.column()),
            format!(
                "Tệp số liệu không hợp lệ ở dòng {}, cột {}: {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    Ok(file
        .units
        .into_iter()
        .map(|u| {
            let values: Values = u
                .indicators
                .0
                .iter()
                .map(|(code, p)| {
                    (
                        *code,
                        Value::Ratio {
                            numerator: p.numerator,
                            denominator: p.denominator,
                        },
                    )
                })
                .collect();
            let card = score(&values);
            let given = card
                .indicators
                .iter()
                .map(|i| i.code)
                .filter(|c| values.contains_key(c))
                .collect();
            ScoredUnit {
                code: u.code,
                name: u.name,
                given,
                card,
            }
        })
        .collect())
}

/// Points as the portal publishes them: a number with two decimals.
fn published(x100: i64) -> f64 {
    x100 as f64 / 100.0
}

#[derive(Debug, Serialize)]
pub struct PointsOut {
    pub points: f64,
    pub max: f64,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
pub struct UnitOut {
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Points and maximum of each indicator the file gave, by code.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub indicators: BTreeMap<&'static str, PointsOut>,
    /// The sum of every indicator's points (those not given score 0).
    pub total: f64,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
pub struct FileOut {
    pub units: Vec<UnitOut>,
}

/// The scores as JSON: `{"units":[{"code","indicators":{"2.1":{"points","max"}},"total"}]}`.
pub fn to_output(units: &[ScoredUnit]) -> FileOut {
    FileOut {
        units: units
            .iter()
            .map(|u| UnitOut {
                code: u.code.clone(),
                name: u.name.clone(),
                indicators: u
                    .card
                    .indicators
                    .iter()
                    .filter(|i| u.given.contains(&i.code))
                    .map(|i| {
                        (
                            i.code,
                            PointsOut {
                                points: published(i.points_x100),
                                max: published(i.max_x100),
                            },
                        )
                    })
                    .collect(),
                total: published(u.card.total_x100),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_published_unit_is_scored_as_the_portal_did() {
        let text = r#"{"units":[{"code":"30112","name":"Xã Mỹ Hiệp","indicators":{
            "2.1":{"numerator":2348,"denominator":2971},
            "3.3":{"numerator":1,"denominator":4},
            "5.2":{"numerator":0,"denominator":0}}}]}"#;
        let units = score_file(text).expect("scored");
        let out = serde_json::to_value(to_output(&units)).expect("json");
        let u = &out["units"][0];
        assert_eq!(u["indicators"]["2.1"]["points"], 15.81);
        assert_eq!(u["indicators"]["2.1"]["max"], 20.0);
        // 25 % of the 50 % target: 6 × 25/50 = 3.
        assert_eq!(u["indicators"]["3.3"]["points"], 3.0);
        assert_eq!(u["indicators"]["5.2"]["points"], 6.0);
        assert_eq!(u["total"], 24.81);
        assert!(u["indicators"].get("1.1").is_none());
    }

    #[test]
    fn a_malformed_file_names_its_line_and_field() {
        for (text, line, words) in [
            (
                "{\"units\":[\n{\"code\":\"1\",\"indicators\":{\"9.9\":{}}}]}",
                2,
                "9.9",
            ),
            (
                "{\"units\":[{\"code\":\"1\",\"indicators\":{\n\"2.1\":{\"numerator\":5,\"denominator\":4}}}]}",
                2,
                "numerator above denominator",
            ),
            (
                "{\"units\":[{\"code\":\"1\",\n\"indicators\":{\"2.1\":{\"numerator\":-1,\"denominator\":4}}}]}",
                2,
                "-1",
            ),
            ("{\"units\":[{\"code\":\"1\"}]}", 1, "indicators"),
            ("{\"unit\":[]}", 1, "unit"),
            ("not json", 1, "expected"),
        ] {
            let e = score_file(text).expect_err(text);
            assert_eq!(e.code, "bad_index_file");
            let field = e.field.clone().unwrap_or_default();
            assert!(
                field.starts_with(&format!("dòng {line},")),
                "{text}: {field}"
            );
            assert!(e.message.contains(words), "{text}: {}", e.message);
        }
    }
}
