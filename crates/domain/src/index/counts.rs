//! The counters kept per unit and local day: what each dossier, rating and
//! feedback contributes, so that the store moves them in the transaction of
//! the event that changes them and a recomputation gives the same numbers.

use crate::calendar::{Date, OffsetDateTime, VN_OFFSET};
use crate::dossier::Projection;
use crate::lifecycle::Status;
use serde::Serialize;
use std::collections::BTreeMap;

macro_rules! metrics {
    ($($variant:ident = $text:literal / $vi:literal),+ $(,)?) => {
        /// One counter kept per unit and local day.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Metric { $($variant),+ }
        impl Metric {
            pub const ALL: &'static [Metric] = &[$(Metric::$variant),+];
            pub fn as_str(self) -> &'static str { match self { $(Metric::$variant => $text),+ } }
            pub fn label_vi(self) -> &'static str { match self { $(Metric::$variant => $vi),+ } }
            pub fn parse(s: &str) -> Option<Metric> { match s { $($text => Some(Metric::$variant),)+ _ => None } }
        }
    };
}

metrics! {
    ReceivedDirect = "received_direct" / "Tiếp nhận trực tiếp (quầy, ki-ốt, bưu chính…)",
    ReceivedOnlineFull = "received_online_full" / "Tiếp nhận trực tuyến toàn trình",
    ReceivedOnlinePartial = "received_online_partial" / "Tiếp nhận trực tuyến một phần",
    Digitized = "digitized" / "Hồ sơ được số hóa khi tiếp nhận",
    OnlineCounted = "online_counted" / "Hồ sơ trực tuyến được tính (có kết quả điện tử nếu kết quả là bản giấy)",
    DigitizedWithResult = "digitized_with_result" / "Hồ sơ số hóa thành phần và có kết quả điện tử",
    Taken = "taken" / "Hồ sơ bắt đầu xử lý (tiếp nhận)",
    FinishedOnTime = "finished_on_time" / "Kết thúc xử lý trước hạn, đúng hạn",
    FinishedLate = "finished_late" / "Kết thúc xử lý trễ hạn",
    LateOpen = "late_open" / "Hồ sơ chưa kết thúc đã trễ hạn (cộng khi trễ, trừ khi kết thúc)",
    ResultOwed = "result_owed" / "Hồ sơ có kết quả của TTHC có kết quả bản giấy",
    ResultElectronic = "result_electronic" / "Hồ sơ có kết quả điện tử",
    Rated = "rated" / "Lượt đánh giá",
    RatedUnsatisfied = "rated_unsatisfied" / "Lượt đánh giá không hài lòng",
    Feedback = "feedback" / "Phản ánh, kiến nghị nhận được",
    FeedbackOnTime = "feedback_on_time" / "Phản ánh, kiến nghị trả lời đúng hạn",
    FeedbackLate = "feedback_late" / "Phản ánh, kiến nghị trả lời quá hạn",
}

/// Which of a dossier's two units a counter belongs to when one commune's
/// center received a dossier another commune decides (Decree 118/2025,
/// art. 14). Giả định (assumption, see SERVICE-INDEX.md): the portal counts
/// the channel and digitization for the unit that received the dossier, and
/// timeliness and satisfaction for the unit that decided it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Receiving,
    Competent,
}

impl Metric {
    /// The unit this counter is kept for.
    pub fn side(self) -> Side {
        match self {
            Metric::ReceivedDirect
            | Metric::ReceivedOnlineFull
            | Metric::ReceivedOnlinePartial
            | Metric::Digitized
            | Metric::OnlineCounted
            | Metric::DigitizedWithResult => Side::Receiving,
            Metric::Taken
            | Metric::FinishedOnTime
            | Metric::FinishedLate
            | Metric::LateOpen
            | Metric::ResultOwed
            | Metric::ResultElectronic
            | Metric::Rated
            | Metric::RatedUnsatisfied
            | Metric::Feedback
            | Metric::FeedbackOnTime
            | Metric::FeedbackLate => Side::Competent,
        }
    }
}

/// What the screens say of the split, marked as an assumption.
pub const SPLIT_ASSUMPTION: &str = "Giả định: hồ sơ do trung tâm của xã khác tiếp nhận (tiếp nhận \
    không phụ thuộc địa giới hành chính, Điều 14 Nghị định 118/2025/NĐ-CP) được tính hình thức \
    nộp (chỉ số 3.3) và số hóa khi tiếp nhận cho đơn vị tiếp nhận; tiến độ giải quyết (chỉ số \
    2.1) và mức độ hài lòng cho đơn vị có thẩm quyền giải quyết. Cổng Dịch vụ công quốc gia \
    chưa công bố cách tính này.";

/// Counts of one unit (or a province) over a period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts(pub BTreeMap<Metric, i64>);

impl Counts {
    pub fn get(&self, m: Metric) -> i64 {
        self.0.get(&m).copied().unwrap_or(0)
    }
    pub fn add(&mut self, m: Metric, n: i64) {
        *self.0.entry(m).or_insert(0) += n;
    }
    pub fn merge(&mut self, other: &Counts) {
        for (m, n) in &other.0 {
            self.add(*m, *n);
        }
    }
    pub fn received(&self) -> i64 {
        self.get(Metric::ReceivedDirect) + self.received_online()
    }
    pub fn received_online(&self) -> i64 {
        self.get(Metric::ReceivedOnlineFull) + self.get(Metric::ReceivedOnlinePartial)
    }
    pub fn finished(&self) -> i64 {
        self.get(Metric::FinishedOnTime) + self.get(Metric::FinishedLate)
    }
}

/// One change of a counter: `delta` on `metric` of the given local day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Delta {
    pub day: Date,
    pub metric: Metric,
    pub delta: i64,
}

/// What a dossier's counters depend on besides its projection: the channel
/// and the procedure (constant), the digitization flag (written in the
/// reception event) and whether an electronic result is attached (the store
/// moves the counters when one is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub online: bool,
    /// The procedure is offered fully online (toàn trình).
    pub full_online: bool,
    /// Every document at reception was an electronic file (online dossiers always are).
    pub digitized: bool,
    /// The procedure's result is a paper (unknown counts as a paper).
    pub paper_result: bool,
    /// An electronic result file is attached to the dossier.
    pub e_result: bool,
}

impl Facts {
    /// The facts of a dossier filed through `channel` for `procedure`;
    /// `digitized`: every document it came with was an electronic file
    /// (online dossiers are digitized by nature).
    pub fn of(
        channel: crate::lifecycle::Channel,
        procedure: &crate::catalog::Procedure,
        digitized: bool,
        e_result: bool,
    ) -> Facts {
        let online = channel == crate::lifecycle::Channel::Online;
        Facts {
            online,
            full_online: procedure.online_level == crate::catalog::OnlineLevel::Full,
            digitized: online || digitized,
            paper_result: procedure.result_paper != Some(false),
            e_result,
        }
    }
}

fn local_day(t: OffsetDateTime) -> Date {
    t.to_offset(VN_OFFSET).date()
}

/// Whether a settled dossier counts as late in the officers' lists:
/// settled after its due instant, or apologized for (the center may give a
/// new date with an apology, Mẫu 04 of Circular 01/2018/TT-VPCP; the
/// dossier still counts as late, as `is_late` says).
pub fn settled_late(p: &Projection) -> bool {
    p.apologized || matches!((p.finished_at, p.due_at), (Some(f), Some(d)) if f > d)
}

/// When a received dossier's processing ended for the portal's 2.1: the
/// first of result ready, rejected or stopped (withdrawn, or not paid in time).
pub fn processing_end(p: &Projection) -> Option<OffsetDateTime> {
    match p.status {
        Status::ResultReady
        | Status::Returned
        | Status::Rejected
        | Status::Withdrawn
        | Status::Stopped => p.received_at.and(p.finished_at),
        _ => None,
    }
}

/// Late for the portal whatever the times: more than one supplement
/// request, or an apology (a new date does not make a late dossier on time).
fn late_anyway(p: &Projection) -> bool {
    p.supplement_requests > 1 || p.apologized
}

/// Whether a dossier whose processing ended counts as late for 2.1: ended
/// after its appointment (the supplement time is already added to the due
/// instant), or late anyway.
pub fn ended_late(p: &Projection) -> bool {
    late_anyway(p)
        || (!p.ended_waiting
            && matches!((processing_end(p), p.due_at), (Some(f), Some(d)) if f > d))
}

/// From when a received dossier still being processed counts as late for
/// 2.1 (at the end of a period after it): its appointment; from its
/// reception when late anyway; never while it waits for a supplement asked
/// before its appointment (the wait ends at the request).
pub fn open_late_from(p: &Projection) -> Option<OffsetDateTime> {
    let received = p.received_at?;
    if late_anyway(p) {
        return Some(received);
    }
    let due = p.due_at?;
    if p.pause_remaining.is_some() {
        return p
            .paused_at
            .filter(|at| *at > due)
            .map(|_| due.max(received));
    }
    Some(due.max(received))
}

/// The counters one dossier contributes, from its projection. The sum over
/// all dossiers is what the counter table must hold; the increments written
/// with each event are differences of this function, so a full recomputation
/// gives the same numbers by construction.
///
/// 2.1 of a period [from, to] needs dossiers received by `to` and not ended
/// before `from`, open ones too: `Taken` (on the day of reception) summed up
/// to `to`, less the ends summed before `from`; late are the ends in the
/// period counted late plus `LateOpen` summed up to `to` (+1 on the day a
/// dossier became late, −1 on the day its processing ended).
pub fn contribution(p: &Projection, f: Facts) -> Vec<Delta> {
    let mut out = Vec::with_capacity(6);
    let mut push = |day: Date, metric: Metric, delta: i64| out.push(Delta { day, metric, delta });
    let Some(received) = p.received_at else {
        return out;
    };
    let day = local_day(received);
    let metric = match (f.online, f.full_online) {
        (false, _) => Metric::ReceivedDirect,
        (true, true) => Metric::ReceivedOnlineFull,
        (true, false) => Metric::ReceivedOnlinePartial,
    };
    push(day, metric, 1);
    if f.digitized {
        push(day, Metric::Digitized, 1);
        if f.e_result {
            push(day, Metric::DigitizedWithResult, 1);
        }
    }
    // 3.3: an online dossier of a procedure with a paper result counts only
    // with an electronic result.
    if f.online && (!f.paper_result || f.e_result) {
        push(day, Metric::OnlineCounted, 1);
    }
    push(day, Metric::Taken, 1);
    let end = processing_end(p);
    if let Some(end) = end {
        let metric = if ended_late(p) {
            Metric::FinishedLate
        } else {
            Metric::FinishedOnTime
        };
        push(local_day(end), metric, 1);
    }
    // While open, late from this day on; the end takes it back.
    let late_open = if p.ended_waiting && !late_anyway(p) {
        // It waited for papers asked in time until it ended: never late while open.
        None
    } else if end.is_some() {
        // What it was while open: its appointment, or its reception if late anyway.
        if late_anyway(p) {
            Some(received)
        } else {
            p.due_at.map(|d| d.max(received))
        }
    } else {
        open_late_from(p)
    };
    if let Some(from) = late_open {
        let from = local_day(from);
        match end.map(local_day) {
            Some(to) if to <= from => {}
            Some(to) => {
                push(from, Metric::LateOpen, 1);
                push(to, Metric::LateOpen, -1);
            }
            None => push(from, Metric::LateOpen, 1),
        }
    }
    // 4.1: results of procedures whose result is a paper, electronic or not.
    if matches!(p.status, Status::ResultReady | Status::Returned)
        && f.paper_result
        && let Some(end) = end
    {
        push(local_day(end), Metric::ResultOwed, 1);
        if f.e_result {
            push(local_day(end), Metric::ResultElectronic, 1);
        }
    }
    out
}

/// The counter changes of one event: contribution after minus before.
pub fn deltas(before: Option<&Projection>, after: &Projection, f: Facts) -> Vec<Delta> {
    let mut map: BTreeMap<(Date, Metric), i64> = BTreeMap::new();
    for d in contribution(after, f) {
        *map.entry((d.day, d.metric)).or_insert(0) += d.delta;
    }
    if let Some(b) = before {
        for d in contribution(b, f) {
            *map.entry((d.day, d.metric)).or_insert(0) -= d.delta;
        }
    }
    map.into_iter()
        .filter(|(_, n)| *n != 0)
        .map(|((day, metric), delta)| Delta { day, metric, delta })
        .collect()
}

/// The counter changes when a fact of a dossier changes (an electronic
/// result attached): contribution with the new facts minus the old.
pub fn fact_change(p: &Projection, before: Facts, after: Facts) -> Vec<Delta> {
    let mut map: BTreeMap<(Date, Metric), i64> = BTreeMap::new();
    for d in contribution(p, after) {
        *map.entry((d.day, d.metric)).or_insert(0) += d.delta;
    }
    for d in contribution(p, before) {
        *map.entry((d.day, d.metric)).or_insert(0) -= d.delta;
    }
    map.into_iter()
        .filter(|(_, n)| *n != 0)
        .map(|((day, metric), delta)| Delta { day, metric, delta })
        .collect()
}

/// The counters one satisfaction rating contributes (on the day it was given).
pub fn rating_contribution(at: OffsetDateTime, overall: u8) -> Vec<Delta> {
    let day = local_day(at);
    let mut out = vec![Delta {
        day,
        metric: Metric::Rated,
        delta: 1,
    }];
    if super::unsatisfied(overall) {
        out.push(Delta {
            day,
            metric: Metric::RatedUnsatisfied,
            delta: 1,
        });
    }
    out
}

/// The counters one feedback contributes, all on the day it was received, so
/// that the rates of a period compare answers with what came in that period.
pub fn feedback_contribution(
    at: OffsetDateTime,
    due: OffsetDateTime,
    answered: Option<OffsetDateTime>,
) -> Vec<Delta> {
    let day = local_day(at);
    let mut out = vec![Delta {
        day,
        metric: Metric::Feedback,
        delta: 1,
    }];
    if let Some(a) = answered {
        let metric = if a <= due {
            Metric::FeedbackOnTime
        } else {
            Metric::FeedbackLate
        };
        out.push(Delta {
            day,
            metric,
            delta: 1,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn proj(status: Status) -> Projection {
        Projection {
            status,
            paused_from: None,
            assignee: None,
            received_at: Some(datetime!(2026-03-31 23:30 +7)),
            due_at: Some(datetime!(2026-04-03 17:00 +7)),
            pause_remaining: None,
            paused_at: None,
            supplement_requests: 0,
            finished_at: None,
            returned_at: None,
            apologized: false,
            routed: false,
            ended_waiting: false,
            paid: false,
            version: 1,
        }
    }

    const F: Facts = Facts {
        online: false,
        full_online: false,
        digitized: true,
        paper_result: true,
        e_result: false,
    };

    fn has(c: &[Delta], day: Date, metric: Metric, delta: i64) -> bool {
        c.contains(&Delta { day, metric, delta })
    }

    #[test]
    fn reception_counts_on_its_local_day_and_an_open_dossier_becomes_late() {
        let received = proj(Status::Received);
        // 23:30 on 31 March in Vietnam is 16:30 UTC: it counts in March.
        let c = contribution(&received, F);
        let march_31 = date!(2026 - 03 - 31);
        assert!(has(&c, march_31, Metric::ReceivedDirect, 1));
        assert!(has(&c, march_31, Metric::Digitized, 1));
        assert!(has(&c, march_31, Metric::Taken, 1));
        // Open: late from its appointment day on.
        assert!(has(&c, date!(2026 - 04 - 03), Metric::LateOpen, 1));
        // Online of a procedure with a paper result: 3.3 waits for the electronic result.
        let online = Facts { online: true, ..F };
        assert!(
            !contribution(&received, online)
                .iter()
                .any(|d| d.metric == Metric::OnlineCounted)
        );
        let with_result = Facts {
            online: true,
            e_result: true,
            ..F
        };
        let c = contribution(&received, with_result);
        assert!(has(&c, march_31, Metric::OnlineCounted, 1));
        assert!(has(&c, march_31, Metric::DigitizedWithResult, 1));
    }

    #[test]
    fn an_end_after_the_appointment_is_late_and_takes_back_the_open_count() {
        let mut done = proj(Status::ResultReady);
        done.finished_at = Some(datetime!(2026-04-06 09:00 +7));
        let c = contribution(&done, F);
        assert!(has(&c, date!(2026 - 04 - 06), Metric::FinishedLate, 1));
        assert!(has(&c, date!(2026 - 04 - 03), Metric::LateOpen, 1));
        assert!(has(&c, date!(2026 - 04 - 06), Metric::LateOpen, -1));
        assert!(has(&c, date!(2026 - 04 - 06), Metric::ResultOwed, 1));
        // Exactly at the appointment: on time, never late while open.
        done.finished_at = Some(datetime!(2026-04-03 17:00 +7));
        let c = contribution(&done, F);
        assert!(has(&c, date!(2026 - 04 - 03), Metric::FinishedOnTime, 1));
        assert!(!c.iter().any(|d| d.metric == Metric::LateOpen));
        // A second supplement request: late, whatever the times.
        done.supplement_requests = 2;
        let c = contribution(&done, F);
        assert!(has(&c, date!(2026 - 04 - 03), Metric::FinishedLate, 1));
        assert!(has(&c, date!(2026 - 03 - 31), Metric::LateOpen, 1));
        // A withdrawal after reception ends the processing too.
        let mut gone = proj(Status::Withdrawn);
        gone.finished_at = Some(datetime!(2026-04-01 09:00 +7));
        assert!(has(
            &contribution(&gone, F),
            date!(2026 - 04 - 01),
            Metric::FinishedOnTime,
            1
        ));
    }

    #[test]
    fn a_withdrawal_while_waiting_for_papers_asked_in_time_ends_on_time() {
        // Asked for papers on 2 April (before its 3 April appointment), the
        // citizen withdrew on 10 April: the processing ended at the request.
        let cal = crate::calendar::WorkCalendar::vietnam();
        let p = crate::calendar::ProcessingTime::WorkingDays { amount: 3 };
        let mut paused = proj(Status::AwaitingSupplement);
        paused.status = Status::AwaitingSupplement;
        paused.paused_from = Some(Status::Processing);
        paused.pause_remaining = Some(600);
        paused.paused_at = Some(datetime!(2026-04-02 10:00 +7));
        let withdraw = crate::dossier::Event {
            seq: 2,
            at: datetime!(2026-04-10 09:00 +7),
            actor: "citizen".into(),
            role: "citizen".into(),
            action: crate::lifecycle::Action::Withdraw,
            from_status: Some(Status::AwaitingSupplement),
            to_status: Status::Withdrawn,
            note: Some("Không bổ sung được".into()),
            payload: Default::default(),
            frozen: Default::default(),
        };
        let mut gone = paused.clone();
        gone.apply(&withdraw, p, &cal).expect("withdraw");
        assert!(gone.ended_waiting);
        let c = contribution(&gone, F);
        assert!(
            has(&c, date!(2026 - 04 - 10), Metric::FinishedOnTime, 1),
            "{c:?}"
        );
        assert!(!c.iter().any(|d| d.metric == Metric::LateOpen), "{c:?}");
        // Asked only after the appointment: late, from the appointment.
        let mut late = paused.clone();
        late.paused_at = Some(datetime!(2026-04-06 10:00 +7));
        late.apply(&withdraw, p, &cal).expect("withdraw");
        assert!(!late.ended_waiting);
        let c = contribution(&late, F);
        assert!(
            has(&c, date!(2026 - 04 - 10), Metric::FinishedLate, 1),
            "{c:?}"
        );
    }

    #[test]
    fn a_dossier_waiting_for_papers_asked_in_time_is_not_late() {
        let mut paused = proj(Status::AwaitingSupplement);
        paused.pause_remaining = Some(600);
        paused.paused_at = Some(datetime!(2026-04-02 10:00 +7));
        assert_eq!(open_late_from(&paused), None);
        // Asked after the appointment: late from it.
        paused.paused_at = Some(datetime!(2026-04-06 10:00 +7));
        assert_eq!(open_late_from(&paused), paused.due_at);
        // The changes of an event are the difference of the contributions.
        let received = proj(Status::Received);
        let d = deltas(Some(&received), &paused, F);
        assert!(d.is_empty(), "{d:?}");
    }
}
