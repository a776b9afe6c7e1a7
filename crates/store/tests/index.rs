//! The service index's counters on both backends: after random histories
//! (every action, pauses, apologies, ratings, feedback, month boundaries)
//! the counters kept with each event equal a full recomputation from the
//! history, the drill-down lists exactly the counted dossiers, and a
//! rebuild changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use motcua_domain::dossier::ApplicantInput;
use motcua_domain::index::{Metric, Period};
use motcua_domain::lifecycle::{Action, Channel, Role, Status, allowed_roles, next_status};
use motcua_store::index::Drill;
use motcua_store::testing::{databases, open_seeded};
use motcua_store::{ActionRequest, Actor, DocumentRef, NewDossier, NewUser, Store, User};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const UNIT: &str = "30112";
const PROC: &str = "HT-XNHN";

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn applicant() -> ApplicantInput {
    ApplicantInput {
        full_name: "Lê Văn Bình".into(),
        id_number: "087188009876".into(),
        date_of_birth: "1988-01-02".into(),
        phone: "0987654321".into(),
        email: None,
        address: "Ấp 1, xã Mỹ Hiệp, tỉnh Đồng Tháp".into(),
    }
}

async fn staff(store: &Store, role: Role, at: OffsetDateTime) -> User {
    let new = NewUser {
        username: format!("i.{}", role.as_str()),
        full_name: "Cán bộ".into(),
        password_hash: "x".into(),
        roles: vec![role],
        units: vec![UNIT.into()],
        province_code: None,
    };
    store.create_user(&new, at).await.expect("user");
    store
        .user_by_username(&new.username)
        .await
        .expect("read")
        .expect("user")
}

async fn new_dossier(
    store: &Store,
    rng: &mut Rng,
    at: OffsetDateTime,
    receptionist: &User,
) -> String {
    let kind = rng.below(3);
    let mut docs = Vec::new();
    for code in ["to-khai", "giay-to-tuy-than"] {
        // 0: online; 1: counter with scans (digitized); 2: counter on paper.
        if kind == 2 {
            docs.push(DocumentRef {
                code: code.into(),
                upload_id: None,
                paper: true,
            });
        } else {
            let bytes = format!("%PDF-1.4\n% {code}{at}{}\n%%EOF\n", rng.next()).into_bytes();
            let meta = store
                .upload(&bytes, Some("scan.pdf"), "t", at)
                .await
                .expect("upload");
            docs.push(DocumentRef {
                code: code.into(),
                upload_id: Some(meta.id),
                paper: false,
            });
        }
    }
    let new = NewDossier {
        unit_code: UNIT.into(),
        procedure_code: PROC.into(),
        channel: if kind == 0 {
            Channel::Online
        } else {
            Channel::Counter
        },
        applicant: applicant(),
        fields: serde_json::json!({}),
        documents: docs,
    };
    let actor = if kind == 0 {
        Actor::Citizen
    } else {
        Actor::Staff(receptionist.clone())
    };
    store
        .create_dossier(new, &actor, at)
        .await
        .expect("create")
        .row
        .code
}

async fn random_history(store: &Store, seed: u64) -> OffsetDateTime {
    let mut rng = Rng(seed);
    let mut at = datetime!(2026-02-25 08:00 +7);
    let people = [
        (
            Role::Receptionist,
            staff(store, Role::Receptionist, at).await,
        ),
        (Role::Specialist, staff(store, Role::Specialist, at).await),
        (Role::Leader, staff(store, Role::Leader, at).await),
    ];
    let receptionist = people[0].1.clone();
    let mut codes = Vec::new();
    for _ in 0..400 {
        at += Duration::minutes(rng.below(240) as i64 + 1);
        if codes.is_empty() || rng.below(8) == 0 {
            codes.push(new_dossier(store, &mut rng, at, &receptionist).await);
            continue;
        }
        let code = codes[rng.below(codes.len() as u64) as usize].clone();
        let row = store.dossier_row(&code).await.expect("read").expect("row");
        let status: Status = row.status.parse().expect("status");
        let paused: Option<Status> = row
            .paused_from
            .as_deref()
            .map(|s| s.parse().expect("paused"));
        let legal: Vec<Action> = Action::ALL
            .iter()
            .copied()
            .filter(|a| !matches!(a, Action::Submit | Action::CreateAtCounter))
            .filter(|a| next_status(status, paused, *a).is_ok())
            .collect();
        if legal.is_empty() {
            if status == Status::Returned && rng.below(2) == 0 {
                let overall = (rng.below(5) + 1) as u8;
                if let Err(e) = store
                    .rate_dossier(&row, &[overall, 4, 4, 5, 3], None, at)
                    .await
                {
                    assert!(format!("{e:?}").contains("already_rated"), "{e:?}");
                }
            }
            continue;
        }
        // Mostly forward, so that many dossiers reach a result; sometimes anything legal.
        let forward: Vec<Action> = legal
            .iter()
            .copied()
            .filter(|a| {
                matches!(
                    a,
                    Action::Receive
                        | Action::Assign
                        | Action::Propose
                        | Action::Approve
                        | Action::ReturnResult
                        | Action::Supplement
                )
            })
            .collect();
        let pool = if !forward.is_empty() && rng.below(5) > 0 {
            &forward
        } else {
            &legal
        };
        let action = pool[rng.below(pool.len() as u64) as usize];
        let Some((_, user)) = people
            .iter()
            .find(|(r, _)| allowed_roles(action).contains(r))
        else {
            continue;
        };
        let mut req = ActionRequest {
            action: action.as_str().into(),
            version: row.version,
            ..Default::default()
        };
        if motcua_domain::lifecycle::needs_note(action) {
            req.note = Some("Lý do".into());
        }
        match action {
            Action::Assign => req.assignee = Some("i.specialist".into()),
            // Routed to Phường Mỹ Tho: its counters split between the two
            // units, and the recomputation must split them the same way.
            Action::Route => req.to_unit = Some("28261".into()),
            Action::Apologize => {
                let due = (at + Duration::days(20)).to_offset(time::macros::offset!(+7));
                req.new_due = Some(format!(
                    "{:04}-{:02}-{:02}T10:00",
                    due.year(),
                    u8::from(due.month()),
                    due.day()
                ));
            }
            _ => {}
        }
        // Refusals by rule (e.g. another specialist's dossier) are part of life.
        let done = store
            .act(&code, &req, &Actor::Staff(user.clone()), at)
            .await;
        // Sometimes the specialist attaches an electronic result: the
        // counters of 3.3, 4.1 and 4.2 move with it.
        if let Ok(rec) = &done
            && rec.row.status == "processing"
            && rec.row.assignee.as_deref() == Some("i.specialist")
            && rng.below(3) == 0
        {
            let pdf = format!("%PDF-1.4\n% ket qua {code}\n%%EOF\n").into_bytes();
            store
                .signing()
                .attach_result(&code, &pdf, Some("ket-qua.pdf"), &people[1].1, at)
                .await
                .expect("attach");
        }
        if let (Ok(rec), Action::ReturnResult) = (&done, action)
            && rng.below(3) > 0
        {
            let overall = (rng.below(5) + 1) as u8;
            let later = at + Duration::hours(rng.below(48) as i64);
            store
                .rate_dossier(&rec.row, &[overall, 4, 4, 5, 3], None, later)
                .await
                .expect("rate");
        }
        if rng.below(15) == 0 {
            let f = store
                .submit_feedback(
                    UNIT,
                    None,
                    "Nguyễn Văn A",
                    "0912345678",
                    "Thủ tục còn rườm rà, cần hướng dẫn rõ hơn",
                    at,
                )
                .await
                .expect("feedback");
            if rng.below(3) > 0 {
                let later = at + Duration::days(rng.below(25) as i64);
                store
                    .answer_feedback(
                        UNIT,
                        f.id,
                        "Cảm ơn ông, đơn vị đã tiếp thu.",
                        "i.leader",
                        later,
                    )
                    .await
                    .expect("answer");
            }
        }
    }
    at
}

#[tokio::test]
async fn counters_equal_a_recomputation_after_random_histories() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (n, db) in databases(dir.path())
        .await
        .expect("dbs")
        .into_iter()
        .enumerate()
    {
        let store = open_seeded(&db).await.expect("store");
        random_history(&store, 0x9E37_79B9_7F4A_7C15 + n as u64).await;
        let kept = store.index_counters().await.expect("counters");
        let fresh = store.index_recompute().await.expect("recompute");
        assert_eq!(kept, fresh, "{}", store.backend_name());
        // The history is rich enough to mean something.
        for m in [
            Metric::ReceivedDirect,
            Metric::ReceivedOnlineFull,
            Metric::Digitized,
            Metric::Taken,
            Metric::FinishedOnTime,
            Metric::FinishedLate,
            Metric::LateOpen,
            Metric::ResultOwed,
            Metric::ResultElectronic,
            Metric::OnlineCounted,
            Metric::DigitizedWithResult,
            Metric::Rated,
            Metric::Feedback,
            Metric::FeedbackOnTime,
        ] {
            assert!(
                kept.iter().any(|((_, _, k), v)| *k == m && *v > 0),
                "{m:?} never counted"
            );
        }
        assert!(
            store.index_months_consistent().await.expect("months"),
            "monthly = sum of daily"
        );
        // Any range: whole months from the monthly counters, the rest from the daily ones.
        for (a, b) in [
            ("2026-02-27", "2026-03-05"),
            ("2026-02-01", "2026-03-31"),
            ("2026-02-15", "2026-04-30"),
            ("2026-03-01", "2026-03-01"),
            ("2026-01-01", "2026-12-31"),
        ] {
            let p = Period::parse(&format!("{a}..{b}")).expect("range");
            let got = store
                .index_counts(None, Some(UNIT), p)
                .await
                .expect("counts");
            let got = got.get(UNIT).cloned().unwrap_or_default();
            for m in Metric::ALL {
                let want: i64 = kept
                    .iter()
                    .filter(|((u, d, k), _)| u == UNIT && k == m && *d >= p.from && *d <= p.to)
                    .map(|(_, n)| *n)
                    .sum();
                assert_eq!(got.get(*m), want, "{m:?} in {a}..{b}");
            }
        }
        let months: std::collections::BTreeSet<_> =
            kept.keys().map(|(_, d, _)| d.month()).collect();
        assert!(months.len() >= 2, "history crosses a month boundary");
        // Drill-down lists exactly the counted dossiers, month by month.
        for period in Period::parse("2026").expect("year").months() {
            let counts = store
                .index_counts(None, Some(UNIT), period)
                .await
                .expect("counts");
            let c = counts.get(UNIT).cloned().unwrap_or_default();
            // 2.1's dossiers: ended in the month or open at its end.
            let tallies = store
                .index_tallies(None, Some(UNIT), period)
                .await
                .expect("tallies")
                .remove(UNIT)
                .unwrap_or_default();
            let (on_time, total) = motcua_domain::index::progress(&tallies);
            for (drill, expect) in [
                (Drill::Late, total - on_time),
                (Drill::OnTime, on_time),
                (Drill::Online, c.received_online()),
                (Drill::Direct, c.get(Metric::ReceivedDirect)),
                (Drill::NotDigitized, c.received() - c.get(Metric::Digitized)),
                (Drill::Unsatisfied, c.get(Metric::RatedUnsatisfied)),
            ] {
                // Keyset paging by 3 walks the same list.
                let mut seen = 0;
                let mut after = None;
                loop {
                    let page = store
                        .index_dossiers(UNIT, period, drill, after, 3)
                        .await
                        .expect("drill");
                    seen += page.len() as i64;
                    match page.last() {
                        Some(last) if page.len() == 3 => after = Some(last.id),
                        _ => break,
                    }
                }
                assert_eq!(seen, expect, "{drill:?} in {}", period.key());
            }
        }
        // A rebuild from history leaves the same numbers.
        store.index_rebuild().await.expect("rebuild");
        assert_eq!(store.index_counters().await.expect("again"), fresh);
        assert!(store.index_months_consistent().await.expect("months"));
    }
}

#[tokio::test]
async fn rating_is_once_per_returned_dossier_and_feedback_is_due_in_fifteen_working_days() {
    let dir = tempfile::tempdir().expect("tempdir");
    for db in databases(dir.path()).await.expect("dbs") {
        let store = open_seeded(&db).await.expect("store");
        let at = datetime!(2026-03-02 09:00 +7); // a Monday
        let rec = staff(&store, Role::Receptionist, at).await;
        let spec = staff(&store, Role::Specialist, at).await;
        let lead = staff(&store, Role::Leader, at).await;
        let mut rng = Rng(7);
        let code = loop {
            let c = new_dossier(&store, &mut rng, at, &rec).await;
            if store
                .dossier_row(&c)
                .await
                .expect("r")
                .expect("row")
                .channel
                != "online"
            {
                break c;
            }
        };
        let row = store.dossier_row(&code).await.expect("r").expect("row");
        let err = store
            .rate_dossier(&row, &[5, 5, 5, 5, 5], None, at)
            .await
            .expect_err("not returned");
        assert!(format!("{err:?}").contains("not_returned"));
        let mut version = row.version;
        for (action, who) in [
            (Action::Assign, &rec),
            (Action::Propose, &spec),
            (Action::Approve, &lead),
            (Action::ReturnResult, &rec),
        ] {
            let mut req = ActionRequest {
                action: action.as_str().into(),
                version,
                ..Default::default()
            };
            if action == Action::Assign {
                req.assignee = Some("i.specialist".into());
            }
            version = store
                .act(
                    &code,
                    &req,
                    &Actor::Staff(who.clone()),
                    at + Duration::hours(1),
                )
                .await
                .expect("act")
                .row
                .version;
        }
        let row = store.dossier_row(&code).await.expect("r").expect("row");
        let bad = store
            .rate_dossier(&row, &[5, 6, 5, 5, 5], None, at)
            .await
            .expect_err("6 of 5");
        assert!(format!("{bad:?}").contains("bad_rating"));
        store
            .rate_dossier(
                &row,
                &[2, 3, 3, 3, 3],
                Some("Chờ lâu"),
                at + Duration::hours(2),
            )
            .await
            .expect("rate");
        let again = store
            .rate_dossier(&row, &[5, 5, 5, 5, 5], None, at)
            .await
            .expect_err("twice");
        assert!(format!("{again:?}").contains("already_rated"));
        assert_eq!(
            store.rating(&row).await.expect("r").expect("rating").scores,
            vec![2, 3, 3, 3, 3]
        );
        let c = store
            .index_counts(None, Some(UNIT), Period::parse("2026-03").expect("p"))
            .await
            .expect("c");
        assert_eq!(c[UNIT].get(Metric::Rated), 1);
        assert_eq!(c[UNIT].get(Metric::RatedUnsatisfied), 1);

        // Monday 2 March + 15 working days = Monday 23 March, same time
        // (the portal's deadline for an answer, SERVICE-INDEX.md 5.2).
        let f = store
            .submit_feedback(
                UNIT,
                Some(&row),
                "Trần Thị B",
                "0912000111",
                "Cán bộ hướng dẫn chưa rõ ràng.",
                at,
            )
            .await
            .expect("feedback");
        assert_eq!(f.due_at, datetime!(2026-03-23 09:00 +7));
        assert_eq!(f.dossier_code.as_deref(), Some(code.as_str()));
        let short = store
            .submit_feedback(UNIT, None, "A", "0912000111", "ngắn", at)
            .await
            .expect_err("short");
        assert!(format!("{short:?}").contains("bad_name"));
        store
            .answer_feedback(
                UNIT,
                f.id,
                "Đã chấn chỉnh cán bộ.",
                "i.leader",
                datetime!(2026-03-24 08:00 +7),
            )
            .await
            .expect("answer");
        let twice = store
            .answer_feedback(UNIT, f.id, "Lần nữa.", "i.leader", at)
            .await
            .expect_err("twice");
        assert!(format!("{twice:?}").contains("already_answered"));
        // Another unit cannot answer it: it does not exist there.
        assert!(
            store
                .answer_feedback("28261", f.id, "Không phải của tôi", "x", at)
                .await
                .is_err()
        );
        let c = store
            .index_counts(None, Some(UNIT), Period::parse("2026-03").expect("p"))
            .await
            .expect("c");
        assert_eq!(c[UNIT].get(Metric::Feedback), 1);
        assert_eq!(c[UNIT].get(Metric::FeedbackLate), 1);
        assert_eq!(c[UNIT].get(Metric::FeedbackOnTime), 0);
        // Another, never answered: past its deadline (23 March) by the end of
        // March, it counts as handled late in 5.3; in the first half of March not yet.
        store
            .submit_feedback(
                UNIT,
                None,
                "Lê Thị C",
                "0912000222",
                "Chờ lâu mà chưa được trả lời.",
                at,
            )
            .await
            .expect("feedback");
        let overdue = |period: &'static str| {
            let store = store.clone();
            async move {
                store
                    .index_tallies(None, Some(UNIT), Period::parse(period).expect("p"))
                    .await
                    .expect("tallies")
                    .remove(UNIT)
                    .unwrap_or_default()
                    .feedback_overdue
            }
        };
        assert_eq!(overdue("2026-03").await, 1);
        assert_eq!(overdue("2026-03-01..2026-03-15").await, 0);
        assert_eq!(
            store.index_counters().await.expect("k"),
            store.index_recompute().await.expect("r")
        );
    }
}

/// One step of a hand-made history: (hours after 08:00 on the day, action, who).
async fn step(store: &Store, code: &str, at: OffsetDateTime, action: Action, who: &User) {
    let version = store
        .dossier_row(code)
        .await
        .expect("read")
        .expect("row")
        .version;
    let mut req = ActionRequest {
        action: action.as_str().into(),
        version,
        ..Default::default()
    };
    match action {
        Action::Assign => req.assignee = Some("i.specialist".into()),
        Action::RequestSupplement => {
            req.note = Some("Thiếu bản sao".into());
            req.missing = vec!["to-khai".into()];
            req.confirm_late = true;
        }
        Action::Supplement => {
            req.documents = vec![DocumentRef {
                code: "to-khai".into(),
                upload_id: None,
                paper: true,
            }]
        }
        _ => {}
    }
    store
        .act(code, &req, &Actor::Staff(who.clone()), at)
        .await
        .unwrap_or_else(|e| panic!("{action} on {code}: {e}"));
}

#[tokio::test]
async fn progress_counts_open_dossiers_as_the_portal_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    for db in databases(dir.path()).await.expect("dbs") {
        let store = open_seeded(&db).await.expect("store");
        let at = datetime!(2026-02-20 08:00 +7);
        let desk = staff(&store, Role::Receptionist, at).await;
        let spec = staff(&store, Role::Specialist, at).await;
        let lead = staff(&store, Role::Leader, at).await;
        use Action::*;
        // HT-XNHN takes 3 working days: received Monday 09:00, due Thursday 09:00.
        type Steps<'a> = &'a [(OffsetDateTime, Action, &'a User)];
        let histories: [(OffsetDateTime, Steps); 7] = [
            // 1: ended on time in March.
            (
                datetime!(2026-03-02 09:00 +7),
                &[
                    (datetime!(2026-03-02 10:00 +7), Assign, &desk),
                    (datetime!(2026-03-03 10:00 +7), Propose, &spec),
                    (datetime!(2026-03-04 10:00 +7), Approve, &lead),
                ],
            ),
            // 2: still open at the end of March, past its date (6 March): late.
            (
                datetime!(2026-03-03 09:00 +7),
                &[(datetime!(2026-03-03 10:00 +7), Assign, &desk)],
            ),
            // 3: received on 30 March, due 2 April: open and on time at the end of March.
            (datetime!(2026-03-30 09:00 +7), &[]),
            // 4: received and ended in February: not counted in March.
            (
                datetime!(2026-02-23 09:00 +7),
                &[
                    (datetime!(2026-02-23 10:00 +7), Assign, &desk),
                    (datetime!(2026-02-24 10:00 +7), Propose, &spec),
                    (datetime!(2026-02-25 10:00 +7), Approve, &lead),
                ],
            ),
            // 5: received 27 February (due 4 March), ended 9 March: late, in March.
            (
                datetime!(2026-02-27 09:00 +7),
                &[
                    (datetime!(2026-02-27 10:00 +7), Assign, &desk),
                    (datetime!(2026-03-06 10:00 +7), Propose, &spec),
                    (datetime!(2026-03-09 10:00 +7), Approve, &lead),
                ],
            ),
            // 6: two supplement requests: late however early it ends.
            (
                datetime!(2026-03-02 09:00 +7),
                &[
                    (datetime!(2026-03-02 09:10 +7), Assign, &desk),
                    (datetime!(2026-03-02 09:20 +7), RequestSupplement, &spec),
                    (datetime!(2026-03-02 09:30 +7), Supplement, &desk),
                    (datetime!(2026-03-02 09:40 +7), RequestSupplement, &spec),
                    (datetime!(2026-03-02 09:50 +7), Supplement, &desk),
                    (datetime!(2026-03-02 10:00 +7), Propose, &spec),
                    (datetime!(2026-03-02 11:00 +7), Approve, &lead),
                ],
            ),
            // 7: waiting for papers asked before its date: on time at the end of March.
            (
                datetime!(2026-03-02 09:00 +7),
                &[
                    (datetime!(2026-03-02 10:00 +7), Assign, &desk),
                    (datetime!(2026-03-03 10:00 +7), RequestSupplement, &spec),
                ],
            ),
        ];
        for (received, steps) in histories {
            let code = motcua_store::testing::submit_online(
                &store,
                UNIT,
                received - Duration::minutes(30),
            )
            .await
            .expect("submit");
            step(&store, &code, received, Receive, &desk).await;
            for (at, action, who) in steps {
                step(&store, &code, *at, *action, who).await;
            }
        }
        let points = |period: &str| {
            let store = store.clone();
            let period = Period::parse(period).expect("period");
            async move {
                let t = store
                    .index_tallies(None, Some(UNIT), period)
                    .await
                    .expect("tallies")
                    .remove(UNIT)
                    .unwrap_or_default();
                let card = motcua_domain::index::score(&motcua_domain::index::values(&t));
                let p = |code: &str| {
                    card.indicators
                        .iter()
                        .find(|i| i.code == code)
                        .map(|i| (i.value, i.points_x100))
                };
                (motcua_domain::index::progress(&t), p("2.1"), p("5.4"))
            }
        };
        // March: 1, 2, 3, 5, 6, 7 received or in processing; 2, 5 and 6 late.
        let (progress, p21, p54) = points("2026-03").await;
        assert_eq!(progress, (3, 6), "{}", store.backend_name());
        assert_eq!(p21.map(|(_, p)| p), Some(1000)); // 20 × 3/6
        // 5.4: 3 of 6 without lateness, rating or feedback: 6 × 50/90 = 3.33.
        assert_eq!(p54.map(|(_, p)| p), Some(333));
        // February: 4 (ended on time) and 5 (open, due 4 March): both on time.
        assert_eq!(points("2026-02").await.0, (2, 2));
        // The first week of March: 1, 2, 5, 6, 7 (3 comes later). At its end
        // 2 is past its date (Friday 6 March 09:00) and 5, ended only on the
        // 9th, is open and past its own: with 6, three late.
        assert_eq!(points("2026-03-01..2026-03-07").await.0, (2, 5));
        // 5 March alone: 1 and 6 ended before it; 2 (not yet due) and 7
        // (waiting for papers) are on time, 5 is past due: 2 of 3.
        assert_eq!(points("2026-03-05..2026-03-05").await.0, (2, 3));
        assert_eq!(
            store.index_counters().await.expect("kept"),
            store.index_recompute().await.expect("recomputed")
        );
    }
}
