//! The electronic receipt of fees and charges ("biên lai thu phí, lệ phí")
//! a unit issues for a payment: its number (gapless per unit and year), the
//! payer, the fee lines with phí and lệ phí apart, the total, who collected
//! it. Its layout follows the content Decree 123/2020/NĐ-CP (art. 32)
//! requires of a receipt; the template symbol and series a province
//! registers are not set yet, and the page says the layout is unverified.

use crate::DocumentError;
use crate::layout::{Align, Block, Paper, Para, Span, Style, layout};
use motcua_domain::fees::FeeLine;
use time::OffsetDateTime;

/// What a receipt prints.
pub struct ReceiptInfo<'a> {
    pub unit_name: &'a str,
    pub receipt: &'a str,
    /// The symbols the unit registered, as they stood when it was issued.
    pub template_symbol: Option<&'a str>,
    pub series: Option<&'a str>,
    pub dossier_code: &'a str,
    pub procedure: &'a str,
    pub payer: &'a str,
    pub payer_address: &'a str,
    pub lines: &'a [FeeLine],
    pub total_vnd: u64,
    pub method: &'a str,
    pub paid_at: OffsetDateTime,
    pub collected_by: &'a str,
    /// "Đã hủy ngày … : lý do", when voided.
    pub voided: Option<String>,
    /// When and why the fee was paid back.
    pub refunded: Option<String>,
}

pub fn render_receipt(r: &ReceiptInfo<'_>) -> Result<Vec<u8>, DocumentError> {
    let body = Style::regular(11.0);
    let bold = Style::bold(11.0);
    let p = |t: String| Block::Para(Para::text(t, body, Align::Left));
    let mut b = vec![
        Block::Para(Para::text(
            r.unit_name.to_uppercase(),
            Style::bold(11.0),
            Align::Left,
        )),
        Block::Space(8.0),
        Block::Para(Para::text(
            "BIÊN LAI THU PHÍ, LỆ PHÍ",
            Style::bold(14.0),
            Align::Center,
        )),
        Block::Para(Para::text(
            "(Biên lai điện tử)",
            Style::italic(10.0),
            Align::Center,
        )),
        Block::Para(Para::new(
            vec![
                Span::new(body, "Mẫu số: "),
                Span::new(bold, r.template_symbol.unwrap_or("chưa đăng ký")),
                Span::new(body, " · Ký hiệu: "),
                Span::new(bold, r.series.unwrap_or("chưa đăng ký")),
                Span::new(body, " · Số: "),
                Span::new(bold, r.receipt),
            ],
            Align::Center,
        )),
        Block::Space(8.0),
    ];
    if let Some(v) = &r.voided {
        b.push(Block::Para(Para::text(
            format!("BIÊN LAI ĐÃ HỦY — {v}"),
            Style::bold(12.0),
            Align::Center,
        )));
        b.push(Block::Space(6.0));
    }
    if let Some(v) = &r.refunded {
        b.push(Block::Para(Para::text(
            format!("ĐÃ HOÀN TRẢ SỐ TIỀN NÀY — {v}"),
            Style::bold(12.0),
            Align::Center,
        )));
        b.push(Block::Space(6.0));
    }
    b.push(p(format!("Tên người nộp: {}", r.payer)));
    b.push(p(format!("Địa chỉ: {}", r.payer_address)));
    b.push(p(format!("Hồ sơ số {}: {}", r.dossier_code, r.procedure)));
    b.push(Block::Space(4.0));
    for l in r.lines {
        b.push(p(format!(
            "{}: {} — {}",
            l.charge.label_vi(),
            l.label,
            motcua_domain::text::format_vnd(l.vnd)
        )));
    }
    b.push(Block::Para(Para::new(
        vec![
            Span::new(bold, "Tổng số tiền: "),
            Span::new(bold, motcua_domain::text::format_vnd(r.total_vnd)),
        ],
        Align::Left,
    )));
    b.push(p(format!(
        "Hình thức thanh toán: {}",
        if r.method == "cash" {
            "Tiền mặt"
        } else {
            r.method
        }
    )));
    b.push(p(format!(
        "Thu lúc {} · Người thu: {}",
        crate::words::instant_long(r.paid_at),
        r.collected_by
    )));
    b.push(Block::Space(10.0));
    b.push(Block::Para(Para::text(
        if r.series.is_some() && r.template_symbol.is_some() {
            "Mẫu biên lai theo nội dung Điều 32 Nghị định 123/2020/NĐ-CP (bố cục chưa đối chiếu với mẫu đã đăng ký)."
        } else {
            "Mẫu biên lai theo nội dung Điều 32 Nghị định 123/2020/NĐ-CP (bố cục chưa đối chiếu); đơn vị chưa khai báo ký hiệu mẫu số và ký hiệu biên lai đã đăng ký khi lập biên lai này."
        },
        Style::italic(9.0),
        Align::Left,
    )));
    let pages = layout(Paper::A5Portrait, &b)?;
    crate::pdf::write(
        &pages,
        &format!("Biên lai {} — {}", r.receipt, r.dossier_code),
    )
}
