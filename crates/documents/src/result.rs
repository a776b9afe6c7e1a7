//! A generic electronic result document (a decision, a certificate): the
//! heading, unit, number, title, body paragraphs, a signer block and a QR
//! code to a verification URL. Signing happens elsewhere, on these bytes.

use crate::DocumentError;
use crate::forms::{BODY, Heading, heading, signature};
use crate::layout::{Align, Block, MM, Paper, Para, Style, layout};
use motcua_domain::calendar::Date;

/// What a result document says.
#[derive(Debug, Clone)]
pub struct ResultDocument {
    /// "UBND TỈNH ĐỒNG THÁP".
    pub parent: String,
    /// "UBND XÃ MỸ HIỆP".
    pub unit: String,
    /// "123/QĐ-UBND".
    pub number: String,
    /// "Mỹ Hiệp".
    pub place: String,
    pub date: Date,
    /// "QUYẾT ĐỊNH".
    pub kind: String,
    /// "Về việc …".
    pub title: String,
    pub paragraphs: Vec<String>,
    /// "TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH".
    pub signer_title: String,
    pub signer_name: String,
    /// Where anyone can check the signed file.
    pub verification_url: String,
}

impl ResultDocument {
    pub fn render(&self) -> Result<Vec<u8>, DocumentError> {
        let width = (210.0 - 45.0) * MM;
        let mut b = heading(
            &Heading {
                parent: &self.parent,
                unit: &self.unit,
                number: &self.number,
                place: &self.place,
                date: self.date,
            },
            width,
        );
        b.push(Block::Space(16.0));
        b.push(Block::Para(Para::text(
            &self.kind,
            Style::bold(14.0),
            Align::Center,
        )));
        b.push(Block::Para(Para::text(
            &self.title,
            Style::bold(12.5),
            Align::Center,
        )));
        b.push(Block::Space(3.0));
        b.push(Block::Rule(80.0));
        b.push(Block::Space(10.0));
        for text in &self.paragraphs {
            b.push(Block::Para(
                Para::text(text, BODY, Align::Left).indented(28.0),
            ));
            b.push(Block::Space(4.0));
        }
        b.push(Block::Space(8.0));
        let qr = vec![
            Block::Qr {
                data: self.verification_url.clone(),
                size: 90.0,
                align: Align::Left,
            },
            Block::Para(Para::text(
                "Quét mã để kiểm tra văn bản điện tử",
                Style::italic(8.5),
                Align::Left,
            )),
            Block::Para(Para::text(
                &self.verification_url,
                Style::regular(7.0),
                Align::Left,
            )),
        ];
        b.push(Block::Columns(vec![
            (1.0, qr),
            (
                1.0,
                signature(&self.signer_title, "(Đã ký số)", &self.signer_name),
            ),
        ]));
        let pages = layout(Paper::A4Portrait, &b)?;
        crate::pdf::write(&pages, &format!("{} {}", self.kind, self.number))
    }
}
