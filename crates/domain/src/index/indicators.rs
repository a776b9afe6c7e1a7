//! The indicators, their points and thresholds, and the arithmetic that
//! turns a numerator and a denominator into points, exactly as the national
//! portal computes them (SERVICE-INDEX.md: the portal's own description of
//! its formula, checked against its published scores). The scoring knows
//! nothing of where the counts come from: motcua's own data
//! ([`super::measure`]) and a province's file of the portal's figures
//! ([`super::file`]) go through the same [`score`].

use serde::Serialize;
use std::collections::BTreeMap;

/// The groups as the portal shows them: group 3 is two cards (online
/// services, 12 points; online payment, 10 points).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    Transparency,
    Progress,
    OnlineService,
    OnlinePayment,
    Digitization,
    Satisfaction,
}

impl Group {
    pub const ALL: [Group; 6] = [
        Group::Transparency,
        Group::Progress,
        Group::OnlineService,
        Group::OnlinePayment,
        Group::Digitization,
        Group::Satisfaction,
    ];
    pub fn label_vi(self) -> &'static str {
        match self {
            Group::Transparency => "Công khai, minh bạch",
            Group::Progress => "Tiến độ, kết quả giải quyết",
            Group::OnlineService => "Dịch vụ trực tuyến",
            Group::OnlinePayment => "Thanh toán trực tuyến",
            Group::Digitization => "Số hóa hồ sơ",
            Group::Satisfaction => "Mức độ hài lòng",
        }
    }
    /// Maximum points, in hundredths: 18, 20, 12, 10, 22, 18 (total 100).
    pub fn max_x100(self) -> i64 {
        match self {
            Group::Transparency => 1800,
            Group::Progress => 2000,
            Group::OnlineService => 1200,
            Group::OnlinePayment => 1000,
            Group::Digitization => 2200,
            Group::Satisfaction => 1800,
        }
    }
    /// The group's number in the portal (both cards of group 3 are "3").
    pub fn number(self) -> usize {
        match self {
            Group::Transparency => 1,
            Group::Progress => 2,
            Group::OnlineService | Group::OnlinePayment => 3,
            Group::Digitization => 4,
            Group::Satisfaction => 5,
        }
    }
}

/// How points follow from a ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scoring {
    /// points = maximum × ratio.
    Proportional,
    /// "Full at ≥ T": points = min(maximum, maximum × ratio / T).
    Target { percent: i64 },
    /// points = min(maximum, `x100`/100 × ratio) (3.5b: 2.5 × ratio).
    Scaled { x100: i64 },
}

/// Points of an indicator whose denominator is zero in the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WhenEmpty {
    /// No feedback at all: nothing was handled late (5.2, 5.3).
    Full,
    /// Nothing earned (2.1, 5.4, the payment ratios, the others).
    Zero,
}

/// The static definition of an indicator.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Definition {
    /// The portal's code ("2.1", "3.5a", …).
    pub code: &'static str,
    pub group: Group,
    pub name_vi: &'static str,
    /// Points in hundredths (0: shown, not scored).
    pub max_x100: i64,
    /// The portal's formula in plain words, for the screen.
    pub formula_vi: &'static str,
    /// What is not confirmed by the portal's published scores, or where
    /// motcua's data stands in for the portal's; "Giả định: …" on screen.
    pub assumption: Option<&'static str>,
    pub scoring: Scoring,
    pub when_empty: WhenEmpty,
}

/// Where the formulas come from, cited on every index screen.
pub const PORTAL_FORMULA: &str = "Công thức tính Bộ chỉ số phục vụ người dân, doanh nghiệp của Cổng \
    Dịch vụ công quốc gia (Quyết định 766/QĐ-TTg ngày 23/6/2022), đối chiếu với điểm Cổng đã công bố";

const CARD_3: &str = "Giả định: công thức thẻ dịch vụ trực tuyến (3.1–3.3) chưa được đối chiếu với điểm Cổng đã công bố.";

macro_rules! def {
    ($code:literal, $group:ident, $max:literal, $name:literal, $formula:literal, $scoring:expr, $empty:ident, $assumption:expr) => {
        Definition {
            code: $code,
            group: Group::$group,
            name_vi: $name,
            max_x100: $max,
            formula_vi: $formula,
            assumption: $assumption,
            scoring: $scoring,
            when_empty: WhenEmpty::$empty,
        }
    };
}

use Scoring::{Proportional, Scaled, Target};

/// Every indicator, in the portal's order (SERVICE-INDEX.md).
pub const DEFINITIONS: &[Definition] = &[
    def!(
        "1.1",
        Transparency,
        600,
        "TTHC công bố đúng hạn",
        "TTHC công bố đúng hạn / tổng TTHC công bố",
        Proportional,
        Zero,
        None
    ),
    def!(
        "1.2",
        Transparency,
        400,
        "TTHC cập nhật, công khai đúng hạn",
        "TTHC cập nhật, công khai trong 5 ngày làm việc sau quyết định công bố / tổng TTHC",
        Proportional,
        Zero,
        None
    ),
    def!(
        "1.3",
        Transparency,
        200,
        "TTHC công khai đầy đủ nội dung",
        "TTHC công khai đủ 7 bộ phận (tên, trình tự, cách thức, thành phần hồ sơ, thời hạn, đối tượng, cơ quan) / tổng TTHC",
        Proportional,
        Zero,
        None
    ),
    def!(
        "1.4",
        Transparency,
        600,
        "Hồ sơ đồng bộ lên Cổng Dịch vụ công quốc gia",
        "Hồ sơ đồng bộ có ngày tiếp nhận trong kỳ / hồ sơ phải đồng bộ",
        Proportional,
        Zero,
        None
    ),
    def!(
        "2.1",
        Progress,
        2000,
        "Hồ sơ xử lý trước hạn, đúng hạn",
        "20 × hồ sơ xử lý trước hạn, đúng hạn / hồ sơ tiếp nhận hoặc đang xử lý trong kỳ (kể cả hồ sơ chưa xong: lấy cuối kỳ làm thời điểm kết thúc); trừ thời gian chờ bổ sung; bổ sung quá một lần là trễ hạn",
        Proportional,
        Zero,
        None
    ),
    def!(
        "3.1",
        OnlineService,
        200,
        "TTHC có dịch vụ công trực tuyến",
        "TTHC có dịch vụ công trực tuyến (một phần hoặc toàn trình) / tổng TTHC của cấp; đủ điểm khi đạt 80%",
        Target { percent: 80 },
        Zero,
        Some(CARD_3)
    ),
    def!(
        "3.2",
        OnlineService,
        400,
        "Dịch vụ công trực tuyến có phát sinh hồ sơ",
        "Dịch vụ công trực tuyến có hồ sơ nộp trực tuyến trong kỳ / tổng dịch vụ công trực tuyến",
        Proportional,
        Zero,
        Some(CARD_3)
    ),
    def!(
        "3.3",
        OnlineService,
        600,
        "Hồ sơ nộp trực tuyến",
        "Hồ sơ nộp trực tuyến / tổng hồ sơ tiếp nhận; hồ sơ của TTHC có kết quả bản giấy chỉ được tính khi có kết quả điện tử; đủ điểm khi đạt 50%",
        Target { percent: 50 },
        Zero,
        Some(CARD_3)
    ),
    def!(
        "3.5a",
        OnlinePayment,
        200,
        "TTHC có phí có hồ sơ thanh toán trực tuyến",
        "TTHC có phí có hồ sơ thanh toán trực tuyến / TTHC có phí; đủ điểm khi đạt 80%",
        Target { percent: 80 },
        Zero,
        None
    ),
    def!(
        "3.5b",
        OnlinePayment,
        200,
        "TTHC có phí có phát sinh hồ sơ",
        "2,5 × TTHC có phí có phát sinh hồ sơ / TTHC có phí",
        Scaled { x100: 250 },
        Zero,
        Some(
            "Giả định: điểm 3.5b không vượt quá 2 (mức trần chưa được đối chiếu với điểm Cổng đã công bố)."
        )
    ),
    def!(
        "3.6",
        OnlinePayment,
        600,
        "Hồ sơ thanh toán trực tuyến thành công",
        "Hồ sơ thanh toán trực tuyến thành công / hồ sơ có nghĩa vụ tài chính",
        Proportional,
        Zero,
        Some(
            "Giả định: hồ sơ có nghĩa vụ tài chính là hồ sơ của thủ tục có thu phí, lệ phí mà người nộp không kê khai được miễn; 3.5a, 3.5b và 3.6 tính từ ngày đơn vị bắt đầu nhận thanh toán trực tuyến."
        )
    ),
    def!(
        "4.1",
        Digitization,
        600,
        "Kết quả giải quyết điện tử",
        "Hồ sơ có tệp kết quả điện tử / hồ sơ của TTHC có kết quả bản giấy",
        Proportional,
        Zero,
        None
    ),
    def!(
        "4.2",
        Digitization,
        400,
        "Hồ sơ số hóa",
        "Hồ sơ có tệp điện tử của thành phần hồ sơ và kết quả điện tử / tổng hồ sơ; đủ điểm khi đạt 80%",
        Target { percent: 80 },
        Zero,
        Some("Giả định: tính cho đơn vị tiếp nhận, theo hồ sơ tiếp nhận trong kỳ.")
    ),
    def!(
        "4.2b",
        Digitization,
        200,
        "Chứng thực bản sao điện tử từ bản chính",
        "Bản sao điện tử được chứng thực từ bản chính / yêu cầu chứng thực",
        Proportional,
        Zero,
        None
    ),
    def!(
        "4.3",
        Digitization,
        200,
        "Khai thác, sử dụng lại dữ liệu số hóa",
        "Hồ sơ sử dụng lại ít nhất một thành phần đã số hóa / tổng hồ sơ; đủ điểm khi đạt 80%",
        Target { percent: 80 },
        Zero,
        None
    ),
    def!(
        "4.4",
        Digitization,
        400,
        "Kết nối kho dữ liệu cá nhân",
        "Hồ sơ lấy thành phần từ kho dữ liệu của người dân hoặc đẩy kết quả vào kho / tổng hồ sơ",
        Proportional,
        Zero,
        None
    ),
    def!(
        "4.5a",
        Digitization,
        200,
        "TTHC có hồ sơ xác thực VNeID, dùng CSDL dân cư",
        "TTHC có hồ sơ xác thực bằng VNeID hoặc dùng Cơ sở dữ liệu quốc gia về dân cư / tổng TTHC",
        Proportional,
        Zero,
        None
    ),
    def!(
        "4.5b",
        Digitization,
        200,
        "Hồ sơ xác thực VNeID, dùng CSDL dân cư",
        "Hồ sơ xác thực bằng VNeID hoặc dùng Cơ sở dữ liệu quốc gia về dân cư / tổng hồ sơ",
        Proportional,
        Zero,
        None
    ),
    def!(
        "5.1",
        Satisfaction,
        0,
        "Phân loại phản ánh, kiến nghị",
        "Theo dõi, không tính điểm",
        Proportional,
        Zero,
        None
    ),
    def!(
        "5.2",
        Satisfaction,
        600,
        "Phản ánh, kiến nghị xử lý đúng hạn",
        "PAKN xử lý đúng hạn / tổng PAKN (trả lời ≤ 15 ngày làm việc; từ chối ≤ 2; đề nghị bổ sung ≤ 5; công khai ≤ 2); đủ 6 điểm khi không có PAKN",
        Proportional,
        Full,
        Some(
            "Giả định: motcua ghi nhận việc trả lời PAKN, chưa ghi nhận từ chối, đề nghị bổ sung và công khai; PAKN chưa trả lời được tính là chưa đúng hạn."
        )
    ),
    def!(
        "5.3",
        Satisfaction,
        600,
        "Hài lòng trong xử lý phản ánh, kiến nghị",
        "(Tổng PAKN − PAKN không hài lòng, lặp lại hoặc trễ hạn) / tổng PAKN; đủ 6 điểm khi không có PAKN",
        Proportional,
        Full,
        Some(
            "Giả định: motcua chưa ghi nhận PAKN không hài lòng hoặc lặp lại; chỉ trừ PAKN trả lời trễ hạn và PAKN đến cuối kỳ đã quá hạn mà chưa trả lời."
        )
    ),
    def!(
        "5.4",
        Satisfaction,
        600,
        "Hài lòng trong tiếp nhận, giải quyết TTHC",
        "100% − (tỷ lệ hồ sơ trễ hạn + tỷ lệ hồ sơ có PAKN hoặc đánh giá không hài lòng); đủ điểm khi đạt 90%; 0 điểm khi không có hồ sơ",
        Target { percent: 90 },
        Zero,
        Some(
            "Giả định: PAKN của đơn vị trong kỳ được tính như hồ sơ có PAKN (PAKN chưa gắn với hồ sơ)."
        )
    ),
];

/// The definition of `code`, if it is one of the portal's.
pub fn definition(code: &str) -> Option<&'static Definition> {
    DEFINITIONS.iter().find(|d| d.code == code)
}

/// What is known of one indicator for one unit and period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Value {
    /// No data from which to compute it ("không có dữ liệu").
    NoData,
    Ratio {
        numerator: i64,
        denominator: i64,
    },
}

/// Numerators and denominators by indicator code; a code not present has no data.
pub type Values = BTreeMap<&'static str, Value>;

#[derive(Debug, Clone, Serialize)]
pub struct IndicatorScore {
    pub code: &'static str,
    pub group: Group,
    pub name_vi: &'static str,
    pub max_x100: i64,
    pub formula_vi: &'static str,
    pub assumption: Option<&'static str>,
    pub value: Value,
    pub points_x100: i64,
}

impl IndicatorScore {
    /// Ratio in hundredths of a percent (9523 = 95.23 %), when there is one.
    pub fn rate_x100(&self) -> Option<i64> {
        match self.value {
            Value::Ratio {
                numerator,
                denominator,
            } if denominator > 0 => Some(round_div(numerator * 10_000, denominator)),
            _ => None,
        }
    }
    /// Nothing to count in the period (a zero denominator).
    pub fn nothing_to_count(&self) -> bool {
        matches!(self.value, Value::Ratio { denominator: 0, .. })
    }
}

/// Round half up of a non-negative quotient: integers only, exact and the
/// same everywhere (the portal publishes points with two decimals).
fn round_div(n: i64, d: i64) -> i64 {
    if d <= 0 {
        return 0;
    }
    (2 * n + d) / (2 * d)
}

/// Points, in hundredths, of `num`/`den` for an indicator.
pub fn points(d: &Definition, num: i64, den: i64) -> i64 {
    if den <= 0 {
        return match d.when_empty {
            WhenEmpty::Full => d.max_x100,
            WhenEmpty::Zero => 0,
        };
    }
    let num = num.clamp(0, den);
    let max = d.max_x100;
    match d.scoring {
        Proportional => round_div(max * num, den),
        Target { percent } => round_div(max * num * 100, den * percent).min(max),
        Scaled { x100 } => round_div(x100 * num, den).min(max),
    }
}

/// A unit's (or a province's) index over a period: no rating level, which
/// no source names (a province may set its own scale).
#[derive(Debug, Clone, Serialize)]
pub struct Scorecard {
    pub indicators: Vec<IndicatorScore>,
    /// Points per group in hundredths, in [`Group::ALL`] order.
    pub groups_x100: [i64; 6],
    pub total_x100: i64,
}

/// Score every indicator from its values: the arithmetic of the ranking.
pub fn score(values: &Values) -> Scorecard {
    let indicators: Vec<IndicatorScore> = DEFINITIONS
        .iter()
        .map(|d| {
            let value = values.get(d.code).copied().unwrap_or(Value::NoData);
            let points_x100 = match value {
                Value::NoData => 0,
                Value::Ratio {
                    numerator,
                    denominator,
                } => points(d, numerator, denominator),
            };
            IndicatorScore {
                code: d.code,
                group: d.group,
                name_vi: d.name_vi,
                max_x100: d.max_x100,
                formula_vi: d.formula_vi,
                assumption: d.assumption,
                value,
                points_x100,
            }
        })
        .collect();
    let mut groups_x100 = [0i64; 6];
    for i in &indicators {
        if let Some(g) = Group::ALL.iter().position(|g| *g == i.group) {
            groups_x100[g] += i.points_x100;
        }
    }
    Scorecard {
        total_x100: groups_x100.iter().sum(),
        indicators,
        groups_x100,
    }
}

/// An indicator without data scores 0 and is never estimated.
pub const MISSING_DATA_NOTE: &str = "Chỉ số không có dữ liệu được tính 0 điểm, không ước lượng.";

/// Which formula the figures of a period use, whenever the period was.
pub const FORMULA_NOTE: &str = "Mọi kỳ, kể cả các kỳ trước khi nâng cấp lên phiên bản này, đều tính theo công thức của Cổng Dịch vụ công quốc gia: bộ đếm được tính lại từ lịch sử hồ sơ khi nâng cấp. Điểm của các kỳ đó có thể khác với điểm phiên bản trước đã hiển thị (công thức cũ chỉ tính hồ sơ đã giải quyết cho chỉ số 2.1).";

/// Why no rating level is shown.
pub const NO_RATING_NOTE: &str = "Không xếp loại: chưa có văn bản nào nêu tên và khung điểm của các mức xếp loại; trang hiển thị tổng điểm và thứ hạng.";

/// The empty-denominator rules of the portal (SERVICE-INDEX.md).
pub const NOTHING_TO_COUNT_NOTE: &str = "Chỉ số không phát sinh trong kỳ (mẫu số bằng 0): 2.1 và 5.4 được 0 điểm; 5.2 và 5.3 đủ 6 điểm (không có phản ánh nào); các tỷ lệ thanh toán trực tuyến được tính là 0.";

#[cfg(test)]
mod tests {
    use super::*;

    fn ratio(n: i64, d: i64) -> Value {
        Value::Ratio {
            numerator: n,
            denominator: d,
        }
    }

    fn pts(code: &str, n: i64, d: i64) -> i64 {
        points(definition(code).expect("code"), n, d)
    }

    #[test]
    fn groups_and_indicators_add_up_to_one_hundred() {
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
    fn the_published_score_of_a_unit_is_reproduced() {
        // 2,348 on time of 2,971: published as 15.81 points.
        assert_eq!(pts("2.1", 2348, 2971), 1581);
    }

    #[test]
    fn thresholds_caps_and_empty_denominators() {
        // Full at ≥ 50 %: 3.3 with 40 % scores 6 × 40/50 = 4.80; 50 % and above, 6.
        assert_eq!(pts("3.3", 40, 100), 480);
        assert_eq!(pts("3.3", 50, 100), 600);
        assert_eq!(pts("3.3", 99, 100), 600);
        // Full at ≥ 90 %: 5.4 with 81 % scores 6 × 81/90 = 5.40.
        assert_eq!(pts("5.4", 81, 100), 540);
        assert_eq!(pts("5.4", 9, 10), 600);
        // 4.2 at 60 %: 4 × 60/80 = 3.00.
        assert_eq!(pts("4.2", 60, 100), 300);
        // 3.5b: 2.5 × ratio, at most 2: 60 % gives 1.50, 90 % gives 2.
        assert_eq!(pts("3.5b", 6, 10), 150);
        assert_eq!(pts("3.5b", 9, 10), 200);
        // 1 of 3 on time: 6.666… rounds to 6.67.
        assert_eq!(pts("2.1", 1, 3), 667);
        // Empty denominators.
        assert_eq!(pts("2.1", 0, 0), 0);
        assert_eq!(pts("5.4", 0, 0), 0);
        assert_eq!(pts("5.2", 0, 0), 600);
        assert_eq!(pts("5.3", 0, 0), 600);
        for code in ["3.5a", "3.5b", "3.6"] {
            assert_eq!(pts(code, 0, 0), 0, "{code}");
        }
        // 5.1 is tracked, never scored.
        assert_eq!(pts("5.1", 5, 5), 0);
    }

    #[test]
    fn a_card_sums_its_indicators_and_no_data_scores_nothing() {
        let mut v = Values::new();
        v.insert("2.1", ratio(17, 20)); // 17.00
        v.insert("3.3", ratio(30, 100)); // 6 × 30/50 = 3.60
        v.insert("5.2", ratio(0, 0)); // 6.00
        v.insert("5.3", ratio(3, 4)); // 4.50
        let s = score(&v);
        assert_eq!(s.groups_x100, [0, 1700, 360, 0, 0, 1050]);
        assert_eq!(s.total_x100, 1700 + 360 + 1050);
        let i = s.indicators.iter().find(|i| i.code == "1.4").expect("1.4");
        assert_eq!((i.value, i.points_x100), (Value::NoData, 0));
    }

    proptest::proptest! {
        #[test]
        fn points_stay_within_each_maximum(num in 0i64..10_000, den in 0i64..10_000) {
            for d in DEFINITIONS {
                let p = points(d, num, den);
                proptest::prop_assert!((0..=d.max_x100).contains(&p), "{} {p}", d.code);
            }
        }
    }
}
