//! The queue of a center: services served at counters, tickets numbered per
//! unit and day, officers calling them, the display board's feed of calls,
//! appointments booked ahead, and the day's figures.
//!
//! The SQL is written once in `queue_sql!`, as methods of the store's `Sql`
//! handle compiled for each backend (see `crate::Sql`). Two promises matter:
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
use crate::{Result, Store, StoreError, local_day};
use motcua_domain::Problem;
use motcua_domain::calendar::{Date, OffsetDateTime, VN_OFFSET};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use tokio::sync::{broadcast, watch};

mod bus;
mod model;
mod sql;

pub use bus::*;
pub use model::*;
use sql::{NewTicket, corrupt};

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
        if on_db!(self.store, queue_service_count(unit))? == 0 {
            on_db!(self.store, seed_queue_defaults(unit))?;
        }
        Ok((
            on_db!(self.store, queue_services(unit))?,
            on_db!(self.store, queue_counters(unit))?,
        ))
    }

    pub async fn services(&self, unit: &str) -> Result<Vec<Service>> {
        on_db!(self.store, queue_services(unit))
    }

    pub async fn counters(&self, unit: &str) -> Result<Vec<Counter>> {
        on_db!(self.store, queue_counters(unit))
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
        on_db!(
            self.store,
            put_queue_counter(unit, number, &name, active, services)
        )
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
        on_db!(self.store, put_queue_service(unit, &name, fields, active))
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
        let ticket = on_db!(
            self.store,
            issue_ticket(NewTicket {
                unit,
                day: &day,
                service_id,
                phone: phone.as_deref(),
                priority: 0,
                appointment_code: None,
                token: &token,
                now: to_ms(now),
            })
        )?;
        self.store.bus.waiting_changed(unit);
        Ok(ticket)
    }

    pub async fn ticket(&self, id: i64) -> Result<Option<Ticket>> {
        on_db!(self.store, ticket(id))
    }

    pub async fn ticket_by_token(&self, token: &str) -> Result<Option<Ticket>> {
        on_db!(self.store, ticket_by_token(token))
    }

    /// A unit's tickets of a day in queue order, only those in `statuses` (all when empty).
    pub async fn tickets(
        &self,
        unit: &str,
        day: Date,
        statuses: &[TicketStatus],
    ) -> Result<Vec<Ticket>> {
        let names: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
        on_db!(self.store, tickets(unit, &day_text(day), &names))
    }

    /// The ticket being called or served at a counter.
    pub async fn current(&self, counter_id: i64) -> Result<Option<Ticket>> {
        on_db!(self.store, current_ticket(counter_id))
    }

    /// People ahead and the likely wait of a waiting ticket.
    pub async fn estimate(&self, t: &Ticket) -> Result<Estimate> {
        let ahead = if t.status.is_waiting() {
            on_db!(self.store, tickets_ahead(t))?
        } else {
            0
        };
        let times = on_db!(
            self.store,
            service_times(&t.unit_code, &day_text(t.day), t.service_id)
        )?;
        let counters = on_db!(self.store, counters_serving(t.service_id))?;
        Ok(Estimate::of(t.status, ahead, &times, counters))
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
        let Some(call) = on_db!(self.store, call_next(unit, &day, counter_id, to_ms(now)))? else {
            return Ok(None);
        };
        self.store.bus.publish(&call);
        self.store.bus.waiting_changed(unit);
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
        let call = on_db!(
            self.store,
            ticket_act(unit, counter_id, ticket_id, &action, to_ms(now))
        )?;
        if let Some(c) = &call {
            self.store.bus.publish(c);
        }
        // A transfer, a skip or a hold moves a ticket in or out of the line.
        self.store.bus.waiting_changed(unit);
        let ticket = self.ticket(ticket_id).await?.ok_or_else(|| corrupt("vé"))?;
        Ok((ticket, call))
    }

    /// Calls of a unit after sequence number `after`, oldest first.
    pub async fn calls_after(&self, unit: &str, after: i64, limit: i64) -> Result<Vec<Call>> {
        on_db!(self.store, calls_after(unit, after, limit))
    }

    /// Today's latest calls of a unit, newest first.
    pub async fn recent_calls(
        &self,
        unit: &str,
        now: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<Call>> {
        on_db!(
            self.store,
            recent_calls(unit, start_of_day_ms(local_day(now)), limit)
        )
    }

    /// The sequence number of the unit's last call (0 before any).
    pub async fn last_call_seq(&self, unit: &str) -> Result<i64> {
        on_db!(self.store, last_call_seq(unit))
    }

    /// Live calls as they are published (no replay, no gap filling: see [`Queue::feed`]).
    pub fn subscribe(&self, unit: &str) -> broadcast::Receiver<Call> {
        self.store.bus.subscribe(unit)
    }

    /// Wakes when the unit's waiting line changes in this process (a ticket
    /// taken, called, transferred…); the board then reads the counts.
    pub fn watch_waiting(&self, unit: &str) -> watch::Receiver<u64> {
        self.store.bus.watch_waiting(unit)
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
        let rows = on_db!(
            self.store,
            queue_figures(unit, &day_text(from), &day_text(to))
        )?;
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
        let taken = on_db!(self.store, slot_counts(unit, service_id, &day_text(day)))?;
        Ok(motcua_domain::queue::slots(&cal, day, now, &taken))
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
        let name = motcua_domain::queue::booking_name(full_name)?;
        let phone = clean_phone(phone)?;
        let open = self.slots(unit, service_id, day, now).await?;
        motcua_domain::queue::may_book(&open, slot)?;
        let mut tries = 0;
        loop {
            let code = random_token::<6>()?;
            match on_db!(
                self.store,
                book_appointment(
                    unit,
                    service_id,
                    &day_text(day),
                    slot,
                    &name,
                    phone.as_deref(),
                    &code,
                    to_ms(now)
                )
            ) {
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
        on_db!(self.store, appointment(unit, &normalize_code(code)))
    }

    /// Check in a booked person at the kiosk: their ticket goes ahead of
    /// walk-ins when they come from CHECK_IN_EARLY_MINUTES before the slot
    /// to CHECK_IN_LATE_MINUTES after it starts; later, it waits like any
    /// other. Earlier, or on another day, they are told when to come.
    pub async fn check_in(&self, unit: &str, code: &str, now: OffsetDateTime) -> Result<Ticket> {
        let code = normalize_code(code);
        let Some(a) = on_db!(self.store, appointment(unit, &code))? else {
            return Err(Problem::invalid(
                "appointment_not_found",
                "code",
                "Không tìm thấy lịch hẹn với mã này",
            )
            .into());
        };
        let priority = motcua_domain::queue::check_in(a.day, &a.slot, a.ticket_id.is_some(), now)?;
        let token = random_token::<10>()?;
        let ticket = on_db!(
            self.store,
            check_in(unit, &code, priority, &token, to_ms(now))
        )?;
        self.store.bus.waiting_changed(unit);
        Ok(ticket)
    }
}

/// Codes as people type them: case and spaces do not matter.
fn normalize_code(raw: &str) -> String {
    motcua_domain::dossier::normalize_key(raw)
}
