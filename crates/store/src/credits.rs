//! Credits a bank reported on a unit's account (migration 0032): recorded
//! once per bank id, matched to an online order when the transfer names
//! its reference with the same amount; the rest wait for the accountant.

use crate::orders::{Settled, Settlement};
use crate::{Result, Store};
use time::OffsetDateTime;

/// One credit as the bank reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credit {
    pub provider_id: String,
    pub account_no: String,
    pub amount_vnd: u64,
    pub content: String,
    pub reference_code: String,
    pub transferred_at: String,
}

/// What became of a credit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matched {
    /// Seen before (the bank retried): nothing changed.
    Duplicate,
    /// The order's payment is recorded.
    Paid { order: String, receipt: String },
    /// Kept for the accountant, saying why.
    Review { detail: String },
}

/// How the accountant settles a credit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// The fee of this dossier.
    Fee { code: String, note: String },
    /// Handled outside motcua (returned to the sender…).
    Outside { note: String },
}

/// A credit waiting for the accountant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditToReview {
    pub provider_id: String,
    pub amount_vnd: u64,
    pub content: String,
    pub transferred_at: String,
    pub order_ref: Option<String>,
    pub detail: String,
}

type ReviewRow = (String, i64, String, String, Option<String>, Option<String>);

macro_rules! credits_sql {
    ($db:ty) => {
        impl crate::Sql<$db> {
            /// Record a credit; false when the bank's id was seen before.
            pub(crate) async fn insert_credit(&self, unit: &str, c: &Credit, at: i64) -> Result<bool> {
                let done = sqlx::query(
                    "INSERT INTO bank_credits (unit_code, provider_id, account_no, amount_vnd, content, reference_code, \
                     transferred_at, received_at, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'received') \
                     ON CONFLICT (unit_code, provider_id) DO NOTHING",
                )
                .bind(unit)
                .bind(&c.provider_id)
                .bind(&c.account_no)
                .bind(i64::try_from(c.amount_vnd).unwrap_or(i64::MAX))
                .bind(&c.content)
                .bind(&c.reference_code)
                .bind(&c.transferred_at)
                .bind(at)
                .execute(&self.write)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            pub(crate) async fn mark_credit(
                &self,
                unit: &str,
                provider_id: &str,
                state: &str,
                order: Option<&str>,
                detail: Option<&str>,
            ) -> Result<()> {
                sqlx::query(
                    "UPDATE bank_credits SET state = $1, order_ref = $2, detail = $3 WHERE unit_code = $4 AND provider_id = $5",
                )
                .bind(state)
                .bind(order)
                .bind(detail)
                .bind(unit)
                .bind(provider_id)
                .execute(&self.write)
                .await?;
                Ok(())
            }

            /// A credit of `unit` still waiting for review: its amount.
            /// Take a credit out of review for one settlement; false when
            /// someone else took it (two accountants, a double click).
            pub(crate) async fn claim_credit(&self, unit: &str, provider_id: &str) -> Result<bool> {
                let done = sqlx::query(
                    "UPDATE bank_credits SET state = 'settling' WHERE unit_code = $1 AND provider_id = $2 AND state = 'needs_review'",
                )
                .bind(unit)
                .bind(provider_id)
                .execute(&self.write)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            /// Put a claimed credit back in review (its settlement was refused).
            pub(crate) async fn unclaim_credit(&self, unit: &str, provider_id: &str) -> Result<()> {
                sqlx::query(
                    "UPDATE bank_credits SET state = 'needs_review' WHERE unit_code = $1 AND provider_id = $2 AND state = 'settling'",
                )
                .bind(unit)
                .bind(provider_id)
                .execute(&self.write)
                .await?;
                Ok(())
            }

            /// Whether a credit was recorded and never matched nor reviewed
            /// (the process stopped between the two).
            pub(crate) async fn credit_unhandled(&self, unit: &str, provider_id: &str) -> Result<bool> {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM bank_credits WHERE unit_code = $1 AND provider_id = $2 AND state = 'received'",
                )
                .bind(unit)
                .bind(provider_id)
                .fetch_one(&self.read)
                .await?;
                Ok(n > 0)
            }

            pub(crate) async fn credit_in_review(&self, unit: &str, provider_id: &str) -> Result<Option<i64>> {
                Ok(sqlx::query_scalar(
                    "SELECT amount_vnd FROM bank_credits WHERE unit_code = $1 AND provider_id = $2 AND state = 'needs_review'",
                )
                .bind(unit)
                .bind(provider_id)
                .fetch_optional(&self.read)
                .await?)
            }

            pub(crate) async fn credits_in_review(&self, unit: &str) -> Result<Vec<ReviewRow>> {
                Ok(sqlx::query_as(
                    "SELECT provider_id, amount_vnd, content, transferred_at, order_ref, detail FROM bank_credits \
                     WHERE unit_code = $1 AND state = 'needs_review' ORDER BY id",
                )
                .bind(unit)
                .fetch_all(&self.read)
                .await?)
            }
        }
    };
}

credits_sql!(sqlx::Sqlite);
credits_sql!(sqlx::Postgres);

/// The order references a transfer's content may name ("MC" and ten
/// capitals or digits), as banks pass it on: spaces and case may change,
/// words may run together, so every place "MC" starts is a candidate.
pub fn references_in(content: &str) -> Vec<String> {
    let squeezed: String = content
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (0..squeezed.len().saturating_sub(11))
        .filter_map(|i| squeezed.get(i..i + 12))
        .filter(|w| w.starts_with("MC"))
        .map(str::to_string)
        .collect()
}

impl Store {
    /// Record a credit on `unit`'s account and settle the order it names
    /// when the amount is the order's; otherwise keep it for the accountant.
    pub async fn record_credit(
        &self,
        unit: &str,
        c: &Credit,
        now: OffsetDateTime,
    ) -> Result<Matched> {
        // A credit seen before is done, unless its matching never finished:
        // the bank's retry then finishes it.
        if !on_db!(self, insert_credit(unit, c, crate::model::to_ms(now)))?
            && !on_db!(self, credit_unhandled(unit, &c.provider_id))?
        {
            return Ok(Matched::Duplicate);
        }
        let review = |detail: String, order: Option<String>| async move {
            on_db!(
                self,
                mark_credit(
                    unit,
                    &c.provider_id,
                    "needs_review",
                    order.as_deref(),
                    Some(detail.as_str())
                )
            )?;
            Ok::<_, crate::StoreError>(Matched::Review { detail })
        };
        let mut found = None;
        for candidate in references_in(&c.content) {
            if let Some(o) = self
                .payment_order(&candidate)
                .await?
                .filter(|o| o.unit_code == unit && o.channel == "vietqr")
            {
                found = Some(o);
                break;
            }
        }
        let Some(order) = found else {
            return review(
                "Nội dung chuyển khoản không nêu mã giao dịch nào của đơn vị".into(),
                None,
            )
            .await;
        };
        let reference = order.reference.clone();
        if c.amount_vnd != order.amount_vnd {
            let what = if c.amount_vnd < order.amount_vnd {
                "thiếu"
            } else {
                "thừa"
            };
            return review(
                format!(
                    "Chuyển {what}: {} thay vì {}",
                    motcua_domain::text::format_vnd(c.amount_vnd),
                    motcua_domain::text::format_vnd(order.amount_vnd)
                ),
                Some(reference),
            )
            .await;
        }
        let settlement = Settlement::Paid {
            provider_txn: if c.reference_code.is_empty() {
                c.provider_id.clone()
            } else {
                c.reference_code.clone()
            },
        };
        match self
            .settle_payment_order(&reference, &settlement, now)
            .await?
        {
            Settled::Recorded { receipt } => {
                on_db!(
                    self,
                    mark_credit(
                        unit,
                        &c.provider_id,
                        "matched",
                        Some(reference.as_str()),
                        None
                    )
                )?;
                Ok(Matched::Paid {
                    order: reference,
                    receipt,
                })
            }
            Settled::Already(state) => {
                review(
                    format!(
                        "Giao dịch {reference} đã ở trạng thái \"{}\"",
                        state.label_vi()
                    ),
                    Some(reference),
                )
                .await
            }
            Settled::Closed(_) | Settled::Review { .. } => {
                review(
                    format!("Giao dịch {reference} cần kế toán kiểm tra"),
                    Some(reference),
                )
                .await
            }
        }
    }

    /// The accountant settles a credit waiting for review: as the fee of the
    /// dossier `code` (the amount must be what it owes), or as money handled
    /// outside motcua (returned to the sender), always saying why.
    pub async fn resolve_credit(
        &self,
        unit: &str,
        provider_id: &str,
        resolution: &Resolution,
        accountant: &crate::User,
        now: OffsetDateTime,
    ) -> Result<()> {
        use motcua_domain::Problem;
        let said = match resolution {
            Resolution::Fee { note, .. } | Resolution::Outside { note } => note.trim(),
        };
        if said.is_empty() {
            return Err(Problem::invalid("note_required", "note", "Cần ghi rõ căn cứ").into());
        }
        let Some(amount) = on_db!(self, credit_in_review(unit, provider_id))? else {
            return Err(Problem::not_found(
                "no_such_credit",
                "Không có khoản tiền này chờ kiểm tra",
            )
            .into());
        };
        if !accountant.has_role(motcua_domain::lifecycle::Role::Accountant)
            || !accountant.sees_unit(unit)
        {
            return Err(Problem::forbidden(
                "forbidden_action",
                "Chỉ kế toán của đơn vị xử lý khoản tiền này",
            )
            .into());
        }
        if !on_db!(self, claim_credit(unit, provider_id))? {
            return Err(Problem::conflict("credit_taken", "Khoản tiền này vừa được xử lý").into());
        }
        let done = self
            .settle_credit(unit, provider_id, amount, resolution, accountant, now)
            .await;
        if done.is_err() {
            // Refused: the credit goes back to the list, as it was.
            on_db!(self, unclaim_credit(unit, provider_id))?;
        }
        done
    }

    async fn settle_credit(
        &self,
        unit: &str,
        provider_id: &str,
        amount: i64,
        resolution: &Resolution,
        accountant: &crate::User,
        now: OffsetDateTime,
    ) -> Result<()> {
        use motcua_domain::Problem;
        match resolution {
            Resolution::Fee { code, note } => {
                let row = self
                    .dossier_row(code)
                    .await?
                    .filter(|r| r.unit_code == unit)
                    .ok_or_else(|| {
                        Problem::invalid(
                            "dossier_not_found",
                            "code",
                            "Không có hồ sơ này của đơn vị",
                        )
                    })?;
                // The amount is the decision's to check against the fee it reads.
                let req = crate::ActionRequest {
                    action: motcua_domain::lifecycle::Action::RecordPayment
                        .as_str()
                        .to_string(),
                    version: row.version,
                    amount_vnd: u64::try_from(amount).ok(),
                    note: Some(format!("Chuyển khoản mã {provider_id}: {note}")),
                    via: motcua_domain::lifecycle::Via::Page,
                    method: Some("vietqr".into()),
                    ..crate::ActionRequest::default()
                };
                self.act(code, &req, &crate::Actor::Staff(accountant.clone()), now)
                    .await?;
                on_db!(
                    self,
                    mark_credit(
                        unit,
                        provider_id,
                        "matched",
                        None,
                        Some(format!("{}: {note}", accountant.username).as_str())
                    )
                )?;
            }
            Resolution::Outside { note } => {
                on_db!(
                    self,
                    mark_credit(
                        unit,
                        provider_id,
                        "resolved",
                        None,
                        Some(format!("{}: {note}", accountant.username).as_str())
                    )
                )?;
            }
        }
        Ok(())
    }

    /// The credits of `unit` waiting for the accountant, oldest first.
    pub async fn credits_to_review(&self, unit: &str) -> Result<Vec<CreditToReview>> {
        Ok(on_db!(self, credits_in_review(unit))?
            .into_iter()
            .map(|r| CreditToReview {
                provider_id: r.0,
                amount_vnd: u64::try_from(r.1).unwrap_or(0),
                content: r.2,
                transferred_at: r.3,
                order_ref: r.4,
                detail: r.5.unwrap_or_default(),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_reference_is_found_whatever_the_bank_did_to_the_content() {
        for content in [
            "MC274B9Q4YHN",
            "CT DEN:0123 mc274b9q4yhn FT2634",
            "MC274B9Q4 YHN chuyen tien",
            "NHMCB chuyen MC274B9Q4YHN",
        ] {
            assert!(
                super::references_in(content).contains(&"MC274B9Q4YHN".to_string()),
                "{content}"
            );
        }
        assert!(super::references_in("chuyen tien hoc phi").is_empty());
    }
}
