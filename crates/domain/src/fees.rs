//! What a dossier costs: from the procedure of its catalog version and the
//! declaration's answers, the fee lines (phí and lệ phí apart), at the
//! online price when submitted online, per page and per copy where the
//! catalog says so, and an exemption with the paper that proves it. Shown
//! before submitting; online payment builds on it.
//!
//! The answers read: `so_trang` (pages of one copy) and `so_ban` (copies),
//! and `mien_phi` = `co` when the applicant claims the procedure's first
//! exemption (README, "Declarations").

use crate::catalog::{Exemption, Fee, Procedure};
use crate::declaration::Answers;
use serde::Serialize;

/// A charge for a public service (phí) or for a state act (lệ phí): the
/// Law on Fees and Charges 2015 keeps them apart, and so do receipts.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Charge {
    Phi,
    #[default]
    LePhi,
}

impl Charge {
    pub fn label_vi(self) -> &'static str {
        match self {
            Charge::Phi => "Phí",
            Charge::LePhi => "Lệ phí",
        }
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct FeeLine {
    pub charge: Charge,
    /// What is charged, as printed on the receipt.
    pub label: String,
    pub vnd: u64,
}

/// The fee of one dossier.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quote {
    pub lines: Vec<FeeLine>,
    pub total_vnd: u64,
    /// The province sets the amount and the catalog does not hold it yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_by_province: Option<String>,
    /// The exemption claimed, with the paper to show.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exemption: Option<Exemption>,
}

fn count(answers: &Answers, key: &str) -> u64 {
    answers
        .get(key)
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(1)
}

/// The fee of one copy of `pages` pages under a per-page tariff.
pub fn per_copy(first_pages: u32, first: u64, then: u64, max: u64, pages: u64) -> u64 {
    let head = pages.min(u64::from(first_pages));
    let tail = pages - head;
    (head * first + tail * then).min(max)
}

/// The largest amount a counter records for one dossier (10^12 đồng): a
/// typo's extra digits are refused, not stored.
pub const MAX_VND: u64 = 1_000_000_000_000;

impl Quote {
    /// Whether anything is to be paid: an amount, or one the province sets;
    /// nothing when the applicant is exempt.
    pub fn owes(&self) -> bool {
        self.exemption.is_none() && (self.set_by_province.is_some() || self.total_vnd > 0)
    }

    /// Whether it can be paid online: an amount the catalog knows (one the
    /// province sets is told at the counter).
    pub fn payable_online(&self) -> bool {
        self.owes() && self.set_by_province.is_none()
    }
}

/// Where a payment stands. Cash at the counter is paid at once; the online
/// channels add pending, failed and needs-review payments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    Pending,
    Paid,
    Failed,
    /// The receipt was voided (issued in error).
    Cancelled,
    Refunded,
    NeedsReview,
}

impl PaymentState {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentState::Pending => "pending",
            PaymentState::Paid => "paid",
            PaymentState::Failed => "failed",
            PaymentState::Cancelled => "cancelled",
            PaymentState::Refunded => "refunded",
            PaymentState::NeedsReview => "needs_review",
        }
    }
    pub fn label_vi(self) -> &'static str {
        match self {
            PaymentState::Pending => "Đang chờ xác nhận",
            PaymentState::Paid => "Đã nộp",
            PaymentState::Failed => "Không thành công",
            PaymentState::Cancelled => "Biên lai đã hủy",
            PaymentState::Refunded => "Đã hoàn trả",
            PaymentState::NeedsReview => "Cần kế toán kiểm tra",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self {
            PaymentState::Pending => "Awaiting confirmation",
            PaymentState::Paid => "Paid",
            PaymentState::Failed => "Failed",
            PaymentState::Cancelled => "Receipt voided",
            PaymentState::Refunded => "Refunded",
            PaymentState::NeedsReview => "For the accountant to review",
        }
    }
}

/// How a dossier's clock stands while it waits for payment before
/// processing: not started (the receipt gives no appointment until paid),
/// or paused from reception (the appointment is given at reception and the
/// unpaid time is added back, as for a supplement).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayClock {
    NotStarted,
    Paused,
}

/// A procedure paid before it is processed (catalog `pay_first`): how the
/// clock stands meanwhile, and after how many calendar days from reception
/// an unpaid dossier stops. Set by the province per procedure.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayFirst {
    pub clock: PayClock,
    pub expire_days: u32,
}

/// The longest wait for payment a catalog may set.
pub const MAX_EXPIRE_DAYS: u32 = 90;

/// Whether a dossier of `p` waits for payment at reception, and how its
/// clock stands: only a pay-first procedure, and only when something is owed.
pub fn waits_for_payment(p: &Procedure, answers: &Answers, online: bool) -> Option<PayClock> {
    p.pay_first
        .filter(|_| quote(p, answers, online).owes())
        .map(|f| f.clock)
}

/// The fee lines of a dossier of `p` with `answers`, submitted online or not.
pub fn quote(p: &Procedure, answers: &Answers, online: bool) -> Quote {
    let charge = p.charge.unwrap_or_default();
    let copies = count(answers, "so_ban");
    let mut lines = Vec::new();
    let mut set_by_province = None;
    match &p.fee {
        Fee::Free { .. } => {}
        Fee::Flat {
            vnd, online_vnd, ..
        } => {
            let each = if online {
                online_vnd.unwrap_or(*vnd)
            } else {
                *vnd
            };
            let label = if copies > 1 {
                format!(
                    "{}: {copies} bản × {}",
                    p.name,
                    crate::text::format_vnd(each)
                )
            } else {
                p.name.clone()
            };
            lines.push(FeeLine {
                charge,
                label,
                vnd: each * copies,
            });
        }
        Fee::PerPage {
            first_pages,
            first_vnd_per_page,
            then_vnd_per_page,
            max_vnd_per_copy,
            ..
        } => {
            let pages = count(answers, "so_trang");
            let each = per_copy(
                *first_pages,
                *first_vnd_per_page,
                *then_vnd_per_page,
                *max_vnd_per_copy,
                pages,
            );
            lines.push(FeeLine {
                charge,
                label: format!(
                    "{}: {copies} bản, mỗi bản {pages} trang ({} một bản)",
                    p.name,
                    crate::text::format_vnd(each)
                ),
                vnd: each * copies,
            });
        }
        Fee::SetByProvince { note } => {
            set_by_province = Some(
                note.clone()
                    .unwrap_or_else(|| "Mức thu do Hội đồng nhân dân tỉnh quyết định".into()),
            );
        }
    }
    let exemption = (answers.get("mien_phi").map(String::as_str) == Some("co"))
        .then(|| p.exemptions.first().cloned())
        .flatten();
    if exemption.is_some() {
        lines.clear();
    }
    Quote {
        total_vnd: lines.iter().map(|l| l.vnd).sum(),
        lines,
        set_by_province,
        exemption,
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn nothing_is_owed_by_an_exempt_applicant_even_where_the_province_sets_the_fee() {
        let catalog =
            crate::catalog::parse_catalog(crate::catalog::DEFAULT_CATALOG_JSON).expect("catalog");
        let p = catalog
            .iter()
            .find(|p| p.code == "HT-XNHN")
            .expect("HT-XNHN");
        assert!(!p.exemptions.is_empty(), "the test needs an exemption");
        let mut answers = Answers::new();
        assert!(quote(p, &answers, false).owes(), "set by the province");
        answers.insert("mien_phi".into(), "co".into());
        assert!(!quote(p, &answers, false).owes(), "exempt");
    }

    use super::*;

    fn procedure(code: &str) -> Procedure {
        crate::catalog::parse_catalog(crate::catalog::DEFAULT_CATALOG_JSON)
            .expect("catalog")
            .into_iter()
            .find(|p| p.code == code)
            .expect("procedure")
    }

    fn answers(pairs: &[(&str, &str)]) -> Answers {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn certified_copies_cost_by_the_page_up_to_the_cap() {
        // Circular 226/2016/TT-BTC: 2,000 đ a page for pages 1–2, 1,000 đ
        // from page 3, at most 200,000 đ a copy.
        let p = procedure("CT-BSBC");
        for (pages, copies, total) in [
            ("1", "1", 2_000),
            ("2", "1", 4_000),
            ("3", "1", 5_000),
            ("150", "1", 152_000),
            ("150", "2", 304_000),
            ("300", "1", 200_000),
        ] {
            let q = quote(
                &p,
                &answers(&[("so_trang", pages), ("so_ban", copies)]),
                false,
            );
            assert_eq!(q.total_vnd, total, "{pages} pages × {copies}");
            assert_eq!(q.lines.len(), 1);
            assert_eq!(q.lines[0].charge, Charge::Phi);
        }
    }

    #[test]
    fn online_price_and_copies_and_province_set_fees() {
        // Permanent residence: 20,000 đ at the counter, 10,000 đ online (lệ phí).
        let p = procedure("CTR-TT");
        assert_eq!(quote(&p, &Answers::new(), false).total_vnd, 20_000);
        let online = quote(&p, &Answers::new(), true);
        assert_eq!(online.total_vnd, 10_000);
        assert_eq!(online.lines[0].charge, Charge::LePhi);
        // A civil-status extract copy: 8,000 đ a copy.
        let q = quote(&procedure("HT-TLHT"), &answers(&[("so_ban", "3")]), false);
        assert_eq!(q.total_vnd, 24_000);
        // Set by the province: no amount invented.
        let q = quote(&procedure("HT-XNHN"), &Answers::new(), false);
        assert!(q.lines.is_empty() && q.set_by_province.is_some());
        // Free.
        assert_eq!(
            quote(&procedure("HT-KS"), &Answers::new(), true).total_vnd,
            0
        );
    }
}
