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

fn stamp_content(url: &str, lines: &[&str]) -> Result<Vec<u8>> {
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
    for l in lines.iter().chain(std::iter::once(&url)) {
        c.push_str(&format!("({}) Tj T*\n", ascii(l)));
    }
    c.push_str("ET\n");
    Ok(c.into_bytes())
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
    let mut font = Dict::new();
    set(&mut font, "Type", name("Font"));
    set(&mut font, "Subtype", name("Type1"));
    set(&mut font, "BaseFont", name("Helvetica"));
    set(&mut font, "Encoding", name("WinAnsiEncoding"));
    let mut fonts = Dict::new();
    set(&mut fonts, "F1", Obj::Dict(font));
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
    up.put_stream(form, form_dict, &stamp_content(url, lines)?);
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
