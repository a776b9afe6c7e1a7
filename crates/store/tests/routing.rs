//! Reception regardless of boundary (Decree 118/2025, art. 14), on SQLite
//! and (when configured) PostgreSQL: a center receives a dossier for another
//! commune of its province and routes it there. The competent unit works on
//! it; the receiving unit keeps its code, follows its status and due date and
//! the documents it took in; the routing event is a link of both units'
//! chains; the index counts reception for the one and timeliness for the other.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use motcua_domain::dossier::ApplicantInput;
use motcua_domain::index::{Metric, Period};
use motcua_domain::lifecycle::{Action, Channel, Role};
use motcua_store::testing::{databases, open_seeded};
use motcua_store::{ActionRequest, Actor, DocumentRef, NewDossier, NewUser, Store, User};
use time::OffsetDateTime;
use time::macros::datetime;

/// Xã Mỹ Hiệp receives; Phường Mỹ Tho decides (both of Đồng Tháp, 82).
const RECEIVING: &str = "30112";
const COMPETENT: &str = "28261";
/// Phường Vũng Tàu, Hồ Chí Minh City: another province.
const ELSEWHERE: &str = "26506";

fn t(h: i64) -> OffsetDateTime {
    datetime!(2026-03-02 09:00 +7) + time::Duration::hours(h)
}

async fn user(store: &Store, name: &str, role: Role, unit: &str) -> Actor {
    store
        .create_user(
            &NewUser {
                username: name.into(),
                full_name: "Cán bộ".into(),
                password_hash: "x".into(),
                roles: vec![role],
                units: vec![unit.into()],
                province_code: None,
            },
            t(0),
        )
        .await
        .expect("user");
    Actor::Staff(
        store
            .user_by_username(name)
            .await
            .expect("read")
            .expect("user"),
    )
}

fn staff(a: &Actor) -> &User {
    match a {
        Actor::Staff(u) => u,
        Actor::Citizen | Actor::System => panic!("staff expected"),
    }
}

fn req(action: Action, version: i64) -> ActionRequest {
    ActionRequest {
        action: action.as_str().into(),
        version,
        ..ActionRequest::default()
    }
}

fn code_of(e: &motcua_store::StoreError) -> &'static str {
    match e {
        motcua_store::StoreError::Problem(p) => p.code,
        other => panic!("a problem expected, got {other}"),
    }
}

#[tokio::test]
async fn a_dossier_received_in_one_commune_is_decided_in_another() {
    let dir = tempfile::tempdir().expect("tempdir");
    for db in databases(dir.path()).await.expect("databases") {
        let store = open_seeded(&db).await.expect("store");
        let desk_a = user(&store, "a.tiepnhan", Role::Receptionist, RECEIVING).await;
        let spec_a = user(&store, "a.chuyenvien", Role::Specialist, RECEIVING).await;
        let desk_b = user(&store, "b.tiepnhan", Role::Receptionist, COMPETENT).await;
        let spec_b = user(&store, "b.chuyenvien", Role::Specialist, COMPETENT).await;
        let lead_b = user(&store, "b.lanhdao", Role::Leader, COMPETENT).await;

        // Filed at Mỹ Hiệp's counter: one scanned file, one paper checked.
        let scan = store
            .upload(
                b"%PDF-1.4\n% to-khai\n%%EOF\n",
                Some("to-khai.pdf"),
                "a.tiepnhan",
                t(0),
            )
            .await
            .expect("upload");
        let rec = store
            .create_dossier(
                NewDossier {
                    unit_code: RECEIVING.into(),
                    procedure_code: "HT-XNHN".into(),
                    channel: Channel::Counter,
                    applicant: ApplicantInput {
                        full_name: "Trần Thị Mai".into(),
                        id_number: "087188001234".into(),
                        date_of_birth: "1988-04-12".into(),
                        phone: "0912345678".into(),
                        email: None,
                        address: "Khu phố 1, phường Mỹ Tho, tỉnh Đồng Tháp".into(),
                    },
                    fields: serde_json::json!({}),
                    documents: vec![
                        DocumentRef {
                            code: "to-khai".into(),
                            upload_id: Some(scan.id.clone()),
                            paper: false,
                        },
                        DocumentRef {
                            code: "giay-to-tuy-than".into(),
                            upload_id: None,
                            paper: true,
                        },
                    ],
                },
                &desk_a,
                t(0),
            )
            .await
            .expect("filed");
        let code = rec.row.code.clone();
        let due = rec.row.due_at.expect("due set at reception");
        assert_eq!(rec.row.received_by, RECEIVING);

        // What the rule refuses, and who may not route.
        let mut route = req(Action::Route, rec.row.version);
        let e = store
            .act(&code, &route, &desk_a, t(1))
            .await
            .expect_err("no unit");
        assert_eq!(code_of(&e), "to_unit_required");
        for bad in [ELSEWHERE, RECEIVING, "99999"] {
            route.to_unit = Some(bad.into());
            let e = store
                .act(&code, &route, &desk_a, t(1))
                .await
                .expect_err(bad);
            assert_eq!(code_of(&e), "bad_unit", "{bad}");
        }
        route.to_unit = Some(COMPETENT.into());
        let e = store
            .act(&code, &route, &spec_a, t(1))
            .await
            .expect_err("specialist");
        assert_eq!(code_of(&e), "forbidden_action");
        let e = store
            .act(&code, &route, &desk_b, t(1))
            .await
            .expect_err("not yet theirs");
        assert_eq!(code_of(&e), "dossier_not_found");

        // Routed: the competent unit works on it, the code and due date stay.
        let routed = store
            .act(&code, &route, &desk_a, t(1))
            .await
            .expect("routed");
        assert_eq!(routed.row.unit_code, COMPETENT);
        assert_eq!(routed.row.received_by, RECEIVING);
        assert!(
            routed.row.code.starts_with(&format!("{RECEIVING}-")),
            "{code}"
        );
        assert_eq!(routed.row.due_at, Some(due));
        let e = store
            .act(
                &code,
                &req(Action::Assign, routed.row.version),
                &desk_a,
                t(2),
            )
            .await
            .expect_err("the receiving unit no longer acts");
        assert_eq!(code_of(&e), "dossier_not_found");
        let mut again = route.clone();
        again.version = routed.row.version;
        again.to_unit = Some(RECEIVING.into());
        let e = store
            .act(&code, &again, &desk_b, t(2))
            .await
            .expect_err("once");
        assert_eq!(code_of(&e), "already_routed");

        // Mỹ Tho works on it: assigns, asks for a paper, gets it, decides.
        let mut assign = req(Action::Assign, routed.row.version);
        assign.assignee = Some("b.chuyenvien".into());
        let r = store
            .act(&code, &assign, &desk_b, t(2))
            .await
            .expect("assign");
        let mut ask = req(Action::RequestSupplement, r.row.version);
        ask.note = Some("Ghi chú nội bộ: thiếu bản sao giấy khai sinh".into());
        ask.missing = vec!["giay-to-tuy-than".into()];
        let r = store.act(&code, &ask, &spec_b, t(3)).await.expect("ask");
        let late_scan = store
            .upload(
                b"%PDF-1.4\n% bo sung\n%%EOF\n",
                Some("bo-sung.pdf"),
                "b.tiepnhan",
                t(4),
            )
            .await
            .expect("upload");
        let mut supply = req(Action::Supplement, r.row.version);
        supply.documents = vec![DocumentRef {
            code: "giay-to-tuy-than".into(),
            upload_id: Some(late_scan.id.clone()),
            paper: false,
        }];
        let r = store
            .act(&code, &supply, &desk_b, t(4))
            .await
            .expect("supply");
        let r = store
            .act(&code, &req(Action::Propose, r.row.version), &spec_b, t(5))
            .await
            .expect("propose");
        let done = store
            .act(&code, &req(Action::Approve, r.row.version), &lead_b, t(6))
            .await
            .expect("approve");

        // The receiving unit follows: status, due date, its documents, no later notes.
        let a = staff(&desk_a);
        assert!(a.follows_routed(&done.row));
        assert!(!staff(&desk_b).follows_routed(&done.row));
        let seen = store
            .routed_record(&code, a)
            .await
            .expect("read")
            .expect("the receiving unit follows it");
        assert_eq!(seen.row.status, "result_ready");
        assert_eq!(seen.row.due_at, done.row.due_at);
        let ids: Vec<&str> = seen.documents.iter().map(|d| d.id.as_str()).collect();
        assert!(ids.contains(&scan.id.as_str()), "{ids:?}");
        assert!(!ids.contains(&late_scan.id.as_str()), "{ids:?}");
        assert!(
            seen.events
                .iter()
                .all(|e| e.note.as_deref().is_none_or(|n| !n.contains("nội bộ"))),
            "a later internal note reached the receiving unit"
        );
        assert!(
            store
                .routed_record(&code, staff(&desk_b))
                .await
                .expect("read")
                .is_none()
        );
        let dossier_id = done.row.id;
        for (doc, who, readable) in [
            (&scan, a, true),
            (&late_scan, a, false),
            (&late_scan, staff(&desk_b), true),
            (&scan, staff(&desk_b), true),
        ] {
            let got = store
                .document_readable_by(who, dossier_id, doc.created_at)
                .await
                .expect("read");
            assert_eq!(got.is_some(), readable, "{} by {}", doc.id, who.username);
        }

        // Chains: creation and routing in Mỹ Hiệp's; routing onward in Mỹ Tho's.
        let actions = |chain: Vec<(String, i64, String)>| -> Vec<String> {
            chain
                .into_iter()
                .filter(|(c, _, _)| c == &code)
                .map(|(_, _, a)| a)
                .collect()
        };
        assert_eq!(
            actions(store.chain_of(RECEIVING).await.expect("chain")),
            ["create_at_counter", "route"]
        );
        assert_eq!(
            actions(store.chain_of(COMPETENT).await.expect("chain")),
            [
                "route",
                "assign",
                "request_supplement",
                "supplement",
                "propose",
                "approve"
            ]
        );
        let report = store.audit_verify().await.expect("verify");
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert_eq!(report.events, 8, "seven events, the routing one twice");
        store.check_consistency(&code).await.expect("consistent");

        // The index: reception for Mỹ Hiệp, timeliness for Mỹ Tho.
        let month = Period::parse("2026-03").expect("period");
        let counts = store.index_counts(None, None, month).await.expect("counts");
        let get = |unit: &str, m: Metric| counts.get(unit).map_or(0, |c| c.get(m));
        assert_eq!(get(RECEIVING, Metric::ReceivedDirect), 1);
        assert_eq!(get(COMPETENT, Metric::ReceivedDirect), 0);
        assert_eq!(get(COMPETENT, Metric::FinishedOnTime), 1);
        assert_eq!(get(RECEIVING, Metric::FinishedOnTime), 0);
        assert_eq!(
            store.index_counters().await.expect("kept"),
            store.index_recompute().await.expect("recomputed")
        );
    }
}

#[tokio::test]
async fn tampering_with_the_second_link_is_caught() {
    let dir = tempfile::tempdir().expect("tempdir");
    for db in databases(dir.path()).await.expect("databases") {
        let store = open_seeded(&db).await.expect("store");
        let desk_a = user(&store, "a.tiepnhan", Role::Receptionist, RECEIVING).await;
        let code = motcua_store::testing::submit_online(&store, RECEIVING, t(0))
            .await
            .expect("submit");
        let r = store
            .act(&code, &req(Action::Receive, 1), &desk_a, t(1))
            .await
            .expect("receive");
        let mut route = req(Action::Route, r.row.version);
        route.to_unit = Some(COMPETENT.into());
        store
            .act(&code, &route, &desk_a, t(2))
            .await
            .expect("routed");
        assert!(
            store
                .audit_verify()
                .await
                .expect("verify")
                .problems
                .is_empty()
        );
        // The second link is append-only through the store…
        assert!(store.execute_raw("DELETE FROM event_links").await.is_err());
        // …and rewriting it around the store breaks the competent unit's chain.
        let unlock = if store.backend_name() == "sqlite" {
            "DROP TRIGGER IF EXISTS event_links_no_update;"
        } else {
            "ALTER TABLE event_links DISABLE TRIGGER USER;"
        };
        store
            .execute_raw(&format!("{unlock} UPDATE event_links SET hash = 'k1:00'"))
            .await
            .expect("intrude");
        let problems = store.audit_verify().await.expect("verify").problems;
        assert!(
            problems.iter().any(|p| p.contains(COMPETENT)),
            "{problems:?}"
        );
        // Moving the receiving unit around the store (to read routed
        // dossiers or move reception counts) is caught by `check`.
        store
            .execute_raw(&format!(
                "UPDATE dossiers SET received_by = '{ELSEWHERE}' WHERE code = '{code}'"
            ))
            .await
            .expect("intrude");
        let e = store.check_consistency(&code).await.expect_err("caught");
        assert!(
            format!("{e}").contains("inconsistent_dossier")
                || format!("{e:?}").contains("inconsistent_dossier"),
            "{e:?}"
        );
    }
}
