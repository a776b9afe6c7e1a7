//! One unit's index page: its groups, indicators and trend.

use super::*;

// ---- one unit ----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "index_unit.html")]
pub(super) struct UnitPage {
    c: Ctx,
    unit: String,
    unit_name: String,
    period_key: String,
    period_label: String,
    periods: Vec<(String, String, bool)>,
    pc: PeriodControls,
    total: String,
    rank: Option<(usize, usize)>,
    tables: Vec<Table>,
    chart: String,
    progress: Progress,
    notes: Vec<Note>,
    export_base: String,
    form_action: String,
}

pub(super) fn indicator_table(unit: &str, period: &Period, card: &idx::Scorecard) -> Table {
    let headers = [
        "Mã",
        "Chỉ số",
        "Nhóm",
        "Tử số",
        "Mẫu số",
        "Tỷ lệ",
        "Điểm",
        "Điểm tối đa",
        "Công thức của Cổng DVCQG",
        "Ghi chú",
    ];
    Table {
        id: "chi-so",
        title: format!("Các chỉ số, {}", period.label_vi()),
        headers: headers.iter().map(|h| h.to_string()).collect(),
        rows: card
            .indicators
            .iter()
            .map(|i| {
                let (num, den, state) = match i.value {
                    Value::NoData => (cell(""), cell(""), "Không có dữ liệu"),
                    Value::Ratio { denominator: 0, .. } => (count(0), count(0), "Không phát sinh"),
                    Value::Ratio {
                        numerator,
                        denominator,
                    } => (count(numerator), count(denominator), ""),
                };
                let note = [state, i.assumption.unwrap_or("")]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" ");
                let drills = Drill::for_indicator(i.code);
                let name = match drills.first() {
                    Some(d) => link(
                        i.name_vi,
                        format!(
                            "/giam-sat/chi-so/{unit}/ho-so?ky={}&loai={}",
                            url_encode(&period.key()),
                            d.as_str()
                        ),
                    ),
                    None => cell(i.name_vi),
                };
                vec![
                    cell(i.code),
                    name,
                    cell(i.group.label_vi()),
                    num,
                    den,
                    i.rate_x100().map_or_else(|| cell(""), rate),
                    points(i.points_x100),
                    points(i.max_x100),
                    cell(i.formula_vi),
                    cell(note),
                ]
            })
            .collect(),
        ..Default::default()
    }
}

pub(super) fn groups_table(card: &idx::Scorecard) -> Table {
    let mut rows: Vec<Vec<Cell>> = Group::ALL
        .iter()
        .zip(card.groups_x100)
        .map(|(g, p)| {
            vec![
                cell(format!("{}. {}", g.number(), g.label_vi())),
                points(p),
                points(g.max_x100()),
            ]
        })
        .collect();
    rows.push(vec![cell("Tổng"), points(card.total_x100), points(10_000)]);
    Table {
        id: "nhom",
        title: "Điểm theo nhóm".into(),
        headers: vec!["Nhóm chỉ số".into(), "Điểm".into(), "Điểm tối đa".into()],
        rows,
        ..Default::default()
    }
}

pub(super) fn officer_table(rows: &[motcua_store::index::OfficerStats]) -> Table {
    Table {
        id: "can-bo",
        title: "Công việc của từng cán bộ".into(),
        headers: [
            "Cán bộ",
            "Số bước đã xử lý",
            "Hồ sơ tiếp nhận",
            "Hồ sơ quyết định (duyệt, từ chối)",
            "Trong đó đúng hạn",
            "Thời gian trung bình mỗi bước (phút)",
        ]
        .iter()
        .map(|h| h.to_string())
        .collect(),
        rows: rows
            .iter()
            .map(|o| {
                vec![
                    cell(o.username.clone()),
                    count(o.actions),
                    count(o.received),
                    count(o.settled),
                    count(o.settled_on_time),
                    count(o.avg_step_minutes),
                ]
            })
            .collect(),
        ..Default::default()
    }
}

pub(super) async fn unit_page(
    c: Ctx,
    State(s): State<AppState>,
    Path(unit): Path<String>,
    Query(q): Query<IndexQuery>,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let lang = c.lang;
    if !user.sees_unit(&unit) {
        return Err(forbidden(lang));
    }
    let period = match period_of(&q, s.now()) {
        Ok(p) => p,
        Err(p) => return period_error(c, &s, format!("/giam-sat/chi-so/{unit}"), &q, p),
    };
    let u = s.store.unit(&unit).await?.ok_or_else(|| {
        PageError::new(
            lang,
            Problem::not_found("unit_not_found", "Không tìm thấy đơn vị").into(),
        )
    })?;
    let tallies = s
        .store
        .index_tallies(None, Some(&unit), period)
        .await?
        .remove(&unit)
        .unwrap_or_default();
    let card = idx::score(&idx::values(&tallies));
    // The unit's place in its province (the same ranking as the province page).
    let ranked = ranking(&s.store, &u.province_code, period).await?;
    let rank = ranked
        .iter()
        .find(|r| r.unit.code == unit)
        .map(|r| (r.rank, ranked.len()));
    let trend_rows = monthly(&s, None, Some(&unit), 1, &period).await?;
    let day = today(&s);
    let officers = s.store.officer_stats(&unit, period).await?;
    let (mut ind, mut trend, mut work) = (
        indicator_table(&unit, &period, &card),
        trend_table(&trend_rows, "Điểm theo tháng".into(), day),
        officer_table(&officers),
    );
    let base = format!("/giam-sat/chi-so/{unit}?ky={}", url_encode(&period.key()));
    // The groups keep their order, their total last.
    sort_tables(
        &mut [&mut ind, &mut trend, &mut work],
        &base,
        q.sort.as_deref(),
    )
    .map_err(|p| PageError::new(lang, p.into()))?;
    let tables = vec![groups_table(&card), ind, trend, work];
    if let Some(f) = q.xuat.as_deref() {
        let which = q.bang.as_deref().unwrap_or("chi-so");
        let t = tables.iter().find(|t| t.id == which).ok_or_else(|| {
            PageError::new(
                lang,
                Problem::invalid("bad_table", "bang", "Không có bảng này").into(),
            )
        })?;
        return export(t, f, &format!("chi-so-{unit}-{}-{}", t.id, period.key()));
    }
    render(&UnitPage {
        form_action: format!("/giam-sat/chi-so/{unit}"),
        export_base: with_sort(base, q.sort.as_deref()),
        unit,
        unit_name: u.name,
        period_key: period.key(),
        period_label: period.label_vi(),
        periods: period_choices(&period, s.now()),
        pc: PeriodControls::showing(&period),
        total: idx::fmt_points(card.total_x100),
        rank,
        chart: chart_of(&trend_rows, "Tổng điểm theo tháng", day),
        progress: Progress::of(&period, day),
        tables,
        notes: notes(),
        c,
    })
}
