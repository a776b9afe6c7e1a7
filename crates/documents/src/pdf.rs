//! Pages of drawing operations and their serialization to PDF: fonts are
//! subset per document and embedded as CID fonts (Identity-H) with a
//! ToUnicode map, so text extracted from the file is the Vietnamese text
//! that was drawn.

use crate::DocumentError;
use crate::font::{FontStyle, font};
use pdf_writer::Filter;
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use std::collections::BTreeMap;
use subsetter::GlyphRemapper;

/// One drawing operation; `y` is measured from the top of the page, so a
/// page whose height is known only at the end (a receipt roll) can be laid
/// out first.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Text whose baseline starts at (x, y).
    Text {
        x: f32,
        y: f32,
        style: FontStyle,
        size: f32,
        text: String,
    },
    /// A filled rectangle (top-left corner).
    Fill { x: f32, y: f32, w: f32, h: f32 },
    /// A stroked rectangle (top-left corner).
    Frame {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        width: f32,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
    },
}

/// A page: its size in points and what is drawn on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub width: f32,
    pub height: f32,
    pub ops: Vec<Op>,
}

/// Glyphs of one font used by a document: old → new glyph ids, and the
/// character each new id stands for (for the ToUnicode map).
struct FontUse {
    remapper: GlyphRemapper,
    to_unicode: BTreeMap<u16, char>,
}

impl FontUse {
    fn new() -> Self {
        FontUse {
            remapper: GlyphRemapper::new(),
            to_unicode: BTreeMap::new(),
        }
    }
}

fn resource_name(style: FontStyle) -> Name<'static> {
    match style {
        FontStyle::Regular => Name(b"F0"),
        FontStyle::Bold => Name(b"F1"),
        FontStyle::Italic => Name(b"F2"),
    }
}

/// Encode text as 2-byte new glyph ids, recording what each glyph means.
fn encode(text: &str, style: FontStyle, uses: &mut [FontUse; 3]) -> Result<Vec<u8>, DocumentError> {
    let f = font(style)?;
    let u = &mut uses[style as usize];
    let mut out = Vec::with_capacity(text.len() * 2);
    for c in text.chars() {
        let old = f.glyph(c, style)?;
        let new = u.remapper.remap(old);
        u.to_unicode.entry(new).or_insert(c);
        out.extend_from_slice(&new.to_be_bytes());
    }
    Ok(out)
}

const SYSTEM_INFO: SystemInfo = SystemInfo {
    registry: Str(b"Adobe"),
    ordering: Str(b"Identity"),
    supplement: 0,
};

/// The ToUnicode map of a font's used glyphs.
pub(crate) fn to_unicode_cmap(map: &BTreeMap<u16, char>) -> Vec<u8> {
    let mut cmap = UnicodeCmap::new(Name(b"Custom"), SYSTEM_INFO);
    for (gid, c) in map {
        cmap.pair(*gid, *c);
    }
    cmap.finish().to_vec()
}

/// Fast compression: level 1 is several times quicker than the default for
/// a few per cent more bytes.
fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 1)
}

/// Serialize pages to a PDF file.
pub fn write(pages: &[Page], title: &str) -> Result<Vec<u8>, DocumentError> {
    let mut uses = [FontUse::new(), FontUse::new(), FontUse::new()];
    let mut contents = Vec::with_capacity(pages.len());
    for page in pages {
        let mut c = Content::new();
        for op in &page.ops {
            match op {
                Op::Text {
                    x,
                    y,
                    style,
                    size,
                    text,
                } => {
                    let bytes = encode(text, *style, &mut uses)?;
                    c.begin_text();
                    c.set_font(resource_name(*style), *size);
                    c.set_text_matrix([1.0, 0.0, 0.0, 1.0, *x, page.height - *y]);
                    c.show(Str(&bytes));
                    c.end_text();
                }
                Op::Fill { x, y, w, h } => {
                    c.rect(*x, page.height - *y - *h, *w, *h);
                    c.fill_nonzero();
                }
                Op::Frame { x, y, w, h, width } => {
                    c.set_line_width(*width);
                    c.rect(*x, page.height - *y - *h, *w, *h);
                    c.stroke();
                }
                Op::Line {
                    x1,
                    y1,
                    x2,
                    y2,
                    width,
                } => {
                    c.set_line_width(*width);
                    c.move_to(*x1, page.height - *y1);
                    c.line_to(*x2, page.height - *y2);
                    c.stroke();
                }
            }
        }
        contents.push(c.finish());
    }

    let mut next = 1;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let catalog = alloc();
    let tree = alloc();
    let info = alloc();
    let page_refs: Vec<(Ref, Ref)> = pages.iter().map(|_| (alloc(), alloc())).collect();
    let font_refs: Vec<[Ref; 5]> = FontStyle::ALL
        .iter()
        .map(|_| [alloc(), alloc(), alloc(), alloc(), alloc()])
        .collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_refs.iter().map(|(p, _)| *p))
        .count(pages.len() as i32);
    pdf.document_info(info)
        .title(TextStr(title))
        .producer(TextStr("motcua"));
    for ((page, content), (page_ref, content_ref)) in pages.iter().zip(&contents).zip(&page_refs) {
        let mut p = pdf.page(*page_ref);
        p.media_box(Rect::new(0.0, 0.0, page.width, page.height));
        p.parent(tree);
        p.contents(*content_ref);
        let mut res = p.resources();
        let mut fonts = res.fonts();
        for (style, refs) in FontStyle::ALL.iter().zip(&font_refs) {
            if !uses[*style as usize].to_unicode.is_empty() {
                fonts.pair(resource_name(*style), refs[0]);
            }
        }
        fonts.finish();
        res.finish();
        p.finish();
        pdf.stream(*content_ref, &deflate(content))
            .filter(Filter::FlateDecode);
    }

    for (i, (style, refs)) in FontStyle::ALL.iter().zip(&font_refs).enumerate() {
        let u = &uses[*style as usize];
        if u.to_unicode.is_empty() {
            continue;
        }
        let f = font(*style)?;
        let [type0, cid, descriptor, file, cmap] = *refs;
        // A subset font's name carries a six-letter tag of its own.
        let base = format!(
            "MCDOC{}+{}",
            (b'A' + i as u8) as char,
            style.postscript_name()
        );
        let base = Name(base.as_bytes());
        pdf.type0_font(type0)
            .base_font(base)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid)
            .to_unicode(cmap);
        let widths: Vec<f32> = u
            .remapper
            .remapped_gids()
            .map(|old| f.advance_units(old))
            .collect();
        let mut c = pdf.cid_font(cid);
        c.subtype(CidFontType::Type2)
            .base_font(base)
            .system_info(SYSTEM_INFO)
            .font_descriptor(descriptor)
            .default_width(0.0)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        c.widths().consecutive(0, widths);
        c.finish();
        let bbox = f.face.global_bounding_box();
        let mut flags = FontFlags::SERIF | FontFlags::NON_SYMBOLIC;
        if *style == FontStyle::Italic {
            flags |= FontFlags::ITALIC;
        }
        pdf.font_descriptor(descriptor)
            .name(base)
            .flags(flags)
            .bbox(Rect::new(
                f.scale(bbox.x_min),
                f.scale(bbox.y_min),
                f.scale(bbox.x_max),
                f.scale(bbox.y_max),
            ))
            .italic_angle(f.face.italic_angle())
            .ascent(f.scale(f.face.ascender()))
            .descent(f.scale(f.face.descender()))
            .cap_height(f.scale(f.face.capital_height().unwrap_or(f.face.ascender())))
            .stem_v(if *style == FontStyle::Bold {
                140.0
            } else {
                80.0
            })
            .font_file2(file);
        let subset = subsetter::subset(f.data, 0, &u.remapper)
            .map_err(|e| DocumentError::Subset(e.to_string()))?;
        pdf.stream(file, &deflate(&subset))
            .filter(Filter::FlateDecode);
        pdf.cmap(cmap, &deflate(&to_unicode_cmap(&u.to_unicode)))
            .filter(Filter::FlateDecode);
    }
    Ok(pdf.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_unicode_maps_each_glyph_to_its_letter() {
        let mut uses = [FontUse::new(), FontUse::new(), FontUse::new()];
        let bytes = encode("Đồng Tháp ồ", FontStyle::Regular, &mut uses).expect("encode");
        // Two bytes per character; the repeated letter reuses its glyph id.
        assert_eq!(bytes.len(), 11 * 2);
        assert_eq!(bytes[2..4], bytes[20..22]);
        let map = &uses[FontStyle::Regular as usize].to_unicode;
        let gid = u16::from_be_bytes([bytes[0], bytes[1]]);
        assert_eq!(map.get(&gid), Some(&'Đ'));
        let gid = u16::from_be_bytes([bytes[2], bytes[3]]);
        assert_eq!(map.get(&gid), Some(&'ồ'));
        let cmap = String::from_utf8_lossy(&to_unicode_cmap(map)).to_string();
        // "ồ" is U+1ED3: the map says so in hex, glyph → UTF-16.
        assert!(cmap.contains(&format!("<{gid:04X}> <1ED3>")), "{cmap}");
        assert!(cmap.contains("beginbfchar") || cmap.contains("beginbfrange"));
    }

    #[test]
    fn writes_a_pdf_with_embedded_subset_fonts() {
        let page = Page {
            width: 200.0,
            height: 100.0,
            ops: vec![Op::Text {
                x: 10.0,
                y: 50.0,
                style: FontStyle::Bold,
                size: 12.0,
                text: "Việt Nam".into(),
            }],
        };
        let pdf = write(&[page], "Thử").expect("pdf");
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/FontFile2"));
        assert!(text.contains("MCDOCB+DejaVuSerif-Bold"));
        assert!(
            !text.contains("DejaVuSerif-Italic"),
            "unused faces are not embedded"
        );
    }
}
