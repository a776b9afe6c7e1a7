//! "Phiếu xác nhận nộp hồ sơ trực tuyến": what a citizen who applied from
//! home keeps, as a counter applicant keeps the receipt: the dossier code,
//! the lookup code (printed only in the answer that shows it), what was
//! sent, and the QR code to follow it. The appointment is set at reception.

use crate::DocumentError;
use crate::forms::DossierInfo;
use crate::layout::{Align, Block, Paper, Para, Span, Style, layout};

/// The confirmation of an online submission, A4.
pub fn render_online_confirmation(info: &DossierInfo<'_>) -> Result<Vec<u8>, DocumentError> {
    let submitted = info
        .events
        .first()
        .map(|e| crate::words::instant_long(e.at))
        .unwrap_or_default();
    let body = Style::regular(12.0);
    let bold = Style::bold(12.0);
    let p = |t: String| Block::Para(Para::text(t, body, Align::Left));
    let mut b = vec![
        Block::Para(Para::text(
            info.unit_name.to_uppercase(),
            Style::bold(12.0),
            Align::Center,
        )),
        Block::Space(10.0),
        Block::Para(Para::text(
            "PHIẾU XÁC NHẬN NỘP HỒ SƠ TRỰC TUYẾN",
            Style::bold(14.0),
            Align::Center,
        )),
        Block::Space(10.0),
        Block::Para(Para::new(
            vec![Span::new(body, "Mã hồ sơ: "), Span::new(bold, &info.code)],
            Align::Left,
        )),
    ];
    if let Some(k) = &info.lookup_key {
        b.push(Block::Para(Para::new(
            vec![Span::new(body, "Mã tra cứu: "), Span::new(bold, k)],
            Align::Left,
        )));
    }
    b.push(p(format!("Thủ tục: {}", info.procedure.name)));
    b.push(p(format!("Người nộp: {}", info.applicant_name)));
    b.push(p(format!("Nộp lúc: {submitted}")));
    b.push(p("Giấy tờ đã gửi:".to_string()));
    for (name, how, n) in crate::forms::document_lines(info) {
        b.push(p(format!("    – {name} ({how}, {n:02})")));
    }
    b.push(Block::Space(6.0));
    b.push(p(
        "Bộ phận tiếp nhận và trả kết quả sẽ kiểm tra và tiếp nhận hồ sơ; ngày hẹn trả được tính từ lúc tiếp nhận. Giữ mã hồ sơ và mã tra cứu để theo dõi và nhận kết quả."
            .to_string(),
    ));
    b.push(Block::Para(Para::new(
        vec![
            Span::new(
                Style::italic(11.0),
                "Theo dõi hồ sơ: quét mã QR hoặc vào trang ",
            ),
            Span::new(Style::regular(11.0), &info.lookup_url),
        ],
        Align::Left,
    )));
    b.push(Block::Space(6.0));
    b.push(Block::Qr {
        data: info.lookup_url.clone(),
        size: 110.0,
        align: Align::Left,
    });
    let pages = layout(Paper::A4Portrait, &b)?;
    crate::pdf::write(
        &pages,
        &format!("Phiếu xác nhận nộp hồ sơ trực tuyến — {}", info.code),
    )
}
