//! The queue's figures per service, counter and hour (`/can-bo/thong-ke-quay`).

use super::*;

pub(super) struct FigureRow {
    pub(super) label: String,
    pub(super) tickets: i64,
    pub(super) served: i64,
    pub(super) skipped: i64,
    pub(super) avg_wait: String,
    pub(super) max_wait: String,
    pub(super) avg_service: String,
}

#[derive(Template)]
#[template(path = "queue_stats.html")]
pub(super) struct StatsPage {
    pub(super) c: Ctx,
    pub(super) unit: String,
    pub(super) unit_name: String,
    pub(super) units: Vec<Choice>,
    pub(super) from: String,
    pub(super) to: String,
    pub(super) total: FigureRow,
    /// (title, table id, rows)
    pub(super) sections: Vec<(String, &'static str, Vec<FigureRow>)>,
    pub(super) errors: Vec<ErrorLine>,
}

#[derive(Deserialize, Default)]
pub(super) struct StatsQuery {
    pub(super) unit: Option<String>,
    pub(super) from: Option<String>,
    pub(super) to: Option<String>,
}

pub(super) fn minutes_text(c: &Ctx, seconds: Option<i64>) -> String {
    match seconds {
        None => "—".to_string(),
        Some(s) if s < 60 => format!("{s} {}", c.tr("giây", "s")),
        Some(s) => format!("{} {}", (s + 30) / 60, c.tr("phút", "min")),
    }
}

pub(super) fn figure_row(label: String, f: &motcua_store::queue::Figures, c: &Ctx) -> FigureRow {
    FigureRow {
        label,
        tickets: f.tickets,
        served: f.served,
        skipped: f.skipped,
        avg_wait: minutes_text(c, f.avg_wait_s),
        max_wait: minutes_text(c, f.max_wait_s),
        avg_service: minutes_text(c, f.avg_service_s),
    }
}

pub(super) async fn stats_page(
    c: Ctx,
    State(s): State<AppState>,
    Query(q): Query<StatsQuery>,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let lang = c.lang;
    let unit = match q.unit.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => u.to_string(),
        None => user.units.first().cloned().unwrap_or_default(),
    };
    if unit.is_empty() || !user.sees_unit(&unit) {
        return Err(PageError::new(
            lang,
            Problem::forbidden(
                "other_unit",
                "Bạn không làm việc tại đơn vị này / You do not work for this unit",
            )
            .into(),
        ));
    }
    let mut errors = Vec::new();
    let mut day = |raw: Option<&str>, default: Date, id: &str| -> Date {
        match raw.map(str::trim).filter(|r| !r.is_empty()) {
            None => default,
            Some(r) => parse_date(r).unwrap_or_else(|_| {
                errors.push(ErrorLine {
                    href: format!("#{id}"),
                    message: c
                        .tr(
                            "Ngày phải có dạng năm-tháng-ngày, ví dụ 2026-03-02",
                            "Dates look like 2026-03-02",
                        )
                        .to_string(),
                });
                default
            }),
        }
    };
    let to = day(q.to.as_deref(), today(&s), "to");
    let from = day(
        q.from.as_deref(),
        to.checked_sub(time::Duration::days(6)).unwrap_or(to),
        "from",
    );
    let (from, to) = if from > to { (to, from) } else { (from, to) };
    // At most a year at a time.
    let from = from.max(to.checked_sub(time::Duration::days(366)).unwrap_or(from));
    let unit_name = unit_name(&s, lang, &unit).await?;
    let stats: QueueStats = s
        .store
        .queue()
        .stats(&unit, from, to)
        .await
        .map_err(page_err(lang))?;
    let iso = |d: Date| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day());
    let page = StatsPage {
        units: unit_choices(&s, &user, &unit).await?,
        from: iso(from),
        to: iso(to),
        total: figure_row(c.tr("Tổng cộng", "Total").to_string(), &stats.total, &c),
        sections: vec![
            (
                c.tr("Theo dịch vụ", "By service").to_string(),
                "by-service",
                stats
                    .by_service
                    .iter()
                    .map(|(k, f)| figure_row(k.clone(), f, &c))
                    .collect(),
            ),
            (
                c.tr("Theo quầy", "By counter").to_string(),
                "by-counter",
                stats
                    .by_counter
                    .iter()
                    .map(|(k, f)| {
                        let label = match k {
                            Some(n) => format!("{} {n}", c.tr("Quầy", "Counter")),
                            None => c.tr("Chưa được gọi", "Never called").to_string(),
                        };
                        figure_row(label, f, &c)
                    })
                    .collect(),
            ),
            (
                c.tr("Theo giờ lấy số", "By hour taken").to_string(),
                "by-hour",
                stats
                    .by_hour
                    .iter()
                    .map(|(h, f)| figure_row(format!("{h:02}:00–{h:02}:59"), f, &c))
                    .collect(),
            ),
            (
                c.tr("Theo ngày", "By day").to_string(),
                "by-day",
                stats
                    .by_day
                    .iter()
                    .map(|(d, f)| figure_row(dmy(*d), f, &c))
                    .collect(),
            ),
        ],
        errors,
        unit,
        unit_name,
        c,
    };
    render(&page)
}
