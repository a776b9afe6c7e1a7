//! The working calendar as staff and citizens see it: the lunar calendar,
//! the days off of a year, and when a dossier is due.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use std::sync::LazyLock;
use std::time::Instant;

use motcua_domain::calendar::lunar::{LunarDate, leap_month, lunar_to_solar, solar_to_lunar};
use motcua_domain::calendar::{
    CalendarError, CalendarOverride, Date, OffsetDateTime, OverrideKind, ProcessingTime, Time,
    UtcOffset, VN_OFFSET, WorkCalendar, WorkingHours, format_vn, parse_instant,
};
use proptest::prelude::*;
use time::macros::{date, datetime, time};
use time::{Duration, Weekday};
use unicode_normalization::is_nfc;

static CAL: LazyLock<WorkCalendar> = LazyLock::new(WorkCalendar::vietnam);
/// The Labour Code's days alone, without the official notices: what the
/// lunar computation gives for a year nobody has announced yet.
static COMPUTED: LazyLock<WorkCalendar> =
    LazyLock::new(|| WorkCalendar::with_notices(WorkingHours::default(), Vec::new(), Vec::new()));

fn lunar(year: i32, month: u8, day: u8, leap: bool) -> LunarDate {
    LunarDate {
        year,
        month,
        day,
        leap,
    }
}

fn name_on(cal: &WorkCalendar, d: Date) -> Option<String> {
    cal.holidays(d.year())
        .into_iter()
        .find(|h| h.date == d)
        .map(|h| h.name)
}

/// Is `t` inside a session of a working day, or exactly at a session end?
fn is_working_instant(cal: &WorkCalendar, t: OffsetDateTime) -> bool {
    let t = t.to_offset(VN_OFFSET);
    cal.is_working_day(t.date())
        && cal
            .hours()
            .sessions()
            .iter()
            .any(|&(start, end)| start <= t.time() && t.time() <= end)
}

fn nth_working_day_after(cal: &WorkCalendar, mut d: Date, n: u32) -> Date {
    for _ in 0..n {
        d = d.next_day().expect("test dates are far from Date::MAX");
        while !cal.is_working_day(d) {
            d = d.next_day().expect("test dates are far from Date::MAX");
        }
    }
    d
}

// ---------------------------------------------------------------- lunar

/// Tết (1 tháng Giêng) in Vietnam; the comment gives China's date where the
/// two calendars differ, because the new moon falls between 23:00 and 24:00
/// at UTC+7.
const TET: &[(i32, Date)] = &[
    (1968, date!(1968 - 01 - 29)), // China: 01-30
    (1985, date!(1985 - 01 - 21)), // China: 02-20 (leap month placement)
    (2007, date!(2007 - 02 - 17)), // China: 02-18
    (2024, date!(2024 - 02 - 10)),
    (2025, date!(2025 - 01 - 29)),
    (2026, date!(2026 - 02 - 17)),
    (2027, date!(2027 - 02 - 06)),
    (2028, date!(2028 - 01 - 26)),
    (2029, date!(2029 - 02 - 13)),
    (2030, date!(2030 - 02 - 02)), // China: 02-03
];

#[test]
fn tet_falls_on_the_vietnamese_dates() {
    for &(year, tet) in TET {
        assert_eq!(
            lunar_to_solar(lunar(year, 1, 1, false)),
            Some(tet),
            "Tết {year}"
        );
        assert_eq!(solar_to_lunar(tet), lunar(year, 1, 1, false), "Tết {year}");
    }
}

#[test]
fn lunar_dates_display_as_iso_with_leap_marker() {
    assert_eq!(
        solar_to_lunar(date!(2030 - 02 - 02)).to_string(),
        "2030-01-01"
    );
    // Month 12 of Kỷ Dậu has 29 days (new moons on 4/1 and 2/2/2030).
    assert_eq!(
        solar_to_lunar(date!(2030 - 02 - 01)).to_string(),
        "2029-12-29"
    );
    assert_eq!(lunar(2029, 12, 30, false).to_string(), "2029-12-30");
    assert_eq!(lunar_to_solar(lunar(2029, 12, 30, false)), None);
    assert_eq!(lunar(2033, 11, 1, true).to_string(), "2033-11-01 nhuận");
    // Mid-autumn 2024 and the first day of the leap month 2 of 2023.
    assert_eq!(
        solar_to_lunar(date!(2024 - 09 - 17)).to_string(),
        "2024-08-15"
    );
    assert_eq!(
        solar_to_lunar(date!(2023 - 03 - 22)).to_string(),
        "2023-02-01 nhuận"
    );
}

#[test]
fn leap_months() {
    assert_eq!(leap_month(2023), Some(2));
    assert_eq!(leap_month(2025), Some(6));
    assert_eq!(leap_month(2026), None);
    assert_eq!(leap_month(2028), Some(5));
    // 2025: the 6th month comes twice, 25/6 and 25/7 of the solar calendar.
    assert_eq!(
        lunar_to_solar(lunar(2025, 6, 1, false)),
        Some(date!(2025 - 06 - 25))
    );
    assert_eq!(
        lunar_to_solar(lunar(2025, 6, 1, true)),
        Some(date!(2025 - 07 - 25))
    );
    assert_eq!(
        lunar_to_solar(lunar(2025, 7, 1, false)),
        Some(date!(2025 - 08 - 23))
    );
    assert_eq!(
        solar_to_lunar(date!(2025 - 08 - 01)),
        lunar(2025, 6, 8, true)
    );
}

#[test]
fn lunar_dates_that_do_not_exist_have_no_solar_date() {
    // 2026 has no leap month; 2025's is the 6th, not the 5th.
    assert_eq!(lunar_to_solar(lunar(2026, 3, 1, true)), None);
    assert_eq!(lunar_to_solar(lunar(2025, 5, 1, true)), None);
    assert_eq!(lunar_to_solar(lunar(2025, 13, 1, false)), None);
    assert_eq!(lunar_to_solar(lunar(2025, 0, 1, false)), None);
    assert_eq!(lunar_to_solar(lunar(2025, 1, 0, false)), None);
    assert_eq!(lunar_to_solar(lunar(2025, 1, 31, false)), None);
    // Every 29-day month has no day 30: the last month of Giáp Thìn (2024)
    // ends on 28/1/2025, the day before Tết.
    let eve = solar_to_lunar(date!(2025 - 01 - 28));
    assert_eq!((eve.year, eve.month, eve.leap), (2024, 12, false));
    assert_eq!(eve.day, 29);
    assert_eq!(lunar_to_solar(lunar(2024, 12, 30, false)), None);
}

#[test]
fn lunar_round_trip_every_day_1990_to_2100() {
    let mut d = date!(1990 - 01 - 01);
    let mut previous = solar_to_lunar(d.previous_day().expect("1989-12-31"));
    let mut months = 0;
    while d <= date!(2100 - 12 - 31) {
        let l = solar_to_lunar(d);
        assert_eq!(lunar_to_solar(l), Some(d), "{d} → {l}");
        // Days follow one another, and a month has 29 or 30 of them.
        if l.day == 1 {
            assert!(matches!(previous.day, 29 | 30), "{d}: {previous} → {l}");
            months += 1;
        } else {
            assert_eq!(
                l,
                LunarDate {
                    day: previous.day + 1,
                    ..previous
                },
                "{d}"
            );
        }
        previous = l;
        d = d.next_day().expect("2100 is far from Date::MAX");
    }
    // 111 years of about 12.37 months.
    assert!((1370..=1375).contains(&months), "{months} months");
}

#[test]
fn lunar_conversion_never_panics_at_the_ends_of_the_date_range() {
    for d in [Date::MIN, Date::MAX, date!(0000 - 01 - 01)] {
        let l = solar_to_lunar(d);
        let _ = lunar_to_solar(l);
    }
    let _ = lunar_to_solar(lunar(i32::MAX, 12, 30, true));
    let _ = lunar_to_solar(lunar(i32::MIN, 1, 1, false));
}

// ---------------------------------------------------------------- holidays

#[test]
fn tet_is_five_days_off_2024_to_2030() {
    for &(year, tet) in TET.iter().filter(|(y, _)| *y >= 2024) {
        let eve = tet.previous_day().expect("not Date::MIN");
        let eve_name = name_on(&COMPUTED, eve).expect("the last day of the lunar year is off");
        let last_day = solar_to_lunar(eve).day;
        assert_eq!(eve_name, format!("Tết Nguyên đán ({last_day} tháng Chạp)"));
        for i in 1..=4_u8 {
            let d = tet + Duration::days(i64::from(i) - 1);
            assert_eq!(
                name_on(&COMPUTED, d).as_deref(),
                Some(format!("Tết Nguyên đán (mùng {i})").as_str()),
                "{year}"
            );
            assert!(!COMPUTED.is_working_day(d));
        }
    }
    // Tết 2026: Monday 16 to Friday 20 February.
    let tet_2026: Vec<Date> = CAL
        .holidays(2026)
        .into_iter()
        .filter(|h| h.name.starts_with("Tết Nguyên đán"))
        .map(|h| h.date)
        .collect();
    assert_eq!(
        tet_2026,
        [
            date!(2026 - 02 - 16),
            date!(2026 - 02 - 17),
            date!(2026 - 02 - 18),
            date!(2026 - 02 - 19),
            date!(2026 - 02 - 20)
        ]
    );
}

#[test]
fn hung_kings_2026_on_sunday_gives_monday_off() {
    assert_eq!(date!(2026 - 04 - 26).weekday(), Weekday::Sunday);
    assert_eq!(
        name_on(&COMPUTED, date!(2026 - 04 - 26)).as_deref(),
        Some("Giỗ Tổ Hùng Vương (10/3 âm lịch)")
    );
    assert_eq!(
        name_on(&COMPUTED, date!(2026 - 04 - 27)).as_deref(),
        Some("Nghỉ bù Giỗ Tổ Hùng Vương (10/3 âm lịch)")
    );
    assert!(!COMPUTED.is_working_day(date!(2026 - 04 - 27)));
    assert!(COMPUTED.is_working_day(date!(2026 - 04 - 28)));
    // 2025: 10/3 is Monday 7 April, no compensatory day.
    assert_eq!(
        name_on(&COMPUTED, date!(2025 - 04 - 07)).as_deref(),
        Some("Giỗ Tổ Hùng Vương (10/3 âm lịch)")
    );
    assert!(COMPUTED.is_working_day(date!(2025 - 04 - 08)));
}

#[test]
fn reunification_and_labour_day() {
    assert_eq!(
        name_on(&CAL, date!(2026 - 04 - 30)).as_deref(),
        Some("Ngày Chiến thắng")
    );
    assert_eq!(
        name_on(&CAL, date!(2026 - 05 - 01)).as_deref(),
        Some("Ngày Quốc tế lao động")
    );
    assert!(!CAL.is_working_day(date!(2026 - 04 - 30)));
    assert!(!CAL.is_working_day(date!(2026 - 05 - 01)));
    // 2027: 1/5 is a Saturday → Monday 3/5 off.
    assert_eq!(
        name_on(&CAL, date!(2027 - 05 - 03)).as_deref(),
        Some("Nghỉ bù Ngày Quốc tế lao động")
    );
}

#[test]
fn national_day_with_its_adjacent_day() {
    // 2/9/2026 is a Wednesday → 1/9 too; 2/9/2027 a Thursday → 3/9.
    assert_eq!(
        name_on(&CAL, date!(2026 - 09 - 02)).as_deref(),
        Some("Quốc khánh")
    );
    assert_eq!(
        name_on(&CAL, date!(2026 - 09 - 01)).as_deref(),
        Some("Quốc khánh (ngày liền kề)")
    );
    assert_eq!(
        name_on(&CAL, date!(2027 - 09 - 03)).as_deref(),
        Some("Quốc khánh (ngày liền kề)")
    );
    assert!(CAL.is_working_day(date!(2027 - 09 - 01)));
    // 2/9/2029 is a Sunday: 3/9 is the adjacent day, so the compensatory day
    // for Sunday is Tuesday 4/9.
    assert_eq!(
        name_on(&CAL, date!(2029 - 09 - 03)).as_deref(),
        Some("Quốc khánh (ngày liền kề)")
    );
    assert_eq!(
        name_on(&CAL, date!(2029 - 09 - 04)).as_deref(),
        Some("Nghỉ bù Quốc khánh")
    );
}

#[test]
fn new_year_on_saturday_gives_monday_off() {
    assert_eq!(date!(2028 - 01 - 01).weekday(), Weekday::Saturday);
    let h = CAL.holidays(2028);
    assert_eq!(h[0].date, date!(2028 - 01 - 01));
    assert_eq!(h[0].name, "Tết Dương lịch");
    assert_eq!(h[1].date, date!(2028 - 01 - 03));
    assert_eq!(h[1].name, "Nghỉ bù Tết Dương lịch");
    assert!(!CAL.is_working_day(date!(2028 - 01 - 03)));
}

#[test]
fn holidays_are_sorted_named_in_nfc_and_off() {
    for year in 1900..=2199 {
        let h = CAL.holidays(year);
        // 11 statutory days, plus compensatory ones.
        assert!(h.len() >= 11, "{year}: {h:?}");
        assert!(h.windows(2).all(|w| w[0].date < w[1].date), "{year}");
        for day in &h {
            assert_eq!(day.date.year(), year);
            assert!(is_nfc(&day.name), "{}", day.name);
            assert!(!CAL.is_working_day(day.date));
        }
    }
}

#[test]
fn overrides_change_the_year() {
    let cal = WorkCalendar::with_notices(
        WorkingHours::default(),
        Vec::new(),
        vec![
            CalendarOverride {
                date: date!(2026 - 01 - 02),
                kind: OverrideKind::DayOff,
                name: "Nghỉ Tết Dương lịch (hoán đổi)".into(),
            },
            CalendarOverride {
                date: date!(2026 - 01 - 10),
                kind: OverrideKind::WorkingDay,
                name: "Làm bù cho ngày 02/01".into(),
            },
            // A computed day the announcement did not keep.
            CalendarOverride {
                date: date!(2026 - 09 - 01),
                kind: OverrideKind::WorkingDay,
                name: "Làm việc".into(),
            },
        ],
    );
    assert!(
        cal.is_working_day(date!(2026 - 01 - 10)),
        "make-up Saturday"
    );
    assert!(!cal.is_working_day(date!(2026 - 01 - 02)));
    assert!(cal.is_working_day(date!(2026 - 09 - 01)));
    let h = cal.holidays(2026);
    assert_eq!(h[1].date, date!(2026 - 01 - 02));
    assert_eq!(h[1].name, "Nghỉ Tết Dương lịch (hoán đổi)");
    assert!(h.iter().all(|d| d.date != date!(2026 - 09 - 01)));
    assert!(h.iter().all(|d| d.date != date!(2026 - 01 - 10)));
    // The default calendar is untouched.
    assert!(COMPUTED.is_working_day(date!(2026 - 01 - 02)));
    assert!(!COMPUTED.is_working_day(date!(2026 - 01 - 10)));
    // And deadlines move with it: by default the 5 working days after
    // Wed 31/12 are 2, 5, 6, 7 and 8 January; with 2/1 off, 5 to 9 January.
    let from = datetime!(2025-12-31 08:00 +7);
    assert_eq!(
        COMPUTED.due(from, ProcessingTime::WorkingDays { amount: 5 }),
        datetime!(2026-01-08 08:00 +7)
    );
    assert_eq!(
        cal.due(from, ProcessingTime::WorkingDays { amount: 5 }),
        datetime!(2026-01-09 08:00 +7)
    );
    let from = datetime!(2026-01-09 08:00 +7);
    assert_eq!(
        cal.due(from, ProcessingTime::WorkingDays { amount: 1 }),
        datetime!(2026-01-10 08:00 +7)
    );
}

// ------------------------------------------------- official notices 2025/26

#[test]
fn the_2025_swap_and_its_make_up_saturday_count() {
    // Sat 26/4/2025 is worked, Fri 2/5 is off (Văn bản 8726/VPCP-KGVX).
    assert!(CAL.is_working_day(date!(2025 - 04 - 26)));
    assert!(!CAL.is_working_day(date!(2025 - 05 - 02)));
    assert!(COMPUTED.is_working_day(date!(2025 - 05 - 02)));
    // Fri 25/4 08:00 + 3 working days: Fri 7.5 h, Sat 8 h, Mon 8 h, Tue 0.5 h.
    let from = datetime!(2025-04-25 08:00 +7);
    let three = ProcessingTime::WorkingDays { amount: 3 };
    assert_eq!(CAL.due(from, three), datetime!(2025-04-29 08:00 +7));
    // Without the notice the Saturday is not worked, 30/4–1/5 intervene and
    // Friday 2/5 is a working day.
    assert_eq!(COMPUTED.due(from, three), datetime!(2025-05-02 08:00 +7));
    // Tue 29/4 + 1 working day jumps 30/4, 1/5 and the swapped 2/5.
    let one = ProcessingTime::WorkingDays { amount: 1 };
    assert_eq!(
        CAL.due(datetime!(2025-04-29 08:00 +7), one),
        datetime!(2025-05-05 08:00 +7)
    );
    // Tết Ất Tỵ as announced: Monday 27 to Friday 31 January, Monday 3/2 worked.
    for d in 27..=31 {
        let day = Date::from_calendar_date(2025, time::Month::January, d).unwrap();
        assert!(!CAL.is_working_day(day), "{day}");
    }
    assert!(CAL.is_working_day(date!(2025 - 02 - 03)));
}

#[test]
fn the_2026_swaps_and_make_up_saturdays_count() {
    assert!(!CAL.is_working_day(date!(2026 - 01 - 02)));
    assert!(CAL.is_working_day(date!(2026 - 01 - 10)));
    assert!(!CAL.is_working_day(date!(2026 - 08 - 31)));
    assert!(CAL.is_working_day(date!(2026 - 08 - 22)));
    let five = ProcessingTime::WorkingDays { amount: 5 };
    // Wed 31/12/2025 08:00: 1/1 and the swapped 2/1 are off → Fri 9/1 08:00.
    assert_eq!(
        CAL.due(datetime!(2025-12-31 08:00 +7), five),
        datetime!(2026-01-09 08:00 +7)
    );
    // Fri 9/1 08:00: Fri, Sat 10/1 (worked), Mon, Tue, Wed → Thu 15/1 08:00.
    assert_eq!(
        CAL.due(datetime!(2026-01-09 08:00 +7), five),
        datetime!(2026-01-15 08:00 +7)
    );
    let three = ProcessingTime::WorkingDays { amount: 3 };
    // Fri 21/8 08:00: Fri, Sat 22/8 (worked), Mon → Tue 25/8 08:00.
    assert_eq!(
        CAL.due(datetime!(2026-08-21 08:00 +7), three),
        datetime!(2026-08-25 08:00 +7)
    );
    // Thu 27/8 08:00: Thu, Fri, then 31/8, 1/9, 2/9 off → Thu 3/9 → Fri 4/9 08:00.
    assert_eq!(
        CAL.due(datetime!(2026-08-27 08:00 +7), three),
        datetime!(2026-09-04 08:00 +7)
    );
    let made_up: Vec<Date> = CAL.make_up_days(2026).into_iter().map(|h| h.date).collect();
    assert_eq!(made_up, [date!(2026 - 01 - 10), date!(2026 - 08 - 22)]);
    // 24/11 is pending: a working day until someone switches it on.
    assert!(CAL.is_working_day(date!(2026 - 11 - 24)));
    let on = WorkCalendar::new(
        WorkingHours::default(),
        vec![CalendarOverride {
            date: date!(2026 - 11 - 24),
            kind: OverrideKind::DayOff,
            name: "Ngày Văn hóa Việt Nam".into(),
        }],
    );
    assert!(!on.is_working_day(date!(2026 - 11 - 24)));
    // A local override still wins over the notice: a unit works on 2/1.
    let local = WorkCalendar::new(
        WorkingHours::default(),
        vec![CalendarOverride {
            date: date!(2026 - 01 - 02),
            kind: OverrideKind::WorkingDay,
            name: "Làm việc".into(),
        }],
    );
    assert!(local.is_working_day(date!(2026 - 01 - 02)));
    assert!(local.is_working_day(date!(2026 - 01 - 10)));
}

#[test]
fn a_later_override_of_the_same_date_wins() {
    let day = date!(2026 - 05 - 04);
    let o = |kind, name: &str| CalendarOverride {
        date: day,
        kind,
        name: name.into(),
    };
    let cal = WorkCalendar::new(
        WorkingHours::default(),
        vec![
            o(OverrideKind::DayOff, "Nghỉ (thông báo cũ)"),
            o(OverrideKind::WorkingDay, "Làm việc (đính chính)"),
            o(OverrideKind::DayOff, "Nghỉ (thông báo mới)"),
        ],
    );
    assert_eq!(cal.overrides().len(), 1);
    assert!(!cal.is_working_day(day));
    assert_eq!(name_on(&cal, day).as_deref(), Some("Nghỉ (thông báo mới)"));
}

// ---------------------------------------------------------------- deadlines

#[test]
fn five_working_days_across_tet_2026() {
    let from = datetime!(2026-02-13 10:00 +7);
    assert_eq!(
        CAL.due(from, ProcessingTime::WorkingDays { amount: 5 }),
        datetime!(2026-02-27 10:00 +7)
    );
    // The same instant given in UTC.
    assert_eq!(
        CAL.due(
            datetime!(2026-02-13 03:00 UTC),
            ProcessingTime::WorkingDays { amount: 5 }
        ),
        datetime!(2026-02-27 10:00 +7)
    );
    assert_eq!(
        CAL.due(from, ProcessingTime::WorkingDays { amount: 5 })
            .offset(),
        VN_OFFSET
    );
}

#[test]
fn working_days_received_outside_hours_start_at_the_next_session() {
    // Received Saturday: counting starts Monday 07:30, so 5 working days end
    // Friday 17:00, not the following Monday.
    assert_eq!(
        CAL.due(
            datetime!(2026-03-07 09:00 +7),
            ProcessingTime::WorkingDays { amount: 5 }
        ),
        datetime!(2026-03-13 17:00 +7)
    );
    // Zero working days: the end of that working day.
    assert_eq!(
        CAL.due(
            datetime!(2026-03-07 09:00 +7),
            ProcessingTime::WorkingDays { amount: 0 }
        ),
        datetime!(2026-03-09 17:00 +7)
    );
    assert_eq!(
        CAL.due(
            datetime!(2026-03-10 09:00 +7),
            ProcessingTime::WorkingDays { amount: 0 }
        ),
        datetime!(2026-03-10 17:00 +7)
    );
}

#[test]
fn same_day_without_a_cutoff_counts_the_whole_working_day() {
    let p = ProcessingTime::SameDay { cutoff: None };
    // Wednesday 16:30: still the same day (no 15:00 rule for this procedure).
    assert_eq!(
        CAL.due(datetime!(2026-03-11 16:30 +7), p),
        datetime!(2026-03-11 17:00 +7)
    );
    // After the day's end → the next working day.
    assert_eq!(
        CAL.due(datetime!(2026-03-11 17:00 +7), p),
        datetime!(2026-03-12 17:00 +7)
    );
}

#[test]
fn same_day_before_and_after_cutoff() {
    let p = ProcessingTime::SameDay {
        cutoff: Some(time!(15:00)),
    };
    // Wednesday.
    assert_eq!(
        CAL.due(datetime!(2026-03-11 14:59 +7), p),
        datetime!(2026-03-11 17:00 +7)
    );
    assert_eq!(
        CAL.due(datetime!(2026-03-11 15:00 +7), p),
        datetime!(2026-03-12 17:00 +7)
    );
    // Friday after the cutoff → Monday.
    assert_eq!(
        CAL.due(datetime!(2026-03-13 16:00 +7), p),
        datetime!(2026-03-16 17:00 +7)
    );
    // Saturday morning, before the cutoff but not a working day → Monday.
    assert_eq!(
        CAL.due(datetime!(2026-03-14 08:00 +7), p),
        datetime!(2026-03-16 17:00 +7)
    );
    // The day before Tết 2026 (Friday 13/2) after the cutoff → Monday 23/2.
    assert_eq!(
        CAL.due(datetime!(2026-02-13 16:00 +7), p),
        datetime!(2026-02-23 17:00 +7)
    );
}

#[test]
fn calendar_days_ending_on_a_sunday_end_on_monday() {
    let from = datetime!(2026-03-07 10:00 +7);
    assert_eq!(date!(2026 - 03 - 22).weekday(), Weekday::Sunday);
    assert_eq!(
        CAL.due(from, ProcessingTime::Days { amount: 15 }),
        datetime!(2026-03-23 17:00 +7)
    );
    // On a working day: the end of that day.
    assert_eq!(
        CAL.due(
            datetime!(2026-03-09 10:00 +7),
            ProcessingTime::Days { amount: 15 }
        ),
        datetime!(2026-03-24 17:00 +7)
    );
    // Ending on Hùng Kings' compensatory Monday → Tuesday.
    assert_eq!(
        CAL.due(
            datetime!(2026-04-12 10:00 +7),
            ProcessingTime::Days { amount: 15 }
        ),
        datetime!(2026-04-28 17:00 +7)
    );
}

#[test]
fn working_hours_skip_the_lunch_break() {
    let monday = datetime!(2026-03-09 10:00 +7);
    assert_eq!(
        CAL.due(monday, ProcessingTime::WorkingHours { amount: 4 }),
        datetime!(2026-03-09 15:30 +7)
    );
    // Landing exactly at the end of the morning session stays at 11:30.
    assert_eq!(
        CAL.due(
            datetime!(2026-03-09 09:30 +7),
            ProcessingTime::WorkingHours { amount: 2 }
        ),
        datetime!(2026-03-09 11:30 +7)
    );
    // Received during lunch: the count starts at 13:00.
    assert_eq!(
        CAL.due(
            datetime!(2026-03-09 12:00 +7),
            ProcessingTime::WorkingHours { amount: 1 }
        ),
        datetime!(2026-03-09 14:00 +7)
    );
    // Friday afternoon across the weekend.
    assert_eq!(
        CAL.due(
            datetime!(2026-03-13 16:00 +7),
            ProcessingTime::WorkingHours { amount: 3 }
        ),
        datetime!(2026-03-16 09:30 +7)
    );
    assert_eq!(
        CAL.working_minutes_between(
            datetime!(2026-03-09 10:00 +7),
            datetime!(2026-03-09 15:30 +7)
        ),
        240
    );
}

#[test]
fn next_working_instant() {
    let t = datetime!(2026-03-09 10:00 +7);
    assert_eq!(CAL.next_working_instant(t), t);
    // A session end is not inside the session.
    assert_eq!(
        CAL.next_working_instant(datetime!(2026-03-09 11:30 +7)),
        datetime!(2026-03-09 13:00 +7)
    );
    assert_eq!(
        CAL.next_working_instant(datetime!(2026-03-13 17:00 +7)),
        datetime!(2026-03-16 07:30 +7)
    );
    // Any offset in, Vietnam time out.
    let out = CAL.next_working_instant(datetime!(2026-03-09 00:00 UTC));
    assert_eq!(out, datetime!(2026-03-09 07:30 +7));
    assert_eq!(out.offset(), VN_OFFSET);
}

#[test]
fn extreme_instants_do_not_panic() {
    let max = Date::MAX.with_time(Time::MAX).assume_offset(UtcOffset::UTC);
    let min = Date::MIN.midnight().assume_offset(UtcOffset::UTC);
    let far_east = Date::MIN
        .midnight()
        .assume_offset(time::macros::offset!(+14));
    for t in [max, min, far_east] {
        let _ = CAL.next_working_instant(t);
        let _ = CAL.add_working_minutes(t, i64::MAX);
        let _ = CAL.add_working_minutes(t, i64::MIN);
        let _ = format_vn(t);
        for p in [
            ProcessingTime::WorkingDays { amount: u32::MAX },
            ProcessingTime::WorkingDays { amount: 0 },
            ProcessingTime::WorkingHours { amount: u32::MAX },
            ProcessingTime::Days { amount: u32::MAX },
            ProcessingTime::SameDay {
                cutoff: Some(time!(15:00)),
            },
        ] {
            let _ = CAL.due(t, p);
        }
    }
    let _ = CAL.working_minutes_between(min, max);
    let _ = CAL.is_working_day(Date::MIN);
    let _ = CAL.holidays(i32::MAX);
}

// ---------------------------------------------------------------- hours, text, serde

#[test]
fn working_hours_are_checked() {
    let h = WorkingHours::default();
    assert_eq!(
        h.sessions(),
        [(time!(07:30), time!(11:30)), (time!(13:00), time!(17:00))]
    );
    assert_eq!(h.minutes_per_day(), 480);
    assert!(matches!(
        WorkingHours::new(vec![]),
        Err(CalendarError::NoSession)
    ));
    assert!(WorkingHours::new(vec![(time!(11:00), time!(11:00))]).is_err());
    assert!(WorkingHours::new(vec![(time!(12:00), time!(11:00))]).is_err());
    let unsorted = WorkingHours::new(vec![
        (time!(13:00), time!(17:00)),
        (time!(07:30), time!(11:30)),
    ]);
    assert!(unsorted.is_err());
    let overlapping = WorkingHours::new(vec![
        (time!(07:30), time!(12:00)),
        (time!(11:30), time!(17:00)),
    ]);
    let err = overlapping.expect_err("overlapping sessions");
    assert!(err.to_string().contains("chồng lên nhau"), "{err}");
    assert!(is_nfc(&err.to_string()));
    let saturday_hours = WorkingHours::new(vec![(time!(08:00), time!(12:00))]).expect("valid");
    assert_eq!(saturday_hours.minutes_per_day(), 240);
    let cal = WorkCalendar::new(saturday_hours, vec![]);
    assert_eq!(
        cal.due(
            datetime!(2026-03-09 11:00 +7),
            ProcessingTime::WorkingDays { amount: 1 }
        ),
        datetime!(2026-03-10 11:00 +7)
    );
}

#[test]
fn instants_parse_and_format_in_vietnam_time() {
    let t = parse_instant("2026-02-13T10:00").expect("local form");
    assert_eq!(t, datetime!(2026-02-13 10:00 +7));
    assert_eq!(t.offset(), VN_OFFSET);
    assert_eq!(
        parse_instant("2026-02-13T03:00:00Z").expect("RFC 3339"),
        datetime!(2026-02-13 10:00 +7)
    );
    assert_eq!(
        parse_instant("2026-02-13T03:00:00Z")
            .expect("RFC 3339")
            .offset(),
        VN_OFFSET
    );
    assert_eq!(
        parse_instant(" 2026-02-13 10:00 ").expect("space instead of T"),
        datetime!(2026-02-13 10:00 +7)
    );
    // As the pages print it, read back: "dd/mm/yyyy HH:MM", Vietnam time.
    assert_eq!(parse_instant(&format_vn(t)).expect("as printed"), t);
    assert_eq!(
        parse_instant("13/2/2026 10:00").expect("as typed"),
        datetime!(2026-02-13 10:00 +7)
    );
    for bad in [
        "",
        "31/02/2026 10:00",
        "2026-02-30T10:00",
        "2026-02-13T25:00",
        "hôm nay",
    ] {
        let err = parse_instant(bad).expect_err(bad);
        assert!(
            err.to_string().starts_with("Thời điểm không hợp lệ"),
            "{err}"
        );
    }
    assert_eq!(
        format_vn(datetime!(2026-02-27 03:00 UTC)),
        "27/02/2026 10:00"
    );
    assert_eq!(
        format_vn(datetime!(2025-12-31 17:05 UTC)),
        "01/01/2026 00:05"
    );
}

#[test]
fn processing_time_and_overrides_serialize_for_the_api() {
    let cases = [
        (
            ProcessingTime::WorkingDays { amount: 5 },
            r#"{"unit":"working_days","amount":5}"#,
        ),
        (
            ProcessingTime::WorkingHours { amount: 8 },
            r#"{"unit":"working_hours","amount":8}"#,
        ),
        (
            ProcessingTime::Days { amount: 15 },
            r#"{"unit":"days","amount":15}"#,
        ),
        (
            ProcessingTime::SameDay {
                cutoff: Some(time!(15:00)),
            },
            r#"{"unit":"same_day","cutoff":"15:00"}"#,
        ),
    ];
    for (p, json) in cases {
        assert_eq!(serde_json::to_string(&p).expect("serialize"), json);
        assert_eq!(serde_json::from_str::<ProcessingTime>(json).expect(json), p);
    }
    assert!(
        serde_json::from_str::<ProcessingTime>(r#"{"unit":"same_day","cutoff":"25:00"}"#).is_err()
    );
    let o = CalendarOverride {
        date: date!(2026 - 01 - 10),
        kind: OverrideKind::WorkingDay,
        name: "Làm bù".into(),
    };
    let json = r#"{"date":"2026-01-10","kind":"working_day","name":"Làm bù"}"#;
    assert_eq!(serde_json::to_string(&o).expect("serialize"), json);
    assert_eq!(
        serde_json::from_str::<CalendarOverride>(json).expect(json),
        o
    );
}

#[test]
fn calendar_is_shareable_and_due_is_cheap() {
    fn shareable<T: Send + Sync + Clone + 'static>() {}
    shareable::<WorkCalendar>();

    let cal = CAL.clone();
    // Warm the year tables, then time the look-ups alone.
    let from = datetime!(2026-01-05 09:00 +7);
    let p = ProcessingTime::WorkingDays { amount: 30 };
    let expected = cal.due(from, p);
    let start = Instant::now();
    for i in 0..2_000 {
        let t = from + Duration::minutes(i);
        assert!(cal.due(t, p) >= expected);
    }
    let per_call = start.elapsed() / 2_000;
    // Microseconds in release; a very loose bound for an unoptimized build
    // on a busy machine.
    assert!(per_call.as_micros() < 1_000, "{per_call:?} per due()");
}

// ---------------------------------------------------------------- properties

/// Any instant from 2000 to 2100, at any UTC offset from -12:00 to +14:00.
fn instant() -> impl Strategy<Value = OffsetDateTime> {
    let lo = datetime!(2000-01-01 00:00 UTC).unix_timestamp();
    let hi = datetime!(2100-12-31 23:59 UTC).unix_timestamp();
    (lo..hi, -12_i8..=14).prop_map(|(secs, hours)| {
        let utc = OffsetDateTime::from_unix_timestamp(secs).expect("in range");
        utc.to_offset(UtcOffset::from_hms(hours, 0, 0).expect("valid offset"))
    })
}

/// As [`instant`], on whole minutes.
fn minute_instant() -> impl Strategy<Value = OffsetDateTime> {
    instant().prop_map(|t| t - Duration::seconds(i64::from(t.second())))
}

fn working_amount() -> impl Strategy<Value = ProcessingTime> {
    prop_oneof![
        (0_u32..80).prop_map(|amount| ProcessingTime::WorkingDays { amount }),
        (0_u32..400).prop_map(|amount| ProcessingTime::WorkingHours { amount }),
    ]
}

fn with_amount(p: ProcessingTime, amount: u32) -> ProcessingTime {
    match p {
        ProcessingTime::WorkingDays { .. } => ProcessingTime::WorkingDays { amount },
        ProcessingTime::WorkingHours { .. } => ProcessingTime::WorkingHours { amount },
        other => other,
    }
}

fn amount_of(p: ProcessingTime) -> u32 {
    match p {
        ProcessingTime::WorkingDays { amount }
        | ProcessingTime::WorkingHours { amount }
        | ProcessingTime::Days { amount } => amount,
        ProcessingTime::SameDay { .. } => 0,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn due_falls_on_a_working_instant(from in instant(), p in working_amount()) {
        let due = CAL.due(from, p);
        prop_assert!(is_working_instant(&CAL, due), "{from} + {p:?} = {due}");
        prop_assert_eq!(due.offset(), VN_OFFSET);
        prop_assert!(due >= from);
    }

    #[test]
    fn more_working_time_never_gives_an_earlier_date(
        from in instant(),
        p in working_amount(),
        extra in 0_u32..40,
    ) {
        let n = amount_of(p);
        let sooner = CAL.due(from, p);
        let later = CAL.due(from, with_amount(p, n + extra));
        prop_assert!(sooner <= later, "{from}: {p:?} → {sooner}, +{extra} → {later}");
    }

    #[test]
    fn a_pause_of_k_working_days_moves_the_date_by_k_working_days(
        t in instant(),
        a in 1_i64..20_000,
        k in 0_u32..30,
    ) {
        let day = CAL.hours().minutes_per_day();
        let k_minutes = i64::from(k) * day;
        let before = CAL.add_working_minutes(t, a);
        let after = CAL.add_working_minutes(before, k_minutes);
        prop_assert_eq!(after, CAL.add_working_minutes(t, a + k_minutes));
        prop_assert_eq!(after.time(), before.time());
        prop_assert_eq!(after.date(), nth_working_day_after(&CAL, before.date(), k));
    }

    #[test]
    fn working_minutes_between_inverts_add(t in instant(), m in 0_i64..50_000) {
        let start = CAL.next_working_instant(t);
        let end = CAL.add_working_minutes(start, m);
        prop_assert_eq!(CAL.working_minutes_between(start, end), m);
        // From any instant, working or not.
        prop_assert_eq!(CAL.working_minutes_between(t, CAL.add_working_minutes(t, m)), m);
        prop_assert_eq!(CAL.working_minutes_between(end, start), 0);
    }

    #[test]
    fn working_minutes_add_up(a in minute_instant(), b in minute_instant(), c in minute_instant()) {
        let mut v = [a, b, c];
        v.sort();
        let [a, b, c] = v;
        prop_assert_eq!(
            CAL.working_minutes_between(a, c),
            CAL.working_minutes_between(a, b) + CAL.working_minutes_between(b, c)
        );
    }

    #[test]
    fn calendar_days_end_at_the_end_of_a_working_day(from in instant(), n in 0_u32..400) {
        let due = CAL.due(from, ProcessingTime::Days { amount: n });
        let target = from.to_offset(VN_OFFSET).date() + Duration::days(i64::from(n));
        prop_assert!(CAL.is_working_day(due.date()));
        prop_assert_eq!(due.time(), time!(17:00));
        prop_assert!(due.date() >= target);
        // No working day is skipped between the target and the due date.
        let mut d = target;
        while d < due.date() {
            prop_assert!(!CAL.is_working_day(d));
            d = d.next_day().expect("far from Date::MAX");
        }
    }

    #[test]
    fn any_date_has_an_answer(jd in Date::MIN.to_julian_day()..=Date::MAX.to_julian_day()) {
        let d = Date::from_julian_day(jd).expect("in range");
        let _ = CAL.is_working_day(d);
        let l = solar_to_lunar(d);
        if (1900..=2199).contains(&d.year()) {
            prop_assert_eq!(lunar_to_solar(l), Some(d));
        }
    }
}
