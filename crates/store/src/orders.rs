//! Fees paid online (migration 0031): an order per attempt, named by a
//! reference the channel carries back, settled by the channel's
//! confirmation. A confirmed order becomes the dossier's payment through
//! `Store::act` as motcua itself (`record_payment` with the channel), its
//! receipt numbered like any other. The payment names its order, and names
//! it once (`payments_order_ref`): a confirmation repeated, or two arriving
//! together, record one payment; a confirmation after a crash finds the
//! payment already written and completes the order.

use crate::{ActionRequest, Actor, Result, Store, StoreError};
use motcua_domain::fees::PaymentState;
use motcua_domain::lifecycle::{Action, Via};
use motcua_domain::{Problem, ProblemKind};
use time::OffsetDateTime;

/// One online payment attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentOrder {
    pub reference: String,
    pub dossier_code: String,
    pub unit_code: String,
    /// "vnpay", "vietqr" or "paygov".
    pub channel: String,
    pub amount_vnd: u64,
    pub state: PaymentState,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub settled_at: Option<OffsetDateTime>,
    pub provider_txn: Option<String>,
    pub detail: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct OrderRow {
    reference: String,
    code: String,
    unit_code: String,
    channel: String,
    amount_vnd: i64,
    state: String,
    created_at: i64,
    expires_at: i64,
    settled_at: Option<i64>,
    provider_txn: Option<String>,
    detail: Option<String>,
}

fn state_of(s: &str) -> PaymentState {
    match s {
        "paid" => PaymentState::Paid,
        "failed" => PaymentState::Failed,
        "cancelled" => PaymentState::Cancelled,
        "refunded" => PaymentState::Refunded,
        "needs_review" => PaymentState::NeedsReview,
        _ => PaymentState::Pending,
    }
}

fn order(r: OrderRow) -> PaymentOrder {
    let from_ms = crate::model::from_ms;
    PaymentOrder {
        reference: r.reference,
        dossier_code: r.code,
        unit_code: r.unit_code,
        channel: r.channel,
        amount_vnd: u64::try_from(r.amount_vnd).unwrap_or(0),
        state: state_of(&r.state),
        created_at: from_ms(r.created_at),
        expires_at: from_ms(r.expires_at),
        settled_at: r.settled_at.map(from_ms),
        provider_txn: r.provider_txn,
        detail: r.detail,
    }
}

/// What a channel says of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    Paid { provider_txn: String },
    Failed { detail: String },
    Cancelled,
}

/// What settling did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// The payment is recorded with its receipt (now, or before a crash).
    Recorded { receipt: String },
    /// The order was settled before: nothing changed.
    Already(PaymentState),
    /// A failure or a cancellation is recorded.
    Closed(PaymentState),
    /// Money arrived that cannot stand as the dossier's payment (paid
    /// meanwhile, the fee changed, the dossier closed): for the accountant.
    Review { detail: String },
}

const ORDER_COLUMNS: &str = "o.reference, d.code, o.unit_code, o.channel, o.amount_vnd, o.state, o.created_at, \
     o.expires_at, o.settled_at, o.provider_txn, o.detail FROM payment_orders o JOIN dossiers d ON d.id = o.dossier_id";

macro_rules! orders_sql {
    ($db:ty) => {
        impl crate::Sql<$db> {
            pub(crate) async fn insert_order(
                &self,
                o: &PaymentOrder,
                dossier_id: i64,
            ) -> Result<()> {
                sqlx::query(
                    "INSERT INTO payment_orders (reference, dossier_id, unit_code, channel, amount_vnd, state, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7)",
                )
                .bind(&o.reference)
                .bind(dossier_id)
                .bind(&o.unit_code)
                .bind(&o.channel)
                .bind(i64::try_from(o.amount_vnd).unwrap_or(i64::MAX))
                .bind(crate::model::to_ms(o.created_at))
                .bind(crate::model::to_ms(o.expires_at))
                .execute(&self.write)
                .await?;
                Ok(())
            }

            pub(crate) async fn order_rows(&self, filter: &str, arg: &str, limit: i64) -> Result<Vec<OrderRow>> {
                let sql = format!("SELECT {ORDER_COLUMNS} WHERE {filter} ORDER BY o.id LIMIT $2");
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(arg)
                    .bind(limit)
                    .fetch_all(&self.read)
                    .await?)
            }

            /// Move a pending order to `state`; false when it was not pending.
            pub(crate) async fn close_order(
                &self,
                reference: &str,
                state: &str,
                at: i64,
                provider_txn: Option<&str>,
                detail: Option<&str>,
            ) -> Result<bool> {
                let done = sqlx::query(
                    "UPDATE payment_orders SET state = $1, settled_at = $2, provider_txn = COALESCE($3, provider_txn), \
                     detail = $4 WHERE reference = $5 AND state = 'pending'",
                )
                .bind(state)
                .bind(at)
                .bind(provider_txn)
                .bind(detail)
                .bind(reference)
                .execute(&self.write)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            pub(crate) async fn cancel_orders_expired(&self, before: i64, at: i64) -> Result<u64> {
                Ok(sqlx::query(
                    "UPDATE payment_orders SET state = 'cancelled', settled_at = $1, detail = 'Hết hạn, không được xác nhận' \
                     WHERE state = 'pending' AND expires_at < $2",
                )
                .bind(at)
                .bind(before)
                .execute(&self.write)
                .await?
                .rows_affected())
            }

            pub(crate) async fn receipt_of_order(&self, reference: &str) -> Result<Option<String>> {
                Ok(sqlx::query_scalar("SELECT receipt FROM payments WHERE order_ref = $1")
                    .bind(reference)
                    .fetch_optional(&self.read)
                    .await?)
            }
        }
    };
}

orders_sql!(sqlx::Sqlite);
orders_sql!(sqlx::Postgres);

/// How long an order may wait for its confirmation, by channel: VNPay's
/// payment page expires in 15 minutes; a transfer may come within a day.
fn lifetime(channel: &str) -> time::Duration {
    match channel {
        "vnpay" => time::Duration::minutes(15),
        _ => time::Duration::days(1),
    }
}

/// A reference every channel carries intact: "MC" and ten capitals or digits.
fn new_reference() -> Result<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let bytes = crate::random_bytes::<10>()?;
    let tail: String = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    Ok(format!("MC{tail}"))
}

impl Store {
    /// Open an order to pay a dossier's fee online through `channel`: the
    /// amount is the domain's, and only where motcua could record it.
    pub async fn open_payment_order(
        &self,
        code: &str,
        channel: &str,
        now: OffsetDateTime,
    ) -> Result<PaymentOrder> {
        use motcua_domain::decide;
        if !decide::ONLINE_METHODS.contains(&channel) {
            return Err(
                Problem::invalid("bad_method", "channel", "Kênh thanh toán không hợp lệ").into(),
            );
        }
        let row = self
            .dossier_row(code)
            .await?
            .ok_or_else(|| Problem::not_found("dossier_not_found", "Không tìm thấy hồ sơ"))?;
        let procedure = self.procedure_of(&row).await?;
        let answers = row.answers();
        let quote = motcua_domain::fees::quote(&procedure, &answers, row.channel == "online");
        if quote.owes() && !quote.payable_online() {
            return Err(Problem::conflict(
                "pay_at_counter",
                "Mức thu do tỉnh quy định: vui lòng nộp tại Bộ phận Một cửa",
            )
            .into());
        }
        let owes = quote.owes();
        let state = row.projection()?;
        if !decide::offered(&state, &decide::Asker::System, owes).contains(&Action::RecordPayment) {
            return Err(Problem::conflict(
                if state.paid {
                    "already_paid"
                } else {
                    "nothing_to_pay"
                },
                "Hồ sơ không có khoản phí, lệ phí nào cần nộp trực tuyến lúc này",
            )
            .into());
        }
        let o = PaymentOrder {
            reference: new_reference()?,
            dossier_code: row.code.clone(),
            unit_code: row.unit_code.clone(),
            channel: channel.to_string(),
            amount_vnd: quote.total_vnd,
            state: PaymentState::Pending,
            created_at: now,
            // Never past the day an unpaid dossier stops.
            expires_at: state
                .received_at
                .and_then(|r| decide::unpaid_expiry(&procedure, r))
                .filter(|_| state.status == motcua_domain::lifecycle::Status::AwaitingPayment)
                .map_or(now + lifetime(channel), |stop| {
                    (now + lifetime(channel)).min(stop)
                }),
            settled_at: None,
            provider_txn: None,
            detail: None,
        };
        on_db!(self, insert_order(&o, row.id))?;
        Ok(o)
    }

    /// The order a channel names.
    pub async fn payment_order(&self, reference: &str) -> Result<Option<PaymentOrder>> {
        Ok(on_db!(self, order_rows("o.reference = $1", reference, 1))?
            .into_iter()
            .next()
            .map(order))
    }

    /// A dossier's orders, oldest first.
    pub async fn payment_orders_of(&self, code: &str) -> Result<Vec<PaymentOrder>> {
        Ok(on_db!(self, order_rows("d.code = $1", code, 1000))?
            .into_iter()
            .map(order)
            .collect())
    }

    /// Pending orders of `channel`, oldest first.
    pub async fn pending_orders_of_channel(
        &self,
        channel: &str,
        limit: i64,
    ) -> Result<Vec<PaymentOrder>> {
        Ok(on_db!(
            self,
            order_rows("o.state = 'pending' AND o.channel = $1", channel, limit)
        )?
        .into_iter()
        .map(order)
        .collect())
    }

    /// Close as cancelled the orders left pending a day past their expiry
    /// (abandoned on the gateway's page, a QR never scanned): they no longer
    /// hold up anything. Money that still comes for one waits for the accountant.
    pub async fn expire_orders(&self, now: OffsetDateTime) -> Result<u64> {
        let before = crate::model::to_ms(now - time::Duration::DAY);
        on_db!(
            self,
            cancel_orders_expired(before, crate::model::to_ms(now))
        )
    }

    /// Orders in `state` ("pending", "needs_review"…), oldest first.
    pub async fn payment_orders_in(
        &self,
        state: PaymentState,
        limit: i64,
    ) -> Result<Vec<PaymentOrder>> {
        Ok(
            on_db!(self, order_rows("o.state = $1", state.as_str(), limit))?
                .into_iter()
                .map(order)
                .collect(),
        )
    }

    /// Settle an order with what its channel confirmed. Paid: the dossier's
    /// payment is recorded by motcua, once.
    pub async fn settle_payment_order(
        &self,
        reference: &str,
        settlement: &Settlement,
        now: OffsetDateTime,
    ) -> Result<Settled> {
        let at = crate::model::to_ms(now);
        let Some(o) = self.payment_order(reference).await? else {
            return Err(Problem::not_found("order_not_found", "Không có giao dịch này").into());
        };
        if let Some(receipt) = on_db!(self, receipt_of_order(reference))? {
            // Written before (a crash between the payment and the order, or a
            // race): the one confirmation that closes the order reports it.
            let closed = on_db!(self, close_order(reference, "paid", at, None, None))?;
            return Ok(if closed {
                Settled::Recorded { receipt }
            } else {
                Settled::Already(PaymentState::Paid)
            });
        }
        if o.state != PaymentState::Pending {
            return Ok(Settled::Already(o.state));
        }
        let txn = match settlement {
            Settlement::Paid { provider_txn } => provider_txn.clone(),
            Settlement::Failed { detail } => {
                on_db!(
                    self,
                    close_order(reference, "failed", at, None, Some(detail.as_str()))
                )?;
                return Ok(Settled::Closed(PaymentState::Failed));
            }
            Settlement::Cancelled => {
                on_db!(self, close_order(reference, "cancelled", at, None, None))?;
                return Ok(Settled::Closed(PaymentState::Cancelled));
            }
        };
        for _ in 0..3 {
            let row = self
                .dossier_row(&o.dossier_code)
                .await?
                .ok_or_else(|| Problem::not_found("dossier_not_found", "Không tìm thấy hồ sơ"))?;
            let req = ActionRequest {
                action: Action::RecordPayment.as_str().to_string(),
                version: row.version,
                // The money received; the decision checks it against the fee it reads.
                amount_vnd: Some(o.amount_vnd),
                via: Via::Api,
                method: Some(o.channel.clone()),
                order_ref: Some(o.reference.clone()),
                ..ActionRequest::default()
            };
            match self.act(&o.dossier_code, &req, &Actor::System, now).await {
                Ok(_) => {
                    let closed = on_db!(
                        self,
                        close_order(reference, "paid", at, Some(txn.as_str()), None)
                    )?;
                    if !closed {
                        // A concurrent confirmation closed it first and said so.
                        return Ok(Settled::Already(PaymentState::Paid));
                    }
                    let receipt = on_db!(self, receipt_of_order(reference))?.unwrap_or_default();
                    return Ok(Settled::Recorded { receipt });
                }
                // Another confirmation of this order won the race.
                Err(_) if on_db!(self, receipt_of_order(reference))?.is_some() => {
                    return Ok(Settled::Already(PaymentState::Paid));
                }
                Err(StoreError::Problem(p))
                    if matches!(p.code, "stale_version" | "version_conflict") => {}
                Err(StoreError::Problem(p)) if p.kind == ProblemKind::Conflict => {
                    return self.review(&o, &txn, at, &p.message).await;
                }
                Err(e) => return Err(e),
            }
        }
        self.review(&o, &txn, at, "Hồ sơ thay đổi liên tục, chưa ghi nhận được")
            .await
    }

    async fn review(&self, o: &PaymentOrder, txn: &str, at: i64, why: &str) -> Result<Settled> {
        on_db!(
            self,
            close_order(&o.reference, "needs_review", at, Some(txn), Some(why))
        )?;
        Ok(Settled::Review {
            detail: why.to_string(),
        })
    }
}
