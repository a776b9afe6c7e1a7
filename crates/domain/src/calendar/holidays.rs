//! Statutory days off (Bộ luật Lao động 2019, điều 112) computed for a year.

use serde::{Deserialize, Serialize};
use time::{Date, Duration, Month, Weekday};

use super::lunar::{self, LunarDate};

/// One day off of a year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    #[serde(with = "super::ymd")]
    pub date: Date,
    pub name: String,
}

pub(crate) fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// The statutory days off of solar year `year` with their compensatory days,
/// sorted by date. Days whose date cannot be computed (years far outside
/// 1900–2199, at the ends of `Date`) are left out rather than guessed.
pub(crate) fn statutory(year: i32) -> Vec<Holiday> {
    let mut days: Vec<Holiday> = Vec::with_capacity(16);
    let mut push = |date: Option<Date>, name: &str| {
        if let Some(date) = date {
            days.push(Holiday {
                date,
                name: name.to_owned(),
            });
        }
    };
    let solar = |month: Month, day: u8| Date::from_calendar_date(year, month, day).ok();

    push(solar(Month::January, 1), "Tết Dương lịch");

    // Tết: the last day of the old lunar year and mùng 1–4 of the new one
    // (the law gives 5 days; this split is the usual one, the yearly
    // announcement moves it with overrides).
    if let Some(tet) = lunar_to_solar(year, 1, 1) {
        if let Some(eve) = tet.previous_day() {
            let name = match lunar::solar_to_lunar(eve).day {
                29 => "Tết Nguyên đán (29 tháng Chạp)",
                _ => "Tết Nguyên đán (30 tháng Chạp)",
            };
            push(Some(eve), name);
        }
        let names = [
            "Tết Nguyên đán (mùng 1)",
            "Tết Nguyên đán (mùng 2)",
            "Tết Nguyên đán (mùng 3)",
            "Tết Nguyên đán (mùng 4)",
        ];
        for (offset, name) in (0_i64..).zip(names) {
            push(tet.checked_add(Duration::days(offset)), name);
        }
    }

    push(
        lunar_to_solar(year, 3, 10),
        "Giỗ Tổ Hùng Vương (10/3 âm lịch)",
    );
    push(solar(Month::April, 30), "Ngày Chiến thắng");
    push(solar(Month::May, 1), "Ngày Quốc tế lao động");

    if let Some(national) = solar(Month::September, 2) {
        push(Some(national), "Quốc khánh");
        // One day next to 2/9; which one is announced yearly, this default
        // keeps the break joined to a weekend where it can.
        let adjacent = match national.weekday() {
            Weekday::Monday | Weekday::Thursday | Weekday::Sunday => national.next_day(),
            _ => national.previous_day(),
        };
        push(adjacent, "Quốc khánh (ngày liền kề)");
    }

    days.sort_by_key(|h| h.date);
    // Giỗ Tổ (10/3 lunar) can fall on 30/4 or 1/5: one day off, both names,
    // and one compensatory day if it is a weekend.
    days.dedup_by(|later, earlier| {
        let same = later.date == earlier.date;
        if same {
            earlier.name = format!("{} và {}", earlier.name, later.name);
        }
        same
    });
    add_compensatory(&mut days);
    days
}

fn lunar_to_solar(year: i32, month: u8, day: u8) -> Option<Date> {
    lunar::lunar_to_solar(LunarDate {
        year,
        month,
        day,
        leap: false,
    })
}

/// Art. 112.3: a holiday on a weekend gives a day off on the next day that is
/// neither weekend, nor holiday, nor already given as a compensatory day.
fn add_compensatory(days: &mut Vec<Holiday>) {
    let mut taken: Vec<Date> = days.iter().map(|h| h.date).collect();
    let mut extra = Vec::new();
    for h in days.iter().filter(|h| is_weekend(h.date)) {
        let mut candidate = h.date.next_day();
        while let Some(c) = candidate {
            if !is_weekend(c) && !taken.contains(&c) {
                break;
            }
            candidate = c.next_day();
        }
        if let Some(c) = candidate {
            taken.push(c);
            extra.push(Holiday {
                date: c,
                name: format!("Nghỉ bù {}", h.name),
            });
        }
    }
    days.extend(extra);
    days.sort_by_key(|h| h.date);
}
