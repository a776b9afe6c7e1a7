//! Certificates, revocations and electronic results on SQLite and (when
//! configured) PostgreSQL: who may attach and sign, in which state, once.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use motcua_domain::ProblemKind;
use motcua_domain::dossier::ApplicantInput;
use motcua_domain::lifecycle::{Channel, Role};
use motcua_store::signing::{NewCert, Signature};
use motcua_store::testing::{databases, open_seeded};
use motcua_store::{
    ActionRequest, Actor, DocumentRef, NewDossier, NewUser, Store, StoreError, User,
};
use time::{Duration, OffsetDateTime};

const UNIT: &str = "30112";
const OTHER_UNIT: &str = "28261";

fn problem(e: StoreError) -> motcua_domain::Problem {
    match e {
        StoreError::Problem(p) => p,
        other => panic!("expected a problem, got {other}"),
    }
}

async fn user(store: &Store, name: &str, role: Role, unit: &str) -> User {
    let new = NewUser {
        username: name.into(),
        full_name: format!("Cán bộ {name}"),
        password_hash: "x".into(),
        roles: vec![role],
        units: if role == Role::Admin {
            vec![]
        } else {
            vec![unit.into()]
        },
        province_code: None,
    };
    store
        .create_user(&new, OffsetDateTime::now_utc())
        .await
        .expect("user");
    store
        .user_by_username(name)
        .await
        .expect("read")
        .expect("user")
}

fn cert(serial: &str, unit: &str, is_ca: bool, username: Option<&str>) -> NewCert {
    let now = OffsetDateTime::now_utc();
    NewCert {
        serial: serial.into(),
        unit_code: unit.into(),
        is_ca,
        username: username.map(str::to_string),
        subject: "Chủ thể".into(),
        not_before: now - Duration::days(1),
        not_after: now + Duration::days(365),
        cert_der: vec![0x30, 1, 2, 3],
        sealed_key: vec![9, 9, 9],
    }
}

async fn act(store: &Store, code: &str, user: &User, action: &str, assignee: Option<&str>) {
    let version = store
        .dossier_row(code)
        .await
        .expect("row")
        .expect("row")
        .version;
    let req = ActionRequest {
        action: action.into(),
        version,
        assignee: assignee.map(str::to_string),
        ..ActionRequest::default()
    };
    store
        .act(
            code,
            &req,
            &Actor::Staff(user.clone()),
            OffsetDateTime::now_utc(),
        )
        .await
        .expect(action);
}

#[tokio::test]
async fn certificates_and_revocations_are_kept() {
    let dir = tempfile::tempdir().expect("dir");
    for db in databases(dir.path()).await.expect("dbs") {
        let store = open_seeded(&db).await.expect("store");
        let s = store.signing();
        let now = OffsetDateTime::now_utc();
        s.add_cert(&cert("aa01", UNIT, true, None), "admin", now)
            .await
            .expect("ca");
        let again = s
            .add_cert(&cert("aa02", UNIT, true, None), "admin", now)
            .await;
        assert_eq!(problem(again.expect_err("one CA")).code, "ca_exists");
        let bad = s
            .add_cert(&cert("aa03", "99999", true, None), "admin", now)
            .await;
        assert_eq!(problem(bad.expect_err("unit")).code, "unknown_unit");
        s.add_cert(&cert("bb01", UNIT, false, Some("lanhdao")), "admin", now)
            .await
            .expect("signer");
        let listed = s.certs(Some(UNIT)).await.expect("list");
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].cert_der, vec![0x30, 1, 2, 3]);
        assert_eq!(
            s.unit_ca(UNIT).await.expect("ca").map(|c| c.serial),
            Some("aa01".into())
        );
        assert!(
            s.signer_cert(UNIT, "lanhdao", now)
                .await
                .expect("signer")
                .is_some()
        );
        assert!(
            s.signer_cert(UNIT, "lanhdao", now + Duration::days(400))
                .await
                .expect("signer")
                .is_none()
        );

        let e = s
            .revoke("bb01", "  ", "admin", now)
            .await
            .expect_err("reason");
        assert_eq!(problem(e).code, "note_required");
        let r = s
            .revoke("BB01", "Lộ khóa", "admin", now)
            .await
            .expect("revoke");
        assert_eq!(r.revoke_reason.as_deref(), Some("Lộ khóa"));
        assert!(r.revoked_at.is_some());
        let e = s
            .revoke("bb01", "lần hai", "admin", now)
            .await
            .expect_err("twice");
        assert_eq!(problem(e).code, "already_revoked");
        let e = s
            .revoke("ffff", "x", "admin", now)
            .await
            .expect_err("unknown");
        assert_eq!(problem(e).kind, ProblemKind::NotFound);
        assert!(
            s.signer_cert(UNIT, "lanhdao", now)
                .await
                .expect("signer")
                .is_none()
        );
        // A revoked CA can be replaced.
        s.revoke("aa01", "Thay mới", "admin", now)
            .await
            .expect("revoke ca");
        s.add_cert(&cert("aa04", UNIT, true, None), "admin", now)
            .await
            .expect("new ca");
    }
}

#[tokio::test]
async fn results_are_attached_by_the_specialist_and_signed_once_by_a_leader() {
    let dir = tempfile::tempdir().expect("dir");
    for db in databases(dir.path()).await.expect("dbs") {
        let store = open_seeded(&db).await.expect("store");
        let receptionist = user(&store, "letan", Role::Receptionist, UNIT).await;
        let specialist = user(&store, "chuyenvien", Role::Specialist, UNIT).await;
        let other_specialist = user(&store, "chuyenvien2", Role::Specialist, UNIT).await;
        let leader = user(&store, "lanhdao", Role::Leader, UNIT).await;
        let other_leader = user(&store, "lanhdao.khac", Role::Leader, OTHER_UNIT).await;
        let admin = user(&store, "quantri", Role::Admin, UNIT).await;
        let now = OffsetDateTime::now_utc();
        let rec = store
            .create_dossier(
                NewDossier {
                    unit_code: UNIT.into(),
                    procedure_code: "HT-XNHN".into(),
                    channel: Channel::Counter,
                    applicant: ApplicantInput {
                        full_name: "Trần Thị Mai".into(),
                        id_number: "087188001234".into(),
                        date_of_birth: "1988-04-12".into(),
                        phone: "0912345678".into(),
                        email: None,
                        address: "Ấp 2, xã Mỹ Hiệp".into(),
                    },
                    fields: serde_json::json!({}),
                    documents: ["to-khai", "giay-to-tuy-than"]
                        .iter()
                        .map(|c| DocumentRef {
                            code: (*c).into(),
                            upload_id: None,
                            paper: true,
                        })
                        .collect(),
                },
                &Actor::Staff(receptionist.clone()),
                now,
            )
            .await
            .expect("dossier");
        let code = rec.row.code.clone();
        let s = store.signing();
        let pdf = b"%PDF-1.4\n% ket qua\n%%EOF\n";
        // Not processing yet.
        let e = s
            .attach_result(&code, pdf, Some("kq.pdf"), &specialist, now)
            .await
            .expect_err("state");
        assert_eq!(problem(e).code, "illegal_transition");
        act(&store, &code, &receptionist, "assign", Some("chuyenvien")).await;
        for (who, code_expected) in [
            (&receptionist, "forbidden_action"),
            (&leader, "forbidden_action"),
            (&admin, "forbidden_action"),
            (&other_specialist, "not_assignee"),
        ] {
            let e = s
                .attach_result(&code, pdf, None, who, now)
                .await
                .expect_err("who");
            assert_eq!(problem(e).code, code_expected, "{}", who.username);
        }
        let e = s
            .attach_result(&code, pdf, None, &other_leader, now)
            .await
            .expect_err("other unit");
        assert_eq!(problem(e).kind, ProblemKind::NotFound);
        let e = s
            .attach_result(&code, b"\x89PNG\r\n\x1a\n", None, &specialist, now)
            .await
            .expect_err("png");
        assert_eq!(problem(e).code, "unsupported_file_type");
        let e = s
            .attach_result(&code, b"", None, &specialist, now)
            .await
            .expect_err("empty");
        assert_eq!(problem(e).code, "empty_file");
        let first = s
            .attach_result(&code, pdf, Some("kq/../1.pdf"), &specialist, now)
            .await
            .expect("attach");
        assert_eq!(first.filename.as_deref(), Some("kq..1.pdf"));
        assert!(first.signed_at.is_none());
        let second = s
            .attach_result(
                &code,
                b"%PDF-1.4\n% ket qua 2\n%%EOF\n",
                Some("kq2.pdf"),
                &specialist,
                now,
            )
            .await
            .expect("replace");
        assert_ne!(first.original_sha256, second.original_sha256);
        assert!(store.blobs().get(&second.original_sha256).await.is_ok());

        let sig = Signature {
            public_id: "ab12cd34ab12cd34".into(),
            signed_sha256: "00".repeat(32),
            signed_size: 100,
            cert_serial: "bb01".into(),
            signer_name: "Lãnh đạo".into(),
        };
        s.add_cert(&cert("aa01", UNIT, true, None), "admin", now)
            .await
            .expect("ca");
        s.add_cert(&cert("bb01", UNIT, false, Some("lanhdao")), "admin", now)
            .await
            .expect("signer");
        // Still processing: a leader signs only around approval.
        let e = s
            .record_signature(&second, &sig, &leader, now)
            .await
            .expect_err("state");
        assert_eq!(problem(e).code, "illegal_transition");
        act(&store, &code, &specialist, "propose", None).await;
        let e = s
            .record_signature(&second, &sig, &specialist, now)
            .await
            .expect_err("role");
        assert_eq!(problem(e).code, "forbidden_action");
        let e = s
            .record_signature(&second, &sig, &other_leader, now)
            .await
            .expect_err("unit");
        assert_eq!(problem(e).code, "forbidden_action");
        // The document changed since it was read: refused.
        let e = s
            .record_signature(&first, &sig, &leader, now)
            .await
            .expect_err("stale");
        assert_eq!(problem(e).code, "result_changed");
        let signed = s
            .record_signature(&second, &sig, &leader, now)
            .await
            .expect("sign");
        assert_eq!(signed.signed_by.as_deref(), Some("lanhdao"));
        assert_eq!(signed.public_id.as_deref(), Some("ab12cd34ab12cd34"));
        assert!(signed.signed_at.is_some());
        let e = s
            .record_signature(&second, &sig, &leader, now)
            .await
            .expect_err("twice");
        assert_eq!(problem(e).code, "result_changed");
        let by_id = s
            .result_by_public_id("ab12cd34ab12cd34")
            .await
            .expect("read")
            .expect("found");
        assert_eq!(by_id.dossier_code, code);
        assert!(
            s.result_by_public_id("zz' OR 1=1")
                .await
                .expect("read")
                .is_none()
        );
        assert_eq!(s.result(&code).await.expect("read"), Some(by_id));
    }
}
