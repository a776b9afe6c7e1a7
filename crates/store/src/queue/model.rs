//! What the queue is made of: services, counters, tickets, calls,
//! appointments and the day's figures.

use super::*;

pub use motcua_domain::queue::{
    CHECK_IN_EARLY_MINUTES, CHECK_IN_LATE_MINUTES, DEFAULT_SERVICE_MINUTES, Estimate,
    SLOT_CAPACITY, SLOT_MINUTES,
};

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

pub use motcua_domain::queue::{TicketAction, TicketStatus};

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
