//! Official notices of days off, one per year (`motcua calendar import`).
//! An imported notice replaces the shipped one of its year; the calendar of
//! every unit is built from both, imported first.

use crate::model::{from_ms, to_ms};
use crate::{Result, Store, invalidation};
use motcua_domain::Problem;
use motcua_domain::calendar::notice::{self, Notice, parse_notice};
use time::OffsetDateTime;

/// An imported notice as stored, with who brought it in and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedNotice {
    pub notice: Notice,
    pub imported_by: String,
    pub imported_at: OffsetDateTime,
}

macro_rules! notices_sql {
    ($db:ty) => {
        use super::*;

        impl crate::Sql<$db> {
            pub(crate) async fn put_notice(
                &self,
                year: i64,
                text: &str,
                by: &str,
                at: i64,
            ) -> Result<()> {
                sqlx::query(
                    "INSERT INTO calendar_notices (year, text, imported_by, imported_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (year) DO UPDATE SET text = excluded.text, imported_by = excluded.imported_by, \
                     imported_at = excluded.imported_at",
                )
                .bind(year)
                .bind(text)
                .bind(by)
                .bind(at)
                .execute(&self.write)
                .await?;
                Ok(())
            }

            pub(crate) async fn notice_rows(&self) -> Result<Vec<(String, String, i64)>> {
                Ok(sqlx::query_as(
                    "SELECT text, imported_by, imported_at FROM calendar_notices ORDER BY year",
                )
                .fetch_all(&self.read)
                .await?)
            }
        }
    };
}

mod sqlite {
    notices_sql!(sqlx::Sqlite);
}
mod postgres {
    notices_sql!(sqlx::Postgres);
}

impl Store {
    /// Check and store a year's notice; a bad file is refused whole, naming
    /// its line. Due instants already recorded do not move.
    pub async fn import_calendar_notice(
        &self,
        text: &str,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<Notice> {
        let parsed = parse_notice(text).map_err(|e| {
            Problem::invalid(
                "bad_calendar_notice",
                format!("line {}", e.line),
                e.to_string(),
            )
        })?;
        let text = motcua_domain::text::nfc(text);
        on_db!(
            self,
            put_notice(i64::from(parsed.year), &text, by, to_ms(now))
        )?;
        self.changed(invalidation::Cached::Calendars).await?;
        Ok(parsed)
    }

    /// The notices imported into this database, by year.
    pub async fn imported_notices(&self) -> Result<Vec<ImportedNotice>> {
        let rows = on_db!(self, notice_rows())?;
        rows.into_iter()
            .map(|(text, imported_by, at)| {
                let notice = parse_notice(&text).map_err(|e| {
                    Problem::conflict("corrupt_row", format!("Thông báo lịch nghỉ hỏng: {e}"))
                })?;
                Ok(ImportedNotice {
                    notice,
                    imported_by,
                    imported_at: from_ms(at),
                })
            })
            .collect()
    }

    /// The notices in force: the shipped ones, each replaced by an imported
    /// notice of the same year.
    pub async fn calendar_notices(&self) -> Result<Vec<Notice>> {
        let mut all = notice::shipped();
        // Later wins in `WorkCalendar::with_notices`: imported after shipped.
        all.extend(self.imported_notices().await?.into_iter().map(|i| i.notice));
        Ok(all)
    }
}
