//! Due dates are promises. Events written since this release carry the
//! time facts they fixed (the due instant, the paused minutes) in their own
//! hashed payload. For events written before, the first start of this
//! release records the facts the rules computed then, beside the events in
//! `event_frozen`, each row keyed with the audit key; refolds prefer them to
//! a computation from today's calendar.

use super::*;

/// Dossiers recorded per transaction: a large database upgrades in steps
/// that each commit, and a restart resumes where it stopped.
const BATCH: i64 = 500;

macro_rules! frozen_sql {
    ($db:ty) => {
        use super::*;

        impl crate::Sql<$db> {
            /// Up to `limit` dossiers whose events' facts are still to record.
            pub(crate) async fn frozen_pending_ids(&self, limit: i64) -> Result<Vec<i64>> {
                Ok(sqlx::query_scalar(
                    "SELECT dossier_id FROM frozen_pending ORDER BY dossier_id LIMIT $1",
                )
                .bind(limit)
                .fetch_all(&self.write)
                .await?)
            }

            /// Record the facts (event id, due instant, paused minutes, signature)
            /// and strike the dossiers `ids` off the list, in one transaction.
            pub(crate) async fn record_frozen(
                &self,
                rows: &[(i64, Option<i64>, Option<i64>, String)],
                ids: &[i64],
            ) -> Result<()> {
                let mut tx = self.write.begin().await?;
                for (event_id, due, pause, mac) in rows {
                    sqlx::query(
                        "INSERT INTO event_frozen (event_id, due_at, pause_remaining, mac) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING",
                    )
                    .bind(event_id)
                    .bind(due)
                    .bind(pause)
                    .bind(mac)
                    .execute(&mut *tx)
                    .await?;
                }
                for id in ids {
                    sqlx::query("DELETE FROM frozen_pending WHERE dossier_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }
        }
    };
}

mod sqlite {
    frozen_sql!(sqlx::Sqlite);
}
mod postgres {
    frozen_sql!(sqlx::Postgres);
}

impl Store {
    /// Record the time facts of every dossier still listed in
    /// `frozen_pending` (all dossiers of a database written by an earlier
    /// release), then forget the list.
    pub(crate) async fn freeze_pending(&self) -> Result<()> {
        let key = self.audit_key();
        let mut total = 0usize;
        loop {
            let ids = on_db!(self, frozen_pending_ids(BATCH))?;
            if ids.is_empty() {
                break;
            }
            let mut rows: Vec<(i64, Option<i64>, Option<i64>, String)> = Vec::new();
            for id in &ids {
                rows.extend(self.facts_of(*id, &key).await?);
            }
            on_db!(self, record_frozen(&rows, &ids))?;
            total += rows.len();
        }
        if total > 0 {
            tracing::info!(events = total, "due dates of earlier events recorded");
        }
        Ok(())
    }

    /// The facts to record for one dossier's events that do not carry them:
    /// (event id, due instant in ms, paused minutes, signature).
    async fn facts_of(
        &self,
        dossier_id: i64,
        key: &[u8],
    ) -> Result<Vec<(i64, Option<i64>, Option<i64>, String)>> {
        let Some((_, code, _, _)) = on_db!(self, dossier_unit(dossier_id))? else {
            return Ok(Vec::new());
        };
        // A dossier that cannot be read is left as it is, not a reason to stop
        // the server. Its documents are not needed here.
        let read = async {
            let row = self.dossier_row(&code).await?;
            let events = on_db!(self, events(dossier_id))?;
            Ok::<_, StoreError>(row.map(|row| (row, events)))
        };
        let (row, events) = match read.await {
            Ok(Some(found)) => found,
            Ok(None) => return Ok(Vec::new()),
            Err(e) => {
                tracing::warn!(dossier = %code, error = %e, "unreadable: due dates not recorded");
                return Ok(Vec::new());
            }
        };
        let Ok(procedure) = self.procedure_of(&row).await else {
            tracing::warn!(dossier = %code, "procedure gone: due dates not recorded");
            return Ok(Vec::new());
        };
        let cal = self.calendar(Some(&row.unit_code)).await?;
        let mut facts = match Projection::fold_time_facts(&events, procedure.processing, &cal) {
            Ok(f) => f,
            Err(p) => {
                tracing::warn!(dossier = %code, problem = %p.message, "history does not fold: due dates not recorded");
                return Ok(Vec::new());
            }
        };
        // The row holds what was computed when the events were taken, with
        // the calendar of that day: where today's calendar says otherwise,
        // the row's date is the promise printed, and the last event that set
        // it records it.
        let last_due_setter = events
            .iter()
            .rev()
            .find(|e| {
                matches!(
                    e.action,
                    Action::CreateAtCounter
                        | Action::Receive
                        | Action::Supplement
                        | Action::Apologize
                )
            })
            .filter(|e| e.action != Action::Apologize)
            .map(|e| e.seq);
        if let (Some(seq), Some(due)) = (last_due_setter, row.due_at)
            && let Some((_, f)) = facts
                .iter_mut()
                .find(|(s, f)| *s == seq && f.due_at.is_some())
        {
            f.due_at = Some(model::from_ms(due));
        }
        if let Some(minutes) = row.pause_remaining
            && let Some((_, f)) = facts
                .iter_mut()
                .rev()
                .find(|(_, f)| f.pause_remaining.is_some())
        {
            f.pause_remaining = Some(minutes);
        }
        let links = on_db!(self, event_links(dossier_id))?;
        let mut out = Vec::new();
        for (seq, f) in facts {
            let Some((event_id, hash)) = links
                .iter()
                .find(|(s, ..)| *s == seq)
                .map(|(_, id, h)| (*id, h))
            else {
                continue;
            };
            // Events that carry their facts need no row.
            if events.iter().any(|e| {
                e.seq == seq && (e.payload.due_at.is_some() || e.payload.pause_remaining.is_some())
            }) {
                continue;
            }
            let due = f.due_at.map(model::to_ms);
            let mac = motcua_domain::audit::frozen_mac(key, hash, due, f.pause_remaining);
            out.push((event_id, due, f.pause_remaining, mac));
        }
        Ok(out)
    }
}
