//! The queue on every test database (SQLite always, PostgreSQL when
//! `MOTCUA_TEST_POSTGRES` is set): numbering per unit and day, several
//! counters calling at once, officer actions, the board's feed of calls,
//! estimates, figures and appointments.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use motcua_domain::ProblemKind;
use motcua_domain::dossier::ApplicantInput;
use motcua_domain::lifecycle::{Channel, Role};
use motcua_store::queue::{Counter, Service, TicketAction, TicketStatus};
use motcua_store::testing::{databases, open_seeded};
use motcua_store::{Actor, DocumentRef, NewDossier, NewUser, Store, StoreError};
use std::collections::HashMap;
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

const UNIT: &str = "30112";
const OTHER_UNIT: &str = "28261";

/// A Monday morning.
fn now() -> OffsetDateTime {
    datetime!(2026-03-02 08:00 +7)
}

struct Env {
    store: Store,
    services: Vec<Service>,
    counters: Vec<Counter>,
}

impl Env {
    fn service(&self, name: &str) -> i64 {
        self.services
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.id)
            .expect("service")
    }
    fn counter(&self, number: i64) -> i64 {
        self.counters
            .iter()
            .find(|c| c.number == number)
            .map(|c| c.id)
            .expect("counter")
    }
}

async fn envs(dir: &tempfile::TempDir) -> Vec<Env> {
    let mut out = Vec::new();
    for db in databases(dir.path()).await.expect("databases") {
        let store = open_seeded(&db).await.expect("store");
        let (services, counters) = store.queue().setup(UNIT).await.expect("setup");
        out.push(Env {
            store,
            services,
            counters,
        });
    }
    out
}

fn problem_code(e: StoreError) -> &'static str {
    match e {
        StoreError::Problem(p) => p.code,
        other => panic!("expected a problem, got {other}"),
    }
}

#[tokio::test]
async fn a_unit_gets_default_services_and_counters_once() {
    let dir = tempfile::tempdir().expect("dir");
    for env in envs(&dir).await {
        let names: Vec<&str> = env.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["Hộ tịch", "Chứng thực", "Cư trú và khác"]);
        assert_eq!(env.counters.len(), 4);
        assert_eq!(env.counters[3].services.len(), 3, "counter 4 serves all");
        assert_eq!(
            env.counters[0].services,
            vec![env.service("Hộ tịch")],
            "counter 1 serves civil status only"
        );
        // Again: nothing added twice.
        let (s2, c2) = env.store.queue().setup(UNIT).await.expect("again");
        assert_eq!((s2, c2), (env.services.clone(), env.counters.clone()));
        // A unit that does not exist has no queue.
        let e = env.store.queue().setup("99999").await.expect_err("unknown");
        assert_eq!(problem_code(e), "unknown_unit");
        // A counter can be changed by its number.
        let id = env
            .store
            .queue()
            .put_counter(
                UNIT,
                2,
                "Quầy 2 · Chứng thực và hộ tịch",
                true,
                &[env.service("Chứng thực"), env.service("Hộ tịch")],
            )
            .await
            .expect("put counter");
        assert_eq!(id, env.counter(2));
        let counters = env.store.queue().counters(UNIT).await.expect("counters");
        assert_eq!(counters[1].services.len(), 2);
        assert_eq!(counters[1].name, "Quầy 2 · Chứng thực và hộ tịch");
    }
}

#[tokio::test]
async fn numbers_restart_each_day_and_are_per_unit() {
    let dir = tempfile::tempdir().expect("dir");
    for env in envs(&dir).await {
        let q = env.store.queue();
        let (other_services, _) = q.setup(OTHER_UNIT).await.expect("other unit");
        let s = env.service("Hộ tịch");
        let mut numbers = Vec::new();
        for i in 0..3 {
            let t = q
                .issue(UNIT, s, None, now() + Duration::minutes(i))
                .await
                .expect("ticket");
            assert_eq!(t.status, TicketStatus::Waiting);
            assert_eq!(t.day, date!(2026 - 03 - 02));
            numbers.push(t.number);
        }
        assert_eq!(numbers, [1, 2, 3]);
        let other = q
            .issue(OTHER_UNIT, other_services[0].id, None, now())
            .await
            .expect("other unit's ticket");
        assert_eq!(other.number, 1, "each unit counts on its own");
        // Late evening is still the same local day (UTC is already tomorrow there).
        let late = q
            .issue(UNIT, s, None, datetime!(2026-03-02 23:59 +7))
            .await
            .expect("late");
        assert_eq!(late.number, 4);
        let next_day = q
            .issue(
                UNIT,
                s,
                Some("0912 345 678"),
                datetime!(2026-03-03 00:01 +7),
            )
            .await
            .expect("next day");
        assert_eq!((next_day.number, next_day.day), (1, date!(2026 - 03 - 03)));
        assert_eq!(next_day.phone.as_deref(), Some("0912345678"));
        // The first ticket of a day forgets earlier days' phone numbers.
        let with_phone = q
            .issue(UNIT, s, Some("0987654321"), datetime!(2026-03-03 08:00 +7))
            .await
            .expect("phone");
        let day3 = q
            .issue(UNIT, s, None, datetime!(2026-03-04 07:30 +7))
            .await
            .expect("day 3");
        assert_eq!(day3.number, 1);
        let old = q
            .ticket(with_phone.id)
            .await
            .expect("read")
            .expect("ticket");
        assert_eq!(old.phone, None);
        // A ticket of another unit's service, a bad phone: refused, no number used.
        let e = q
            .issue(UNIT, other_services[0].id, None, now())
            .await
            .expect_err("other unit's service");
        assert_eq!(problem_code(e), "unknown_service");
        let e = q
            .issue(UNIT, s, Some("12345"), now())
            .await
            .expect_err("bad phone");
        assert_eq!(problem_code(e), "bad_phone");
        let t = q
            .issue(UNIT, s, None, datetime!(2026-03-04 07:31 +7))
            .await
            .expect("next");
        assert_eq!(t.number, 2, "refused tickets take no number");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn counters_calling_at_once_never_get_the_same_ticket() {
    let dir = tempfile::tempdir().expect("dir");
    for env in envs(&dir).await {
        let services: Vec<i64> = env.services.iter().map(|s| s.id).collect();
        let mut issued = Vec::new();
        for i in 0..100 {
            let t = env
                .store
                .queue()
                .issue(UNIT, services[i % 3], None, now())
                .await
                .expect("ticket");
            issued.push(t.id);
        }
        let mut tasks = Vec::new();
        for c in &env.counters {
            let store = env.store.clone();
            let counter = c.id;
            tasks.push(tokio::spawn(async move {
                let mut got = Vec::new();
                while let Some((t, call)) = store
                    .queue()
                    .call_next(UNIT, counter, now() + Duration::minutes(5))
                    .await
                    .expect("call next")
                {
                    assert_eq!(t.counter_id, Some(counter));
                    assert_eq!(call.ticket_id, t.id);
                    got.push(t.id);
                }
                got
            }));
        }
        let mut seen: HashMap<i64, usize> = HashMap::new();
        let mut per_counter = Vec::new();
        for task in tasks {
            let got = task.await.expect("task");
            per_counter.push(got.len());
            for id in got {
                *seen.entry(id).or_default() += 1;
            }
        }
        assert_eq!(seen.len(), 100, "every ticket called ({per_counter:?})");
        assert!(
            seen.values().all(|n| *n == 1),
            "a ticket was called twice: {seen:?}"
        );
        for id in issued {
            assert!(seen.contains_key(&id));
        }
        // The board's sequence has exactly the 100 calls, numbered 1..=100.
        let calls = env
            .store
            .queue()
            .calls_after(UNIT, 0, 1000)
            .await
            .expect("calls");
        let seqs: Vec<i64> = calls.iter().map(|c| c.seq).collect();
        assert_eq!(seqs, (1..=100).collect::<Vec<_>>());
        // Each counter ends with one ticket called, the rest done.
        let all = env
            .store
            .queue()
            .tickets(UNIT, date!(2026 - 03 - 02), &[])
            .await
            .expect("tickets");
        let called = all
            .iter()
            .filter(|t| t.status == TicketStatus::Called)
            .count();
        let done = all
            .iter()
            .filter(|t| t.status == TicketStatus::Done)
            .count();
        assert_eq!(called + done, 100);
        assert!(called <= 4);
    }
}

#[tokio::test]
async fn call_next_takes_the_oldest_of_the_counters_services_appointments_first() {
    let dir = tempfile::tempdir().expect("dir");
    for env in envs(&dir).await {
        let q = env.store.queue();
        let ho_tich = env.service("Hộ tịch");
        let chung_thuc = env.service("Chứng thực");
        let a = q.issue(UNIT, chung_thuc, None, now()).await.expect("a");
        let b = q
            .issue(UNIT, ho_tich, None, now() + Duration::minutes(1))
            .await
            .expect("b");
        let c = q
            .issue(UNIT, ho_tich, None, now() + Duration::minutes(2))
            .await
            .expect("c");
        // Counter 1 serves civil status only: b, not the older a.
        let (t, call) = q
            .call_next(UNIT, env.counter(1), now() + Duration::minutes(3))
            .await
            .expect("call")
            .expect("someone");
        assert_eq!(t.id, b.id);
        assert_eq!((call.number, call.counter_number), (b.number, 1));
        assert_eq!(call.counter_name, "Quầy 1 · Hộ tịch");
        // An appointment checked in now goes ahead of c.
        let appt = q
            .book(
                UNIT,
                ho_tich,
                date!(2026 - 03 - 02),
                "08:30",
                "Lê Văn Tám",
                None,
                now(),
            )
            .await
            .expect("book");
        let booked = q
            .check_in(UNIT, &appt.code, now() + Duration::minutes(10))
            .await
            .expect("check in");
        assert_eq!(booked.priority, 1);
        let (t, _) = q
            .call_next(UNIT, env.counter(4), now() + Duration::minutes(11))
            .await
            .expect("call")
            .expect("someone");
        assert_eq!(t.id, booked.id, "appointments before walk-ins");
        let (t, _) = q
            .call_next(UNIT, env.counter(4), now() + Duration::minutes(12))
            .await
            .expect("call")
            .expect("someone");
        assert_eq!(t.id, a.id, "then the oldest of the counter's services");
        // The ticket counter 4 had is done when it calls the next.
        let prev = q.ticket(booked.id).await.expect("read").expect("ticket");
        assert_eq!(prev.status, TicketStatus::Done);
        let (t, _) = q
            .call_next(UNIT, env.counter(1), now() + Duration::minutes(13))
            .await
            .expect("call")
            .expect("someone");
        assert_eq!(t.id, c.id);
        assert!(
            q.call_next(UNIT, env.counter(2), now() + Duration::minutes(14))
                .await
                .expect("call")
                .is_none(),
            "nobody left"
        );
        // Yesterday's waiting tickets are not called today.
        q.issue(UNIT, ho_tich, None, now() - Duration::days(1))
            .await
            .expect("yesterday");
        assert!(
            q.call_next(UNIT, env.counter(1), now() + Duration::minutes(15))
                .await
                .expect("call")
                .is_none()
        );
        // A counter of another unit cannot call here.
        let (_, other_counters) = q.setup(OTHER_UNIT).await.expect("other");
        let e = q
            .call_next(UNIT, other_counters[0].id, now())
            .await
            .expect_err("other unit's counter");
        assert_eq!(problem_code(e), "unknown_counter");
    }
}

#[tokio::test]
async fn officers_recall_skip_hold_transfer_finish_and_link() {
    let dir = tempfile::tempdir().expect("dir");
    for env in envs(&dir).await {
        let q = env.store.queue();
        let ho_tich = env.service("Hộ tịch");
        let cu_tru = env.service("Cư trú và khác");
        let c1 = env.counter(1);
        let c3 = env.counter(3);
        let t1 = q.issue(UNIT, ho_tich, None, now()).await.expect("t1");
        let t2 = q.issue(UNIT, ho_tich, None, now()).await.expect("t2");
        let early = q.issue(UNIT, cu_tru, None, now()).await.expect("cu tru");
        let at = now() + Duration::minutes(5);
        let (t, first) = q.call_next(UNIT, c1, at).await.expect("call").expect("t1");
        assert_eq!(t.id, t1.id);
        // Recall: the same number called again, as a new call on the board.
        let (t, again) = q
            .act(UNIT, c1, t1.id, &TicketAction::Recall, at)
            .await
            .expect("recall");
        let again = again.expect("a call");
        assert_eq!((again.number, again.seq), (first.number, first.seq + 1));
        assert_eq!(t.status, TicketStatus::Called);
        // Another counter cannot act on it.
        let e = q
            .act(UNIT, c3, t1.id, &TicketAction::Finish, at)
            .await
            .expect_err("not its ticket");
        assert_eq!(problem_code(e), "ticket_changed");
        // Hold, then resume (called back to the board), start, finish.
        let (t, call) = q
            .act(UNIT, c1, t1.id, &TicketAction::Hold, at)
            .await
            .expect("hold");
        assert_eq!((t.status, call), (TicketStatus::Held, None));
        let (t, call) = q
            .act(UNIT, c1, t1.id, &TicketAction::Resume, at)
            .await
            .expect("resume");
        assert_eq!(t.status, TicketStatus::Called);
        assert!(call.is_some());
        let (t, _) = q
            .act(UNIT, c1, t1.id, &TicketAction::Start, at)
            .await
            .expect("start");
        assert_eq!(t.status, TicketStatus::Serving);
        assert!(t.started_at.is_some());
        // Transfer to residence: waits there ahead of the older walk-in.
        let (t, _) = q
            .act(
                UNIT,
                c1,
                t1.id,
                &TicketAction::Transfer {
                    service_id: cu_tru,
                    counter_id: None,
                },
                at,
            )
            .await
            .expect("transfer");
        assert_eq!(
            (t.status, t.service_id, t.counter_id),
            (TicketStatus::Transferred, cu_tru, None)
        );
        let (t, _) = q
            .call_next(UNIT, c3, at)
            .await
            .expect("call")
            .expect("someone");
        assert_eq!(t.id, t1.id, "a transferred ticket goes first");
        let (t, _) = q
            .act(UNIT, c3, t1.id, &TicketAction::Finish, at)
            .await
            .expect("finish");
        assert_eq!(t.status, TicketStatus::Done);
        let e = q
            .act(UNIT, c3, t1.id, &TicketAction::Finish, at)
            .await
            .expect_err("twice");
        assert_eq!(problem_code(e), "ticket_changed");
        // Transfer to one counter: only that counter gets it.
        let (t, _) = q.call_next(UNIT, c1, at).await.expect("call").expect("t2");
        assert_eq!(t.id, t2.id);
        q.act(
            UNIT,
            c1,
            t2.id,
            &TicketAction::Transfer {
                service_id: ho_tich,
                counter_id: Some(c3),
            },
            at,
        )
        .await
        .expect("to counter 3");
        assert!(
            q.call_next(UNIT, c1, at).await.expect("call").is_none(),
            "counter 1 does not get a ticket sent to counter 3"
        );
        let (t, _) = q.call_next(UNIT, c3, at).await.expect("call").expect("t2");
        assert_eq!(t.id, t2.id);
        // Skip (no-show).
        let (t, _) = q
            .act(UNIT, c3, t2.id, &TicketAction::Skip, at)
            .await
            .expect("skip");
        assert_eq!(t.status, TicketStatus::Skipped);
        // Link a dossier of the unit; a malformed or unknown code is refused.
        let user = NewUser {
            username: "tiepnhan.q".into(),
            full_name: "Cán bộ".into(),
            password_hash: "x".into(),
            roles: vec![Role::Receptionist],
            units: vec![UNIT.into()],
            province_code: None,
        };
        env.store.create_user(&user, now()).await.expect("user");
        let user = env
            .store
            .user_by_username("tiepnhan.q")
            .await
            .expect("read")
            .expect("user");
        let rec = env
            .store
            .create_dossier(
                NewDossier {
                    unit_code: UNIT.into(),
                    procedure_code: "HT-XNHN".into(),
                    channel: Channel::Counter,
                    applicant: ApplicantInput {
                        full_name: "Nguyễn Thị Bé Ba".into(),
                        id_number: "087190001234".into(),
                        date_of_birth: "1990-05-17".into(),
                        phone: "0912345678".into(),
                        email: None,
                        address: "Ấp Mỹ Thạnh, xã Mỹ Hiệp".into(),
                    },
                    fields: serde_json::json!({}),
                    documents: ["to-khai", "giay-to-tuy-than"]
                        .into_iter()
                        .map(|c| DocumentRef {
                            code: c.into(),
                            upload_id: None,
                            paper: true,
                        })
                        .collect(),
                },
                &Actor::Staff(user),
                now(),
            )
            .await
            .expect("dossier");
        let (t, _) = q
            .act(
                UNIT,
                c3,
                early.id,
                &TicketAction::LinkDossier(rec.row.code.to_lowercase()),
                at,
            )
            .await
            .expect("link");
        assert_eq!(t.dossier_code.as_deref(), Some(rec.row.code.as_str()));
        for (code, expected) in [
            ("abc", "bad_dossier_code"),
            ("28261-260302-0001", "dossier_not_found"),
        ] {
            let e = q
                .act(
                    UNIT,
                    c3,
                    early.id,
                    &TicketAction::LinkDossier(code.into()),
                    at,
                )
                .await
                .expect_err("refused");
            assert_eq!(problem_code(e), expected);
        }
        let e = q
            .act(UNIT, c3, 999_999, &TicketAction::Finish, at)
            .await
            .expect_err("unknown ticket");
        assert!(matches!(e, StoreError::Problem(p) if p.kind == ProblemKind::NotFound));
    }
}

#[tokio::test]
async fn the_board_feed_delivers_each_call_once_in_order() {
    let dir = tempfile::tempdir().expect("dir");
    for env in envs(&dir).await {
        let q = env.store.queue();
        let s = env.service("Chứng thực");
        let mut tickets = Vec::new();
        for _ in 0..5 {
            tickets.push(q.issue(UNIT, s, None, now()).await.expect("ticket"));
        }
        let start = q.last_call_seq(UNIT).await.expect("seq");
        let mut feed = q.feed(UNIT, start);
        let mut made = Vec::new();
        for i in 0..3 {
            let (_, call) = q
                .call_next(UNIT, env.counter(2), now() + Duration::minutes(i))
                .await
                .expect("call")
                .expect("someone");
            made.push(call);
        }
        let mut got = Vec::new();
        for _ in 0..3 {
            got.push(
                tokio::time::timeout(std::time::Duration::from_secs(5), feed.next())
                    .await
                    .expect("in time")
                    .expect("call"),
            );
        }
        assert_eq!(got, made, "each call once, in order");
        assert_eq!(got.iter().map(|c| c.number).collect::<Vec<_>>(), [1, 2, 3]);
        // Nothing more until the next call.
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(200), feed.next())
                .await
                .is_err()
        );
        // A board that reconnects after the first call gets the two others, then live ones.
        let mut again = q.feed(UNIT, got[0].seq);
        let (_, fourth) = q
            .call_next(UNIT, env.counter(4), now() + Duration::minutes(9))
            .await
            .expect("call")
            .expect("someone");
        let mut resumed = Vec::new();
        for _ in 0..3 {
            resumed.push(
                tokio::time::timeout(std::time::Duration::from_secs(5), again.next())
                    .await
                    .expect("in time")
                    .expect("call"),
            );
        }
        assert_eq!(
            resumed,
            vec![got[1].clone(), got[2].clone(), fourth.clone()]
        );
        let live = tokio::time::timeout(std::time::Duration::from_secs(5), feed.next())
            .await
            .expect("in time")
            .expect("call");
        assert_eq!(live, fourth);
        // Another unit's calls never reach this board.
        let (other_services, other_counters) = q.setup(OTHER_UNIT).await.expect("other");
        q.issue(OTHER_UNIT, other_services[0].id, None, now())
            .await
            .expect("ticket");
        q.call_next(OTHER_UNIT, other_counters[0].id, now())
            .await
            .expect("call")
            .expect("someone");
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(200), feed.next())
                .await
                .is_err()
        );
        assert_eq!(feed.last_seq(), fourth.seq);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_feed_has_no_gap_when_counters_call_at_once() {
    let dir = tempfile::tempdir().expect("dir");
    for env in envs(&dir).await {
        let q = env.store.queue();
        let services: Vec<i64> = env.services.iter().map(|s| s.id).collect();
        for i in 0..40 {
            q.issue(UNIT, services[i % 3], None, now())
                .await
                .expect("ticket");
        }
        let mut feed = q.feed(UNIT, 0);
        let mut tasks = Vec::new();
        for c in &env.counters {
            let store = env.store.clone();
            let counter = c.id;
            tasks.push(tokio::spawn(async move {
                while store
                    .queue()
                    .call_next(UNIT, counter, now())
                    .await
                    .expect("call")
                    .is_some()
                {}
            }));
        }
        let mut seqs = Vec::new();
        let mut tickets = std::collections::HashSet::new();
        for _ in 0..40 {
            let c = tokio::time::timeout(std::time::Duration::from_secs(10), feed.next())
                .await
                .expect("in time")
                .expect("call");
            seqs.push(c.seq);
            tickets.insert(c.ticket_id);
        }
        for t in tasks {
            t.await.expect("task");
        }
        assert_eq!(seqs, (1..=40).collect::<Vec<_>>());
        assert_eq!(tickets.len(), 40);
    }
}

#[tokio::test]
async fn estimates_and_figures() {
    let dir = tempfile::tempdir().expect("dir");
    for env in envs(&dir).await {
        let q = env.store.queue();
        let s = env.service("Hộ tịch");
        let mut tickets = Vec::new();
        for _ in 0..4 {
            tickets.push(q.issue(UNIT, s, None, now()).await.expect("ticket"));
        }
        // Nobody served yet: the default time, shared by counters 1 and 4.
        let e = q.estimate(&tickets[3]).await.expect("estimate");
        assert_eq!(e.ahead, 3);
        assert_eq!(e.service_minutes, 6);
        assert_eq!(e.minutes, 9, "3 people × 6 minutes over 2 counters");
        // Serve one in 10 minutes: the day's average takes over.
        let c1 = env.counter(1);
        let (t, _) = q
            .call_next(UNIT, c1, now() + Duration::minutes(2))
            .await
            .expect("call")
            .expect("t");
        q.act(
            UNIT,
            c1,
            t.id,
            &TicketAction::Finish,
            now() + Duration::minutes(12),
        )
        .await
        .expect("finish");
        let e = q.estimate(&tickets[3]).await.expect("estimate");
        assert_eq!((e.ahead, e.service_minutes, e.minutes), (2, 10, 10));
        let (t, _) = q
            .call_next(UNIT, c1, now() + Duration::minutes(20))
            .await
            .expect("call")
            .expect("t");
        q.act(
            UNIT,
            c1,
            t.id,
            &TicketAction::Skip,
            now() + Duration::minutes(25),
        )
        .await
        .expect("skip");
        let stats = q
            .stats(UNIT, date!(2026 - 03 - 01), date!(2026 - 03 - 02))
            .await
            .expect("stats");
        assert_eq!(stats.total.tickets, 4);
        assert_eq!(stats.total.called, 2);
        assert_eq!(stats.total.served, 1);
        assert_eq!(stats.total.skipped, 1);
        // Waits of 2 and 20 minutes; one service of 10 minutes.
        assert_eq!(stats.total.avg_wait_s, Some(11 * 60));
        assert_eq!(stats.total.max_wait_s, Some(20 * 60));
        assert_eq!(stats.total.avg_service_s, Some(10 * 60));
        assert_eq!(stats.by_service.len(), 1);
        assert_eq!(stats.by_service[0].0, "Hộ tịch");
        assert_eq!(stats.by_hour, vec![(8, stats.total.clone())]);
        assert_eq!(stats.by_day.len(), 1);
        let counters: Vec<Option<i64>> = stats.by_counter.iter().map(|(c, _)| *c).collect();
        assert_eq!(counters, [None, Some(1)]);
    }
}

#[tokio::test]
async fn appointments_book_slots_and_check_in_within_the_rule() {
    let dir = tempfile::tempdir().expect("dir");
    for env in envs(&dir).await {
        let q = env.store.queue();
        let s = env.service("Chứng thực");
        let day = date!(2026 - 03 - 03);
        let slots = q.slots(UNIT, s, day, now()).await.expect("slots");
        // 07:30–11:30 and 13:00–17:00 by half hours.
        assert_eq!(slots.len(), 16);
        assert_eq!(slots[0], ("07:30".to_string(), 3));
        assert!(
            q.slots(UNIT, s, date!(2026 - 03 - 07), now())
                .await
                .expect("saturday")
                .is_empty(),
            "no slots on a Saturday"
        );
        let mut codes = Vec::new();
        for name in ["Lê Văn Một", "Lê Văn Hai", "Lê Văn Ba"] {
            let a = q
                .book(UNIT, s, day, "09:00", name, Some("0912345678"), now())
                .await
                .expect("book");
            assert_eq!(a.code.len(), 6);
            codes.push(a.code);
        }
        let e = q
            .book(UNIT, s, day, "09:00", "Lê Văn Bốn", None, now())
            .await
            .expect_err("full");
        assert_eq!(problem_code(e), "slot_full");
        let e = q
            .book(UNIT, s, day, "09:10", "Lê Văn Bốn", None, now())
            .await
            .expect_err("not a slot");
        assert_eq!(problem_code(e), "bad_slot");
        let e = q
            .book(UNIT, s, day, "09:30", "", None, now())
            .await
            .expect_err("no name");
        assert_eq!(problem_code(e), "bad_name");
        let left = q.slots(UNIT, s, day, now()).await.expect("slots");
        assert!(left.contains(&("09:00".to_string(), 0)));
        // Check-in: not the day before, not too early, first within the rule.
        let e = q
            .check_in(UNIT, &codes[0], now())
            .await
            .expect_err("other day");
        assert_eq!(problem_code(e), "not_today");
        let e = q
            .check_in(UNIT, &codes[0], datetime!(2026-03-03 08:00 +7))
            .await
            .expect_err("too early");
        assert_eq!(problem_code(e), "too_early");
        let walk_in = q
            .issue(UNIT, s, None, datetime!(2026-03-03 08:00 +7))
            .await
            .expect("walk-in");
        let t = q
            .check_in(
                UNIT,
                &codes[0].to_lowercase(),
                datetime!(2026-03-03 08:45 +7),
            )
            .await
            .expect("check in");
        assert_eq!((t.priority, t.number), (1, 2));
        assert_eq!(t.appointment_code.as_deref(), Some(codes[0].as_str()));
        // Checking in twice gives the same ticket.
        let again = q
            .check_in(UNIT, &codes[0], datetime!(2026-03-03 08:50 +7))
            .await
            .expect("again");
        assert_eq!(again.id, t.id);
        // Late: a ticket like any other.
        let late = q
            .check_in(UNIT, &codes[1], datetime!(2026-03-03 10:00 +7))
            .await
            .expect("late");
        assert_eq!(late.priority, 0);
        let e = q
            .check_in(UNIT, "ZZZZZZ", datetime!(2026-03-03 09:00 +7))
            .await
            .expect_err("unknown");
        assert_eq!(problem_code(e), "appointment_not_found");
        let waiting = q
            .tickets(UNIT, day, &[TicketStatus::Waiting])
            .await
            .expect("waiting");
        let order: Vec<i64> = waiting.iter().map(|t| t.id).collect();
        assert_eq!(order, [t.id, walk_in.id, late.id]);
        let e = q.estimate(&walk_in).await.expect("estimate");
        assert_eq!(e.ahead, 1, "the checked-in appointment is ahead");
    }
}
