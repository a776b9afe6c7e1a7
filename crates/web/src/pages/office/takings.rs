//! The day's takings of a unit (`/can-bo/thu-phi`): every receipt issued
//! that day in receipt order, the cash each officer collected (voided
//! receipts apart), the refunds paid out, the total to hand over; as a page
//! and as CSV or XLSX for the accountant's reconciliation.

use super::*;

#[derive(Deserialize)]
pub(super) struct TakingsQuery {
    don_vi: Option<String>,
    /// dd/mm/yyyy; today (Vietnam time) when absent.
    ngay: Option<String>,
    /// "csv" or "xlsx" for the file.
    dinh_dang: Option<String>,
}

pub(super) struct TakingRow {
    pub(super) receipt: String,
    pub(super) code: String,
    pub(super) total: String,
    pub(super) at: String,
    pub(super) by: String,
    pub(super) voided: String,
}

#[derive(Template)]
#[template(path = "office_takings.html")]
pub(super) struct TakingsPage {
    pub(super) c: Ctx,
    pub(super) unit: String,
    pub(super) unit_name: String,
    pub(super) day: String,
    pub(super) rows: Vec<TakingRow>,
    /// (officer, receipts in force, cash).
    pub(super) by_officer: Vec<(String, usize, String)>,
    pub(super) total: String,
    /// Fees paid back on the day: (receipt, dossier, amount, by, reason).
    pub(super) refunds: Vec<(String, String, String, String, String)>,
    pub(super) refunded: String,
    /// Cash collected less cash paid back.
    pub(super) net: String,
    /// Paid online, by channel: (channel, payments, amount).
    pub(super) by_channel: Vec<(String, usize, String)>,
    /// For the accountant: (what, reference, amount, detail, the bank's id of a credit).
    pub(super) review: Vec<(String, String, String, String, String)>,
    /// The accountant may settle credits here.
    pub(super) settles: bool,
    /// Online orders still unconfirmed a day on: (reference, dossier, channel, amount, since).
    pub(super) stale: Vec<(String, String, String, String, String)>,
    pub(super) csv_href: String,
    pub(super) xlsx_href: String,
}

pub(super) async fn takings(
    c: Ctx,
    State(s): State<AppState>,
    Query(q): Query<TakingsQuery>,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let lang = c.lang;
    let unit = q
        .don_vi
        .clone()
        .filter(|u| !u.trim().is_empty())
        .or_else(|| user.units.first().cloned())
        .unwrap_or_default();
    // The accountant, and the officers who take cash, read their unit's takings.
    if !user.reads_dossiers_of(&unit) || !crate::pages::takes_fees(&user) {
        return Err(PageError::new(
            lang,
            Problem::forbidden(
                "other_unit",
                "Bạn không làm việc tại đơn vị này / You do not work for this unit",
            )
            .into(),
        ));
    }
    let today = s.now().to_offset(VN_OFFSET).date();
    let day = match q.ngay.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => today,
        Some(d) => parse_day(d).ok_or_else(|| {
            PageError::new(
                lang,
                Problem::invalid(
                    "bad_day",
                    "ngay",
                    "Ngày phải có dạng ngày/tháng/năm, ví dụ 08/12/2026",
                )
                .into(),
            )
        })?,
    };
    let from = day.midnight().assume_offset(VN_OFFSET);
    let to = from + time::Duration::days(1);
    let on_day = |t: OffsetDateTime| from <= t && t < to;
    let all = s
        .store
        .payments_between(&unit, from, to)
        .await
        .map_err(store_err(lang))?;
    // Receipts issued on the day; refunds paid out on the day, whenever issued.
    let (paid, refunds): (Vec<_>, Vec<_>) = (
        all.iter().filter(|p| on_day(p.payment.paid_at)).collect(),
        all.iter()
            .filter(|p| p.payment.refunded_at.is_some_and(on_day))
            .collect(),
    );
    s.store
        .log_access(&user.username, "", "page:takings", s.now())
        .await
        .map_err(store_err(lang))?;
    let vnd = motcua_domain::text::format_vnd;
    // Cash is what officers hand over; online money is on the account.
    let kept = || paid.iter().filter(|p| p.payment.voided_at.is_none());
    let by_officer = tally(kept().filter(|p| p.payment.method == "cash"), |p| {
        &p.payment.paid_by
    });
    let by_channel = tally(kept().filter(|p| p.payment.method != "cash"), |p| {
        &p.payment.method
    });
    let total: u64 = by_officer.iter().map(|o| o.2).sum();
    let refunded: u64 = refunds.iter().map(|p| p.payment.total_vnd).sum();
    // Only cash paid back comes out of the officers' cash.
    let refunded_cash: u64 = refunds
        .iter()
        .filter(|p| p.payment.method == "cash")
        .map(|p| p.payment.total_vnd)
        .sum();
    // What waits for the accountant: orders the money did not fit, credits
    // no order claimed, and orders still unconfirmed a day on.
    let now = s.now();
    let mut review: Vec<(String, String, String, String, String)> = Vec::new();
    for o in s
        .store
        .payment_orders_in(motcua_domain::fees::PaymentState::NeedsReview, 500)
        .await
        .map_err(store_err(lang))?
        .into_iter()
        .filter(|o| o.unit_code == unit)
    {
        review.push((
            format!("{} {}", c.tr("Giao dịch", "Order"), o.dossier_code),
            o.reference,
            vnd(o.amount_vnd),
            o.detail.unwrap_or_default(),
            String::new(),
        ));
    }
    for cr in s
        .store
        .credits_to_review(&unit)
        .await
        .map_err(store_err(lang))?
    {
        review.push((
            format!(
                "{} {}",
                c.tr("Tiền về tài khoản", "Credit"),
                cr.transferred_at
            ),
            cr.order_ref.unwrap_or_else(|| cr.content.clone()),
            vnd(cr.amount_vnd),
            cr.detail,
            cr.provider_id,
        ));
    }
    let stale = s
        .store
        .payment_orders_in(motcua_domain::fees::PaymentState::Pending, 500)
        .await
        .map_err(store_err(lang))?
        .into_iter()
        .filter(|o| o.unit_code == unit && o.created_at + time::Duration::DAY <= now)
        .map(|o| {
            (
                o.reference,
                o.dossier_code,
                o.channel,
                vnd(o.amount_vnd),
                format_vn(o.created_at),
            )
        })
        .collect();
    let day_text = format!(
        "{:02}/{:02}/{}",
        day.day(),
        u8::from(day.month()),
        day.year()
    );
    if let Some(format) = q.dinh_dang.as_deref() {
        // One table for both files: amounts as numbers, instants as printed.
        use crate::pages::index::{Cell, Num, Table};
        let text = |t: String| Cell {
            text: t,
            href: None,
            num: None,
        };
        let table = Table {
            id: "thu-phi",
            title: format!("Thu phí, lệ phí {unit} {day_text}"),
            headers: [
                "bien_lai",
                "ho_so",
                "so_tien",
                "thoi_diem",
                "nguoi_thu",
                "da_huy",
                "da_hoan_tra",
            ]
            .map(str::to_string)
            .to_vec(),
            rows: paid
                .iter()
                .map(|p| {
                    vec![
                        text(p.payment.receipt.clone()),
                        text(p.dossier_code.clone()),
                        Cell {
                            text: p.payment.total_vnd.to_string(),
                            href: None,
                            num: Some(Num::Whole(
                                i64::try_from(p.payment.total_vnd).unwrap_or(i64::MAX),
                            )),
                        },
                        text(format_vn(p.payment.paid_at)),
                        text(p.payment.paid_by.clone()),
                        text(p.payment.voided_at.map(format_vn).unwrap_or_default()),
                        text(p.payment.refunded_at.map(format_vn).unwrap_or_default()),
                    ]
                })
                .collect(),
            sort_base: None,
            sorted: None,
        };
        return crate::pages::index::export(
            &table,
            format,
            &format!("thu-phi-{unit}-{}", day_text.replace('/', "-")),
        );
    }
    let unit_name = unit_name(&s, &unit).await.map_err(store_err(lang))?;
    render(&TakingsPage {
        rows: paid
            .iter()
            .map(|p| TakingRow {
                receipt: p.payment.receipt.clone(),
                code: p.dossier_code.clone(),
                total: vnd(p.payment.total_vnd),
                at: format_vn(p.payment.paid_at),
                by: p.payment.paid_by.clone(),
                voided: p
                    .payment
                    .voided_at
                    .map(|at| {
                        format!(
                            "{} {}",
                            format_vn(at),
                            p.payment.void_reason.clone().unwrap_or_default()
                        )
                    })
                    .unwrap_or_default(),
            })
            .collect(),
        by_officer: by_officer
            .into_iter()
            .map(|(o, n, t)| (o, n, vnd(t)))
            .collect(),
        total: vnd(total),
        refunds: refunds
            .iter()
            .map(|p| {
                (
                    p.payment.receipt.clone(),
                    p.dossier_code.clone(),
                    vnd(p.payment.total_vnd),
                    p.payment.refunded_by.clone().unwrap_or_default(),
                    p.payment.refund_reason.clone().unwrap_or_default(),
                )
            })
            .collect(),
        refunded: vnd(refunded),
        net: vnd(total.saturating_sub(refunded_cash)),
        by_channel: by_channel
            .into_iter()
            .map(|(ch, n, t)| (channel_name(&c, &ch).to_string(), n, vnd(t)))
            .collect(),
        review,
        settles: user.has_role(motcua_domain::lifecycle::Role::Accountant),
        stale,
        csv_href: format!(
            "/can-bo/thu-phi?don_vi={}&ngay={}&dinh_dang=csv",
            url_encode(&unit),
            url_encode(&day_text)
        ),
        xlsx_href: format!(
            "/can-bo/thu-phi?don_vi={}&ngay={}&dinh_dang=xlsx",
            url_encode(&unit),
            url_encode(&day_text)
        ),
        unit,
        unit_name,
        day: day_text,
        c,
    })
}

#[derive(Deserialize)]
pub(super) struct SettleForm {
    don_vi: String,
    /// The bank's id of the credit.
    giao_dich: String,
    /// A dossier's code: the credit is its fee; empty: handled outside.
    #[serde(default)]
    ma_ho_so: String,
    #[serde(default)]
    ly_do: String,
}

/// The accountant settles a credit waiting for review.
pub(super) async fn settle_credit(
    c: Ctx,
    State(s): State<AppState>,
    axum::Form(f): axum::Form<SettleForm>,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let code = f.ma_ho_so.trim().to_string();
    let note = f.ly_do.trim().to_string();
    let resolution = if code.is_empty() {
        motcua_store::credits::Resolution::Outside { note }
    } else {
        motcua_store::credits::Resolution::Fee { code, note }
    };
    s.store
        .resolve_credit(
            f.don_vi.trim(),
            f.giao_dich.trim(),
            &resolution,
            &user,
            s.now(),
        )
        .await
        .map_err(store_err(c.lang))?;
    Ok(axum::response::Redirect::to(&format!(
        "/can-bo/thu-phi?don_vi={}",
        url_encode(f.don_vi.trim())
    ))
    .into_response())
}

#[derive(Template)]
#[template(path = "office_statement.html")]
pub(super) struct StatementPage {
    pub(super) c: Ctx,
    pub(super) unit: String,
    /// (line's id, amount, what became of it).
    pub(super) lines: Vec<(String, String, String)>,
    pub(super) faults: Vec<String>,
}

/// The accountant imports a bank statement (CSV): each credit is recorded
/// once and matched like a bank notification.
pub(super) async fn import_statement(
    c: Ctx,
    State(s): State<AppState>,
    req: axum::extract::Request,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let lang = c.lang;
    let posted = crate::pages::form::read_form(&s, lang, req).await?;
    let unit = posted.trimmed("don_vi").to_string();
    if !user.has_role(motcua_domain::lifecycle::Role::Accountant) || !user.sees_unit(&unit) {
        return Err(PageError::new(
            lang,
            Problem::forbidden("forbidden_action", "Chỉ kế toán của đơn vị nhập sao kê").into(),
        ));
    }
    let text = posted
        .file("sao_ke")
        .map(|(_, _, bytes)| String::from_utf8_lossy(bytes).into_owned())
        .unwrap_or_default();
    let (lines, faults) = match motcua_domain::payment::statement::parse(&text) {
        Ok(lines) => (lines, Vec::new()),
        Err(faults) => (
            Vec::new(),
            faults
                .iter()
                .map(|p| format!("{}: {}", p.field.clone().unwrap_or_default(), p.message))
                .collect(),
        ),
    };
    let mut done = Vec::new();
    for l in lines {
        let credit = motcua_store::credits::Credit {
            provider_id: format!("sao-ke:{}", l.id),
            account_no: String::new(),
            amount_vnd: l.amount_vnd,
            content: l.content.clone(),
            reference_code: l.id.clone(),
            transferred_at: l.day.clone(),
        };
        let said = match s
            .store
            .record_credit(&unit, &credit, s.now())
            .await
            .map_err(store_err(lang))?
        {
            motcua_store::credits::Matched::Paid { order, receipt } => format!(
                "{} {order}, {} {receipt}",
                c.tr("Khớp giao dịch", "Matched order"),
                c.tr("biên lai", "receipt")
            ),
            motcua_store::credits::Matched::Review { detail } => {
                format!("{}: {detail}", c.tr("Chờ kiểm tra", "For review"))
            }
            motcua_store::credits::Matched::Duplicate => {
                c.tr("Đã nhập trước đây", "Imported before").to_string()
            }
        };
        done.push((l.id, motcua_domain::text::format_vnd(l.amount_vnd), said));
    }
    let status = if faults.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &StatementPage {
            c,
            unit,
            lines: done,
            faults,
        },
    )
}

/// (key, payments, amount) per key, in the order keys first appear.
fn tally<'a>(
    payments: impl Iterator<Item = &'a &'a motcua_store::payments::DayPayment>,
    key: impl Fn(&motcua_store::payments::DayPayment) -> &String,
) -> Vec<(String, usize, u64)> {
    let mut out: Vec<(String, usize, u64)> = Vec::new();
    for p in payments {
        let k = key(p);
        match out.iter_mut().find(|o| &o.0 == k) {
            Some(o) => {
                o.1 += 1;
                o.2 += p.payment.total_vnd;
            }
            None => out.push((k.clone(), 1, p.payment.total_vnd)),
        }
    }
    out
}

/// A payment channel as people call it.
fn channel_name<'a>(c: &Ctx, method: &'a str) -> &'a str {
    match method {
        "vnpay" => "VNPay",
        "vietqr" => c.tr("Chuyển khoản VietQR", "VietQR transfer"),
        "paygov" => c.tr("Nền tảng thanh toán quốc gia", "National payment platform"),
        other => other,
    }
}

/// The day asked for (the domain reads "dd/mm/yyyy" and "yyyy-mm-dd"); receipts
/// exist only in these years, and a far year could not end its day.
fn parse_day(t: &str) -> Option<motcua_domain::calendar::Date> {
    motcua_domain::calendar::parse_date_typed(t)
        .ok()
        .filter(|d| (2000..=2100).contains(&d.year()))
}
