//! A small flow layout: paragraphs of styled runs wrapped to a width,
//! side-by-side columns (the two-column national heading, signature
//! blocks), bordered tables that break across pages with their header
//! repeated, QR codes drawn as vector squares, on A4 pages or on an 80 mm
//! receipt roll whose length follows the content.

use crate::DocumentError;
use crate::font::{FontStyle, text_width};
use crate::pdf::{Op, Page};
use unicode_normalization::UnicodeNormalization;

/// Points per millimetre.
pub const MM: f32 = 72.0 / 25.4;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    pub font: FontStyle,
    pub size: f32,
}

impl Style {
    pub const fn regular(size: f32) -> Self {
        Style {
            font: FontStyle::Regular,
            size,
        }
    }
    pub const fn bold(size: f32) -> Self {
        Style {
            font: FontStyle::Bold,
            size,
        }
    }
    pub const fn italic(size: f32) -> Self {
        Style {
            font: FontStyle::Italic,
            size,
        }
    }
    fn line_height(self) -> f32 {
        self.size * 1.3
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

/// A run of text in one style.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub style: Style,
    pub text: String,
}

impl Span {
    pub fn new(style: Style, text: impl AsRef<str>) -> Self {
        // Text is drawn as it is stored: NFC, one precomposed glyph per letter.
        Span {
            style,
            text: clean(text.as_ref()),
        }
    }
}

/// Text as drawn: NFC; line ends as `\n` (a textarea sends `\r\n`); tabs,
/// other control characters and no-break spaces as spaces; invisible
/// format characters (zero-width space, BOM, soft hyphen) dropped.
pub fn clean(text: &str) -> String {
    text.replace("\r\n", "\n")
        .nfc()
        .filter_map(|c| match c {
            '\n' => Some('\n'),
            '\r' => Some('\n'),
            '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{AD}' => None,
            '\u{A0}' | '\u{202F}' => Some(' '),
            c if c.is_control() => Some(' '),
            c => Some(c),
        })
        .collect()
}

/// A paragraph: runs wrapped together, aligned, with a first-line indent.
#[derive(Debug, Clone, PartialEq)]
pub struct Para {
    pub spans: Vec<Span>,
    pub align: Align,
    pub indent: f32,
}

impl Para {
    pub fn new(spans: Vec<Span>, align: Align) -> Self {
        Para {
            spans,
            align,
            indent: 0.0,
        }
    }
    pub fn text(text: impl AsRef<str>, style: Style, align: Align) -> Self {
        Para::new(vec![Span::new(style, text)], align)
    }
    pub fn indented(mut self, indent: f32) -> Self {
        self.indent = indent;
        self
    }
}

/// A table cell: a paragraph.
pub type Cell = Para;

/// What a layout is made of.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Para(Para),
    /// Vertical space in points.
    Space(f32),
    /// Side by side: (fraction of the width, blocks) per column.
    Columns(Vec<(f32, Vec<Block>)>),
    /// A centred horizontal rule of the given length in points.
    Rule(f32),
    Table {
        /// Column widths as fractions of the width.
        widths: Vec<f32>,
        header: Vec<Cell>,
        rows: Vec<Vec<Cell>>,
    },
    /// A QR code of `size` points, aligned.
    Qr {
        data: String,
        size: f32,
        align: Align,
    },
    PageBreak,
}

impl Para {
    fn scaled(&self, k: f32) -> Para {
        Para {
            spans: self
                .spans
                .iter()
                .map(|s| Span {
                    style: Style {
                        size: s.style.size * k,
                        ..s.style
                    },
                    text: s.text.clone(),
                })
                .collect(),
            align: self.align,
            indent: self.indent * k,
        }
    }
}

impl Block {
    /// The same block drawn `k` times as large: how a form designed for A4
    /// is printed on A5, every size and gap in proportion.
    pub fn scaled(&self, k: f32) -> Block {
        match self {
            Block::Para(p) => Block::Para(p.scaled(k)),
            Block::Space(h) => Block::Space(h * k),
            Block::Columns(cols) => Block::Columns(
                cols.iter()
                    .map(|(f, blocks)| (*f, blocks.iter().map(|b| b.scaled(k)).collect()))
                    .collect(),
            ),
            Block::Rule(len) => Block::Rule(len * k),
            Block::Table {
                widths,
                header,
                rows,
            } => Block::Table {
                widths: widths.clone(),
                header: header.iter().map(|c| c.scaled(k)).collect(),
                rows: rows
                    .iter()
                    .map(|r| r.iter().map(|c| c.scaled(k)).collect())
                    .collect(),
            },
            Block::Qr { data, size, align } => Block::Qr {
                data: data.clone(),
                size: size * k,
                align: *align,
            },
            Block::PageBreak => Block::PageBreak,
        }
    }
}

/// One wrapped line: pieces (style, text, x offset) and its width.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub pieces: Vec<(Style, String, f32)>,
    pub width: f32,
    pub height: f32,
    pub ascent: f32,
}

/// Wrap styled runs to `width` points: greedy by words; a word longer than
/// a line is cut between letters; `\n` breaks the line.
pub fn wrap(spans: &[Span], width: f32, indent: f32) -> Result<Vec<Line>, DocumentError> {
    struct Tok<'a> {
        style: Style,
        word: &'a str,
        space_before: bool,
        newline: bool,
    }
    let mut toks = Vec::new();
    let mut pending_space = false;
    for s in spans {
        for (i, hard) in s.text.split('\n').enumerate() {
            if i > 0 {
                toks.push(Tok {
                    style: s.style,
                    word: "",
                    space_before: false,
                    newline: true,
                });
                pending_space = false;
            }
            let mut first = true;
            for part in hard.split([' ', '\t']) {
                if !first {
                    pending_space = true;
                }
                first = false;
                if part.is_empty() {
                    continue;
                }
                toks.push(Tok {
                    style: s.style,
                    word: part,
                    space_before: pending_space,
                    newline: false,
                });
                pending_space = false;
            }
        }
    }

    let mut lines = Vec::new();
    let mut cur: Vec<(Style, String)> = Vec::new();
    let mut cur_w = 0.0f32;
    let mut limit = width - indent;
    let flush = |cur: &mut Vec<(Style, String)>,
                 lines: &mut Vec<Line>,
                 lead: f32|
     -> Result<(), DocumentError> {
        let mut pieces = Vec::new();
        let mut x = lead;
        let mut height: f32 = 0.0;
        let mut ascent: f32 = 0.0;
        // Merge neighbouring words of one style into one piece of text.
        let mut merged: Vec<(Style, String)> = Vec::new();
        for (st, t) in cur.drain(..) {
            match merged.last_mut() {
                Some((ls, lt)) if *ls == st => lt.push_str(&t),
                _ => merged.push((st, t)),
            }
        }
        for (st, t) in merged {
            let w = text_width(&t, st.font, st.size)?;
            height = height.max(st.line_height());
            ascent = ascent.max(st.size * 0.95);
            pieces.push((st, t, x));
            x += w;
        }
        if pieces.is_empty() {
            height = spans.first().map_or(12.0, |s| s.style.line_height());
            ascent = height * 0.73;
        }
        lines.push(Line {
            pieces,
            width: x,
            height,
            ascent,
        });
        Ok(())
    };
    let mut lead = indent;
    for t in &toks {
        if t.newline {
            flush(&mut cur, &mut lines, lead)?;
            cur_w = 0.0;
            lead = 0.0;
            limit = width;
            continue;
        }
        let space = if t.space_before && !cur.is_empty() {
            text_width(" ", t.style.font, t.style.size)?
        } else {
            0.0
        };
        let w = text_width(t.word, t.style.font, t.style.size)?;
        if !cur.is_empty() && cur_w + space + w > limit {
            flush(&mut cur, &mut lines, lead)?;
            cur_w = 0.0;
            lead = 0.0;
            limit = width;
        }
        if cur.is_empty() && w > limit {
            // Too long for any line: cut between letters.
            let mut piece = String::new();
            let mut pw = 0.0;
            for c in t.word.chars() {
                let cw = text_width(c.encode_utf8(&mut [0; 4]), t.style.font, t.style.size)?;
                if !piece.is_empty() && pw + cw > limit {
                    cur.push((t.style, std::mem::take(&mut piece)));
                    flush(&mut cur, &mut lines, lead)?;
                    lead = 0.0;
                    limit = width;
                    pw = 0.0;
                }
                piece.push(c);
                pw += cw;
            }
            cur.push((t.style, piece));
            cur_w = pw;
            continue;
        }
        let space = if cur.is_empty() { 0.0 } else { space };
        let text = if space > 0.0 {
            format!(" {}", t.word)
        } else {
            t.word.to_string()
        };
        cur.push((t.style, text));
        cur_w += space + w;
    }
    if !cur.is_empty() || lines.is_empty() {
        flush(&mut cur, &mut lines, lead)?;
    }
    Ok(lines)
}

/// The kind of page a layout fills.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Paper {
    A4Portrait,
    /// The one-stop forms 01–05.
    A5Portrait,
    A4Landscape,
    /// An 80 mm thermal roll: one page as long as the content.
    Roll80,
}

impl Paper {
    fn size(self) -> (f32, f32) {
        match self {
            Paper::A4Portrait => (210.0 * MM, 297.0 * MM),
            Paper::A5Portrait => (148.0 * MM, 210.0 * MM),
            Paper::A4Landscape => (297.0 * MM, 210.0 * MM),
            Paper::Roll80 => (80.0 * MM, f32::INFINITY),
        }
    }
    /// Margins: top, right, bottom, left (official documents: 20–25 mm top
    /// and bottom, 30–35 mm left, 15–20 mm right).
    fn margins(self) -> [f32; 4] {
        match self {
            Paper::A4Portrait => [20.0 * MM, 15.0 * MM, 20.0 * MM, 30.0 * MM],
            // Scaled down for A5: the binding side keeps the wider margin.
            Paper::A5Portrait => [15.0 * MM, 10.0 * MM, 15.0 * MM, 20.0 * MM],
            Paper::A4Landscape => [15.0 * MM, 15.0 * MM, 15.0 * MM, 20.0 * MM],
            Paper::Roll80 => [4.0 * MM, 4.0 * MM, 6.0 * MM, 4.0 * MM],
        }
    }
}

/// Lays blocks out page by page.
pub struct Layout {
    paper: Paper,
    pages: Vec<Page>,
    y: f32,
}

impl Layout {
    pub fn new(paper: Paper) -> Self {
        let mut l = Layout {
            paper,
            pages: Vec::new(),
            y: 0.0,
        };
        l.new_page();
        l
    }

    fn new_page(&mut self) {
        let (w, h) = self.paper.size();
        self.pages.push(Page {
            width: w,
            height: h,
            ops: Vec::new(),
        });
        self.y = self.paper.margins()[0];
    }

    pub fn width(&self) -> f32 {
        let m = self.paper.margins();
        self.paper.size().0 - m[1] - m[3]
    }

    fn left(&self) -> f32 {
        self.paper.margins()[3]
    }

    fn bottom(&self) -> f32 {
        self.paper.size().1 - self.paper.margins()[2]
    }

    /// Start a new page unless `h` more points fit on this one.
    fn ensure(&mut self, h: f32) {
        let fresh = self.y <= self.paper.margins()[0] + 0.01;
        if self.y + h > self.bottom() && !fresh {
            self.new_page();
        }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        // A page always exists: one is made in `new`.
        let last = self.pages.len() - 1;
        &mut self.pages[last].ops
    }

    pub fn push(&mut self, block: &Block) -> Result<(), DocumentError> {
        let (x, width) = (self.left(), self.width());
        match block {
            Block::Para(p) => {
                for line in wrap(&p.spans, width, p.indent)? {
                    self.ensure(line.height);
                    let y = self.y;
                    draw_line(self.ops(), &line, x, width, p.align, y);
                    self.y += line.height;
                }
                // Paragraphs of the body breathe a little (not lines in cells).
                self.y += PARA_GAP;
            }
            Block::Table {
                widths,
                header,
                rows,
            } => self.table(widths, header, rows)?,
            Block::PageBreak => {
                if self.paper != Paper::Roll80 {
                    self.new_page();
                }
            }
            other => {
                let mut ops = Vec::new();
                let h = place(&mut ops, other, x, width, 0.0)?;
                self.ensure(h);
                let dy = self.y;
                let shifted = ops.into_iter().map(|op| shift(op, dy));
                self.ops().extend(shifted);
                self.y += h;
            }
        }
        Ok(())
    }

    fn table(
        &mut self,
        widths: &[f32],
        header: &[Cell],
        rows: &[Vec<Cell>],
    ) -> Result<(), DocumentError> {
        let (x, width) = (self.left(), self.width());
        let total: f32 = widths.iter().sum::<f32>().max(f32::EPSILON);
        let cols: Vec<f32> = widths.iter().map(|w| w / total * width).collect();
        let head = row_ops(header, &cols, x)?;
        let draw_header = |l: &mut Layout| {
            if header.is_empty() {
                return;
            }
            let dy = l.y;
            let ops: Vec<Op> = head.0.iter().cloned().map(|op| shift(op, dy)).collect();
            l.ops().extend(ops);
            l.y += head.1;
        };
        self.ensure(head.1 * 2.0);
        draw_header(self);
        for row in rows {
            let (ops, h) = row_ops(row, &cols, x)?;
            let before = self.pages.len();
            self.ensure(h);
            if self.pages.len() != before {
                draw_header(self);
            }
            let dy = self.y;
            let shifted: Vec<Op> = ops.into_iter().map(|op| shift(op, dy)).collect();
            self.ops().extend(shifted);
            self.y += h;
        }
        Ok(())
    }

    /// The pages; a roll's single page gets the length of its content.
    pub fn finish(mut self) -> Vec<Page> {
        if self.paper == Paper::Roll80 {
            let h = self.y + self.paper.margins()[2];
            for p in &mut self.pages {
                p.height = h;
            }
        }
        self.pages
    }
}

fn shift(op: Op, dy: f32) -> Op {
    match op {
        Op::Text {
            x,
            y,
            style,
            size,
            text,
        } => Op::Text {
            x,
            y: y + dy,
            style,
            size,
            text,
        },
        Op::Fill { x, y, w, h } => Op::Fill { x, y: y + dy, w, h },
        Op::Frame { x, y, w, h, width } => Op::Frame {
            x,
            y: y + dy,
            w,
            h,
            width,
        },
        Op::Line {
            x1,
            y1,
            x2,
            y2,
            width,
        } => Op::Line {
            x1,
            y1: y1 + dy,
            x2,
            y2: y2 + dy,
            width,
        },
    }
}

fn draw_line(ops: &mut Vec<Op>, line: &Line, x: f32, width: f32, align: Align, y: f32) {
    let dx = match align {
        Align::Left => 0.0,
        Align::Center => ((width - line.width) / 2.0).max(0.0),
        Align::Right => (width - line.width).max(0.0),
    };
    for (style, text, off) in &line.pieces {
        ops.push(Op::Text {
            x: x + dx + off,
            y: y + line.ascent,
            style: style.font,
            size: style.size,
            text: text.clone(),
        });
    }
}

const CELL_PAD: f32 = 3.0;
const PARA_GAP: f32 = 2.0;

/// One table row drawn at y = 0: its operations and height.
fn row_ops(cells: &[Cell], cols: &[f32], x: f32) -> Result<(Vec<Op>, f32), DocumentError> {
    let mut ops = Vec::new();
    let mut wrapped = Vec::with_capacity(cells.len());
    let mut h: f32 = 0.0;
    for (cell, w) in cells.iter().zip(cols) {
        let lines = wrap(&cell.spans, (w - 2.0 * CELL_PAD).max(1.0), cell.indent)?;
        h = h.max(lines.iter().map(|l| l.height).sum::<f32>() + 2.0 * CELL_PAD);
        wrapped.push(lines);
    }
    let mut cx = x;
    for ((cell, w), lines) in cells.iter().zip(cols).zip(wrapped) {
        let mut y = CELL_PAD;
        for line in &lines {
            draw_line(
                &mut ops,
                line,
                cx + CELL_PAD,
                w - 2.0 * CELL_PAD,
                cell.align,
                y,
            );
            y += line.height;
        }
        ops.push(Op::Frame {
            x: cx,
            y: 0.0,
            w: *w,
            h,
            width: 0.5,
        });
        cx += w;
    }
    Ok((ops, h))
}

/// Place a block that does not break across pages at (x, y); its height.
fn place(
    ops: &mut Vec<Op>,
    block: &Block,
    x: f32,
    width: f32,
    y: f32,
) -> Result<f32, DocumentError> {
    Ok(match block {
        Block::Para(p) => {
            let mut dy = 0.0;
            for line in wrap(&p.spans, width, p.indent)? {
                draw_line(ops, &line, x, width, p.align, y + dy);
                dy += line.height;
            }
            dy
        }
        Block::Space(h) => *h,
        Block::Rule(len) => {
            let x1 = x + ((width - len) / 2.0).max(0.0);
            ops.push(Op::Line {
                x1,
                y1: y + 1.0,
                x2: x1 + len.min(width),
                y2: y + 1.0,
                width: 0.6,
            });
            3.0
        }
        Block::Columns(cols) => {
            let total: f32 = cols.iter().map(|c| c.0).sum::<f32>().max(f32::EPSILON);
            let mut cx = x;
            let mut h: f32 = 0.0;
            for (frac, blocks) in cols {
                let cw = frac / total * width;
                let mut cy = 0.0;
                for b in blocks {
                    cy += place(ops, b, cx, cw, y + cy)?;
                }
                h = h.max(cy);
                cx += cw;
            }
            h
        }
        Block::Qr { data, size, align } => {
            let code =
                qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M)
                    .map_err(|e| DocumentError::Qr(e.to_string()))?;
            let n = code.width();
            // Two modules of quiet zone on each side.
            let module = size / (n as f32 + 4.0);
            let left = match align {
                Align::Left => x,
                Align::Center => x + ((width - size) / 2.0).max(0.0),
                Align::Right => x + (width - size).max(0.0),
            } + 2.0 * module;
            let colors = code.to_colors();
            for row in 0..n {
                let mut col = 0;
                while col < n {
                    if colors[row * n + col] == qrcode::Color::Dark {
                        let start = col;
                        while col < n && colors[row * n + col] == qrcode::Color::Dark {
                            col += 1;
                        }
                        // Runs of dark modules as one rectangle each.
                        ops.push(Op::Fill {
                            x: left + start as f32 * module,
                            y: y + (row as f32 + 2.0) * module,
                            w: (col - start) as f32 * module,
                            h: module,
                        });
                    } else {
                        col += 1;
                    }
                }
            }
            *size
        }
        Block::Table {
            widths,
            header,
            rows,
        } => {
            let total: f32 = widths.iter().sum::<f32>().max(f32::EPSILON);
            let cols: Vec<f32> = widths.iter().map(|w| w / total * width).collect();
            let mut dy = 0.0;
            for r in std::iter::once(header).chain(rows.iter()) {
                if r.is_empty() {
                    continue;
                }
                let (row, h) = row_ops(r, &cols, x)?;
                ops.extend(row.into_iter().map(|op| shift(op, y + dy)));
                dy += h;
            }
            dy
        }
        Block::PageBreak => 0.0,
    })
}

/// Lay blocks out on `paper`.
pub fn layout(paper: Paper, blocks: &[Block]) -> Result<Vec<Page>, DocumentError> {
    let mut l = Layout::new(paper);
    for b in blocks {
        l.push(b)?;
    }
    Ok(l.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.pieces.iter().map(|p| p.1.as_str()).collect())
            .collect()
    }

    #[test]
    fn wraps_at_words_and_never_overflows() {
        let style = Style::regular(12.0);
        let text =
            "Cộng hòa xã hội chủ nghĩa Việt Nam, độc lập tự do hạnh phúc, mọi người đều có quyền";
        let width = 150.0;
        let lines = wrap(&[Span::new(style, text)], width, 0.0).expect("wrap");
        assert!(lines.len() > 2, "{:?}", texts(&lines));
        for l in &lines {
            assert!(l.width <= width + 0.01, "{} > {width}", l.width);
        }
        let joined = texts(&lines).join(" ");
        assert_eq!(joined, text);
        // No line starts or ends with a space.
        for t in texts(&lines) {
            assert_eq!(t.trim(), t);
        }
    }

    #[test]
    fn long_words_are_cut_and_newlines_break() {
        let style = Style::regular(10.0);
        let url = "https://motcua.example.vn/tra-cuu?code=30112-260302-0007&key=7KQ2M9XH4P";
        let lines = wrap(&[Span::new(style, url)], 80.0, 0.0).expect("wrap");
        assert!(lines.len() > 1);
        assert_eq!(texts(&lines).concat(), url);
        let lines = wrap(&[Span::new(style, "một\nhai")], 500.0, 0.0).expect("wrap");
        assert_eq!(texts(&lines), vec!["một", "hai"]);
    }

    #[test]
    fn mixed_styles_keep_their_pieces_and_first_line_indent() {
        let lines = wrap(
            &[
                Span::new(Style::regular(12.0), "Tiếp nhận hồ sơ của: "),
                Span::new(Style::bold(12.0), "Nguyễn Thị Ánh Tuyết"),
            ],
            1000.0,
            20.0,
        )
        .expect("wrap");
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].pieces.len(), 2);
        assert_eq!(lines[0].pieces[0].2, 20.0);
        assert_eq!(lines[0].pieces[1].0.font, FontStyle::Bold);
        assert_eq!(lines[0].pieces[1].1, " Nguyễn Thị Ánh Tuyết");
    }

    #[test]
    fn decomposed_input_is_drawn_precomposed() {
        // "Hồ" typed with combining marks (NFD) becomes one glyph per letter.
        let s = Span::new(Style::regular(12.0), "Ho\u{302}\u{300}");
        assert_eq!(s.text, "Hồ");
    }

    #[test]
    fn typed_text_is_cleaned_before_drawing() {
        assert_eq!(
            clean("một\r\nhai\tba\u{200B}\u{A0}bốn\u{7}"),
            "một\nhai ba bốn "
        );
        let lines = wrap(
            &[Span::new(Style::regular(12.0), "Lý do:\r\nthiếu giấy tờ")],
            500.0,
            0.0,
        )
        .expect("a note typed in a textarea");
        assert_eq!(texts(&lines), vec!["Lý do:", "thiếu giấy tờ"]);
    }

    #[test]
    fn a_character_the_font_lacks_is_a_question_mark_not_a_failure() {
        let emoji = wrap(&[Span::new(Style::regular(12.0), "Hồ sơ 📄")], 300.0, 0.0)
            .expect("an emoji does not make the document fail");
        let question =
            wrap(&[Span::new(Style::regular(12.0), "Hồ sơ ?")], 300.0, 0.0).expect("plain");
        assert_eq!(
            format!("{emoji:?}").replace("📄", "?"),
            format!("{question:?}")
        );
    }

    #[test]
    fn every_character_typing_allows_has_a_glyph_in_every_style() {
        for style in crate::font::FontStyle::ALL {
            let f = crate::font::font(style).expect("font");
            let missing: Vec<char> = (0u32..0x3000)
                .filter_map(char::from_u32)
                .filter(|c| motcua_domain::text::is_printable(*c))
                .filter(|c| f.face.glyph_index(*c).is_none())
                .collect();
            assert!(missing.is_empty(), "{style:?} lacks {missing:?}");
        }
    }

    #[test]
    fn a_roll_is_as_long_as_its_content() {
        let short = layout(Paper::Roll80, &[Block::Space(50.0)]).expect("short");
        let long = layout(Paper::Roll80, &[Block::Space(500.0)]).expect("long");
        assert_eq!(short.len(), 1);
        assert!((long[0].height - short[0].height - 450.0).abs() < 0.01);
        assert!((short[0].width - 80.0 * MM).abs() < 0.01);
    }

    #[test]
    fn qr_squares_are_the_code_modules() {
        let data = "https://motcua.example.vn/tra-cuu?code=30112-260302-0007&key=7KQ2M9XH4P";
        let size = 100.0;
        let mut ops = Vec::new();
        let h = place(
            &mut ops,
            &Block::Qr {
                data: data.into(),
                size,
                align: Align::Left,
            },
            0.0,
            300.0,
            0.0,
        )
        .expect("qr");
        assert_eq!(h, size);
        let code = qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M)
            .expect("code");
        let n = code.width();
        let module = size / (n as f32 + 4.0);
        // Paint the drawn rectangles back onto a grid of modules.
        let mut grid = vec![qrcode::Color::Light; n * n];
        for op in &ops {
            let Op::Fill { x, y, w, h } = op else {
                panic!("only filled squares: {op:?}")
            };
            assert!((h - module).abs() < 1e-3);
            let row = (y / module - 2.0).round() as usize;
            let col = (x / module - 2.0).round() as usize;
            let len = (w / module).round() as usize;
            for c in col..col + len {
                grid[row * n + c] = qrcode::Color::Dark;
            }
        }
        assert_eq!(grid, code.to_colors());
    }

    #[test]
    fn long_tables_break_across_pages_with_their_header() {
        let c = Style::regular(10.0);
        let rows: Vec<Vec<Cell>> = (0..120)
            .map(|i| {
                vec![
                    Para::text(format!("{i}"), c, Align::Left),
                    Para::text("Hồ sơ", c, Align::Left),
                ]
            })
            .collect();
        let pages = layout(
            Paper::A4Portrait,
            &[Block::Table {
                widths: vec![1.0, 3.0],
                header: vec![
                    Para::text("STT", c, Align::Left),
                    Para::text("Tên", c, Align::Left),
                ],
                rows,
            }],
        )
        .expect("layout");
        assert!(pages.len() >= 2);
        for p in &pages {
            let has_header = p
                .ops
                .iter()
                .any(|op| matches!(op, Op::Text { text, .. } if text == "STT"));
            assert!(has_header);
        }
    }
}
