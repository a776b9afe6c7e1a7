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
    /// The unit's registered receipt symbols when it was issued.
    pub template_symbol: Option<String>,
    pub series: Option<String>,
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

/// A payment row as read, with its dossier's code.
#[derive(sqlx::FromRow)]
pub(crate) struct PayRow {
    code: String,
    receipt: String,
    unit_code: String,
    method: String,
    total_vnd: i64,
    lines: String,
    paid_at: i64,
    paid_by: String,
    voided_at: Option<i64>,
    voided_by: Option<String>,
    void_reason: Option<String>,
    payer_name: String,
    payer_address: String,
    refunded_at: Option<i64>,
    refunded_by: Option<String>,
    refund_reason: Option<String>,
    template_symbol: Option<String>,
    series: Option<String>,
}

/// The columns of [`PayRow`], the dossier's code first.
macro_rules! pay_columns {
    () => {
        "d.code, p.receipt, p.unit_code, p.method, p.total_vnd, p.lines, p.paid_at, p.paid_by, p.voided_at, \
         p.voided_by, p.void_reason, p.payer_name, p.payer_address, p.refunded_at, p.refunded_by, p.refund_reason, \
         p.template_symbol, p.series FROM payments p JOIN dossiers d ON d.id = p.dossier_id"
    };
}

fn payment(r: PayRow) -> (String, Payment) {
    let from_ms = crate::model::from_ms;
    (
        r.code,
        Payment {
            receipt: r.receipt,
            unit_code: r.unit_code,
            method: r.method,
            total_vnd: u64::try_from(r.total_vnd).unwrap_or(0),
            lines: serde_json::from_str(&r.lines).unwrap_or_default(),
            paid_at: from_ms(r.paid_at),
            paid_by: r.paid_by,
            voided_at: r.voided_at.map(from_ms),
            voided_by: r.voided_by,
            void_reason: r.void_reason,
            payer_name: r.payer_name,
            payer_address: r.payer_address,
            refunded_at: r.refunded_at.map(from_ms),
            refunded_by: r.refunded_by,
            refund_reason: r.refund_reason,
            template_symbol: r.template_symbol,
            series: r.series,
        },
    )
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
            ) -> Result<Vec<PayRow>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ",
                    pay_columns!(),
                    " WHERE p.unit_code = $1 AND ((p.paid_at >= $2 AND p.paid_at < $3) \
                     OR (p.refunded_at >= $2 AND p.refunded_at < $3)) ORDER BY p.receipt_year, p.receipt_no"
                ))
                .bind(unit)
                .bind(from)
                .bind(to)
                .fetch_all(&self.read)
                .await?)
            }

            pub(crate) async fn payments_of(&self, code: &str) -> Result<Vec<PayRow>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ",
                    pay_columns!(),
                    " WHERE d.code = $1 ORDER BY p.id"
                ))
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
            .map(|r| {
                let (dossier_code, payment) = payment(r);
                DayPayment {
                    dossier_code,
                    payment,
                }
            })
            .collect())
    }

    /// A dossier's payments, oldest first, voided ones included.
    pub async fn payments(&self, code: &str) -> Result<Vec<Payment>> {
        Ok(on_db!(self, payments_of(code))?
            .into_iter()
            .map(|r| payment(r).1)
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
                // A payment under way is awaited: an order pending until half
                // an hour past its expiry, time for QueryDR to find a lost IPN.
                let under_way = self.payment_orders_of(&row.code).await?.iter().any(|o| {
                    o.state == motcua_domain::fees::PaymentState::Pending
                        && o.expires_at + time::Duration::minutes(30) > now
                });
                if under_way {
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
