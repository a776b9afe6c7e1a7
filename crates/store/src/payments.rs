//! Fees paid and their electronic receipts, as the payment events wrote
//! them (migration 0026): read for the dossier page, the receipt PDF and
//! the citizen's lookup. Written only by `Store::act` (backend.rs), in the
//! payment's own transaction.

use crate::{Result, Store};
use motcua_domain::fees::FeeLine;
use time::OffsetDateTime;

/// One payment with its receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub receipt: String,
    pub method: String,
    pub total_vnd: u64,
    pub lines: Vec<FeeLine>,
    pub paid_at: OffsetDateTime,
    pub paid_by: String,
    pub voided_at: Option<OffsetDateTime>,
    pub voided_by: Option<String>,
    pub void_reason: Option<String>,
}

type PaymentRow = (
    String,
    String,
    i64,
    String,
    i64,
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
);

fn payment(r: PaymentRow) -> Payment {
    Payment {
        receipt: r.0,
        method: r.1,
        total_vnd: u64::try_from(r.2).unwrap_or(0),
        lines: serde_json::from_str(&r.3).unwrap_or_default(),
        paid_at: crate::model::from_ms(r.4),
        paid_by: r.5,
        voided_at: r.6.map(crate::model::from_ms),
        voided_by: r.7,
        void_reason: r.8,
    }
}

macro_rules! payments_sql {
    ($db:ty) => {
        impl crate::Sql<$db> {
            pub(crate) async fn payments_of(&self, code: &str) -> Result<Vec<PaymentRow>> {
                Ok(sqlx::query_as(
                    "SELECT p.receipt, p.method, p.total_vnd, p.lines, p.paid_at, p.paid_by, p.voided_at, \
                     p.voided_by, p.void_reason FROM payments p JOIN dossiers d ON d.id = p.dossier_id \
                     WHERE d.code = $1 ORDER BY p.id",
                )
                .bind(code)
                .fetch_all(&self.read)
                .await?)
            }
        }
    };
}

payments_sql!(sqlx::Sqlite);
payments_sql!(sqlx::Postgres);

impl Store {
    /// A dossier's payments, oldest first, voided ones included.
    pub async fn payments(&self, code: &str) -> Result<Vec<Payment>> {
        Ok(on_db!(self, payments_of(code))?
            .into_iter()
            .map(payment)
            .collect())
    }
}
