//! A period as the pages' controls choose it: a kind (year, quarter, month,
//! range of days) and the fields that kind needs, each checked with a
//! message naming the field to fix.

use super::{Period, fmt_date};
use crate::Problem;
use crate::calendar::Date;

/// What the controls send (`kieu`, `nam`, `quy`, `thang`, `tu`, `den`), as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeriodForm {
    pub kind: String,
    pub year: String,
    pub quarter: String,
    pub month: String,
    pub from: String,
    pub to: String,
}

fn wrong(field: &str, message: &str) -> Problem {
    Problem::invalid("bad_period", field, message)
}

/// `dd/mm/yyyy` as shown, or `yyyy-mm-dd` as a date field sends it.
fn day(raw: &str, field: &str, message: &str) -> Result<Date, Problem> {
    let raw = raw.trim();
    Date::parse(
        raw,
        time::macros::format_description!("[day padding:none]/[month padding:none]/[year]"),
    )
    .or_else(|_| {
        Date::parse(
            raw,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
    })
    .map_err(|_| wrong(field, message))
}

impl PeriodForm {
    /// The controls showing `p` (its first and last day fill the range fields).
    pub fn of(p: &Period) -> Self {
        let key = p.key();
        let kind = if key.len() == 4 {
            "nam"
        } else if key.contains("-Q") {
            "quy"
        } else if key.len() == 7 {
            "thang"
        } else {
            "khoang"
        };
        PeriodForm {
            kind: kind.into(),
            year: p.from.year().to_string(),
            quarter: ((u8::from(p.from.month()) - 1) / 3 + 1).to_string(),
            month: u8::from(p.from.month()).to_string(),
            from: fmt_date(p.from),
            to: fmt_date(p.to),
        }
    }

    /// The period chosen, or what is wrong with the field to fix.
    pub fn period(&self) -> Result<Period, Problem> {
        let year = || -> Result<i32, Problem> {
            let t = self.year.trim();
            t.parse::<i32>()
                .ok()
                .filter(|y| t.len() == 4 && (2000..=2100).contains(y))
                .ok_or_else(|| {
                    wrong(
                        "nam",
                        "Năm phải là số có bốn chữ số, từ 2000 đến 2100, ví dụ 2026",
                    )
                })
        };
        let small = |raw: &str, max: u8, field: &str, message: &str| {
            raw.trim()
                .parse::<u8>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| wrong(field, message))
        };
        match self.kind.trim() {
            "nam" => Period::year(year()?),
            "quy" => {
                let y = year()?;
                Period::quarter(
                    y,
                    small(&self.quarter, 4, "quy", "Quý phải là 1, 2, 3 hoặc 4")?,
                )
            }
            "thang" => {
                let y = year()?;
                Period::month(
                    y,
                    small(&self.month, 12, "thang", "Tháng phải là số từ 1 đến 12")?,
                )
            }
            "khoang" => {
                let from = day(
                    &self.from,
                    "tu",
                    "Từ ngày phải có dạng ngày/tháng/năm, ví dụ 01/03/2026",
                )?;
                let to = day(
                    &self.to,
                    "den",
                    "Đến ngày phải có dạng ngày/tháng/năm, ví dụ 31/03/2026",
                )?;
                if to < from {
                    return Err(wrong("den", "Đến ngày không được trước từ ngày"));
                }
                Period::range(from, to).map_err(|_| wrong("den", "Khoảng ngày dài nhất là 10 năm"))
            }
            _ => Err(wrong(
                "kieu",
                "Hãy chọn xem theo năm, quý, tháng hoặc khoảng ngày",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(
        kind: &str,
        year: &str,
        quarter: &str,
        month: &str,
        from: &str,
        to: &str,
    ) -> PeriodForm {
        PeriodForm {
            kind: kind.into(),
            year: year.into(),
            quarter: quarter.into(),
            month: month.into(),
            from: from.into(),
            to: to.into(),
        }
    }

    #[test]
    fn each_kind_and_its_fields() {
        let ok = |f: PeriodForm| f.period().expect("a period").key();
        assert_eq!(ok(form("nam", "2026", "", "", "", "")), "2026");
        assert_eq!(ok(form("quy", "2026", "2", "", "", "")), "2026-Q2");
        assert_eq!(ok(form("thang", "2026", "", "3", "", "")), "2026-03");
        assert_eq!(
            ok(form("khoang", "", "", "", "1/3/2026", "2026-03-15")),
            "2026-03-01..2026-03-15"
        );
        let field = |f: PeriodForm| f.period().expect_err("wrong").field;
        assert_eq!(
            field(form("nam", "26", "", "", "", "")).as_deref(),
            Some("nam")
        );
        assert_eq!(
            field(form("quy", "2026", "5", "", "", "")).as_deref(),
            Some("quy")
        );
        assert_eq!(
            field(form("thang", "2026", "", "13", "", "")).as_deref(),
            Some("thang")
        );
        assert_eq!(
            field(form("khoang", "", "", "", "31/02/2026", "")).as_deref(),
            Some("tu")
        );
        assert_eq!(
            field(form("khoang", "", "", "", "10/03/2026", "01/03/2026")).as_deref(),
            Some("den")
        );
        assert_eq!(
            field(form("tuan", "", "", "", "", "")).as_deref(),
            Some("kieu")
        );
        let p = Period::parse("2026-Q1").expect("q1");
        assert_eq!(PeriodForm::of(&p).period().expect("again"), p);
        assert_eq!(PeriodForm::of(&p).to, "31/03/2026");
    }
}
