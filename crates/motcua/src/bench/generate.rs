//! The synthetic province: N dossiers over Y years in the real units of a
//! province, with the real catalog, walked through the real lifecycle.
//!
//! Each dossier's first event is folded with `Projection::start`; every
//! later one is the domain's `decide` with the unit's working calendar, the
//! same function the store calls for real actions; the row written is the
//! projection it returns. Codes are allocated like real ones (per unit
//! and local day, continuing existing counters) and the counters are saved,
//! so real submissions made later continue without a duplicate.
//!
//! Determinism: the same --seed and --until give the same codes, keys,
//! states and times. Every random stream is derived from the seed and a
//! fixed index (the day, the dossier's ordinal), never from thread timing.

use super::{Rng, UnitStaff, ensure_staff, placeholder_pdf, thousands};
use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use motcua_domain::calendar::{Date, OffsetDateTime, Time, VN_OFFSET, WorkCalendar, parse_instant};
use motcua_domain::dossier::{Applicant, Event, Projection, dossier_code, lookup_key};
use motcua_domain::lifecycle::{Action, Channel};
use motcua_domain::text::nfc;
use motcua_store::Store;
use motcua_store::bulk::{BulkDocument, BulkDossier};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;
use time::Duration;
use time::format_description::well_known::Rfc3339;

#[derive(Args, Clone, Debug)]
pub struct GenerateArgs {
    /// How many dossiers.
    #[arg(long, default_value_t = 100_000)]
    pub dossiers: u64,
    /// Spread over this many years, ending at --until.
    #[arg(long, default_value_t = 3)]
    pub years: u32,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Province code (its real units from the database).
    #[arg(long, default_value = "82")]
    pub province: String,
    /// End of the period, `YYYY-MM-DDTHH:MM` (Vietnam time) or RFC 3339; default: now.
    /// The same seed and --until give the same data.
    #[arg(long)]
    pub until: Option<String>,
    /// Drop the secondary indexes of the loaded tables and build them at the end.
    #[arg(long)]
    pub drop_indexes: bool,
}

/// What a generation wrote.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub dossiers: u64,
    pub events: u64,
    pub documents: u64,
    pub by_status: BTreeMap<&'static str, u64>,
    pub by_channel: BTreeMap<&'static str, u64>,
    pub paused: u64,
    pub late: u64,
    pub apologized: u64,
    pub seconds: f64,
}

/// Procedures' share of a commune center's work (certified copies dominate);
/// codes not listed weigh 1.
const PROCEDURE_WEIGHTS: &[(&str, f64)] = &[
    ("CT-BSBC", 30.0),
    ("HT-KS", 9.0),
    ("CT-CK", 8.0),
    ("HT-TLHT", 7.0),
    ("HT-XNHN", 7.0),
    ("CTR-TAM", 5.0),
    ("CTR-TT", 4.0),
    ("HT-KT", 3.0),
    ("HT-KH", 3.0),
    ("CT-HDGD", 3.0),
    ("CTR-GHTAM", 2.0),
    ("HT-TDCC", 2.0),
    ("XD-GPXD", 2.0),
    ("HKD-DK", 2.0),
    ("HT-NCMC", 0.5),
    ("HT-KSNCMC", 0.5),
    ("HT-KSL", 0.5),
    ("CT-DC", 0.5),
    ("CT-TCDS", 0.5),
    ("HT-GH", 0.3),
    ("HT-KHL", 0.3),
    ("HT-KTL", 0.3),
    ("KN-L1", 0.3),
    ("HT-CDGH", 0.2),
];

pub(super) fn procedure_weight(code: &str) -> f64 {
    PROCEDURE_WEIGHTS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(1.0, |(_, w)| *w)
}

/// Channels other than online, with their share of all dossiers on a working day.
const OFFLINE: &[(Channel, f64)] = &[
    (Channel::Counter, 0.105),
    (Channel::Kiosk, 0.02),
    (Channel::Mobile, 0.013),
    (Channel::Postal, 0.008),
    (Channel::Medical, 0.004),
];

const FAMILY: &[&str] = &[
    "Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Trương", "Đặng", "Bùi", "Đỗ", "Lâm",
    "Hồ", "Ngô", "Dương", "Lý",
];
const MIDDLE: &[&str] = &[
    "Văn",
    "Thị",
    "Hữu",
    "Minh",
    "Ngọc",
    "Thanh",
    "Quốc",
    "Hoàng",
    "Thị Kim",
    "Văn Út",
];
const GIVEN: &[&str] = &[
    "An", "Bình", "Châu", "Dũng", "Hạnh", "Hòa", "Khánh", "Lan", "Lộc", "Mai", "Nhung", "Phúc",
    "Quyên", "Sơn", "Tâm", "Yến", "Tài", "Thảo", "Trinh", "Vy", "Hiếu", "Nghĩa", "Phương", "Đức",
];
const HAMLETS: &[&str] = &[
    "Ấp 1",
    "Ấp 2",
    "Ấp 3",
    "Ấp Mỹ Thạnh",
    "Ấp Tân Phú",
    "Ấp Bình Hòa",
    "Khóm 1",
    "Khóm 3",
    "Khóm 5",
];
const N_REFUSE: &str = "Thủ tục không thuộc thẩm quyền giải quyết của UBND cấp xã";
const N_SUPPLEMENT: &str = "Bản chụp giấy tờ bị mờ, đề nghị bổ sung bản rõ nét";
const N_WITHDRAW: &str = "Công dân xin rút hồ sơ";
const N_WITHDRAW_LATE: &str = "Quá thời hạn bổ sung, công dân xin rút hồ sơ";
const N_SEND_BACK: &str = "Đề nghị kiểm tra lại thông tin trong dự thảo kết quả";
const N_REJECT: &str = "Hồ sơ không đủ điều kiện giải quyết theo quy định";
const N_APOLOGY: &str = "Hồ sơ cần xác minh thêm; xin lỗi công dân và hẹn lại ngày trả kết quả";

struct UnitCtx {
    code: String,
    name: String,
    cal: WorkCalendar,
    staff: UnitStaff,
}

struct ProcCtx {
    code: String,
    /// The procedure as the decisions read it.
    procedure: motcua_domain::catalog::Procedure,
    required: Vec<String>,
    optional: Vec<String>,
}

/// The last code sequence of each (unit, local day).
type Counters = HashMap<(String, Date), i64>;

/// Everything the generator thread needs, owned.
pub(super) struct World {
    seed: u64,
    until: OffsetDateTime,
    province_name: String,
    units: Vec<UnitCtx>,
    unit_cum: Vec<f64>,
    procs: Vec<ProcCtx>,
    proc_cum: Vec<f64>,
    /// Placeholder document per document code: (sha256, size).
    blobs: HashMap<String, (String, i64)>,
    national: WorkCalendar,
    words: Words,
    /// Hashes lookup keys as the store keeps them.
    store: Store,
}

/// Name parts and notes, NFC-normalized once.
struct Words {
    family: Vec<String>,
    middle: Vec<String>,
    given: Vec<String>,
    hamlets: Vec<String>,
    refuse: String,
    supplement: String,
    withdraw: String,
    withdraw_late: String,
    send_back: String,
    reject: String,
    apology: String,
}

impl Words {
    fn new() -> Self {
        let all = |v: &[&str]| v.iter().map(|s| nfc(s)).collect::<Vec<_>>();
        Words {
            family: all(FAMILY),
            middle: all(MIDDLE),
            given: all(GIVEN),
            hamlets: all(HAMLETS),
            refuse: nfc(N_REFUSE),
            supplement: nfc(N_SUPPLEMENT),
            withdraw: nfc(N_WITHDRAW),
            withdraw_late: nfc(N_WITHDRAW_LATE),
            send_back: nfc(N_SEND_BACK),
            reject: nfc(N_REJECT),
            apology: nfc(N_APOLOGY),
        }
    }
}

pub(super) fn cumulative(weights: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut acc = 0.0;
    weights
        .map(|w| {
            acc += w;
            acc
        })
        .collect()
}

pub(super) fn pick_cum(rng: &mut Rng, cum: &[f64]) -> usize {
    let total = cum.last().copied().unwrap_or(0.0);
    let x = rng.unit() * total;
    cum.partition_point(|c| *c <= x)
        .min(cum.len().saturating_sub(1))
}

fn local_midnight(day: Date) -> OffsetDateTime {
    day.midnight().assume_offset(VN_OFFSET)
}

/// Load the synthetic province; prints progress and the rate.
pub async fn generate(store: &Store, args: &GenerateArgs) -> Result<Stats> {
    let started = Instant::now();
    let until = match &args.until {
        Some(t) => parse_instant(t).map_err(|e| anyhow!("--until: {e}"))?,
        None => OffsetDateTime::now_utc().to_offset(VN_OFFSET),
    };
    // Whole seconds: instants are stored in milliseconds and refolded from them.
    let until = until
        .replace_nanosecond(0)
        .map_err(|e| anyhow!("--until: {e}"))?
        .to_offset(VN_OFFSET);
    if args.years == 0 || args.years > 50 {
        bail!("--years must be between 1 and 50");
    }
    let world = build_world(store, args, until).await?;
    let mut loader = store.bulk_loader().await?;
    if args.drop_indexes {
        loader.drop_secondary_indexes().await?;
    }
    let last_day = until.date();
    let first_day = last_day - Duration::days(365 * i64::from(args.years) + 1);
    let counters = loader.counters(first_day, last_day).await?;
    let first_id = loader.next_id();
    let total = args.dossiers;
    println!(
        "Generating {} dossiers in {} units of province {} ({} to {}, seed {}) on {}",
        thousands(total),
        world.units.len(),
        args.province,
        first_day,
        until.format(&Rfc3339)?,
        args.seed,
        store.backend_name()
    );

    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<BulkDossier>>(4);
    let generator = tokio::task::spawn_blocking(move || {
        world.run(total, first_day, last_day, first_id, counters, &tx)
    });
    let mut done = 0u64;
    let mut rows = 0u64;
    let mut last_print = Instant::now();
    while let Some(batch) = rx.recv().await {
        rows += batch
            .iter()
            .map(|d| 1 + d.events.len() as u64 + d.documents.len() as u64)
            .sum::<u64>();
        loader.insert(&batch).await?;
        done += batch.len() as u64;
        if last_print.elapsed().as_secs_f64() >= 5.0 {
            last_print = Instant::now();
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "  {} / {} dossiers ({:.0}%), {} dossiers/s, {} rows/s",
                thousands(done),
                thousands(total),
                100.0 * done as f64 / total.max(1) as f64,
                thousands((done as f64 / secs) as u64),
                thousands((rows as f64 / secs) as u64),
            );
        }
    }
    let (last_seq, mut stats) = generator.await.context("generator thread")??;
    loader.save_counters(&last_seq).await?;
    let loaded = started.elapsed().as_secs_f64();
    loader.finish().await?;
    eprintln!(
        "  rows written in {loaded:.1} s; indexes and checkpoint in {:.1} s",
        started.elapsed().as_secs_f64() - loaded
    );
    stats.seconds = started.elapsed().as_secs_f64();
    print_stats(&stats);
    Ok(stats)
}

fn print_stats(s: &Stats) {
    let n = s.dossiers.max(1) as f64;
    let pct = |x: u64| format!("{:.1}%", 100.0 * x as f64 / n);
    println!(
        "Loaded {} dossiers, {} events, {} document rows in {:.1} s: {} dossiers/s, {} rows/s",
        thousands(s.dossiers),
        thousands(s.events),
        thousands(s.documents),
        s.seconds,
        thousands((s.dossiers as f64 / s.seconds.max(1e-9)) as u64),
        thousands(((s.dossiers + s.events + s.documents) as f64 / s.seconds.max(1e-9)) as u64),
    );
    let mut by: Vec<_> = s.by_status.iter().collect();
    by.sort_by(|a, b| b.1.cmp(a.1));
    let line: Vec<String> = by
        .iter()
        .map(|(k, v)| format!("{k} {}", pct(**v)))
        .collect();
    println!("  states:   {}", line.join(", "));
    let mut by: Vec<_> = s.by_channel.iter().collect();
    by.sort_by(|a, b| b.1.cmp(a.1));
    let line: Vec<String> = by
        .iter()
        .map(|(k, v)| format!("{k} {}", pct(**v)))
        .collect();
    println!("  channels: {}", line.join(", "));
    println!(
        "  paused for a supplement: {}, late: {}, apologized: {}",
        pct(s.paused),
        pct(s.late),
        pct(s.apologized)
    );
}

pub(super) async fn build_world(
    store: &Store,
    args: &GenerateArgs,
    until: OffsetDateTime,
) -> Result<World> {
    let province_name = store
        .provinces()
        .await?
        .into_iter()
        .find(|p| p.code == args.province)
        .map(|p| p.name)
        .ok_or_else(|| anyhow!("no province {} in the database", args.province))?;
    let mut units_list = store.units(Some(&args.province)).await?;
    if units_list.is_empty() {
        bail!("province {} has no units", args.province);
    }
    units_list.sort_by(|a, b| a.code.cmp(&b.code));
    let codes: Vec<String> = units_list.iter().map(|u| u.code.clone()).collect();
    let (password, hash) = super::new_password()?;
    if ensure_staff(store, &args.province, &codes, &hash).await? > 0 {
        eprintln!(
            "Tài khoản bench.* mới, mật khẩu (chỉ in lần này; `bench run` đặt mật khẩu mới mỗi lần): {password}"
        );
    }
    let mut rng = Rng::new(args.seed, 3, 0);
    let mut units = Vec::new();
    let mut weights = Vec::new();
    for u in units_list {
        // Wards are busier than communes; each unit a little different.
        let kind = if u.kind.contains("phường") {
            1.6
        } else {
            1.0
        };
        weights.push(kind * (0.5 + rng.unit()));
        units.push(UnitCtx {
            cal: store.calendar(Some(&u.code)).await?,
            staff: UnitStaff::of(&u.code),
            code: u.code,
            name: u.name,
        });
    }
    let procedures = store.procedures().await?;
    if procedures.is_empty() {
        bail!("the catalog is empty");
    }
    let mut blobs = HashMap::new();
    let mut procs = Vec::new();
    for p in &procedures {
        for d in &p.documents {
            if !blobs.contains_key(&d.code) {
                let pdf = placeholder_pdf(&format!(
                    "motcua bench: generated placeholder for document {} - not a real scan",
                    d.code
                ));
                let sha = store.blobs().put(&pdf).await?;
                blobs.insert(d.code.clone(), (sha, pdf.len() as i64));
            }
        }
        // Generated dossiers record no payment (the bulk loader writes no
        // receipts): a pay-first procedure is generated as received at once.
        let procedure = motcua_domain::catalog::Procedure {
            pay_first: None,
            ..p.clone()
        };
        procs.push(ProcCtx {
            code: p.code.clone(),
            procedure,
            required: p.required_documents().map(|d| d.code.clone()).collect(),
            optional: p
                .documents
                .iter()
                .filter(|d| !d.required)
                .map(|d| d.code.clone())
                .collect(),
        });
    }
    let proc_cum = cumulative(procs.iter().map(|p| procedure_weight(&p.code)));
    Ok(World {
        seed: args.seed,
        until,
        province_name,
        unit_cum: cumulative(weights.into_iter()),
        units,
        procs,
        proc_cum,
        blobs,
        national: store.calendar(None).await?,
        words: Words::new(),
        store: store.clone(),
    })
}

/// The lookup key of a generated dossier, derived from its code so that
/// `bench run` can look dossiers up although only hashes are stored.
pub fn bench_lookup_key(code: &str) -> String {
    let mac = motcua_domain::audit::checkpoint_mac(b"motcua-bench-key", code.as_bytes());
    let n = u64::from_str_radix(mac.get(..16).unwrap_or("0"), 16).unwrap_or(0);
    lookup_key(n.to_le_bytes())
}

/// A dossier before its code: where, when, how, what.
struct Skeleton {
    at: OffsetDateTime,
    unit: usize,
    channel: Channel,
    procedure: usize,
}

/// What one dossier is and who handles it.
struct Case<'a> {
    id: i64,
    online: bool,
    procedure: &'a ProcCtx,
    receptionist: &'a str,
    specialist: &'a str,
    leader: &'a str,
}

/// One dossier's history being written, its projection kept up to date.
struct Sim<'a> {
    cal: &'a WorkCalendar,
    procedure: &'a motcua_domain::catalog::Procedure,
    channel: &'static str,
    until: OffsetDateTime,
    events: Vec<Event>,
    p: Projection,
}

impl Sim<'_> {
    fn last_at(&self) -> OffsetDateTime {
        self.events.last().map_or(self.until, |e| e.at)
    }

    /// Take `action` at `at` (never before the previous event) unless that is
    /// after the end of the period: then the dossier stays where it is, and
    /// `false` says so. The event is the domain's decision, as the server
    /// would take it; `fields` are the request's (assignee, missing, …).
    fn act(
        &mut self,
        at: OffsetDateTime,
        actor: &str,
        role: &str,
        action: Action,
        note: Option<&str>,
        fields: Value,
    ) -> Result<bool> {
        use motcua_domain::decide::{self, Asker, RawCommand};
        let at = at.max(self.last_at() + Duration::SECOND);
        if at > self.until {
            return Ok(false);
        }
        let roles = [role
            .parse::<motcua_domain::lifecycle::Role>()
            .unwrap_or(motcua_domain::lifecycle::Role::Receptionist)];
        let asker = if role == CITIZEN {
            Asker::Citizen
        } else {
            Asker::Staff {
                name: actor,
                roles: &roles,
            }
        };
        let strings = |key: &str| -> Vec<String> {
            fields
                .get(key)
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let missing = strings("missing");
        let documents = strings("documents");
        let documents: Vec<&str> = documents.iter().map(String::as_str).collect();
        let assignee = fields.get("assignee").and_then(|v| v.as_str());
        let specialists: Vec<String> = assignee.into_iter().map(str::to_string).collect();
        let on_file = decide::ApplicantOnFile {
            full_name: String::new(),
            id_number: String::new(),
            date_of_birth: String::new(),
            phone: String::new(),
            email: None,
            address: String::new(),
        };
        let request = decide::Request {
            raw: RawCommand {
                action: action.as_str(),
                note,
                assignee,
                new_due: fields.get("new_due").and_then(|v| v.as_str()),
                missing: &missing,
                documents: &documents,
                ..RawCommand::default()
            },
            version: self.p.version,
            via: motcua_domain::lifecycle::Via::Direct,
        };
        let facts = decide::Facts {
            state: &self.p,
            channel: self.channel,
            applicant: &on_file,
            procedure: self.procedure,
            cal: self.cal,
            specialists: &specialists,
            // Generated dossiers are decided where they are received.
            route_targets: &[],
            // Generated dossiers get no electronic result.
            e_result: false,
            answers: &Default::default(),
            now: at,
        };
        let d = decide::decide(&facts, &asker, &request)
            .map_err(|e| anyhow!("generator bug: {action} from {}: {e}", self.p.status))?;
        self.p = d.projection;
        self.events.push(d.event);
        Ok(true)
    }

    fn wm(&self, from: OffsetDateTime, minutes: i64) -> OffsetDateTime {
        self.cal.add_working_minutes(from, minutes.max(0))
    }
}

fn whole_minute(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_second(0)
        .and_then(|t| t.replace_nanosecond(0))
        .unwrap_or(t)
}

const RECEPTIONIST: &str = "receptionist";
const SPECIALIST: &str = "specialist";
const LEADER: &str = "leader";
const CITIZEN: &str = "citizen";

impl World {
    /// Generate every dossier in time order, sending batches to the loader.
    /// Returns the code counters to save and the statistics.
    fn run(
        &self,
        total: u64,
        first_day: Date,
        last_day: Date,
        first_id: i64,
        mut counters: Counters,
        tx: &tokio::sync::mpsc::Sender<Vec<BulkDossier>>,
    ) -> Result<(Counters, Stats)> {
        // Busier on working days, before Tết and at school enrolment; the
        // last day only up to --until.
        let mut days = Vec::new();
        let mut day = first_day;
        while day <= last_day {
            let working = self.national.is_working_day(day);
            let month = match u8::from(day.month()) {
                1 => 1.15,
                7 | 8 => 1.05,
                12 => 1.1,
                _ => 1.0,
            };
            let weekday = match day.weekday() {
                time::Weekday::Monday => 1.2,
                time::Weekday::Friday => 0.9,
                _ => 1.0,
            };
            let mut w = if working { month * weekday } else { 0.06 };
            if day == last_day {
                let elapsed = (self.until - local_midnight(day)).as_seconds_f64() / 86_400.0;
                w *= elapsed.clamp(0.0, 1.0);
            }
            days.push((day, working, w));
            day = day.next_day().ok_or_else(|| anyhow!("date out of range"))?;
        }
        let wsum: f64 = days.iter().map(|d| d.2).sum();
        let mut stats = Stats::default();
        let mut batch = Vec::with_capacity(BATCH);
        let mut id = first_id;
        let mut ordinal = 0u64;
        let mut acc = 0.0;
        let mut emitted = 0u64;
        for (di, &(day, working, w)) in days.iter().enumerate() {
            acc += w;
            let upto = if di + 1 == days.len() {
                total
            } else {
                ((acc / wsum) * total as f64).round() as u64
            };
            let count = upto.saturating_sub(emitted);
            emitted += count;
            if count == 0 {
                continue;
            }
            let mut rng = Rng::new(self.seed, 1, di as u64);
            let mut skeletons: Vec<Skeleton> = (0..count)
                .map(|_| self.skeleton(&mut rng, day, working))
                .collect();
            skeletons.sort_by_key(|s| s.at);
            for s in skeletons {
                let unit = &self.units[s.unit];
                let seq = counters.entry((unit.code.clone(), day)).or_insert(0);
                *seq += 1;
                let code = dossier_code(&unit.code, day, *seq);
                let mut rng = Rng::new(self.seed, 2, ordinal);
                ordinal += 1;
                let d = self.dossier(&mut rng, &s, id, code)?;
                id += 1;
                stats.add(&d, self.until);
                batch.push(d);
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    if tx.blocking_send(full).is_err() {
                        // The loader stopped (its error is reported there).
                        return Ok((counters, stats));
                    }
                }
            }
        }
        if !batch.is_empty() {
            let _ = tx.blocking_send(batch);
        }
        Ok((counters, stats))
    }

    /// `n` online submissions made at the end of the period (the benchmark's
    /// raw-insert comparison): the same rows as a citizen's submission over HTTP.
    pub(super) fn submissions(
        &self,
        n: u64,
        first_id: i64,
        counters: &mut Counters,
    ) -> Result<Vec<BulkDossier>> {
        let day = self.until.date();
        let mut rng = Rng::new(self.seed, 4, first_id as u64);
        let mut out = Vec::with_capacity(n as usize);
        for i in 0..n {
            let s = Skeleton {
                at: self.until,
                unit: pick_cum(&mut rng, &self.unit_cum),
                channel: Channel::Online,
                procedure: pick_cum(&mut rng, &self.proc_cum),
            };
            let seq = counters
                .entry((self.units[s.unit].code.clone(), day))
                .or_insert(0);
            *seq += 1;
            let code = dossier_code(&self.units[s.unit].code, day, *seq);
            out.push(self.dossier(&mut rng, &s, first_id + i as i64, code)?);
        }
        Ok(out)
    }

    fn skeleton(&self, rng: &mut Rng, day: Date, working: bool) -> Skeleton {
        let unit = pick_cum(rng, &self.unit_cum);
        let procedure = pick_cum(rng, &self.proc_cum);
        let mut channel = Channel::Online;
        if working {
            let mut x = rng.unit();
            for (c, share) in OFFLINE {
                if x < *share {
                    channel = *c;
                    break;
                }
                x -= share;
            }
        }
        let midnight = local_midnight(day);
        let mut at = midnight;
        for _ in 0..20 {
            at = midnight + Duration::seconds(self.second_of_day(rng, unit, channel, working));
            if at <= self.until {
                break;
            }
        }
        if at > self.until {
            let span = (self.until - midnight).whole_seconds().max(0);
            at = midnight + Duration::seconds((rng.unit() * span as f64) as i64);
        }
        Skeleton {
            at,
            unit,
            channel,
            procedure,
        }
    }

    /// Offline: inside the unit's sessions. Online: mostly office hours, some evenings, a few at night.
    fn second_of_day(&self, rng: &mut Rng, unit: usize, channel: Channel, working: bool) -> i64 {
        let minute = if channel != Channel::Online {
            let sessions = self.units[unit].cal.hours().sessions();
            let (start, end) = *rng.pick(sessions);
            let (s, e) = (minutes_of(start), minutes_of(end));
            rng.range(s, (e - 1).max(s))
        } else if !working {
            rng.range(8 * 60, 22 * 60)
        } else {
            match rng.below(100) {
                0..=64 => rng.range(7 * 60, 17 * 60 + 29),
                65..=89 => rng.range(17 * 60 + 30, 22 * 60 + 29),
                _ => rng.range(0, 24 * 60 - 1),
            }
        };
        minute * 60 + rng.range(0, 59)
    }

    fn applicant(&self, rng: &mut Rng, unit: &UnitCtx) -> Applicant {
        let w = &self.words;
        let full_name = format!(
            "{} {} {}",
            rng.pick(&w.family),
            rng.pick(&w.middle),
            rng.pick(&w.given)
        );
        let year = rng.range(1940, 2007) as i32;
        // Day 1..=365 exists in every year.
        let date_of_birth =
            Date::from_ordinal_date(year, rng.range(1, 365) as u16).unwrap_or(Date::MIN);
        // CCCD: province of birth (087: Đồng Tháp), gender and century, year, six digits.
        let century = if year < 2000 { 0 } else { 2 };
        let id_number = format!(
            "087{}{:02}{:06}",
            century + rng.below(2),
            year % 100,
            rng.below(1_000_000)
        );
        let phone = format!("0{}{:08}", rng.pick(&[3, 7, 8, 9]), rng.below(100_000_000));
        let email = rng.chance(0.12).then(|| {
            format!(
                "congdan{}@example.vn",
                rng.below(10_000_000) // example.vn: never a real mailbox
            )
        });
        let address = format!(
            "{}, {}, {}",
            rng.pick(&w.hamlets),
            unit.name,
            self.province_name
        );
        Applicant {
            full_name,
            id_number,
            date_of_birth,
            phone,
            email,
            address,
        }
    }

    /// An uploaded scan's metadata. Ids are "gen-" and the zero-padded
    /// dossier id: generated rows are told apart at a glance, and they sort
    /// in load order, so the primary key grows at its end.
    fn upload(&self, id: &str, code: &str, at: OffsetDateTime) -> BulkDocument {
        let (sha, size) = self
            .blobs
            .get(code)
            .cloned()
            .unwrap_or_else(|| (String::new(), 0));
        BulkDocument {
            id: id.to_string(),
            code: code.to_string(),
            sha256: (!sha.is_empty()).then_some(sha),
            size,
            content_type: Some("application/pdf"),
            filename: Some(format!("generated-{code}.pdf")),
            paper: false,
            uploaded_by: CITIZEN.into(),
            created_at: at,
        }
    }

    fn paper(id: i64, i: usize, code: &str, by: &str, at: OffsetDateTime) -> BulkDocument {
        // The same id shape as papers noted at the counter (see the store's `attach`).
        let ms = (at.unix_timestamp_nanos() / 1_000_000) as i64;
        BulkDocument {
            id: format!("paper-{id}-{ms}-{i}"),
            code: code.to_string(),
            sha256: None,
            size: 0,
            content_type: None,
            filename: None,
            paper: true,
            uploaded_by: by.to_string(),
            created_at: at,
        }
    }

    /// One dossier: its submission and as much of its life as fits before --until.
    fn dossier(&self, rng: &mut Rng, s: &Skeleton, id: i64, code: String) -> Result<BulkDossier> {
        let unit = &self.units[s.unit];
        let proc_ = &self.procs[s.procedure];
        let staff = &unit.staff;
        let online = s.channel == Channel::Online;
        let receptionist = rng.pick(&staff.receptionists).clone();
        let specialist = rng.pick(&staff.specialists).clone();
        let leader = rng.pick(&staff.leaders).clone();
        let mut documents = Vec::new();
        let mut doc_codes: Vec<&String> = proc_.required.iter().collect();
        doc_codes.extend(proc_.optional.iter().filter(|_| rng.chance(0.3)));
        for (i, c) in doc_codes.iter().enumerate() {
            if online {
                let at = s.at - Duration::seconds(rng.range(30, 1800));
                documents.push(self.upload(&format!("gen-{id:012}-{i}"), c, at));
            } else {
                documents.push(Self::paper(id, i, c, &receptionist, s.at));
            }
        }
        // The applicant and the form are drawn first: the filing is decided
        // by the domain, as the server decides it.
        let applicant = self.applicant(rng, unit);
        // A procedure with a declaration gets it on paper among the documents
        // (its answers are not generated); the others keep free fields.
        let fields = if proc_.procedure.declaration.is_some() {
            json!({})
        } else {
            json!({
                "so_ban": rng.range(1, 3),
                "nhan_ket_qua": if online { *rng.pick(&["truc_tuyen", "tai_quay", "buu_chinh"]) } else { "tai_quay" },
            })
        };
        let input = motcua_domain::dossier::ApplicantInput {
            full_name: applicant.full_name,
            id_number: applicant.id_number,
            date_of_birth: applicant.date_of_birth.to_string(),
            phone: applicant.phone,
            email: applicant.email,
            address: applicant.address,
        };
        let roles = [motcua_domain::lifecycle::Role::Receptionist];
        let asker = if online {
            motcua_domain::decide::Asker::Citizen
        } else {
            motcua_domain::decide::Asker::Staff {
                name: &receptionist,
                roles: &roles,
            }
        };
        let facts = motcua_domain::creation::Facts {
            procedure: &proc_.procedure,
            offered: true,
            cal: &unit.cal,
            now: s.at,
        };
        let filing = motcua_domain::creation::Filing {
            channel: s.channel,
            applicant: &input,
            fields: &fields,
            all_digital: online,
            any_document: !documents.is_empty(),
        };
        let created = motcua_domain::creation::create(&facts, &asker, &filing)
            .map_err(|e| anyhow!("generator bug: {e}"))?;
        let p = created.projection;
        let mut sim = Sim {
            cal: &unit.cal,
            procedure: &proc_.procedure,
            channel: s.channel.as_str(),
            until: self.until,
            events: vec![created.event],
            p,
        };
        let case = Case {
            id,
            online,
            procedure: proc_,
            receptionist: &receptionist,
            specialist: &specialist,
            leader: &leader,
        };
        self.walk(rng, &mut sim, &case, &mut documents)?;
        let fields = fields.to_string();
        let _ = rng.next_u64(); // the draw that made keys once: the seed's province stays the same
        let lookup_hash = self.store.lookup_key_hash(&code, &bench_lookup_key(&code));
        Ok(BulkDossier {
            id,
            code,
            unit_code: unit.code.clone(),
            procedure_code: proc_.code.clone(),
            channel: s.channel.as_str(),
            applicant: created.applicant,
            fields,
            lookup_hash,
            projection: sim.p,
            events: sim.events,
            documents,
        })
    }

    /// The lifecycle after submission. Shares are of all dossiers, roughly:
    /// 2% refused at intake, 10% paused for a supplement, 7% late (half of
    /// them with an apology), 3% sent back once, 1.5% rejected, about 1%
    /// withdrawn, and a few never collected or never supplemented.
    fn walk(
        &self,
        rng: &mut Rng,
        sim: &mut Sim<'_>,
        case: &Case<'_>,
        documents: &mut Vec<BulkDocument>,
    ) -> Result<()> {
        let w = &self.words;
        let empty = || json!({});
        if case.online {
            let t0 = sim.last_at();
            if rng.chance(0.003) {
                let at = t0 + Duration::minutes(rng.range(10, 2 * 1440));
                sim.act(
                    at,
                    CITIZEN,
                    CITIZEN,
                    Action::Withdraw,
                    Some(&w.withdraw),
                    empty(),
                )?;
                return Ok(());
            }
            let at = sim.wm(sim.cal.next_working_instant(t0), rng.range(10, 300));
            if rng.chance(0.02) {
                sim.act(
                    at,
                    case.receptionist,
                    RECEPTIONIST,
                    Action::RefuseIntake,
                    Some(&w.refuse),
                    empty(),
                )?;
                return Ok(());
            }
            if !sim.act(
                at,
                case.receptionist,
                RECEPTIONIST,
                Action::Receive,
                None,
                empty(),
            )? {
                return Ok(());
            }
        }
        let received = sim.p.received_at.unwrap_or(sim.last_at());
        let due = sim.p.due_at.unwrap_or(received);
        let budget = sim.cal.working_minutes_between(received, due).max(30);
        if rng.chance(0.004) {
            let at = sim.wm(received, rng.range(30, 600));
            sim.act(
                at,
                case.receptionist,
                RECEPTIONIST,
                Action::Withdraw,
                Some(&w.withdraw),
                empty(),
            )?;
            return Ok(());
        }
        let late = rng.chance(0.07);
        let (assigner, assigner_role) = if rng.chance(0.85) {
            (case.receptionist, RECEPTIONIST)
        } else {
            (case.leader, LEADER)
        };
        let at = sim.wm(received, rng.range(5, (budget / 6).clamp(6, 90)));
        if !sim.act(
            at,
            assigner,
            assigner_role,
            Action::Assign,
            None,
            json!({ "assignee": case.specialist }),
        )? {
            return Ok(());
        }
        if rng.chance(0.10) {
            let missing = case
                .procedure
                .required
                .first()
                .or(case.procedure.optional.first())
                .cloned();
            let at = sim.wm(
                sim.last_at(),
                (budget as f64 * (0.05 + 0.35 * rng.unit())) as i64,
            );
            let payload = json!({ "missing": missing.iter().collect::<Vec<_>>() });
            if !sim.act(
                at,
                case.specialist,
                SPECIALIST,
                Action::RequestSupplement,
                Some(&w.supplement),
                payload,
            )? {
                return Ok(());
            }
            let per_day = sim.cal.hours().minutes_per_day();
            match rng.below(100) {
                0..=4 => return Ok(()), // never supplemented: stays paused
                5..=14 => {
                    let at = sim.wm(sim.last_at(), rng.range(10, 30) * per_day);
                    sim.act(
                        at,
                        case.receptionist,
                        RECEPTIONIST,
                        Action::Withdraw,
                        Some(&w.withdraw_late),
                        empty(),
                    )?;
                    return Ok(());
                }
                _ => {}
            }
            let at = sim.wm(sim.last_at(), rng.range(per_day / 2, 8 * per_day));
            let (who, role) = if case.online {
                (CITIZEN, CITIZEN)
            } else {
                (case.receptionist, RECEPTIONIST)
            };
            let codes: Vec<&String> = missing.iter().collect();
            if !sim.act(
                at,
                who,
                role,
                Action::Supplement,
                None,
                json!({ "documents": codes }),
            )? {
                return Ok(());
            }
            let at = sim.last_at();
            for (i, c) in missing.iter().enumerate() {
                documents.push(if case.online {
                    self.upload(&format!("gen-{:012}-s{i}", case.id), c, at)
                } else {
                    Self::paper(case.id, 100 + i, c, case.receptionist, at)
                });
            }
        }
        // When the result is approved: inside the time left, or after the due date.
        let from = sim.last_at();
        let due = sim.p.due_at.unwrap_or(from);
        let left = sim.cal.working_minutes_between(from, due);
        let finish = if late {
            sim.wm(
                due,
                ((budget as f64) * (0.05 + 0.75 * rng.unit())) as i64 + 60,
            )
        } else {
            sim.wm(
                from,
                ((left as f64) * (0.15 + 0.75 * rng.unit())) as i64 + 1,
            )
        };
        if late && rng.chance(0.55) && due > from {
            // The apology comes before the missed date, promising a new one.
            let before = whole_minute(from + (due - from) * (0.5 + 0.45 * rng.unit()));
            let new_due = whole_minute(sim.wm(finish, rng.range(0, 600)));
            let text = new_due.to_offset(VN_OFFSET).format(&Rfc3339)?;
            if !sim.act(
                before,
                case.leader,
                LEADER,
                Action::Apologize,
                Some(&w.apology),
                json!({ "new_due": text }),
            )? {
                return Ok(());
            }
        }
        let from = sim.last_at();
        let span = sim.cal.working_minutes_between(from, finish).max(2);
        let at = sim.wm(from, (span as f64 * (0.6 + 0.35 * rng.unit())) as i64);
        if !sim.act(
            at,
            case.specialist,
            SPECIALIST,
            Action::Propose,
            None,
            empty(),
        )? {
            return Ok(());
        }
        let mut finish = finish;
        if rng.chance(0.03) {
            let at = sim.wm(sim.last_at(), rng.range(10, 120));
            if !sim.act(
                at,
                case.leader,
                LEADER,
                Action::SendBack,
                Some(&w.send_back),
                empty(),
            )? {
                return Ok(());
            }
            let at = sim.wm(sim.last_at(), rng.range(60, 600));
            if !sim.act(
                at,
                case.specialist,
                SPECIALIST,
                Action::Propose,
                None,
                empty(),
            )? {
                return Ok(());
            }
            finish = finish.max(sim.wm(sim.last_at(), rng.range(10, 120)));
        }
        if rng.chance(0.015) {
            sim.act(
                finish,
                case.leader,
                LEADER,
                Action::Reject,
                Some(&w.reject),
                empty(),
            )?;
            return Ok(());
        }
        if !sim.act(finish, case.leader, LEADER, Action::Approve, None, empty())? {
            return Ok(());
        }
        if rng.chance(0.005) {
            return Ok(()); // result never collected
        }
        let per_day = sim.cal.hours().minutes_per_day();
        let at = if case.online {
            sim.wm(sim.last_at(), rng.range(5, 240))
        } else {
            sim.wm(sim.last_at(), rng.range(30, 5 * per_day))
        };
        sim.act(
            at,
            case.receptionist,
            RECEPTIONIST,
            Action::ReturnResult,
            None,
            empty(),
        )?;
        Ok(())
    }
}

const BATCH: usize = 5000;

fn minutes_of(t: Time) -> i64 {
    i64::from(t.hour()) * 60 + i64::from(t.minute())
}

impl Stats {
    fn add(&mut self, d: &BulkDossier, until: OffsetDateTime) {
        self.dossiers += 1;
        self.events += d.events.len() as u64;
        self.documents += d.documents.len() as u64;
        *self
            .by_status
            .entry(d.projection.status.as_str())
            .or_default() += 1;
        *self.by_channel.entry(d.channel).or_default() += 1;
        if d.events
            .iter()
            .any(|e| e.action == Action::RequestSupplement)
        {
            self.paused += 1;
        }
        if d.projection.is_late(until) {
            self.late += 1;
        }
        if d.projection.apologized {
            self.apologized += 1;
        }
    }
}
