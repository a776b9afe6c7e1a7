//! Periods of the index: local days in Vietnam time, inclusive.

use crate::Problem;
use crate::calendar::Date;
use serde::Serialize;
use time::Month;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

fn bad_period() -> Problem {
    Problem::invalid(
        "bad_period",
        "ky",
        "Kỳ đánh giá phải có dạng 2026 (năm), 2026-Q1 (quý), 2026-03 (tháng) hoặc 2026-01-01..2026-03-31",
    )
}

/// A day as the pages show it, "dd/mm/yyyy".
pub fn fmt_date(d: Date) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), u8::from(d.month()), d.year())
}

impl Period {
    pub fn month(year: i32, month: u8) -> Result<Self, Problem> {
        let m = Month::try_from(month).map_err(|_| bad_period())?;
        let from = Date::from_calendar_date(year, m, 1).map_err(|_| bad_period())?;
        let to = Date::from_calendar_date(year, m, m.length(year)).map_err(|_| bad_period())?;
        Ok(Period { from, to })
    }
    pub fn quarter(year: i32, q: u8) -> Result<Self, Problem> {
        if !(1..=4).contains(&q) {
            return Err(bad_period());
        }
        let a = Self::month(year, (q - 1) * 3 + 1)?;
        let b = Self::month(year, q * 3)?;
        Ok(Period {
            from: a.from,
            to: b.to,
        })
    }
    pub fn year(year: i32) -> Result<Self, Problem> {
        Ok(Period {
            from: Self::month(year, 1)?.from,
            to: Self::month(year, 12)?.to,
        })
    }
    /// Any range of whole days; at most ten years so a typo cannot ask for a century.
    pub fn range(from: Date, to: Date) -> Result<Self, Problem> {
        if from > to || (to - from).whole_days() > 3660 {
            return Err(bad_period());
        }
        Ok(Period { from, to })
    }

    /// `2026`, `2026-Q1`, `2026-03`, or `2026-01-01..2026-03-31`.
    pub fn parse(s: &str) -> Result<Self, Problem> {
        let s = s.trim();
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        let year = |t: &str| -> Result<i32, Problem> {
            let y: i32 = t.parse().map_err(|_| bad_period())?;
            if t.len() != 4 || !(2000..=2100).contains(&y) {
                return Err(bad_period());
            }
            Ok(y)
        };
        if let Some((a, b)) = s.split_once("..") {
            let from = Date::parse(a.trim(), fmt).map_err(|_| bad_period())?;
            let to = Date::parse(b.trim(), fmt).map_err(|_| bad_period())?;
            return Self::range(from, to);
        }
        match s.split_once('-') {
            None => Self::year(year(s)?),
            Some((y, rest)) => {
                let y = year(y)?;
                if let Some(q) = rest.strip_prefix('Q').or_else(|| rest.strip_prefix('q')) {
                    Self::quarter(y, q.parse().map_err(|_| bad_period())?)
                } else if rest.len() == 2 {
                    Self::month(y, rest.parse().map_err(|_| bad_period())?)
                } else {
                    Err(bad_period())
                }
            }
        }
    }

    /// The canonical text `parse` reads back.
    pub fn key(&self) -> String {
        let d = |d: Date| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day());
        let whole_month = self.from.day() == 1
            && self.to.day() == self.to.month().length(self.to.year())
            && self.from.year() == self.to.year();
        if whole_month && self.from.month() == Month::January && self.to.month() == Month::December
        {
            format!("{}", self.from.year())
        } else if whole_month && self.from.month() == self.to.month() {
            format!("{:04}-{:02}", self.from.year(), u8::from(self.from.month()))
        } else if whole_month
            && (u8::from(self.from.month()) - 1) % 3 == 0
            && u8::from(self.to.month()) == u8::from(self.from.month()) + 2
        {
            format!(
                "{}-Q{}",
                self.from.year(),
                (u8::from(self.from.month()) - 1) / 3 + 1
            )
        } else {
            format!("{}..{}", d(self.from), d(self.to))
        }
    }

    /// Vietnamese label, e.g. "tháng 3/2026", "quý 1/2026", "năm 2026".
    pub fn label_vi(&self) -> String {
        let k = self.key();
        if k.len() == 4 {
            format!("năm {k}")
        } else if let Some((y, q)) = k.split_once("-Q") {
            format!("quý {q}/{y}")
        } else if k.len() == 7 {
            format!("tháng {}/{}", u8::from(self.from.month()), self.from.year())
        } else {
            format!("{} – {}", fmt_date(self.from), fmt_date(self.to))
        }
    }

    /// Whether `today` (a local date) falls in the period: its figures are
    /// those of a period not over yet, and say so on the screen.
    pub fn in_progress(&self, today: Date) -> bool {
        self.from <= today && today <= self.to
    }

    /// "(tháng đang diễn ra, số liệu đến ngày 20/03/2026)" when `today` is
    /// in the period ("kỳ" for a quarter, a year or a range).
    pub fn progress_note_vi(&self, today: Date) -> Option<String> {
        self.in_progress(today).then(|| {
            let key = self.key();
            let what = if key.len() == 7 && !key.contains('Q') {
                "tháng"
            } else {
                "kỳ"
            };
            format!(
                "({what} đang diễn ra, số liệu đến ngày {})",
                fmt_date(today)
            )
        })
    }

    /// The months of the period begun by `today`: a trend stops at the month
    /// in progress rather than score months with no dossiers yet.
    pub fn months_until(&self, today: Date) -> Vec<Period> {
        let mut out = self.months();
        out.retain(|m| m.from <= today);
        out
    }

    /// The months of the period (for trends), each as a period of its own.
    pub fn months(&self) -> Vec<Period> {
        let mut out = Vec::new();
        let (mut y, mut m) = (self.from.year(), u8::from(self.from.month()));
        while let Ok(p) = Period::month(y, m) {
            if p.from > self.to {
                break;
            }
            out.push(Period {
                from: p.from.max(self.from),
                to: p.to.min(self.to),
            });
            m += 1;
            if m > 12 {
                m = 1;
                y += 1;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn periods() {
        let p = Period::parse("2026-03").expect("month");
        assert_eq!(
            (p.from, p.to),
            (date!(2026 - 03 - 01), date!(2026 - 03 - 31))
        );
        assert_eq!(p.key(), "2026-03");
        let q = Period::parse("2026-Q1").expect("quarter");
        assert_eq!(
            (q.from, q.to),
            (date!(2026 - 01 - 01), date!(2026 - 03 - 31))
        );
        assert_eq!(q.key(), "2026-Q1");
        let y = Period::parse("2024").expect("year");
        assert_eq!(y.to, date!(2024 - 12 - 31));
        assert_eq!(y.key(), "2024");
        assert_eq!(y.months().len(), 12);
        assert_eq!(
            Period::parse("2024-02").expect("feb").to,
            date!(2024 - 02 - 29)
        );
        let r = Period::parse("2026-01-15..2026-02-10").expect("range");
        assert_eq!(r.key(), "2026-01-15..2026-02-10");
        assert_eq!(r.months().len(), 2);
        assert_eq!(Period::parse(&r.key()).expect("again"), r);
        let today = date!(2026 - 03 - 20);
        assert_eq!(
            p.progress_note_vi(today).as_deref(),
            Some("(tháng đang diễn ra, số liệu đến ngày 20/03/2026)")
        );
        assert_eq!(
            q.progress_note_vi(date!(2026 - 03 - 31)).as_deref(),
            Some("(kỳ đang diễn ra, số liệu đến ngày 31/03/2026)")
        );
        assert!(!y.in_progress(today) && !p.in_progress(date!(2026 - 04 - 01)));
        let this_year = Period::year(2026).expect("2026");
        assert_eq!(this_year.months_until(today).len(), 3);
        assert_eq!(y.months_until(today).len(), 12);
        for bad in [
            "",
            "26",
            "2026-13",
            "2026-Q5",
            "2026-02-10..2026-01-01",
            "abc",
            "2026-3",
        ] {
            assert_eq!(
                Period::parse(bad).expect_err(bad).code,
                "bad_period",
                "{bad}"
            );
        }
    }
}
