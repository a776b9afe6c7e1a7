//! The SQL of the queue, written once in `queue_sql!` as methods of the
//! store's `Sql` handle and compiled for each backend (see `crate::Sql`).

use super::*;

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

pub(super) fn corrupt(what: &str) -> StoreError {
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
pub(crate) struct NewTicket<'a> {
    pub(super) unit: &'a str,
    pub(super) day: &'a str,
    pub(super) service_id: i64,
    pub(super) phone: Option<&'a str>,
    pub(super) priority: i64,
    pub(super) appointment_code: Option<&'a str>,
    pub(super) token: &'a str,
    pub(super) now: i64,
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
        use sqlx::{Row, Transaction};

        type Db = $db;

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

        impl crate::Sql<Db> {
            pub(crate) async fn queue_service_count(&self, unit: &str) -> Result<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM queue_services WHERE unit_code = $1")
                    .bind(unit)
                    .fetch_one(&self.read)
                    .await?)
            }

            /// Insert the default services and counters (nothing that exists is changed).
            pub(crate) async fn seed_queue_defaults(&self, unit: &str) -> Result<()> {
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

            pub(crate) async fn queue_services(&self, unit: &str) -> Result<Vec<Service>> {
                let rows = sqlx::query(
                    "SELECT id, unit_code, name, fields, position, active FROM queue_services WHERE unit_code = $1 ORDER BY position, id",
                )
                .bind(unit)
                .fetch_all(&self.read)
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

            pub(crate) async fn queue_counters(&self, unit: &str) -> Result<Vec<Counter>> {
                let rows: Vec<(i64, String, i64, String, bool)> = sqlx::query_as(
                    "SELECT id, unit_code, number, name, active FROM queue_counters WHERE unit_code = $1 ORDER BY number",
                )
                .bind(unit)
                .fetch_all(&self.read)
                .await?;
                let links: Vec<(i64, i64)> = sqlx::query_as(
                    "SELECT cs.counter_id, cs.service_id FROM queue_counter_services cs \
                     JOIN queue_counters c ON c.id = cs.counter_id WHERE c.unit_code = $1 ORDER BY cs.service_id",
                )
                .bind(unit)
                .fetch_all(&self.read)
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
            pub(crate) async fn put_queue_counter(&self, unit: &str, number: i64, name: &str, active: bool, services: &[i64]) -> Result<i64> {
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
            pub(crate) async fn put_queue_service(&self, unit: &str, name: &str, fields: &[String], active: bool) -> Result<i64> {
                let position: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) + 1 FROM queue_services WHERE unit_code = $1")
                    .bind(unit)
                    .fetch_one(&self.read)
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
                .fetch_one(&self.write)
                .await?)
            }

            pub(crate) async fn issue_ticket(&self, t: NewTicket<'_>) -> Result<Ticket> {
                let mut tx = self.write.begin().await?;
                let id = issue_in(&mut tx, t).await?;
                let ticket = ticket_in(&mut tx, id).await?;
                tx.commit().await?;
                Ok(ticket)
            }

            pub(crate) async fn ticket(&self, id: i64) -> Result<Option<Ticket>> {
                let row: Option<TicketRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{TICKET_SELECT} WHERE t.id = $1")))
                    .bind(id)
                    .fetch_optional(&self.read)
                    .await?;
                row.map(Ticket::try_from).transpose()
            }

            pub(crate) async fn ticket_by_token(&self, token: &str) -> Result<Option<Ticket>> {
                let row: Option<TicketRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{TICKET_SELECT} WHERE t.token = $1")))
                    .bind(token)
                    .fetch_optional(&self.read)
                    .await?;
                row.map(Ticket::try_from).transpose()
            }

            /// Tickets of a unit's day in the given statuses, in queue order.
            pub(crate) async fn tickets(&self, unit: &str, day: &str, statuses: &[&str]) -> Result<Vec<Ticket>> {
                let rows: Vec<TicketRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{TICKET_SELECT} WHERE t.unit_code = $1 AND t.day = $2 ORDER BY t.priority DESC, t.queued_at, t.id"
                )))
                .bind(unit)
                .bind(day)
                .fetch_all(&self.read)
                .await?;
                rows.into_iter()
                    .filter(|r| statuses.is_empty() || statuses.contains(&r.status.as_str()))
                    .map(Ticket::try_from)
                    .collect()
            }

            /// The ticket being called or served at a counter.
            pub(crate) async fn current_ticket(&self, counter_id: i64) -> Result<Option<Ticket>> {
                let row: Option<TicketRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{TICKET_SELECT} WHERE t.counter_id = $1 AND t.status IN ('called', 'serving') ORDER BY t.called_at DESC, t.id DESC LIMIT 1"
                )))
                .bind(counter_id)
                .fetch_optional(&self.read)
                .await?;
                row.map(Ticket::try_from).transpose()
            }

            /// Tickets ahead of `t` in its service's queue.
            pub(crate) async fn tickets_ahead(&self, t: &Ticket) -> Result<i64> {
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
                .fetch_one(&self.read)
                .await?)
            }

            /// Milliseconds each finished ticket of a service took on a day.
            pub(crate) async fn service_times(&self, unit: &str, day: &str, service_id: i64) -> Result<Vec<i64>> {
                Ok(sqlx::query_scalar(
                    "SELECT finished_at - COALESCE(started_at, called_at) FROM queue_tickets WHERE unit_code = $1 AND day = $2 \
                     AND service_id = $3 AND status = 'done' AND finished_at IS NOT NULL AND called_at IS NOT NULL",
                )
                .bind(unit)
                .bind(day)
                .bind(service_id)
                .fetch_all(&self.read)
                .await?)
            }

            pub(crate) async fn counters_serving(&self, service_id: i64) -> Result<i64> {
                Ok(sqlx::query_scalar(
                    "SELECT COUNT(*) FROM queue_counter_services cs JOIN queue_counters c ON c.id = cs.counter_id \
                     WHERE cs.service_id = $1 AND c.active = TRUE",
                )
                .bind(service_id)
                .fetch_one(&self.read)
                .await?)
            }

            /// Finish what the counter has, claim its next ticket and record the call.
            pub(crate) async fn call_next(&self, unit: &str, day: &str, counter_id: i64, now: i64) -> Result<Option<Call>> {
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
            pub(crate) async fn ticket_act(
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

            pub(crate) async fn calls_after(&self, unit: &str, after: i64, limit: i64) -> Result<Vec<Call>> {
                let rows: Vec<CallRow> = sqlx::query_as(
                    "SELECT seq, unit_code, ticket_id, number, counter_number, counter_name, service_name, at \
                     FROM queue_calls WHERE unit_code = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                )
                .bind(unit)
                .bind(after)
                .bind(limit)
                .fetch_all(&self.read)
                .await?;
                Ok(rows.into_iter().map(Call::from).collect())
            }

            /// The latest calls since `since` (ms), newest first.
            pub(crate) async fn recent_calls(&self, unit: &str, since: i64, limit: i64) -> Result<Vec<Call>> {
                let rows: Vec<CallRow> = sqlx::query_as(
                    "SELECT seq, unit_code, ticket_id, number, counter_number, counter_name, service_name, at \
                     FROM queue_calls WHERE unit_code = $1 AND at >= $2 ORDER BY seq DESC LIMIT $3",
                )
                .bind(unit)
                .bind(since)
                .bind(limit)
                .fetch_all(&self.read)
                .await?;
                Ok(rows.into_iter().map(Call::from).collect())
            }

            pub(crate) async fn last_call_seq(&self, unit: &str) -> Result<i64> {
                Ok(sqlx::query_scalar("SELECT last FROM queue_call_seq WHERE unit_code = $1")
                    .bind(unit)
                    .fetch_optional(&self.read)
                    .await?
                    .unwrap_or(0))
            }

            pub(crate) async fn queue_figures(&self, unit: &str, from: &str, to: &str) -> Result<Vec<TicketFigures>> {
                let rows: Vec<(String, String, Option<i64>, String, i64, Option<i64>, Option<i64>, Option<i64>)> = sqlx::query_as(
                    "SELECT t.day, s.name, c.number, t.status, t.issued_at, t.called_at, t.started_at, t.finished_at \
                     FROM queue_tickets t JOIN queue_services s ON s.id = t.service_id LEFT JOIN queue_counters c ON c.id = t.counter_id \
                     WHERE t.unit_code = $1 AND t.day >= $2 AND t.day <= $3 ORDER BY t.id",
                )
                .bind(unit)
                .bind(from)
                .bind(to)
                .fetch_all(&self.read)
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
            pub(crate) async fn slot_counts(&self, unit: &str, service_id: i64, day: &str) -> Result<Vec<(String, i64)>> {
                Ok(sqlx::query_as(
                    "SELECT slot, COUNT(*) FROM queue_appointments WHERE unit_code = $1 AND service_id = $2 AND day = $3 GROUP BY slot ORDER BY slot",
                )
                .bind(unit)
                .bind(service_id)
                .bind(day)
                .fetch_all(&self.read)
                .await?)
            }

            #[allow(clippy::too_many_arguments)]
            pub(crate) async fn book_appointment(
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
                    return Err(motcua_domain::queue::slot_full().into());
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

            pub(crate) async fn appointment(&self, unit: &str, code: &str) -> Result<Option<Appointment>> {
                let row: Option<AppointmentRow> = sqlx::query_as(
                    "SELECT id, code, unit_code, service_id, day, slot, full_name, phone, ticket_id \
                     FROM queue_appointments WHERE unit_code = $1 AND code = $2",
                )
                .bind(unit)
                .bind(code)
                .fetch_optional(&self.read)
                .await?;
                row.map(Appointment::try_from).transpose()
            }

            /// The appointment's ticket: made on the first check-in, the same one after.
            pub(crate) async fn check_in(&self, unit: &str, code: &str, priority: i64, token: &str, now: i64) -> Result<Ticket> {
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
