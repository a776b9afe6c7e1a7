//! The one-stop forms of Circular 01/2018/TT-VPCP, filled from a dossier
//! and its events. Dates are Vietnam time; due dates come from the domain's
//! projection of the events (folded step by step), never recomputed here.

use crate::DocumentError;
use crate::font::text_width;
use crate::layout::{Align, Block, Cell, MM, Paper, Para, Span, Style, layout};
use crate::words;
use motcua_domain::calendar::{Date, OffsetDateTime, WorkCalendar};
use motcua_domain::catalog::Procedure;
use motcua_domain::delivery::Delivery;
use motcua_domain::dossier::{Event, Projection};
use motcua_domain::lifecycle::{Action, Role};
use std::collections::BTreeMap;

/// A document received with the dossier: its catalog code and whether it
/// was a paper the officer checked (else an electronic copy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedDocument {
    pub code: Option<String>,
    pub paper: bool,
}

/// Everything a form shows about a dossier.
#[derive(Debug, Clone)]
pub struct DossierInfo<'a> {
    pub code: String,
    /// The clear key, only on the receipt printed by the officer who issued
    /// it; otherwise the forms say where to get a new one.
    pub lookup_key: Option<String>,
    /// "Tỉnh Đồng Tháp": the parent shown above the unit.
    pub province_name: String,
    /// "Xã Mỹ Hiệp".
    pub unit_name: String,
    pub procedure: &'a Procedure,
    pub calendar: &'a WorkCalendar,
    pub applicant_name: String,
    pub applicant_id_number: String,
    pub applicant_phone: String,
    pub applicant_email: Option<String>,
    pub applicant_address: String,
    /// The whole history, oldest first.
    pub events: &'a [Event],
    pub documents: Vec<ReceivedDocument>,
    /// Staff usernames → full names, for who handed what to whom.
    pub staff_names: BTreeMap<String, String>,
    /// Absolute URL of the public lookup page of this dossier (with its key).
    pub lookup_url: String,
}

/// A form that can be printed for one dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// Mẫu 01, A4.
    Receipt,
    /// Mẫu 01 on an 80 mm thermal roll.
    ReceiptRoll,
    /// Mẫu 02.
    SupplementRequest,
    /// Mẫu 03.
    Refusal,
    /// Mẫu 04.
    Apology,
    /// Mẫu 05 (Circular 01/2018 numbers the register 06 and this sheet 05).
    ControlSheet,
}

impl Form {
    pub const ALL: [Form; 6] = [
        Form::Receipt,
        Form::ReceiptRoll,
        Form::SupplementRequest,
        Form::Refusal,
        Form::Apology,
        Form::ControlSheet,
    ];

    /// The name in URLs: "01", "01-80mm", "02", "03", "04", "05".
    pub fn slug(self) -> &'static str {
        match self {
            Form::Receipt => "01",
            Form::ReceiptRoll => "01-80mm",
            Form::SupplementRequest => "02",
            Form::Refusal => "03",
            Form::Apology => "04",
            Form::ControlSheet => "05",
        }
    }

    /// A slug this form had in an earlier release: the control sheet was
    /// "06" until forms were numbered as in Circular 01/2018.
    pub fn renumbered_from(old: &str) -> Option<Form> {
        (old == "06").then_some(Form::ControlSheet)
    }

    pub fn from_slug(s: &str) -> Option<Form> {
        Form::ALL.into_iter().find(|f| f.slug() == s)
    }

    pub fn title_vi(self) -> &'static str {
        match self {
            Form::Receipt => "Mẫu 01 — Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
            Form::ReceiptRoll => "Mẫu 01 — Giấy tiếp nhận (khổ 80 mm)",
            Form::SupplementRequest => "Mẫu 02 — Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
            Form::Refusal => "Mẫu 03 — Phiếu từ chối tiếp nhận giải quyết hồ sơ",
            Form::Apology => "Mẫu 04 — Phiếu xin lỗi và hẹn lại ngày trả kết quả",
            Form::ControlSheet => "Mẫu 05 — Phiếu kiểm soát quá trình giải quyết hồ sơ",
        }
    }

    pub fn title_en(self) -> &'static str {
        match self {
            Form::Receipt => "Form 01 — Receipt and appointment",
            Form::ReceiptRoll => "Form 01 — Receipt (80 mm printer)",
            Form::SupplementRequest => "Form 02 — Supplement request",
            Form::Refusal => "Form 03 — Refusal",
            Form::Apology => "Form 04 — Apology with a new date",
            Form::ControlSheet => "Form 05 — Processing control sheet",
        }
    }

    /// The event a form is about, or why the form does not apply.
    fn event<'e>(self, info: &'e DossierInfo<'_>) -> Result<Option<&'e Event>, DocumentError> {
        self.event_in(info.events)
    }

    fn event_in(self, events: &[Event]) -> Result<Option<&Event>, DocumentError> {
        let last = |pred: fn(Action) -> bool| events.iter().rev().find(|e| pred(e.action));
        let found = match self {
            Form::Receipt | Form::ReceiptRoll | Form::ControlSheet => {
                last(|a| matches!(a, Action::Receive | Action::CreateAtCounter))
            }
            Form::SupplementRequest => last(|a| a == Action::RequestSupplement),
            Form::Refusal => last(|a| matches!(a, Action::RefuseIntake | Action::Reject)),
            Form::Apology => last(|a| a == Action::Apologize),
        };
        match found {
            Some(e) => Ok(Some(e)),
            None => Err(DocumentError::NotApplicable {
                form: self.slug(),
                message: match self {
                    Form::Receipt | Form::ReceiptRoll | Form::ControlSheet => {
                        "Hồ sơ chưa được tiếp nhận nên chưa có mẫu này".to_string()
                    }
                    Form::SupplementRequest => "Hồ sơ chưa từng được yêu cầu bổ sung".to_string(),
                    Form::Refusal => "Hồ sơ không bị từ chối tiếp nhận hay giải quyết".to_string(),
                    Form::Apology => "Hồ sơ chưa có phiếu xin lỗi, hẹn lại ngày trả".to_string(),
                },
            }),
        }
    }

    /// Whether the form applies to the dossier in its present history.
    pub fn applies(self, info: &DossierInfo<'_>) -> bool {
        self.applies_to(info.events)
    }

    /// Whether the form applies to a dossier with this history (oldest first).
    pub fn applies_to(self, events: &[Event]) -> bool {
        self.event_in(events).is_ok()
    }

    /// Render the form as a PDF file.
    pub fn render(self, info: &DossierInfo<'_>) -> Result<Vec<u8>, DocumentError> {
        let event = self.event(info)?.ok_or(DocumentError::NotApplicable {
            form: self.slug(),
            message: "Mẫu không áp dụng cho hồ sơ này".to_string(),
        })?;
        let steps = fold_steps(info)?;
        // Forms 01–05 are laid out for A5 (Circular 01/2018; LAW.md), the
        // receipt also for the 80 mm roll.
        let (paper, blocks) = match self {
            Form::Receipt => (Paper::A5Portrait, receipt(info, event, &steps)?),
            Form::ReceiptRoll => (Paper::Roll80, receipt_roll(info, event, &steps)?),
            Form::SupplementRequest => (Paper::A5Portrait, supplement(info, event)?),
            Form::Refusal => (Paper::A5Portrait, refusal(info, event)?),
            Form::Apology => (Paper::A5Portrait, apology(info, event, &steps)?),
            Form::ControlSheet => (Paper::A5Portrait, control_sheet(info, event, &steps)?),
        };
        let blocks: Vec<Block> = if paper == Paper::A5Portrait {
            blocks.iter().map(|b| b.scaled(A5_SCALE)).collect()
        } else {
            blocks
        };
        let pages = layout(paper, &blocks)?;
        crate::pdf::write(&pages, &format!("{} — {}", self.title_vi(), info.code))
    }
}

/// Each event with the projection before and after it.
pub(crate) struct Step<'e> {
    pub event: &'e Event,
    pub before: Option<Projection>,
    pub after: Projection,
}

fn fold_steps<'e>(info: &'e DossierInfo<'_>) -> Result<Vec<Step<'e>>, DocumentError> {
    let mut out: Vec<Step<'e>> = Vec::with_capacity(info.events.len());
    let processing = info.procedure.processing;
    for ev in info.events {
        let (before, after) = match out.last() {
            None => (None, Projection::start(ev, processing, info.calendar)?),
            Some(prev) => {
                let mut p = prev.after.clone();
                p.apply(ev, processing, info.calendar)?;
                (Some(prev.after.clone()), p)
            }
        };
        out.push(Step {
            event: ev,
            before,
            after,
        });
    }
    Ok(out)
}

fn step_of<'s, 'e>(steps: &'s [Step<'e>], ev: &Event) -> Option<&'s Step<'e>> {
    steps.iter().find(|s| s.event.seq == ev.seq)
}

// ---- building blocks -----------------------------------------------------------

pub(crate) const BODY: Style = Style::regular(12.0);
const BOLD: Style = Style::bold(12.0);
const ITALIC: Style = Style::italic(12.0);

pub(crate) fn p(text: impl AsRef<str>) -> Block {
    Block::Para(Para::text(text, BODY, Align::Left))
}

/// "Label: value" with the value in bold.
pub(crate) fn lv(label: &str, value: &str) -> Block {
    Block::Para(Para::new(
        vec![
            Span::new(BODY, format!("{label}: ")),
            Span::new(BOLD, value),
        ],
        Align::Left,
    ))
}

pub(crate) fn centered(text: impl AsRef<str>, style: Style) -> Block {
    Block::Para(Para::text(text, style, Align::Center))
}

/// The largest size (down to 7 pt) at which `text` fits in `width` points.
fn fitting(text: &str, style: Style, width: f32) -> Style {
    let mut s = style;
    while s.size > 7.0 {
        match text_width(text, s.font, s.size) {
            Ok(w) if w <= width => break,
            _ => s.size -= 0.5,
        }
    }
    s
}

/// The heading of an official document.
pub struct Heading<'a> {
    /// The superior body, e.g. "UBND TỈNH ĐỒNG THÁP".
    pub parent: &'a str,
    /// The issuing body, e.g. "UBND XÃ MỸ HIỆP".
    pub unit: &'a str,
    /// What follows "Số: ".
    pub number: &'a str,
    /// Place name, e.g. "Mỹ Hiệp".
    pub place: &'a str,
    pub date: Date,
}

pub(crate) const NATION: &str = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM";
pub(crate) const MOTTO: &str = "Độc lập - Tự do - Hạnh phúc";

/// The two-column heading: issuing body and number on the left; the
/// national title, motto and place-date on the right. `width` is the
/// width of the text area (points).
pub fn heading(h: &Heading<'_>, width: f32) -> Vec<Block> {
    // An A5 form's long body name ("TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG")
    // needs half the width; an A4 page keeps the usual 4 : 6.
    let split = if width < 440.0 { 0.5 } else { 0.4 };
    let (lw, rw) = (split * width, (1.0 - split) * width);
    let number = format!("Số: {}", h.number);
    let place_date = words::place_date(h.place, h.date);
    let left = vec![
        centered(h.parent, fitting(h.parent, Style::regular(12.0), lw)),
        centered(h.unit, fitting(h.unit, Style::bold(12.0), lw)),
        Block::Rule(lw * 0.35),
        Block::Space(4.0),
        centered(&number, fitting(&number, Style::regular(11.0), lw)),
    ];
    let right = vec![
        centered(NATION, fitting(NATION, Style::bold(12.0), rw)),
        centered(MOTTO, Style::bold(12.5)),
        Block::Rule(rw * 0.55),
        Block::Space(4.0),
        centered(&place_date, fitting(&place_date, Style::italic(11.0), rw)),
    ];
    vec![Block::Columns(vec![(split, left), (1.0 - split, right)])]
}

/// The heading stacked in one column, for the narrow receipt roll.
fn heading_narrow(h: &Heading<'_>, width: f32) -> Vec<Block> {
    vec![
        centered(NATION, fitting(NATION, Style::bold(8.0), width)),
        centered(MOTTO, Style::bold(8.0)),
        Block::Rule(width * 0.5),
        Block::Space(3.0),
        centered(h.parent, fitting(h.parent, Style::regular(8.0), width)),
        centered(h.unit, fitting(h.unit, Style::bold(8.5), width)),
        centered(format!("Số: {}", h.number), Style::regular(8.0)),
        centered(words::place_date(h.place, h.date), Style::italic(7.5)),
    ]
}

pub(crate) fn upper_body(name: &str) -> String {
    format!("UBND {}", name.to_uppercase())
}

/// Forms are composed in A4 sizes (12 pt text) and printed on A5 at this
/// scale (12 pt → 9.4 pt), every gap in proportion.
const A5_SCALE: f32 = 0.78;

/// The text width of an A5 form (148 mm less 20 mm left and 10 mm right),
/// in the units the form is composed in (before scaling).
const A5_WIDTH: f32 = (148.0 - 30.0) * MM / A5_SCALE;

/// The one-stop forms are the center's: "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG"
/// under its People's Committee, numbered "…/TTPVHCC" (Decree 118/2025;
/// Circular 01/2018 forms, LAW.md).
pub(crate) const CENTER: &str = "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG";

fn standard_heading(info: &DossierInfo<'_>, at: OffsetDateTime) -> Vec<Block> {
    let parent = upper_body(&info.unit_name);
    let place = words::place_of(&info.unit_name);
    let number = center_number(info);
    heading(
        &Heading {
            parent: &parent,
            unit: CENTER,
            number: &number,
            place: &place,
            date: words::local(at).date(),
        },
        A5_WIDTH,
    )
}

/// "Số: <dossier code>/TTPVHCC".
fn center_number(info: &DossierInfo<'_>) -> String {
    format!("{}/TTPVHCC", info.code)
}

/// A signature block: role in capitals, "(Ký và ghi rõ họ tên)", room to
/// sign, the name.
pub(crate) fn signature(role: &str, hint: &str, name: &str) -> Vec<Block> {
    signature_gap(role, hint, name, 56.0)
}

/// A signature block with `gap` points to sign in.
fn signature_gap(role: &str, hint: &str, name: &str, gap: f32) -> Vec<Block> {
    vec![
        Block::Para(Para::text(role, Style::bold(12.0), Align::Center)),
        centered(hint, Style::italic(11.0)),
        Block::Space(gap),
        centered(name, Style::bold(12.0)),
    ]
}

/// The unit inside a sentence: "xã Mỹ Hiệp".
pub(crate) fn unit_in_text(info: &DossierInfo<'_>) -> String {
    let mut chars = info.unit_name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn staff_name(info: &DossierInfo<'_>, username: &str) -> String {
    if username == "citizen" {
        return info.applicant_name.clone();
    }
    info.staff_names
        .get(username)
        .cloned()
        .unwrap_or_else(|| username.to_string())
}

fn doc_name(info: &DossierInfo<'_>, code: &str) -> String {
    info.procedure
        .documents
        .iter()
        .find(|d| d.code == code)
        .map_or_else(|| code.to_string(), |d| d.name.clone())
}

/// Documents received, grouped by catalog code in the catalog's order:
/// (name, form of the copies, count).
pub(crate) fn document_lines(info: &DossierInfo<'_>) -> Vec<(String, &'static str, usize)> {
    let mut groups: Vec<(Option<String>, bool, bool, usize)> = Vec::new();
    for d in &info.documents {
        match groups.iter_mut().find(|g| g.0 == d.code) {
            Some(g) => {
                g.1 |= d.paper;
                g.2 |= !d.paper;
                g.3 += 1;
            }
            None => groups.push((d.code.clone(), d.paper, !d.paper, 1)),
        }
    }
    let order = |code: &Option<String>| {
        code.as_ref()
            .and_then(|c| info.procedure.documents.iter().position(|d| &d.code == c))
            .unwrap_or(usize::MAX)
    };
    groups.sort_by_key(|g| order(&g.0));
    groups
        .into_iter()
        .map(|(code, paper, electronic, n)| {
            let how = match (paper, electronic) {
                (true, true) => "Bản giấy và bản điện tử",
                (true, false) => "Bản giấy",
                _ => "Bản điện tử",
            };
            let name = code
                .as_deref()
                .map_or_else(|| "Giấy tờ khác".to_string(), |c| doc_name(info, c));
            (name, how, n)
        })
        .collect()
}

fn delivery_of(info: &DossierInfo<'_>) -> Option<Delivery> {
    info.events
        .iter()
        .rev()
        .find(|e| e.action == Action::ReturnResult)
        .and_then(|e| Delivery::from_payload(&e.payload))
}

// ---- Mẫu 01 --------------------------------------------------------------------

fn receipt(
    info: &DossierInfo<'_>,
    reception: &Event,
    steps: &[Step<'_>],
) -> Result<Vec<Block>, DocumentError> {
    let mut b = standard_heading(info, reception.at);
    b.push(Block::Space(8.0));
    b.push(centered(
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        Style::bold(13.0),
    ));
    b.push(centered(
        format!("Mã hồ sơ: {}", info.code),
        Style::bold(12.0),
    ));
    b.push(Block::Space(4.0));
    b.push(p(format!(
        "Bộ phận tiếp nhận và trả kết quả {}",
        unit_in_text(info)
    )));
    b.push(lv("Tiếp nhận hồ sơ của", &info.applicant_name));
    b.push(p(format!(
        "Số định danh cá nhân: {}    Số điện thoại: {}",
        info.applicant_id_number, info.applicant_phone
    )));
    b.push(p(format!("Địa chỉ: {}", info.applicant_address)));
    if let Some(e) = &info.applicant_email {
        b.push(p(format!("Thư điện tử: {e}")));
    }
    b.push(lv("Nội dung yêu cầu giải quyết", &info.procedure.name));
    b.push(Block::Space(4.0));
    b.push(p("1. Thành phần hồ sơ nộp gồm:"));
    let small = Style::regular(10.5);
    let rows: Vec<Vec<Cell>> = document_lines(info)
        .into_iter()
        .enumerate()
        .map(|(i, (name, how, n))| {
            vec![
                Para::text(format!("{}", i + 1), small, Align::Center),
                Para::text(name, small, Align::Left),
                Para::text(how, small, Align::Left),
                Para::text(format!("{n:02}"), small, Align::Center),
            ]
        })
        .collect();
    let head = Style::bold(10.5);
    b.push(Block::Table {
        widths: vec![0.7, 4.6, 2.2, 1.5],
        header: vec![
            Para::text("STT", head, Align::Center),
            Para::text("Tên giấy tờ", head, Align::Center),
            Para::text("Hình thức", head, Align::Center),
            Para::text("Số lượng", head, Align::Center),
        ],
        rows,
    });
    b.push(Block::Space(4.0));
    b.push(p("2. Số lượng hồ sơ: 01 (bộ)"));
    b.push(p(format!(
        "3. Thời gian giải quyết hồ sơ theo quy định là: {}",
        words::processing(info.procedure.processing)
    )));
    b.push(p(format!(
        "4. Thời gian nhận hồ sơ: {}",
        words::instant_long(reception.at)
    )));
    // The appointment given at reception: the projection right after it.
    let due = step_of(steps, reception).and_then(|s| s.after.due_at);
    b.push(Block::Para(Para::new(
        vec![
            Span::new(BODY, "5. Thời gian trả kết quả giải quyết hồ sơ: "),
            Span::new(
                BOLD,
                due.map_or_else(|| "—".to_string(), words::instant_long),
            ),
        ],
        Align::Left,
    )));
    let place = match delivery_of(info) {
        Some(d) => d.words_vi(),
        None => format!("Bộ phận tiếp nhận và trả kết quả {}", unit_in_text(info)),
    };
    b.push(p(format!("6. Nhận kết quả tại: {place}")));
    b.push(Block::Space(6.0));
    // Where to follow it, then the two signatures beside the QR code: the
    // receipt stays one A5 sheet.
    b.push(Block::Para(Para::new(
        vec![
            Span::new(
                ITALIC,
                "Theo dõi tiến độ giải quyết: quét mã QR hoặc vào trang ",
            ),
            Span::new(Style::regular(10.0), &info.lookup_url),
        ],
        Align::Left,
    )));
    b.push(Block::Para(Para::new(
        vec![
            Span::new(BODY, "Mã hồ sơ: "),
            Span::new(BOLD, &info.code),
            Span::new(BODY, "    Mã tra cứu: "),
            Span::new(BOLD, key_text(info)),
        ],
        Align::Left,
    )));
    b.push(Block::Space(6.0));
    b.push(Block::Columns(vec![
        (
            1.0,
            signature_gap(
                "NGƯỜI NỘP HỒ SƠ",
                "(Ký và ghi rõ họ tên)",
                &info.applicant_name,
                30.0,
            ),
        ),
        (
            1.0,
            signature_gap(
                "NGƯỜI TIẾP NHẬN HỒ SƠ",
                "(Ký và ghi rõ họ tên)",
                &staff_name(info, &reception.actor),
                30.0,
            ),
        ),
        (
            0.7,
            vec![Block::Qr {
                data: info.lookup_url.clone(),
                size: 80.0,
                align: Align::Right,
            }],
        ),
    ]));
    Ok(b)
}

fn receipt_roll(
    info: &DossierInfo<'_>,
    reception: &Event,
    steps: &[Step<'_>],
) -> Result<Vec<Block>, DocumentError> {
    let width = (80.0 - 8.0) * MM;
    let parent = upper_body(&info.unit_name);
    let place = words::place_of(&info.unit_name);
    let number = center_number(info);
    let mut b = heading_narrow(
        &Heading {
            parent: &parent,
            unit: CENTER,
            number: &number,
            place: &place,
            date: words::local(reception.at).date(),
        },
        width,
    );
    let s = Style::regular(8.0);
    let sb = Style::bold(8.0);
    let line = |label: &str, value: &str| {
        Block::Para(Para::new(
            vec![Span::new(s, format!("{label}: ")), Span::new(sb, value)],
            Align::Left,
        ))
    };
    b.push(Block::Space(6.0));
    b.push(centered(
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        Style::bold(9.0),
    ));
    b.push(centered(&info.code, Style::bold(12.0)));
    b.push(Block::Space(4.0));
    b.push(line("Người nộp", &info.applicant_name));
    b.push(line("Điện thoại", &info.applicant_phone));
    b.push(line("Thủ tục", &info.procedure.name));
    b.push(Block::Para(Para::text("Giấy tờ đã nhận:", s, Align::Left)));
    for (name, how, n) in document_lines(info) {
        b.push(Block::Para(
            Para::text(format!("- {name} ({how}): {n:02}"), s, Align::Left).indented(4.0),
        ));
    }
    b.push(line(
        "Thời gian giải quyết",
        &words::processing(info.procedure.processing),
    ));
    b.push(line("Nhận lúc", &words::instant_short(reception.at)));
    let due = step_of(steps, reception).and_then(|s| s.after.due_at);
    b.push(line(
        "Hẹn trả",
        &due.map_or_else(|| "—".to_string(), words::instant_short),
    ));
    b.push(line("Người tiếp nhận", &staff_name(info, &reception.actor)));
    b.push(Block::Space(6.0));
    b.push(Block::Qr {
        data: info.lookup_url.clone(),
        size: 130.0,
        align: Align::Center,
    });
    b.push(centered("Quét mã để theo dõi hồ sơ", Style::italic(8.0)));
    b.push(centered(
        format!("Mã tra cứu: {}", key_text(info)),
        Style::bold(9.0),
    ));
    b.push(Block::Para(Para::text(
        &info.lookup_url,
        Style::regular(6.5),
        Align::Center,
    )));
    Ok(b)
}

// ---- Mẫu 02 --------------------------------------------------------------------

pub(crate) fn reception_date(info: &DossierInfo<'_>) -> Option<OffsetDateTime> {
    info.events
        .iter()
        .find(|e| matches!(e.action, Action::Receive | Action::CreateAtCounter))
        .map(|e| e.at)
}

fn supplement(info: &DossierInfo<'_>, ev: &Event) -> Result<Vec<Block>, DocumentError> {
    let mut b = standard_heading(info, ev.at);
    b.push(Block::Space(14.0));
    b.push(centered(
        "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
        Style::bold(13.0),
    ));
    b.push(centered(
        format!("Mã hồ sơ: {}", info.code),
        Style::bold(12.0),
    ));
    b.push(Block::Space(10.0));
    b.push(lv("Hồ sơ của", &info.applicant_name));
    b.push(p(format!("Địa chỉ: {}", info.applicant_address)));
    b.push(lv("Nội dung yêu cầu giải quyết", &info.procedure.name));
    if let Some(at) = reception_date(info) {
        b.push(p(format!("Ngày nhận hồ sơ: {}", words::instant_long(at))));
    }
    b.push(Block::Space(4.0));
    b.push(p(
        "Yêu cầu bổ sung, hoàn thiện hồ sơ gồm những nội dung sau:",
    ));
    let missing: Vec<String> = ev
        .payload
        .missing
        .iter()
        .flatten()
        .map(|c| doc_name(info, c))
        .collect();
    for (i, name) in missing.iter().enumerate() {
        b.push(Block::Para(
            Para::text(format!("{}. {name}", i + 1), BODY, Align::Left).indented(18.0),
        ));
    }
    if let Some(note) = &ev.note {
        b.push(Block::Para(Para::new(
            vec![
                Span::new(BODY, "Lý do, nội dung cần hoàn thiện: "),
                Span::new(ITALIC, note),
            ],
            Align::Left,
        )));
    }
    let guide = staff_name(info, &ev.actor);
    b.push(p(format!(
        "Ông/bà bổ sung tại Bộ phận tiếp nhận và trả kết quả {} hoặc trực tuyến trên trang tra cứu hồ sơ (mã hồ sơ {}, mã tra cứu {}). Thời gian chờ bổ sung không tính vào thời hạn giải quyết.",
        unit_in_text(info), info.code, key_text(info)
    )));
    b.push(p(format!(
        "Trong quá trình hoàn thiện hồ sơ, nếu có vướng mắc, ông/bà liên hệ {guide}, Bộ phận tiếp nhận và trả kết quả {} để được hướng dẫn.",
        unit_in_text(info)
    )));
    b.push(Block::Space(10.0));
    b.push(Block::Columns(vec![
        (1.0, vec![]),
        (
            1.0,
            signature("NGƯỜI HƯỚNG DẪN", "(Ký và ghi rõ họ tên)", &guide),
        ),
    ]));
    Ok(b)
}

// ---- Mẫu 03 --------------------------------------------------------------------

fn refusal(info: &DossierInfo<'_>, ev: &Event) -> Result<Vec<Block>, DocumentError> {
    let mut b = standard_heading(info, ev.at);
    b.push(Block::Space(14.0));
    b.push(centered(
        "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
        Style::bold(13.0),
    ));
    b.push(centered(
        format!("Mã hồ sơ: {}", info.code),
        Style::bold(12.0),
    ));
    b.push(Block::Space(10.0));
    b.push(p(format!(
        "Bộ phận tiếp nhận và trả kết quả {} tiếp nhận hồ sơ của:",
        unit_in_text(info)
    )));
    b.push(lv("Ông/bà", &info.applicant_name));
    b.push(p(format!("Địa chỉ: {}", info.applicant_address)));
    b.push(lv("Nội dung yêu cầu giải quyết", &info.procedure.name));
    let stage = if ev.action == Action::RefuseIntake {
        "Sau khi xem xét, đối chiếu thành phần hồ sơ với quy định, cơ quan không tiếp nhận hồ sơ này"
    } else {
        "Sau khi thẩm định, cơ quan không giải quyết hồ sơ này"
    };
    b.push(p(format!("{stage} với lý do cụ thể như sau:")));
    b.push(Block::Para(
        Para::text(ev.note.as_deref().unwrap_or("—"), ITALIC, Align::Left).indented(18.0),
    ));
    b.push(p("Xin thông báo để ông/bà được biết và thực hiện./."));
    b.push(Block::Space(10.0));
    let role = if ev.role == Role::Leader.as_str() {
        "LÃNH ĐẠO ĐƠN VỊ"
    } else {
        "NGƯỜI TIẾP NHẬN HỒ SƠ"
    };
    b.push(Block::Columns(vec![
        (1.0, vec![]),
        (
            1.0,
            signature(role, "(Ký và ghi rõ họ tên)", &staff_name(info, &ev.actor)),
        ),
    ]));
    Ok(b)
}

// ---- Mẫu 04 --------------------------------------------------------------------

fn apology(
    info: &DossierInfo<'_>,
    ev: &Event,
    steps: &[Step<'_>],
) -> Result<Vec<Block>, DocumentError> {
    let step = step_of(steps, ev);
    let old_due = step.and_then(|s| s.before.as_ref()).and_then(|p| p.due_at);
    let new_due = step.and_then(|s| s.after.due_at);
    let mut b = standard_heading(info, ev.at);
    b.push(Block::Space(14.0));
    b.push(centered(
        "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
        Style::bold(13.0),
    ));
    b.push(Block::Space(10.0));
    if let Some(at) = reception_date(info) {
        b.push(p(format!(
            "Ngày {}, Bộ phận tiếp nhận và trả kết quả {} tiếp nhận hồ sơ của:",
            words::date(words::local(at).date()),
            unit_in_text(info)
        )));
    }
    b.push(lv("Ông/bà", &info.applicant_name));
    b.push(lv("Nội dung yêu cầu giải quyết", &info.procedure.name));
    b.push(lv("Mã hồ sơ", &info.code));
    b.push(p(format!(
        "Thời gian hẹn trả kết quả giải quyết hồ sơ: {}",
        old_due.map_or_else(|| "—".to_string(), words::instant_long)
    )));
    b.push(p(format!(
        "Tuy nhiên đến nay, Ủy ban nhân dân {} chưa trả kết quả giải quyết hồ sơ của ông/bà đúng hẹn.",
        unit_in_text(info)
    )));
    b.push(Block::Para(Para::new(
        vec![
            Span::new(BODY, "Lý do: "),
            Span::new(ITALIC, ev.note.as_deref().unwrap_or("—")),
        ],
        Align::Left,
    )));
    b.push(p(format!(
        "Sự chậm trễ này đã gây phiền hà cho ông/bà. Ủy ban nhân dân {} xin lỗi ông/bà và hẹn lại thời gian trả kết quả:",
        unit_in_text(info)
    )));
    b.push(centered(
        new_due.map_or_else(|| "—".to_string(), words::instant_long),
        Style::bold(12.5),
    ));
    b.push(p("Xin trân trọng cảm ơn./."));
    b.push(Block::Space(10.0));
    b.push(Block::Columns(vec![
        (1.0, vec![]),
        (
            1.0,
            signature(
                "THỦ TRƯỞNG CƠ QUAN, ĐƠN VỊ",
                "(Ký, ghi rõ họ tên và đóng dấu)",
                &staff_name(info, &ev.actor),
            ),
        ),
    ]));
    Ok(b)
}

/// The key as printed: itself when just issued, else where it was given.
fn key_text(info: &DossierInfo<'_>) -> String {
    match &info.lookup_key {
        Some(k) => k.clone(),
        None => "đã cấp cho người nộp (mất thì đề nghị cấp lại tại Bộ phận Một cửa)".to_string(),
    }
}

// ---- Mẫu 05 --------------------------------------------------------------------

/// Who the dossier went to after a step.
fn handed_to(info: &DossierInfo<'_>, step: &Step<'_>) -> String {
    let desk = "Bộ phận tiếp nhận và trả kết quả";
    match step.event.action {
        Action::Submit => desk.to_string(),
        Action::CreateAtCounter | Action::Receive | Action::Supplement => {
            match &step.after.assignee {
                Some(a) => staff_name(info, a),
                None => desk.to_string(),
            }
        }
        Action::Assign | Action::SendBack => step
            .after
            .assignee
            .as_deref()
            .map_or_else(|| "Chuyên viên xử lý".to_string(), |a| staff_name(info, a)),
        // The leader who took it up next, by name; the role only while
        // nobody has yet.
        Action::Propose => info
            .events
            .iter()
            .find(|e| e.seq > step.event.seq && e.role == Role::Leader.as_str())
            .map_or_else(
                || "Lãnh đạo đơn vị".to_string(),
                |e| staff_name(info, &e.actor),
            ),
        Action::Approve | Action::Reject => desk.to_string(),
        // Handed to the commune competent to decide (Decree 118/2025, art. 14).
        Action::Route => format!(
            "Bộ phận tiếp nhận và trả kết quả, đơn vị {}",
            step.event
                .payload
                .to_unit
                .as_deref()
                .unwrap_or("có thẩm quyền")
        ),
        Action::RequestSupplement
        | Action::RefuseIntake
        | Action::ReturnResult
        | Action::Apologize
        | Action::Withdraw
        | Action::ReissueKey
        | Action::CorrectApplicant
        | Action::ExpireUnpaid => info.applicant_name.clone(),
        // Money changes no hands of the dossier: it stays where it was.
        Action::RecordPayment | Action::VoidReceipt | Action::RefundPayment => step
            .after
            .assignee
            .as_deref()
            .map_or_else(|| desk.to_string(), |a| staff_name(info, a)),
    }
}

fn role_words(role: &str) -> &'static str {
    match role.parse::<Role>() {
        Ok(r) => r.label_vi(),
        Err(_) if role == "system" => "Hệ thống (tự động)",
        Err(_) => "Người nộp hồ sơ",
    }
}

/// On time or not, for a step taken at `at` while `before` stood.
fn timeliness(before: Option<&Projection>, at: OffsetDateTime) -> &'static str {
    let Some(p) = before else { return "—" };
    if p.status == motcua_domain::lifecycle::Status::AwaitingPayment {
        return "Chờ nộp phí, lệ phí";
    }
    if p.pause_remaining.is_some() {
        return "Tạm dừng chờ bổ sung";
    }
    match p.due_at {
        None => "—",
        Some(due) if at > due => "Quá hạn",
        Some(due) if words::local(at).date() < words::local(due).date() => "Trước hạn",
        Some(_) => "Đúng hạn",
    }
}

fn control_sheet(
    info: &DossierInfo<'_>,
    reception: &Event,
    steps: &[Step<'_>],
) -> Result<Vec<Block>, DocumentError> {
    let last = info.events.last().map_or(reception.at, |e| e.at);
    let mut b = standard_heading(info, last);
    b.push(Block::Space(12.0));
    b.push(centered(
        "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
        Style::bold(13.0),
    ));
    b.push(centered(
        format!("Mã hồ sơ: {}", info.code),
        Style::bold(12.0),
    ));
    b.push(Block::Space(8.0));
    let s = Style::regular(11.0);
    let sb = Style::bold(11.0);
    let row = |label: &str, value: String| {
        Block::Para(Para::new(
            vec![Span::new(s, format!("{label}: ")), Span::new(sb, value)],
            Align::Left,
        ))
    };
    b.push(row("Người nộp hồ sơ", info.applicant_name.clone()));
    b.push(row("Thủ tục", info.procedure.name.clone()));
    b.push(row(
        "Cơ quan giải quyết",
        format!("Ủy ban nhân dân {}", unit_in_text(info)),
    ));
    b.push(row(
        "Thời hạn giải quyết theo quy định",
        words::processing(info.procedure.processing),
    ));
    b.push(row("Tiếp nhận lúc", words::instant_long(reception.at)));
    let current = steps.last().map(|s| &s.after);
    if let Some(due) = current.and_then(|p| p.due_at) {
        b.push(row("Hạn trả kết quả", words::instant_long(due)));
    }
    b.push(Block::Space(6.0));
    let h = Style::bold(8.0);
    let c = Style::regular(8.0);
    let ci = Style::italic(8.0);
    let rows: Vec<Vec<Cell>> = steps
        .iter()
        .enumerate()
        .map(|(i, st)| {
            let ev = st.event;
            let due = st
                .before
                .as_ref()
                .and_then(|p| p.due_at)
                .map_or_else(|| "—".to_string(), words::instant_cell);
            let mut note = ev.note.clone().unwrap_or_default();
            if ev.action == Action::ReturnResult
                && let Some(d) = Delivery::from_payload(&ev.payload)
            {
                note = if note.is_empty() {
                    d.words_vi()
                } else {
                    format!("{note}; {}", d.words_vi())
                };
            }
            vec![
                Para::text(format!("{}", i + 1), c, Align::Center),
                Para::text(ev.action.label_vi(), c, Align::Left),
                Para::new(
                    vec![
                        Span::new(c, staff_name(info, &ev.actor)),
                        Span::new(ci, format!("\n{}", role_words(&ev.role))),
                    ],
                    Align::Left,
                ),
                Para::text(handed_to(info, st), c, Align::Left),
                Para::text(words::instant_cell(ev.at), c, Align::Left),
                Para::text(due, c, Align::Left),
                Para::text(timeliness(st.before.as_ref(), ev.at), c, Align::Left),
                Para::text(note, ci, Align::Left),
            ]
        })
        .collect();
    b.push(Block::Table {
        widths: vec![0.65, 1.5, 1.7, 1.6, 1.25, 1.25, 1.15, 2.0],
        header: [
            "STT",
            "Bước xử lý",
            "Bên giao",
            "Bên nhận",
            "Thời gian",
            "Hạn xử lý",
            "Kết quả",
            "Ghi chú",
        ]
        .into_iter()
        .map(|t| Para::text(t, h, Align::Center))
        .collect(),
        rows,
    });
    b.push(Block::Space(6.0));
    if let Some(d) = delivery_of(info) {
        b.push(row("Hình thức trả kết quả", d.words_vi()));
    }
    if let Some(p) = current {
        let now = info.events.last().map_or(reception.at, |e| e.at);
        let verdict = if p.is_late(now) {
            "Quá hạn"
        } else if p.status.is_settled() {
            "Đúng hạn"
        } else {
            "Đang trong hạn"
        };
        b.push(row(
            "Tình trạng",
            format!("{} — {verdict}", p.status.label_vi()),
        ));
    }
    Ok(b)
}
