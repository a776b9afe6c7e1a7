//! The drill-down from an indicator to the dossiers behind it.

use super::*;

// ---- drill-down --------------------------------------------------------------------

#[derive(Template)]
#[template(path = "index_drill.html")]
pub(super) struct DrillPage {
    c: Ctx,
    unit: String,
    unit_name: String,
    period_key: String,
    period_label: String,
    drill: String,
    drills: Vec<(String, String, bool)>,
    tables: Vec<Table>,
    next: Option<String>,
    first_page: bool,
    export_base: String,
}

const DRILL_PAGE: i64 = 50;

/// What a drill-down row needs beside the dossier: procedures' names, the
/// unit's working calendar and the time, to say how late each one is.
pub(super) struct RowContext<'a> {
    pub user: &'a User,
    pub names: HashMap<String, String>,
    pub cal: motcua_domain::calendar::WorkCalendar,
    pub now: OffsetDateTime,
}

fn instant(ms: Option<i64>) -> Option<OffsetDateTime> {
    ms.and_then(|ms| OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok())
}

/// The rows of a drill-down list: names masked and no link for who does
/// not read the dossiers themselves (a province supervisor).
pub(super) fn dossier_rows(rows: &[motcua_store::DossierRow], x: &RowContext) -> Vec<Vec<Cell>> {
    rows.iter()
        .map(|r| {
            let reads = x.user.reads_dossiers_of(&r.unit_code);
            let status = r
                .status
                .parse::<motcua_domain::lifecycle::Status>()
                .map(|s| s.label_vi().to_string())
                .unwrap_or_else(|_| r.status.clone());
            // The clock stops at the end of processing, or while the citizen supplements.
            let ended = instant(r.finished_at).or_else(|| {
                r.pause_remaining
                    .is_some()
                    .then(|| instant(r.paused_at))
                    .flatten()
            });
            let late = instant(r.due_at)
                .and_then(|due| idx::working_days_late(&x.cal, due, ended, x.now))
                .map_or_else(
                    || cell(""),
                    |d| Cell {
                        num: Some(Num::Whole(d)),
                        ..cell(idx::lateness_vi(d))
                    },
                );
            vec![
                if reads {
                    link(r.code.clone(), format!("/can-bo/ho-so/{}", r.code))
                } else {
                    cell(r.code.clone())
                },
                cell(r.procedure_code.clone()),
                cell(x.names.get(&r.procedure_code).cloned().unwrap_or_default()),
                cell(if reads {
                    r.applicant_name.clone()
                } else {
                    motcua_domain::text::mask_name(&r.applicant_name)
                }),
                cell(when(r.received_at)),
                cell(when(r.due_at)),
                cell(when(r.finished_at)),
                cell(status),
                late,
            ]
        })
        .collect()
}

pub(super) async fn drill_page(
    c: Ctx,
    State(s): State<AppState>,
    Path(unit): Path<String>,
    Query(q): Query<IndexQuery>,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let lang = c.lang;
    if !user.lists_dossiers_of(&unit) {
        return Err(forbidden(lang));
    }
    let period = period_of(&q, s.now()).map_err(|p| PageError::new(lang, p.into()))?;
    let drill = match q.loai.as_deref() {
        None => Drill::Late,
        Some(l) => Drill::parse(l).ok_or_else(|| {
            PageError::new(
                lang,
                Problem::invalid("bad_drill", "loai", "Không có danh sách này").into(),
            )
        })?,
    };
    let u = s.store.unit(&unit).await?.ok_or_else(|| {
        PageError::new(
            lang,
            Problem::not_found("unit_not_found", "Không tìm thấy đơn vị").into(),
        )
    })?;
    let x = RowContext {
        user: &user,
        names: s
            .store
            .catalog()
            .await?
            .iter()
            .map(|(p, _)| (p.code.clone(), p.name.clone()))
            .collect(),
        cal: s.store.calendar(Some(&unit)).await?,
        now: s.now(),
    };
    let headers = [
        "Mã hồ sơ",
        "Mã thủ tục",
        "Thủ tục",
        "Người nộp",
        "Tiếp nhận",
        "Hẹn trả",
        "Giải quyết xong",
        "Trạng thái",
        "Quá hạn (ngày làm việc)",
    ]
    .iter()
    .map(|h| h.to_string())
    .collect();
    if let Some(f) = q.xuat.as_deref() {
        // The whole list (bounded), page after page.
        let mut all = Vec::new();
        let mut after = None;
        while all.len() < 20_000 {
            let page = s
                .store
                .index_dossiers(&unit, period, drill, after, 500)
                .await?;
            after = page.last().map(|r| r.id);
            let done = page.len() < 500;
            all.extend(page);
            if done {
                break;
            }
        }
        let t = Table {
            id: "ho-so",
            title: drill.label_vi().into(),
            headers,
            rows: dossier_rows(&all, &x),
            ..Default::default()
        };
        return export(
            &t,
            f,
            &format!("ho-so-{unit}-{}-{}", drill.as_str(), period.key()),
        );
    }
    let rows = s
        .store
        .index_dossiers(&unit, period, drill, q.sau, DRILL_PAGE)
        .await?;
    let next = (rows.len() as i64 == DRILL_PAGE).then(|| {
        format!(
            "/giam-sat/chi-so/{unit}/ho-so?ky={}&loai={}&sau={}",
            url_encode(&period.key()),
            drill.as_str(),
            rows.last().map_or(0, |r| r.id)
        )
    });
    let table = Table {
        id: "ho-so",
        title: format!("{} — {}, {}", drill.label_vi(), u.name, period.label_vi()),
        headers,
        rows: dossier_rows(&rows, &x),
        ..Default::default()
    };
    render(&DrillPage {
        drills: Drill::ALL
            .iter()
            .map(|d| {
                (
                    d.as_str().to_string(),
                    d.label_vi().to_string(),
                    *d == drill,
                )
            })
            .collect(),
        unit_name: u.name,
        period_key: period.key(),
        period_label: period.label_vi(),
        export_base: format!(
            "/giam-sat/chi-so/{unit}/ho-so?ky={}&loai={}",
            url_encode(&period.key()),
            drill.as_str()
        ),
        drill: drill.as_str().to_string(),
        tables: vec![table],
        unit,
        next,
        first_page: q.sau.is_none(),
        c,
    })
}
