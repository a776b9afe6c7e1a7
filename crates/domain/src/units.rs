//! The national list of administrative units after the 1 July 2025
//! reorganization: 34 provinces and their commune-level units.

use crate::Problem;
use serde::Serialize;

/// The list shipped with motcua (copied from the 2025 national list).
pub const NATIONAL_UNITS_CSV: &str = include_str!("../../../data/admin-units-2025.csv");

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(description = "A province or centrally-run city (tỉnh, thành phố).")
)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Province {
    pub code: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(description = "A commune-level unit (xã, phường, đặc khu).")
)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unit {
    pub code: String,
    pub name: String,
    /// "xã", "phường" or "đặc khu".
    #[serde(rename = "type")]
    pub kind: String,
    pub province_code: String,
}

impl Unit {
    /// Whether a dossier received here may be routed to `target` for it
    /// to decide (Decree 118/2025, art. 14): another commune of the same
    /// province.
    pub fn may_route_to(&self, target: &Unit) -> bool {
        target.province_code == self.province_code && target.code != self.code
    }
}

#[derive(Debug, Clone, Default)]
pub struct UnitList {
    pub provinces: Vec<Province>,
    pub units: Vec<Unit>,
}

const HEADER: [&str; 6] = [
    "province_code",
    "province_name",
    "province_type",
    "unit_code",
    "unit_name",
    "unit_type",
];

fn all_digits(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit())
}

/// Parse the national CSV. The file is refused whole at the first bad line,
/// with the line number and the column at fault.
pub fn parse_units_csv(text: &str) -> Result<UnitList, Problem> {
    let mut lines = text.lines().enumerate();
    let header_ok = lines
        .next()
        .map(|(_, h)| h.trim_start_matches('\u{feff}').split(',').eq(HEADER))
        .unwrap_or(false);
    if !header_ok {
        return Err(Problem::invalid(
            "bad_header",
            "line 1",
            format!("Dòng tiêu đề phải là: {}", HEADER.join(",")),
        ));
    }
    let mut list = UnitList::default();
    let mut seen_units = std::collections::HashSet::new();
    for (i, line) in lines {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split(',').map(str::trim).collect();
        if cols.len() != 6 {
            return Err(Problem::invalid(
                "bad_line",
                format!("line {n}"),
                format!("Dòng {n}: cần 6 cột, có {}", cols.len()),
            ));
        }
        let field = |c: usize| format!("line {n}, {}", HEADER[c]);
        if !all_digits(cols[0], 2) {
            return Err(Problem::invalid(
                "bad_province_code",
                field(0),
                format!("Dòng {n}: mã tỉnh phải gồm 2 chữ số"),
            ));
        }
        if !all_digits(cols[3], 5) {
            return Err(Problem::invalid(
                "bad_unit_code",
                field(3),
                format!("Dòng {n}: mã đơn vị phải gồm 5 chữ số"),
            ));
        }
        for c in [1, 2, 4, 5] {
            if cols[c].is_empty() {
                return Err(Problem::invalid(
                    "empty_field",
                    field(c),
                    format!("Dòng {n}: cột {} trống", HEADER[c]),
                ));
            }
        }
        if !seen_units.insert(cols[3].to_string()) {
            return Err(Problem::invalid(
                "duplicate_unit",
                field(3),
                format!("Dòng {n}: mã đơn vị {} bị trùng", cols[3]),
            ));
        }
        if list.provinces.last().map(|p| p.code.as_str()) != Some(cols[0])
            && !list.provinces.iter().any(|p| p.code == cols[0])
        {
            list.provinces.push(Province {
                code: cols[0].to_string(),
                name: crate::text::nfc(cols[1]),
                kind: crate::text::nfc(cols[2]),
            });
        }
        list.units.push(Unit {
            code: cols[3].to_string(),
            name: crate::text::nfc(cols[4]),
            kind: crate::text::nfc(cols[5]),
            province_code: cols[0].to_string(),
        });
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_list_has_34_provinces_and_3321_units() {
        let list = parse_units_csv(NATIONAL_UNITS_CSV).expect("shipped list parses");
        assert_eq!(list.provinces.len(), 34);
        assert_eq!(list.units.len(), 3321);
        let dong_thap = list
            .units
            .iter()
            .filter(|u| u.province_code == "82")
            .count();
        assert_eq!(dong_thap, 102);
        let p = list.provinces.iter().find(|p| p.code == "82").expect("82");
        assert_eq!(p.name, "Đồng Tháp");
    }

    #[test]
    fn bad_line_is_refused_with_its_number() {
        let csv = format!(
            "{}\n01,Hà Nội,thành phố,00070,Phường Hoàn Kiếm,phường\n01,Hà Nội,thành phố,7x,Phường X,phường\n",
            HEADER.join(",")
        );
        let err = parse_units_csv(&csv).expect_err("bad code");
        assert_eq!(err.code, "bad_unit_code");
        assert_eq!(err.field.as_deref(), Some("line 3, unit_code"));
    }
}
