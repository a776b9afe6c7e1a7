//! A year's official notice of days off (the yearly letter of the
//! Government Office / Ministry of Home Affairs), as data: it replaces the
//! computed statutory days of that year, so swapped days and make-up
//! Saturdays are the ones announced, not guessed (LAW.md, "Working calendar").
//!
//! The format is one line per fact, so that a bad file is refused with the
//! line at fault:
//!
//! ```text
//! # a comment
//! year: 2026
//! source: Thông báo 9441/TB-BNV (16/10/2025)
//! verified: no
//! 2026-01-02 day-off Nghỉ hoán đổi
//! 2026-01-10 working-day Làm bù cho ngày nghỉ 02/01/2026
//! 2026-11-24 pending-day-off Ngày Văn hóa Việt Nam
//! ```

use super::holidays::is_weekend;
use super::{CalendarOverride, OverrideKind, parse_date};
use crate::text::nfc;
use time::Date;

/// The notices shipped with motcua (secondary sources, marked unverified).
pub const SHIPPED: [&str; 2] = [
    include_str!("../../../../data/calendars/2025.txt"),
    include_str!("../../../../data/calendars/2026.txt"),
];

/// What a line of a notice says of its date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    DayOff,
    /// A Saturday or Sunday worked to make up for a swapped day.
    WorkingDay,
    /// Announced in principle, not enacted: applied only when a unit or the
    /// national calendar switches it on (as an override).
    PendingDayOff,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::DayOff => "day-off",
            NoticeKind::WorkingDay => "working-day",
            NoticeKind::PendingDayOff => "pending-day-off",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeDay {
    pub date: Date,
    pub kind: NoticeKind,
    pub name: String,
}

/// One year's notice, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub year: i32,
    /// The texts it comes from, as cited on screen.
    pub source: String,
    /// Read in the text itself (true) or from a secondary copy (false).
    pub verified: bool,
    /// Sorted by date, one line per date.
    pub days: Vec<NoticeDay>,
}

impl Notice {
    /// The days off it announces (pending ones left out).
    pub fn days_off(&self) -> impl Iterator<Item = &NoticeDay> {
        self.days.iter().filter(|d| d.kind == NoticeKind::DayOff)
    }

    /// Its make-up working days, as overrides of the calendar.
    pub fn working_days(&self) -> impl Iterator<Item = CalendarOverride> + '_ {
        self.days
            .iter()
            .filter(|d| d.kind == NoticeKind::WorkingDay)
            .map(|d| CalendarOverride {
                date: d.date,
                kind: OverrideKind::WorkingDay,
                name: d.name.clone(),
            })
    }

    pub fn pending(&self) -> impl Iterator<Item = &NoticeDay> {
        self.days
            .iter()
            .filter(|d| d.kind == NoticeKind::PendingDayOff)
    }
}

/// Why a notice was refused: the line (from 1) and the reason, in Vietnamese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Dòng {line}: {reason}")]
pub struct NoticeError {
    pub line: usize,
    pub reason: String,
}

fn refuse(line: usize, reason: impl Into<String>) -> NoticeError {
    NoticeError {
        line,
        reason: reason.into(),
    }
}

/// Parse and check a notice; the whole file is refused at its first fault.
pub fn parse_notice(text: &str) -> Result<Notice, NoticeError> {
    let mut year: Option<i32> = None;
    let mut source: Option<String> = None;
    let mut verified = false;
    let mut days: Vec<NoticeDay> = Vec::new();
    let mut last_line = 0;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        last_line = n;
        let line = nfc(raw.trim());
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((key, value)) = header(&line) {
            let value = value.trim();
            match key {
                "year" => {
                    if year.is_some() {
                        return Err(refuse(n, "\"year:\" đã có ở dòng trước"));
                    }
                    let y: i32 = value
                        .parse()
                        .ok()
                        .filter(|y| (2000..=2200).contains(y))
                        .ok_or_else(|| refuse(n, format!("Năm không hợp lệ: «{value}»")))?;
                    year = Some(y);
                }
                "source" if value.is_empty() => {
                    return Err(refuse(n, "Cần ghi văn bản nguồn sau \"source:\""));
                }
                "source" => source = Some(value.to_string()),
                // `header` passes only year, source and verified.
                _ => {
                    verified = match value {
                        "yes" => true,
                        "no" => false,
                        _ => return Err(refuse(n, "\"verified:\" phải là yes hoặc no")),
                    }
                }
            }
            continue;
        }
        let Some(y) = year else {
            return Err(refuse(
                n,
                "Dòng đầu tiên (không kể chú thích) phải là \"year: YYYY\"",
            ));
        };
        days.push(day_line(n, &line, y, &days)?);
    }
    let year = year.ok_or_else(|| refuse(last_line.max(1), "Thiếu dòng \"year: YYYY\""))?;
    let source = source.ok_or_else(|| refuse(last_line.max(1), "Thiếu dòng \"source: …\""))?;
    if !days.iter().any(|d| d.kind == NoticeKind::DayOff) {
        return Err(refuse(
            last_line.max(1),
            "Thông báo không có ngày nghỉ nào (dòng \"YYYY-MM-DD day-off Tên\")",
        ));
    }
    days.sort_by_key(|d| d.date);
    Ok(Notice {
        year,
        source,
        verified,
        days,
    })
}

/// `key: value` for the three header keys.
fn header(line: &str) -> Option<(&str, &str)> {
    let (key, value) = line.split_once(':')?;
    matches!(key.trim(), "year" | "source" | "verified").then(|| (key.trim(), value))
}

fn day_line(n: usize, line: &str, year: i32, seen: &[NoticeDay]) -> Result<NoticeDay, NoticeError> {
    let mut parts = line.splitn(3, char::is_whitespace);
    let date_text = parts.next().unwrap_or("");
    let kind_text = parts.next().unwrap_or("").trim();
    let name = parts.next().unwrap_or("").trim().to_string();
    let date = parse_date(date_text).map_err(|_| {
        refuse(
            n,
            format!("Ngày không hợp lệ: «{date_text}» (cần YYYY-MM-DD)"),
        )
    })?;
    if date.year() != year {
        return Err(refuse(
            n,
            format!("Ngày {date_text} không thuộc năm {year}"),
        ));
    }
    if seen.iter().any(|d| d.date == date) {
        return Err(refuse(n, format!("Ngày {date_text} đã có ở dòng trước")));
    }
    let kind = match kind_text {
        "day-off" => NoticeKind::DayOff,
        "working-day" => NoticeKind::WorkingDay,
        "pending-day-off" => NoticeKind::PendingDayOff,
        other => {
            return Err(refuse(
                n,
                format!(
                    "Loại ngày «{other}» không hợp lệ: day-off, working-day hoặc pending-day-off"
                ),
            ));
        }
    };
    if kind == NoticeKind::WorkingDay && !is_weekend(date) {
        return Err(refuse(
            n,
            format!("Ngày làm bù {date_text} phải là thứ Bảy hoặc Chủ nhật"),
        ));
    }
    if name.is_empty() {
        return Err(refuse(n, "Cần ghi tên ngày sau loại ngày"));
    }
    Ok(NoticeDay { date, kind, name })
}

/// The shipped notices, parsed once (a unit test keeps every one valid):
/// every unit's calendar starts from them.
pub fn shipped() -> Vec<Notice> {
    static PARSED: std::sync::LazyLock<Vec<Notice>> = std::sync::LazyLock::new(|| {
        SHIPPED
            .iter()
            .filter_map(|text| parse_notice(text).ok())
            .collect()
    });
    PARSED.clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_shipped_notices_parse() {
        for text in SHIPPED {
            parse_notice(text).expect("shipped notice");
        }
        let years: Vec<i32> = shipped().iter().map(|n| n.year).collect();
        assert_eq!(years, [2025, 2026]);
    }

    #[test]
    fn the_2026_notice_has_its_swaps_and_the_pending_day() {
        let n = shipped().remove(1);
        assert!(!n.verified);
        assert!(n.source.contains("9441/TB-BNV"));
        let off: Vec<Date> = n.days_off().map(|d| d.date).collect();
        assert!(off.contains(&date!(2026 - 01 - 02)) && off.contains(&date!(2026 - 08 - 31)));
        let made_up: Vec<Date> = n.working_days().map(|o| o.date).collect();
        assert_eq!(made_up, [date!(2026 - 01 - 10), date!(2026 - 08 - 22)]);
        let pending: Vec<Date> = n.pending().map(|d| d.date).collect();
        assert_eq!(pending, [date!(2026 - 11 - 24)]);
    }

    #[test]
    fn a_bad_file_is_refused_whole_with_its_line() {
        let cases = [
            ("2026-01-02 day-off X", 1, "year: YYYY"),
            (
                "year: 2026\nsource: X\n2026-13-02 day-off X",
                3,
                "Ngày không hợp lệ",
            ),
            (
                "year: 2026\nsource: X\n2025-01-02 day-off X",
                3,
                "không thuộc năm 2026",
            ),
            (
                "year: 2026\nsource: X\n2026-01-02 holiday X",
                3,
                "Loại ngày «holiday»",
            ),
            (
                "year: 2026\nsource: X\n2026-01-09 working-day X",
                3,
                "thứ Bảy hoặc Chủ nhật",
            ),
            ("year: 2026\nsource: X\n2026-01-02 day-off", 3, "tên ngày"),
            (
                "year: 2026\nsource: X\n2026-01-02 day-off A\n# c\n2026-01-02 day-off B",
                5,
                "đã có",
            ),
            ("year: 2026\n2026-01-02 day-off A", 2, "source"),
            ("year: 2026\nsource: X\nverified: maybe", 3, "yes hoặc no"),
            (
                "year: 2026\nsource: X\n2026-01-10 working-day A",
                3,
                "không có ngày nghỉ",
            ),
        ];
        for (text, line, reason) in cases {
            let e = parse_notice(text).expect_err(text);
            assert_eq!(e.line, line, "{text}: {e}");
            assert!(e.reason.contains(reason), "{text}: {e}");
        }
    }
}
