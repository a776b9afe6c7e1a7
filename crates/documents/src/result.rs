//! A generic electronic result document (a decision, a certificate): the
//! heading, unit, number, title, body paragraphs, a signer block and a QR
//! code to a verification URL. Signing happens elsewhere, on these bytes.

use crate::forms::{BODY, DossierInfo, Heading, heading, signature, unit_in_text, upper_body};
use crate::layout::{Align, Block, MM, Paper, Para, Style, layout};
use crate::{DocumentError, words};
use motcua_domain::calendar::{Date, OffsetDateTime};

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
        // Without a URL the QR code is left to the signing stamp, which
        // knows the verification page only when the leader signs.
        let qr = if self.verification_url.is_empty() {
            Vec::new()
        } else {
            vec![
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
            ]
        };
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

/// The wording of a result drafted from a dossier when the officer gives none.
pub fn default_text(info: &DossierInfo<'_>) -> String {
    format!(
        "Ủy ban nhân dân {} xác nhận thủ tục \"{}\" của ông/bà {} đã được giải quyết theo quy định.",
        unit_in_text(info),
        info.procedure.name,
        info.applicant_name
    )
}

impl ResultDocument {
    /// A result drafted from the dossier: the unit's heading, the procedure as
    /// its subject, who applied and when, then `text` (paragraphs separated by
    /// blank lines; the default wording when empty). The QR code and the
    /// signature are added when a leader signs.
    pub fn for_dossier(info: &DossierInfo<'_>, text: &str, at: OffsetDateTime) -> Self {
        let received = crate::forms::reception_date(info)
            .map(|t| format!(" tiếp nhận ngày {}", words::date(words::local(t).date())))
            .unwrap_or_default();
        let mut paragraphs = vec![format!(
            "Căn cứ hồ sơ số {}{received} của ông/bà {}, số định danh cá nhân {}, địa chỉ {};",
            info.code, info.applicant_name, info.applicant_id_number, info.applicant_address
        )];
        if !info.procedure.legal_basis.trim().is_empty() {
            paragraphs.push(format!("Căn cứ {};", info.procedure.legal_basis.trim()));
        }
        let body: Vec<String> = text
            .replace("\r\n", "\n")
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect();
        if body.is_empty() {
            paragraphs.push(default_text(info));
        } else {
            paragraphs.extend(body);
        }
        ResultDocument {
            parent: upper_body(&info.province_name),
            unit: upper_body(&info.unit_name),
            number: format!("{}/KQ-UBND", info.code),
            place: words::place_of(&info.unit_name),
            date: words::local(at).date(),
            kind: "VĂN BẢN KẾT QUẢ".into(),
            title: format!("Giải quyết thủ tục: {}", info.procedure.name),
            paragraphs,
            signer_title: "TM. ỦY BAN NHÂN DÂN".into(),
            signer_name: String::new(),
            verification_url: String::new(),
        }
    }
}
