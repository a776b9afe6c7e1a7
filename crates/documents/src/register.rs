//! Mẫu 06: the dossier register (sổ theo dõi hồ sơ) of a unit for a
//! period, as a landscape PDF table and as CSV (UTF-8 with BOM, so
//! spreadsheet programs read the Vietnamese headers right).

use crate::DocumentError;
use crate::forms::{Heading, heading, upper_body};
use crate::layout::{Align, Block, MM, Paper, Para, Style, layout};
use crate::words;
use motcua_domain::calendar::{Date, OffsetDateTime};
use motcua_domain::lifecycle::Status;

/// One dossier in the register, taken from its projection row.
#[derive(Debug, Clone)]
pub struct RegisterRow {
    pub code: String,
    pub procedure_name: String,
    pub applicant_name: String,
    pub applicant_address: String,
    pub applicant_phone: String,
    pub submitted_at: OffsetDateTime,
    pub received_at: Option<OffsetDateTime>,
    pub due_at: Option<OffsetDateTime>,
    pub finished_at: Option<OffsetDateTime>,
    pub returned_at: Option<OffsetDateTime>,
    pub status: Status,
    pub late: bool,
    /// How the result was delivered, in words, if it was.
    pub delivery: Option<String>,
}

#[derive(Debug, Clone)]
pub struct RegisterInfo {
    pub province_name: String,
    pub unit_name: String,
    /// Inclusive local (Vietnam) dates.
    pub from: Date,
    pub to: Date,
    /// The date printed in the heading.
    pub printed: Date,
    pub rows: Vec<RegisterRow>,
}

const HEADERS: [&str; 11] = [
    "STT",
    "Mã hồ sơ",
    "Tên thủ tục hành chính",
    "Người nộp hồ sơ",
    "Địa chỉ, số điện thoại",
    "Nhận hồ sơ",
    "Hẹn trả kết quả",
    "Có kết quả",
    "Trả kết quả",
    "Tình trạng",
    "Ghi chú",
];

fn cells(i: usize, r: &RegisterRow) -> [String; 11] {
    let t = |x: Option<OffsetDateTime>| x.map(words::instant_short).unwrap_or_default();
    let mut note = Vec::new();
    if r.late {
        note.push("Quá hạn".to_string());
    }
    if let Some(d) = &r.delivery {
        note.push(d.clone());
    }
    [
        (i + 1).to_string(),
        r.code.clone(),
        r.procedure_name.clone(),
        r.applicant_name.clone(),
        format!("{}; {}", r.applicant_address, r.applicant_phone),
        t(r.received_at.or(Some(r.submitted_at))),
        t(r.due_at),
        t(r.finished_at),
        t(r.returned_at),
        r.status.label_vi().to_string(),
        note.join("; "),
    ]
}

impl RegisterInfo {
    fn period(&self) -> String {
        format!(
            "Từ ngày {} đến ngày {}",
            words::date(self.from),
            words::date(self.to)
        )
    }

    pub fn pdf(&self) -> Result<Vec<u8>, DocumentError> {
        // The center's book, under its People's Committee, like the forms.
        let parent = upper_body(&self.unit_name);
        let unit = crate::forms::CENTER;
        let place = words::place_of(&self.unit_name);
        let number = format!(
            "{:04}{:02}{:02}/TTPVHCC",
            self.from.year(),
            u8::from(self.from.month()),
            self.from.day()
        );
        let width = (297.0 - 35.0) * MM;
        let mut b = heading(
            &Heading {
                parent: &parent,
                unit,
                number: &number,
                place: &place,
                date: self.printed,
            },
            width,
        );
        b.push(Block::Space(10.0));
        b.push(Block::Para(Para::text(
            "SỔ THEO DÕI HỒ SƠ",
            Style::bold(14.0),
            Align::Center,
        )));
        b.push(Block::Para(Para::text(
            format!(
                "Bộ phận tiếp nhận và trả kết quả {} — {} — {} hồ sơ",
                self.unit_name,
                self.period(),
                self.rows.len()
            ),
            Style::italic(11.0),
            Align::Center,
        )));
        b.push(Block::Space(8.0));
        let h = Style::bold(8.0);
        let c = Style::regular(8.0);
        b.push(Block::Table {
            widths: vec![0.45, 2.0, 2.1, 1.4, 1.8, 1.1, 1.1, 1.1, 1.1, 1.25, 1.4],
            header: HEADERS
                .iter()
                .map(|t| Para::text(t, h, Align::Center))
                .collect(),
            rows: self
                .rows
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    cells(i, r)
                        .into_iter()
                        .enumerate()
                        .map(|(k, t)| {
                            Para::text(t, c, if k == 0 { Align::Center } else { Align::Left })
                        })
                        .collect()
                })
                .collect(),
        });
        let pages = layout(Paper::A4Landscape, &b)?;
        crate::pdf::write(
            &pages,
            &format!("Sổ theo dõi hồ sơ — {} — {}", self.unit_name, self.period()),
        )
    }

    /// CSV: UTF-8 with BOM, comma separated, CRLF, every field quoted.
    pub fn csv(&self) -> Vec<u8> {
        let mut out = String::from("\u{feff}");
        let mut line = |fields: &[String]| {
            let quoted: Vec<String> = fields
                .iter()
                .map(|f| motcua_domain::text::csv_field(f))
                .collect();
            out.push_str(&quoted.join(","));
            out.push_str("\r\n");
        };
        line(&HEADERS.map(str::to_string));
        for (i, r) in self.rows.iter().enumerate() {
            line(&cells(i, r));
        }
        out.into_bytes()
    }
}
