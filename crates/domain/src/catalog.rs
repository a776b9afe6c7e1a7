//! The catalog of administrative procedures (thủ tục hành chính), loaded from
//! a JSON data file (see data/catalog.json and its `_format`).

use crate::Problem;
use crate::calendar::{ProcessingTime, Time};
use crate::text::{fold, nfc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(description = "Fee (lệ phí) in VND, without decimals.")
)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fee {
    Free {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    Flat {
        vnd: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        online_vnd: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    PerPage {
        first_pages: u32,
        first_vnd_per_page: u64,
        then_vnd_per_page: u64,
        max_vnd_per_copy: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    SetByProvince {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
}

impl Fee {
    /// The fee for one dossier (pages: pages of one copy), when the catalog fixes it.
    pub fn amount(&self, online: bool, pages: u32) -> Option<u64> {
        match self {
            Fee::Free { .. } => Some(0),
            Fee::Flat {
                vnd, online_vnd, ..
            } => Some(if online {
                online_vnd.unwrap_or(*vnd)
            } else {
                *vnd
            }),
            Fee::PerPage {
                first_pages,
                first_vnd_per_page,
                then_vnd_per_page,
                max_vnd_per_copy,
                ..
            } => {
                let first = u64::from(pages.min(*first_pages)) * first_vnd_per_page;
                let rest = u64::from(pages.saturating_sub(*first_pages)) * then_vnd_per_page;
                Some((first + rest).min(*max_vnd_per_copy))
            }
            Fee::SetByProvince { .. } => None,
        }
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(description = "full: toàn trình (the whole procedure online); partial: một phần.")
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnlineLevel {
    /// Toàn trình: the whole procedure online.
    Full,
    /// Một phần: submitted online, some step in person.
    Partial,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(description = "A paper the procedure asks for (thành phần hồ sơ).")
)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentSpec {
    pub code: String,
    pub name: String,
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<String>,
}

/// Processing time as written in the catalog file and the API:
/// `{amount, unit, cutoff?}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = Processing, description = "Statutory processing time (thời hạn giải quyết): `unit` is `working_days`, `working_hours`, `days` or `same_day`. `same_day`: finished the same working day; received after `cutoff` (HH:MM), or outside working hours when the procedure has no cutoff, it is the next working day."))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessingSpec {
    #[serde(default)]
    pub amount: u32,
    pub unit: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cutoff: Option<String>,
}

impl ProcessingSpec {
    pub fn from_time(p: ProcessingTime) -> Self {
        match p {
            ProcessingTime::WorkingDays { amount } => Self {
                amount,
                unit: "working_days".into(),
                cutoff: None,
            },
            ProcessingTime::WorkingHours { amount } => Self {
                amount,
                unit: "working_hours".into(),
                cutoff: None,
            },
            ProcessingTime::Days { amount } => Self {
                amount,
                unit: "days".into(),
                cutoff: None,
            },
            ProcessingTime::SameDay { cutoff } => Self {
                amount: 0,
                unit: "same_day".into(),
                cutoff: cutoff.map(|c| format!("{:02}:{:02}", c.hour(), c.minute())),
            },
        }
    }

    /// Validate into the calendar's processing time; `field` names the place at fault.
    pub fn to_time(&self, field: &str) -> Result<ProcessingTime, Problem> {
        let need_amount = |amount: u32| {
            if amount == 0 || amount > 365 {
                Err(Problem::invalid(
                    "bad_processing_amount",
                    format!("{field}.amount"),
                    "Thời hạn giải quyết phải từ 1 đến 365",
                ))
            } else {
                Ok(amount)
            }
        };
        match self.unit.as_str() {
            "working_days" => Ok(ProcessingTime::WorkingDays {
                amount: need_amount(self.amount)?,
            }),
            "working_hours" => Ok(ProcessingTime::WorkingHours {
                amount: need_amount(self.amount)?,
            }),
            "days" => Ok(ProcessingTime::Days {
                amount: need_amount(self.amount)?,
            }),
            "same_day" => {
                // No cut-off unless the catalog states one (LAW.md, "Time").
                let cutoff = match self.cutoff.as_deref() {
                    None => None,
                    Some(text) => Some(parse_hhmm(text).ok_or_else(|| {
                        Problem::invalid(
                            "bad_cutoff",
                            format!("{field}.cutoff"),
                            "Giờ tiếp nhận cuối phải có dạng HH:MM",
                        )
                    })?),
                };
                Ok(ProcessingTime::SameDay { cutoff })
            }
            _ => Err(Problem::invalid(
                "bad_processing_unit",
                format!("{field}.unit"),
                "Đơn vị thời hạn phải là working_days, working_hours, days hoặc same_day",
            )),
        }
    }
}

pub fn parse_hhmm(s: &str) -> Option<Time> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    Time::from_hms(h.parse().ok()?, m.parse().ok()?, 0).ok()
}

/// One procedure as the rest of the system sees it (validated, NFC).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(description = "A catalog entry (thủ tục hành chính).")
)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Procedure {
    pub code: String,
    pub name: String,
    pub field: String,
    #[cfg_attr(feature = "openapi", schema(value_type = ProcessingSpec))]
    #[serde(serialize_with = "ser_processing")]
    pub processing: ProcessingTime,
    pub fee: Fee,
    pub online_level: OnlineLevel,
    pub documents: Vec<DocumentSpec>,
    pub legal_basis: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The national procedure database's code (`1.001193`; a province's
    /// variant adds a suffix), beside our short code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub national_code: Option<String>,
    /// A shorter name for lists, when the official one is very long.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short_name: Option<String>,
    /// Who is exempted from the fee, on which paper, under which text.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exemptions: Vec<Exemption>,
    /// Whether the result is a paper to collect or send (None: not stated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_paper: Option<bool>,
    /// Where each fact of the entry comes from.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<FactSource>,
    /// Checked against the texts, or still to verify (shown as such).
    #[serde(default)]
    pub verified: Verification,
    /// Facts of an entry checked one by one while the whole is to verify.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub verified_facts: Vec<String>,
    /// Ways of submission the national database lists (truc_tiep, buu_chinh, truc_tuyen).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<String>,
    /// Whether the fee is a phí or a lệ phí (lệ phí when not said).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charge: Option<crate::fees::Charge>,
    /// The procedure's own declaration (tờ khai), when it is written as data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declaration: Option<crate::declaration::Declaration>,
    /// Paid before processing: the clock meanwhile and the days to pay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_first: Option<crate::fees::PayFirst>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exemption {
    pub who: String,
    #[serde(default)]
    pub proof: String,
    #[serde(default)]
    pub basis: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactSource {
    pub fact: String,
    pub source: String,
}

/// Whether a catalog entry was checked against the legal texts (LAW.md):
/// everything else is data a province corrects, and is said so on screen.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = CatalogVerification))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    Verified,
    #[default]
    ToVerify,
}

fn ser_processing<S: serde::Serializer>(p: &ProcessingTime, s: S) -> Result<S::Ok, S::Error> {
    ProcessingSpec::from_time(*p).serialize(s)
}

impl Procedure {
    pub fn folded_name(&self) -> String {
        fold(&self.name)
    }
    /// The document the electronic declaration stands for: the declaration's
    /// own `document`, else the first whose code starts with "to-khai".
    pub fn declaration_document(&self) -> Option<&DocumentSpec> {
        let d = self.declaration.as_ref()?;
        match &d.document {
            Some(code) => self.documents.iter().find(|x| &x.code == code),
            None => self
                .documents
                .iter()
                .find(|x| x.code.starts_with("to-khai")),
        }
    }

    pub fn required_documents(&self) -> impl Iterator<Item = &DocumentSpec> {
        self.documents.iter().filter(|d| d.required)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProcedure {
    code: String,
    name: String,
    field: String,
    processing: ProcessingSpec,
    fee: Fee,
    online_level: OnlineLevel,
    documents: Vec<DocumentSpec>,
    #[serde(default)]
    legal_basis: String,
    #[serde(default)]
    result: Option<String>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    national_code: Option<String>,
    #[serde(default)]
    short_name: Option<String>,
    #[serde(default)]
    exemptions: Vec<Exemption>,
    #[serde(default)]
    result_paper: Option<bool>,
    #[serde(default)]
    sources: Vec<FactSource>,
    #[serde(default)]
    verified: Verification,
    #[serde(default)]
    verified_facts: Vec<String>,
    #[serde(default)]
    channels: Vec<String>,
    #[serde(default)]
    charge: Option<crate::fees::Charge>,
    #[serde(default)]
    declaration: Option<crate::declaration::Declaration>,
    #[serde(default)]
    pay_first: Option<crate::fees::PayFirst>,
}

#[derive(Deserialize)]
struct RawCatalog {
    procedures: Vec<RawProcedure>,
}

/// The shipped catalog.
pub const DEFAULT_CATALOG_JSON: &str = include_str!("../../../data/catalog.json");

fn valid_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// `1.001193`, `2.000806`, optionally with a province's suffix (`.H12`).
fn valid_national_code(s: &str) -> bool {
    let mut parts = s.splitn(3, '.');
    let (Some(head), Some(number)) = (parts.next(), parts.next()) else {
        return false;
    };
    head.len() == 1
        && head.bytes().all(|b| b.is_ascii_digit())
        && number.len() == 6
        && number.bytes().all(|b| b.is_ascii_digit())
        && parts.next().is_none_or(valid_code)
}

/// Parse and validate a catalog file. Refused whole at the first fault, with
/// the line (syntax and type errors) or the path (rule errors) at fault.
pub fn parse_catalog(text: &str) -> Result<Vec<Procedure>, Problem> {
    let de = &mut serde_json::Deserializer::from_str(text);
    let raw: RawCatalog = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        Problem::invalid(
            "bad_catalog",
            format!("line {}, {}", inner.line(), path),
            format!(
                "Tệp danh mục lỗi ở dòng {}, trường {}: {}",
                inner.line(),
                path,
                inner
            ),
        )
    })?;
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(raw.procedures.len());
    for (i, p) in raw.procedures.into_iter().enumerate() {
        let at = format!("procedures[{i}]");
        let code = p.code.trim().to_string();
        if !valid_code(&code) {
            return Err(Problem::invalid(
                "bad_procedure_code",
                format!("{at}.code"),
                format!("Mã thủ tục \"{code}\" không hợp lệ (chữ, số, '-', '_', '.')"),
            ));
        }
        if !seen.insert(code.clone()) {
            return Err(Problem::invalid(
                "duplicate_procedure",
                format!("{at}.code"),
                format!("Mã thủ tục {code} bị trùng"),
            ));
        }
        for (name, value) in [("name", &p.name), ("field", &p.field)] {
            if value.trim().is_empty() {
                return Err(Problem::invalid(
                    "empty_field",
                    format!("{at}.{name}"),
                    format!("Thủ tục {code}: trường {name} trống"),
                ));
            }
        }
        let processing = p.processing.to_time(&format!("{at}.processing"))?;
        let mut doc_codes = HashSet::new();
        let mut documents = Vec::with_capacity(p.documents.len());
        for (j, d) in p.documents.into_iter().enumerate() {
            if !valid_code(&d.code) || !doc_codes.insert(d.code.clone()) {
                return Err(Problem::invalid(
                    "bad_document_code",
                    format!("{at}.documents[{j}].code"),
                    format!(
                        "Thủ tục {code}: mã giấy tờ \"{}\" không hợp lệ hoặc bị trùng",
                        d.code
                    ),
                ));
            }
            if d.name.trim().is_empty() {
                return Err(Problem::invalid(
                    "empty_field",
                    format!("{at}.documents[{j}].name"),
                    format!("Thủ tục {code}: tên giấy tờ trống"),
                ));
            }
            documents.push(DocumentSpec {
                name: nfc(&d.name),
                ..d
            });
        }
        if let Some(n) = p
            .national_code
            .as_deref()
            .filter(|n| !valid_national_code(n))
        {
            return Err(Problem::invalid(
                "bad_national_code",
                format!("{at}.national_code"),
                format!("Thủ tục {code}: mã thủ tục quốc gia \"{n}\" không đúng dạng 1.001193"),
            ));
        }
        if let Some(d) = &p.declaration {
            d.check(&format!("{at}.declaration"))?;
        }
        if let Some(f) = p
            .pay_first
            .filter(|f| f.expire_days == 0 || f.expire_days > crate::fees::MAX_EXPIRE_DAYS)
        {
            return Err(Problem::invalid(
                "bad_pay_first",
                format!("{at}.pay_first.expire_days"),
                format!(
                    "Thủ tục {code}: số ngày chờ nộp phí phải từ 1 đến {} (đang là {})",
                    crate::fees::MAX_EXPIRE_DAYS,
                    f.expire_days
                ),
            ));
        }
        if p.pay_first.is_some() && matches!(p.fee, Fee::Free { .. }) {
            return Err(Problem::invalid(
                "bad_pay_first",
                format!("{at}.pay_first"),
                format!("Thủ tục {code} không thu phí nên không thể yêu cầu nộp phí trước"),
            ));
        }
        let text = |v: Vec<FactSource>| {
            v.into_iter()
                .map(|f| FactSource {
                    fact: nfc(&f.fact),
                    source: nfc(&f.source),
                })
                .collect()
        };
        out.push(Procedure {
            national_code: p.national_code,
            short_name: p.short_name.map(|s| nfc(&s)),
            exemptions: p
                .exemptions
                .into_iter()
                .map(|e| Exemption {
                    who: nfc(&e.who),
                    proof: nfc(&e.proof),
                    basis: nfc(&e.basis),
                })
                .collect(),
            result_paper: p.result_paper,
            sources: text(p.sources),
            verified: p.verified,
            verified_facts: p.verified_facts.iter().map(|f| nfc(f)).collect(),
            channels: p.channels,
            charge: p.charge,
            pay_first: p.pay_first,
            declaration: p
                .declaration
                .map(crate::declaration::Declaration::normalized),
            code,
            name: nfc(&p.name),
            field: nfc(&p.field),
            processing,
            fee: p.fee,
            online_level: p.online_level,
            documents,
            legal_basis: nfc(&p.legal_basis),
            result: p.result.map(|s| nfc(&s)),
            note: p.note.map(|s| nfc(&s)),
        });
    }
    if out.is_empty() {
        return Err(Problem::invalid(
            "empty_catalog",
            "procedures",
            "Danh mục không có thủ tục nào",
        ));
    }
    Ok(out)
}

/// What an import changed, for the report printed to the operator.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub added: Vec<String>,
    /// Code → names of the fields that changed.
    pub updated: BTreeMap<String, Vec<String>>,
    pub unchanged: usize,
    /// Procedures no longer offered (kept for the dossiers that cite them).
    pub retired: Vec<String>,
}

impl ImportReport {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.updated.is_empty() && self.retired.is_empty()
    }
}

/// Compare an incoming catalog with the current one. With `replace`, the
/// procedures absent from the new file are retired.
pub fn diff_catalog(current: &[Procedure], incoming: &[Procedure], replace: bool) -> ImportReport {
    let mut report = ImportReport::default();
    for p in incoming {
        match current.iter().find(|c| c.code == p.code) {
            None => report.added.push(p.code.clone()),
            Some(c) if c == p => report.unchanged += 1,
            Some(c) => {
                let mut fields = Vec::new();
                if c.name != p.name {
                    fields.push("name".to_string());
                }
                if c.field != p.field {
                    fields.push("field".to_string());
                }
                if c.processing != p.processing {
                    fields.push("processing".to_string());
                }
                if c.fee != p.fee {
                    fields.push("fee".to_string());
                }
                if c.online_level != p.online_level {
                    fields.push("online_level".to_string());
                }
                if c.documents != p.documents {
                    fields.push("documents".to_string());
                }
                if c.legal_basis != p.legal_basis {
                    fields.push("legal_basis".to_string());
                }
                if c.result != p.result || c.note != p.note {
                    fields.push("note".to_string());
                }
                report.updated.insert(p.code.clone(), fields);
            }
        }
    }
    if replace {
        for c in current {
            if !incoming.iter().any(|p| p.code == c.code) {
                report.retired.push(c.code.clone());
            }
        }
    }
    report
}

/// The English name of a catalog field ("lĩnh vực"), for the site's second
/// language; None for a field a province added (shown as written).
pub fn field_en(vi: &str) -> Option<&'static str> {
    Some(match vi {
        "Hộ tịch" => "Civil status",
        "Đăng ký, quản lý cư trú" => "Residence registration",
        "Đất đai" => "Land",
        "Chứng thực" => "Certification",
        "Bảo trợ xã hội" => "Social protection",
        "Hoạt động xây dựng" => "Construction",
        "Hòa giải ở cơ sở" => "Community mediation",
        "Giảm nghèo" => "Poverty reduction",
        "Thành lập và hoạt động của tổ hợp tác, hợp tác xã, liên hiệp hợp tác xã" => {
            "Cooperative groups, cooperatives and their unions"
        }
        "Người có công" => "People with meritorious services",
        "Tổ chức hội" => "Associations",
        "Nuôi con nuôi" => "Adoption",
        "Nhà ở và công sở" => "Housing and offices",
        "Thành lập và hoạt động của hộ kinh doanh" => "Household businesses",
        "Giải quyết khiếu nại" => "Complaints",
        "Văn hóa" => "Culture",
        "Kinh doanh khí" => "Gas trading",
        "Quy hoạch đô thị và nông thôn" => "Urban and rural planning",
        "Hạ tầng kỹ thuật" => "Technical infrastructure",
        "Đường bộ" => "Roads",
        "Trồng trọt" => "Crop production",
        "Thú y" => "Veterinary",
        "Lâm nghiệp" => "Forestry",
        "Thủy sản" => "Fisheries",
        "Tài nguyên nước" => "Water resources",
        "Tổ chức cai nghiện ma túy và quản lý sau cai nghiện" => "Drug rehabilitation",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_catalog_parses() {
        let procs = parse_catalog(DEFAULT_CATALOG_JSON).expect("catalog");
        assert!(procs.len() >= 100, "{} procedures", procs.len());
        let ks = procs.iter().find(|p| p.code == "HT-KS").expect("HT-KS");
        assert_eq!(ks.name, "Đăng ký khai sinh");
        assert!(matches!(ks.processing, ProcessingTime::SameDay { .. }));
        assert_eq!(ks.required_documents().count(), 3);
        assert_eq!(ks.national_code.as_deref(), Some("1.001193"));
        assert_eq!(ks.verified, Verification::Verified);
        // Every entry says where its facts come from.
        for p in &procs {
            assert!(!p.sources.is_empty(), "{} has no source", p.code);
        }
        // The six fields the commune centers handle most are all there.
        for field in [
            "Hộ tịch",
            "Chứng thực",
            "Đăng ký, quản lý cư trú",
            "Bảo trợ xã hội",
            "Đất đai",
        ] {
            assert!(procs.iter().any(|p| p.field == field), "{field}");
        }
        assert!(procs.iter().any(|p| p.field.contains("hộ kinh doanh")));
        // Fees checked in the texts (LAW.md): permanent residence online.
        let tt = procs.iter().find(|p| p.code == "CTR-TT").expect("CTR-TT");
        assert_eq!(tt.fee.amount(true, 1), Some(10_000));
        assert_eq!(tt.fee.amount(false, 1), Some(20_000));
    }

    #[test]
    fn a_national_code_has_the_databases_shape() {
        let entry = |code: &str| {
            format!(
                r#"{{"procedures": [{{"code": "A", "name": "X", "field": "F", "national_code": "{code}",
                "processing": {{"amount": 1, "unit": "days"}}, "fee": {{"kind": "free"}},
                "online_level": "full", "documents": []}}]}}"#
            )
        };
        for good in ["1.001193", "2.000806", "1.001193.H12"] {
            parse_catalog(&entry(good)).expect(good);
        }
        for bad in ["1001193", "1.0011", "x.001193", "1.001193."] {
            let e = parse_catalog(&entry(bad)).expect_err(bad);
            assert_eq!(e.code, "bad_national_code", "{bad}");
        }
    }

    #[test]
    fn type_error_names_line_and_path() {
        let text = "{\"procedures\": [\n {\"code\": \"A\", \"name\": \"X\", \"field\": \"F\",\n \"processing\": {\"amount\": \"ba\", \"unit\": \"days\"},\n \"fee\": {\"kind\": \"free\"}, \"online_level\": \"full\", \"documents\": []}]}";
        let err = parse_catalog(text).expect_err("bad amount");
        assert_eq!(err.code, "bad_catalog");
        let field = err.field.expect("field");
        assert!(field.starts_with("line 3"), "{field}");
        assert!(field.contains("procedures[0].processing.amount"), "{field}");
    }

    #[test]
    fn rule_errors_name_the_path() {
        let text = r#"{"procedures": [
          {"code": "A", "name": "X", "field": "F", "processing": {"amount": 0, "unit": "working_days"},
           "fee": {"kind": "free"}, "online_level": "full", "documents": []}]}"#;
        let err = parse_catalog(text).expect_err("zero days");
        assert_eq!(
            err.field.as_deref(),
            Some("procedures[0].processing.amount")
        );
        let dup = r#"{"procedures": [
          {"code": "A", "name": "X", "field": "F", "processing": {"unit": "same_day", "cutoff": "15:00"},
           "fee": {"kind": "free"}, "online_level": "full", "documents": []},
          {"code": "A", "name": "Y", "field": "F", "processing": {"unit": "same_day", "cutoff": "25:00"},
           "fee": {"kind": "free"}, "online_level": "full", "documents": []}]}"#;
        let err = parse_catalog(dup).expect_err("duplicate");
        assert_eq!(err.code, "duplicate_procedure");
    }

    #[test]
    fn a_same_day_procedure_has_a_cutoff_only_when_the_catalog_states_one() {
        let text = r#"{"procedures": [
          {"code": "A", "name": "X", "field": "F", "processing": {"unit": "same_day"},
           "fee": {"kind": "free"}, "online_level": "full", "documents": []}]}"#;
        let p = parse_catalog(text).expect("catalog").remove(0);
        assert_eq!(p.processing, ProcessingTime::SameDay { cutoff: None });
        // Shipped: civil status and certification keep the 15:00 rule.
        let shipped = parse_catalog(DEFAULT_CATALOG_JSON).expect("catalog");
        for p in shipped
            .iter()
            .filter(|p| p.code.starts_with("HT-") || p.code.starts_with("CT-"))
        {
            if let ProcessingTime::SameDay { cutoff } = p.processing {
                assert_eq!(cutoff, Some(time::macros::time!(15:00)), "{}", p.code);
            }
        }
    }

    #[test]
    fn diff_reports_changes() {
        let current = parse_catalog(DEFAULT_CATALOG_JSON).expect("catalog");
        let mut incoming = current.clone();
        incoming.retain(|p| p.code != "KN-L1");
        incoming[0].fee = Fee::Flat {
            vnd: 5000,
            online_vnd: None,
            note: None,
        };
        let mut extra = incoming[1].clone();
        extra.code = "NEW-1".into();
        incoming.push(extra);
        let report = diff_catalog(&current, &incoming, true);
        assert_eq!(report.added, vec!["NEW-1".to_string()]);
        assert_eq!(report.retired, vec!["KN-L1".to_string()]);
        assert_eq!(
            report.updated.get(&current[0].code),
            Some(&vec!["fee".to_string()])
        );
        assert_eq!(report.unchanged, current.len() - 2);
        assert!(diff_catalog(&current, &incoming, false).retired.is_empty());
    }

    #[test]
    fn per_page_fee_is_capped() {
        let fee = Fee::PerPage {
            first_pages: 2,
            first_vnd_per_page: 2000,
            then_vnd_per_page: 1000,
            max_vnd_per_copy: 200_000,
            note: None,
        };
        assert_eq!(fee.amount(false, 1), Some(2000));
        assert_eq!(fee.amount(false, 5), Some(7000));
        assert_eq!(fee.amount(false, 1000), Some(200_000));
    }
}
