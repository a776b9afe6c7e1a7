use super::*;
use time::macros::date;

const BIRTH: &str = r#"{
  "title": "TỜ KHAI ĐĂNG KÝ KHAI SINH",
  "template": "Mẫu thử",
  "sections": [
    {"title": "Người con", "fields": [
      {"key": "con_ho_ten", "label": "Họ, chữ đệm, tên", "type": "name"},
      {"key": "con_ngay_sinh", "label": "Ngày, tháng, năm sinh", "type": "date", "past": true},
      {"key": "con_gioi_tinh", "label": "Giới tính", "type": "choice",
       "options": [{"value": "nam", "label": "Nam"}, {"value": "nu", "label": "Nữ"}]},
      {"key": "co_cha", "label": "Có thông tin người cha?", "type": "yes_no"}
    ]},
    {"title": "Người cha", "when": {"field": "co_cha", "is": ["co"]}, "fields": [
      {"key": "cha_ho_ten", "label": "Họ, chữ đệm, tên người cha", "type": "name"},
      {"key": "cha_ngay_sinh", "label": "Ngày sinh người cha", "type": "date", "past": true},
      {"key": "cha_so_dinh_danh", "label": "Số định danh cá nhân người cha", "type": "id_number",
       "birth_field": "cha_ngay_sinh", "required": false}
    ]},
    {"title": "Người đi khai", "fields": [
      {"key": "nk_ho_ten", "label": "Họ, chữ đệm, tên người đi khai", "type": "name",
       "prefill": "applicant_full_name"},
      {"key": "so_ban", "label": "Số bản sao yêu cầu", "type": "count", "min": 0, "max": 10}
    ]}
  ]
}"#;

fn decl() -> Declaration {
    serde_json::from_str::<Declaration>(BIRTH).expect("parses")
}

fn answers(pairs: &[(&str, &str)]) -> Answers {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const TODAY: time::Date = date!(2026 - 03 - 02);

#[test]
fn a_well_made_declaration_passes_its_check() {
    decl().check("declaration").expect("well made");
}

#[test]
fn conditional_questions_follow_the_answers() {
    let d = decl();
    let none = Answers::new();
    assert!(!d.is_asked("cha_ho_ten", &none));
    assert!(d.is_asked("cha_ho_ten", &answers(&[("co_cha", "co")])));
    assert!(!d.is_asked("cha_ho_ten", &answers(&[("co_cha", "khong")])));
    // Not asked: dropped; asked and required: needed.
    let ok = d
        .validate(
            &answers(&[
                ("con_ho_ten", "Nguyễn Bảo An"),
                ("con_ngay_sinh", "2026-02-27"),
                ("con_gioi_tinh", "nu"),
                ("co_cha", "khong"),
                ("cha_ho_ten", "Nguyễn Văn Cha"),
                ("nk_ho_ten", "Trần Thị Mai"),
                ("so_ban", "2"),
            ]),
            TODAY,
        )
        .expect("valid");
    assert!(!ok.contains_key("cha_ho_ten"));
    let e = d
        .validate(
            &answers(&[
                ("con_ho_ten", "Nguyễn Bảo An"),
                ("con_ngay_sinh", "2026-02-27"),
                ("con_gioi_tinh", "nu"),
                ("co_cha", "co"),
                ("nk_ho_ten", "Trần Thị Mai"),
                ("so_ban", "2"),
            ]),
            TODAY,
        )
        .expect_err("the father's questions are now required");
    let fields: Vec<_> = e.iter().filter_map(|p| p.field.clone()).collect();
    assert_eq!(fields, ["fields.cha_ho_ten", "fields.cha_ngay_sinh"]);
    assert!(
        e[0].message
            .starts_with("Cần trả lời: Họ, chữ đệm, tên người cha")
    );
}

#[test]
fn each_message_names_the_real_problem() {
    let d = decl();
    let one = |key: &str, value: &str, extra: &[(&str, &str)]| {
        let f = d.field(key).expect("field");
        check_answer(f, value, &answers(extra), TODAY).expect_err(value)
    };
    let e = one("con_ngay_sinh", "31/02/1990", &[]);
    assert_eq!(e.code, "impossible_date");
    assert!(
        e.message.contains("31/02/1990 không có thật"),
        "{}",
        e.message
    );
    assert_eq!(one("con_ngay_sinh", "ba mươi", &[]).code, "bad_date");
    assert_eq!(one("con_ngay_sinh", "03/03/2026", &[]).code, "future_date");
    let e = one("con_ho_ten", "Nguyễn Văn 2", &[]);
    assert!(e.message.contains("chỉ gồm chữ cái"), "{}", e.message);
    assert_eq!(one("con_gioi_tinh", "khac", &[]).code, "bad_choice");
    assert_eq!(one("so_ban", "11", &[]).code, "bad_count");
    // The personal number: its province code, and its birth year against the birth date.
    assert_eq!(
        one("cha_so_dinh_danh", "999088001234", &[]).code,
        "bad_id_province"
    );
    let e = one(
        "cha_so_dinh_danh",
        "087088001234",
        &[("cha_ngay_sinh", "1990-05-17")],
    );
    assert_eq!(e.code, "id_number_mismatch");
    assert_eq!(e.field.as_deref(), Some("fields.cha_so_dinh_danh"));
    // And what is right is kept in its stored form.
    let f = d.field("con_ngay_sinh").expect("field");
    assert_eq!(
        check_answer(f, "7/3/2025", &Answers::new(), TODAY).expect("date"),
        "2025-03-07"
    );
}

#[test]
fn a_broken_declaration_is_refused_with_its_path() {
    let broken = |from: &str, to: &str| {
        let d: Declaration = serde_json::from_str(&BIRTH.replace(from, to)).expect("parses");
        d.check("procedures[3].declaration")
            .expect_err(to)
            .field
            .unwrap_or_default()
    };
    assert_eq!(
        broken(r#""key": "cha_ho_ten""#, r#""key": "con_ho_ten""#),
        "procedures[3].declaration.sections[1].fields[0].key"
    );
    assert_eq!(
        broken(r#""is": ["co"]"#, r#""is": ["maybe"]"#),
        "procedures[3].declaration.sections[1].when.is"
    );
    assert_eq!(
        broken(r#"{"field": "co_cha""#, r#"{"field": "nk_ho_ten""#),
        "procedures[3].declaration.sections[1].when.field"
    );
    assert_eq!(
        broken(
            r#""birth_field": "cha_ngay_sinh""#,
            r#""birth_field": "con_ho_ten""#
        ),
        "procedures[3].declaration.sections[1].fields[2].birth_field"
    );
    assert!(
        serde_json::from_str::<Declaration>(
            &BIRTH.replace("\"type\": \"name\"", "\"type\": \"nickname\"")
        )
        .is_err()
    );
}

#[test]
fn the_schema_lists_questions_and_conditional_requirements() {
    let s = json_schema(&decl());
    assert_eq!(s["type"], "object");
    assert_eq!(s["properties"]["con_ngay_sinh"]["format"], "date");
    assert_eq!(s["properties"]["con_gioi_tinh"]["enum"][1], "nu");
    let required: Vec<&str> = s["required"]
        .as_array()
        .expect("required")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(required.contains(&"con_ho_ten") && !required.contains(&"cha_ho_ten"));
    let rule = &s["allOf"][0];
    assert_eq!(rule["if"]["properties"]["co_cha"]["enum"][0], "co");
    assert_eq!(rule["then"]["required"][0], "cha_ho_ten");
}

#[test]
fn answers_are_shown_as_people_read_them() {
    let d = decl();
    let shown = d.answered(&answers(&[
        ("con_ho_ten", "Nguyễn Bảo An"),
        ("con_ngay_sinh", "2026-02-27"),
        ("con_gioi_tinh", "nu"),
        ("co_cha", "khong"),
    ]));
    assert_eq!(shown.len(), 2, "the father's section is not asked");
    assert_eq!(
        shown[0].1[1],
        (
            "Ngày, tháng, năm sinh".to_string(),
            "27/02/2026".to_string()
        )
    );
    assert_eq!(shown[0].1[2].1, "Nữ");
    assert_eq!(shown[0].1[3].1, "Không");
}
