//! Identity documents read at the kiosk or the counter ("Citizens do not
//! write"): the QR code printed on the chip ID card (CCCD / thẻ căn cước), as
//! a 2D scanner types it, and the MRZ (ICAO 9303 TD1) of an ID card or a
//! passport reader. Every malformed input gets a clear message.

use crate::Problem;
use crate::calendar::Date;
use crate::dossier::ApplicantInput;
use crate::text::nfc;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Male,
    Female,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardData {
    pub id_number: String,
    /// The 9-digit number of the old identity card, when the QR carries it.
    pub old_id_number: Option<String>,
    /// NFC; from an MRZ it has no diacritics and must be checked by the person.
    pub full_name: String,
    pub date_of_birth: Date,
    pub gender: Gender,
    pub address: Option<String>,
    pub issued_on: Option<Date>,
    pub expires_on: Option<Date>,
}

impl CardData {
    /// The applicant part of a form, to be confirmed by the person before saving.
    pub fn to_applicant(&self) -> ApplicantInput {
        ApplicantInput {
            full_name: self.full_name.clone(),
            id_number: self.id_number.clone(),
            date_of_birth: self.date_of_birth.to_string(),
            phone: String::new(),
            email: None,
            address: self.address.clone().unwrap_or_default(),
        }
    }
}

fn bad(code: &'static str, field: &str, message: impl Into<String>) -> Problem {
    Problem::invalid(code, format!("card.{field}"), message)
}

/// Codes of the 63 provinces (before 2025) that open a personal number:
/// the place where the birth was registered.
const PROVINCE_CODES: [u16; 63] = [
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37,
    38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77,
    79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
];

/// Check a 12-digit personal number: the province code, and the digit that
/// tells gender and century, against the date of birth and gender when known.
pub fn check_personal_number(
    id: &str,
    dob: Option<Date>,
    gender: Option<Gender>,
) -> Result<(), Problem> {
    if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(
            "bad_id_number",
            "id_number",
            "Số định danh cá nhân phải gồm đúng 12 chữ số",
        ));
    }
    let province: u16 = id[..3].parse().unwrap_or(0);
    if !PROVINCE_CODES.contains(&province) {
        return Err(bad(
            "bad_id_province",
            "id_number",
            format!("Mã tỉnh \"{}\" ở đầu số định danh không tồn tại", &id[..3]),
        ));
    }
    let gc = id.as_bytes()[3] - b'0';
    // 0/1: 1900s, 2/3: 2000s, 4/5: 2100s, 6/7: 2200s, 8/9: 1800s; even male, odd female.
    let century = match gc / 2 {
        0 => 1900,
        1 => 2000,
        2 => 2100,
        3 => 2200,
        _ => 1800,
    };
    let year = century + i32::from((id.as_bytes()[4] - b'0') * 10 + (id.as_bytes()[5] - b'0'));
    if let Some(d) = dob
        && d.year() != year
    {
        return Err(bad(
            "id_number_mismatch",
            "id_number",
            format!(
                "Số định danh ứng với năm sinh {year}, không khớp ngày sinh {:02}/{:02}/{}",
                d.day(),
                u8::from(d.month()),
                d.year()
            ),
        ));
    }
    let coded = if gc.is_multiple_of(2) {
        Gender::Male
    } else {
        Gender::Female
    };
    if gender.is_some_and(|g| g != coded) {
        return Err(bad(
            "id_number_mismatch",
            "id_number",
            "Chữ số giới tính trong số định danh không khớp giới tính trên thẻ",
        ));
    }
    Ok(())
}

fn ddmmyyyy(s: &str, field: &str) -> Result<Date, Problem> {
    let s = s.trim();
    let parsed = (s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| {
            let (d, m, y) = (
                s[..2].parse::<u8>().ok()?,
                s[2..4].parse::<u8>().ok()?,
                s[4..].parse::<i32>().ok()?,
            );
            Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()
        })
        .flatten();
    parsed.ok_or_else(|| {
        bad(
            "bad_card_date",
            field,
            format!("Ngày \"{s}\" trên thẻ không hợp lệ (cần ddmmyyyy)"),
        )
    })
}

fn gender_vi(s: &str) -> Result<Gender, Problem> {
    match crate::text::fold(s).as_str() {
        "nam" | "male" | "m" => Ok(Gender::Male),
        "nu" | "female" | "f" => Ok(Gender::Female),
        _ => Err(bad(
            "bad_card_gender",
            "gender",
            format!("Giới tính \"{s}\" không hợp lệ (Nam/Nữ)"),
        )),
    }
}

/// Parse the QR of a chip ID card: `số định danh|số CMND cũ|Họ và tên|ngày
/// sinh|giới tính|nơi thường trú|ngày cấp`, dates as ddmmyyyy. Newer cards
/// may append fields; they are ignored.
pub fn parse_cccd_qr(raw: &str) -> Result<CardData, Problem> {
    let text = nfc(raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}'));
    if !text.contains('|') {
        let hint = if [';', '\\', '¦', '!']
            .iter()
            .any(|c| text.matches(*c).count() >= 5)
        {
            " — máy quét đang gõ sai ký tự phân cách '|': kiểm tra kiểu bàn phím của máy quét"
        } else {
            ""
        };
        return Err(bad(
            "bad_card_qr",
            "qr",
            format!("Không đọc được mã QR của thẻ căn cước: thiếu ký tự phân cách '|'{hint}"),
        ));
    }
    let f: Vec<&str> = text.split('|').map(str::trim).collect();
    if f.len() < 7 {
        return Err(bad(
            "bad_card_qr",
            "qr",
            format!("Mã QR của thẻ có {} trường, cần ít nhất 7", f.len()),
        ));
    }
    let full_name = f[2].to_string();
    if full_name.chars().count() < 2 || !full_name.chars().all(|c| c.is_alphabetic() || c == ' ') {
        return Err(bad(
            "bad_card_name",
            "full_name",
            "Họ và tên trên thẻ không hợp lệ",
        ));
    }
    let date_of_birth = ddmmyyyy(f[3], "date_of_birth")?;
    let gender = gender_vi(f[4])?;
    check_personal_number(f[0], Some(date_of_birth), Some(gender))?;
    let old = f[1];
    if !old.is_empty() && (old.len() != 9 || !old.bytes().all(|b| b.is_ascii_digit())) {
        return Err(bad(
            "bad_old_id",
            "old_id_number",
            "Số CMND cũ trên thẻ phải gồm 9 chữ số",
        ));
    }
    let issued_on = if f[6].is_empty() {
        None
    } else {
        Some(ddmmyyyy(f[6], "issued_on")?)
    };
    Ok(CardData {
        id_number: f[0].to_string(),
        old_id_number: (!old.is_empty()).then(|| old.to_string()),
        full_name,
        date_of_birth,
        gender,
        address: (!f[5].is_empty()).then(|| f[5].to_string()),
        issued_on,
        expires_on: None,
    })
}

/// ICAO 9303 check digit: weights 7, 3, 1; digits as themselves, A–Z as 10–35, '<' as 0.
pub fn check_digit(s: &str) -> Option<u8> {
    let mut sum = 0u32;
    for (i, c) in s.chars().enumerate() {
        let v = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            '<' => 0,
            _ => return None,
        };
        sum += v * [7, 3, 1][i % 3];
    }
    Some((sum % 10) as u8)
}

fn verify(field: &str, value: &str, digit: char) -> Result<(), Problem> {
    match (check_digit(value), digit.to_digit(10)) {
        (Some(expected), Some(got)) if u32::from(expected) == got => Ok(()),
        _ => Err(bad(
            "bad_check_digit",
            field,
            format!("Chữ số kiểm tra của trường {field} trong MRZ sai (đọc lại thẻ)"),
        )),
    }
}

fn yymmdd(s: &str, field: &str, future_ok: bool, today_yy: i32) -> Result<Date, Problem> {
    let err = || {
        bad(
            "bad_card_date",
            field,
            format!("Ngày \"{s}\" trong MRZ không hợp lệ"),
        )
    };
    if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err());
    }
    let yy: i32 = s[..2].parse().map_err(|_| err())?;
    // Births are in the past; expiry dates may be up to a few decades ahead.
    let year = if future_ok {
        2000 + yy
    } else if yy > today_yy {
        1900 + yy
    } else {
        2000 + yy
    };
    let m: u8 = s[2..4].parse().map_err(|_| err())?;
    let d: u8 = s[4..].parse().map_err(|_| err())?;
    Date::from_calendar_date(year, time::Month::try_from(m).map_err(|_| err())?, d)
        .map_err(|_| err())
}

/// Parse a TD1 MRZ (three lines of 30 characters, as a reader sends them,
/// separated by line breaks). `today` decides the century of birth years.
pub fn parse_mrz_td1(raw: &str, today: Date) -> Result<CardData, Problem> {
    let lines: Vec<String> = raw
        .lines()
        .map(|l| l.trim().to_ascii_uppercase())
        .filter(|l| !l.is_empty())
        .collect();
    if lines.len() != 3 || lines.iter().any(|l| l.chars().count() != 30) {
        return Err(bad(
            "bad_mrz",
            "mrz",
            "MRZ của thẻ căn cước phải có 3 dòng, mỗi dòng 30 ký tự",
        ));
    }
    if lines.iter().any(|l| {
        !l.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '<')
    }) {
        return Err(bad(
            "bad_mrz",
            "mrz",
            "MRZ chỉ gồm chữ in hoa, chữ số và '<'",
        ));
    }
    let (l1, l2, l3) = (&lines[0], &lines[1], &lines[2]);
    let at = |l: &String, i: usize| l.chars().nth(i).unwrap_or('<');
    verify("document_number", &l1[5..14], at(l1, 14))?;
    verify("date_of_birth", &l2[0..6], at(l2, 6))?;
    verify("expires_on", &l2[8..14], at(l2, 14))?;
    let composite = format!("{}{}{}{}", &l1[5..30], &l2[0..7], &l2[8..15], &l2[18..29]);
    verify("composite", &composite, at(l2, 29))?;
    let today_yy = today.year() % 100;
    let date_of_birth = yymmdd(&l2[0..6], "date_of_birth", false, today_yy)?;
    let expires_on = yymmdd(&l2[8..14], "expires_on", true, today_yy)?;
    let gender = match at(l2, 7) {
        'M' => Gender::Male,
        'F' => Gender::Female,
        _ => {
            return Err(bad(
                "bad_card_gender",
                "gender",
                "Giới tính trong MRZ phải là M hoặc F",
            ));
        }
    };
    // Vietnamese cards carry the 12-digit personal number in the optional data.
    let optional = l1[15..30].trim_end_matches('<');
    let id_number = optional
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>();
    let id_number = if id_number.len() >= 12 {
        id_number[..12].to_string()
    } else {
        l1[5..14].replace('<', "")
    };
    check_personal_number(&id_number, Some(date_of_birth), Some(gender))?;
    let (surname, given) = l3.split_once("<<").unwrap_or((l3.as_str(), ""));
    let words = |s: &str| {
        s.split('<')
            .filter(|w| !w.is_empty())
            .map(title_case)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let full_name = format!("{} {}", words(surname), words(given))
        .trim()
        .to_string();
    if full_name.is_empty() {
        return Err(bad("bad_card_name", "full_name", "MRZ không có họ tên"));
    }
    Ok(CardData {
        id_number,
        old_id_number: None,
        full_name,
        date_of_birth,
        gender,
        address: None,
        issued_on: None,
        expires_on: Some(expires_on),
    })
}

fn title_case(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f
            .to_uppercase()
            .chain(c.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

/// A card as any reader gives it: the QR string or the MRZ.
pub fn parse_card(raw: &str, today: Date) -> Result<CardData, Problem> {
    if raw.lines().filter(|l| !l.trim().is_empty()).count() == 3 && !raw.contains('|') {
        parse_mrz_td1(raw, today)
    } else {
        parse_cccd_qr(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;
    use unicode_normalization::UnicodeNormalization;

    const OLD_CARD: &str = "087190001234|341234567|Nguyễn Thị Bé Ba|17051990|Nữ|Ấp Mỹ Thạnh, Xã Mỹ Hiệp, Huyện Cao Lãnh, Đồng Tháp|10082021";
    const NEW_CARD: &str =
        "082205012345||Trần Văn An|02032005|Nam|Xã Mỹ Hiệp, Tỉnh Đồng Tháp|01072024|01072039|";

    #[test]
    fn reads_old_and_new_card_qr() {
        let c = parse_cccd_qr(OLD_CARD).expect("old card");
        assert_eq!(c.id_number, "087190001234");
        assert_eq!(c.old_id_number.as_deref(), Some("341234567"));
        assert_eq!(c.full_name, "Nguyễn Thị Bé Ba");
        assert_eq!(c.date_of_birth, date!(1990 - 05 - 17));
        assert_eq!(c.gender, Gender::Female);
        assert_eq!(c.issued_on, Some(date!(2021 - 08 - 10)));
        let n = parse_cccd_qr(NEW_CARD).expect("new card");
        assert_eq!(
            (n.id_number.as_str(), n.old_id_number.clone(), n.gender),
            ("082205012345", None, Gender::Male)
        );
        let a = n.to_applicant();
        assert_eq!(a.date_of_birth, "2005-03-02");
        assert!(
            a.validate(date!(2026 - 11 - 23)).is_err(),
            "no phone yet: the person completes the form"
        );
    }

    #[test]
    fn names_in_nfd_come_out_nfc() {
        let nfd: String = OLD_CARD.nfd().collect();
        assert_eq!(
            parse_cccd_qr(&nfd).expect("nfd").full_name,
            "Nguyễn Thị Bé Ba"
        );
    }

    #[test]
    fn malformed_qr_gets_clear_messages() {
        let semi = OLD_CARD.replace('|', ";");
        let e = parse_cccd_qr(&semi).expect_err("separators");
        assert!(e.message.contains("kiểu bàn phím"), "{}", e.message);
        let e =
            parse_cccd_qr("087190001234|341234567|Nguyễn Thị Bé Ba|17051990").expect_err("missing");
        assert!(e.message.contains("7"), "{}", e.message);
        let e = parse_cccd_qr(&OLD_CARD.replace("17051990", "31021990")).expect_err("date");
        assert_eq!(e.code, "bad_card_date");
        let e = parse_cccd_qr(&OLD_CARD.replace("17051990", "17051991")).expect_err("year vs id");
        assert_eq!(e.code, "id_number_mismatch");
        let e = parse_cccd_qr(&OLD_CARD.replace("|Nữ|", "|Nam|")).expect_err("gender vs id");
        assert_eq!(e.code, "id_number_mismatch");
        let e =
            parse_cccd_qr(&OLD_CARD.replace("087190001234", "003190001234")).expect_err("province");
        assert_eq!(e.code, "bad_id_province");
    }

    fn mrz(id9: &str, personal: &str, dob: &str, sex: char, exp: &str, name: &str) -> String {
        let l1_body = format!("{id9}{}{personal}", check_digit(id9).unwrap_or(0));
        let mut l1 = format!("IDVNM{l1_body}");
        while l1.len() < 30 {
            l1.push('<');
        }
        let mut l2 = format!(
            "{dob}{}{sex}{exp}{}VNM",
            check_digit(dob).unwrap_or(0),
            check_digit(exp).unwrap_or(0)
        );
        while l2.len() < 29 {
            l2.push('<');
        }
        let composite = format!("{}{}{}{}", &l1[5..30], &l2[0..7], &l2[8..15], &l2[18..29]);
        l2.push(char::from(b'0' + check_digit(&composite).unwrap_or(0)));
        let mut l3 = name.to_string();
        while l3.len() < 30 {
            l3.push('<');
        }
        format!("{l1}\n{l2}\n{l3}")
    }

    #[test]
    fn reads_a_td1_mrz_with_check_digits() {
        let m = mrz(
            "190001234",
            "087190001234",
            "900517",
            'F',
            "300517",
            "NGUYEN<<THI<BE<BA",
        );
        let c = parse_card(&m, date!(2026 - 11 - 23)).expect("mrz");
        assert_eq!(c.id_number, "087190001234");
        assert_eq!(c.full_name, "Nguyen Thi Be Ba");
        assert_eq!(c.date_of_birth, date!(1990 - 05 - 17));
        assert_eq!(c.expires_on, Some(date!(2030 - 05 - 17)));
        // One wrong character breaks a check digit.
        let broken = m.replacen("900517", "900518", 1);
        assert_eq!(
            parse_mrz_td1(&broken, date!(2026 - 11 - 23))
                .expect_err("check")
                .code,
            "bad_check_digit"
        );
        assert_eq!(
            parse_mrz_td1("IDVNM\nshort\n", date!(2026 - 11 - 23))
                .expect_err("shape")
                .code,
            "bad_mrz"
        );
        assert_eq!(check_digit("L898902C3"), Some(6), "ICAO 9303 specimen");
    }
}
