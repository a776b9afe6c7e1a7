//! What SECURITY.md promises, proved over real HTTP: roles and unit scope
//! for every action, lockout, rate limits, CSRF, headers, sessions.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use motcua_domain::lifecycle::{Action, Role, Status, allowed_roles, next_status};
use motcua_store::testing::{databases, open_seeded};
use motcua_store::{ActionRequest, Actor, DocumentRef, NewDossier, NewUser, Store, User};
use motcua_web::AppState;
use serde_json::{Value, json};
use std::sync::OnceLock;
use time::OffsetDateTime;

const PASSWORD: &str = "mat-khau-thu-nghiem";
const UNIT: &str = "30112";
const OTHER_UNIT: &str = "28261";

fn hash() -> &'static str {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| motcua_web::auth::hash_password(PASSWORD).expect("hash"))
}

struct Env {
    store: Store,
    base: String,
    http: reqwest::Client,
    _dir: std::sync::Arc<tempfile::TempDir>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn user(
    store: &Store,
    name: &str,
    roles: Vec<Role>,
    units: &[&str],
    province: Option<&str>,
) -> User {
    let new = NewUser {
        username: name.into(),
        full_name: name.into(),
        password_hash: hash().into(),
        roles,
        units: units.iter().map(|u| u.to_string()).collect(),
        province_code: province.map(str::to_string),
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

async fn envs() -> Vec<Env> {
    let dir = std::sync::Arc::new(tempfile::tempdir().expect("dir"));
    let mut out = Vec::new();
    for db in databases(dir.path()).await.expect("dbs") {
        let store = open_seeded(&db).await.expect("store");
        for role in Role::ALL {
            let (units, province): (&[&str], Option<&str>) = match role {
                Role::Admin => (&[], None),
                Role::ProvinceSupervisor => (&[], Some("82")),
                _ => (&[UNIT], None),
            };
            user(
                &store,
                &format!("own.{}", role.as_str().replace('_', "-")),
                vec![*role],
                units,
                province,
            )
            .await;
            if !matches!(role, Role::Admin | Role::ProvinceSupervisor) {
                user(
                    &store,
                    &format!("other.{}", role.as_str().replace('_', "-")),
                    vec![*role],
                    &[OTHER_UNIT],
                    None,
                )
                .await;
            }
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(motcua_web::serve(
            listener,
            AppState::new(store.clone()),
            async {
                let _ = stopped.await;
            },
        ));
        out.push(Env {
            store,
            base,
            http: reqwest::Client::new(),
            _dir: dir.clone(),
            _stop: stop,
        });
    }
    out
}

impl Env {
    async fn login(&self, name: &str, password: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/api/v1/session", self.base))
            .json(&json!({"username": name, "password": password}))
            .send()
            .await
            .expect("login")
    }
    /// A session token; sign-ins are rate-limited per client, so a test
    /// signing in every role waits as a person would be told to.
    async fn token(&self, name: &str) -> String {
        for _ in 0..10 {
            let r = self.login(name, PASSWORD).await;
            let wait = r
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            let v: Value = r.json().await.expect("json");
            if let Some(t) = v["token"].as_str() {
                return t.to_string();
            }
            match wait {
                Some(secs) if v["error"]["code"] == "rate_limited" => {
                    tokio::time::sleep(std::time::Duration::from_secs(secs)).await;
                }
                _ => panic!("no token for {name}: {v}"),
            }
        }
        panic!("no token for {name} after waiting")
    }
}

fn paper() -> Vec<DocumentRef> {
    ["to-khai", "giay-to-tuy-than"]
        .iter()
        .map(|c| DocumentRef {
            code: (*c).into(),
            upload_id: None,
            paper: true,
        })
        .collect()
}

/// A dossier of unit 30112 in `status`, walked through the store.
async fn own(env: &Env, name: &str) -> Actor {
    Actor::Staff(
        env.store
            .user_by_username(name)
            .await
            .expect("read")
            .expect("user"),
    )
}

async fn dossier_in(env: &Env, status: Status) -> (String, i64) {
    let rec = env
        .store
        .create_dossier(
            NewDossier {
                unit_code: UNIT.into(),
                procedure_code: "HT-XNHN".into(),
                channel: motcua_domain::lifecycle::Channel::Counter,
                applicant: motcua_domain::dossier::ApplicantInput {
                    full_name: "Võ Thị Sáu".into(),
                    id_number: "087190001234".into(),
                    date_of_birth: "1990-01-01".into(),
                    phone: "0912345678".into(),
                    email: None,
                    address: "Ấp 1, xã Mỹ Hiệp".into(),
                },
                fields: json!({}),
                documents: paper(),
            },
            &own(env, "own.receptionist").await,
            OffsetDateTime::now_utc(),
        )
        .await
        .expect("create");
    let path: &[(&str, &str)] = match status {
        Status::Received => &[],
        Status::Processing => &[("assign", "own.receptionist")],
        Status::AwaitingSupplement => &[("request_supplement", "own.receptionist")],
        Status::AwaitingApproval => &[
            ("assign", "own.receptionist"),
            ("propose", "own.specialist"),
        ],
        Status::ResultReady => &[
            ("assign", "own.receptionist"),
            ("propose", "own.specialist"),
            ("approve", "own.leader"),
        ],
        _ => panic!("not used"),
    };
    let mut version = rec.row.version;
    for (action, who) in path {
        let req = ActionRequest {
            action: (*action).into(),
            version,
            assignee: Some("own.specialist".into()),
            note: Some("lý do".into()),
            ..ActionRequest::default()
        };
        version = env
            .store
            .act(
                &rec.row.code,
                &req,
                &own(env, who).await,
                OffsetDateTime::now_utc(),
            )
            .await
            .expect("walk")
            .row
            .version;
    }
    (rec.row.code, version)
}

#[tokio::test]
async fn every_role_in_every_scope_for_every_staff_action() {
    for env in envs().await {
        let cases: &[(Action, Status)] = &[
            (Action::Assign, Status::Received),
            (Action::RequestSupplement, Status::Received),
            (Action::Supplement, Status::AwaitingSupplement),
            (Action::Propose, Status::Processing),
            (Action::Approve, Status::AwaitingApproval),
            (Action::SendBack, Status::AwaitingApproval),
            (Action::Reject, Status::AwaitingApproval),
            (Action::ReturnResult, Status::ResultReady),
            (Action::Withdraw, Status::Received),
            (Action::Apologize, Status::Processing),
            (Action::ReissueKey, Status::Received),
            (Action::CorrectApplicant, Status::Processing),
        ];
        let pages = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let mut tokens = Vec::new();
        for role in Role::ALL {
            let r = role.as_str().replace('_', "-");
            tokens.push((*role, "own", env.token(&format!("own.{r}")).await));
            if !matches!(role, Role::Admin | Role::ProvinceSupervisor) {
                tokens.push((*role, "other", env.token(&format!("other.{r}")).await));
            }
        }
        for (action, status) in cases {
            assert!(next_status(*status, Some(Status::Received), *action).is_ok());
            for (role, scope, token) in &tokens {
                let (code, version) = dossier_in(&env, *status).await;
                let body = json!({
                    "action": action.as_str(), "version": version, "note": "lý do",
                    "assignee": "own.specialist", "new_due": "2030-01-02T10:00",
                    "applicant": { "full_name": "Võ Thị Sáu", "id_number": "087190001234",
                        "date_of_birth": "1990-01-01", "phone": "0912345678",
                        "address": "Ấp 9, xã Mỹ Hiệp" }
                });
                let resp = env
                    .http
                    .post(format!("{}/api/v1/dossiers/{code}/actions", env.base))
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .expect("act");
                let status_code = resp.status().as_u16();
                // The province supervisor and the admin see every unit but act on none.
                let expected = if !allowed_roles(*action).contains(role) {
                    403
                } else if *scope == "other" {
                    404
                } else {
                    200
                };
                assert_eq!(
                    status_code,
                    expected,
                    "{role} ({scope} unit) doing {action}: {:?}",
                    resp.text().await
                );
                // Reading the dossier: the roles that process dossiers, in their own unit only.
                let read = env
                    .http
                    .get(format!("{}/api/v1/dossiers/{code}", env.base))
                    .bearer_auth(token)
                    .send()
                    .await
                    .expect("read");
                let can_read = *scope == "own"
                    && motcua_domain::lifecycle::reading(*role)
                        == motcua_domain::lifecycle::Reading::Full;
                assert_eq!(
                    read.status().is_success(),
                    can_read,
                    "{role} ({scope}) reading"
                );

                // The same through the officers' pages, with the session cookie:
                // the page answers as the API does, except that another unit's
                // dossier is not disclosed even to a role that could never act.
                let (code, version) = dossier_in(&env, *status).await;
                let cookie = format!("motcua_session={token}");
                let version = version.to_string();
                let page = pages
                    .post(format!("{}/can-bo/ho-so/{code}/thao-tac", env.base))
                    .header("cookie", &cookie)
                    .form(&[
                        ("action", action.as_str()),
                        ("version", version.as_str()),
                        ("note", "lý do"),
                        ("assignee", "own.specialist"),
                        ("new_due", "2030-01-02T10:00"),
                        ("missing", "giay-to-tuy-than"),
                        ("paper:to-khai", "on"),
                        ("fix:full_name", "Võ Thị Sáu"),
                        ("fix:id_number", "087190001234"),
                        ("fix:date_of_birth", "1990-01-01"),
                        ("fix:phone", "0912345678"),
                        ("fix:address", "Ấp 9, xã Mỹ Hiệp"),
                    ])
                    .send()
                    .await
                    .expect("page act");
                // A dossier the officer may not read is not disclosed to a form either.
                let expected = if !can_read {
                    404
                } else if !allowed_roles(*action).contains(role) {
                    403
                } else {
                    303
                };
                let page_status = page.status().as_u16();
                let location = page
                    .headers()
                    .get("location")
                    .and_then(|l| l.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                assert_eq!(
                    page_status, expected,
                    "page: {role} ({scope} unit) doing {action}: {location}"
                );
                if expected == 303 && *action == Action::ReissueKey {
                    // A new key goes straight to the receipt that shows it.
                    assert!(location.ends_with("/bien-nhan"), "{location}");
                } else if expected == 303 {
                    assert!(location.ends_with(&format!("?ok={action}")), "{location}");
                }
                let after = env
                    .store
                    .dossier_row(&code)
                    .await
                    .expect("row")
                    .expect("exists");
                assert_eq!(
                    after.version != version.parse::<i64>().unwrap_or(0),
                    expected == 303,
                    "page: {role} ({scope}) doing {action} changed the dossier only if allowed"
                );
                let read = pages
                    .get(format!("{}/can-bo/ho-so/{code}", env.base))
                    .header("cookie", &cookie)
                    .send()
                    .await
                    .expect("page read");
                assert_eq!(
                    read.status().as_u16(),
                    if can_read { 200 } else { 404 },
                    "page: {role} ({scope}) reading"
                );
            }
        }
    }
}

/// A counter dossier of unit 30112 and the key its receptionist handed over.
async fn dossier_with_key(env: &Env) -> (String, String) {
    let (code, _) = dossier_in(env, Status::Received).await;
    // `dossier_in` drops the key; issue a fresh one as the counter would.
    let row = env
        .store
        .dossier_row(&code)
        .await
        .expect("read")
        .expect("row");
    let req = ActionRequest {
        action: "reissue_key".into(),
        version: row.version,
        ..ActionRequest::default()
    };
    let rec = env
        .store
        .act(
            &code,
            &req,
            &own(env, "own.receptionist").await,
            OffsetDateTime::now_utc(),
        )
        .await
        .expect("reissue");
    (code, rec.issued_key.expect("a new key"))
}

#[tokio::test]
async fn staff_never_hold_a_citizens_key_nor_act_in_the_citizens_name() {
    for env in envs().await {
        let (code, key) = dossier_with_key(&env).await;
        let pages = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        for role in [
            "own.receptionist",
            "own.leader",
            "own.unit-admin",
            "own.province-supervisor",
        ] {
            let token = env.token(role).await;
            // No staff answer or page carries the key.
            for path in [
                format!("/api/v1/dossiers/{code}"),
                format!("/api/v1/dossiers?unit={UNIT}"),
                format!("/can-bo/ho-so/{code}"),
                format!("/can-bo/ho-so/{code}/bien-nhan"),
            ] {
                let body = pages
                    .get(format!("{}{path}", env.base))
                    .header("cookie", format!("motcua_session={token}"))
                    .send()
                    .await
                    .expect("read")
                    .text()
                    .await
                    .expect("text");
                // Only the officer who issued it, on the receipt, for half an hour.
                let issuer_receipt = role == "own.receptionist" && path.ends_with("/bien-nhan");
                assert_eq!(
                    body.contains(&key),
                    issuer_receipt,
                    "{role} at {path}: key shown?"
                );
            }
            // With a staff session, the citizen's doors are shut, key or not.
            let r = env
                .http
                .post(format!(
                    "{}/api/v1/lookup/{code}/actions?key={key}",
                    env.base
                ))
                .bearer_auth(&token)
                .json(&json!({"action": "withdraw", "version": 2, "note": "rút"}))
                .send()
                .await
                .expect("act");
            assert_eq!(r.status().as_u16(), 403, "{role} acted as the citizen");
            let v: Value = r.json().await.expect("json");
            assert_eq!(v["error"]["code"], "staff_session");
            let r = env
                .http
                .get(format!("{}/api/v1/lookup/{code}?key={key}", env.base))
                .bearer_auth(&token)
                .send()
                .await
                .expect("lookup");
            assert_eq!(r.status().as_u16(), 403);
            for path in [
                format!("/tra-cuu?code={code}&key={key}"),
                format!("/tra-cuu/danh-gia?code={code}&key={key}"),
            ] {
                let r = pages
                    .get(format!("{}{path}", env.base))
                    .header("cookie", format!("motcua_session={token}"))
                    .send()
                    .await
                    .expect("page");
                assert_eq!(r.status().as_u16(), 403, "{role} at {path}");
            }
        }
        let row = env
            .store
            .dossier_row(&code)
            .await
            .expect("read")
            .expect("row");
        assert_eq!(
            row.status, "received",
            "nothing was done in the citizen's name"
        );
        // The citizen, without a session, withdraws; the event says through which door.
        let r = env
            .http
            .post(format!(
                "{}/api/v1/lookup/{code}/actions?key={key}",
                env.base
            ))
            .json(&json!({"action": "withdraw", "version": row.version, "note": "Tôi rút hồ sơ"}))
            .send()
            .await
            .expect("act");
        assert_eq!(r.status().as_u16(), 200);
        let rec = env.store.dossier(&code).await.expect("read").expect("rec");
        let last = rec.events.last().expect("event");
        assert_eq!(
            (last.role.as_str(), last.actor.as_str()),
            ("citizen", "citizen")
        );
        assert_eq!(
            serde_json::to_value(&last.payload).expect("json")["via"],
            "api"
        );
    }
}

#[tokio::test]
async fn lookup_keys_are_kept_only_as_keyed_hashes_and_a_new_key_voids_the_old() {
    for env in envs().await {
        let (code, key) = dossier_with_key(&env).await;
        let row = env
            .store
            .dossier_row(&code)
            .await
            .expect("read")
            .expect("row");
        assert_ne!(row.lookup_hash, key);
        assert!(!row.lookup_hash.contains(&key));
        // An unkeyed hash of the key is not what is stored either.
        assert_ne!(
            row.lookup_hash,
            motcua_domain::dossier::lookup_key_hash(b"", &code, &key)
        );
        if env.store.backend_name() == "sqlite" {
            let dir = env._dir.path();
            for entry in std::fs::read_dir(dir).expect("dir").flatten() {
                let bytes = std::fs::read(entry.path()).unwrap_or_default();
                assert!(
                    !bytes.windows(key.len()).any(|w| w == key.as_bytes()),
                    "the key is written in {}",
                    entry.path().display()
                );
            }
        }
        let look = |key: String| {
            let env = &env;
            let code = code.clone();
            async move {
                env.http
                    .get(format!("{}/api/v1/lookup/{code}?key={key}", env.base))
                    .send()
                    .await
                    .expect("lookup")
                    .status()
                    .as_u16()
            }
        };
        assert_eq!(look(key.clone()).await, 200);
        // The counter issues a new key: an event, the old key stops working.
        let token = env.token("own.receptionist").await;
        let r: Value = env
            .http
            .post(format!("{}/api/v1/dossiers/{code}/actions", env.base))
            .bearer_auth(&token)
            .json(&json!({"action": "reissue_key", "version": row.version}))
            .send()
            .await
            .expect("reissue")
            .json()
            .await
            .expect("json");
        let new_key = r["lookup_key"]
            .as_str()
            .expect("the answer carries the new key")
            .to_string();
        assert_ne!(new_key, key);
        assert_eq!(look(key).await, 404);
        assert_eq!(look(new_key).await, 200);
        let rec = env.store.dossier(&code).await.expect("read").expect("rec");
        let last = rec.events.last().expect("event");
        assert_eq!(last.action.as_str(), "reissue_key");
        assert_eq!(last.actor, "own.receptionist");
        assert_eq!(rec.row.status, "received");
        // A later read of the dossier does not carry it.
        let again: Value = env
            .http
            .get(format!("{}/api/v1/dossiers/{code}", env.base))
            .bearer_auth(&token)
            .send()
            .await
            .expect("read")
            .json()
            .await
            .expect("json");
        assert!(again.get("lookup_key").is_none());
    }
}

/// A second client on the loopback network: another machine, as the server sees it.
fn client_at(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(ip))
        .build()
        .expect("client")
}

async fn login_from(
    http: &reqwest::Client,
    env: &Env,
    name: &str,
    password: &str,
) -> (u16, Option<u64>, Value) {
    let r = http
        .post(format!("{}/api/v1/session", env.base))
        .json(&json!({"username": name, "password": password}))
        .send()
        .await
        .expect("login");
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (status, retry, r.json().await.expect("json"))
}

#[tokio::test]
async fn a_guessing_client_is_slowed_but_cannot_lock_the_officer_out() {
    use motcua_domain::signin::{FIRST_DELAY, FREE_FAILURES};
    for env in envs().await {
        let attacker = client_at([127, 0, 0, 2]);
        // Another one, so both stay under the plain per-client rate limit.
        let prober = client_at([127, 0, 0, 3]);
        // A known and an unknown account answer alike, failure after failure.
        for _ in 0..=FREE_FAILURES {
            let known = login_from(&attacker, &env, "own.leader", "sai-mat-khau").await;
            let unknown = login_from(&prober, &env, "khong.co.ai", "sai-mat-khau").await;
            assert_eq!(known.0, 401, "{known:?}");
            assert_eq!((known.0, &known.2), (unknown.0, &unknown.2));
        }
        // Now that client waits, even with the right password, and is told how long.
        let (status, retry, body) = login_from(&attacker, &env, "own.leader", PASSWORD).await;
        assert_eq!(status, 429, "{body}");
        assert_eq!(body["error"]["code"], "sign_in_slowed");
        let retry = retry.expect("Retry-After");
        assert!(
            (1..=FIRST_DELAY.as_secs()).contains(&retry),
            "Retry-After {retry}"
        );
        let unknown = login_from(&prober, &env, "khong.co.ai", PASSWORD).await;
        assert_eq!(
            (unknown.0, &unknown.2["error"]["code"]),
            (429, &body["error"]["code"])
        );
        // The officer at their own machine signs in meanwhile.
        let officer = login_from(&env.http, &env, "own.leader", PASSWORD).await;
        assert_eq!(officer.0, 200, "the officer was locked out: {officer:?}");
        // Their unit's administrator sees the slowed client and clears it;
        // another unit's administrator cannot even see the account.
        let other_admin = env.token("other.unit-admin").await;
        let r = env
            .http
            .delete(format!(
                "{}/api/v1/users/own.leader/sign-in-failures",
                env.base
            ))
            .bearer_auth(&other_admin)
            .send()
            .await
            .expect("clear");
        assert_eq!(r.status().as_u16(), 404);
        let admin = env.token("own.unit-admin").await;
        let seen: Value = env
            .http
            .get(format!(
                "{}/api/v1/users/own.leader/sign-in-failures",
                env.base
            ))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("json");
        assert_eq!(seen["clients"][0]["client"], "127.0.0.2", "{seen}");
        assert_eq!(seen["clients"][0]["failures"], FREE_FAILURES + 1);
        let r = env
            .http
            .delete(format!(
                "{}/api/v1/users/own.leader/sign-in-failures",
                env.base
            ))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("clear");
        assert_eq!(r.status().as_u16(), 200);
        let (status, _, body) = login_from(&attacker, &env, "own.leader", PASSWORD).await;
        assert_eq!(status, 200, "{body}");
    }
}

#[tokio::test]
async fn sign_in_failures_count_on_reset_on_success_and_expire() {
    use motcua_domain::signin::{FORGET_AFTER, FREE_FAILURES, MAX_DELAY};
    for env in envs().await {
        let store = &env.store;
        let start = OffsetDateTime::now_utc() - time::Duration::hours(2);
        let mut until = 0;
        for _ in 0..=FREE_FAILURES {
            until = store
                .record_sign_in("10.0.0.9", "own.leader", false, start)
                .await
                .expect("fail");
        }
        assert!(
            store
                .sign_in_blocked_until("10.0.0.9", "own.leader", start)
                .await
                .expect("read")
                == until
                && until > 0
        );
        // The count is forgotten once the wait and the forgetting time have passed.
        let later = start + MAX_DELAY + FORGET_AFTER + time::Duration::seconds(1);
        assert_eq!(
            store
                .sign_in_blocked_until("10.0.0.9", "own.leader", later)
                .await
                .expect("read"),
            0
        );
        let again = store
            .record_sign_in("10.0.0.9", "own.leader", false, later)
            .await
            .expect("fail");
        assert_eq!(
            again,
            (later.unix_timestamp_nanos() / 1_000_000) as i64,
            "counting starts over"
        );
        // A success forgets that client's failures.
        store
            .record_sign_in("10.0.0.9", "own.leader", true, later)
            .await
            .expect("ok");
        assert!(
            store
                .sign_in_failures("own.leader", later)
                .await
                .expect("list")
                .is_empty()
        );
    }
}

#[tokio::test]
async fn sign_ins_and_lookups_are_rate_limited_per_client() {
    for env in envs().await {
        let mut statuses = Vec::new();
        // Different names, so the per-account slowing down stays out of the way.
        for i in 0..12 {
            statuses.push(
                env.login(&format!("khong-co-ai-{i}"), "x")
                    .await
                    .status()
                    .as_u16(),
            );
        }
        assert_eq!(&statuses[..10], &[401; 10]);
        assert_eq!(statuses[11], 429);
        let (code, _) = dossier_in(&env, Status::Received).await;
        let mut last = None;
        for _ in 0..40 {
            let r = env
                .http
                .get(format!("{}/api/v1/lookup/{code}?key=AAAAAAAAAA", env.base))
                .send()
                .await
                .expect("lookup");
            if r.status().as_u16() == 429 {
                last = Some(r);
                break;
            }
            assert_eq!(r.status().as_u16(), 404);
        }
        let r = last.expect("lookups are limited");
        assert!(r.headers().get("retry-after").is_some());
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["error"]["code"], "rate_limited");
        // The page says it in words, with the same status.
        let page = env
            .http
            .get(format!("{}/tra-cuu?code={code}&key=AAAAAAAAAA", env.base))
            .send()
            .await
            .expect("page");
        assert_eq!(page.status().as_u16(), 429);
        assert!(page.text().await.expect("text").contains("thử lại sau"));
    }
}

#[tokio::test]
async fn cross_site_posts_are_refused_and_headers_are_set() {
    for env in envs().await {
        let token = env.token("own.receptionist").await;
        let (code, version) = dossier_in(&env, Status::Received).await;
        let resp = env
            .http
            .post(format!("{}/api/v1/dossiers/{code}/actions", env.base))
            .header("Cookie", format!("motcua_session={token}"))
            .header("Sec-Fetch-Site", "cross-site")
            .header("Origin", "https://evil.example")
            .json(&json!({"action": "withdraw", "version": version, "note": "x"}))
            .send()
            .await
            .expect("post");
        assert_eq!(resp.status().as_u16(), 403);
        assert_eq!(
            env.store
                .dossier_row(&code)
                .await
                .expect("read")
                .expect("row")
                .status,
            "received"
        );
        let api = env
            .http
            .get(format!("{}/api/v1/procedures", env.base))
            .send()
            .await
            .expect("api");
        let page = env
            .http
            .get(format!("{}/", env.base))
            .send()
            .await
            .expect("page");
        for r in [&api, &page] {
            let h = r.headers();
            assert_eq!(
                h.get("x-content-type-options")
                    .and_then(|v| v.to_str().ok()),
                Some("nosniff")
            );
            assert!(
                h.get("content-security-policy")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.contains("frame-ancestors 'none'"))
            );
            assert!(h.get("referrer-policy").is_some());
        }
        // Signing out ends the session.
        let out = env
            .http
            .delete(format!("{}/api/v1/session", env.base))
            .bearer_auth(&token)
            .send()
            .await
            .expect("logout");
        assert_eq!(out.status().as_u16(), 204);
        let me = env
            .http
            .get(format!("{}/api/v1/me", env.base))
            .bearer_auth(&token)
            .send()
            .await
            .expect("me");
        assert_eq!(me.status().as_u16(), 401);
    }
}

fn small_pdf(n: usize) -> Vec<u8> {
    format!("%PDF-1.4\n% tệp thử {n}\n%%EOF\n").into_bytes()
}

async fn upload_from(http: &reqwest::Client, env: &Env, n: usize) -> reqwest::Response {
    http.post(format!("{}/api/v1/uploads?filename=scan-{n}.pdf", env.base))
        .body(small_pdf(n))
        .send()
        .await
        .expect("upload")
}

#[tokio::test]
async fn anonymous_uploads_and_submissions_are_limited_per_client() {
    for env in envs().await {
        // Uploads: a burst of 20, then "wait", with the real wait; others go on.
        let flood = client_at([127, 0, 0, 4]);
        let mut statuses = Vec::new();
        for n in 0..24 {
            statuses.push(upload_from(&flood, &env, n).await);
        }
        let codes: Vec<u16> = statuses.iter().map(|r| r.status().as_u16()).collect();
        assert_eq!(&codes[..20], &[201; 20], "{codes:?}");
        assert_eq!(codes[23], 429, "{codes:?}");
        assert!(statuses[23].headers().get("retry-after").is_some());
        let other = client_at([127, 0, 0, 5]);
        assert_eq!(upload_from(&other, &env, 99).await.status().as_u16(), 201);

        // Submissions: a burst of 3 a client, then 429 and nothing written.
        let citizen = client_at([127, 0, 0, 6]);
        let mut codes = Vec::new();
        for n in 0..4 {
            let mut docs = serde_json::Map::new();
            for (i, doc) in ["to-khai", "giay-to-tuy-than"].iter().enumerate() {
                let r: Value = upload_from(&citizen, &env, 1000 + 10 * n + i)
                    .await
                    .json()
                    .await
                    .expect("json");
                docs.insert((*doc).into(), json!({"upload_id": r["id"]}));
            }
            let documents: Vec<Value> = docs
                .into_iter()
                .map(|(code, v)| json!({"code": code, "upload_id": v["upload_id"]}))
                .collect();
            let before = env.store.count_dossiers().await.expect("count");
            let r = citizen
                .post(format!("{}/api/v1/dossiers", env.base))
                .json(&json!({
                    "unit_code": UNIT,
                    "procedure_code": "HT-XNHN",
                    "applicant": {
                        "full_name": "Võ Thị Sáu", "id_number": "087190001234",
                        "date_of_birth": "1990-01-01", "phone": "0912345678",
                        "address": "Ấp 1, xã Mỹ Hiệp"
                    },
                    "documents": documents,
                }))
                .send()
                .await
                .expect("submit");
            let code = r.status().as_u16();
            let after = env.store.count_dossiers().await.expect("count");
            assert_eq!(after - before, i64::from(code == 201), "{code}");
            codes.push(code);
        }
        assert_eq!(codes, vec![201, 201, 201, 429]);
    }
}

#[tokio::test]
async fn unattached_uploads_are_capped_and_purged_with_their_files() {
    use motcua_store::uploads::UploadQuota;
    for env in envs().await {
        let store = &env.store;
        let now = OffsetDateTime::now_utc();
        let quota = |client: &str, per_client: u64, total: u64| UploadQuota {
            client: client.into(),
            per_client_bytes: per_client,
            total_bytes: total,
        };
        let a = small_pdf(1);
        let one = a.len() as u64;
        // Per client: the second file over the cap is refused; another client is not.
        store
            .upload_from(
                &a,
                None,
                "citizen",
                &quota("10.0.0.1", one + 10, 1 << 30),
                now,
            )
            .await
            .expect("first");
        let refused = store
            .upload_from(
                &small_pdf(2),
                None,
                "citizen",
                &quota("10.0.0.1", one + 10, 1 << 30),
                now,
            )
            .await
            .expect_err("over the client's cap");
        assert!(refused.to_string().contains("upload_quota"), "{refused}");
        store
            .upload_from(
                &small_pdf(3),
                None,
                "citizen",
                &quota("10.0.0.2", one + 10, 1 << 30),
                now,
            )
            .await
            .expect("another client");
        // In total: nobody gets in once everybody's files fill it.
        let full = store
            .upload_from(
                &small_pdf(4),
                None,
                "citizen",
                &quota("10.0.0.3", 1 << 30, 2 * one + 5),
                now,
            )
            .await
            .expect_err("over the total cap");
        assert!(full.to_string().contains("upload_quota"), "{full}");
        let usage = store.unattached_usage().await.expect("usage");
        assert_eq!(usage.total_files, 2);
        assert!(
            usage
                .clients
                .iter()
                .any(|(c, _, n)| c == "10.0.0.1" && *n == 1)
        );

        // A day later, what was never attached is gone, with its file.
        let old = store
            .upload_from(
                &small_pdf(5),
                None,
                "citizen",
                &quota("10.0.0.4", 1 << 30, 1 << 30),
                now - time::Duration::hours(25),
            )
            .await
            .expect("old");
        let sha = old.sha256.clone().expect("sha");
        assert!(store.blobs().get(&sha).await.is_ok());
        let report = store.purge_unattached(now).await.expect("purge");
        assert_eq!((report.files, report.blobs), (1, 1));
        assert!(
            store.blobs().get(&sha).await.is_err(),
            "the file is deleted"
        );
        assert!(store.document(&old.id).await.expect("read").is_none());
        assert_eq!(
            store.unattached_usage().await.expect("usage").total_files,
            2
        );

        // The administrator reads the figures; others may not.
        let admin = env.token("own.admin").await;
        let page = env
            .http
            .get(format!("{}/can-bo/tai-len-chua-dung", env.base))
            .header("cookie", format!("motcua_session={admin}"))
            .send()
            .await
            .expect("page");
        assert_eq!(page.status().as_u16(), 200);
        let text = page.text().await.expect("text");
        assert!(
            text.contains("10.0.0.1") && text.contains("id=\"last-purge\""),
            "{text}"
        );
        assert!(text.contains("1 tệp"), "the last purge is shown: {text}");
        let leader = env.token("own.leader").await;
        let r = env
            .http
            .get(format!("{}/can-bo/tai-len-chua-dung", env.base))
            .header("cookie", format!("motcua_session={leader}"))
            .send()
            .await
            .expect("page");
        assert_eq!(r.status().as_u16(), 403);
    }
}

#[tokio::test]
async fn redirects_after_settings_and_sign_in_stay_on_this_site() {
    for env in envs().await {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        for back in [
            "/%09/evil.example",
            "//evil.example",
            "/%5Cevil.example",
            "/%0D%0ALocation:%20x",
        ] {
            let r = http
                .get(format!("{}/cai-dat?lang=en&back={back}", env.base))
                .send()
                .await
                .expect("settings");
            assert_eq!(r.status().as_u16(), 303, "{back}");
            assert_eq!(r.headers()["location"], "/", "{back}");
        }
        // After a right password, a bad `next` goes to the officer's home, never a 500.
        for next in ["/\t/evil.example", "/\r\nSet-Cookie: x=1", "//evil.example"] {
            let r = http
                .post(format!("{}/dang-nhap", env.base))
                .form(&[
                    ("username", "own.leader"),
                    ("password", PASSWORD),
                    ("next", next),
                ])
                .send()
                .await
                .expect("sign in");
            assert_eq!(r.status().as_u16(), 303, "{next:?}");
            let to = r.headers()["location"]
                .to_str()
                .expect("location")
                .to_string();
            assert!(
                to.starts_with('/') && !to.starts_with("//"),
                "{next:?} → {to:?}"
            );
        }
    }
}

#[tokio::test]
async fn personal_data_is_not_cached_a_lower_case_bearer_works_and_big_json_is_413() {
    for env in envs().await {
        let (code, key) = dossier_with_key(&env).await;
        let token = env.token("own.receptionist").await;
        let r = env
            .http
            .get(format!("{}/api/v1/dossiers/{code}", env.base))
            .header("authorization", format!("bearer {token}"))
            .send()
            .await
            .expect("read");
        assert_eq!(r.status().as_u16(), 200, "lower-case bearer");
        assert_eq!(r.headers()["cache-control"], "no-store");
        for path in [
            format!("/tra-cuu?code={code}&key={key}"),
            format!("/api/v1/lookup/{code}?key={key}"),
        ] {
            let r = env
                .http
                .get(format!("{}{path}", env.base))
                .send()
                .await
                .expect("lookup");
            assert_eq!(r.status().as_u16(), 200, "{path}");
            assert_eq!(r.headers()["cache-control"], "no-store", "{path}");
        }
        // The officer's dossier page, with the session cookie.
        for path in [
            format!("/can-bo/ho-so/{code}"),
            format!("/can-bo/ho-so/{code}/ket-qua"),
        ] {
            let r = env
                .http
                .get(format!("{}{path}", env.base))
                .header("cookie", format!("motcua_session={token}"))
                .send()
                .await
                .expect("page");
            assert_eq!(r.status().as_u16(), 200, "{path}");
            assert_eq!(r.headers()["cache-control"], "no-store", "{path}");
        }
        let huge = format!(
            "{{\"unit_code\":\"{UNIT}\",\"pad\":\"{}\"}}",
            "x".repeat(10 * 1024 * 1024)
        );
        let r = client_at([127, 0, 0, 7])
            .post(format!("{}/api/v1/dossiers", env.base))
            .header("content-type", "application/json")
            .body(huge)
            .send()
            .await
            .expect("post");
        assert_eq!(r.status().as_u16(), 413);
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["error"]["code"], "body_too_large");
    }
}

/// A raw connection: what was read until the server closed it (or `None` if
/// it stayed open past `wait`).
async fn read_until_closed(
    s: &mut tokio::net::TcpStream,
    wait: std::time::Duration,
) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(wait, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(String::from_utf8_lossy(&got).into_owned()),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => return None,
        }
    }
}

#[tokio::test]
async fn half_sent_and_idle_connections_are_closed_and_connections_are_capped() {
    use tokio::io::AsyncWriteExt;
    let env = envs().await.remove(0);
    let mut limits = motcua_web::limits::Limits::from_settings(&Default::default());
    limits.connections.header_timeout = std::time::Duration::from_secs(1);
    limits.connections.max_connections = 1;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(motcua_web::serve_with(
        listener,
        AppState::new(env.store.clone()),
        limits,
        std::future::pending(),
    ));
    let long = std::time::Duration::from_secs(20);
    // Half a request: closed once the header deadline passes, not kept for ever.
    let mut half = tokio::net::TcpStream::connect(addr).await.expect("connect");
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    // The only connection slot is taken: this one waits in the queue…
    let mut next = tokio::net::TcpStream::connect(addr).await.expect("connect");
    next.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    // …until the half request is dropped; then it is served, and kept alive
    // only until the header deadline passes without a new request.
    assert!(
        read_until_closed(&mut half, long).await.is_some(),
        "half request kept open"
    );
    let answer = read_until_closed(&mut next, long)
        .await
        .expect("idle connection kept open");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn text_the_documents_cannot_print_is_refused_and_bidi_controls_are_stripped() {
    for env in envs().await {
        let token = env.token("own.receptionist").await;
        let body = |name: &str, address: &str| {
            json!({
                "unit_code": UNIT, "procedure_code": "HT-XNHN",
                "applicant": {"full_name": name, "id_number": "087190001234",
                    "date_of_birth": "1990-01-01", "phone": "0912345678", "address": address},
                "documents": [{"code": "to-khai", "paper": true}, {"code": "giay-to-tuy-than", "paper": true}],
            })
        };
        let post = |b: Value| {
            let env = &env;
            let token = token.clone();
            async move {
                let r = env
                    .http
                    .post(format!("{}/api/v1/counter/dossiers", env.base))
                    .bearer_auth(&token)
                    .json(&b)
                    .send()
                    .await
                    .expect("post");
                (r.status().as_u16(), r.json::<Value>().await.expect("json"))
            }
        };
        // An emoji in the address: refused where it is typed, with the field and the character.
        let (status, v) = post(body("Võ Thị Sáu", "Ấp 1 🏠, xã Mỹ Hiệp")).await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["error"]["field"], "applicant.address");
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("U+1F3E0")),
            "{v}"
        );
        // A right-to-left override inside a name: dropped, the name kept.
        let (status, v) = post(body("Võ Thị\u{202E} Sáu", "Ấp 1, xã Mỹ Hiệp")).await;
        assert_eq!(status, 201, "{v}");
        assert_eq!(v["applicant"]["full_name"], "Võ Thị Sáu");
        // The receipt of that dossier prints.
        let code = v["code"].as_str().expect("code");
        let r = env
            .http
            .get(format!("{}/api/v1/dossiers/{code}/forms/01", env.base))
            .bearer_auth(&token)
            .send()
            .await
            .expect("form");
        assert_eq!(r.status().as_u16(), 200);
    }
}

#[tokio::test]
async fn each_role_reads_only_what_the_role_by_data_table_allows() {
    use motcua_domain::lifecycle::{Reading, reading};
    for env in envs().await {
        let (code, _) = dossier_in(&env, Status::Received).await;
        let rec = env.store.dossier(&code).await.expect("read").expect("rec");
        let name = rec.row.applicant_name.clone();
        let masked = motcua_domain::text::mask_name(&name);
        assert_ne!(name, masked);
        // A scan in the dossier, to read as each role.
        let scan = env
            .store
            .upload(
                &small_pdf(1),
                Some("cccd.pdf"),
                "own.receptionist",
                OffsetDateTime::now_utc(),
            )
            .await
            .expect("upload");
        let supplied = env
            .store
            .act(
                &code,
                &ActionRequest {
                    action: "request_supplement".into(),
                    version: rec.row.version,
                    note: Some("thiếu bản quét".into()),
                    ..ActionRequest::default()
                },
                &own(&env, "own.receptionist").await,
                OffsetDateTime::now_utc(),
            )
            .await
            .expect("ask");
        env.store
            .act(
                &code,
                &ActionRequest {
                    action: "supplement".into(),
                    version: supplied.row.version,
                    documents: vec![DocumentRef {
                        code: "giay-to-tuy-than".into(),
                        upload_id: Some(scan.id.clone()),
                        paper: false,
                    }],
                    ..ActionRequest::default()
                },
                &own(&env, "own.receptionist").await,
                OffsetDateTime::now_utc(),
            )
            .await
            .expect("supplement");
        for role in Role::ALL {
            let who = format!("own.{}", role.as_str().replace('_', "-"));
            let token = env.token(&who).await;
            let get = |path: String| {
                let (http, token) = (env.http.clone(), token.clone());
                let url = format!("{}{path}", env.base);
                async move { http.get(url).bearer_auth(token).send().await.expect("get") }
            };
            let full = reading(*role) == Reading::Full;
            // The dossier itself, its scan and its form: only who processes it.
            for path in [
                format!("/api/v1/dossiers/{code}"),
                format!("/api/v1/documents/{}", scan.id),
                format!("/api/v1/dossiers/{code}/forms/05"),
            ] {
                let status = get(path.clone()).await.status().as_u16();
                assert_eq!(status == 200, full, "{role} reading {path}: {status}");
                if !full {
                    assert_eq!(status, 404, "{role} {path}: like an unknown dossier");
                }
            }
            // Work lists: names masked below full reading; none for the system admin.
            let r = get(format!("/api/v1/dossiers?unit={UNIT}")).await;
            if reading(*role) == Reading::Nothing {
                assert_eq!(r.status().as_u16(), 403, "{role} lists dossiers");
                let v: Value = r.json().await.expect("json");
                assert_eq!(v["error"]["code"], "no_dossier_access", "{role}");
            } else {
                assert_eq!(r.status().as_u16(), 200, "{role} list");
                let v: Value = r.json().await.expect("json");
                let item = v["items"]
                    .as_array()
                    .and_then(|a| a.iter().find(|i| i["code"] == code.as_str()))
                    .unwrap_or_else(|| panic!("{role}: {code} not listed: {v}"))
                    .clone();
                let shown = if full { &name } else { &masked };
                assert_eq!(item["applicant_name"], shown.as_str(), "{role}");
            }
            // Figures: every role of the unit, the province and the system.
            let r = get(format!("/api/v1/index/units/{UNIT}")).await;
            assert_eq!(r.status().as_u16(), 200, "{role} reads the unit's figures");
        }
    }
}
