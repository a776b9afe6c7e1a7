//! The province ranking page: every unit of a province by its index, month by month.

use super::*;

// ---- province ranking ------------------------------------------------------------

#[derive(Template)]
#[template(path = "index_ranking.html")]
pub(super) struct RankingPage {
    c: Ctx,
    province: String,
    province_name: String,
    period_label: String,
    periods: Vec<(String, String, bool)>,
    pc: PeriodControls,
    tables: Vec<Table>,
    chart: String,
    progress: Progress,
    notes: Vec<Note>,
    export_base: String,
    form_action: String,
}

pub(super) fn ranking_table(rows: &[RankedUnit], period: &Period) -> Table {
    let mut headers = vec![
        "Hạng".to_string(),
        "Mã đơn vị".to_string(),
        "Đơn vị".to_string(),
    ];
    headers.extend(group_headers());
    headers.push("Tổng điểm (100)".into());
    Table {
        id: "xep-hang",
        title: format!("Xếp hạng các đơn vị, {}", period.label_vi()),
        headers,
        rows: rows
            .iter()
            .map(|r| {
                let mut row = vec![
                    count(r.rank as i64),
                    cell(r.unit.code.clone()),
                    link(
                        r.unit.name.clone(),
                        format!(
                            "/giam-sat/chi-so/{}?ky={}",
                            r.unit.code,
                            url_encode(&period.key())
                        ),
                    ),
                ];
                row.extend(r.card.groups_x100.iter().map(|g| points(*g)));
                row.push(points(r.card.total_x100));
                row
            })
            .collect(),
        ..Default::default()
    }
}

/// Monthly scores of a set of units: the average total per month.
pub(super) async fn monthly(
    s: &AppState,
    province: Option<&str>,
    unit: Option<&str>,
    units: usize,
    period: &Period,
) -> Result<Vec<(Period, [i64; 6], i64)>, PageError> {
    let mut out = Vec::new();
    for m in period.months_until(today(s)) {
        let tallies = s.store.index_tallies(province, unit, m).await?;
        let n = units.max(1) as i64;
        let mut groups = [0i64; 6];
        let mut total = 0;
        // Units without any count still score (see NOTHING_TO_COUNT_NOTE).
        let empty = idx::Tallies::default();
        let mut seen = 0;
        for t in tallies.values().take(units.max(1)) {
            let card = idx::score(&idx::values(t));
            for (g, v) in groups.iter_mut().zip(card.groups_x100) {
                *g += v;
            }
            total += card.total_x100;
            seen += 1;
        }
        let blank = idx::score(&idx::values(&empty));
        for _ in seen..units.max(1) {
            for (g, v) in groups.iter_mut().zip(blank.groups_x100) {
                *g += v;
            }
            total += blank.total_x100;
        }
        out.push((
            m,
            groups.map(|g| (2 * g + n) / (2 * n)),
            (2 * total + n) / (2 * n),
        ));
    }
    Ok(out)
}

pub(super) fn trend_table(rows: &[(Period, [i64; 6], i64)], title: String, today: Date) -> Table {
    let mut headers = vec!["Kỳ".to_string()];
    headers.extend(group_headers());
    headers.push("Tổng điểm (100)".into());
    Table {
        id: "xu-huong",
        title,
        headers,
        rows: rows
            .iter()
            .map(|(p, g, t)| {
                let label = match p.progress_note_vi(today) {
                    Some(note) => format!("{} {note}", p.label_vi()),
                    None => p.label_vi(),
                };
                let mut row = vec![cell(label)];
                row.extend(g.iter().map(|v| points(*v)));
                row.push(points(*t));
                row
            })
            .collect(),
        ..Default::default()
    }
}

/// The month in progress gets a star, explained under the chart.
pub(super) fn chart_of(rows: &[(Period, [i64; 6], i64)], title: &str, today: Date) -> String {
    let bars: Vec<(String, i64)> = rows
        .iter()
        .map(|(p, _, t)| {
            let star = if p.in_progress(today) { "*" } else { "" };
            (
                format!("{}/{}{star}", u8::from(p.from.month()), p.from.year() % 100),
                *t,
            )
        })
        .collect();
    bar_chart(title, &bars)
}

pub(super) async fn ranking_page(
    c: Ctx,
    State(s): State<AppState>,
    Query(q): Query<IndexQuery>,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let lang = c.lang;
    let period = match period_of(&q, s.now()) {
        Ok(p) => p,
        Err(p) => return period_error(c, &s, "/giam-sat/chi-so".into(), &q, p),
    };
    if !idx::may_rank_province(&user.roles) {
        // Unit staff see their own unit's index.
        return match user.units.first() {
            Some(u) => Ok(Redirect::to(&format!(
                "/giam-sat/chi-so/{u}?ky={}",
                url_encode(&period.key())
            ))
            .into_response()),
            None => Err(forbidden(lang)),
        };
    }
    let province = province_for(&s, &user, q.tinh.as_deref())
        .await?
        .ok_or_else(|| forbidden(lang))?;
    let province_name = s
        .store
        .provinces()
        .await?
        .into_iter()
        .find(|p| p.code == province)
        .map(|p| p.name)
        .ok_or_else(|| {
            PageError::new(
                lang,
                Problem::not_found("province_not_found", "Không tìm thấy tỉnh").into(),
            )
        })?;
    let rows = ranking(&s.store, &province, period).await?;
    let mut main = ranking_table(&rows, &period);
    let trend_rows = monthly(&s, Some(&province), None, rows.len(), &period).await?;
    let day = today(&s);
    let chart = chart_of(
        &trend_rows,
        "Điểm trung bình của các đơn vị theo tháng",
        day,
    );
    let mut trend = trend_table(&trend_rows, "Điểm trung bình theo tháng".into(), day);
    let base = format!(
        "/giam-sat/chi-so?ky={}&tinh={}",
        url_encode(&period.key()),
        url_encode(&province)
    );
    sort_tables(&mut [&mut main, &mut trend], &base, q.sort.as_deref())
        .map_err(|p| PageError::new(lang, p.into()))?;
    if let Some(f) = q.xuat.as_deref() {
        let t = if q.bang.as_deref() == Some("xu-huong") {
            &trend
        } else {
            &main
        };
        return export(
            t,
            f,
            &format!("chi-so-{province}-{}-{}", t.id, period.key()),
        );
    }
    render(&RankingPage {
        form_action: "/giam-sat/chi-so".into(),
        export_base: with_sort(base, q.sort.as_deref()),
        province,
        province_name,
        period_label: period.label_vi(),
        periods: period_choices(&period, s.now()),
        pc: PeriodControls::showing(&period),
        tables: vec![main, trend],
        chart,
        progress: Progress::of(&period, day),
        notes: notes(),
        c,
    })
}
