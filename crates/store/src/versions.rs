//! Catalog versions (migration 0021): every import records the whole
//! active catalog as a version, with the date it takes effect, nationally
//! or for one province. A dossier keeps the version it was received under,
//! so a later import never changes its fee or time limit.

use crate::model::{DossierRow, from_ms};
use crate::{Result, Store};
use motcua_domain::catalog::{Procedure, parse_catalog};
use motcua_domain::versions::{self, Version};
use motcua_domain::{Problem, ProblemKind};
use std::sync::Arc;
use time::OffsetDateTime;

/// A version as recorded (without its procedures).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogVersion {
    pub id: i64,
    pub province_code: Option<String>,
    pub effective_from: OffsetDateTime,
    pub note: String,
    pub created_by: String,
    pub created_at: OffsetDateTime,
}

/// What an import records: the version's whole active catalog (code, spec).
pub(crate) struct NewVersion<'a> {
    pub province_code: Option<&'a str>,
    pub effective_from: i64,
    pub note: &'a str,
    pub by: &'a str,
    pub specs: Vec<(String, String)>,
}

macro_rules! versions_sql {
    ($db:ty) => {
        use super::*;
        use sqlx::Row;

        impl crate::Sql<$db> {
            pub(crate) async fn version_rows(
                &self,
            ) -> Result<Vec<(i64, Option<String>, i64, String, String, i64)>> {
                Ok(sqlx::query_as(
                    "SELECT id, province_code, effective_from, note, created_by, created_at \
                     FROM catalog_versions ORDER BY id",
                )
                .fetch_all(&self.read)
                .await?)
            }

            pub(crate) async fn version_specs(&self, id: i64) -> Result<Vec<String>> {
                let rows = sqlx::query(
                    "SELECT spec FROM catalog_version_procedures WHERE version_id = $1 ORDER BY code",
                )
                .bind(id)
                .fetch_all(&self.read)
                .await?;
                Ok(rows.into_iter().map(|r| r.get(0)).collect())
            }
        }
    };
}

mod sqlite {
    versions_sql!(sqlx::Sqlite);
}
mod postgres {
    versions_sql!(sqlx::Postgres);
}

fn corrupt(what: &str) -> crate::StoreError {
    Problem::new(
        ProblemKind::Conflict,
        "corrupt_row",
        format!("Phiên bản danh mục hỏng: {what}"),
    )
    .into()
}

impl Store {
    /// Every version of the catalog, oldest first.
    pub async fn catalog_versions(&self) -> Result<Vec<CatalogVersion>> {
        Ok(on_db!(self, version_rows())?
            .into_iter()
            .map(
                |(id, province_code, from, note, created_by, at)| CatalogVersion {
                    id,
                    province_code,
                    effective_from: from_ms(from),
                    note,
                    created_by,
                    created_at: from_ms(at),
                },
            )
            .collect())
    }

    /// The version a dossier of a unit of `province` received at `at` is
    /// filed under.
    pub async fn version_in_force(&self, province: &str, at: OffsetDateTime) -> Result<i64> {
        if let Some(list) = self
            .caches
            .version_list
            .read()
            .map_err(|_| crate::lock_poisoned())?
            .as_ref()
        {
            return Ok(versions::in_force(list, province, at));
        }
        let generation = self.caches.generation();
        let list: Arc<Vec<Version>> = Arc::new(
            self.catalog_versions()
                .await?
                .into_iter()
                .map(|v| Version {
                    id: v.id,
                    province: v.province_code,
                    effective_from: v.effective_from,
                })
                .collect(),
        );
        if self.caches.generation() == generation {
            *self
                .caches
                .version_list
                .write()
                .map_err(|_| crate::lock_poisoned())? = Some(list.clone());
        }
        Ok(versions::in_force(&list, province, at))
    }

    /// The procedures of a version. Versions never change once written, so
    /// each is read and parsed once.
    pub async fn version_procedures(&self, id: i64) -> Result<Arc<Vec<Procedure>>> {
        if let Some(p) = self
            .caches
            .versions
            .read()
            .map_err(|_| crate::lock_poisoned())?
            .get(&id)
        {
            return Ok(p.clone());
        }
        let generation = self.caches.generation();
        let specs = on_db!(self, version_specs(id))?;
        let text = format!("{{\"procedures\":[{}]}}", specs.join(","));
        let procs = if specs.is_empty() {
            Vec::new()
        } else {
            parse_catalog(&text).map_err(|_| corrupt(&id.to_string()))?
        };
        let procs = Arc::new(procs);
        // Not kept if an import ran meanwhile (it may have filled version 1).
        if self.caches.generation() == generation {
            self.caches
                .versions
                .write()
                .map_err(|_| crate::lock_poisoned())?
                .insert(id, procs.clone());
        }
        Ok(procs)
    }

    /// A procedure as a version has it.
    pub async fn procedure_in(&self, version: i64, code: &str) -> Result<Option<Procedure>> {
        Ok(self
            .version_procedures(version)
            .await?
            .iter()
            .find(|p| p.code == code)
            .cloned())
    }

    /// The procedure a dossier was received under (its time limit and fee).
    pub async fn procedure_of(&self, row: &DossierRow) -> Result<Procedure> {
        self.procedure_in(row.catalog_version, &row.procedure_code)
            .await?
            .ok_or_else(|| corrupt(&format!("{} v{}", row.procedure_code, row.catalog_version)))
    }
}
