//! The service index of Decision 766/QĐ-TTg (23 June 2022): the "Bộ chỉ số
//! chỉ đạo, điều hành và đánh giá chất lượng phục vụ người dân, doanh nghiệp
//! trong thực hiện thủ tục hành chính, dịch vụ công theo thời gian thực trên
//! môi trường điện tử", 100 points in five groups.
//!
//! Everything here is a pure function of counts: the store keeps the counts
//! per unit and per local day (updated in the transaction of each event) and
//! sums them over a period; this module turns them into indicators, points,
//! group scores, a total, a rating and a rank.
//!
//! Sources: Decision 766/QĐ-TTg, Article 1 and its Appendix (group maxima
//! 18 / 20 / 22 / 22 / 18 and the indicator list); Circular 01/2023/TT-VPCP
//! (implementation). The split of each group's points between its
//! indicators, the missing-data rule and the rating levels were not found in
//! the text available to us: each such choice is marked `ASSUMPTION:` here
//! and shown as "giả định" on the screen.

use crate::calendar::{Date, OffsetDateTime, VN_OFFSET};
use crate::dossier::Projection;
use crate::lifecycle::{Role, Status};
use crate::{Problem, ProblemKind};
use serde::Serialize;
use std::collections::BTreeMap;
use time::Month;

/// Where the formulas come from, cited next to every indicator.
pub const DECISION: &str = "Quyết định 766/QĐ-TTg ngày 23/6/2022";

// ---------------------------------------------------------------------------
// Counts
// ---------------------------------------------------------------------------

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
    FinishedOnTime = "finished_on_time" / "Giải quyết trước hạn, đúng hạn",
    FinishedLate = "finished_late" / "Giải quyết quá hạn",
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
            | Metric::Digitized => Side::Receiving,
            Metric::FinishedOnTime
            | Metric::FinishedLate
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

/// What a dossier's counters depend on besides its projection. Constant over
/// the dossier's life (the channel and the procedure do not change; the
/// digitization flag is written in the reception event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub online: bool,
    /// The procedure is offered fully online (toàn trình).
    pub full_online: bool,
    /// Every document at reception was an electronic file (online dossiers always are).
    pub digitized: bool,
}

impl Facts {
    /// The facts of a dossier filed through `channel` for `procedure`;
    /// `digitized`: every document it came with was an electronic file
    /// (online dossiers are digitized by nature).
    pub fn of(
        channel: crate::lifecycle::Channel,
        procedure: &crate::catalog::Procedure,
        digitized: bool,
    ) -> Facts {
        let online = channel == crate::lifecycle::Channel::Online;
        Facts {
            online,
            full_online: procedure.online_level == crate::catalog::OnlineLevel::Full,
            digitized: online || digitized,
        }
    }
}

fn local_day(t: OffsetDateTime) -> Date {
    t.to_offset(VN_OFFSET).date()
}

/// Whether a settled dossier counts as late: settled after its due instant,
/// or apologized for: the center may give a new date with an apology (Mẫu 04 of
/// Circular 01/2018/TT-VPCP; the rule was art. 19 of Decree 61/2018/NĐ-CP,
/// replaced by Decree 118/2025/NĐ-CP, whose article for it is not yet checked,
/// see LAW.md); the dossier still counts as late, as `is_late` says.
pub fn settled_late(p: &Projection) -> bool {
    p.apologized || matches!((p.finished_at, p.due_at), (Some(f), Some(d)) if f > d)
}

/// The counters one dossier contributes, from its projection. The sum over
/// all dossiers is what the counter table must hold; the increments written
/// with each event are differences of this function, so a full recomputation
/// gives the same numbers by construction.
pub fn contribution(p: &Projection, f: Facts) -> Vec<Delta> {
    let mut out = Vec::with_capacity(3);
    if let Some(at) = p.received_at {
        let day = local_day(at);
        let metric = match (f.online, f.full_online) {
            (false, _) => Metric::ReceivedDirect,
            (true, true) => Metric::ReceivedOnlineFull,
            (true, false) => Metric::ReceivedOnlinePartial,
        };
        out.push(Delta {
            day,
            metric,
            delta: 1,
        });
        if f.online || f.digitized {
            out.push(Delta {
                day,
                metric: Metric::Digitized,
                delta: 1,
            });
        }
    }
    // Approve (result ready) and reject settle a dossier; refusal at intake
    // and withdrawal do not count as settled (no processing time was owed).
    let settled = matches!(
        p.status,
        Status::ResultReady | Status::Returned | Status::Rejected
    );
    if settled && let Some(at) = p.finished_at {
        let metric = if settled_late(p) {
            Metric::FinishedLate
        } else {
            Metric::FinishedOnTime
        };
        out.push(Delta {
            day: local_day(at),
            metric,
            delta: 1,
        });
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

/// The counters one satisfaction rating contributes (on the day it was given).
pub fn rating_contribution(at: OffsetDateTime, overall: u8) -> Vec<Delta> {
    let day = local_day(at);
    let mut out = vec![Delta {
        day,
        metric: Metric::Rated,
        delta: 1,
    }];
    if unsatisfied(overall) {
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

// ---------------------------------------------------------------------------
// Periods (local days in Vietnam time, inclusive)
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

fn bad_period() -> Problem {
    Problem::invalid(
        "bad_period",
        "ky",
        "Kỳ đánh giá phải có dạng 2026 (năm), 2026-Q1 (quý), 2026-03 (tháng) hoặc 2026-01-01..2026-03-31",
    )
}

impl Period {
    pub fn month(year: i32, month: u8) -> Result<Self, Problem> {
        let m = Month::try_from(month).map_err(|_| bad_period())?;
        let from = Date::from_calendar_date(year, m, 1).map_err(|_| bad_period())?;
        let to = Date::from_calendar_date(year, m, m.length(year)).map_err(|_| bad_period())?;
        Ok(Period { from, to })
    }
    pub fn quarter(year: i32, q: u8) -> Result<Self, Problem> {
        if !(1..=4).contains(&q) {
            return Err(bad_period());
        }
        let a = Self::month(year, (q - 1) * 3 + 1)?;
        let b = Self::month(year, q * 3)?;
        Ok(Period {
            from: a.from,
            to: b.to,
        })
    }
    pub fn year(year: i32) -> Result<Self, Problem> {
        Ok(Period {
            from: Self::month(year, 1)?.from,
            to: Self::month(year, 12)?.to,
        })
    }
    /// Any range of whole days; at most ten years so a typo cannot ask for a century.
    pub fn range(from: Date, to: Date) -> Result<Self, Problem> {
        if from > to || (to - from).whole_days() > 3660 {
            return Err(bad_period());
        }
        Ok(Period { from, to })
    }

    /// `2026`, `2026-Q1`, `2026-03`, or `2026-01-01..2026-03-31`.
    pub fn parse(s: &str) -> Result<Self, Problem> {
        let s = s.trim();
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        let year = |t: &str| -> Result<i32, Problem> {
            let y: i32 = t.parse().map_err(|_| bad_period())?;
            if t.len() != 4 || !(2000..=2100).contains(&y) {
                return Err(bad_period());
            }
            Ok(y)
        };
        if let Some((a, b)) = s.split_once("..") {
            let from = Date::parse(a.trim(), fmt).map_err(|_| bad_period())?;
            let to = Date::parse(b.trim(), fmt).map_err(|_| bad_period())?;
            return Self::range(from, to);
        }
        match s.split_once('-') {
            None => Self::year(year(s)?),
            Some((y, rest)) => {
                let y = year(y)?;
                if let Some(q) = rest.strip_prefix('Q').or_else(|| rest.strip_prefix('q')) {
                    Self::quarter(y, q.parse().map_err(|_| bad_period())?)
                } else if rest.len() == 2 {
                    Self::month(y, rest.parse().map_err(|_| bad_period())?)
                } else {
                    Err(bad_period())
                }
            }
        }
    }

    /// The canonical text `parse` reads back.
    pub fn key(&self) -> String {
        let d = |d: Date| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day());
        let whole_month = self.from.day() == 1
            && self.to.day() == self.to.month().length(self.to.year())
            && self.from.year() == self.to.year();
        if whole_month && self.from.month() == Month::January && self.to.month() == Month::December
        {
            format!("{}", self.from.year())
        } else if whole_month && self.from.month() == self.to.month() {
            format!("{:04}-{:02}", self.from.year(), u8::from(self.from.month()))
        } else if whole_month
            && (u8::from(self.from.month()) - 1) % 3 == 0
            && u8::from(self.to.month()) == u8::from(self.from.month()) + 2
        {
            format!(
                "{}-Q{}",
                self.from.year(),
                (u8::from(self.from.month()) - 1) / 3 + 1
            )
        } else {
            format!("{}..{}", d(self.from), d(self.to))
        }
    }

    /// Vietnamese label, e.g. "tháng 3/2026", "quý 1/2026", "năm 2026".
    pub fn label_vi(&self) -> String {
        let k = self.key();
        let dm = |d: Date| format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year());
        if k.len() == 4 {
            format!("năm {k}")
        } else if let Some((y, q)) = k.split_once("-Q") {
            format!("quý {q}/{y}")
        } else if k.len() == 7 {
            format!("tháng {}/{}", u8::from(self.from.month()), self.from.year())
        } else {
            format!("{} – {}", dm(self.from), dm(self.to))
        }
    }

    /// The months of the period (for trends), each as a period of its own.
    pub fn months(&self) -> Vec<Period> {
        let mut out = Vec::new();
        let (mut y, mut m) = (self.from.year(), u8::from(self.from.month()));
        while let Ok(p) = Period::month(y, m) {
            if p.from > self.to {
                break;
            }
            out.push(Period {
                from: p.from.max(self.from),
                to: p.to.min(self.to),
            });
            m += 1;
            if m > 12 {
                m = 1;
                y += 1;
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------
// Indicators
// ---------------------------------------------------------------------------

/// The five groups (Decision 766, Article 1, section 2 and the Appendix).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    Transparency,
    Progress,
    Digitization,
    OnlineService,
    Satisfaction,
}

impl Group {
    pub const ALL: [Group; 5] = [
        Group::Transparency,
        Group::Progress,
        Group::Digitization,
        Group::OnlineService,
        Group::Satisfaction,
    ];
    pub fn label_vi(self) -> &'static str {
        match self {
            Group::Transparency => "Công khai, minh bạch",
            Group::Progress => "Tiến độ, kết quả giải quyết",
            Group::Digitization => "Số hóa hồ sơ",
            Group::OnlineService => "Cung cấp dịch vụ trực tuyến",
            Group::Satisfaction => "Mức độ hài lòng",
        }
    }
    /// Maximum points, in hundredths (Appendix: 18, 20, 22, 22, 18; total 100).
    pub fn max_x100(self) -> i64 {
        match self {
            Group::Transparency => 1800,
            Group::Progress => 2000,
            Group::Digitization => 2200,
            Group::OnlineService => 2200,
            Group::Satisfaction => 1800,
        }
    }
    pub fn number(self) -> usize {
        self as usize + 1
    }
}

/// How points follow from a rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scoring {
    /// points = rate × maximum.
    Proportional,
    /// Full points at or above `percent` %, otherwise proportional to the rate.
    Target { percent: i64 },
}

/// The static definition of an indicator.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Definition {
    pub code: &'static str,
    pub group: Group,
    pub name_vi: &'static str,
    /// Points in hundredths.
    pub max_x100: i64,
    pub citation: &'static str,
    /// Plain text of the formula, for the screen.
    pub formula_vi: &'static str,
    /// What we could not find in the text and chose; shown on the screen.
    pub assumption: Option<&'static str>,
    pub scoring: Scoring,
    /// The counts: numerator and denominator metrics (`None`: motcua has no data).
    #[serde(skip)]
    pub source: Option<Source>,
    /// Points when there is nothing to count in the period (see [`NOTHING_TO_COUNT_NOTE`]).
    pub when_empty: WhenEmpty,
}

/// Points of an indicator whose denominator is zero in the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WhenEmpty {
    /// No feedback to handle late: nothing went wrong.
    Full,
    /// No dossier (or rating) to show: nothing earned.
    Zero,
}

/// Which counts make an indicator's rate.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    /// numerator metrics / denominator metrics
    Ratio(&'static [Metric], &'static [Metric]),
    /// (denominator − subtracted) / denominator
    Complement(&'static [Metric], &'static [Metric]),
}

const SPLIT: &str = "ASSUMPTION: cách chia điểm của nhóm giữa các chỉ số không có trong văn bản tìm được; chia theo tỷ lệ nêu tại đây.";

/// Every indicator of the Appendix, in order.
pub const DEFINITIONS: &[Definition] = &[
    Definition {
        code: "1.1",
        group: Group::Transparency,
        name_vi: "Tỷ lệ thủ tục hành chính công bố đúng hạn",
        max_x100: 400,
        citation: "QĐ 766/QĐ-TTg, Phụ lục, nhóm 1",
        formula_vi: "TTHC công bố đúng hạn / tổng TTHC công bố × 100%",
        assumption: Some(SPLIT),
        scoring: Scoring::Proportional,
        source: None,
        when_empty: WhenEmpty::Zero,
    },
    Definition {
        code: "1.2",
        group: Group::Transparency,
        name_vi: "Tỷ lệ thủ tục hành chính được cập nhật, công khai đúng hạn",
        max_x100: 400,
        citation: "QĐ 766/QĐ-TTg, Phụ lục, nhóm 1 (4 điểm)",
        formula_vi: "TTHC cập nhật, công khai đúng hạn / tổng TTHC × 100%",
        assumption: None,
        scoring: Scoring::Proportional,
        source: None,
        when_empty: WhenEmpty::Zero,
    },
    Definition {
        code: "1.3",
        group: Group::Transparency,
        name_vi: "Tỷ lệ TTHC được công khai đầy đủ các bộ phận tạo thành",
        max_x100: 400,
        citation: "QĐ 766/QĐ-TTg, Phụ lục, nhóm 1",
        formula_vi: "TTHC công khai đầy đủ nội dung / tổng TTHC × 100%",
        assumption: Some(SPLIT),
        scoring: Scoring::Proportional,
        source: None,
        when_empty: WhenEmpty::Zero,
    },
    Definition {
        code: "1.4",
        group: Group::Transparency,
        name_vi: "Tỷ lệ hồ sơ đồng bộ lên Cổng Dịch vụ công quốc gia",
        max_x100: 600,
        citation: "QĐ 766/QĐ-TTg, Phụ lục, nhóm 1",
        formula_vi: "Hồ sơ đồng bộ lên Cổng DVCQG / tổng hồ sơ × 100%",
        assumption: Some(SPLIT),
        scoring: Scoring::Proportional,
        source: None,
        when_empty: WhenEmpty::Zero,
    },
    Definition {
        code: "2.1",
        group: Group::Progress,
        name_vi: "Tỷ lệ hồ sơ giải quyết trước hạn, đúng hạn",
        max_x100: 2000,
        citation: "QĐ 766/QĐ-TTg, Phụ lục, nhóm 2 (tối đa 20 điểm)",
        formula_vi: "Hồ sơ giải quyết trước hạn, đúng hạn / tổng hồ sơ đã giải quyết × 100%",
        assumption: Some(
            "ASSUMPTION: điểm = tỷ lệ × 20; hồ sơ đã xin lỗi, hẹn lại tính là quá hạn; \
             thời gian giải quyết trung bình chỉ để theo dõi, không tính điểm.",
        ),
        scoring: Scoring::Proportional,
        source: Some(Source::Ratio(
            &[Metric::FinishedOnTime],
            &[Metric::FinishedOnTime, Metric::FinishedLate],
        )),
        when_empty: WhenEmpty::Zero,
    },
    Definition {
        code: "3.1",
        group: Group::Digitization,
        name_vi: "Tỷ lệ hồ sơ được số hóa khi tiếp nhận",
        max_x100: 800,
        citation: "QĐ 766/QĐ-TTg, Phụ lục, nhóm 3",
        formula_vi: "Hồ sơ có toàn bộ giấy tờ là tệp điện tử khi tiếp nhận / tổng hồ sơ tiếp nhận × 100%",
        assumption: Some(
            "ASSUMPTION: 8/22 điểm; hồ sơ trực tuyến luôn được tính là đã số hóa; \
             hồ sơ tại quầy được tính khi mọi giấy tờ khi tiếp nhận là tệp điện tử.",
        ),
        scoring: Scoring::Proportional,
        source: Some(Source::Ratio(
            &[Metric::Digitized],
            &[
                Metric::ReceivedDirect,
                Metric::ReceivedOnlineFull,
                Metric::ReceivedOnlinePartial,
            ],
        )),
        when_empty: WhenEmpty::Zero,
    },
    Definition {
        code: "3.2",
        group: Group::Digitization,
        name_vi: "Tỷ lệ cấp kết quả giải quyết TTHC điện tử",
        max_x100: 800,
        citation: "QĐ 766/QĐ-TTg, Phụ lục, nhóm 3",
        formula_vi: "Kết quả điện tử / tổng kết quả × 100%",
        assumption: Some(SPLIT),
        scoring: Scoring::Proportional,
        source: None,
        when_empty: WhenEmpty::Zero,
    },
    Definition {
        code: "3.3",
        group: Group::Digitization,
        name_vi: "Tỷ lệ khai thác, sử dụng lại thông tin, dữ liệu số hóa",
        max_x100: 600,
        citation: "QĐ 766/QĐ-TTg, Phụ lục, nhóm 3",
        formula_vi: "Hồ sơ sử dụng lại dữ liệu số hóa / tổng hồ sơ × 100%",
        assumption: Some(SPLIT),
        scoring: Scoring::Proportional,
        source: None,
        when_empty: WhenEmpty::Zero,
    },
    Definition {
        code: "4.1",
        group: Group::OnlineService,
        name_vi: "Tỷ lệ hồ sơ trực tuyến toàn trình",
        max_x100: 800,
        citation: "QĐ 766/QĐ-TTg, Phụ lục, nhóm 4",
        formula_vi: "Hồ sơ nộp trực tuyến của TTHC toàn trình / tổng hồ sơ tiếp nhận × 100%",
        assumption: Some(
            "ASSUMPTION: 8/22 điểm; toàn trình theo mức độ trực tuyến của thủ tục trong danh mục.",
        ),
        scoring: Scoring::Proportional,
        source: Some(Source::Ratio(
            &[Metric::ReceivedOnlineFull],
            &[
                Metric::ReceivedDirect,
                Metric::ReceivedOnlineFull,
                Metric::ReceivedOnlinePartial,
            ],
        )),
        when_empty: WhenEmpty::Zero,
    },
    Definition {
        code: "4.2",
        group: Group::OnlineService,
        name_vi: "Tỷ lệ hồ sơ trực tuyến (toàn trình và một phần)",
        max_x100: 800,
        citation: "QĐ 766/QĐ-TTg, Phụ lục, nhóm 4",
        formula_vi: "Hồ sơ nộp trực tuyến / tổng hồ sơ tiếp nhận × 100%",
        assumption: Some("ASSUMPTION: 8/22 điểm."),
        scoring: Scoring::Proportional,
        source: Some(Source::Ratio(
            &[Metric::ReceivedOnlineFull, Metric::ReceivedOnlinePartial],
            &[
                Metric::ReceivedDirect,
                Metric::ReceivedOnlineFull,
                Metric::ReceivedOnlinePartial,
            ],
        )),
        when_empty: WhenEmpty::Zero,
    },
    Definition {
        code: "4.3",
        group: Group::OnlineService,
        name_vi: "Tỷ lệ thanh toán trực tuyến",
        max_x100: 600,
        citation: "QĐ 766/QĐ-TTg, Phụ lục, nhóm 4",
        formula_vi: "Giao dịch thanh toán trực tuyến / tổng giao dịch thanh toán × 100%",
        assumption: Some(SPLIT),
        scoring: Scoring::Proportional,
        source: None,
        when_empty: WhenEmpty::Zero,
    },
    Definition {
        code: "5.1",
        group: Group::Satisfaction,
        name_vi: "Tỷ lệ phản ánh, kiến nghị xử lý đúng hạn",
        max_x100: 600,
        citation: "QĐ 766/QĐ-TTg, Phụ lục, nhóm 5",
        formula_vi: "PAKN xử lý đúng hoặc trước hạn / tổng PAKN thuộc thẩm quyền × 100%",
        assumption: Some(
            "ASSUMPTION: 6/18 điểm; PAKN chưa trả lời được tính là chưa đúng hạn; \
             thời hạn trả lời 10 ngày làm việc.",
        ),
        scoring: Scoring::Proportional,
        source: Some(Source::Ratio(
            &[Metric::FeedbackOnTime],
            &[Metric::Feedback],
        )),
        when_empty: WhenEmpty::Full,
    },
    Definition {
        code: "5.2",
        group: Group::Satisfaction,
        name_vi: "Tỷ lệ hài lòng trong xử lý phản ánh, kiến nghị",
        max_x100: 600,
        citation: "QĐ 766/QĐ-TTg, Phụ lục, nhóm 5",
        formula_vi: "(Tổng PAKN − số không hài lòng hoặc xử lý quá hạn) / tổng PAKN × 100%",
        assumption: Some(
            "ASSUMPTION: 6/18 điểm; motcua chưa ghi nhận ý kiến không hài lòng về câu trả lời, \
             chỉ trừ các PAKN trả lời quá hạn.",
        ),
        scoring: Scoring::Proportional,
        source: Some(Source::Complement(
            &[Metric::Feedback],
            &[Metric::FeedbackLate],
        )),
        when_empty: WhenEmpty::Full,
    },
    Definition {
        code: "5.3",
        group: Group::Satisfaction,
        name_vi: "Tỷ lệ hài lòng trong tiếp nhận, giải quyết TTHC",
        max_x100: 600,
        citation: "QĐ 766/QĐ-TTg, Phụ lục, nhóm 5 (tối đa 6/18 điểm theo mục tiêu NQ 76/NQ-CP)",
        formula_vi: "(Tổng lượt đánh giá − lượt không hài lòng) / tổng lượt đánh giá × 100%",
        assumption: Some(
            "ASSUMPTION: đủ 6 điểm khi tỷ lệ đạt mục tiêu 90% của Nghị quyết 76/NQ-CP, \
             dưới mức đó điểm = tỷ lệ × 6; không hài lòng = đánh giá chung 1 hoặc 2 trên thang 5.",
        ),
        scoring: Scoring::Target { percent: 90 },
        source: Some(Source::Complement(
            &[Metric::Rated],
            &[Metric::RatedUnsatisfied],
        )),
        when_empty: WhenEmpty::Zero,
    },
];

/// ASSUMPTION: the text we found does not say how an indicator without data
/// is scored. We give it no points (the national system only credits what
/// it receives) and say so on the screen; we never estimate it.
pub const MISSING_DATA_NOTE: &str =
    "ASSUMPTION: chỉ số không có dữ liệu được tính 0 điểm (không ước lượng).";

/// ASSUMPTION: a rate with nothing to count in the period ("không phát
/// sinh") earns no points when it counts dossiers or ratings (a unit without
/// activity must not outrank a working one), and full points when it counts
/// feedback (no complaint handled late).
pub const NOTHING_TO_COUNT_NOTE: &str = "ASSUMPTION: chỉ số không phát sinh trong kỳ (mẫu số bằng 0) được 0 điểm nếu đếm hồ sơ hoặc lượt đánh giá, đủ điểm nếu đếm phản ánh, kiến nghị (không có phản ánh nào bị xử lý trễ).";

/// The state of one indicator for one unit and period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Value {
    /// motcua has no data for this indicator ("không có dữ liệu").
    NoData,
    /// The denominator is zero ("không phát sinh").
    NothingToCount,
    Rate {
        numerator: i64,
        denominator: i64,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct IndicatorScore {
    pub code: &'static str,
    pub group: Group,
    pub name_vi: &'static str,
    pub max_x100: i64,
    pub citation: &'static str,
    pub formula_vi: &'static str,
    pub assumption: Option<&'static str>,
    pub value: Value,
    pub points_x100: i64,
}

impl IndicatorScore {
    /// Rate in hundredths of a percent (e.g. 9523 = 95.23 %), if any.
    pub fn rate_x100(&self) -> Option<i64> {
        match self.value {
            Value::Rate {
                numerator,
                denominator,
            } if denominator > 0 => Some(round_div(numerator * 10_000, denominator)),
            _ => None,
        }
    }
}

/// Round-half-up of a non-negative quotient (integers only: exact and the same everywhere).
fn round_div(n: i64, d: i64) -> i64 {
    if d <= 0 {
        return 0;
    }
    (2 * n + d) / (2 * d)
}

fn sum(c: &Counts, ms: &[Metric]) -> i64 {
    ms.iter().map(|m| c.get(*m)).sum()
}

/// Points of a rate num/den for an indicator worth `max_x100`.
pub fn points(max_x100: i64, scoring: Scoring, num: i64, den: i64) -> i64 {
    if den <= 0 {
        return max_x100;
    }
    let num = num.clamp(0, den);
    match scoring {
        Scoring::Proportional => round_div(max_x100 * num, den),
        Scoring::Target { percent } => {
            if num * 100 >= percent * den {
                max_x100
            } else {
                round_div(max_x100 * num, den)
            }
        }
    }
}

pub fn score_indicator(d: &Definition, c: &Counts) -> IndicatorScore {
    let value = match d.source {
        None => Value::NoData,
        Some(Source::Ratio(n, den)) => {
            let den = sum(c, den);
            if den == 0 {
                Value::NothingToCount
            } else {
                Value::Rate {
                    numerator: sum(c, n).min(den),
                    denominator: den,
                }
            }
        }
        Some(Source::Complement(total, minus)) => {
            let den = sum(c, total);
            if den == 0 {
                Value::NothingToCount
            } else {
                Value::Rate {
                    numerator: (den - sum(c, minus)).clamp(0, den),
                    denominator: den,
                }
            }
        }
    };
    let points_x100 = match value {
        Value::NoData => 0,
        Value::NothingToCount => match d.when_empty {
            WhenEmpty::Full => d.max_x100,
            WhenEmpty::Zero => 0,
        },
        Value::Rate {
            numerator,
            denominator,
        } => points(d.max_x100, d.scoring, numerator, denominator),
    };
    IndicatorScore {
        code: d.code,
        group: d.group,
        name_vi: d.name_vi,
        max_x100: d.max_x100,
        citation: d.citation,
        formula_vi: d.formula_vi,
        assumption: d.assumption,
        value,
        points_x100,
    }
}

/// A unit's (or province's) index over a period.
#[derive(Debug, Clone, Serialize)]
pub struct Scorecard {
    pub indicators: Vec<IndicatorScore>,
    /// Points per group in hundredths, in [`Group::ALL`] order.
    pub groups_x100: [i64; 5],
    pub total_x100: i64,
    pub rating: Rating,
}

pub fn score(c: &Counts) -> Scorecard {
    let indicators: Vec<IndicatorScore> =
        DEFINITIONS.iter().map(|d| score_indicator(d, c)).collect();
    let mut groups_x100 = [0i64; 5];
    for i in &indicators {
        groups_x100[i.group as usize] += i.points_x100;
    }
    let total_x100 = groups_x100.iter().sum();
    Scorecard {
        indicators,
        groups_x100,
        total_x100,
        rating: Rating::of(total_x100),
    }
}

/// Rating levels. ASSUMPTION: the levels and thresholds are not in the text
/// we found; these follow the usual five-level scale of provincial rankings.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    Excellent,
    Good,
    Fair,
    Average,
    Weak,
}

impl Rating {
    pub fn of(total_x100: i64) -> Rating {
        match total_x100 {
            t if t >= 9000 => Rating::Excellent,
            t if t >= 8000 => Rating::Good,
            t if t >= 7000 => Rating::Fair,
            t if t >= 5000 => Rating::Average,
            _ => Rating::Weak,
        }
    }
    pub fn label_vi(self) -> &'static str {
        match self {
            Rating::Excellent => "Xuất sắc",
            Rating::Good => "Tốt",
            Rating::Fair => "Khá",
            Rating::Average => "Trung bình",
            Rating::Weak => "Yếu",
        }
    }
}

pub const RATING_NOTE: &str =
    "ASSUMPTION: xếp loại Xuất sắc ≥ 90, Tốt ≥ 80, Khá ≥ 70, Trung bình ≥ 50, Yếu < 50 điểm.";

/// Ranks by total, highest first; equal totals share a rank and the next
/// rank skips ("1, 2, 2, 4"). Returns (rank, index into `totals`), in order;
/// ties keep the input order (the caller sorts by name first).
pub fn rank(totals: &[i64]) -> Vec<(usize, usize)> {
    let mut idx: Vec<usize> = (0..totals.len()).collect();
    idx.sort_by(|a, b| totals[*b].cmp(&totals[*a]).then(a.cmp(b)));
    let mut out = Vec::with_capacity(idx.len());
    for (pos, i) in idx.iter().enumerate() {
        let r = if pos > 0 && totals[idx[pos - 1]] == totals[*i] {
            out.last().map_or(1, |(r, _): &(usize, usize)| *r)
        } else {
            pos + 1
        };
        out.push((r, *i));
    }
    out
}

/// Points in hundredths as text with a decimal comma, e.g. 1834 → "18,34".
pub fn fmt_points(x100: i64) -> String {
    format!("{},{:02}", x100 / 100, (x100 % 100).abs())
}

/// A rate in hundredths of a percent as text, e.g. 9523 → "95,23 %".
pub fn fmt_rate(x100: i64) -> String {
    format!("{},{:02} %", x100 / 100, (x100 % 100).abs())
}

/// Feedback (phản ánh, kiến nghị): the deadline to answer, in working days.
/// ASSUMPTION: 10 working days (the usual deadline for handling feedback on
/// administrative regulations); not found in Decision 766 itself.
pub const FEEDBACK_WORKING_DAYS: u32 = 10;

/// Satisfaction criteria asked after a result is returned, each on a 1–5
/// scale. ASSUMPTION: the Decision's own criteria were not found; these
/// follow the criteria used by provincial public service portals.
pub const RATING_CRITERIA: &[(&str, &str)] = &[
    ("overall", "Đánh giá chung về việc giải quyết thủ tục"),
    (
        "attitude",
        "Thái độ của cán bộ, công chức khi hướng dẫn, tiếp nhận, giải quyết",
    ),
    ("timeliness", "Thời gian giải quyết so với quy định"),
    (
        "convenience",
        "Mức độ thuận tiện khi nộp hồ sơ và nhận kết quả",
    ),
    ("publicity", "Mức độ công khai, rõ ràng của thủ tục"),
];

/// Whether a rating counts as "not satisfied": overall 1 or 2 of 5.
pub fn unsatisfied(overall: u8) -> bool {
    overall <= 2
}

/// Validate rating scores (one per criterion, each 1–5).
pub fn validate_rating(scores: &[u8]) -> Result<(), Problem> {
    if scores.len() != RATING_CRITERIA.len() {
        return Err(Problem::invalid(
            "bad_rating",
            "scores",
            "Cần chấm đủ mọi tiêu chí",
        ));
    }
    for (i, s) in scores.iter().enumerate() {
        if !(1..=5).contains(s) {
            return Err(Problem::new(
                ProblemKind::Invalid,
                "bad_rating",
                "Mỗi tiêu chí chấm từ 1 đến 5 điểm",
            )
            .with_field(RATING_CRITERIA[i].0));
        }
    }
    Ok(())
}

/// Who may see a whole province's ranking: its supervisors and administrators.
/// Unit staff see their own units' index (`User::sees_unit` decides which).
pub fn may_rank_province(roles: &[Role]) -> bool {
    roles
        .iter()
        .any(|r| matches!(r, Role::ProvinceSupervisor | Role::Admin))
}

/// Who answers feedback for a unit: its receptionists, leaders and administrators.
pub fn may_answer_feedback(roles: &[Role]) -> bool {
    roles
        .iter()
        .any(|r| matches!(r, Role::Receptionist | Role::Leader | Role::UnitAdmin))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn counts(pairs: &[(Metric, i64)]) -> Counts {
        let mut c = Counts::default();
        for (m, n) in pairs {
            c.add(*m, *n);
        }
        c
    }

    #[test]
    fn groups_total_one_hundred_and_definitions_fill_them() {
        let total: i64 = Group::ALL.iter().map(|g| g.max_x100()).sum();
        assert_eq!(total, 10_000);
        for g in Group::ALL {
            let sum: i64 = DEFINITIONS
                .iter()
                .filter(|d| d.group == g)
                .map(|d| d.max_x100)
                .sum();
            assert_eq!(sum, g.max_x100(), "{g:?}");
        }
    }

    #[test]
    fn hand_computed_example() {
        // 17 on time, 3 late → 85 % of 20 = 17,00 points.
        // 100 received: 40 online (30 full, 10 partial), 60 direct of which 20 digitized.
        // Digitized 60/100 of 8 = 4,80; full online 30/100 of 8 = 2,40; online 40/100 of 8 = 3,20.
        // Feedback 4: 3 on time, 1 late → 5.1: 3/4 × 6 = 4,50; 5.2: 3/4 × 6 = 4,50.
        // Ratings 10, 1 unsatisfied → 90 % = target → 6,00.
        let c = counts(&[
            (Metric::FinishedOnTime, 17),
            (Metric::FinishedLate, 3),
            (Metric::ReceivedOnlineFull, 30),
            (Metric::ReceivedOnlinePartial, 10),
            (Metric::ReceivedDirect, 60),
            (Metric::Digitized, 60),
            (Metric::Feedback, 4),
            (Metric::FeedbackOnTime, 3),
            (Metric::FeedbackLate, 1),
            (Metric::Rated, 10),
            (Metric::RatedUnsatisfied, 1),
        ]);
        let s = score(&c);
        let p = |code: &str| {
            s.indicators
                .iter()
                .find(|i| i.code == code)
                .map(|i| i.points_x100)
        };
        assert_eq!(p("2.1"), Some(1700));
        assert_eq!(p("3.1"), Some(480));
        assert_eq!(p("4.1"), Some(240));
        assert_eq!(p("4.2"), Some(320));
        assert_eq!(p("5.1"), Some(450));
        assert_eq!(p("5.2"), Some(450));
        assert_eq!(p("5.3"), Some(600));
        // No data: 1.x, 3.2, 3.3, 4.3 → 0.
        assert_eq!(p("1.2"), Some(0));
        assert_eq!(s.groups_x100, [0, 1700, 480, 560, 1500]);
        assert_eq!(s.total_x100, 1700 + 480 + 560 + 1500);
        assert_eq!(s.rating, Rating::Weak);
        assert_eq!(fmt_points(s.total_x100), "42,40");
    }

    #[test]
    fn threshold_edges_and_empty_period() {
        let t = Scoring::Target { percent: 90 };
        assert_eq!(points(600, t, 9, 10), 600); // exactly at the target
        assert_eq!(points(600, t, 89, 100), 534); // just under: 0,89 × 6
        assert_eq!(points(2000, Scoring::Proportional, 1, 1), 2000); // 100 %
        assert_eq!(points(2000, Scoring::Proportional, 0, 5), 0);
        assert_eq!(points(2000, Scoring::Proportional, 1, 3), 667); // 6,666… rounds up
        let s = score(&Counts::default());
        let i = &s.indicators[4];
        assert_eq!(i.code, "2.1");
        assert_eq!(i.value, Value::NothingToCount);
        assert_eq!(i.points_x100, 0);
        assert_eq!(s.indicators[0].value, Value::NoData);
        assert_eq!(s.indicators[0].points_x100, 0);
        // No feedback in the period: full points for 5.1 and 5.2; no rating: none for 5.3.
        assert_eq!(s.groups_x100, [0, 0, 0, 0, 1200]);
    }

    #[test]
    fn ties_share_a_rank() {
        let r = rank(&[5000, 7000, 5000, 9000, 7000]);
        let ranks: Vec<(usize, usize)> = r;
        assert_eq!(ranks, vec![(1, 3), (2, 1), (2, 4), (4, 0), (4, 2)]);
        assert!(rank(&[]).is_empty());
    }

    #[test]
    fn periods() {
        let p = Period::parse("2026-03").expect("month");
        assert_eq!(
            (p.from, p.to),
            (date!(2026 - 03 - 01), date!(2026 - 03 - 31))
        );
        assert_eq!(p.key(), "2026-03");
        let q = Period::parse("2026-Q1").expect("quarter");
        assert_eq!(
            (q.from, q.to),
            (date!(2026 - 01 - 01), date!(2026 - 03 - 31))
        );
        assert_eq!(q.key(), "2026-Q1");
        let y = Period::parse("2024").expect("year");
        assert_eq!(y.to, date!(2024 - 12 - 31));
        assert_eq!(y.key(), "2024");
        assert_eq!(y.months().len(), 12);
        assert_eq!(
            Period::parse("2024-02").expect("feb").to,
            date!(2024 - 02 - 29)
        );
        let r = Period::parse("2026-01-15..2026-02-10").expect("range");
        assert_eq!(r.key(), "2026-01-15..2026-02-10");
        assert_eq!(r.months().len(), 2);
        assert_eq!(Period::parse(&r.key()).expect("again"), r);
        for bad in [
            "",
            "26",
            "2026-13",
            "2026-Q5",
            "2026-02-10..2026-01-01",
            "abc",
            "2026-3",
        ] {
            assert_eq!(
                Period::parse(bad).expect_err(bad).code,
                "bad_period",
                "{bad}"
            );
        }
    }

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
            version: 1,
        }
    }

    #[test]
    fn contributions_follow_local_days_and_lateness() {
        let f = Facts {
            online: false,
            full_online: false,
            digitized: true,
        };
        let received = proj(Status::Received);
        // 23:30 on 31 March in Vietnam is 16:30 UTC: it counts in March.
        let c = contribution(&received, f);
        assert_eq!(
            c[0],
            Delta {
                day: date!(2026 - 03 - 31),
                metric: Metric::ReceivedDirect,
                delta: 1
            }
        );
        assert_eq!(c[1].metric, Metric::Digitized);
        let mut done = proj(Status::ResultReady);
        done.finished_at = Some(datetime!(2026-04-03 17:00 +7)); // exactly at due: on time
        let d = deltas(Some(&received), &done, f);
        assert_eq!(
            d,
            vec![Delta {
                day: date!(2026 - 04 - 03),
                metric: Metric::FinishedOnTime,
                delta: 1
            }]
        );
        // An apology after the result moves it from on time to late.
        let mut sorry = done.clone();
        sorry.apologized = true;
        let d = deltas(Some(&done), &sorry, f);
        assert_eq!(d.len(), 2);
        assert!(d.contains(&Delta {
            day: date!(2026 - 04 - 03),
            metric: Metric::FinishedLate,
            delta: 1
        }));
        assert!(d.contains(&Delta {
            day: date!(2026 - 04 - 03),
            metric: Metric::FinishedOnTime,
            delta: -1
        }));
        // Paused dossiers and withdrawals are not settled.
        let mut paused = proj(Status::AwaitingSupplement);
        paused.pause_remaining = Some(0);
        assert_eq!(contribution(&paused, f).len(), 2);
        let mut gone = proj(Status::Withdrawn);
        gone.finished_at = Some(datetime!(2026-04-01 09:00 +7));
        assert_eq!(contribution(&gone, f).len(), 2);
    }

    proptest::proptest! {
        #[test]
        fn points_never_exceed_max(num in 0i64..10_000, den in 0i64..10_000, max in 0i64..3000) {
            for s in [Scoring::Proportional, Scoring::Target { percent: 90 }] {
                let p = points(max, s, num, den);
                proptest::prop_assert!((0..=max).contains(&p));
            }
        }

        #[test]
        fn total_is_sum_of_groups_and_at_most_100(v in proptest::collection::vec(0i64..500, 11)) {
            let mut c = Counts::default();
            for (m, n) in Metric::ALL.iter().zip(&v) {
                c.add(*m, *n);
            }
            let s = score(&c);
            proptest::prop_assert_eq!(s.total_x100, s.groups_x100.iter().sum::<i64>());
            proptest::prop_assert!(s.total_x100 <= 10_000);
            for (g, pts) in Group::ALL.iter().zip(s.groups_x100) {
                proptest::prop_assert!(pts <= g.max_x100());
            }
        }
    }
}
