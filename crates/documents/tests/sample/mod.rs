//! A dossier with a full history (intake, supplement, apology, approval,
//! return by post), shared by the crate's tests and its benchmark example.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use motcua_documents::{DossierInfo, ReceivedDocument};
use motcua_domain::calendar::{OffsetDateTime, WorkCalendar};
use motcua_domain::catalog::{Procedure, parse_catalog};
use motcua_domain::dossier::Event;
use motcua_domain::lifecycle::{Action, Status};
use std::collections::BTreeMap;
use time::macros::datetime;

pub fn procedure() -> Procedure {
    let all = parse_catalog(include_str!("../../../../data/catalog.json")).expect("catalog");
    all.into_iter()
        .find(|p| p.code == "HT-NCMC")
        .expect("HT-NCMC in the catalog")
}

#[allow(clippy::too_many_arguments)]
fn ev(
    seq: i64,
    at: OffsetDateTime,
    actor: &str,
    role: &str,
    action: Action,
    from: Option<Status>,
    to: Status,
    note: Option<&str>,
    payload: serde_json::Value,
) -> Event {
    Event {
        seq,
        at,
        actor: actor.into(),
        role: role.into(),
        action,
        from_status: from,
        to_status: to,
        note: note.map(str::to_string),
        payload: motcua_domain::payload::Payload::parse(&payload.to_string()).expect("payload"),
        frozen: Default::default(),
    }
}

pub fn events() -> Vec<Event> {
    use Status::*;
    vec![
        ev(
            1,
            datetime!(2026-03-02 09:15 +7),
            "tiepnhan.myhiep",
            "receptionist",
            Action::CreateAtCounter,
            None,
            Received,
            None,
            serde_json::json!({}),
        ),
        ev(
            2,
            datetime!(2026-03-02 10:00 +7),
            "tiepnhan.myhiep",
            "receptionist",
            Action::Assign,
            Some(Received),
            Processing,
            None,
            serde_json::json!({"assignee": "chuyenvien.myhiep"}),
        ),
        ev(
            3,
            datetime!(2026-03-03 08:30 +7),
            "chuyenvien.myhiep",
            "specialist",
            Action::RequestSupplement,
            Some(Processing),
            AwaitingSupplement,
            Some("Thiếu chứng cứ chứng minh quan hệ cha, mẹ, con; cần bản sao có chứng thực."),
            serde_json::json!({"missing": ["chung-cu"]}),
        ),
        ev(
            4,
            datetime!(2026-03-05 14:00 +7),
            "tiepnhan.myhiep",
            "receptionist",
            Action::Supplement,
            Some(AwaitingSupplement),
            Processing,
            None,
            serde_json::json!({"documents": ["chung-cu"]}),
        ),
        ev(
            5,
            datetime!(2026-03-09 16:00 +7),
            "lanhdao.myhiep",
            "leader",
            Action::Apologize,
            Some(Processing),
            Processing,
            Some("Cần xác minh thêm tại nơi cư trú trước đây của người yêu cầu."),
            serde_json::json!({"new_due": "2026-03-12T10:00:00+07:00"}),
        ),
        ev(
            6,
            datetime!(2026-03-11 09:00 +7),
            "chuyenvien.myhiep",
            "specialist",
            Action::Propose,
            Some(Processing),
            AwaitingApproval,
            None,
            serde_json::json!({}),
        ),
        ev(
            7,
            datetime!(2026-03-11 15:20 +7),
            "lanhdao.myhiep",
            "leader",
            Action::Approve,
            Some(AwaitingApproval),
            ResultReady,
            None,
            serde_json::json!({}),
        ),
        ev(
            8,
            datetime!(2026-03-12 08:05 +7),
            "tiepnhan.myhiep",
            "receptionist",
            Action::ReturnResult,
            Some(ResultReady),
            Returned,
            None,
            serde_json::json!({"delivery": {"method": "post", "postal_address": "Số 12, ấp Mỹ Thạnh, xã Mỹ Hiệp, tỉnh Đồng Tháp", "tracking_number": "EB123456789VN"}}),
        ),
    ]
}

pub fn info<'a>(p: &'a Procedure, cal: &'a WorkCalendar, events: &'a [Event]) -> DossierInfo<'a> {
    let mut staff = BTreeMap::new();
    staff.insert(
        "tiepnhan.myhiep".to_string(),
        "Trần Thị Thu Hương".to_string(),
    );
    staff.insert("chuyenvien.myhiep".to_string(), "Lê Văn Đức".to_string());
    staff.insert("lanhdao.myhiep".to_string(), "Phạm Quốc Việt".to_string());
    DossierInfo {
        code: "30112-260302-0007".into(),
        lookup_key: Some("7KQ2M9XH4P".into()),
        province_name: "Tỉnh Đồng Tháp".into(),
        unit_name: "Xã Mỹ Hiệp".into(),
        procedure: p,
        calendar: cal,
        applicant_name: "Nguyễn Thị Ánh Tuyết".into(),
        applicant_id_number: "087190001234".into(),
        applicant_phone: "0912345678".into(),
        applicant_email: Some("tuyet@example.vn".into()),
        applicant_address: "Số 12, ấp Mỹ Thạnh, xã Mỹ Hiệp, tỉnh Đồng Tháp".into(),
        events,
        documents: vec![
            ReceivedDocument {
                code: Some("to-khai".into()),
                paper: true,
            },
            ReceivedDocument {
                code: Some("giay-to-tuy-than".into()),
                paper: false,
            },
            ReceivedDocument {
                code: Some("giay-to-tuy-than".into()),
                paper: false,
            },
            ReceivedDocument {
                code: Some("chung-cu".into()),
                paper: true,
            },
        ],
        staff_names: staff,
        lookup_url: "https://motcua.example.vn/tra-cuu?code=30112-260302-0007&key=7KQ2M9XH4P"
            .into(),
    }
}

#[allow(dead_code)]
pub fn calendar() -> WorkCalendar {
    WorkCalendar::vietnam()
}
