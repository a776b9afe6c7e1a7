//! `motcua bench run`: the real HTTP server, started in-process on
//! 127.0.0.1:0 over the database (or one given by --url), driven over
//! loopback by a bounded load that stops by itself, phase after phase:
//!
//! 1. intake: online submissions (one POST /api/v1/uploads per required
//!    document, then POST /api/v1/dossiers) and counter intake (POST
//!    /api/v1/counter/dossiers with paper documents); then, for comparison,
//!    the counter intake through the store without HTTP, and the same rows
//!    as the online intake written straight into the database;
//! 2. transitions receive → assign → propose → approve → return_result over
//!    POST /api/v1/dossiers/{code}/actions with staff bearer tokens;
//! 3. public lookups GET /api/v1/lookup/{code}?key= of dossiers all over the database;
//! 4. staff work lists GET /api/v1/dossiers at the first page, at a deep
//!    cursor, and page after page following next_cursor;
//! 5. peak RSS of this process (server and load together) and database size.
//!
//! Client and server share the machine's cores, so each throughput is what
//! the server does with the CPU the load generator leaves it.

use super::client::{Client, Response, Target};
use super::generate::{GenerateArgs, build_world, cumulative, pick_cum, procedure_weight};
use super::{Rng, UnitStaff, ensure_staff, placeholder_pdf, supervisor_name, thousands};
use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use motcua_domain::calendar::VN_OFFSET;
use motcua_domain::dossier::ApplicantInput;
use motcua_domain::lifecycle::Channel;
use motcua_store::{Actor, DocumentRef, NewDossier, Store};
use serde_json::{Value, json};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tokio::task::JoinSet;

#[derive(Args, Clone, Debug)]
pub struct RunArgs {
    /// Seconds of load for each intake, transition and lookup phase (each
    /// work-list phase gets a quarter of it).
    #[arg(long, default_value_t = 10)]
    pub duration_secs: u64,
    /// Concurrent clients (each one keep-alive connection).
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// A run of a few seconds in all, to check that the command works.
    #[arg(long)]
    pub smoke: bool,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
    /// Drive a server already running over the same database (http://host:port).
    #[arg(long)]
    pub url: Option<String>,
    #[arg(long, default_value = "82")]
    pub province: String,
    /// Units whose generated staff take part in intake and transitions.
    #[arg(long, default_value_t = 8)]
    pub units: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Only these phases (comma-separated): intake, transitions, lookup, lists.
    /// Transitions need the dossiers of the intake.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
}

/// One measured phase.
#[derive(Debug, Default)]
struct Phase {
    name: String,
    what: &'static str,
    count: u64,
    errors: u64,
    seconds: f64,
    /// Microseconds per operation, when measured one by one.
    latencies: Vec<u32>,
    first_error: Option<String>,
    /// VmRSS of the process when the phase ended.
    rss_after: Option<u64>,
}

impl Phase {
    fn rate(&self) -> f64 {
        self.count as f64 / self.seconds.max(1e-9)
    }
    fn percentile(&self, q: f64) -> Option<f64> {
        if self.latencies.is_empty() {
            return None;
        }
        let mut v = self.latencies.clone();
        v.sort_unstable();
        let i = ((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1;
        Some(f64::from(v[i]) / 1000.0)
    }
    fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "unit": self.what,
            "count": self.count,
            "errors": self.errors,
            "seconds": round3(self.seconds),
            "per_second": round3(self.rate()),
            "p50_ms": self.percentile(0.50).map(round3),
            "p99_ms": self.percentile(0.99).map(round3),
            "max_ms": self.percentile(1.0).map(round3),
            "rss_after_bytes": self.rss_after,
        })
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// What a worker brings back.
#[derive(Default)]
struct Out {
    count: u64,
    errors: u64,
    latencies: Vec<u32>,
    first_error: Option<String>,
    created: Vec<Created>,
}

impl Out {
    fn fail(&mut self, what: String) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(what);
        }
    }
    /// The parsed body of a 2xx answer; anything else counted as an error.
    fn check(&mut self, r: std::io::Result<Response>, what: &str) -> Option<Value> {
        self.check_status(r, what)
            .map(|resp| resp.json().unwrap_or(Value::Null))
    }

    /// A 2xx answer, unparsed (parsing would add the client's work to the server's).
    fn check_status(&mut self, r: std::io::Result<Response>, what: &str) -> Option<Response> {
        match r {
            Ok(resp) if resp.ok() => Some(resp),
            Ok(resp) => {
                let body = String::from_utf8_lossy(&resp.body);
                self.fail(format!(
                    "{what}: HTTP {} {}",
                    resp.status,
                    body.chars().take(300).collect::<String>()
                ));
                None
            }
            Err(e) => {
                self.fail(format!("{what}: {e}"));
                None
            }
        }
    }
}

/// A dossier made during the run.
#[derive(Clone, Debug)]
struct Created {
    code: String,
    unit: usize,
    version: i64,
    online: bool,
    /// Its status as filed (a counter dossier of a pay-first procedure waits for payment).
    status: String,
}

/// Staff of one unit, signed in.
struct UnitSession {
    code: String,
    name: String,
    receptionist: String,
    specialist: String,
    specialist_name: String,
    leader: String,
}

struct Ctx {
    target: Target,
    units: Vec<UnitSession>,
    supervisor: String,
    procedures: Vec<(String, Vec<String>)>,
    proc_cum: Vec<f64>,
    samples: Vec<(String, String)>,
    deep_cursor: i64,
}

fn micros(since: Instant) -> u32 {
    since.elapsed().as_micros().min(u128::from(u32::MAX)) as u32
}

/// Run `n` workers to completion; the phase lasts from the first start to the last end.
async fn workers<F, Fut>(name: &str, what: &'static str, n: usize, f: F) -> (Phase, Vec<Created>)
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Out> + Send + 'static,
{
    let started = Instant::now();
    let mut set = JoinSet::new();
    for w in 0..n {
        set.spawn(f(w));
    }
    let mut phase = Phase {
        name: name.to_string(),
        what,
        ..Phase::default()
    };
    let mut created = Vec::new();
    while let Some(r) = set.join_next().await {
        match r {
            Ok(out) => {
                phase.count += out.count;
                phase.errors += out.errors;
                phase.latencies.extend(out.latencies);
                if phase.first_error.is_none() {
                    phase.first_error = out.first_error;
                }
                created.extend(out.created);
            }
            Err(e) => {
                phase.errors += 1;
                phase.first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    phase.seconds = started.elapsed().as_secs_f64();
    phase.rss_after = proc_status_bytes("VmRSS:");
    if let Some(e) = &phase.first_error {
        eprintln!("  {name}: {} errors, first: {e}", phase.errors);
    }
    (phase, created)
}

async fn login(target: &Target, username: &str) -> Result<String> {
    let mut c = Client::new(target.clone());
    let r = c
        .post_json(
            "/api/v1/session",
            None,
            &json!({ "username": username, "password": BENCH_PASSWORD.get().map_or("", String::as_str) }),
        )
        .await?;
    if !r.ok() {
        bail!(
            "cannot sign in as {username}: HTTP {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
    }
    r.json()
        .and_then(|v| v.get("token").and_then(Value::as_str).map(str::to_string))
        .ok_or_else(|| anyhow!("no token in the sign-in answer"))
}

fn applicant(rng: &mut Rng, unit_name: &str) -> Value {
    const NAMES: &[&str] = &[
        "Nguyễn Văn An",
        "Trần Thị Bình",
        "Lê Hoàng Châu",
        "Phạm Minh Dũng",
        "Huỳnh Ngọc Hạnh",
        "Võ Thanh Tâm",
    ];
    // The personal number encodes the year of birth (checked as the kiosk does).
    let year = rng.range(60, 99);
    json!({
        "full_name": rng.pick(NAMES),
        "id_number": format!("0870{year:02}{:06}", rng.below(1_000_000)),
        "date_of_birth": format!("19{year}-{:02}-{:02}", rng.range(1, 12), rng.range(1, 28)),
        "phone": format!("09{:08}", rng.below(100_000_000)),
        "address": format!("Ấp {}, {unit_name}", rng.range(1, 9)),
    })
}

fn pick_procedure<'a>(ctx: &'a Ctx, rng: &mut Rng) -> &'a (String, Vec<String>) {
    &ctx.procedures[pick_cum(rng, &ctx.proc_cum)]
}

/// One online submission: an upload per required document, then the dossier.
async fn intake_online(
    c: &mut Client,
    ctx: &Ctx,
    rng: &mut Rng,
    out: &mut Out,
    tag: &str,
) -> Option<Created> {
    let unit = rng.below(ctx.units.len() as u64) as usize;
    let u = &ctx.units[unit];
    let (procedure, required) = pick_procedure(ctx, rng);
    let mut documents = Vec::new();
    for (i, doc) in required.iter().enumerate() {
        // Unique bytes: each upload is a new file, as real scans are.
        let pdf = placeholder_pdf(&format!("motcua bench upload {tag}-{i} {}", rng.next_u64()));
        let r = c
            .request(
                "POST",
                &format!("/api/v1/uploads?filename={doc}.pdf"),
                None,
                Some("application/pdf"),
                &pdf,
            )
            .await;
        let v = out.check(r, "upload")?;
        let id = v.get("id").and_then(Value::as_str)?.to_string();
        documents.push(json!({ "code": doc, "upload_id": id }));
    }
    let body = json!({
        "unit_code": u.code,
        "procedure_code": procedure,
        "applicant": applicant(rng, &u.name),
        "documents": documents,
    });
    let v = out.check(c.post_json("/api/v1/dossiers", None, &body).await, "submit")?;
    Some(Created {
        code: v.get("code")?.as_str()?.to_string(),
        unit,
        version: v.get("version")?.as_i64()?,
        online: true,
        status: v.get("status")?.as_str()?.to_string(),
    })
}

/// One dossier typed at the counter, its documents seen on paper.
async fn intake_counter(
    c: &mut Client,
    ctx: &Ctx,
    rng: &mut Rng,
    out: &mut Out,
) -> Option<Created> {
    let unit = rng.below(ctx.units.len() as u64) as usize;
    let u = &ctx.units[unit];
    let (procedure, required) = pick_procedure(ctx, rng);
    let documents: Vec<Value> = required
        .iter()
        .map(|d| json!({ "code": d, "paper": true }))
        .collect();
    let body = json!({
        "unit_code": u.code,
        "procedure_code": procedure,
        "applicant": applicant(rng, &u.name),
        "documents": documents,
        "channel": "counter",
    });
    let r = c
        .post_json("/api/v1/counter/dossiers", Some(&u.receptionist), &body)
        .await;
    let v = out.check(r, "counter intake")?;
    Some(Created {
        code: v.get("code")?.as_str()?.to_string(),
        unit,
        version: v.get("version")?.as_i64()?,
        online: false,
        status: v.get("status")?.as_str()?.to_string(),
    })
}

/// A counter dossier for the store API, like the one [`intake_counter`] posts.
fn counter_dossier(ctx: &Ctx, unit: usize, rng: &mut Rng) -> NewDossier {
    let u = &ctx.units[unit];
    let (procedure, required) = pick_procedure(ctx, rng);
    let applicant: ApplicantInput =
        serde_json::from_value(applicant(rng, &u.name)).unwrap_or_default();
    NewDossier {
        unit_code: u.code.clone(),
        procedure_code: procedure.clone(),
        channel: Channel::Counter,
        applicant,
        fields: json!({}),
        documents: required
            .iter()
            .map(|d| DocumentRef {
                code: d.clone(),
                upload_id: None,
                paper: true,
            })
            .collect(),
    }
}

/// Walk one dossier to `returned`, one measured request per transition.
async fn transitions(c: &mut Client, ctx: &Ctx, d: &Created, deadline: Instant, out: &mut Out) {
    let u = &ctx.units[d.unit];
    let mut steps: Vec<(&str, &str, Option<&str>)> = Vec::new();
    if d.online {
        steps.push(("receive", &u.receptionist, None));
    }
    steps.push(("assign", &u.receptionist, Some(&u.specialist_name)));
    steps.push(("propose", &u.specialist, None));
    steps.push(("approve", &u.leader, None));
    steps.push(("return_result", &u.receptionist, None));
    let mut version = d.version;
    let mut status = d.status.clone();
    for (action, token, assignee) in steps {
        if Instant::now() >= deadline {
            return;
        }
        // A procedure paid before processing: the counter takes the fee first.
        if status == "awaiting_payment" {
            let t = Instant::now();
            let r = c
                .post_json(
                    &format!("/api/v1/dossiers/{}/actions", d.code),
                    Some(&u.receptionist),
                    &json!({ "action": "record_payment", "version": version }),
                )
                .await;
            let Some(v) = out.check(r, "record_payment") else {
                return;
            };
            out.latencies.push(micros(t));
            out.count += 1;
            match v.get("version").and_then(Value::as_i64) {
                Some(n) => version = n,
                None => return,
            }
        }
        let mut body = json!({ "action": action, "version": version });
        if let Some(a) = assignee {
            body["assignee"] = json!(a);
        }
        let t = Instant::now();
        let r = c
            .post_json(
                &format!("/api/v1/dossiers/{}/actions", d.code),
                Some(token),
                &body,
            )
            .await;
        let Some(v) = out.check(r, action) else {
            return;
        };
        out.latencies.push(micros(t));
        out.count += 1;
        match v.get("version").and_then(Value::as_i64) {
            Some(n) => version = n,
            None => return,
        }
        status = v
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
    }
}

/// The request a GET worker makes next: (path, bearer token).
type Pick = Arc<dyn Fn(&Ctx, &mut Rng, u64) -> (String, Option<String>) + Send + Sync>;

/// `clients` workers repeating GET requests until `secs` have passed.
async fn get_phase(
    ctx: &Arc<Ctx>,
    name: String,
    clients: usize,
    secs: f64,
    seed: u64,
    pick: Pick,
) -> Phase {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let (p, _) = workers(&name, "requests", clients, |w| {
        let ctx = ctx.clone();
        let pick = pick.clone();
        async move {
            let mut c = Client::new(ctx.target.clone());
            let mut rng = Rng::new(seed, 13, w as u64);
            let mut out = Out::default();
            let mut i = w as u64;
            while Instant::now() < deadline {
                i += 1;
                let (path, token) = pick(&ctx, &mut rng, i);
                let t = Instant::now();
                let r = c.get(&path, token.as_deref()).await;
                if out.check_status(r, "GET").is_some() {
                    out.latencies.push(micros(t));
                    out.count += 1;
                }
            }
            out
        }
    })
    .await;
    p
}

/// `n` online submissions like those of the HTTP intake, written straight
/// into the database in one transaction; returns the phase and the rows written.
async fn raw_insert(store: &Store, args: &RunArgs, n: u64) -> Result<(Phase, u64)> {
    let now = OffsetDateTime::now_utc().to_offset(VN_OFFSET);
    let now = now.replace_nanosecond(0).unwrap_or(now);
    let world = build_world(
        store,
        &GenerateArgs {
            dossiers: n,
            years: 1,
            seed: args.seed,
            province: args.province.clone(),
            until: None,
            drop_indexes: false,
        },
        now,
    )
    .await?;
    let mut loader = store.bulk_loader().await?;
    let mut counters = loader.counters(now.date(), now.date()).await?;
    let rows = world.submissions(n, loader.next_id(), &mut counters)?;
    let written: u64 = rows
        .iter()
        .map(|d| 1 + d.events.len() as u64 + d.documents.len() as u64)
        .sum();
    // Timed: the writing and the commit, not the making of the rows.
    let t = Instant::now();
    for chunk in rows.chunks(5000) {
        loader.insert(chunk).await?;
    }
    loader.save_counters(&counters).await?;
    let seconds = t.elapsed().as_secs_f64();
    loader.finish().await?;
    let phase = Phase {
        name: format!(
            "raw insert, same rows as online intake ({:.1} rows each)",
            written as f64 / n.max(1) as f64
        ),
        what: "dossiers",
        count: n,
        seconds,
        rss_after: proc_status_bytes("VmRSS:"),
        ..Phase::default()
    };
    Ok((phase, written))
}

/// A size line of /proc/self/status ("VmHWM:", "VmRSS:"), in bytes.
fn proc_status_bytes(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn human_bytes(b: f64) -> String {
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else {
        format!("{:.1} MB", b / 1e6)
    }
}

/// The generated accounts' password for this run (set once, at its start).
static BENCH_PASSWORD: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// The per-client limits of the public lookup and of signing in would
/// measure the limiter, not the server: all the load comes from one address,
/// standing for thousands of citizens. They are off for the in-process
/// server unless set explicitly.
const LIMITS: [&str; 7] = [
    "MOTCUA_LOOKUP_PER_MINUTE",
    "MOTCUA_LOGIN_PER_MINUTE",
    "MOTCUA_UPLOADS_PER_MINUTE",
    "MOTCUA_SUBMISSIONS_PER_MINUTE",
    "MOTCUA_SUBMISSIONS_PER_DAY",
    "MOTCUA_UNATTACHED_MB_PER_CLIENT",
    "MOTCUA_UNATTACHED_MB_TOTAL",
];

pub async fn run(store: Store, args: &RunArgs) -> Result<()> {
    let (phase_secs, concurrency, walk_pages, n_units, samples) = if args.smoke {
        (1.0, args.concurrency.min(4), 3, args.units.min(2), 50)
    } else {
        (
            args.duration_secs.max(1) as f64,
            args.concurrency.max(1),
            100,
            args.units.max(1),
            2000,
        )
    };
    let list_secs = (phase_secs / 4.0).max(0.5);
    let dossiers_before = store.count_dossiers().await?;

    // Units spread over the province, and their generated staff.
    let mut all_units = store.units(Some(&args.province)).await?;
    if all_units.is_empty() {
        bail!("province {} has no units", args.province);
    }
    all_units.sort_by(|a, b| a.code.cmp(&b.code));
    let step = (all_units.len() / n_units).max(1);
    let chosen: Vec<_> = all_units
        .iter()
        .step_by(step)
        .take(n_units)
        .cloned()
        .collect();
    let codes: Vec<String> = chosen.iter().map(|u| u.code.clone()).collect();
    // A fresh password for the generated accounts, known to this run only.
    let (password, hash) = super::new_password()?;
    ensure_staff(&store, &args.province, &codes, &hash).await?;
    store
        .set_password_hash_of_prefix(super::BENCH_PREFIX, &hash)
        .await?;
    BENCH_PASSWORD
        .set(password)
        .map_err(|_| anyhow!("bench run started twice in one process"))?;

    // The server.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (target, server) = match &args.url {
        Some(url) => {
            eprintln!(
                "note: start that server with {}=0 and {}=0, or lookups and sign-ins are refused after the first few",
                LIMITS[0], LIMITS[1]
            );
            (Target::parse(url)?, None)
        }
        None => {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let addr = listener.local_addr()?;
            // The load stands for many citizens behind one address: no
            // per-client limit applies.
            let mut state = motcua_web::AppState::new(store.clone());
            let mut config = (*state.config).clone();
            config.limits = motcua_app::config::LimitSettings {
                lookups_per_minute: 0,
                logins_per_minute: 0,
                uploads_per_minute: 0,
                submissions_per_minute: 0,
                submissions_per_day: 0,
                unattached_mb_per_client: 0,
                unattached_mb_total: 0,
                ..config.limits
            };
            state.config = std::sync::Arc::new(config);
            let handle = tokio::spawn(motcua_web::serve(listener, state, async {
                let _ = stopped.await;
            }));
            (
                Target {
                    addr,
                    host: addr.to_string(),
                },
                Some(handle),
            )
        }
    };

    let mut units = Vec::new();
    for u in &chosen {
        let staff = UnitStaff::of(&u.code);
        units.push(UnitSession {
            receptionist: login(&target, &staff.receptionists[0]).await?,
            specialist: login(&target, &staff.specialists[0]).await?,
            specialist_name: staff.specialists[0].clone(),
            leader: login(&target, &staff.leaders[0]).await?,
            code: u.code.clone(),
            name: u.name.clone(),
        });
    }
    let supervisor = login(&target, &supervisor_name(&args.province)).await?;
    let procedures: Vec<(String, Vec<String>)> = store
        .procedures()
        .await?
        .iter()
        .map(|p| {
            (
                p.code.clone(),
                p.required_documents().map(|d| d.code.clone()).collect(),
            )
        })
        .collect();
    let proc_cum = cumulative(procedures.iter().map(|(c, _)| procedure_weight(c)));
    let ctx = Ctx {
        target,
        units,
        supervisor,
        procedures,
        proc_cum,
        samples: Vec::new(),
        deep_cursor: 0,
    };
    eprintln!(
        "bench run on {} ({} dossiers), {} clients, {phase_secs} s per phase",
        store.backend_name(),
        thousands(dossiers_before as u64),
        concurrency
    );
    let want = |phase: &str| args.only.is_empty() || args.only.iter().any(|o| o == phase);
    let seed = args.seed;
    let mut phases = Vec::new();
    let mut raw_rows = 0;
    let mut ctx = Arc::new(ctx);

    // Generated dossiers have keys derived from their codes (only hashes are
    // stored); those the run itself submits do not, so lookups sample these.
    let generated = store.dossier_id_range().await?;
    // 1. Intake over HTTP, then the same rows straight into the database.
    let mut made = Vec::new();
    if want("intake") {
        let deadline = Instant::now() + Duration::from_secs_f64(phase_secs);
        let (mut p, online) = workers("intake, online", "dossiers", concurrency, |w| {
            let ctx = ctx.clone();
            async move {
                let mut c = Client::new(ctx.target.clone());
                let mut rng = Rng::new(seed, 10, w as u64);
                let mut out = Out::default();
                let mut i = 0u64;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    i += 1;
                    let tag = format!("{w}-{i}");
                    if let Some(d) = intake_online(&mut c, &ctx, &mut rng, &mut out, &tag).await {
                        out.latencies.push(micros(t));
                        out.count += 1;
                        out.created.push(d);
                    }
                }
                out
            }
        })
        .await;
        let docs: usize = ctx.procedures.iter().map(|(_, r)| r.len()).sum();
        let avg = docs as f64 / ctx.procedures.len().max(1) as f64;
        p.name = format!("intake, online ({avg:.1} uploads avg + submit)");
        let online_count = p.count;
        phases.push(p);
        made.extend(online);

        let deadline = Instant::now() + Duration::from_secs_f64(phase_secs);
        let (p, counter) = workers(
            "intake, counter (paper documents)",
            "dossiers",
            concurrency,
            |w| {
                let ctx = ctx.clone();
                async move {
                    let mut c = Client::new(ctx.target.clone());
                    let mut rng = Rng::new(seed, 11, w as u64);
                    let mut out = Out::default();
                    while Instant::now() < deadline {
                        let t = Instant::now();
                        if let Some(d) = intake_counter(&mut c, &ctx, &mut rng, &mut out).await {
                            out.latencies.push(micros(t));
                            out.count += 1;
                            out.created.push(d);
                        }
                    }
                    out
                }
            },
        )
        .await;
        phases.push(p);
        made.extend(counter);

        // The same counter intake through the store without HTTP: what the
        // HTTP layer costs, and what the one writer allows.
        let mut receptionists = Vec::new();
        for u in &ctx.units {
            let name = &UnitStaff::of(&u.code).receptionists[0];
            let user = store
                .user_by_username(name)
                .await?
                .ok_or_else(|| anyhow!("no user {name}"))?;
            receptionists.push(Actor::Staff(user));
        }
        let receptionists = Arc::new(receptionists);
        let deadline = Instant::now() + Duration::from_secs_f64(phase_secs);
        let (p, _) = workers(
            "intake, counter, store API without HTTP",
            "dossiers",
            concurrency,
            |w| {
                let ctx = ctx.clone();
                let store = store.clone();
                let receptionists = receptionists.clone();
                async move {
                    let mut rng = Rng::new(seed, 14, w as u64);
                    let mut out = Out::default();
                    while Instant::now() < deadline {
                        let unit = rng.below(ctx.units.len() as u64) as usize;
                        let new = counter_dossier(&ctx, unit, &mut rng);
                        let t = Instant::now();
                        let now = OffsetDateTime::now_utc();
                        match store.create_dossier(new, &receptionists[unit], now).await {
                            Ok(_) => {
                                out.latencies.push(micros(t));
                                out.count += 1;
                            }
                            Err(e) => out.fail(format!("store intake: {e}")),
                        }
                    }
                    out
                }
            },
        )
        .await;
        phases.push(p);

        let n = online_count.max(if args.smoke { 200 } else { 2000 });
        let (p, rows) = raw_insert(&store, args, n).await?;
        raw_rows = rows;
        phases.push(p);
    }

    // 2. Transitions of the dossiers just made.
    if want("transitions") && !made.is_empty() {
        made.sort_by(|a, b| b.code.cmp(&a.code));
        let queue = Arc::new(Mutex::new(made));
        let deadline = Instant::now() + Duration::from_secs_f64(phase_secs);
        let (p, _) = workers(
            "transitions (receive → … → return_result)",
            "transitions",
            concurrency,
            |_| {
                let ctx = ctx.clone();
                let queue = queue.clone();
                async move {
                    let mut c = Client::new(ctx.target.clone());
                    let mut out = Out::default();
                    while Instant::now() < deadline {
                        let next = queue.lock().ok().and_then(|mut q| q.pop());
                        let Some(d) = next else { break };
                        transitions(&mut c, &ctx, &d, deadline, &mut out).await;
                    }
                    out
                }
            },
        )
        .await;
        phases.push(p);
    }

    // 3. Public lookups of dossiers spread over the whole database.
    let (lo, hi) = generated.unwrap_or((1, 1));
    {
        let c = Arc::get_mut(&mut ctx).ok_or_else(|| anyhow!("workers still running"))?;
        let mut rng = Rng::new(args.seed, 12, 0);
        for _ in 0..samples {
            if let Some(d) = store.dossier_near_id(rng.range(lo, hi)).await? {
                let key = super::generate::bench_lookup_key(&d.code);
                c.samples.push((d.code, key));
            }
        }
        c.deep_cursor = lo + (hi - lo) / 2;
    }
    if want("lookup") && !ctx.samples.is_empty() {
        for clients in [1, concurrency] {
            let secs = if clients == 1 { list_secs } else { phase_secs };
            let name = format!("public lookup GET /lookup/{{code}}?key= [{clients}c]");
            let pick: Pick = Arc::new(|ctx, rng, _| {
                let (code, key) = rng.pick(&ctx.samples);
                (format!("/api/v1/lookup/{code}?key={key}"), None)
            });
            phases.push(get_phase(&ctx, name, clients, secs, seed, pick).await);
        }
    }

    // 4. Work lists, each alone (one client: the time a member of staff
    // waits) and under the full load (throughput, and the wait when busy).
    if want("lists") {
        let deep = ctx.deep_cursor;
        let lists: [(String, bool, String); 8] = [
            ("work list, unit, first page".into(), false, String::new()),
            (
                format!("work list, unit, deep cursor (id < {deep})"),
                false,
                format!("&cursor={deep}"),
            ),
            (
                "work list, unit, status=processing".into(),
                false,
                "&status=processing".into(),
            ),
            (
                "work list, unit, late=true, first page".into(),
                false,
                "&late=true".into(),
            ),
            (
                "work list, unit, late=true, deep cursor".into(),
                false,
                format!("&late=true&cursor={deep}"),
            ),
            (
                "work list, province supervisor, first page".into(),
                true,
                String::new(),
            ),
            (
                "work list, province supervisor, deep cursor".into(),
                true,
                format!("&cursor={deep}"),
            ),
            (
                "work list, province supervisor, late=true".into(),
                true,
                "&late=true".into(),
            ),
        ];
        for (name, supervisor, query) in lists {
            for clients in [1, concurrency] {
                let query = query.clone();
                let pick: Pick = Arc::new(move |ctx, _, i| {
                    let token = if supervisor {
                        &ctx.supervisor
                    } else {
                        &ctx.units[i as usize % ctx.units.len()].receptionist
                    };
                    (
                        format!("/api/v1/dossiers?limit=50{query}"),
                        Some(token.clone()),
                    )
                });
                let name = format!("{name} [{clients}c]");
                phases.push(get_phase(&ctx, name, clients, list_secs, seed, pick).await);
            }
        }
        // Page after page, following next_cursor: each client walks one unit's list.
        let (p, _) = workers(
            &format!("work list, unit, pages 1..{walk_pages} by next_cursor"),
            "pages",
            ctx.units.len().min(concurrency),
            |w| {
                let ctx = ctx.clone();
                async move {
                    let mut c = Client::new(ctx.target.clone());
                    let mut out = Out::default();
                    let token = &ctx.units[w % ctx.units.len()].receptionist;
                    let mut cursor: Option<String> = None;
                    for _ in 0..walk_pages {
                        let path = match &cursor {
                            Some(cur) => format!("/api/v1/dossiers?limit=50&cursor={cur}"),
                            None => "/api/v1/dossiers?limit=50".to_string(),
                        };
                        let t = Instant::now();
                        let r = c.get(&path, Some(token)).await;
                        let Some(v) = out.check(r, "list page") else {
                            break;
                        };
                        out.latencies.push(micros(t));
                        out.count += 1;
                        match v.get("next_cursor").and_then(Value::as_str) {
                            Some(next) => cursor = Some(next.to_string()),
                            None => break,
                        }
                    }
                    out
                }
            },
        )
        .await;
        phases.push(p);
    }

    // 5. Memory and size.
    let peak_rss = proc_status_bytes("VmHWM:");
    let max_rss = phases.iter().filter_map(|p| p.rss_after).max();
    let dossiers_after = store.count_dossiers().await?;
    let db_bytes = store.database_size().await?;
    let per_million = db_bytes as f64 / (dossiers_after.max(1) as f64) * 1e6;
    drop(ctx);
    let _ = stop.send(());
    if let Some(h) = server {
        // Idle keep-alive connections close at once; do not wait forever on a stuck one.
        let _ = tokio::time::timeout(Duration::from_secs(5), h).await;
    }

    let rate_of = |prefix: &str| {
        phases
            .iter()
            .find(|p| p.name.starts_with(prefix))
            .map_or(0.0, Phase::rate)
    };
    let intake_rate = rate_of("intake, online");
    let raw_rate = rate_of("raw insert");
    if args.json {
        let out = json!({
            "backend": store.backend_name(),
            "dossiers_before": dossiers_before,
            "dossiers_after": dossiers_after,
            "concurrency": concurrency,
            "phase_seconds": phase_secs,
            "server": if args.url.is_some() { "external" } else { "in-process" },
            "phases": phases.iter().map(Phase::to_json).collect::<Vec<_>>(),
            "intake_vs_raw": (raw_rate > 0.0).then(|| round3(intake_rate / raw_rate)),
            "raw_insert_rows": raw_rows,
            "peak_rss_bytes": peak_rss,
            "max_rss_after_phase_bytes": max_rss,
            "database_bytes": db_bytes,
            "database_bytes_per_million_dossiers": per_million.round(),
        });
        println!("{}", serde_json::to_string_pretty(&out).context("json")?);
        return Ok(());
    }
    println!(
        "motcua bench run: {} with {} dossiers, {} clients, {} s per phase, server {}",
        store.backend_name(),
        thousands(dossiers_before as u64),
        concurrency,
        phase_secs,
        if args.url.is_some() {
            "external"
        } else {
            "in-process"
        }
    );
    println!(
        "{:<58} {:>9} {:>10} {:>9} {:>9} {:>7}",
        "phase", "count", "per s", "p50 ms", "p99 ms", "errors"
    );
    let ms = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.2}"));
    for p in &phases {
        println!(
            "{:<58} {:>9} {:>10.1} {:>9} {:>9} {:>7}",
            p.name,
            p.count,
            p.rate(),
            ms(p.percentile(0.5)),
            ms(p.percentile(0.99)),
            p.errors
        );
    }
    if raw_rate > 0.0 {
        println!(
            "online intake over HTTP is {:.1}% of the raw insert rate of the same rows",
            100.0 * intake_rate / raw_rate.max(1e-9)
        );
    }
    match (peak_rss, args.url.is_some()) {
        (Some(b), false) => println!(
            "peak RSS of this process (server and load generator): {}; largest RSS at the end of a phase: {}",
            human_bytes(b as f64),
            max_rss.map_or("-".into(), |r| human_bytes(r as f64))
        ),
        (Some(b), true) => println!(
            "peak RSS of this process (load generator only; the server is external): {}",
            human_bytes(b as f64)
        ),
        (None, _) => println!("peak RSS: not available (no /proc/self/status)"),
    }
    println!(
        "database: {} for {} dossiers ({} per million)",
        human_bytes(db_bytes as f64),
        thousands(dossiers_after as u64),
        human_bytes(per_million)
    );
    Ok(())
}
