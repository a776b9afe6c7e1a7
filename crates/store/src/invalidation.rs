//! Caches of reference data (units, catalog, calendars) kept right across
//! processes. A process that changes one clears its own copy and, on
//! PostgreSQL, says so on the channel `motcua_cache`; every process listens
//! and clears what was named. A listener that lost its connection clears
//! everything when it is back, since it may have missed a change. (SQLite
//! is one process's database: its clears are local.)

use crate::{Caches, Result, Store, lock_poisoned};
use std::sync::Weak;

pub(crate) const CHANNEL: &str = "motcua_cache";

/// Which cache a change touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cached {
    Units,
    Catalog,
    Calendars,
}

impl Cached {
    fn as_str(self) -> &'static str {
        match self {
            Cached::Units => "units",
            Cached::Catalog => "catalog",
            Cached::Calendars => "calendars",
        }
    }
}

impl Caches {
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn clear(&self, what: Option<Cached>) -> Result<()> {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if matches!(what, None | Some(Cached::Units)) {
            self.units.write().map_err(|_| lock_poisoned())?.clear();
        }
        if matches!(what, None | Some(Cached::Catalog)) {
            *self.catalog.write().map_err(|_| lock_poisoned())? = None;
            // Versions never change, except a new database's empty first one
            // that its first import fills.
            self.versions.write().map_err(|_| lock_poisoned())?.clear();
            *self.version_list.write().map_err(|_| lock_poisoned())? = None;
        }
        if matches!(what, None | Some(Cached::Calendars)) {
            self.calendars.write().map_err(|_| lock_poisoned())?.clear();
        }
        Ok(())
    }
}

impl crate::Sql<sqlx::Sqlite> {
    /// One process's database: nobody else to tell.
    pub(crate) async fn announce_change(&self, _what: Cached) -> Result<()> {
        Ok(())
    }
}

impl crate::Sql<sqlx::Postgres> {
    /// Tell every process listening on the database.
    pub(crate) async fn announce_change(&self, what: Cached) -> Result<()> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(what.as_str())
            .execute(&self.write)
            .await?;
        Ok(())
    }
}

impl Store {
    /// After a change of `what`: this process's copy goes, and every other
    /// process on the same PostgreSQL database is told.
    pub(crate) async fn changed(&self, what: Cached) -> Result<()> {
        self.caches.clear(Some(what))?;
        on_db!(self, announce_change(what))
    }
}

/// Listen for other processes' changes until the store is gone.
pub(crate) fn listen(pool: sqlx::PgPool, caches: Weak<Caches>) {
    tokio::spawn(async move {
        let mut listener = loop {
            match sqlx::postgres::PgListener::connect_with(&pool).await {
                Ok(mut l) => match l.listen(CHANNEL).await {
                    Ok(()) => break l,
                    Err(e) => tracing::warn!(error = %e, "cannot listen for cache changes"),
                },
                Err(e) => tracing::warn!(error = %e, "cannot listen for cache changes"),
            }
            if pool.is_closed() || caches.strong_count() == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        };
        loop {
            let what = match listener.try_recv().await {
                Ok(Some(n)) => match n.payload() {
                    "units" => Some(Cached::Units),
                    "catalog" => Some(Cached::Catalog),
                    "calendars" => Some(Cached::Calendars),
                    _ => None,
                },
                // Reconnected: whatever changed meanwhile is unknown.
                Ok(None) => None,
                Err(e) => {
                    if pool.is_closed() {
                        return;
                    }
                    tracing::warn!(error = %e, "cache change listener");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    None
                }
            };
            let Some(caches) = caches.upgrade() else {
                return;
            };
            let _ = caches.clear(what);
        }
    });
}
