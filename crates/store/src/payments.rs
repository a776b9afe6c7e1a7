//! Fees paid and their electronic receipts, as the payment events wrote
//! them (migration 0026): read for the dossier page, the receipt PDF and
//! the citizen's lookup. Written only by `Store::act` (backend.rs), in the
//! payment's own transaction.

use crate::{Result, Store};
use motcua_domain::fees::{FeeLine, PaymentState};
use time::OffsetDateTime;

/// One payment with its receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub receipt: String,
    /// The unit that issued the receipt.
    pub unit_code: String,
    pub method: String,
    pub total_vnd: u64,
    pub lines: Vec<FeeLine>,
    pub paid_at: OffsetDateTime,
    pub paid_by: String,
    pub voided_at: Option<OffsetDateTime>,
    pub voided_by: Option<String>,
    pub void_reason: Option<String>,
    /// The payer as they were when they paid.
    pub payer_name: String,
    pub payer_address: String,
    pub refunded_at: Option<OffsetDateTime>,
    pub refunded_by: Option<String>,
    pub refund_reason: Option<String>,
}

impl Payment {
    /// Where the payment stands (cash: paid, then voided or refunded).
    pub fn state(&self) -> PaymentState {
        if self.voided_at.is_some() {
            PaymentState::Cancelled
        } else if self.refunded_at.is_some() {
            PaymentState::Refunded
        } else {
            PaymentState::Paid
        }
    }

    /// Whether its receipt stands for the dossier's fee now.
    pub fn in_force(&self) -> bool {
        self.state() == PaymentState::Paid
    }
}

type PaymentRow = (
    String,
    String,
    String,
    i64,
    String,
    i64,
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
);

/// A payment row with its dossier's code first.
type DayRow = (
    String,
    String,
    String,
    String,
    i64,
    String,
    i64,
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
);

fn payment(r: PaymentRow) -> Payment {
    Payment {
        receipt: r.0,
        unit_code: r.1,
        method: r.2,
        total_vnd: u64::try_from(r.3).unwrap_or(0),
        lines: serde_json::from_str(&r.4).unwrap_or_default(),
        paid_at: crate::model::from_ms(r.5),
        paid_by: r.6,
        voided_at: r.7.map(crate::model::from_ms),
        voided_by: r.8,
        void_reason: r.9,
        payer_name: r.10,
        payer_address: r.11,
        refunded_at: r.12.map(crate::model::from_ms),
        refunded_by: r.13,
        refund_reason: r.14,
    }
}

/// A payment of a unit's day, with its dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayPayment {
    pub dossier_code: String,
    pub payment: Payment,
}

macro_rules! payments_sql {
    ($db:ty) => {
        impl crate::Sql<$db> {
            pub(crate) async fn payments_between(
                &self,
                unit: &str,
                from: i64,
                to: i64,
            ) -> Result<Vec<DayRow>> {
                Ok(sqlx::query_as(
                    "SELECT d.code, p.receipt, p.unit_code, p.method, p.total_vnd, p.lines, p.paid_at, p.paid_by, p.voided_at, \
                     p.voided_by, p.void_reason, p.payer_name, p.payer_address, p.refunded_at, p.refunded_by, p.refund_reason FROM payments p \
                     JOIN dossiers d ON d.id = p.dossier_id WHERE p.unit_code = $1 \
                     AND ((p.paid_at >= $2 AND p.paid_at < $3) OR (p.refunded_at >= $2 AND p.refunded_at < $3)) ORDER BY p.receipt_year, p.receipt_no",
                )
                .bind(unit)
                .bind(from)
                .bind(to)
                .fetch_all(&self.read)
                .await?)
            }

            pub(crate) async fn payments_of(&self, code: &str) -> Result<Vec<PaymentRow>> {
                Ok(sqlx::query_as(
                    "SELECT p.receipt, p.unit_code, p.method, p.total_vnd, p.lines, p.paid_at, p.paid_by, p.voided_at, \
                     p.voided_by, p.void_reason, p.payer_name, p.payer_address, p.refunded_at, p.refunded_by, p.refund_reason FROM payments p \
                     JOIN dossiers d ON d.id = p.dossier_id WHERE d.code = $1 ORDER BY p.id",
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
    /// A unit's payments taken or refunded in [from, to), in receipt order,
    /// voided ones included.
    pub async fn payments_between(
        &self,
        unit: &str,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<DayPayment>> {
        let rows = on_db!(
            self,
            payments_between(unit, crate::model::to_ms(from), crate::model::to_ms(to))
        )?;
        Ok(rows
            .into_iter()
            .map(|r| DayPayment {
                dossier_code: r.0,
                payment: payment((
                    r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11, r.12, r.13, r.14, r.15,
                )),
            })
            .collect())
    }

    /// A dossier's payments, oldest first, voided ones included.
    pub async fn payments(&self, code: &str) -> Result<Vec<Payment>> {
        Ok(on_db!(self, payments_of(code))?
            .into_iter()
            .map(payment)
            .collect())
    }
}

impl Store {
    /// Stop every dossier whose days to pay are over (`expire_unpaid`, taken
    /// by motcua itself with its event), oldest first. Returns how many
    /// stopped. A dossier paid or changed meanwhile is left as it is.
    pub async fn expire_unpaid(&self, now: OffsetDateTime) -> Result<usize> {
        use crate::{ActionRequest, Actor, ListFilter, Scope};
        use motcua_domain::lifecycle::{Action, Status, Via};
        let mut stopped = 0;
        let mut after: Option<i64> = None;
        loop {
            let mut f = ListFilter::new(Scope::All, 200);
            f.status = Some(Status::AwaitingPayment);
            f.oldest_first = true;
            f.before_id = after;
            let rows = self.list_dossiers(&f, now).await?;
            let Some(last) = rows.last() else {
                return Ok(stopped);
            };
            after = Some(last.id);
            for row in rows {
                let procedure = self.procedure_of(&row).await?;
                let due = row
                    .received_at
                    .map(crate::model::from_ms)
                    .and_then(|r| motcua_domain::decide::unpaid_expiry(&procedure, r));
                if due.is_none_or(|d| now < d) {
                    continue;
                }
                let req = ActionRequest {
                    action: Action::ExpireUnpaid.as_str().to_string(),
                    version: row.version,
                    via: Via::Direct,
                    ..ActionRequest::default()
                };
                match self.act(&row.code, &req, &Actor::System, now).await {
                    Ok(_) => stopped += 1,
                    // Paid or changed since it was listed: the next run sees it.
                    Err(crate::StoreError::Problem(p))
                        if p.kind == motcua_domain::ProblemKind::Conflict => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }
}
