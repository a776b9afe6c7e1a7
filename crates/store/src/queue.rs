//! The queue of a center: services served at counters, tickets numbered per
//! unit and day, officers calling them, the display board's feed of calls,
//! appointments booked ahead, and the day's figures.
//!
//! The SQL is written once in `queue_sql!` and compiled for each backend, as
//! in `backend.rs`. Two promises matter:
//!
//! - **A ticket is called once.** "Call next" claims the oldest eligible
//!   ticket with one guarded `UPDATE … WHERE id = … AND status IN (waiting,
//!   transferred)` inside a transaction; on PostgreSQL the candidate row is
//!   read `FOR UPDATE SKIP LOCKED`, so several counters calling at once each
//!   get a different ticket; on SQLite the single writer serializes them.
//! - **The board sees each call once, in order.** Every call gets the next
//!   number of its unit's call sequence (an upsert on one row, locked until
//!   commit, so numbers commit in order) and is published after commit on a
//!   broadcast channel of the unit. A [`CallFeed`] hands calls out by that
//!   number and reads the database whenever it sees a gap (a late publisher,
//!   a lagging receiver, a reconnecting board), so nothing is skipped or
//!   repeated.

use crate::model::{from_ms, to_ms};
use crate::{Db, Result, Store, StoreError, local_day};
use motcua_domain::Problem;
use motcua_domain::calendar::{Date, OffsetDateTime, VN_OFFSET};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use tokio::sync::broadcast;

/// Minutes a ticket is assumed to take when the day has no finished ticket yet.
pub const DEFAULT_SERVICE_MINUTES: i64 = 6;
/// Appointments a slot takes per service.
pub const SLOT_CAPACITY: i64 = 3;
/// Length of an appointment slot.
pub const SLOT_MINUTES: i64 = 30;
/// A booked person who checks in this long before the slot, or up to this long
/// after it starts, goes ahead of walk-ins.
pub const CHECK_IN_EARLY_MINUTES: i64 = 30;
pub const CHECK_IN_LATE_MINUTES: i64 = 30;

/// Services and counters a unit gets on first use, so a new center (and the
/// demo) has a working queue at once; a unit admin changes them later.
pub const DEFAULT_SERVICES: [(&str, &[&str]); 3] = [
    ("Hộ tịch", &["Hộ tịch"]),
    ("Chứng thực", &["Chứng thực"]),
    // Empty: every field the others do not name (residence, business, …).
    ("Cư trú và khác", &[]),
];
/// (number, name, services by position in `DEFAULT_SERVICES`).
pub const DEFAULT_COUNTERS: [(i64, &str, &[usize]); 4] = [
    (1, "Quầy 1 · Hộ tịch", &[0]),
    (2, "Quầy 2 · Chứng thực", &[1]),
    (3, "Quầy 3 · Cư trú và khác", &[2]),
    (4, "Quầy 4 · Đa năng", &[0, 1, 2]),
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Service {
    pub id: i64,
    pub unit_code: String,
    pub name: String,
    /// Procedure fields (lĩnh vực) served; empty = all fields no other service names.
    pub fields: Vec<String>,
    pub position: i64,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Counter {
    pub id: i64,
    pub unit_code: String,
    pub number: i64,
    pub name: String,
    pub active: bool,
    /// Ids of the services it serves.
    pub services: Vec<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    Waiting,
    Called,
    Serving,
    Done,
    Skipped,
    Held,
    /// Sent to another service or counter; waits there ahead of walk-ins.
    Transferred,
}

impl TicketStatus {
    pub const ALL: [TicketStatus; 7] = [
        TicketStatus::Waiting,
        TicketStatus::Called,
        TicketStatus::Serving,
        TicketStatus::Done,
        TicketStatus::Skipped,
        TicketStatus::Held,
        TicketStatus::Transferred,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Waiting => "waiting",
            TicketStatus::Called => "called",
            TicketStatus::Serving => "serving",
            TicketStatus::Done => "done",
            TicketStatus::Skipped => "skipped",
            TicketStatus::Held => "held",
            TicketStatus::Transferred => "transferred",
        }
    }
    pub fn parse(s: &str) -> Option<TicketStatus> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
    /// Still in the queue, not yet called.
    pub fn is_waiting(self) -> bool {
        matches!(self, TicketStatus::Waiting | TicketStatus::Transferred)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ticket {
    pub id: i64,
    pub unit_code: String,
    pub day: Date,
    pub number: i64,
    /// The ticket's public handle (its page at the kiosk).
    pub token: String,
    pub service_id: i64,
    pub service_name: String,
    pub status: TicketStatus,
    /// 1 for checked-in appointments and transfers, 0 for walk-ins.
    pub priority: i64,
    pub target_counter_id: Option<i64>,
    pub counter_id: Option<i64>,
    pub counter_number: Option<i64>,
    pub phone: Option<String>,
    pub dossier_code: Option<String>,
    pub appointment_code: Option<String>,
    pub issued_at: OffsetDateTime,
    pub queued_at: OffsetDateTime,
    pub called_at: Option<OffsetDateTime>,
    pub started_at: Option<OffsetDateTime>,
    pub finished_at: Option<OffsetDateTime>,
}

/// One call of a number to a counter, as the board shows and says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Call {
    /// Position in the unit's sequence of calls: the board's event id.
    pub seq: i64,
    pub unit_code: String,
    pub ticket_id: i64,
    pub number: i64,
    pub counter_number: i64,
    pub counter_name: String,
    pub service_name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// What an officer does with the ticket at their counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketAction {
    /// Call the same number again (the board repeats it).
    Recall,
    /// The citizen came: serving starts.
    Start,
    /// Nobody came (no-show).
    Skip,
    /// Put aside (the citizen fetches a paper); stays with this counter.
    Hold,
    /// Call a held ticket back.
    Resume,
    Finish,
    /// Send to another service, or to one counter.
    Transfer {
        service_id: i64,
        counter_id: Option<i64>,
    },
    /// Link the dossier created or returned for this citizen.
    LinkDossier(String),
}

impl TicketAction {
    /// Statuses the action applies to.
    fn applies_to(&self) -> &'static [&'static str] {
        match self {
            TicketAction::Recall | TicketAction::Hold | TicketAction::Finish => {
                &["called", "serving"]
            }
            TicketAction::Start => &["called"],
            TicketAction::Skip => &["called", "held"],
            TicketAction::Resume => &["held"],
            TicketAction::Transfer { .. } => &["called", "serving", "held"],
            TicketAction::LinkDossier(_) => &[
                "waiting",
                "called",
                "serving",
                "done",
                "skipped",
                "held",
                "transferred",
            ],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Appointment {
    pub id: i64,
    pub code: String,
    pub unit_code: String,
    pub service_id: i64,
    pub day: Date,
    /// Local start of the slot, "HH:MM".
    pub slot: String,
    pub full_name: String,
    pub phone: Option<String>,
    pub ticket_id: Option<i64>,
}

/// How long a new ticket will likely wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Estimate {
    /// Tickets of the same service called before this one.
    pub ahead: i64,
    /// Minutes, from the day's average service time (or the default) and the
    /// counters serving the service.
    pub minutes: i64,
    /// Average minutes a ticket of this service took today (default when none finished).
    pub service_minutes: i64,
}

/// A ticket as statistics need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketFigures {
    pub day: Date,
    pub service_name: String,
    pub counter_number: Option<i64>,
    pub status: TicketStatus,
    pub issued_at: i64,
    pub called_at: Option<i64>,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

/// Counts and averages of one group of tickets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Figures {
    pub tickets: i64,
    pub called: i64,
    pub served: i64,
    pub skipped: i64,
    /// Average seconds from ticket to first call.
    pub avg_wait_s: Option<i64>,
    /// Average seconds from call (or start) to finish.
    pub avg_service_s: Option<i64>,
    pub max_wait_s: Option<i64>,
}

/// The queue's figures over some days, grouped four ways.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct QueueStats {
    pub total: Figures,
    pub by_service: Vec<(String, Figures)>,
    /// Counter number (None: never called to a counter).
    pub by_counter: Vec<(Option<i64>, Figures)>,
    /// Local hour the ticket was taken.
    pub by_hour: Vec<(u8, Figures)>,
    pub by_day: Vec<(Date, Figures)>,
}

impl QueueStats {
    pub fn from_tickets(rows: &[TicketFigures]) -> QueueStats {
        #[derive(Default)]
        struct Acc {
            f: Figures,
            wait: Vec<i64>,
            service: Vec<i64>,
        }
        impl Acc {
            fn add(&mut self, t: &TicketFigures) {
                self.f.tickets += 1;
                if let Some(c) = t.called_at {
                    self.f.called += 1;
                    self.wait.push(((c - t.issued_at) / 1000).max(0));
                }
                match t.status {
                    TicketStatus::Done => {
                        self.f.served += 1;
                        if let (Some(end), Some(begin)) =
                            (t.finished_at, t.started_at.or(t.called_at))
                        {
                            self.service.push(((end - begin) / 1000).max(0));
                        }
                    }
                    TicketStatus::Skipped => self.f.skipped += 1,
                    _ => {}
                }
            }
            fn done(mut self) -> Figures {
                let avg =
                    |v: &[i64]| (!v.is_empty()).then(|| v.iter().sum::<i64>() / v.len() as i64);
                self.f.avg_wait_s = avg(&self.wait);
                self.f.avg_service_s = avg(&self.service);
                self.f.max_wait_s = self.wait.iter().copied().max();
                self.f
            }
        }
        fn grouped<K: Ord + Clone>(
            rows: &[TicketFigures],
            key: impl Fn(&TicketFigures) -> K,
        ) -> Vec<(K, Figures)> {
            let mut map: std::collections::BTreeMap<K, Acc> = Default::default();
            for t in rows {
                map.entry(key(t)).or_default().add(t);
            }
            map.into_iter().map(|(k, a)| (k, a.done())).collect()
        }
        let mut total = Acc::default();
        for t in rows {
            total.add(t);
        }
        QueueStats {
            total: total.done(),
            by_service: grouped(rows, |t| t.service_name.clone()),
            by_counter: grouped(rows, |t| t.counter_number),
            by_hour: grouped(rows, |t| from_ms(t.issued_at).hour()),
            by_day: grouped(rows, |t| t.day),
        }
    }
}

// ---- the bus of calls --------------------------------------------------------

/// One broadcast channel of calls per unit, made when first used.
#[derive(Default)]
pub(crate) struct Bus {
    units: Mutex<HashMap<String, broadcast::Sender<Call>>>,
}

impl Bus {
    fn sender(&self, unit: &str) -> broadcast::Sender<Call> {
        let mut map = self.units.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(unit.to_string())
            .or_insert_with(|| broadcast::channel(256).0)
            .clone()
    }
    fn publish(&self, call: &Call) {
        // No board listening is fine: the call is in the database.
        let _ = self.sender(&call.unit_code).send(call.clone());
    }
    fn subscribe(&self, unit: &str) -> broadcast::Receiver<Call> {
        self.sender(unit).subscribe()
    }
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Bus")
    }
}

/// The calls of one unit after a given point, each once and in order.
pub struct CallFeed {
    store: Store,
    unit: String,
    rx: broadcast::Receiver<Call>,
    last: i64,
    pending: VecDeque<Call>,
    catch_up: bool,
}

impl CallFeed {
    /// The sequence number of the last call handed out.
    pub fn last_seq(&self) -> i64 {
        self.last
    }

    /// Look in the database at the next [`CallFeed::next`] (calls made by
    /// another server process on the same PostgreSQL database).
    pub fn check_database(&mut self) {
        self.catch_up = true;
    }

    /// The next call, waiting for it if need be. Cancel-safe: dropping the
    /// future loses nothing.
    pub async fn next(&mut self) -> Result<Call> {
        loop {
            if let Some(c) = self.pending.pop_front() {
                if c.seq > self.last {
                    self.last = c.seq;
                    return Ok(c);
                }
                continue;
            }
            if self.catch_up {
                let calls = self
                    .store
                    .queue()
                    .calls_after(&self.unit, self.last, 200)
                    .await?;
                self.catch_up = calls.len() == 200;
                self.pending.extend(calls);
                if !self.pending.is_empty() {
                    continue;
                }
            }
            match self.rx.recv().await {
                Ok(c) if c.seq == self.last + 1 => {
                    self.last = c.seq;
                    return Ok(c);
                }
                Ok(c) if c.seq <= self.last => {}
                // A gap (an earlier call is published late) or lost messages:
                // the database has them, in order.
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => self.catch_up = true,
                Err(broadcast::error::RecvError::Closed) => {
                    return Err(StoreError::Config("call bus closed".into()));
                }
            }
        }
    }
}

// ---- the SQL, once for both backends ----------------------------------------

#[derive(sqlx::FromRow)]
struct TicketRow {
    id: i64,
    unit_code: String,
    day: String,
    number: i64,
    token: String,
    service_id: i64,
    service_name: String,
    status: String,
    priority: i64,
    target_counter_id: Option<i64>,
    counter_id: Option<i64>,
    counter_number: Option<i64>,
    phone: Option<String>,
    dossier_code: Option<String>,
    appointment_code: Option<String>,
    issued_at: i64,
    queued_at: i64,
    called_at: Option<i64>,
    started_at: Option<i64>,
    finished_at: Option<i64>,
}

fn corrupt(what: &str) -> StoreError {
    Problem::conflict("corrupt_row", format!("Dữ liệu hàng đợi hỏng: {what}")).into()
}

fn parse_day(s: &str) -> Result<Date> {
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| corrupt("ngày"))
}

impl TryFrom<TicketRow> for Ticket {
    type Error = StoreError;
    fn try_from(r: TicketRow) -> Result<Ticket> {
        Ok(Ticket {
            id: r.id,
            unit_code: r.unit_code,
            day: parse_day(&r.day)?,
            number: r.number,
            token: r.token,
            service_id: r.service_id,
            service_name: r.service_name,
            status: TicketStatus::parse(&r.status).ok_or_else(|| corrupt("trạng thái"))?,
            priority: r.priority,
            target_counter_id: r.target_counter_id,
            counter_id: r.counter_id,
            counter_number: r.counter_number,
            phone: r.phone,
            dossier_code: r.dossier_code,
            appointment_code: r.appointment_code,
            issued_at: from_ms(r.issued_at),
            queued_at: from_ms(r.queued_at),
            called_at: r.called_at.map(from_ms),
            started_at: r.started_at.map(from_ms),
            finished_at: r.finished_at.map(from_ms),
        })
    }
}

#[derive(sqlx::FromRow)]
struct CallRow {
    seq: i64,
    unit_code: String,
    ticket_id: i64,
    number: i64,
    counter_number: i64,
    counter_name: String,
    service_name: String,
    at: i64,
}

impl From<CallRow> for Call {
    fn from(r: CallRow) -> Call {
        Call {
            seq: r.seq,
            unit_code: r.unit_code,
            ticket_id: r.ticket_id,
            number: r.number,
            counter_number: r.counter_number,
            counter_name: r.counter_name,
            service_name: r.service_name,
            at: from_ms(r.at),
        }
    }
}

#[derive(sqlx::FromRow)]
struct AppointmentRow {
    id: i64,
    code: String,
    unit_code: String,
    service_id: i64,
    day: String,
    slot: String,
    full_name: String,
    phone: Option<String>,
    ticket_id: Option<i64>,
}

impl TryFrom<AppointmentRow> for Appointment {
    type Error = StoreError;
    fn try_from(r: AppointmentRow) -> Result<Appointment> {
        Ok(Appointment {
            id: r.id,
            code: r.code,
            unit_code: r.unit_code,
            service_id: r.service_id,
            day: parse_day(&r.day)?,
            slot: r.slot,
            full_name: r.full_name,
            phone: r.phone,
            ticket_id: r.ticket_id,
        })
    }
}

/// What issuing a ticket writes.
struct NewTicket<'a> {
    unit: &'a str,
    day: &'a str,
    service_id: i64,
    phone: Option<&'a str>,
    priority: i64,
    appointment_code: Option<&'a str>,
    token: &'a str,
    now: i64,
}

fn changed() -> StoreError {
    Problem::conflict(
        "ticket_changed",
        "Số này vừa thay đổi (đã được xử lý, chuyển đi hoặc không thuộc quầy này). Hãy tải lại trang.",
    )
    .into()
}

fn unknown_service() -> StoreError {
    Problem::invalid(
        "unknown_service",
        "service",
        "Không có dịch vụ này ở đơn vị",
    )
    .into()
}

fn unknown_counter() -> StoreError {
    Problem::invalid("unknown_counter", "counter", "Không có quầy này ở đơn vị").into()
}

const TICKET_SELECT: &str = "SELECT t.id, t.unit_code, t.day, t.number, t.token, t.service_id, s.name AS service_name, \
     t.status, t.priority, t.target_counter_id, t.counter_id, c.number AS counter_number, t.phone, t.dossier_code, \
     t.appointment_code, t.issued_at, t.queued_at, t.called_at, t.started_at, t.finished_at \
     FROM queue_tickets t JOIN queue_services s ON s.id = t.service_id \
     LEFT JOIN queue_counters c ON c.id = t.counter_id";

macro_rules! queue_sql {
    // `$lock` locks the rows a transaction reads to change, where the
    // database needs it; `$skip` also skips rows another transaction holds.
    ($db:ty, $lock:literal, $skip:literal) => {
        use super::*;
        use sqlx::{Pool, Row, Transaction};

        type Db = $db;

        pub(crate) struct Sql<'a> {
            pub read: &'a Pool<Db>,
            pub write: &'a Pool<Db>,
        }

        async fn ticket_in(tx: &mut Transaction<'static, Db>, id: i64) -> Result<Ticket> {
            let row: TicketRow = sqlx::query_as(sqlx::AssertSqlSafe(format!("{TICKET_SELECT} WHERE t.id = $1")))
                .bind(id)
                .fetch_one(&mut **tx)
                .await?;
            row.try_into()
        }

        async fn issue_in(tx: &mut Transaction<'static, Db>, t: NewTicket<'_>) -> Result<i64> {
            let service: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM queue_services WHERE id = $1 AND unit_code = $2 AND active = TRUE",
            )
            .bind(t.service_id)
            .bind(t.unit)
            .fetch_optional(&mut **tx)
            .await?;
            if service.is_none() {
                return Err(unknown_service());
            }
            // Locked until commit: numbers never repeat or skip.
            let number: i64 = sqlx::query_scalar(
                "INSERT INTO queue_numbers (unit_code, day, last) VALUES ($1, $2, 1) \
                 ON CONFLICT (unit_code, day) DO UPDATE SET last = queue_numbers.last + 1 RETURNING last",
            )
            .bind(t.unit)
            .bind(t.day)
            .fetch_one(&mut **tx)
            .await?;
            if number == 1 {
                // The day's first ticket: forget the phone numbers of earlier days.
                sqlx::query("UPDATE queue_tickets SET phone = NULL WHERE unit_code = $1 AND day < $2 AND phone IS NOT NULL")
                    .bind(t.unit)
                    .bind(t.day)
                    .execute(&mut **tx)
                    .await?;
                sqlx::query(
                    "UPDATE queue_appointments SET full_name = '', phone = NULL WHERE unit_code = $1 AND day < $2 AND full_name <> ''",
                )
                .bind(t.unit)
                .bind(t.day)
                .execute(&mut **tx)
                .await?;
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO queue_tickets (unit_code, day, number, token, service_id, status, priority, phone, \
                 appointment_code, issued_at, queued_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, 'waiting', $6, $7, $8, $9, $9, $9) RETURNING id",
            )
            .bind(t.unit)
            .bind(t.day)
            .bind(number)
            .bind(t.token)
            .bind(t.service_id)
            .bind(t.priority)
            .bind(t.phone)
            .bind(t.appointment_code)
            .bind(t.now)
            .fetch_one(&mut **tx)
            .await?;
            Ok(id)
        }

        /// Record a call of `ticket_id` to `counter_id` as the unit's next call.
        async fn call_in(
            tx: &mut Transaction<'static, Db>,
            unit: &str,
            ticket_id: i64,
            counter_id: i64,
            now: i64,
        ) -> Result<Call> {
            let (number, service_name): (i64, String) = sqlx::query_as(
                "SELECT t.number, s.name FROM queue_tickets t JOIN queue_services s ON s.id = t.service_id WHERE t.id = $1",
            )
            .bind(ticket_id)
            .fetch_one(&mut **tx)
            .await?;
            let (counter_number, counter_name): (i64, String) =
                sqlx::query_as("SELECT number, name FROM queue_counters WHERE id = $1")
                    .bind(counter_id)
                    .fetch_one(&mut **tx)
                    .await?;
            // The row stays locked until commit: calls commit in sequence order.
            let seq: i64 = sqlx::query_scalar(
                "INSERT INTO queue_call_seq (unit_code, last) VALUES ($1, 1) \
                 ON CONFLICT (unit_code) DO UPDATE SET last = queue_call_seq.last + 1 RETURNING last",
            )
            .bind(unit)
            .fetch_one(&mut **tx)
            .await?;
            sqlx::query(
                "INSERT INTO queue_calls (unit_code, seq, ticket_id, number, counter_number, counter_name, service_name, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(unit)
            .bind(seq)
            .bind(ticket_id)
            .bind(number)
            .bind(counter_number)
            .bind(&counter_name)
            .bind(&service_name)
            .bind(now)
            .execute(&mut **tx)
            .await?;
            Ok(Call {
                seq,
                unit_code: unit.to_string(),
                ticket_id,
                number,
                counter_number,
                counter_name,
                service_name,
                at: from_ms(now),
            })
        }

        impl Sql<'_> {
            pub async fn service_count(&self, unit: &str) -> Result<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM queue_services WHERE unit_code = $1")
                    .bind(unit)
                    .fetch_one(self.read)
                    .await?)
            }

            /// Insert the default services and counters (nothing that exists is changed).
            pub async fn seed_defaults(&self, unit: &str) -> Result<()> {
                let mut tx = self.write.begin().await?;
                let mut ids = Vec::new();
                for (position, (name, fields)) in DEFAULT_SERVICES.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO queue_services (unit_code, name, fields, position, active) VALUES ($1, $2, $3, $4, TRUE) \
                         ON CONFLICT (unit_code, name) DO NOTHING",
                    )
                    .bind(unit)
                    .bind(*name)
                    .bind(fields.join("\n"))
                    .bind(position as i64 + 1)
                    .execute(&mut *tx)
                    .await?;
                    let id: i64 = sqlx::query_scalar("SELECT id FROM queue_services WHERE unit_code = $1 AND name = $2")
                        .bind(unit)
                        .bind(*name)
                        .fetch_one(&mut *tx)
                        .await?;
                    ids.push(id);
                }
                for (number, name, services) in DEFAULT_COUNTERS {
                    let inserted: Option<i64> = sqlx::query_scalar(
                        "INSERT INTO queue_counters (unit_code, number, name, active) VALUES ($1, $2, $3, TRUE) \
                         ON CONFLICT (unit_code, number) DO NOTHING RETURNING id",
                    )
                    .bind(unit)
                    .bind(number)
                    .bind(name)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some(counter) = inserted {
                        for &i in services {
                            if let Some(service) = ids.get(i) {
                                sqlx::query("INSERT INTO queue_counter_services (counter_id, service_id) VALUES ($1, $2)")
                                    .bind(counter)
                                    .bind(*service)
                                    .execute(&mut *tx)
                                    .await?;
                            }
                        }
                    }
                }
                tx.commit().await?;
                Ok(())
            }

            pub async fn services(&self, unit: &str) -> Result<Vec<Service>> {
                let rows = sqlx::query(
                    "SELECT id, unit_code, name, fields, position, active FROM queue_services WHERE unit_code = $1 ORDER BY position, id",
                )
                .bind(unit)
                .fetch_all(self.read)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|r| {
                        let fields: String = r.get(3);
                        Service {
                            id: r.get(0),
                            unit_code: r.get(1),
                            name: r.get(2),
                            fields: fields.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect(),
                            position: r.get(4),
                            active: r.get(5),
                        }
                    })
                    .collect())
            }

            pub async fn counters(&self, unit: &str) -> Result<Vec<Counter>> {
                let rows: Vec<(i64, String, i64, String, bool)> = sqlx::query_as(
                    "SELECT id, unit_code, number, name, active FROM queue_counters WHERE unit_code = $1 ORDER BY number",
                )
                .bind(unit)
                .fetch_all(self.read)
                .await?;
                let links: Vec<(i64, i64)> = sqlx::query_as(
                    "SELECT cs.counter_id, cs.service_id FROM queue_counter_services cs \
                     JOIN queue_counters c ON c.id = cs.counter_id WHERE c.unit_code = $1 ORDER BY cs.service_id",
                )
                .bind(unit)
                .fetch_all(self.read)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, unit_code, number, name, active)| Counter {
                        id,
                        unit_code,
                        number,
                        name,
                        active,
                        services: links.iter().filter(|(c, _)| *c == id).map(|(_, s)| *s).collect(),
                    })
                    .collect())
            }

            /// Add or change a counter by its number; it serves exactly `services`.
            pub async fn put_counter(&self, unit: &str, number: i64, name: &str, active: bool, services: &[i64]) -> Result<i64> {
                let mut tx = self.write.begin().await?;
                for s in services {
                    let ok: Option<i64> = sqlx::query_scalar("SELECT id FROM queue_services WHERE id = $1 AND unit_code = $2")
                        .bind(*s)
                        .bind(unit)
                        .fetch_optional(&mut *tx)
                        .await?;
                    if ok.is_none() {
                        return Err(unknown_service());
                    }
                }
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO queue_counters (unit_code, number, name, active) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (unit_code, number) DO UPDATE SET name = excluded.name, active = excluded.active RETURNING id",
                )
                .bind(unit)
                .bind(number)
                .bind(name)
                .bind(active)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM queue_counter_services WHERE counter_id = $1").bind(id).execute(&mut *tx).await?;
                for s in services {
                    sqlx::query("INSERT INTO queue_counter_services (counter_id, service_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .bind(id)
                        .bind(*s)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(id)
            }

            /// Add or change a service by its name.
            pub async fn put_service(&self, unit: &str, name: &str, fields: &[String], active: bool) -> Result<i64> {
                let position: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) + 1 FROM queue_services WHERE unit_code = $1")
                    .bind(unit)
                    .fetch_one(self.read)
                    .await?;
                Ok(sqlx::query_scalar(
                    "INSERT INTO queue_services (unit_code, name, fields, position, active) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (unit_code, name) DO UPDATE SET fields = excluded.fields, active = excluded.active RETURNING id",
                )
                .bind(unit)
                .bind(name)
                .bind(fields.join("\n"))
                .bind(position)
                .bind(active)
                .fetch_one(self.write)
                .await?)
            }

            pub async fn issue(&self, t: NewTicket<'_>) -> Result<Ticket> {
                let mut tx = self.write.begin().await?;
                let id = issue_in(&mut tx, t).await?;
                let ticket = ticket_in(&mut tx, id).await?;
                tx.commit().await?;
                Ok(ticket)
            }

            pub async fn ticket(&self, id: i64) -> Result<Option<Ticket>> {
                let row: Option<TicketRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{TICKET_SELECT} WHERE t.id = $1")))
                    .bind(id)
                    .fetch_optional(self.read)
                    .await?;
                row.map(Ticket::try_from).transpose()
            }

            pub async fn ticket_by_token(&self, token: &str) -> Result<Option<Ticket>> {
                let row: Option<TicketRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{TICKET_SELECT} WHERE t.token = $1")))
                    .bind(token)
                    .fetch_optional(self.read)
                    .await?;
                row.map(Ticket::try_from).transpose()
            }

            /// Tickets of a unit's day in the given statuses, in queue order.
            pub async fn tickets(&self, unit: &str, day: &str, statuses: &[&str]) -> Result<Vec<Ticket>> {
                let rows: Vec<TicketRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{TICKET_SELECT} WHERE t.unit_code = $1 AND t.day = $2 ORDER BY t.priority DESC, t.queued_at, t.id"
                )))
                .bind(unit)
                .bind(day)
                .fetch_all(self.read)
                .await?;
                rows.into_iter()
                    .filter(|r| statuses.is_empty() || statuses.contains(&r.status.as_str()))
                    .map(Ticket::try_from)
                    .collect()
            }

            /// The ticket being called or served at a counter.
            pub async fn current(&self, counter_id: i64) -> Result<Option<Ticket>> {
                let row: Option<TicketRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{TICKET_SELECT} WHERE t.counter_id = $1 AND t.status IN ('called', 'serving') ORDER BY t.called_at DESC, t.id DESC LIMIT 1"
                )))
                .bind(counter_id)
                .fetch_optional(self.read)
                .await?;
                row.map(Ticket::try_from).transpose()
            }

            /// Tickets ahead of `t` in its service's queue.
            pub async fn ahead(&self, t: &Ticket) -> Result<i64> {
                Ok(sqlx::query_scalar(
                    "SELECT COUNT(*) FROM queue_tickets WHERE unit_code = $1 AND day = $2 AND service_id = $3 \
                     AND status IN ('waiting', 'transferred') \
                     AND (priority > $4 OR (priority = $4 AND (queued_at < $5 OR (queued_at = $5 AND id < $6))))",
                )
                .bind(&t.unit_code)
                .bind(crate::backend::day_text(t.day))
                .bind(t.service_id)
                .bind(t.priority)
                .bind(to_ms(t.queued_at))
                .bind(t.id)
                .fetch_one(self.read)
                .await?)
            }

            /// Milliseconds each finished ticket of a service took on a day.
            pub async fn service_times(&self, unit: &str, day: &str, service_id: i64) -> Result<Vec<i64>> {
                Ok(sqlx::query_scalar(
                    "SELECT finished_at - COALESCE(started_at, called_at) FROM queue_tickets WHERE unit_code = $1 AND day = $2 \
                     AND service_id = $3 AND status = 'done' AND finished_at IS NOT NULL AND called_at IS NOT NULL",
                )
                .bind(unit)
                .bind(day)
                .bind(service_id)
                .fetch_all(self.read)
                .await?)
            }

            pub async fn counters_serving(&self, service_id: i64) -> Result<i64> {
                Ok(sqlx::query_scalar(
                    "SELECT COUNT(*) FROM queue_counter_services cs JOIN queue_counters c ON c.id = cs.counter_id \
                     WHERE cs.service_id = $1 AND c.active = TRUE",
                )
                .bind(service_id)
                .fetch_one(self.read)
                .await?)
            }

            /// Finish what the counter has, claim its next ticket and record the call.
            pub async fn call_next(&self, unit: &str, day: &str, counter_id: i64, now: i64) -> Result<Option<Call>> {
                let mut tx = self.write.begin().await?;
                let counter: Option<i64> = sqlx::query_scalar(concat!(
                    "SELECT id FROM queue_counters WHERE id = $1 AND unit_code = $2 AND active = TRUE",
                    $lock
                ))
                .bind(counter_id)
                .bind(unit)
                .fetch_optional(&mut *tx)
                .await?;
                if counter.is_none() {
                    return Err(unknown_counter());
                }
                sqlx::query(
                    "UPDATE queue_tickets SET status = 'done', finished_at = $1, updated_at = $1 \
                     WHERE counter_id = $2 AND status IN ('called', 'serving')",
                )
                .bind(now)
                .bind(counter_id)
                .execute(&mut *tx)
                .await?;
                // The guarded update claims the ticket; on PostgreSQL the
                // candidate is locked, others skip it, so this rarely loops.
                for _ in 0..20 {
                    let candidate: Option<i64> = sqlx::query_scalar(concat!(
                        "SELECT t.id FROM queue_tickets t WHERE t.unit_code = $1 AND t.day = $2 \
                         AND t.status IN ('waiting', 'transferred') \
                         AND ((t.target_counter_id IS NULL AND t.service_id IN \
                               (SELECT service_id FROM queue_counter_services WHERE counter_id = $3)) \
                              OR t.target_counter_id = $3) \
                         ORDER BY t.priority DESC, t.queued_at, t.id LIMIT 1",
                        $skip
                    ))
                    .bind(unit)
                    .bind(day)
                    .bind(counter_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some(id) = candidate else {
                        tx.commit().await?;
                        return Ok(None);
                    };
                    let claimed = sqlx::query(
                        "UPDATE queue_tickets SET status = 'called', counter_id = $1, target_counter_id = NULL, \
                         called_at = COALESCE(called_at, $2), updated_at = $2 \
                         WHERE id = $3 AND status IN ('waiting', 'transferred')",
                    )
                    .bind(counter_id)
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    if claimed.rows_affected() == 1 {
                        let call = call_in(&mut tx, unit, id, counter_id, now).await?;
                        tx.commit().await?;
                        return Ok(Some(call));
                    }
                }
                Err(Problem::conflict("queue_busy", "Hàng đợi đang bận, hãy bấm gọi lại").into())
            }

            /// Apply an action to a ticket at a counter; a call when it calls again.
            pub async fn act(
                &self,
                unit: &str,
                counter_id: i64,
                ticket_id: i64,
                action: &TicketAction,
                now: i64,
            ) -> Result<Option<Call>> {
                let mut tx = self.write.begin().await?;
                let row: Option<(String, Option<i64>)> = sqlx::query_as(concat!(
                    "SELECT status, counter_id FROM queue_tickets WHERE id = $1 AND unit_code = $2",
                    $lock
                ))
                .bind(ticket_id)
                .bind(unit)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((status, at_counter)) = row else {
                    return Err(Problem::not_found("ticket_not_found", "Không tìm thấy số thứ tự này").into());
                };
                let own = !matches!(action, TicketAction::LinkDossier(_));
                if !action.applies_to().contains(&status.as_str()) || (own && at_counter != Some(counter_id)) {
                    return Err(changed());
                }
                let mut call = None;
                match action {
                    TicketAction::Recall => {
                        sqlx::query("UPDATE queue_tickets SET updated_at = $1 WHERE id = $2")
                            .bind(now)
                            .bind(ticket_id)
                            .execute(&mut *tx)
                            .await?;
                        call = Some(call_in(&mut tx, unit, ticket_id, counter_id, now).await?);
                    }
                    TicketAction::Resume => {
                        sqlx::query("UPDATE queue_tickets SET status = 'called', updated_at = $1 WHERE id = $2")
                            .bind(now)
                            .bind(ticket_id)
                            .execute(&mut *tx)
                            .await?;
                        call = Some(call_in(&mut tx, unit, ticket_id, counter_id, now).await?);
                    }
                    TicketAction::Start => {
                        sqlx::query(
                            "UPDATE queue_tickets SET status = 'serving', started_at = COALESCE(started_at, $1), updated_at = $1 WHERE id = $2",
                        )
                        .bind(now)
                        .bind(ticket_id)
                        .execute(&mut *tx)
                        .await?;
                    }
                    TicketAction::Skip | TicketAction::Finish => {
                        let to = if *action == TicketAction::Skip { "skipped" } else { "done" };
                        sqlx::query("UPDATE queue_tickets SET status = $1, finished_at = $2, updated_at = $2 WHERE id = $3")
                            .bind(to)
                            .bind(now)
                            .bind(ticket_id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    TicketAction::Hold => {
                        sqlx::query("UPDATE queue_tickets SET status = 'held', updated_at = $1 WHERE id = $2")
                            .bind(now)
                            .bind(ticket_id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    TicketAction::Transfer { service_id, counter_id: target } => {
                        let service: Option<i64> = sqlx::query_scalar(
                            "SELECT id FROM queue_services WHERE id = $1 AND unit_code = $2 AND active = TRUE",
                        )
                        .bind(*service_id)
                        .bind(unit)
                        .fetch_optional(&mut *tx)
                        .await?;
                        if service.is_none() {
                            return Err(unknown_service());
                        }
                        if let Some(target) = target {
                            let ok: Option<i64> = sqlx::query_scalar(
                                "SELECT id FROM queue_counters WHERE id = $1 AND unit_code = $2 AND active = TRUE",
                            )
                            .bind(*target)
                            .bind(unit)
                            .fetch_optional(&mut *tx)
                            .await?;
                            if ok.is_none() {
                                return Err(unknown_counter());
                            }
                        }
                        sqlx::query(
                            "UPDATE queue_tickets SET status = 'transferred', service_id = $1, target_counter_id = $2, \
                             counter_id = NULL, priority = CASE WHEN priority < 1 THEN 1 ELSE priority END, updated_at = $3 WHERE id = $4",
                        )
                        .bind(*service_id)
                        .bind(*target)
                        .bind(now)
                        .bind(ticket_id)
                        .execute(&mut *tx)
                        .await?;
                    }
                    TicketAction::LinkDossier(code) => {
                        let dossier_unit: Option<String> = sqlx::query_scalar("SELECT unit_code FROM dossiers WHERE code = $1")
                            .bind(code)
                            .fetch_optional(&mut *tx)
                            .await?;
                        if dossier_unit.as_deref() != Some(unit) {
                            return Err(Problem::invalid(
                                "dossier_not_found",
                                "dossier_code",
                                format!("Không có hồ sơ mã \"{code}\" ở đơn vị này"),
                            )
                            .into());
                        }
                        sqlx::query("UPDATE queue_tickets SET dossier_code = $1, updated_at = $2 WHERE id = $3")
                            .bind(code)
                            .bind(now)
                            .bind(ticket_id)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                tx.commit().await?;
                Ok(call)
            }

            pub async fn calls_after(&self, unit: &str, after: i64, limit: i64) -> Result<Vec<Call>> {
                let rows: Vec<CallRow> = sqlx::query_as(
                    "SELECT seq, unit_code, ticket_id, number, counter_number, counter_name, service_name, at \
                     FROM queue_calls WHERE unit_code = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                )
                .bind(unit)
                .bind(after)
                .bind(limit)
                .fetch_all(self.read)
                .await?;
                Ok(rows.into_iter().map(Call::from).collect())
            }

            /// The latest calls since `since` (ms), newest first.
            pub async fn recent_calls(&self, unit: &str, since: i64, limit: i64) -> Result<Vec<Call>> {
                let rows: Vec<CallRow> = sqlx::query_as(
                    "SELECT seq, unit_code, ticket_id, number, counter_number, counter_name, service_name, at \
                     FROM queue_calls WHERE unit_code = $1 AND at >= $2 ORDER BY seq DESC LIMIT $3",
                )
                .bind(unit)
                .bind(since)
                .bind(limit)
                .fetch_all(self.read)
                .await?;
                Ok(rows.into_iter().map(Call::from).collect())
            }

            pub async fn last_call_seq(&self, unit: &str) -> Result<i64> {
                Ok(sqlx::query_scalar("SELECT last FROM queue_call_seq WHERE unit_code = $1")
                    .bind(unit)
                    .fetch_optional(self.read)
                    .await?
                    .unwrap_or(0))
            }

            pub async fn figures(&self, unit: &str, from: &str, to: &str) -> Result<Vec<TicketFigures>> {
                let rows: Vec<(String, String, Option<i64>, String, i64, Option<i64>, Option<i64>, Option<i64>)> = sqlx::query_as(
                    "SELECT t.day, s.name, c.number, t.status, t.issued_at, t.called_at, t.started_at, t.finished_at \
                     FROM queue_tickets t JOIN queue_services s ON s.id = t.service_id LEFT JOIN queue_counters c ON c.id = t.counter_id \
                     WHERE t.unit_code = $1 AND t.day >= $2 AND t.day <= $3 ORDER BY t.id",
                )
                .bind(unit)
                .bind(from)
                .bind(to)
                .fetch_all(self.read)
                .await?;
                rows.into_iter()
                    .map(|(day, service_name, counter_number, status, issued_at, called_at, started_at, finished_at)| {
                        Ok(TicketFigures {
                            day: parse_day(&day)?,
                            service_name,
                            counter_number,
                            status: TicketStatus::parse(&status).ok_or_else(|| corrupt("trạng thái"))?,
                            issued_at,
                            called_at,
                            started_at,
                            finished_at,
                        })
                    })
                    .collect()
            }

            /// Bookings per slot of a service's day.
            pub async fn slot_counts(&self, unit: &str, service_id: i64, day: &str) -> Result<Vec<(String, i64)>> {
                Ok(sqlx::query_as(
                    "SELECT slot, COUNT(*) FROM queue_appointments WHERE unit_code = $1 AND service_id = $2 AND day = $3 GROUP BY slot ORDER BY slot",
                )
                .bind(unit)
                .bind(service_id)
                .bind(day)
                .fetch_all(self.read)
                .await?)
            }

            #[allow(clippy::too_many_arguments)]
            pub async fn book(
                &self,
                unit: &str,
                service_id: i64,
                day: &str,
                slot: &str,
                full_name: &str,
                phone: Option<&str>,
                code: &str,
                now: i64,
            ) -> Result<Appointment> {
                let mut tx = self.write.begin().await?;
                // Locking the service serializes bookings of its slots.
                let service: Option<i64> = sqlx::query_scalar(concat!(
                    "SELECT id FROM queue_services WHERE id = $1 AND unit_code = $2 AND active = TRUE",
                    $lock
                ))
                .bind(service_id)
                .bind(unit)
                .fetch_optional(&mut *tx)
                .await?;
                if service.is_none() {
                    return Err(unknown_service());
                }
                let taken: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM queue_appointments WHERE unit_code = $1 AND service_id = $2 AND day = $3 AND slot = $4",
                )
                .bind(unit)
                .bind(service_id)
                .bind(day)
                .bind(slot)
                .fetch_one(&mut *tx)
                .await?;
                if taken >= SLOT_CAPACITY {
                    return Err(Problem::invalid("slot_full", "slot", "Khung giờ này đã kín lịch, hãy chọn giờ khác").into());
                }
                let row: AppointmentRow = sqlx::query_as(
                    "INSERT INTO queue_appointments (code, unit_code, service_id, day, slot, full_name, phone, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     RETURNING id, code, unit_code, service_id, day, slot, full_name, phone, ticket_id",
                )
                .bind(code)
                .bind(unit)
                .bind(service_id)
                .bind(day)
                .bind(slot)
                .bind(full_name)
                .bind(phone)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                row.try_into()
            }

            pub async fn appointment(&self, unit: &str, code: &str) -> Result<Option<Appointment>> {
                let row: Option<AppointmentRow> = sqlx::query_as(
                    "SELECT id, code, unit_code, service_id, day, slot, full_name, phone, ticket_id \
                     FROM queue_appointments WHERE unit_code = $1 AND code = $2",
                )
                .bind(unit)
                .bind(code)
                .fetch_optional(self.read)
                .await?;
                row.map(Appointment::try_from).transpose()
            }

            /// The appointment's ticket: made on the first check-in, the same one after.
            pub async fn check_in(&self, unit: &str, code: &str, priority: i64, token: &str, now: i64) -> Result<Ticket> {
                let mut tx = self.write.begin().await?;
                let row: Option<(i64, i64, String, Option<String>, Option<i64>)> = sqlx::query_as(concat!(
                    "SELECT id, service_id, day, phone, ticket_id FROM queue_appointments WHERE unit_code = $1 AND code = $2",
                    $lock
                ))
                .bind(unit)
                .bind(code)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((id, service_id, day, phone, ticket)) = row else {
                    return Err(Problem::invalid("appointment_not_found", "code", "Không tìm thấy lịch hẹn với mã này").into());
                };
                let ticket_id = match ticket {
                    Some(t) => t,
                    None => {
                        let t = issue_in(
                            &mut tx,
                            NewTicket {
                                unit,
                                day: &day,
                                service_id,
                                phone: phone.as_deref(),
                                priority,
                                appointment_code: Some(code),
                                token,
                                now,
                            },
                        )
                        .await?;
                        sqlx::query("UPDATE queue_appointments SET ticket_id = $1 WHERE id = $2")
                            .bind(t)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                        t
                    }
                };
                let ticket = ticket_in(&mut tx, ticket_id).await?;
                tx.commit().await?;
                Ok(ticket)
            }
        }
    };
}

mod sqlite {
    queue_sql!(sqlx::Sqlite, "", "");
}

mod postgres {
    queue_sql!(
        sqlx::Postgres,
        " FOR UPDATE",
        " FOR UPDATE OF t SKIP LOCKED"
    );
}

/// Run the same call on whichever backend is configured.
macro_rules! on_queue {
    ($self:ident . $method:ident ( $($arg:expr),* $(,)? )) => {
        match &$self.store.db {
            Db::Sqlite(i) => sqlite::Sql { read: &i.read, write: &i.write }.$method($($arg),*).await,
            Db::Postgres(i) => postgres::Sql { read: &i.read, write: &i.write }.$method($($arg),*).await,
        }
    };
}

// ---- the port ----------------------------------------------------------------

impl Store {
    /// The queue: services, counters, tickets, calls, appointments.
    pub fn queue(&self) -> Queue<'_> {
        Queue { store: self }
    }
}

pub struct Queue<'a> {
    store: &'a Store,
}

fn day_text(d: Date) -> String {
    crate::backend::day_text(d)
}

fn start_of_day_ms(d: Date) -> i64 {
    to_ms(d.midnight().assume_offset(VN_OFFSET))
}

fn random_token<const N: usize>() -> Result<String> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).map_err(|e| StoreError::Config(format!("no randomness: {e}")))?;
    Ok(motcua_domain::dossier::lookup_key(b)[..N].to_string())
}

fn clean_phone(phone: Option<&str>) -> Result<Option<String>> {
    match phone.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(None),
        Some(p) => motcua_domain::dossier::normalize_phone(p)
            .map(Some)
            .ok_or_else(|| {
                Problem::invalid(
                    "bad_phone",
                    "phone",
                    "Số điện thoại phải gồm 10 chữ số, bắt đầu bằng 0",
                )
                .into()
            }),
    }
}

impl Queue<'_> {
    /// The unit's services and counters, made from the defaults on first use.
    pub async fn setup(&self, unit: &str) -> Result<(Vec<Service>, Vec<Counter>)> {
        self.store.require_unit(unit).await?;
        if on_queue!(self.service_count(unit))? == 0 {
            on_queue!(self.seed_defaults(unit))?;
        }
        Ok((
            on_queue!(self.services(unit))?,
            on_queue!(self.counters(unit))?,
        ))
    }

    pub async fn services(&self, unit: &str) -> Result<Vec<Service>> {
        on_queue!(self.services(unit))
    }

    pub async fn counters(&self, unit: &str) -> Result<Vec<Counter>> {
        on_queue!(self.counters(unit))
    }

    /// Add or change counter `number` of a unit, serving `services`.
    pub async fn put_counter(
        &self,
        unit: &str,
        number: i64,
        name: &str,
        active: bool,
        services: &[i64],
    ) -> Result<i64> {
        self.store.require_unit(unit).await?;
        let name = motcua_domain::text::nfc(name.trim());
        if !(1..=999).contains(&number) {
            return Err(
                Problem::invalid("bad_counter_number", "number", "Số quầy từ 1 đến 999").into(),
            );
        }
        if name.is_empty() || name.chars().count() > 100 {
            return Err(Problem::invalid(
                "bad_counter_name",
                "name",
                "Tên quầy phải có từ 1 đến 100 ký tự",
            )
            .into());
        }
        on_queue!(self.put_counter(unit, number, &name, active, services))
    }

    /// Add or change a service by name; `fields` are procedure fields (empty = the rest).
    pub async fn put_service(
        &self,
        unit: &str,
        name: &str,
        fields: &[String],
        active: bool,
    ) -> Result<i64> {
        self.store.require_unit(unit).await?;
        let name = motcua_domain::text::nfc(name.trim());
        if name.is_empty() || name.chars().count() > 100 {
            return Err(Problem::invalid(
                "bad_service_name",
                "name",
                "Tên dịch vụ phải có từ 1 đến 100 ký tự",
            )
            .into());
        }
        on_queue!(self.put_service(unit, &name, fields, active))
    }

    /// A walk-in ticket for a service, numbered after the unit's last of the day.
    pub async fn issue(
        &self,
        unit: &str,
        service_id: i64,
        phone: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Ticket> {
        let phone = clean_phone(phone)?;
        let day = day_text(local_day(now));
        let token = random_token::<10>()?;
        on_queue!(self.issue(NewTicket {
            unit,
            day: &day,
            service_id,
            phone: phone.as_deref(),
            priority: 0,
            appointment_code: None,
            token: &token,
            now: to_ms(now),
        }))
    }

    pub async fn ticket(&self, id: i64) -> Result<Option<Ticket>> {
        on_queue!(self.ticket(id))
    }

    pub async fn ticket_by_token(&self, token: &str) -> Result<Option<Ticket>> {
        on_queue!(self.ticket_by_token(token))
    }

    /// A unit's tickets of a day in queue order, only those in `statuses` (all when empty).
    pub async fn tickets(
        &self,
        unit: &str,
        day: Date,
        statuses: &[TicketStatus],
    ) -> Result<Vec<Ticket>> {
        let names: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
        on_queue!(self.tickets(unit, &day_text(day), &names))
    }

    /// The ticket being called or served at a counter.
    pub async fn current(&self, counter_id: i64) -> Result<Option<Ticket>> {
        on_queue!(self.current(counter_id))
    }

    /// People ahead and the likely wait of a waiting ticket.
    pub async fn estimate(&self, t: &Ticket) -> Result<Estimate> {
        let ahead = if t.status.is_waiting() {
            on_queue!(self.ahead(t))?
        } else {
            0
        };
        let times = on_queue!(self.service_times(&t.unit_code, &day_text(t.day), t.service_id))?;
        let service_minutes = if times.is_empty() {
            DEFAULT_SERVICE_MINUTES
        } else {
            let avg_ms = times.iter().map(|m| (*m).max(0)).sum::<i64>() / times.len() as i64;
            (avg_ms + 59_999) / 60_000
        }
        .max(1);
        let counters = on_queue!(self.counters_serving(t.service_id))?.max(1);
        // Those ahead, shared among the counters, plus the one being served.
        let minutes = if t.status.is_waiting() {
            (ahead * service_minutes + counters - 1) / counters
        } else {
            0
        };
        Ok(Estimate {
            ahead,
            minutes,
            service_minutes,
        })
    }

    /// Finish the counter's current ticket and call its next one: the oldest
    /// waiting ticket of the services it serves (or sent to it), checked-in
    /// appointments and transfers first. None when nobody waits.
    pub async fn call_next(
        &self,
        unit: &str,
        counter_id: i64,
        now: OffsetDateTime,
    ) -> Result<Option<(Ticket, Call)>> {
        let day = day_text(local_day(now));
        let Some(call) = on_queue!(self.call_next(unit, &day, counter_id, to_ms(now)))? else {
            return Ok(None);
        };
        self.store.bus.publish(&call);
        let ticket = self
            .ticket(call.ticket_id)
            .await?
            .ok_or_else(|| corrupt("vé vừa gọi"))?;
        Ok(Some((ticket, call)))
    }

    /// Act on a ticket at a counter; returns the ticket after, and the call
    /// when the action calls the number again (recall, resume).
    pub async fn act(
        &self,
        unit: &str,
        counter_id: i64,
        ticket_id: i64,
        action: &TicketAction,
        now: OffsetDateTime,
    ) -> Result<(Ticket, Option<Call>)> {
        let action = match action {
            TicketAction::LinkDossier(code) => {
                let code = code.trim().to_uppercase();
                if !motcua_domain::dossier::is_well_formed_code(&code) {
                    return Err(Problem::invalid(
                        "bad_dossier_code",
                        "dossier_code",
                        "Mã hồ sơ có dạng 30112-260302-0007",
                    )
                    .into());
                }
                TicketAction::LinkDossier(code)
            }
            other => other.clone(),
        };
        let call = on_queue!(self.act(unit, counter_id, ticket_id, &action, to_ms(now)))?;
        if let Some(c) = &call {
            self.store.bus.publish(c);
        }
        let ticket = self.ticket(ticket_id).await?.ok_or_else(|| corrupt("vé"))?;
        Ok((ticket, call))
    }

    /// Calls of a unit after sequence number `after`, oldest first.
    pub async fn calls_after(&self, unit: &str, after: i64, limit: i64) -> Result<Vec<Call>> {
        on_queue!(self.calls_after(unit, after, limit))
    }

    /// Today's latest calls of a unit, newest first.
    pub async fn recent_calls(
        &self,
        unit: &str,
        now: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<Call>> {
        on_queue!(self.recent_calls(unit, start_of_day_ms(local_day(now)), limit))
    }

    /// The sequence number of the unit's last call (0 before any).
    pub async fn last_call_seq(&self, unit: &str) -> Result<i64> {
        on_queue!(self.last_call_seq(unit))
    }

    /// Live calls as they are published (no replay, no gap filling: see [`Queue::feed`]).
    pub fn subscribe(&self, unit: &str) -> broadcast::Receiver<Call> {
        self.store.bus.subscribe(unit)
    }

    /// Every call of `unit` after sequence number `after`, each once, in
    /// order, live: what a display board shows, resumable after a reconnect.
    pub fn feed(&self, unit: &str, after: i64) -> CallFeed {
        CallFeed {
            rx: self.store.bus.subscribe(unit),
            store: self.store.clone(),
            unit: unit.to_string(),
            last: after.max(0),
            pending: VecDeque::new(),
            catch_up: true,
        }
    }

    /// Figures of the tickets taken from `from` to `to` (local days, inclusive).
    pub async fn stats(&self, unit: &str, from: Date, to: Date) -> Result<QueueStats> {
        let rows = on_queue!(self.figures(unit, &day_text(from), &day_text(to)))?;
        Ok(QueueStats::from_tickets(&rows))
    }

    // ---- appointments ----

    /// The slots of a service on a day, with the places left in each: every
    /// SLOT_MINUTES of the unit's working sessions, none on days off, none past.
    pub async fn slots(
        &self,
        unit: &str,
        service_id: i64,
        day: Date,
        now: OffsetDateTime,
    ) -> Result<Vec<(String, i64)>> {
        let cal = self.store.calendar(Some(unit)).await?;
        if !cal.is_working_day(day) {
            return Ok(Vec::new());
        }
        let taken = on_queue!(self.slot_counts(unit, service_id, &day_text(day)))?;
        let mut out = Vec::new();
        for &(start, end) in cal.hours().sessions() {
            let mut t = start;
            loop {
                let slot_end = t + time::Duration::minutes(SLOT_MINUTES);
                if slot_end > end || slot_end < t {
                    break;
                }
                let at = day.with_time(t).assume_offset(VN_OFFSET);
                if at > now {
                    let label = format!("{:02}:{:02}", t.hour(), t.minute());
                    let used = taken
                        .iter()
                        .find(|(s, _)| *s == label)
                        .map_or(0, |(_, n)| *n);
                    out.push((label, (SLOT_CAPACITY - used).max(0)));
                }
                t = slot_end;
            }
        }
        Ok(out)
    }

    /// Book a slot; returns the appointment with its code (6 characters).
    #[allow(clippy::too_many_arguments)]
    pub async fn book(
        &self,
        unit: &str,
        service_id: i64,
        day: Date,
        slot: &str,
        full_name: &str,
        phone: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Appointment> {
        let name = motcua_domain::text::nfc(full_name.trim());
        if name.chars().count() < 2 || name.chars().count() > 100 {
            return Err(Problem::invalid(
                "bad_name",
                "full_name",
                "Hãy nhập họ và tên (2 đến 100 ký tự)",
            )
            .into());
        }
        let phone = clean_phone(phone)?;
        let open = self.slots(unit, service_id, day, now).await?;
        match open.iter().find(|(s, _)| s == slot) {
            None => {
                return Err(Problem::invalid(
                    "bad_slot",
                    "slot",
                    "Hãy chọn một khung giờ còn trống trong ngày làm việc",
                )
                .into());
            }
            Some((_, 0)) => {
                return Err(Problem::invalid(
                    "slot_full",
                    "slot",
                    "Khung giờ này đã kín lịch, hãy chọn giờ khác",
                )
                .into());
            }
            Some(_) => {}
        }
        let mut tries = 0;
        loop {
            let code = random_token::<6>()?;
            match on_queue!(self.book(
                unit,
                service_id,
                &day_text(day),
                slot,
                &name,
                phone.as_deref(),
                &code,
                to_ms(now)
            )) {
                // A code already taken: draw another.
                Err(StoreError::Db(sqlx::Error::Database(e)))
                    if e.is_unique_violation() && tries < 5 =>
                {
                    tries += 1;
                }
                other => return other,
            }
        }
    }

    pub async fn appointment(&self, unit: &str, code: &str) -> Result<Option<Appointment>> {
        on_queue!(self.appointment(unit, &normalize_code(code)))
    }

    /// Check in a booked person at the kiosk: their ticket goes ahead of
    /// walk-ins when they come from CHECK_IN_EARLY_MINUTES before the slot
    /// to CHECK_IN_LATE_MINUTES after it starts; later, it waits like any
    /// other. Earlier, or on another day, they are told when to come.
    pub async fn check_in(&self, unit: &str, code: &str, now: OffsetDateTime) -> Result<Ticket> {
        let code = normalize_code(code);
        let Some(a) = on_queue!(self.appointment(unit, &code))? else {
            return Err(Problem::invalid(
                "appointment_not_found",
                "code",
                "Không tìm thấy lịch hẹn với mã này",
            )
            .into());
        };
        let slot = motcua_domain::catalog::parse_hhmm(&a.slot).ok_or_else(|| corrupt("giờ hẹn"))?;
        let at = a.day.with_time(slot).assume_offset(VN_OFFSET);
        let minutes = (now - at).whole_minutes();
        if a.ticket_id.is_none() {
            if a.day != local_day(now) {
                return Err(Problem::invalid(
                    "not_today",
                    "code",
                    format!(
                        "Lịch hẹn này vào ngày {:02}/{:02}/{}, lúc {}",
                        a.day.day(),
                        u8::from(a.day.month()),
                        a.day.year(),
                        a.slot
                    ),
                )
                .into());
            }
            if minutes < -CHECK_IN_EARLY_MINUTES {
                return Err(Problem::invalid(
                    "too_early",
                    "code",
                    format!(
                        "Lịch hẹn lúc {}: mời ông/bà quay lại từ {} phút trước giờ hẹn",
                        a.slot, CHECK_IN_EARLY_MINUTES
                    ),
                )
                .into());
            }
        }
        let priority = i64::from(minutes <= CHECK_IN_LATE_MINUTES);
        let token = random_token::<10>()?;
        on_queue!(self.check_in(unit, &code, priority, &token, to_ms(now)))
    }
}

/// Codes as people type them: case and spaces do not matter.
fn normalize_code(raw: &str) -> String {
    motcua_domain::dossier::normalize_key(raw)
}
