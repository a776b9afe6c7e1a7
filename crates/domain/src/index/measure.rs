//! How motcua's own data fills the indicators: counters summed over the
//! period and from the beginning, and the catalog. An indicator motcua holds
//! no data for is left out (no data, 0 points); when a capability brings its
//! data (payment, the national portal's sync, VNeID), it only adds a source
//! here.

use super::counts::{Counts, Metric};
use super::indicators::{Value, Values};

/// The procedures of a unit's catalog, for 3.1 and 3.2.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcedureTally {
    /// Active procedures of the commune level.
    pub total: i64,
    /// Of them, offered online (partly or fully).
    pub online: i64,
    /// Of those, with at least one dossier submitted online in the period.
    pub online_used: i64,
}

/// A unit's fee-charging procedures and dossiers for 3.5a, 3.5b and 3.6,
/// counted from the day its online payment was enabled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PaymentTally {
    /// Procedures of the catalog that charge a fee.
    pub fee_procedures: i64,
    /// Of them, with at least one dossier received in the period.
    pub fee_procedures_used: i64,
    /// Of them, with at least one dossier paid online in the period.
    pub fee_procedures_paid_online: i64,
    /// Dossiers with a financial obligation received in the period.
    pub owing: i64,
    /// Of them, paid online successfully.
    pub paid_online: i64,
}

/// What motcua knows of one unit for a period [from, to].
#[derive(Debug, Clone, Default)]
pub struct Tallies {
    /// Counters summed over the period.
    pub period: Counts,
    /// Counters summed from the beginning through `to`.
    pub through_end: Counts,
    /// Counters summed from the beginning through the day before `from`.
    pub before_start: Counts,
    pub procedures: Option<ProcedureTally>,
    /// Feedback received in the period, still unanswered and past its
    /// deadline at the period's end: handled late (5.3).
    pub feedback_overdue: i64,
    /// None while the unit has no online payment (no data: 0 points).
    pub payments: Option<PaymentTally>,
}

fn ratio(numerator: i64, denominator: i64) -> Value {
    let denominator = denominator.max(0);
    Value::Ratio {
        numerator: numerator.clamp(0, denominator),
        denominator,
    }
}

/// 2.1's counts: (on time, received or in processing in the period).
pub fn progress(t: &Tallies) -> (i64, i64) {
    let ended_before =
        t.before_start.get(Metric::FinishedOnTime) + t.before_start.get(Metric::FinishedLate);
    let total = (t.through_end.get(Metric::Taken) - ended_before).max(0);
    let late = t.period.get(Metric::FinishedLate) + t.through_end.get(Metric::LateOpen);
    ((total - late).max(0), total)
}

/// The indicators motcua computes, from its data.
pub fn values(t: &Tallies) -> Values {
    let p = &t.period;
    let mut v = Values::new();
    let (on_time, total) = progress(t);
    v.insert("2.1", ratio(on_time, total));
    if let Some(procs) = t.procedures {
        v.insert("3.1", ratio(procs.online, procs.total));
        v.insert("3.2", ratio(procs.online_used, procs.online));
    }
    if let Some(pay) = t.payments {
        v.insert(
            "3.5a",
            ratio(pay.fee_procedures_paid_online, pay.fee_procedures),
        );
        v.insert("3.5b", ratio(pay.fee_procedures_used, pay.fee_procedures));
        v.insert("3.6", ratio(pay.paid_online, pay.owing));
    }
    let received = p.received();
    v.insert("3.3", ratio(p.get(Metric::OnlineCounted), received));
    v.insert(
        "4.1",
        ratio(p.get(Metric::ResultElectronic), p.get(Metric::ResultOwed)),
    );
    v.insert("4.2", ratio(p.get(Metric::DigitizedWithResult), received));
    let feedback = p.get(Metric::Feedback);
    v.insert("5.2", ratio(p.get(Metric::FeedbackOnTime), feedback));
    v.insert(
        "5.3",
        ratio(
            feedback - p.get(Metric::FeedbackLate) - t.feedback_overdue,
            feedback,
        ),
    );
    // 100 % − (late rate + rate with a PAKN or a "not satisfied" rating).
    let late = total - on_time;
    let unhappy = p.get(Metric::RatedUnsatisfied) + feedback;
    v.insert("5.4", ratio(total - late - unhappy, total));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::score;

    fn counts(pairs: &[(Metric, i64)]) -> Counts {
        let mut c = Counts::default();
        for (m, n) in pairs {
            c.add(*m, *n);
        }
        c
    }

    #[test]
    fn open_dossiers_count_in_progress_and_satisfaction() {
        // Up to the end of March: 120 taken since the beginning, 3 still open
        // and late; before March, 30 ended. In March 80 ended, 8 of them late.
        // 2.1: 90 received or in processing, 90 − (8 + 3) = 79 on time:
        // 20 × 79/90 = 17.56.
        let t = Tallies {
            period: counts(&[
                (Metric::FinishedOnTime, 72),
                (Metric::FinishedLate, 8),
                (Metric::ReceivedDirect, 60),
                (Metric::ReceivedOnlinePartial, 40),
                (Metric::OnlineCounted, 30),
                (Metric::DigitizedWithResult, 70),
                (Metric::ResultOwed, 50),
                (Metric::ResultElectronic, 20),
                (Metric::Feedback, 2),
                (Metric::FeedbackOnTime, 1),
                (Metric::FeedbackLate, 1),
                (Metric::Rated, 10),
                (Metric::RatedUnsatisfied, 1),
            ]),
            through_end: counts(&[(Metric::Taken, 120), (Metric::LateOpen, 3)]),
            before_start: counts(&[(Metric::FinishedOnTime, 25), (Metric::FinishedLate, 5)]),
            procedures: Some(ProcedureTally {
                total: 102,
                online: 102,
                online_used: 51,
            }),
            feedback_overdue: 0,
            payments: None,
        };
        assert_eq!(progress(&t), (79, 90));
        let s = score(&values(&t));
        let p = |code: &str| {
            s.indicators
                .iter()
                .find(|i| i.code == code)
                .map(|i| i.points_x100)
        };
        assert_eq!(p("2.1"), Some(1756));
        assert_eq!(p("3.1"), Some(200)); // 100 % ≥ 80 %
        assert_eq!(p("3.2"), Some(200)); // 4 × 51/102
        assert_eq!(p("3.3"), Some(360)); // 30 % of 100: 6 × 30/50
        assert_eq!(p("4.1"), Some(240)); // 6 × 20/50
        assert_eq!(p("4.2"), Some(350)); // 70 % of 100: 4 × 70/80
        assert_eq!(p("5.2"), Some(300)); // 6 × 1/2
        assert_eq!(p("5.3"), Some(300)); // 6 × (2 − 1)/2
        // Unanswered past its deadline at the period's end: late too.
        let overdue = Tallies {
            feedback_overdue: 1,
            ..t.clone()
        };
        let s2 = score(&values(&overdue));
        let p53 = s2
            .indicators
            .iter()
            .find(|i| i.code == "5.3")
            .map(|i| i.points_x100);
        assert_eq!(p53, Some(0)); // 6 × (2 − 1 − 1)/2
        // 5.4: 90 − 11 late − (1 unsatisfied + 2 PAKN) = 76 of 90 = 84.4 %:
        // 6 × 76/(90 × 0.9) = 5.63.
        assert_eq!(p("5.4"), Some(563));
        // Payment (not enabled here), sync, reuse, VNeID: no data.
        for code in ["1.4", "3.5a", "3.6", "4.3", "4.5b"] {
            assert_eq!(p(code), Some(0), "{code}");
        }
        // Online payment enabled: 3.5a full at 80 %, 3.5b 2.5 × ratio up to 2, 3.6 proportional.
        let paying = Tallies {
            payments: Some(PaymentTally {
                fee_procedures: 10,
                fee_procedures_used: 6,
                fee_procedures_paid_online: 4,
                owing: 40,
                paid_online: 10,
            }),
            ..t.clone()
        };
        let s3 = score(&values(&paying));
        let q = |code: &str| {
            s3.indicators
                .iter()
                .find(|i| i.code == code)
                .map(|i| i.points_x100)
        };
        assert_eq!(q("3.5a"), Some(100)); // 40 % of 80 %: 2 × 1/2
        assert_eq!(q("3.5b"), Some(150)); // 2.5 × 6/10
        assert_eq!(q("3.6"), Some(150)); // 6 × 10/40
    }

    #[test]
    fn a_unit_without_dossiers_earns_only_the_feedback_points() {
        let s = score(&values(&Tallies::default()));
        assert_eq!(s.total_x100, 1200, "5.2 and 5.3 full, the rest nothing");
    }
}
