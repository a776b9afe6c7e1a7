//! The service index of Decision 766/QĐ-TTg (23 June 2022): the "Bộ chỉ số
//! chỉ đạo, điều hành và đánh giá chất lượng phục vụ người dân, doanh nghiệp
//! trong thực hiện thủ tục hành chính, dịch vụ công theo thời gian thực trên
//! môi trường điện tử", 100 points, computed as the national portal computes
//! it (SERVICE-INDEX.md).
//!
//! - `counts`: the counters kept per unit and local day, moved in the
//!   transaction of each event, rating and feedback;
//! - `period`: months, quarters, years and ranges of local days;
//! - `period_form`: a period as the pages' controls choose it;
//! - `late`: how many working days a dossier is past its due instant;
//! - `measure`: how motcua's counters and catalog fill each indicator;
//! - `indicators`: the indicators, points, thresholds and the arithmetic;
//! - `file`: a province's figures from the portal, scored the same way.
//!
//! No rating level is named: no source gives one (a province may configure
//! its own scale). Every choice the portal's description does not fix is
//! marked "Giả định:" here and on the screen.

use crate::lifecycle::Role;
use crate::{Problem, ProblemKind};

mod counts;
pub mod file;
mod indicators;
mod late;
mod measure;
mod period;
mod period_form;

pub use counts::*;
pub use indicators::*;
pub use late::*;
pub use measure::*;
pub use period::*;
pub use period_form::*;

/// Where the formulas come from, cited next to every indicator.
pub const DECISION: &str = "Quyết định 766/QĐ-TTg ngày 23/6/2022";

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
/// The portal counts an answer within 15 working days as on time (SERVICE-INDEX.md, 5.2).
pub const FEEDBACK_WORKING_DAYS: u32 = 15;

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

    #[test]
    fn ties_share_a_rank() {
        let r = rank(&[5000, 7000, 5000, 9000, 7000]);
        let ranks: Vec<(usize, usize)> = r;
        assert_eq!(ranks, vec![(1, 3), (2, 1), (2, 4), (4, 0), (4, 2)]);
        assert!(rank(&[]).is_empty());
    }
}
