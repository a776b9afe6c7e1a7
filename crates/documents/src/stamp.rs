//! The embedded font for a few lines drawn onto someone else's PDF (the
//! signature stamp): a subset of DejaVu Serif holding only the glyphs used,
//! its widths and its ToUnicode map, ready for the caller to write as a
//! CID font (Identity-H). Vietnamese is drawn with every diacritic, and a
//! text extractor reads the letters back.

use crate::DocumentError;
use crate::font::{FontStyle, font};
use std::collections::BTreeMap;
use subsetter::GlyphRemapper;
use unicode_normalization::UnicodeNormalization;

/// A subset font and the lines encoded in it.
#[derive(Debug, Clone)]
pub struct SubsetText {
    /// The font's PDF name, with its subset tag.
    pub base_font: String,
    /// Each line as 2-byte glyph ids (Identity-H).
    pub lines: Vec<Vec<u8>>,
    /// Advances of glyphs 0, 1, 2… in thousandths of the font size.
    pub widths: Vec<f32>,
    /// The subset TrueType file, zlib-compressed (FlateDecode).
    pub font_file: Vec<u8>,
    /// The ToUnicode CMap, zlib-compressed.
    pub to_unicode: Vec<u8>,
    /// Font bounding box, ascent, descent, cap height (glyph space).
    pub bbox: [f32; 4],
    pub ascent: f32,
    pub descent: f32,
    pub cap_height: f32,
}

/// Encode `lines` in a subset of the regular face.
pub fn subset_text(lines: &[&str]) -> Result<SubsetText, DocumentError> {
    let style = FontStyle::Regular;
    let f = font(style)?;
    let mut remapper = GlyphRemapper::new();
    let mut to_unicode = BTreeMap::new();
    let mut encoded = Vec::with_capacity(lines.len());
    for line in lines {
        let mut out = Vec::with_capacity(line.len() * 2);
        for c in line.nfc() {
            let new = remapper.remap(f.glyph(c, style)?);
            to_unicode.entry(new).or_insert(c);
            out.extend_from_slice(&new.to_be_bytes());
        }
        encoded.push(out);
    }
    let widths = remapper
        .remapped_gids()
        .map(|old| f.advance_units(old))
        .collect();
    let subset = subsetter::subset(f.data, 0, &remapper)
        .map_err(|e| DocumentError::Subset(e.to_string()))?;
    let deflate = |d: &[u8]| miniz_oxide::deflate::compress_to_vec_zlib(d, 1);
    let bbox = f.face.global_bounding_box();
    Ok(SubsetText {
        base_font: format!("MCSTMP+{}", style.postscript_name()),
        lines: encoded,
        widths,
        font_file: deflate(&subset),
        to_unicode: deflate(&crate::pdf::to_unicode_cmap(&to_unicode)),
        bbox: [
            f.scale(bbox.x_min),
            f.scale(bbox.y_min),
            f.scale(bbox.x_max),
            f.scale(bbox.y_max),
        ],
        ascent: f.scale(f.face.ascender()),
        descent: f.scale(f.face.descender()),
        cap_height: f.scale(f.face.capital_height().unwrap_or(f.face.ascender())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_letter_is_one_glyph_and_repeats_reuse_it() {
        let t = subset_text(&["Người ký", "ký"]).expect("subset");
        assert_eq!(t.lines[0].len(), 2 * "Người ký".chars().count());
        // "ký" again: the same two glyphs as at the end of the first line.
        assert_eq!(t.lines[1], t.lines[0][t.lines[0].len() - 4..]);
        // Glyph 0 (.notdef) and one per distinct letter, space included.
        assert_eq!(t.widths.len(), 1 + 8);
        assert!(!t.font_file.is_empty() && !t.to_unicode.is_empty());
    }
}
