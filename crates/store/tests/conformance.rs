//! One suite, run against SQLite and (when configured) PostgreSQL: the
//! dossier lifecycle, its rules of role, state and version, code allocation
//! under concurrency, and atomicity of every action.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use motcua_domain::ProblemKind;
use motcua_domain::dossier::ApplicantInput;
use motcua_domain::lifecycle::{
    Action, Channel, Role, Status, allowed_roles, citizen_may, next_status,
};
use motcua_store::testing::{databases, open_seeded};
use motcua_store::{
    ActionRequest, Actor, DocumentRef, NewDossier, NewUser, Store, StoreError, User,
};
use std::collections::HashSet;
use time::OffsetDateTime;
use time::macros::datetime;

const UNIT: &str = "30112";
const OTHER_UNIT: &str = "28261";
/// HT-XNHN: 3 working days, documents to-khai, giay-to-tuy-than (required).
const PROC: &str = "HT-XNHN";

fn now() -> OffsetDateTime {
    datetime!(2026-03-02 09:00 +7)
}

fn applicant() -> ApplicantInput {
    ApplicantInput {
        full_name: "Trần Thị Mai".into(),
        id_number: "087188001234".into(),
        date_of_birth: "1988-04-12".into(),
        phone: "0912345678".into(),
        email: None,
        address: "Ấp 2, xã Mỹ Hiệp, tỉnh Đồng Tháp".into(),
    }
}

struct Env {
    store: Store,
    staff: Vec<(Role, User)>,
    other_unit_receptionist: User,
    /// The database, for tests that play an intruder with direct access.
    url: String,
    _dir: std::sync::Arc<tempfile::TempDir>,
}

impl Env {
    fn user(&self, role: Role) -> User {
        self.staff
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, u)| u.clone())
            .expect("user for role")
    }
    fn actor(&self, role: Role) -> Actor {
        Actor::Staff(self.user(role))
    }
}

async fn envs() -> Vec<Env> {
    let dir = std::sync::Arc::new(tempfile::tempdir().expect("tempdir"));
    let mut out = Vec::new();
    for db in databases(dir.path()).await.expect("databases") {
        let store = open_seeded(&db).await.expect("store");
        // A cheap stand-in hash: these tests never sign in.
        let mut staff = Vec::new();
        for role in Role::ALL {
            let new = NewUser {
                username: format!("u.{}", role.as_str().replace('_', "-")),
                full_name: "Cán bộ".into(),
                password_hash: "x".into(),
                roles: vec![*role],
                units: if matches!(role, Role::Admin | Role::ProvinceSupervisor) {
                    vec![]
                } else {
                    vec![UNIT.into()]
                },
                province_code: (*role == Role::ProvinceSupervisor).then(|| "82".to_string()),
            };
            store.create_user(&new, now()).await.expect("user");
            staff.push((
                *role,
                store
                    .user_by_username(&new.username)
                    .await
                    .expect("read")
                    .expect("user"),
            ));
        }
        let other = NewUser {
            username: "other.receptionist".into(),
            full_name: "Cán bộ khác".into(),
            password_hash: "x".into(),
            roles: vec![Role::Receptionist],
            units: vec![OTHER_UNIT.into()],
            province_code: None,
        };
        store.create_user(&other, now()).await.expect("user");
        let other_unit_receptionist = store
            .user_by_username("other.receptionist")
            .await
            .expect("read")
            .expect("user");
        out.push(Env {
            store,
            staff,
            other_unit_receptionist,
            url: db.url.clone(),
            _dir: dir.clone(),
        });
    }
    out
}

fn pdf(tag: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {tag}\n%%EOF\n").into_bytes()
}

async fn submit_online(env: &Env, at: OffsetDateTime) -> (String, i64) {
    let mut docs = Vec::new();
    for code in ["to-khai", "giay-to-tuy-than"] {
        let meta = env
            .store
            .upload(
                &pdf(&format!("{code}{at}")),
                Some("scan.pdf"),
                "citizen",
                at,
            )
            .await
            .expect("upload");
        docs.push(DocumentRef {
            code: code.into(),
            upload_id: Some(meta.id),
            paper: false,
        });
    }
    let rec = env
        .store
        .create_dossier(new_dossier(docs), &Actor::Citizen, at)
        .await
        .expect("submit");
    (rec.row.code, rec.row.version)
}

fn new_dossier(documents: Vec<DocumentRef>) -> NewDossier {
    NewDossier {
        unit_code: UNIT.into(),
        procedure_code: PROC.into(),
        channel: Channel::Online,
        applicant: applicant(),
        fields: serde_json::json!({}),
        documents,
    }
}

fn paper_docs() -> Vec<DocumentRef> {
    ["to-khai", "giay-to-tuy-than"]
        .iter()
        .map(|c| DocumentRef {
            code: (*c).into(),
            upload_id: None,
            paper: true,
        })
        .collect()
}

fn request(action: Action, version: i64) -> ActionRequest {
    let mut r = ActionRequest {
        action: action.as_str().into(),
        version,
        ..ActionRequest::default()
    };
    if motcua_domain::lifecycle::needs_note(action) {
        r.note = Some("Lý do cụ thể".into());
    }
    match action {
        Action::Assign => r.assignee = Some("u.specialist".into()),
        Action::Apologize => r.new_due = Some("2026-04-30T16:00".into()),
        Action::Route => r.to_unit = Some(OTHER_UNIT.into()),
        _ => {}
    }
    r
}

/// Walk a new dossier to `status` with the right people; return (code, version).
async fn dossier_in(env: &Env, status: Status) -> (String, i64) {
    use Action::*;
    if matches!(status, Status::AwaitingPayment | Status::Stopped) {
        return unpaid(env, status == Status::Stopped).await;
    }
    let path: &[(Action, Role)] = match status {
        Status::AwaitingPayment | Status::Stopped => &[],
        Status::Submitted => &[],
        Status::Received => &[(Receive, Role::Receptionist)],
        Status::Processing => &[(Receive, Role::Receptionist), (Assign, Role::Receptionist)],
        Status::AwaitingSupplement => &[
            (Receive, Role::Receptionist),
            (Assign, Role::Receptionist),
            (RequestSupplement, Role::Specialist),
        ],
        Status::AwaitingApproval => &[
            (Receive, Role::Receptionist),
            (Assign, Role::Receptionist),
            (Propose, Role::Specialist),
        ],
        Status::ResultReady => &[
            (Receive, Role::Receptionist),
            (Assign, Role::Receptionist),
            (Propose, Role::Specialist),
            (Approve, Role::Leader),
        ],
        Status::Returned => &[
            (Receive, Role::Receptionist),
            (Assign, Role::Receptionist),
            (Propose, Role::Specialist),
            (Approve, Role::Leader),
            (ReturnResult, Role::Receptionist),
        ],
        Status::Refused => &[(RefuseIntake, Role::Receptionist)],
        Status::Rejected => &[
            (Receive, Role::Receptionist),
            (Assign, Role::Receptionist),
            (Reject, Role::Leader),
        ],
        Status::Withdrawn => &[(Withdraw, Role::Receptionist)],
    };
    let (code, mut version) = submit_online(env, now()).await;
    for (i, (action, role)) in path.iter().enumerate() {
        let at = now() + time::Duration::minutes(10 * (i as i64 + 1));
        let rec = env
            .store
            .act(&code, &request(*action, version), &env.actor(*role), at)
            .await
            .expect("walk");
        version = rec.row.version;
    }
    assert_eq!(
        env.store
            .dossier_row(&code)
            .await
            .expect("read")
            .expect("row")
            .status,
        status.as_str()
    );
    (code, version)
}

/// A certified copy (CT-BSBC, paid before processing) filed at the counter:
/// it waits for payment; `stopped`: its three days to pay are then over.
async fn unpaid(env: &Env, stopped: bool) -> (String, i64) {
    let new = NewDossier {
        procedure_code: "CT-BSBC".into(),
        channel: Channel::Counter,
        documents: vec![DocumentRef {
            code: "ban-chinh".into(),
            upload_id: None,
            paper: true,
        }],
        ..new_dossier(Vec::new())
    };
    let rec = env
        .store
        .create_dossier(new, &env.actor(Role::Receptionist), now())
        .await
        .expect("filed");
    assert_eq!(rec.row.status, "awaiting_payment");
    assert_eq!(rec.row.due_at, None, "the clock has not started");
    if !stopped {
        return (rec.row.code, rec.row.version);
    }
    let later = now() + time::Duration::days(3);
    let n = env.store.expire_unpaid(later).await.expect("expire");
    assert!(n >= 1);
    let row = env
        .store
        .dossier_row(&rec.row.code)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(row.status, "stopped");
    (row.code, row.version)
}

fn kind(e: &StoreError) -> Option<(ProblemKind, &'static str)> {
    match e {
        StoreError::Problem(p) => Some((p.kind, p.code)),
        _ => None,
    }
}

#[tokio::test]
async fn whole_loop_with_pause_and_send_back() {
    for env in envs().await {
        let (code, v) = submit_online(&env, datetime!(2026-03-02 08:00 +7)).await;
        let at = |h: i64| datetime!(2026-03-02 09:00 +7) + time::Duration::hours(h);
        let rec = env
            .store
            .act(
                &code,
                &request(Action::Receive, v),
                &env.actor(Role::Receptionist),
                at(0),
            )
            .await
            .expect("receive");
        // 3 working days from Monday 09:00 → Thursday 09:00.
        assert_eq!(rec.row.due_at, Some(ms(datetime!(2026-03-05 09:00 +7))));
        let rec = env
            .store
            .act(
                &code,
                &request(Action::Assign, rec.row.version),
                &env.actor(Role::Receptionist),
                at(1),
            )
            .await
            .expect("assign");
        assert_eq!(rec.row.assignee.as_deref(), Some("u.specialist"));
        let mut r = request(Action::RequestSupplement, rec.row.version);
        r.missing = vec!["giay-to-tuy-than".into()];
        let rec = env
            .store
            .act(
                &code,
                &r,
                &env.actor(Role::Specialist),
                datetime!(2026-03-03 09:00 +7),
            )
            .await
            .expect("pause");
        assert_eq!(rec.row.status, "awaiting_supplement");
        assert_eq!(rec.row.pause_remaining, Some(2 * 8 * 60));
        // The citizen supplements two working days later.
        let meta = env
            .store
            .upload(
                &pdf("cccd-ro-net"),
                None,
                "citizen",
                datetime!(2026-03-05 09:00 +7),
            )
            .await
            .expect("upload");
        let mut r = request(Action::Supplement, rec.row.version);
        r.documents = vec![DocumentRef {
            code: "giay-to-tuy-than".into(),
            upload_id: Some(meta.id),
            paper: false,
        }];
        let rec = env
            .store
            .act(&code, &r, &Actor::Citizen, datetime!(2026-03-05 09:00 +7))
            .await
            .expect("supplement");
        assert_eq!(rec.row.status, "processing");
        // Paused two working days → due two working days later.
        assert_eq!(rec.row.due_at, Some(ms(datetime!(2026-03-09 09:00 +7))));
        assert_eq!(rec.documents.len(), 3);
        let mut v = rec.row.version;
        for (action, role) in [
            (Action::Propose, Role::Specialist),
            (Action::SendBack, Role::Leader),
            (Action::Propose, Role::Specialist),
            (Action::Approve, Role::Leader),
            (Action::ReturnResult, Role::Receptionist),
        ] {
            let rec = env
                .store
                .act(
                    &code,
                    &request(action, v),
                    &env.actor(role),
                    datetime!(2026-03-06 10:00 +7),
                )
                .await
                .expect("step");
            v = rec.row.version;
        }
        let rec = env
            .store
            .dossier(&code)
            .await
            .expect("read")
            .expect("dossier");
        assert_eq!(rec.row.status, "returned");
        assert_eq!(rec.events.len(), 10);
        assert_eq!(
            rec.events.iter().map(|e| e.seq).collect::<Vec<_>>(),
            (1..=10).collect::<Vec<_>>()
        );
        assert_eq!(rec.events[2].actor, "u.receptionist");
        assert_eq!(rec.events[4].role, "citizen");
        assert!(!rec.row.projection().expect("projection").is_late(now()));
        env.store
            .check_consistency(&code)
            .await
            .expect("row equals the projection of its events");
    }
}

fn ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

#[tokio::test]
async fn each_action_succeeds_for_its_roles_only() {
    for env in envs().await {
        let cases: &[(Action, Status)] = &[
            (Action::Receive, Status::Submitted),
            (Action::RefuseIntake, Status::Submitted),
            (Action::Assign, Status::Received),
            (Action::RequestSupplement, Status::Received),
            (Action::Supplement, Status::AwaitingSupplement),
            (Action::Propose, Status::Processing),
            (Action::Approve, Status::AwaitingApproval),
            (Action::SendBack, Status::AwaitingApproval),
            (Action::Reject, Status::AwaitingApproval),
            (Action::ReturnResult, Status::ResultReady),
            (Action::Withdraw, Status::Submitted),
            (Action::Apologize, Status::Processing),
        ];
        for (action, status) in cases {
            let mut actors: Vec<(String, Actor, bool)> = Role::ALL
                .iter()
                .map(|r| {
                    (
                        r.as_str().to_string(),
                        env.actor(*r),
                        allowed_roles(*action).contains(r),
                    )
                })
                .collect();
            actors.push(("citizen".into(), Actor::Citizen, citizen_may(*action)));
            for (who, actor, allowed) in actors {
                let (code, v) = dossier_in(&env, *status).await;
                let result = env
                    .store
                    .act(
                        &code,
                        &request(*action, v),
                        &actor,
                        now() + time::Duration::hours(2),
                    )
                    .await;
                match (allowed, &result) {
                    (true, Ok(rec)) => assert_eq!(rec.row.version, v + 1),
                    (false, Err(e)) => assert_eq!(
                        kind(e),
                        Some((ProblemKind::Forbidden, "forbidden_action")),
                        "{who} {action}"
                    ),
                    _ => panic!(
                        "{who} doing {action} from {status}: allowed={allowed}, got {result:?}"
                    ),
                }
            }
        }
        // A receptionist of another unit cannot see the dossier at all.
        let (code, v) = dossier_in(&env, Status::Submitted).await;
        let err = env
            .store
            .act(
                &code,
                &request(Action::Receive, v),
                &Actor::Staff(env.other_unit_receptionist.clone()),
                now(),
            )
            .await
            .expect_err("other unit");
        assert_eq!(
            kind(&err),
            Some((ProblemKind::NotFound, "dossier_not_found"))
        );
    }
}

#[tokio::test]
async fn every_illegal_transition_is_refused_and_writes_nothing() {
    for env in envs().await {
        // One user holding every staff role, so only the state decides.
        let new = NewUser {
            username: "u.all".into(),
            full_name: "Cán bộ".into(),
            password_hash: "x".into(),
            roles: vec![Role::Receptionist, Role::Specialist, Role::Leader],
            units: vec![UNIT.into()],
            province_code: None,
        };
        env.store.create_user(&new, now()).await.expect("user");
        let all = Actor::Staff(
            env.store
                .user_by_username("u.all")
                .await
                .expect("read")
                .expect("user"),
        );
        for status in Status::ALL {
            let (code, v) = dossier_in(&env, *status).await;
            // Stopping an unpaid dossier is motcua's alone: refused to any
            // person before the state is looked at.
            for action in Action::ALL.iter().filter(|a| {
                !matches!(
                    a,
                    Action::Submit | Action::CreateAtCounter | Action::ExpireUnpaid
                )
            }) {
                if next_status(*status, Some(Status::Processing), *action).is_ok() {
                    continue;
                }
                let err = env
                    .store
                    .act(
                        &code,
                        &request(*action, v),
                        &all,
                        now() + time::Duration::hours(3),
                    )
                    .await
                    .expect_err("illegal");
                assert_eq!(
                    kind(&err),
                    Some((ProblemKind::Conflict, "illegal_transition")),
                    "{action} from {status}"
                );
            }
            let rec = env
                .store
                .dossier(&code)
                .await
                .expect("read")
                .expect("dossier");
            assert_eq!(rec.row.version, v, "nothing written for {status}");
            assert_eq!(rec.events.len() as i64, v);
        }
    }
}

#[tokio::test]
async fn stale_version_and_simultaneous_officers() {
    for env in envs().await {
        let (code, v) = dossier_in(&env, Status::Submitted).await;
        let err = env
            .store
            .act(
                &code,
                &request(Action::Receive, v + 5),
                &env.actor(Role::Receptionist),
                now(),
            )
            .await
            .expect_err("stale");
        assert_eq!(kind(&err), Some((ProblemKind::Conflict, "stale_version")));
        // Two receptionists click "receive" at the same time with the same version.
        let (a, b) = (env.store.clone(), env.store.clone());
        let (actor_a, actor_b) = (env.actor(Role::Receptionist), env.actor(Role::Receptionist));
        let (ca, cb) = (code.clone(), code.clone());
        let ta = tokio::spawn(async move {
            a.act(&ca, &request(Action::Receive, v), &actor_a, now())
                .await
        });
        let tb = tokio::spawn(async move {
            b.act(&cb, &request(Action::RefuseIntake, v), &actor_b, now())
                .await
        });
        let results = [ta.await.expect("join"), tb.await.expect("join")];
        let ok = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(ok, 1, "exactly one wins: {results:?}");
        let loser = results
            .iter()
            .find_map(|r| r.as_ref().err())
            .expect("one error");
        assert_eq!(kind(loser).map(|k| k.0), Some(ProblemKind::Conflict));
        let rec = env
            .store
            .dossier(&code)
            .await
            .expect("read")
            .expect("dossier");
        assert_eq!(rec.events.len(), 2);
        env.store
            .check_consistency(&code)
            .await
            .expect("consistent");
    }
}

#[tokio::test]
async fn a_thousand_concurrent_submissions_get_a_thousand_gapless_codes() {
    for env in envs().await {
        let receptionist = env.actor(Role::Receptionist);
        let mut tasks = Vec::new();
        // A hundred at a time race for the writer: enough to collide on every
        // number, few enough that a loaded test machine does not turn the
        // wait of the thousandth into a pool timeout.
        let racing = std::sync::Arc::new(tokio::sync::Semaphore::new(100));
        for _ in 0..1000 {
            let (store, actor) = (env.store.clone(), receptionist.clone());
            let racing = racing.clone();
            tasks.push(tokio::spawn(async move {
                let _turn = racing.acquire_owned().await.expect("semaphore");
                let mut new = new_dossier(paper_docs());
                new.channel = Channel::Counter;
                store.create_dossier(new, &actor, now()).await
            }));
        }
        let mut codes = HashSet::new();
        for t in tasks {
            let rec = t.await.expect("join").expect("created");
            assert!(
                codes.insert(rec.row.code.clone()),
                "duplicate {}",
                rec.row.code
            );
        }
        let expected: HashSet<String> = (1..=1000)
            .map(|n| format!("{UNIT}-260302-{n:04}"))
            .collect();
        assert_eq!(codes, expected);
        assert_eq!(env.store.count_dossiers().await.expect("count"), 1000);
    }
}

#[tokio::test]
async fn a_failed_submission_writes_nothing_and_leaves_no_gap() {
    for env in envs().await {
        // Unknown procedure / unit / missing document / bad applicant: refused before any write.
        let mut bad = new_dossier(paper_docs());
        bad.procedure_code = "KHONG-CO".into();
        let e = env
            .store
            .create_dossier(bad, &env.actor(Role::Receptionist), now())
            .await
            .expect_err("procedure");
        assert_eq!(kind(&e), Some((ProblemKind::Invalid, "unknown_procedure")));
        let mut bad = new_dossier(paper_docs());
        bad.unit_code = "99999".into();
        let e = env
            .store
            .create_dossier(bad, &env.actor(Role::Receptionist), now())
            .await
            .expect_err("unit");
        assert_eq!(kind(&e), Some((ProblemKind::Invalid, "unknown_unit")));
        let e = env
            .store
            .create_dossier(
                new_dossier(paper_docs()[..1].to_vec()),
                &env.actor(Role::Receptionist),
                now(),
            )
            .await
            .expect_err("doc");
        assert_eq!(kind(&e), Some((ProblemKind::Invalid, "missing_document")));
        let e = env
            .store
            .create_dossier(new_dossier(paper_docs()), &Actor::Citizen, now())
            .await
            .expect_err("paper online");
        assert_eq!(
            kind(&e),
            Some((ProblemKind::Invalid, "paper_needs_counter"))
        );
        assert_eq!(env.store.count_dossiers().await.expect("count"), 0);

        // Two submissions race for the same upload: one wins, the other is
        // rolled back whole, its code number included.
        let shared = env
            .store
            .upload(&pdf("shared"), None, "citizen", now())
            .await
            .expect("upload");
        let mut attempts = Vec::new();
        for i in 0..2 {
            let other = env
                .store
                .upload(&pdf(&format!("own{i}")), None, "citizen", now())
                .await
                .expect("upload");
            let docs = vec![
                DocumentRef {
                    code: "to-khai".into(),
                    upload_id: Some(other.id),
                    paper: false,
                },
                DocumentRef {
                    code: "giay-to-tuy-than".into(),
                    upload_id: Some(shared.id.clone()),
                    paper: false,
                },
            ];
            let store = env.store.clone();
            attempts.push(tokio::spawn(async move {
                store
                    .create_dossier(new_dossier(docs), &Actor::Citizen, now())
                    .await
            }));
        }
        let mut ok = 0;
        for a in attempts {
            match a.await.expect("join") {
                Ok(_) => ok += 1,
                Err(e) => assert_eq!(kind(&e), Some((ProblemKind::Invalid, "bad_upload"))),
            }
        }
        assert_eq!(ok, 1);
        assert_eq!(env.store.count_dossiers().await.expect("count"), 1);
        let (code, _) = submit_online(&env, now()).await;
        assert_eq!(
            code,
            format!("{UNIT}-260302-0002"),
            "no gap after a rolled-back submission"
        );
    }
}

#[tokio::test]
async fn uploads_are_checked_by_content_and_size() {
    for mut env in envs().await {
        let e = env
            .store
            .upload(b"GIF89a....", Some("a.pdf"), "citizen", now())
            .await
            .expect_err("gif named pdf");
        assert_eq!(
            kind(&e),
            Some((ProblemKind::UnsupportedMedia, "unsupported_file_type"))
        );
        env.store.max_upload = 16;
        let e = env
            .store
            .upload(
                &pdf("this one is too long for the limit"),
                None,
                "citizen",
                now(),
            )
            .await
            .expect_err("large");
        assert_eq!(kind(&e), Some((ProblemKind::TooLarge, "file_too_large")));
        env.store.max_upload = motcua_store::DEFAULT_MAX_UPLOAD;
        let a = env
            .store
            .upload(&pdf("same"), Some("../../etc/passwd"), "citizen", now())
            .await
            .expect("upload");
        let b = env
            .store
            .upload(&pdf("same"), None, "citizen", now())
            .await
            .expect("upload");
        assert_eq!(a.sha256, b.sha256, "content-addressed");
        assert_ne!(a.id, b.id);
        assert_eq!(a.filename.as_deref(), Some("....etcpasswd"));
        let bytes = env
            .store
            .blobs()
            .get(a.sha256.as_deref().expect("sha"))
            .await
            .expect("bytes on disk");
        assert_eq!(bytes, pdf("same"));
    }
}

#[tokio::test]
async fn apology_moves_the_date_and_counts_late() {
    for env in envs().await {
        let (code, v) = dossier_in(&env, Status::Processing).await;
        let mut r = request(Action::Apologize, v);
        r.new_due = Some("2026-03-01T10:00".into());
        let e = env
            .store
            .act(&code, &r, &env.actor(Role::Leader), now())
            .await
            .expect_err("earlier date");
        assert_eq!(kind(&e), Some((ProblemKind::Invalid, "bad_new_due")));
        r.new_due = Some("2026-03-20T10:00".into());
        let rec = env
            .store
            .act(&code, &r, &env.actor(Role::Leader), now())
            .await
            .expect("apologize");
        assert_eq!(rec.row.due_at, Some(ms(datetime!(2026-03-20 10:00 +7))));
        assert!(rec.row.projection().expect("projection").is_late(now()));
        let late = env
            .store
            .list_dossiers(
                &motcua_store::ListFilter {
                    late: Some(true),
                    ..motcua_store::ListFilter::new(
                        motcua_store::Scope::Units(vec![UNIT.into()]),
                        50,
                    )
                },
                now(),
            )
            .await
            .expect("list");
        assert_eq!(
            late.iter().map(|r| r.code.as_str()).collect::<Vec<_>>(),
            vec![code.as_str()]
        );
        env.store
            .check_consistency(&code)
            .await
            .expect("consistent");
    }
}

#[tokio::test]
async fn catalog_import_reports_changes_and_retires() {
    for env in envs().await {
        let mut procs =
            motcua_domain::catalog::parse_catalog(motcua_domain::catalog::DEFAULT_CATALOG_JSON)
                .expect("catalog");
        procs.retain(|p| p.code != "KN-L1");
        procs[0].name = "Đăng ký khai sinh (sửa)".into();
        let report = env
            .store
            .import_catalog(&procs, true, now())
            .await
            .expect("import");
        assert_eq!(report.retired, vec!["KN-L1".to_string()]);
        assert_eq!(
            report.updated.keys().cloned().collect::<Vec<_>>(),
            vec![procs[0].code.clone()]
        );
        assert!(
            env.store
                .procedure("KN-L1")
                .await
                .expect("read")
                .is_some_and(|(_, active)| !active)
        );
        assert_eq!(
            env.store.procedures().await.expect("list").len(),
            procs.len()
        );
        let full =
            motcua_domain::catalog::parse_catalog(motcua_domain::catalog::DEFAULT_CATALOG_JSON)
                .expect("catalog");
        let report = env
            .store
            .import_catalog(&full, false, now())
            .await
            .expect("import");
        assert_eq!(report.added, vec!["KN-L1".to_string()]);
    }
}

/// A small history: three dossiers walked a few steps, checkpointed.
async fn history(env: &Env) -> Vec<String> {
    let mut codes = Vec::new();
    for status in [Status::Processing, Status::ResultReady, Status::Received] {
        codes.push(dossier_in(env, status).await.0);
    }
    let report = env.store.audit_verify().await.expect("verify");
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.events, 3 + 2 + 4 + 1);
    env.store.audit_checkpoint(now()).await.expect("checkpoint");
    codes
}

async fn intrude(env: &Env, sql: &str) {
    let unlock = if env.store.backend_name() == "sqlite" {
        "DROP TRIGGER IF EXISTS dossier_events_no_update; DROP TRIGGER IF EXISTS dossier_events_no_delete;"
    } else {
        "ALTER TABLE dossier_events DISABLE TRIGGER USER;"
    };
    env.store
        .execute_raw(&format!("{unlock} {sql}"))
        .await
        .expect("intrude");
}

async fn broken(env: &Env) -> String {
    let report = env.store.audit_verify().await.expect("verify");
    assert!(!report.ok(), "tampering went unnoticed");
    report.problems.join("\n")
}

#[tokio::test]
async fn history_is_append_only_through_the_store() {
    for env in envs().await {
        history(&env).await;
        // The database itself refuses to change history.
        assert!(
            env.store
                .execute_raw("UPDATE dossier_events SET note = 'x'")
                .await
                .is_err()
        );
        assert!(
            env.store
                .execute_raw("DELETE FROM dossier_events")
                .await
                .is_err()
        );
    }
}

#[tokio::test]
async fn audit_names_a_changed_event() {
    for env in envs().await {
        let codes = history(&env).await;
        intrude(&env, &format!("UPDATE dossier_events SET actor = 'ke-gian' WHERE seq = 2 AND dossier_id = (SELECT id FROM dossiers WHERE code = '{}')", codes[1])).await;
        let p = broken(&env).await;
        assert!(
            p.contains(&format!("hồ sơ {}, sự kiện 2", codes[1])) && p.contains("content changed"),
            "{p}"
        );
    }
}

#[tokio::test]
async fn audit_names_a_deleted_event() {
    for env in envs().await {
        let codes = history(&env).await;
        intrude(&env, &format!("DELETE FROM dossier_events WHERE seq = 2 AND dossier_id = (SELECT id FROM dossiers WHERE code = '{}')", codes[0])).await;
        let p = broken(&env).await;
        assert!(p.contains("missing"), "{p}");
        // Deleting the newest link is caught by the head and the checkpoint.
        let env2 = envs()
            .await
            .into_iter()
            .find(|e| e.store.backend_name() == env.store.backend_name())
            .expect("env");
        let codes = history(&env2).await;
        intrude(&env2, &format!("DELETE FROM dossier_events WHERE seq = 2 AND dossier_id = (SELECT id FROM dossiers WHERE code = '{}')", codes[2])).await;
        let p = broken(&env2).await;
        assert!(p.contains("deleted"), "{p}");
    }
}

#[tokio::test]
async fn audit_names_reordered_events() {
    for env in envs().await {
        let codes = history(&env).await;
        let d = format!("(SELECT id FROM dossiers WHERE code = '{}')", codes[1]);
        intrude(
            &env,
            &format!(
                "UPDATE dossier_events SET seq = 100 WHERE seq = 2 AND dossier_id = {d}; \
                 UPDATE dossier_events SET seq = 2 WHERE seq = 3 AND dossier_id = {d}; \
                 UPDATE dossier_events SET seq = 3 WHERE seq = 100 AND dossier_id = {d};"
            ),
        )
        .await;
        let p = broken(&env).await;
        assert!(p.contains(&codes[1]), "{p}");
    }
}

#[tokio::test]
async fn a_rewritten_checkpoint_is_caught() {
    for env in envs().await {
        history(&env).await;
        env.store
            .execute_raw("UPDATE audit_checkpoints SET heads = '[]'")
            .await
            .expect("rewrite");
        let p = broken(&env).await;
        assert!(p.contains("checkpoint"), "{p}");
    }
}

#[tokio::test]
async fn lists_page_by_keyset_in_both_orders() {
    for env in envs().await {
        let mut made = Vec::new();
        for _ in 0..7 {
            made.push(submit_online(&env, now()).await.0);
        }
        for oldest_first in [false, true] {
            let mut seen = Vec::new();
            let mut cursor = None;
            loop {
                let f = motcua_store::ListFilter {
                    before_id: cursor,
                    oldest_first,
                    ..motcua_store::ListFilter::new(
                        motcua_store::Scope::Units(vec![UNIT.into()]),
                        3,
                    )
                };
                let page = env.store.list_dossiers(&f, now()).await.expect("list");
                seen.extend(page.iter().map(|r| r.code.clone()));
                if page.len() < 3 {
                    break;
                }
                cursor = page.last().map(|r| r.id);
            }
            let mut expected = made.clone();
            if !oldest_first {
                expected.reverse();
            }
            assert_eq!(seen, expected, "oldest_first={oldest_first}");
        }
    }
}

#[tokio::test]
async fn work_lists_put_the_most_urgent_first_and_find_by_code_number_or_name() {
    use motcua_store::{ListFilter, Scope, Search};
    for env in envs().await {
        let mut made = Vec::new();
        for status in [
            Status::Returned,
            Status::Processing,
            Status::Submitted,
            Status::AwaitingSupplement,
            Status::Received,
        ] {
            made.push((dossier_in(&env, status).await.0, status));
        }
        let scope = Scope::Units(vec![UNIT.into()]);
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let f = ListFilter {
                by_due: true,
                due_cursor: cursor,
                ..ListFilter::new(scope.clone(), 2)
            };
            let page = env.store.list_dossiers(&f, now()).await.expect("list");
            seen.extend(page.iter().cloned());
            if page.len() < 2 {
                break;
            }
            cursor = page
                .last()
                .and_then(|r| motcua_store::parse_due_cursor(&motcua_store::due_cursor(r)));
        }
        // Waiting to be received first (no due date yet, submitted first),
        // the returned one last; the keyset pages follow the Rust key.
        let code_of = |st: Status| made.iter().find(|(_, s)| *s == st).map(|(c, _)| c.clone());
        assert_eq!(seen.len(), 5);
        assert_eq!(Some(seen[0].code.clone()), code_of(Status::Submitted));
        assert_eq!(Some(seen[4].code.clone()), code_of(Status::Returned));
        let mut sorted = seen.clone();
        sorted.sort_by_key(|r| (motcua_store::due_key(r), r.id));
        assert_eq!(
            sorted.iter().map(|r| &r.code).collect::<Vec<_>>(),
            seen.iter().map(|r| &r.code).collect::<Vec<_>>()
        );
        let found = |typed: &str| {
            let f = ListFilter {
                search: Search::parse(typed),
                ..ListFilter::new(scope.clone(), 50)
            };
            let store = env.store.clone();
            async move { store.list_dossiers(&f, now()).await.expect("search").len() }
        };
        let one = made[1].0.clone();
        assert_eq!(found(&one).await, 1, "a whole code");
        assert_eq!(found(&one[..5]).await, 5, "a code's beginning");
        assert_eq!(found("087188001234").await, 5, "the personal number");
        assert_eq!(found("087188001235").await, 0);
        assert_eq!(found("tran thi mai").await, 5, "a name without diacritics");
        assert_eq!(found("  THỊ MAI ").await, 5, "a name in capitals");
        assert_eq!(found("Lan").await, 0);
        assert_eq!(found("%").await, 5, "a wildcard alone searches nothing");
    }
}

/// The newest link of `UNIT`'s chain as an intruder with database access
/// reads it: (unit_seq, prev_hash, dossier code, event seq).
async fn newest_link(env: &Env) -> (i64, String, String, i64) {
    let sql = "SELECT e.unit_seq, e.prev_hash, d.code, e.seq FROM dossier_events e \
               JOIN dossiers d ON d.id = e.dossier_id WHERE e.unit_code = '30112' \
               ORDER BY e.unit_seq DESC LIMIT 1";
    if env.store.backend_name() == "sqlite" {
        let pool = sqlx::SqlitePool::connect(&env.url).await.expect("connect");
        sqlx::query_as(sql).fetch_one(&pool).await.expect("link")
    } else {
        let pool = sqlx::PgPool::connect(&env.url).await.expect("connect");
        sqlx::query_as(sql).fetch_one(&pool).await.expect("link")
    }
}

/// Rewrite the note of the newest link of `UNIT` after the last checkpoint,
/// recomputing its hash with `rehash` and moving the chain head to it.
async fn rewrite_newest(
    env: &Env,
    rehash: impl Fn(&motcua_domain::audit::Link<'_>, &motcua_domain::dossier::Event) -> String,
) {
    // Links after the last checkpoint: only the keys of the links protect them.
    dossier_in(env, Status::Received).await;
    let (unit_seq, prev_hash, code, seq) = newest_link(env).await;
    let record = env
        .store
        .dossier(&code)
        .await
        .expect("read")
        .expect("dossier");
    let mut event = record
        .events
        .into_iter()
        .find(|e| e.seq == seq)
        .expect("event");
    event.note = Some("sửa lén".into());
    let link = motcua_domain::audit::Link {
        unit_code: UNIT,
        unit_seq,
        prev_hash: &prev_hash,
        dossier_code: &code,
    };
    let hash = rehash(&link, &event);
    intrude(
        env,
        &format!(
            "UPDATE dossier_events SET note = 'sửa lén', hash = '{hash}' WHERE unit_code = '{UNIT}' AND unit_seq = {unit_seq}; \
             UPDATE audit_heads SET hash = '{hash}' WHERE unit_code = '{UNIT}';"
        ),
    )
    .await;
}

#[tokio::test]
async fn links_rewritten_without_the_audit_key_are_caught() {
    for env in envs().await {
        history(&env).await;
        // By the unkeyed rule of earlier releases, the rewrite would hold.
        rewrite_newest(&env, motcua_domain::audit::event_hash).await;
        let p = broken(&env).await;
        assert!(p.contains("without the audit key"), "{p}");
    }
    for env in envs().await {
        history(&env).await;
        rewrite_newest(&env, |link, e| {
            motcua_domain::audit::keyed_event_hash(b"another key", link, e)
        })
        .await;
        let p = broken(&env).await;
        assert!(p.contains("content changed"), "{p}");
    }
}

#[tokio::test]
async fn every_new_link_is_keyed_and_the_mark_is_signed() {
    for env in envs().await {
        history(&env).await;
        let (_, prev, ..) = newest_link(&env).await;
        assert!(motcua_domain::audit::is_keyed(&prev), "{prev}");
        // Deleting the mark would let unkeyed links pass: it is missed.
        env.store
            .execute_raw("DELETE FROM audit_keyed_from")
            .await
            .expect("delete");
        let p = broken(&env).await;
        assert!(p.contains("keyed mark was deleted"), "{p}");
    }
}

#[tokio::test]
async fn a_process_with_another_audit_key_is_refused() {
    for env in envs().await {
        history(&env).await;
        let other = tempfile::tempdir().expect("dir");
        std::fs::write(other.path().join("audit.key"), [7u8; 32]).expect("key");
        let err = motcua_store::Store::open(&env.url, &other.path().join("blobs"))
            .await
            .err()
            .expect("refused");
        assert!(
            err.to_string().contains("audit key does not match"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn a_day_off_declared_later_moves_no_promise() {
    use motcua_domain::calendar::{CalendarOverride, OverrideKind};
    for env in envs().await {
        // Received 2 March 2026, 3 working days: due on 5 March. Another is paused.
        let (received, _) = dossier_in(&env, Status::Received).await;
        let (paused, _) = dossier_in(&env, Status::AwaitingSupplement).await;
        let before_received = env
            .store
            .dossier_row(&received)
            .await
            .expect("read")
            .expect("row");
        let before_paused = env
            .store
            .dossier_row(&paused)
            .await
            .expect("read")
            .expect("row");
        assert!(before_received.due_at.is_some() && before_paused.pause_remaining.is_some());
        // The events themselves carry the facts they fixed.
        let rec = env
            .store
            .dossier(&received)
            .await
            .expect("read")
            .expect("rec");
        let receive = rec
            .events
            .iter()
            .find(|e| e.action == Action::Receive)
            .expect("received");
        assert!(receive.payload.due_at.is_some(), "{:?}", receive.payload);
        // A day off on 3 and 4 March is declared afterwards.
        for day in [3, 4] {
            let o = CalendarOverride {
                date: time::Date::from_calendar_date(2026, time::Month::March, day).expect("date"),
                kind: OverrideKind::DayOff,
                name: "Nghỉ đột xuất".into(),
            };
            env.store
                .put_override(None, &o, "quantri", now())
                .await
                .expect("day off");
        }
        // Every history still folds to what is stored, and nothing moved.
        env.store.check_all().await.expect("check");
        let after_received = env
            .store
            .dossier_row(&received)
            .await
            .expect("read")
            .expect("row");
        let after_paused = env
            .store
            .dossier_row(&paused)
            .await
            .expect("read")
            .expect("row");
        assert_eq!(after_received.due_at, before_received.due_at);
        assert_eq!(after_paused.pause_remaining, before_paused.pause_remaining);
        assert!(env.store.index_months_consistent().await.expect("index"));
        // A new catalog giving the procedure 10 working days moves nothing either.
        let mut procs =
            motcua_domain::catalog::parse_catalog(motcua_domain::catalog::DEFAULT_CATALOG_JSON)
                .expect("catalog");
        for p in procs.iter_mut().filter(|p| p.code == PROC) {
            p.processing = motcua_domain::calendar::ProcessingTime::WorkingDays { amount: 10 };
        }
        env.store
            .import_catalog(&procs, false, now())
            .await
            .expect("import");
        env.store
            .check_all()
            .await
            .expect("check after the catalog");
        let again = env
            .store
            .dossier_row(&received)
            .await
            .expect("read")
            .expect("row");
        assert_eq!(again.due_at, before_received.due_at);
        // A dossier received now does take the new day off into account.
        let (later, _) = dossier_in(&env, Status::Received).await;
        let later = env
            .store
            .dossier_row(&later)
            .await
            .expect("read")
            .expect("row");
        assert!(later.due_at > before_received.due_at, "{:?}", later.due_at);
        let report = env.store.audit_verify().await.expect("verify");
        assert!(report.ok(), "{report:?}");
    }
}

#[tokio::test]
async fn recorded_due_dates_of_earlier_events_cannot_be_altered() {
    for env in envs().await {
        let (code, _) = dossier_in(&env, Status::Received).await;
        // Facts beside an event are signed: a forged row is caught.
        let d = format!("(SELECT id FROM dossiers WHERE code = '{code}')");
        intrude(
            &env,
            &format!(
                "INSERT INTO event_frozen (event_id, due_at, pause_remaining, mac) \
                 SELECT id, 0, NULL, 'forged' FROM dossier_events WHERE dossier_id = {d} AND seq = 1"
            ),
        )
        .await;
        let p = broken(&env).await;
        assert!(p.contains("recorded due date altered"), "{p}");
    }
}

#[tokio::test]
async fn due_dates_taken_at_any_instant_refold_exactly() {
    for env in envs().await {
        // Real clocks have nanoseconds; the row keeps milliseconds.
        let at = now() + time::Duration::nanoseconds(123_456_789);
        let (code, _) = submit_online(&env, at).await;
        let row = env
            .store
            .dossier_row(&code)
            .await
            .expect("read")
            .expect("row");
        env.store
            .act(
                &code,
                &ActionRequest {
                    action: "receive".into(),
                    version: row.version,
                    ..ActionRequest::default()
                },
                &env.actor(Role::Receptionist),
                at + time::Duration::nanoseconds(987_654_321),
            )
            .await
            .expect("receive");
        env.store
            .check_consistency(&code)
            .await
            .expect("refolds exactly");
    }
}

#[tokio::test]
async fn a_dossier_keeps_the_catalog_version_it_was_received_under() {
    for env in envs().await {
        let receptionist = env.actor(Role::Receptionist);
        let counter = |at: OffsetDateTime| {
            let (store, actor) = (env.store.clone(), receptionist.clone());
            async move {
                let mut new = new_dossier(paper_docs());
                new.channel = Channel::Counter;
                store
                    .create_dossier(new, &actor, at)
                    .await
                    .expect("created")
            }
        };
        // Received under version 1 (the catalog before any change).
        let before = counter(now()).await;
        assert_eq!(before.row.catalog_version, 1);
        // The province lengthens the time limit from 10 March: a new version.
        let mut changed =
            motcua_domain::catalog::parse_catalog(motcua_domain::catalog::DEFAULT_CATALOG_JSON)
                .expect("catalog");
        let p = changed
            .iter_mut()
            .find(|p| p.code == PROC)
            .expect("procedure");
        let old_time = p.processing;
        p.processing = motcua_domain::calendar::ProcessingTime::WorkingDays { amount: 10 };
        let from = datetime!(2026-03-10 00:00 +7);
        env.store
            .import_catalog_version(&changed, false, Some("82"), from, "test", now())
            .await
            .expect("import");
        // Not yet in force, and a province's own: the listed catalog is unchanged.
        let listed = env
            .store
            .procedure(PROC)
            .await
            .expect("read")
            .expect("listed");
        assert_eq!(listed.0.processing, old_time);
        // A dossier received on 9 March is still under version 1; on 10 March
        // under the new one, with its longer time limit.
        let ninth = counter(datetime!(2026-03-09 09:00 +7)).await;
        assert_eq!(ninth.row.catalog_version, 1);
        let tenth = counter(datetime!(2026-03-10 09:00 +7)).await;
        assert_eq!(tenth.row.catalog_version, 2);
        let cal = env.store.calendar(Some(UNIT)).await.expect("calendar");
        let tenth_due = tenth.row.projection().expect("projection").due_at;
        assert_eq!(
            tenth_due,
            Some(
                cal.due(
                    datetime!(2026-03-10 09:00 +7),
                    changed
                        .iter()
                        .find(|p| p.code == PROC)
                        .expect("p")
                        .processing
                )
            )
        );
        let ninth_due = ninth.row.projection().expect("projection").due_at;
        assert_eq!(
            ninth_due,
            Some(cal.due(datetime!(2026-03-09 09:00 +7), old_time))
        );
        // Each reads its own procedure back, and refolds consistently.
        assert_eq!(
            env.store
                .procedure_of(&before.row)
                .await
                .expect("v1")
                .processing,
            old_time
        );
        for rec in [&before, &ninth, &tenth] {
            env.store
                .check_consistency(&rec.row.code)
                .await
                .expect("consistent");
        }
        let versions = env.store.catalog_versions().await.expect("versions");
        assert_eq!(versions.len(), 2);
        assert_eq!(versions[1].province_code.as_deref(), Some("82"));
        assert_eq!(versions[1].effective_from, from);
    }
}
