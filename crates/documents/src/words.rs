//! Dates, times and periods written the way official documents write them,
//! always in Vietnam time (UTC+7).

use motcua_domain::calendar::{Date, OffsetDateTime, ProcessingTime, VN_OFFSET};

pub fn local(t: OffsetDateTime) -> OffsetDateTime {
    t.checked_to_offset(VN_OFFSET).unwrap_or(t)
}

/// "dd/mm/yyyy".
pub fn date(d: Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
}

/// "HH giờ MM phút, ngày dd/mm/yyyy".
pub fn instant_long(t: OffsetDateTime) -> String {
    let l = local(t);
    format!(
        "{:02} giờ {:02} phút, ngày {}",
        l.hour(),
        l.minute(),
        date(l.date())
    )
}

/// "dd/mm/yyyy HH:MM".
pub fn instant_short(t: OffsetDateTime) -> String {
    let l = local(t);
    format!("{} {:02}:{:02}", date(l.date()), l.hour(), l.minute())
}

/// "Mỹ Hiệp, ngày 02 tháng 03 năm 2026".
pub fn place_date(place: &str, d: Date) -> String {
    format!(
        "{place}, ngày {:02} tháng {:02} năm {}",
        d.day(),
        u8::from(d.month()),
        d.year()
    )
}

/// The place name of a unit: "Xã Mỹ Hiệp" → "Mỹ Hiệp".
pub fn place_of(unit: &str) -> String {
    for prefix in [
        "Đặc khu ",
        "Thị trấn ",
        "Phường ",
        "Xã ",
        "Thành phố ",
        "Tỉnh ",
    ] {
        if let Some(rest) = unit.strip_prefix(prefix) {
            return rest.to_string();
        }
    }
    unit.to_string()
}

pub fn processing(p: ProcessingTime) -> String {
    match p {
        ProcessingTime::WorkingDays { amount } => format!("{amount:02} ngày làm việc"),
        ProcessingTime::WorkingHours { amount } => format!("{amount:02} giờ làm việc"),
        ProcessingTime::Days { amount } => format!("{amount:02} ngày"),
        ProcessingTime::SameDay {
            cutoff: Some(cutoff),
        } => format!(
            "trong ngày (tiếp nhận trước {:02} giờ {:02}; sau giờ đó trả vào ngày làm việc tiếp theo)",
            cutoff.hour(),
            cutoff.minute()
        ),
        ProcessingTime::SameDay { cutoff: None } => {
            "trong ngày (tiếp nhận ngoài giờ làm việc trả vào ngày làm việc tiếp theo)".to_string()
        }
    }
}

/// "dd/mm/yyyy" and "HH:MM" on two lines, for narrow table cells.
pub fn instant_cell(t: OffsetDateTime) -> String {
    let l = local(t);
    format!("{}\n{:02}:{:02}", date(l.date()), l.hour(), l.minute())
}
