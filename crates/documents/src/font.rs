//! The embedded fonts: DejaVu Serif regular, bold and italic. They cover
//! every precomposed Vietnamese letter, and their licence allows shipping
//! them inside the binary and the PDFs.

use crate::DocumentError;
use std::sync::OnceLock;

/// Which of the embedded faces a run of text uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FontStyle {
    Regular,
    Bold,
    Italic,
}

impl FontStyle {
    pub const ALL: [FontStyle; 3] = [FontStyle::Regular, FontStyle::Bold, FontStyle::Italic];

    fn data(self) -> &'static [u8] {
        match self {
            FontStyle::Regular => include_bytes!("../fonts/DejaVuSerif.ttf"),
            FontStyle::Bold => include_bytes!("../fonts/DejaVuSerif-Bold.ttf"),
            FontStyle::Italic => include_bytes!("../fonts/DejaVuSerif-Italic.ttf"),
        }
    }

    pub(crate) fn postscript_name(self) -> &'static str {
        match self {
            FontStyle::Regular => "DejaVuSerif",
            FontStyle::Bold => "DejaVuSerif-Bold",
            FontStyle::Italic => "DejaVuSerif-Italic",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A parsed face over the embedded bytes.
pub(crate) struct Font {
    pub data: &'static [u8],
    pub face: ttf_parser::Face<'static>,
    pub upem: f32,
}

impl Font {
    /// The glyph of `c`. A character the font lacks (input checks refuse
    /// them, but a dossier stored before may hold one) is drawn as a visible
    /// "?", never as an empty box, and never makes the document fail.
    pub fn glyph(&self, c: char, style: FontStyle) -> Result<u16, DocumentError> {
        if let Some(g) = self.face.glyph_index(c) {
            return Ok(g.0);
        }
        self.face
            .glyph_index('?')
            .map(|g| g.0)
            .ok_or(DocumentError::MissingGlyph {
                ch: c,
                font: style.postscript_name(),
            })
    }

    /// Advance of a glyph in thousandths of the font size (PDF glyph space).
    pub fn advance_units(&self, glyph: u16) -> f32 {
        let adv = self
            .face
            .glyph_hor_advance(ttf_parser::GlyphId(glyph))
            .unwrap_or(0);
        f32::from(adv) * 1000.0 / self.upem
    }

    /// Scale font units to thousandths of the font size.
    pub fn scale(&self, v: i16) -> f32 {
        f32::from(v) * 1000.0 / self.upem
    }
}

static FONTS: [OnceLock<Option<Font>>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];

/// The parsed font of a style (parsed once per process).
pub(crate) fn font(style: FontStyle) -> Result<&'static Font, DocumentError> {
    FONTS[style.index()]
        .get_or_init(|| {
            let data = style.data();
            ttf_parser::Face::parse(data, 0).ok().map(|face| Font {
                data,
                upem: f32::from(face.units_per_em()),
                face,
            })
        })
        .as_ref()
        .ok_or(DocumentError::Font(style.postscript_name()))
}

/// Width of `text` in points at `size`, failing on a character the font lacks.
pub fn text_width(text: &str, style: FontStyle, size: f32) -> Result<f32, DocumentError> {
    let f = font(style)?;
    let mut units = 0.0;
    for c in text.chars() {
        units += f.advance_units(f.glyph(c, style)?);
    }
    Ok(units * size / 1000.0)
}
