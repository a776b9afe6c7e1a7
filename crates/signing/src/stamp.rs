//! The verification stamp: a QR code to the public verification page and a
//! short text, drawn at the bottom of the last page by an incremental update
//! (a form XObject with its own font, so the page's resources only gain one
//! entry, and the page content wrapped in `q … Q` so its state cannot leak).

use crate::pdf::{Dict, Document, Obj, Update, get, name, set};
use crate::{Result, SignError};
use unicode_normalization::UnicodeNormalization;

/// Text for the standard PDF fonts (WinAnsi): Vietnamese without diacritics,
/// and PDF string escapes.
pub fn ascii(s: &str) -> String {
    let mut out = String::new();
    for c in s.nfd() {
        let c = match c {
            'đ' => 'd',
            'Đ' => 'D',
            c => c,
        };
        if ('\u{300}'..='\u{36f}').contains(&c) {
            continue;
        }
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_ascii_graphic() || c == ' ' => out.push(c),
            _ => out.push('?'),
        }
    }
    out
}

const QR_SIZE: f64 = 64.0;
const WIDTH: f64 = 360.0;

fn stamp_content(url: &str, lines: &[Vec<u8>]) -> Result<Vec<u8>> {
    let code = qrcode::QrCode::new(url.as_bytes())
        .map_err(|e| SignError::Pdf(format!("không tạo được mã QR: {e}")))?;
    let w = code.width();
    let m = QR_SIZE / w as f64;
    let mut c = String::new();
    c.push_str(&format!("1 1 1 rg 0 0 {WIDTH} {QR_SIZE} re f\n0 0 0 rg\n"));
    for y in 0..w {
        for x in 0..w {
            if code[(x, y)] == qrcode::Color::Dark {
                let px = x as f64 * m;
                let py = QR_SIZE - (y as f64 + 1.0) * m;
                c.push_str(&format!("{px:.3} {py:.3} {m:.3} {m:.3} re\n"));
            }
        }
    }
    c.push_str("f\nBT /F1 7 Tf 72 54 Td 9 TL\n");
    let mut out = c.into_bytes();
    for l in lines {
        // Glyph ids as a hex string: any byte value is safe there.
        out.push(b'<');
        for b in l {
            out.extend_from_slice(format!("{b:02X}").as_bytes());
        }
        out.extend_from_slice(b"> Tj T*\n");
    }
    out.extend_from_slice(b"ET\n");
    Ok(out)
}

/// The stamp's font objects (Type0 over a CIDFontType2 subset) in `up`;
/// returns the Type0 font's object id.
fn embed_font(up: &mut Update, t: &motcua_documents::stamp::SubsetText) -> u32 {
    let (type0, cid, descriptor, file, cmap) =
        (up.alloc(), up.alloc(), up.alloc(), up.alloc(), up.alloc());
    let real = |v: f32| Obj::Real(format!("{v:.2}"));
    let flate = || {
        let mut d = Dict::new();
        set(&mut d, "Filter", name("FlateDecode"));
        d
    };
    up.put_stream(file, flate(), &t.font_file);
    up.put_stream(cmap, flate(), &t.to_unicode);
    let mut fd = Dict::new();
    set(&mut fd, "Type", name("FontDescriptor"));
    set(&mut fd, "FontName", name(&t.base_font));
    // Serif (2) and non-symbolic (32).
    set(&mut fd, "Flags", Obj::Int(34));
    set(
        &mut fd,
        "FontBBox",
        Obj::Array(t.bbox.iter().map(|v| real(*v)).collect()),
    );
    set(&mut fd, "ItalicAngle", Obj::Int(0));
    set(&mut fd, "Ascent", real(t.ascent));
    set(&mut fd, "Descent", real(t.descent));
    set(&mut fd, "CapHeight", real(t.cap_height));
    set(&mut fd, "StemV", Obj::Int(80));
    set(&mut fd, "FontFile2", Obj::Ref(file, 0));
    up.put(descriptor, 0, &Obj::Dict(fd));
    let mut info = Dict::new();
    set(&mut info, "Registry", Obj::Str(b"Adobe".to_vec()));
    set(&mut info, "Ordering", Obj::Str(b"Identity".to_vec()));
    set(&mut info, "Supplement", Obj::Int(0));
    let mut cf = Dict::new();
    set(&mut cf, "Type", name("Font"));
    set(&mut cf, "Subtype", name("CIDFontType2"));
    set(&mut cf, "BaseFont", name(&t.base_font));
    set(&mut cf, "CIDSystemInfo", Obj::Dict(info));
    set(&mut cf, "FontDescriptor", Obj::Ref(descriptor, 0));
    set(&mut cf, "DW", Obj::Int(0));
    set(
        &mut cf,
        "W",
        Obj::Array(vec![
            Obj::Int(0),
            Obj::Array(t.widths.iter().map(|v| real(*v)).collect()),
        ]),
    );
    set(&mut cf, "CIDToGIDMap", name("Identity"));
    up.put(cid, 0, &Obj::Dict(cf));
    let mut f = Dict::new();
    set(&mut f, "Type", name("Font"));
    set(&mut f, "Subtype", name("Type0"));
    set(&mut f, "BaseFont", name(&t.base_font));
    set(&mut f, "Encoding", name("Identity-H"));
    set(
        &mut f,
        "DescendantFonts",
        Obj::Array(vec![Obj::Ref(cid, 0)]),
    );
    set(&mut f, "ToUnicode", Obj::Ref(cmap, 0));
    up.put(type0, 0, &Obj::Dict(f));
    type0
}

/// Draw the stamp on the last page of `pdf`; returns the updated file.
pub fn stamp(pdf: &[u8], url: &str, lines: &[&str]) -> Result<Vec<u8>> {
    let doc = Document::parse(pdf)?;
    let pages = doc.pages()?;
    let (pid, pgen) = *pages
        .last()
        .ok_or_else(|| SignError::Pdf("không có trang".into()))?;
    let mut page = doc.dict(&Obj::Ref(pid, pgen))?;
    let media = match doc.inherited(&page, "MediaBox")? {
        Some(m) => match doc.resolve(&m)? {
            Obj::Array(a) if a.len() == 4 => a.iter().filter_map(Obj::as_f64).collect::<Vec<_>>(),
            _ => vec![0.0, 0.0, 595.0, 842.0],
        },
        None => vec![0.0, 0.0, 595.0, 842.0],
    };
    let (x0, y0) = (
        media.first().copied().unwrap_or(0.0),
        media.get(1).copied().unwrap_or(0.0),
    );
    let mut resources = match doc.inherited(&page, "Resources")? {
        Some(r) => doc.dict(&r)?,
        None => Dict::new(),
    };
    let mut xobjects = match get(&resources, "XObject") {
        Some(x) => doc.dict(x)?,
        None => Dict::new(),
    };
    let mut up = Update::new(&doc);
    let form = up.alloc();
    let open = up.alloc();
    let close = up.alloc();
    let key = format!("MotcuaStamp{form}");
    set(&mut xobjects, &key, Obj::Ref(form, 0));
    set(&mut resources, "XObject", Obj::Dict(xobjects));
    let all: Vec<&str> = lines.iter().copied().chain(std::iter::once(url)).collect();
    let text = motcua_documents::stamp::subset_text(&all)
        .map_err(|e| SignError::Pdf(format!("không nhúng được phông chữ: {e}")))?;
    let font = embed_font(&mut up, &text);
    let mut fonts = Dict::new();
    set(&mut fonts, "F1", Obj::Ref(font, 0));
    let mut form_res = Dict::new();
    set(&mut form_res, "Font", Obj::Dict(fonts));
    let mut form_dict = Dict::new();
    set(&mut form_dict, "Type", name("XObject"));
    set(&mut form_dict, "Subtype", name("Form"));
    set(
        &mut form_dict,
        "BBox",
        Obj::Array(vec![
            Obj::Int(0),
            Obj::Int(0),
            Obj::Int(WIDTH as i64),
            Obj::Int(QR_SIZE as i64),
        ]),
    );
    set(&mut form_dict, "Resources", Obj::Dict(form_res));
    up.put_stream(form, form_dict, &stamp_content(url, &text.lines)?);
    up.put_stream(open, Dict::new(), b"q");
    let draw = format!(
        "Q q 1 0 0 1 {:.2} {:.2} cm /{key} Do Q",
        x0 + 24.0,
        y0 + 16.0
    );
    up.put_stream(close, Dict::new(), draw.as_bytes());
    let mut contents = vec![Obj::Ref(open, 0)];
    match get(&page, "Contents").cloned() {
        Some(Obj::Array(items)) => contents.extend(items),
        Some(r @ Obj::Ref(..)) => match doc.resolve(&r)? {
            // An indirect array of streams, or one stream.
            Obj::Array(items) => contents.extend(items),
            _ => contents.push(r),
        },
        _ => {}
    }
    contents.push(Obj::Ref(close, 0));
    set(&mut page, "Contents", Obj::Array(contents));
    set(&mut page, "Resources", Obj::Dict(resources));
    up.put(pid, pgen, &Obj::Dict(page));
    Ok(up.finish()?.0)
}
