//! What work lists need beyond the dossier row as written: the applicant's
//! name folded for searching without diacritics (migration 0025).

use crate::{Result, Store};

/// Rows folded per transaction: a short write lock at each step.
const BATCH: i64 = 2000;

macro_rules! worklist_sql {
    ($db:ty) => {
        impl crate::Sql<$db> {
            /// Fold one batch of names not folded yet; how many were.
            pub(crate) async fn fold_applicant_batch(&self) -> Result<usize> {
                let mut tx = self.write.begin().await?;
                let rows: Vec<(i64, String)> = sqlx::query_as(
                    "SELECT id, applicant_name FROM dossiers WHERE applicant_folded IS NULL LIMIT $1",
                )
                .bind(BATCH)
                .fetch_all(&mut *tx)
                .await?;
                for (id, name) in &rows {
                    sqlx::query("UPDATE dossiers SET applicant_folded = $1 WHERE id = $2")
                        .bind(motcua_domain::text::fold(name))
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(rows.len())
            }
        }
    };
}

worklist_sql!(sqlx::Sqlite);
worklist_sql!(sqlx::Postgres);

impl Store {
    /// Fold the names of dossiers written before migration 0025. Nothing to
    /// do once done: every later write folds its own.
    pub(crate) async fn fold_applicant_names(&self) -> Result<()> {
        let mut total = 0;
        loop {
            let n = on_db!(self, fold_applicant_batch())?;
            total += n;
            if n < BATCH as usize {
                break;
            }
        }
        if total > 0 {
            tracing::info!(dossiers = total, "applicant names folded for search");
        }
        Ok(())
    }
}
