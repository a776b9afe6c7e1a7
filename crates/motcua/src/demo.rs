//! The demo: Đồng Tháp (province 82), staff for a few of its units, and a
//! few hundred dossiers walked through the real lifecycle with past
//! timestamps, so every state, some late and some paused, is on screen.

use anyhow::Result;
use motcua_domain::calendar::{OffsetDateTime, VN_OFFSET};
use motcua_domain::catalog::Procedure;
use motcua_domain::dossier::ApplicantInput;
use motcua_domain::lifecycle::{Channel, Role, Status};
use motcua_store::{
    ActionRequest, Actor, DocumentRef, ListFilter, NewDossier, NewUser, Scope, Store, User,
};
use std::fmt::Write;
use time::Duration;

pub const DEMO_PASSWORD: &str = "motcua-demo-2026";
const UNITS: [(&str, &str); 3] = [
    ("30112", "myhiep"),
    ("28261", "mytho"),
    ("29869", "caolanh"),
];
const DOSSIERS: usize = 360;

/// A small deterministic generator: the same demo every time.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const FAMILY: [&str; 12] = [
    "Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Trương", "Đặng", "Bùi", "Đỗ", "Lâm",
];
const MIDDLE: [&str; 8] = [
    "Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Quốc", "Hoàng",
];
const GIVEN: [&str; 16] = [
    "An", "Bình", "Châu", "Dũng", "Hạnh", "Hòa", "Khánh", "Lan", "Lộc", "Mai", "Nhung", "Phúc",
    "Quyên", "Sơn", "Tâm", "Yến",
];
const HAMLETS: [&str; 6] = [
    "Ấp 1",
    "Ấp 2",
    "Ấp Mỹ Thạnh",
    "Ấp Tân Phú",
    "Khóm 3",
    "Khóm 5",
];

/// A tiny but valid one-page PDF, standing in for a citizen's scan.
fn scan_pdf(title: &str) -> Vec<u8> {
    let content = format!("BT /F1 12 Tf 72 720 Td ({title}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    let mut tail = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for off in offsets {
        let _ = writeln!(tail, "{off:010} 00000 n ");
    }
    let _ = write!(
        tail,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    pdf.extend_from_slice(tail.as_bytes());
    pdf
}

struct Staff {
    receptionist: User,
    specialist: User,
    leader: User,
}

async fn add_user(store: &Store, new: NewUser, now: OffsetDateTime) -> Result<User> {
    store.create_user(&new, now).await?;
    let name = new.username;
    store
        .user_by_username(&name)
        .await?
        .ok_or_else(|| anyhow::anyhow!("user {name} vanished"))
}

fn account(
    hash: &str,
    username: String,
    full_name: &str,
    roles: Vec<Role>,
    units: Vec<String>,
) -> NewUser {
    NewUser {
        username,
        full_name: full_name.into(),
        password_hash: hash.into(),
        roles,
        units,
        province_code: None,
    }
}

fn req(action: &str, version: i64) -> ActionRequest {
    ActionRequest {
        action: action.into(),
        version,
        ..ActionRequest::default()
    }
}

/// Seed the demo and return the text to print for the operator.
pub async fn seed(store: &Store, now: OffsetDateTime) -> Result<String> {
    let hash = motcua_app::credentials::hash_password(DEMO_PASSWORD)?;
    let mut out = String::from("Tài khoản thử nghiệm (mật khẩu chung: ");
    out.push_str(DEMO_PASSWORD);
    out.push_str(")\n");
    let mut staff = Vec::new();
    for (code, short) in UNITS {
        let unit = store
            .unit(code)
            .await?
            .ok_or_else(|| anyhow::anyhow!("unit {code} missing"))?;
        let units = vec![code.to_string()];
        let r = add_user(
            store,
            account(
                &hash,
                format!("tiepnhan.{short}"),
                "Cán bộ tiếp nhận",
                vec![Role::Receptionist],
                units.clone(),
            ),
            now,
        )
        .await?;
        let s = add_user(
            store,
            account(
                &hash,
                format!("chuyenvien.{short}"),
                "Chuyên viên",
                vec![Role::Specialist],
                units.clone(),
            ),
            now,
        )
        .await?;
        let l = add_user(
            store,
            account(
                &hash,
                format!("lanhdao.{short}"),
                "Nguyễn Văn Hùng",
                vec![Role::Leader],
                units.clone(),
            ),
            now,
        )
        .await?;
        add_user(
            store,
            account(
                &hash,
                format!("quantri.{short}"),
                "Quản trị đơn vị",
                vec![Role::UnitAdmin],
                units,
            ),
            now,
        )
        .await?;
        add_user(
            store,
            account(
                &hash,
                format!("ketoan.{short}"),
                "Kế toán",
                vec![Role::Accountant],
                vec![code.to_string()],
            ),
            now,
        )
        .await?;
        let _ = writeln!(
            out,
            "  {} ({code}): tiepnhan.{short}, chuyenvien.{short}, lanhdao.{short}, quantri.{short}, ketoan.{short}",
            unit.name
        );
        let _ = writeln!(
            out,
            "    ki-ốt lấy số /kiosk/{code} · bảng gọi số /bang/{code} · đặt lịch /dat-lich/{code}"
        );
        staff.push((
            code,
            Staff {
                receptionist: r,
                specialist: s,
                leader: l,
            },
        ));
    }
    let supervisor = NewUser {
        province_code: Some("82".into()),
        ..account(
            &hash,
            "giamsat.dongthap".into(),
            "Giám sát tỉnh Đồng Tháp",
            vec![Role::ProvinceSupervisor],
            vec![],
        )
    };
    add_user(store, supervisor, now).await?;
    add_user(
        store,
        account(
            &hash,
            "admin".into(),
            "Quản trị hệ thống",
            vec![Role::Admin],
            vec![],
        ),
        now,
    )
    .await?;
    out.push_str("  Tỉnh Đồng Tháp: giamsat.dongthap · hệ thống: admin\n");

    let procedures = store.procedures().await?;
    let mut rng = Rng(0x6d6f_7463_7561_2026);
    let mut sample = None;
    let mut by_status = std::collections::BTreeMap::<String, usize>::new();
    for i in 0..DOSSIERS {
        let (unit_code, st) = &staff[i % staff.len()];
        let procedure: &Procedure = rng.pick(&procedures);
        // Filed during the last 45 days, in office hours (most recent last).
        let days_ago = 45 - (i as i64 * 45 / DOSSIERS as i64);
        let filed = (now - Duration::days(days_ago))
            .to_offset(VN_OFFSET)
            .replace_time(time::Time::MIDNIGHT)
            + Duration::minutes(7 * 60 + 30 + rng.below(9 * 60) as i64);
        if filed >= now {
            continue;
        }
        let online = rng.chance(85);
        let mut documents = Vec::new();
        for d in procedure.required_documents() {
            if online {
                let meta = store
                    .upload(
                        &scan_pdf(&format!("{} - {}", procedure.code, d.code)),
                        Some(&format!("{}.pdf", d.code)),
                        "citizen",
                        filed,
                    )
                    .await?;
                documents.push(DocumentRef {
                    code: d.code.clone(),
                    upload_id: Some(meta.id),
                    paper: false,
                });
            } else {
                documents.push(DocumentRef {
                    code: d.code.clone(),
                    upload_id: None,
                    paper: true,
                });
            }
        }
        let name = format!(
            "{} {} {}",
            rng.pick(&FAMILY),
            rng.pick(&MIDDLE),
            rng.pick(&GIVEN)
        );
        let birth_year = 1950 + rng.below(55);
        // CCCD: province of birth (087), gender and century digit, year of birth, six digits.
        let gender_century = if birth_year < 2000 {
            rng.below(2)
        } else {
            2 + rng.below(2)
        };
        let applicant = ApplicantInput {
            full_name: name,
            id_number: format!(
                "087{gender_century}{:02}{:06}",
                birth_year % 100,
                rng.below(1_000_000)
            ),
            date_of_birth: format!(
                "{birth_year}-{:02}-{:02}",
                1 + rng.below(12),
                1 + rng.below(28)
            ),
            phone: format!("09{:08}", rng.below(100_000_000)),
            email: None,
            address: format!(
                "{}, {}",
                rng.pick(&HAMLETS),
                store
                    .unit(unit_code)
                    .await?
                    .map(|u| u.name)
                    .unwrap_or_default()
            ),
        };
        let new = NewDossier {
            unit_code: unit_code.to_string(),
            procedure_code: procedure.code.clone(),
            channel: if online {
                Channel::Online
            } else {
                Channel::Counter
            },
            applicant,
            fields: serde_json::json!({}),
            documents,
        };
        let rec = if online {
            store.create_dossier(new, &Actor::Citizen, filed).await?
        } else {
            store
                .create_dossier(new, &Actor::Staff(st.receptionist.clone()), filed)
                .await?
        };
        let code = rec.row.code.clone();
        // Only this answer carries the key: the store keeps its hash alone.
        let key = rec.issued_key.clone().unwrap_or_default();
        let mut version = rec.row.version;
        let mut status = rec.row.status.clone();
        let mut at = filed;
        // Walk forward while the steps stay in the past; stop at a random depth.
        let depth = rng.below(9);
        let steps: Vec<(&str, &User, i64)> = {
            let mut v: Vec<(&str, &User, i64)> = Vec::new();
            if online {
                v.push(("receive", &st.receptionist, 30 + rng.below(600) as i64));
            }
            v.push(("assign", &st.receptionist, 10 + rng.below(120) as i64));
            if rng.chance(12) {
                v.push((
                    "request_supplement",
                    &st.specialist,
                    60 + rng.below(1440) as i64,
                ));
                v.push((
                    "supplement",
                    &st.receptionist,
                    600 + rng.below(4 * 1440) as i64,
                ));
            }
            // Some specialists are slow: those dossiers end up late.
            let slow = rng.chance(15);
            v.push((
                "propose",
                &st.specialist,
                if slow {
                    6 * 1440
                } else {
                    60 + rng.below(1440) as i64
                },
            ));
            v.push(("approve", &st.leader, 30 + rng.below(600) as i64));
            v.push((
                "return_result",
                &st.receptionist,
                60 + rng.below(2 * 1440) as i64,
            ));
            v
        };
        for (n, (action, user, minutes)) in steps.iter().enumerate() {
            if n as u64 >= depth {
                break;
            }
            let next = at + Duration::minutes(*minutes);
            if next >= now {
                break;
            }
            at = next;
            let mut r = req(action, version);
            match *action {
                "assign" => r.assignee = Some(st.specialist.username.clone()),
                "request_supplement" => {
                    r.note =
                        Some("Bản sao giấy tờ tùy thân bị mờ, đề nghị bổ sung bản rõ nét".into());
                    r.missing = procedure
                        .required_documents()
                        .take(1)
                        .map(|d| d.code.clone())
                        .collect();
                }
                _ => {}
            }
            // A procedure paid before processing: the fee is paid at the
            // counter first, then the dossier is handed on.
            if status == "awaiting_payment" {
                let paid = store
                    .act(
                        &code,
                        &req("record_payment", version),
                        &Actor::Staff(st.receptionist.clone()),
                        at,
                    )
                    .await?;
                version = paid.row.version;
                r.version = version;
                at += Duration::minutes(1);
            }
            let actor = if *action == "supplement" && online {
                Actor::Citizen
            } else {
                Actor::Staff((*user).clone())
            };
            let rec = store.act(&code, &r, &actor, at).await?;
            version = rec.row.version;
            status = rec.row.status.clone();
        }
        // A few end otherwise: refused, rejected, withdrawn, apologized.
        let row = store
            .dossier_row(&code)
            .await?
            .ok_or_else(|| anyhow::anyhow!("dossier {code} vanished"))?;
        let roll = rng.below(100);
        let later = at + Duration::minutes(30);
        let mut apology_at = None;
        if later < now {
            let mut r = req("", version);
            let actor;
            match (row.status.as_str(), roll) {
                ("submitted", 0..=20) => {
                    r.action = "refuse_intake".into();
                    r.note = Some("Thủ tục không thuộc thẩm quyền của UBND xã".into());
                    actor = Actor::Staff(st.receptionist.clone());
                }
                ("processing", 0..=8) => {
                    r.action = "reject".into();
                    r.note = Some("Không đủ điều kiện theo quy định".into());
                    actor = Actor::Staff(st.leader.clone());
                }
                ("received", 0..=10) => {
                    r.action = "withdraw".into();
                    r.note = Some("Công dân xin rút hồ sơ".into());
                    actor = Actor::Staff(st.receptionist.clone());
                }
                ("processing", 9..=25) if row.due_at.is_some_and(|d| d < motcua_store_ms(now)) => {
                    r.action = "apologize".into();
                    r.note = Some("Hồ sơ cần xác minh thêm".into());
                    // Apologize when the date is missed; promise three working days more, at 16:00.
                    let missed = motcua_store_from_ms(row.due_at.unwrap_or_default()).max(later);
                    let cal = store.calendar(Some(unit_code)).await?;
                    let new_due = cal
                        .add_working_minutes(missed, 3 * cal.hours().minutes_per_day())
                        .replace_time(time::macros::time!(16:00));
                    r.new_due =
                        Some(new_due.format(&time::format_description::well_known::Rfc3339)?);
                    actor = Actor::Staff(st.leader.clone());
                    apology_at = Some(missed);
                }
                _ => actor = Actor::Citizen,
            }
            if !r.action.is_empty() {
                store
                    .act(&code, &r, &actor, apology_at.unwrap_or(later).min(now))
                    .await?;
            }
        }
        let row = store
            .dossier_row(&code)
            .await?
            .ok_or_else(|| anyhow::anyhow!("dossier {code} vanished"))?;
        *by_status.entry(row.status.clone()).or_default() += 1;
        if sample.is_none() && row.status == "processing" {
            sample = Some((row.code.clone(), key.clone()));
        }
    }
    let _ = writeln!(out, "Hồ sơ mẫu theo trạng thái: {by_status:?}");
    if let Some((code, key)) = sample {
        let _ = writeln!(out, "Tra cứu thử: /tra-cuu?code={code}&key={key}");
    }
    Ok(out)
}

fn motcua_store_ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

fn motcua_store_from_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .to_offset(VN_OFFSET)
}

/// Each demo unit's signing authority, a certificate for its leader, and one
/// returned dossier with a signed electronic result to download and verify.
pub async fn seed_signing(store: &Store, now: OffsetDateTime, base_url: &str) -> Result<String> {
    let mut out = String::from("Ký số kết quả điện tử:\n");
    for (code, short) in UNITS {
        let ca = motcua_app::signing::create_ca(store, code, "demo", now).await?;
        let cert = motcua_app::signing::issue(
            store,
            code,
            &format!("lanhdao.{short}"),
            "demo",
            Some("Chủ tịch Ủy ban nhân dân"),
            now,
            motcua_app::signing::SIGNER_DAYS,
        )
        .await?;
        let _ = writeln!(
            out,
            "  {code}: CA sê-ri {} · chứng thư của lanhdao.{short} sê-ri {}",
            ca.serial, cert.serial
        );
    }
    let (code, short) = UNITS[0];
    let filter = ListFilter {
        status: Some(Status::Processing),
        assignee: Some(format!("chuyenvien.{short}")),
        ..ListFilter::new(Scope::Units(vec![code.to_string()]), 1)
    };
    let Some(row) = store.list_dossiers(&filter, now).await?.into_iter().next() else {
        return Ok(out);
    };
    let user = |name: String| async move {
        store
            .user_by_username(&name)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo user {name} missing"))
    };
    let specialist = user(format!("chuyenvien.{short}")).await?;
    let leader = user(format!("lanhdao.{short}")).await?;
    let receptionist = user(format!("tiepnhan.{short}")).await?;
    let rec = store
        .dossier(&row.code)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo dossier {} missing", row.code))?;
    let pdf = motcua_app::forms::draft_result(store, rec, String::new(), now)
        .await
        .map_err(|e| anyhow::anyhow!("demo result: {e:?}"))?;
    store
        .signing()
        .attach_result(&row.code, &pdf, Some("ket-qua.pdf"), &specialist, now)
        .await?;
    let mut version = row.version;
    for (action, who) in [("propose", &specialist)] {
        store
            .act(
                &row.code,
                &req(action, version),
                &Actor::Staff(who.clone()),
                now,
            )
            .await?;
        version += 1;
    }
    let signed = motcua_app::signing::sign_result(store, &row.code, &leader, base_url, now).await?;
    for (action, who) in [("approve", &leader), ("return_result", &receptionist)] {
        store
            .act(
                &row.code,
                &req(action, version),
                &Actor::Staff(who.clone()),
                now,
            )
            .await?;
        version += 1;
    }
    // Keys are stored only as hashes: the counter issues a new one to print here.
    let key = store
        .act(
            &row.code,
            &req("reissue_key", version),
            &Actor::Staff(receptionist.clone()),
            now,
        )
        .await?
        .issued_key
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  Kết quả mẫu đã ký: hồ sơ {} — người dân tải tại /tra-cuu?code={}&key={}",
        row.code, row.code, key
    );
    if let Some(id) = signed.public_id {
        let _ = writeln!(out, "  Trang xác minh công khai: {base_url}/xac-minh/{id}");
    }
    let _ = writeln!(
        out,
        "  Kiểm tra ngoại tuyến một tệp đã tải về: motcua --data-dir <thư mục dữ liệu ở dưới> verify tep.pdf"
    );
    Ok(out)
}

/// A fee paid in cash at the counter: a copy of a civil-status extract
/// (8.000 đồng) received and paid, with its electronic receipt.
pub async fn seed_payment(store: &Store, now: OffsetDateTime) -> Result<String> {
    let (code, short) = UNITS[0];
    let receptionist = store
        .user_by_username(&format!("tiepnhan.{short}"))
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo receptionist missing"))?;
    let rec = counter_dossier(store, &receptionist, code, "HT-TLHT", now).await?;
    let paid = store
        .act(
            &rec.row.code,
            &req("record_payment", rec.row.version),
            &Actor::Staff(receptionist.clone()),
            now,
        )
        .await?;
    let receipt = store
        .payments(&paid.row.code)
        .await?
        .into_iter()
        .map(|p| p.receipt)
        .next_back()
        .unwrap_or_default();
    // A certified copy is paid before it is processed: it waits at the counter.
    let waiting = counter_dossier(store, &receptionist, code, "CT-BSBC", now).await?;
    Ok(format!(
        "Thu phí, lệ phí tại quầy: hồ sơ {} đã nộp 8.000 đồng tiền mặt, biên lai điện tử số {receipt} (/can-bo/ho-so/{}); kế toán ketoan.{short} hủy biên lai lập sai; \
         hồ sơ chứng thực {} chờ nộp phí trước khi giải quyết (/can-bo?q=cho-nop-phi); thu trong ngày theo cán bộ: /can-bo/thu-phi.",
        paid.row.code, paid.row.code, waiting.row.code
    ))
}

/// A dossier received at the counter of `unit` with every paper its
/// procedure requires, seen on paper.
async fn counter_dossier(
    store: &Store,
    receptionist: &motcua_store::User,
    unit: &str,
    procedure: &str,
    now: OffsetDateTime,
) -> Result<motcua_store::DossierRecord> {
    let (p, _) = store
        .procedure(procedure)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo procedure {procedure} missing"))?;
    Ok(store
        .create_dossier(
            motcua_store::NewDossier {
                unit_code: unit.into(),
                procedure_code: procedure.into(),
                channel: motcua_domain::lifecycle::Channel::Counter,
                applicant: ApplicantInput {
                    full_name: "Lê Thị Thu".into(),
                    id_number: "087185004321".into(),
                    date_of_birth: "1985-06-20".into(),
                    phone: "0912345678".into(),
                    email: None,
                    address: "Ấp Mỹ Thạnh, xã Mỹ Hiệp, tỉnh Đồng Tháp".into(),
                },
                fields: serde_json::json!({}),
                documents: p
                    .required_documents()
                    .map(|d| DocumentRef {
                        code: d.code.clone(),
                        upload_id: None,
                        paper: true,
                    })
                    .collect(),
            },
            &Actor::Staff(receptionist.clone()),
            now,
        )
        .await?)
}

/// The demo merchant of unit 30112 at the VNPay simulator.
pub const VNPAY_TMN: &str = "MOTCUADEMO";
/// Known only to the demo and its simulator.
pub const VNPAY_SECRET: &str = "bi-mat-demo-vnpay";

/// Unit 30112 connected to the VNPay simulator, and a certified copy whose
/// fee the citizen can pay online from the lookup page.
pub async fn seed_vnpay(
    store: &Store,
    sim: &motcua_app::sim::vnpay::VnpaySimulator,
    now: OffsetDateTime,
) -> Result<String> {
    let (code, short) = UNITS[0];
    for (key, value) in [
        ("tmn_code", VNPAY_TMN.to_string()),
        ("payment_url", sim.payment_url()),
        ("api_url", sim.api_url()),
        ("hash_secret", VNPAY_SECRET.to_string()),
    ] {
        store
            .set_integration(code, "vnpay", key, &value, "demo", now)
            .await?;
    }
    let receptionist = store
        .user_by_username(&format!("tiepnhan.{short}"))
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo receptionist missing"))?;
    let rec = counter_dossier(store, &receptionist, code, "CT-BSBC", now).await?;
    Ok(format!(
        "Thanh toán trực tuyến: hồ sơ {} chờ nộp phí; mở /tra-cuu?code={}&key={} và chọn VNPay (cổng VNPay là SIMULATOR tại {}).",
        rec.row.code,
        rec.row.code,
        rec.issued_key.unwrap_or_default(),
        sim.payment_url()
    ))
}

/// The key the demo bank notifies unit 30112 with.
pub const BANK_KEY: &str = "khoa-ngan-hang-demo";

/// Unit 30112's account for VietQR transfers, a transfer that names no
/// order (it waits for the accountant), and where the demo bank is.
pub async fn seed_vietqr(
    store: &Store,
    bank: &std::sync::Arc<motcua_app::sim::bank::BankSimulator>,
    bank_url: &str,
    now: OffsetDateTime,
) -> Result<String> {
    let (code, _) = UNITS[0];
    for (key, value) in [
        ("bank_bin", "970405"),
        ("account_no", "5500201012345"),
        (
            "account_name",
            "TRUNG TAM PHUC VU HANH CHINH CONG XA MY HIEP",
        ),
        ("webhook_key", BANK_KEY),
    ] {
        store
            .set_integration(code, "vietqr", key, value, "demo", now)
            .await?;
    }
    // Sent once the server answers (it starts after the demo is seeded).
    let bank = bank.clone();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        bank.transfer("5500201012345", 35_000, "NOP PHI CHUNG THUC")
            .await
    });
    Ok(format!(
        "Chuyển khoản VietQR: trên trang tra cứu chọn \"Chuyển khoản bằng mã QR\", dán nội dung mã vào ngân hàng SIMULATOR tại {bank_url}; một khoản 35.000 đồng không nêu mã giao dịch chờ kế toán ketoan.myhiep kiểm tra tại /can-bo/thu-phi."
    ))
}

/// A past year of history for every unit of the province, so the service
/// index ranks 102 units with real differences: the benchmark's generator
/// (bulk load, counters included), then satisfaction ratings on returned
/// dossiers and a few feedback items, some answered late.
pub async fn index_history(store: &Store, now: OffsetDateTime) -> Result<String> {
    let started = std::time::Instant::now();
    let args = crate::bench::GenerateArgs {
        dossiers: 15_300,
        years: 1,
        seed: 766,
        province: "82".into(),
        // A week back: the demo's own recent dossiers keep their codes.
        until: Some(
            (now - Duration::days(7))
                .to_offset(VN_OFFSET)
                .format(&time::format_description::well_known::Rfc3339)?,
        ),
        drop_indexes: false,
    };
    crate::bench::main(store.clone(), crate::bench::BenchCmd::Generate(args)).await?;
    let mut rng = Rng(766);
    let returned = store
        .list_dossiers(
            &motcua_store::ListFilter {
                status: Some(motcua_domain::lifecycle::Status::Returned),
                ..motcua_store::ListFilter::new(motcua_store::Scope::All, 3000)
            },
            now,
        )
        .await?;
    let mut rated = 0;
    for row in &returned {
        if !rng.chance(40) {
            continue;
        }
        // Most citizens are satisfied; some units less so than others.
        let unit_bias = row.unit_code.bytes().map(u64::from).sum::<u64>() % 20;
        let overall = if rng.chance(8 + unit_bias) {
            1 + rng.below(2)
        } else {
            3 + rng.below(3)
        } as u8;
        let at = row.returned_at.map_or(now, |ms| {
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or(now)
        }) + Duration::hours(2);
        let scores = [
            overall,
            3 + rng.below(3) as u8,
            3 + rng.below(3) as u8,
            4,
            4,
        ];
        if store.rate_dossier(row, &scores, None, at).await.is_ok() {
            rated += 1;
        }
    }
    const NAMES: [&str; 3] = ["Nguyễn Văn Hùng", "Trần Thị Lan", "Lê Minh Tâm"];
    const TEXTS: [&str; 3] = [
        "Đề nghị niêm yết rõ hơn danh mục giấy tờ cần nộp.",
        "Chờ ở quầy quá lâu vào buổi sáng thứ Hai.",
        "Xin hướng dẫn nộp hồ sơ trực tuyến cho người lớn tuổi.",
    ];
    let mut feedback = 0;
    for (i, (unit, _)) in UNITS.iter().enumerate() {
        for k in 0..3 {
            let at = now - Duration::days(40 + 9 * k as i64 + i as i64);
            let name: &str = NAMES[rng.below(3) as usize];
            let text: &str = TEXTS[rng.below(3) as usize];
            let f = store
                .submit_feedback(unit, None, name, "0912345678", text, at)
                .await?;
            feedback += 1;
            if k < 2 {
                // One answered within the deadline, one after it.
                let answer_at = if k == 0 {
                    at + Duration::days(3)
                } else {
                    at + Duration::days(20)
                };
                store
                    .answer_feedback(
                        unit,
                        f.id,
                        "Đơn vị đã tiếp thu và khắc phục.",
                        "demo",
                        answer_at,
                    )
                    .await?;
            }
        }
    }
    Ok(format!(
        "Chỉ số phục vụ: một năm lịch sử của 102 đơn vị, {rated} lượt đánh giá, {feedback} phản ánh ({:.1} s) — /giam-sat/chi-so (giamsat.dongthap)",
        started.elapsed().as_secs_f64()
    ))
}
