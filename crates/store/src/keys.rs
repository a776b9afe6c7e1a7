//! Citizens' lookup keys: kept only as a keyed hash (HMAC-SHA256 under
//! `<data-dir>/lookup.key`), checked in the same time whether the code exists
//! or not, shown once to whom they were issued, and hashed on upgrade where an
//! earlier release kept them in clear.

use super::*;

macro_rules! keys_sql {
    // `$has_column` counts the clear column (0: nothing to do); `$prepare`
    // and `$scrub` run in the transaction before and after the column goes;
    // `$after`, after it.
    ($db:ty, $has_column:literal, $prepare:literal, $scrub:literal, $after:expr) => {
        use super::*;

        impl crate::Sql<$db> {
            /// Hash the clear keys under `secret` and drop their column; how
            /// many dossiers were hashed, or None if there was no such column.
            pub(crate) async fn hash_clear_lookup_keys(
                &self,
                secret: &[u8],
            ) -> Result<Option<usize>> {
                let mut tx = self.write.begin().await?;
                let has: i64 = sqlx::query_scalar($has_column).fetch_one(&mut *tx).await?;
                if has == 0 {
                    return Ok(None);
                }
                // SQLite: freed pages are zeroed; PostgreSQL: nobody writes meanwhile.
                sqlx::query($prepare).execute(&mut *tx).await?;
                let rows: Vec<(i64, String, String)> =
                    sqlx::query_as("SELECT id, code, lookup_key FROM dossiers")
                        .fetch_all(&mut *tx)
                        .await?;
                for (id, code, key) in &rows {
                    sqlx::query("UPDATE dossiers SET lookup_hash = $1 WHERE id = $2")
                        .bind(motcua_domain::dossier::lookup_key_hash(secret, code, key))
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query("ALTER TABLE dossiers DROP COLUMN lookup_key")
                    .execute(&mut *tx)
                    .await?;
                // PostgreSQL keeps a dropped column in the tuples until they are
                // written again: write them once more, without it.
                sqlx::query($scrub).execute(&mut *tx).await?;
                tx.commit().await?;
                // SQLite: the WAL still holds the pages written on the way.
                for q in $after {
                    sqlx::query(q).execute(&self.write).await?;
                }
                Ok(Some(rows.len()))
            }
        }
    };
}

mod sqlite {
    keys_sql!(
        sqlx::Sqlite,
        "SELECT COUNT(*) FROM pragma_table_info('dossiers') WHERE name = 'lookup_key'",
        "PRAGMA secure_delete = ON",
        "SELECT 1",
        [
            "PRAGMA wal_checkpoint(TRUNCATE)",
            "PRAGMA secure_delete = OFF"
        ]
    );
}
mod postgres {
    keys_sql!(
        sqlx::Postgres,
        "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() \
         AND table_name = 'dossiers' AND column_name = 'lookup_key'",
        "LOCK TABLE dossiers IN ACCESS EXCLUSIVE MODE",
        "UPDATE dossiers SET lookup_hash = lookup_hash",
        ["SELECT 1"]
    );
}

impl Store {
    /// The dossier row if `key` opens it. An unknown code and a wrong key
    /// take the same path (one indexed read, one keyed hash, a comparison in
    /// constant time), so neither the answer nor its time tells them apart.
    pub async fn dossier_row_by_key(&self, code: &str, key: &str) -> Result<Option<DossierRow>> {
        let (code, key) = (code.trim(), key.trim());
        let row = self.dossier_row(code).await?;
        let hash = motcua_domain::dossier::lookup_key_hash(&self.lookup_secret, code, key);
        let stored = row.as_ref().map_or("", |r| r.lookup_hash.as_str());
        let opens = !key.is_empty()
            && !stored.is_empty()
            && motcua_domain::audit::constant_time_eq(hash.as_bytes(), stored.as_bytes());
        Ok(row.filter(|_| opens))
    }

    /// The whole dossier (events, documents) if `key` opens it.
    pub async fn dossier_by_key(&self, code: &str, key: &str) -> Result<Option<DossierRecord>> {
        match self.dossier_row_by_key(code, key).await? {
            Some(row) => Ok(Some(self.record_for(row).await?)),
            None => Ok(None),
        }
    }

    /// What the store keeps of `key` for the dossier `code` (for loaders that write rows themselves).
    pub fn lookup_key_hash(&self, code: &str, key: &str) -> String {
        motcua_domain::dossier::lookup_key_hash(&self.lookup_secret, code, key)
    }

    /// How long a newly issued key stays printable on the receipt, by its issuer only.
    pub const ISSUED_KEY_TTL: Duration = Duration::from_secs(30 * 60);

    /// Keep a new key in memory (never in the database) for its issuer's receipt.
    pub(crate) fn keep_issued_key(
        &self,
        dossier_id: i64,
        key: &str,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        let mut map = self.issued.lock().map_err(|_| lock_poisoned())?;
        let horizon = model::to_ms(now) - Self::ISSUED_KEY_TTL.as_millis() as i64;
        map.retain(|_, (_, _, at)| *at >= horizon);
        map.insert(
            dossier_id,
            (key.to_string(), by.to_string(), model::to_ms(now)),
        );
        Ok(())
    }

    /// The key `by` issued on this dossier in the last 30 minutes (since this
    /// process started), for their receipt; `by` is "citizen" for the online
    /// submitter's confirmation page.
    pub fn issued_key(
        &self,
        row: &DossierRow,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<Option<String>> {
        let horizon = model::to_ms(now) - Self::ISSUED_KEY_TTL.as_millis() as i64;
        let map = self.issued.lock().map_err(|_| lock_poisoned())?;
        Ok(map
            .get(&row.id)
            .filter(|(_, who, at)| who == by && *at >= horizon)
            .map(|(key, _, _)| key.clone()))
    }

    /// Databases of earlier releases kept lookup keys in clear: hash them under
    /// the lookup secret and drop the clear column, in one transaction (the
    /// citizens' keys keep working). Nothing to do on a database already upgraded.
    pub(crate) async fn hash_clear_lookup_keys(&self) -> Result<()> {
        if let Some(n) = on_db!(self, hash_clear_lookup_keys(&self.lookup_secret))? {
            tracing::info!(dossiers = n, "lookup keys hashed, clear keys dropped");
        }
        Ok(())
    }
}
