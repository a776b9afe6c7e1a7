//! A small PDF reader and incremental-update writer: enough to find the
//! trailer (classic cross-reference tables, following `/Prev`), the catalog
//! and the pages, to read and copy dictionaries, and to append new versions of
//! objects without touching the bytes already there — which is what a
//! signature requires. Cross-reference streams (PDF 1.5 compressed files) are
//! refused with a clear error.

use crate::{Result, SignError};
use std::collections::{HashMap, HashSet};

/// A PDF object, as far as this crate needs to read and rewrite it.
#[derive(Debug, Clone, PartialEq)]
pub enum Obj {
    Null,
    Bool(bool),
    Int(i64),
    /// Reals are kept as written, so a copy is exact.
    Real(String),
    Name(Vec<u8>),
    Str(Vec<u8>),
    Array(Vec<Obj>),
    Dict(Dict),
    Ref(u32, u16),
}

/// Dictionary entries in their order.
pub type Dict = Vec<(Vec<u8>, Obj)>;

pub fn get<'d>(dict: &'d Dict, key: &str) -> Option<&'d Obj> {
    dict.iter()
        .find(|(k, _)| k.as_slice() == key.as_bytes())
        .map(|(_, v)| v)
}

pub fn set(dict: &mut Dict, key: &str, value: Obj) {
    match dict
        .iter_mut()
        .find(|(k, _)| k.as_slice() == key.as_bytes())
    {
        Some(entry) => entry.1 = value,
        None => dict.push((key.as_bytes().to_vec(), value)),
    }
}

pub fn name(n: &str) -> Obj {
    Obj::Name(n.as_bytes().to_vec())
}

/// A text string: UTF-16BE with a byte-order mark, so Vietnamese shows right.
pub fn text(s: &str) -> Obj {
    let mut b = vec![0xfe, 0xff];
    for u in s.encode_utf16() {
        b.extend_from_slice(&u.to_be_bytes());
    }
    Obj::Str(b)
}

impl Obj {
    pub fn as_dict(&self) -> Option<&Dict> {
        match self {
            Obj::Dict(d) => Some(d),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Obj::Int(i) => Some(*i as f64),
            Obj::Real(r) => r.parse().ok(),
            _ => None,
        }
    }
}

fn bad(msg: impl Into<String>) -> SignError {
    SignError::Pdf(msg.into())
}

fn is_ws(b: u8) -> bool {
    matches!(b, 0 | 9 | 10 | 12 | 13 | 32)
}

fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

/// A cursor over the bytes of a PDF.
pub struct Lexer<'a> {
    pub data: &'a [u8],
    pub pos: usize,
}

const MAX_DEPTH: usize = 64;

impl<'a> Lexer<'a> {
    pub fn new(data: &'a [u8], pos: usize) -> Self {
        Lexer { data, pos }
    }

    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    pub fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            if is_ws(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(c) = self.peek() {
                    if c == b'\n' || c == b'\r' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// A bare word: a keyword or a number.
    pub fn token(&mut self) -> &'a [u8] {
        self.skip_ws();
        let start = self.pos;
        while let Some(b) = self.peek() {
            if is_ws(b) || is_delim(b) {
                break;
            }
            self.pos += 1;
        }
        &self.data[start..self.pos]
    }

    fn expect(&mut self, s: &[u8]) -> Result<()> {
        self.skip_ws();
        if self.data[self.pos.min(self.data.len())..].starts_with(s) {
            self.pos += s.len();
            Ok(())
        } else {
            Err(bad(format!(
                "cần \"{}\" ở vị trí {}",
                String::from_utf8_lossy(s),
                self.pos
            )))
        }
    }

    pub fn object(&mut self) -> Result<Obj> {
        self.object_at_depth(0)
    }

    fn object_at_depth(&mut self, depth: usize) -> Result<Obj> {
        if depth > MAX_DEPTH {
            return Err(bad("đối tượng lồng nhau quá sâu"));
        }
        self.skip_ws();
        let b = self.peek().ok_or_else(|| bad("hết tệp giữa chừng"))?;
        match b {
            b'<' if self.data.get(self.pos + 1) == Some(&b'<') => {
                self.pos += 2;
                let mut dict = Dict::new();
                loop {
                    self.skip_ws();
                    match self.peek() {
                        Some(b'>') => {
                            self.expect(b">>")?;
                            return Ok(Obj::Dict(dict));
                        }
                        Some(b'/') => {
                            let Obj::Name(key) = self.object_at_depth(depth + 1)? else {
                                return Err(bad("khóa từ điển không hợp lệ"));
                            };
                            let value = self.object_at_depth(depth + 1)?;
                            dict.push((key, value));
                        }
                        _ => return Err(bad(format!("từ điển hỏng ở vị trí {}", self.pos))),
                    }
                }
            }
            b'<' => {
                self.pos += 1;
                let mut digits = Vec::new();
                loop {
                    let c = self.peek().ok_or_else(|| bad("chuỗi hex không kết thúc"))?;
                    self.pos += 1;
                    match c {
                        b'>' => break,
                        c if c.is_ascii_hexdigit() => digits.push(c),
                        c if is_ws(c) => {}
                        _ => return Err(bad("chuỗi hex có ký tự lạ")),
                    }
                }
                if digits.len() % 2 == 1 {
                    digits.push(b'0');
                }
                Ok(Obj::Str(
                    digits
                        .chunks(2)
                        .map(|p| (hexval(p[0]) << 4) | hexval(p[1]))
                        .collect(),
                ))
            }
            b'(' => self.literal_string().map(Obj::Str),
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        return Ok(Obj::Array(items));
                    }
                    if self.peek().is_none() {
                        return Err(bad("mảng không kết thúc"));
                    }
                    items.push(self.object_at_depth(depth + 1)?);
                }
            }
            b'/' => {
                self.pos += 1;
                let start = self.pos;
                while let Some(c) = self.peek() {
                    if is_ws(c) || is_delim(c) {
                        break;
                    }
                    self.pos += 1;
                }
                let raw = &self.data[start..self.pos];
                let mut out = Vec::with_capacity(raw.len());
                let mut i = 0;
                while i < raw.len() {
                    if raw[i] == b'#'
                        && raw.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                        && raw.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
                    {
                        out.push((hexval(raw[i + 1]) << 4) | hexval(raw[i + 2]));
                        i += 3;
                    } else {
                        out.push(raw[i]);
                        i += 1;
                    }
                }
                Ok(Obj::Name(out))
            }
            _ => {
                let tok = self.token();
                match tok {
                    b"true" => Ok(Obj::Bool(true)),
                    b"false" => Ok(Obj::Bool(false)),
                    b"null" => Ok(Obj::Null),
                    _ => {
                        let s = std::str::from_utf8(tok).map_err(|_| bad("số không hợp lệ"))?;
                        if let Ok(n) = s.parse::<i64>() {
                            // `n g R` is a reference.
                            let save = self.pos;
                            if n >= 0 {
                                let g = self.token();
                                if let Ok(g) = std::str::from_utf8(g).unwrap_or("").parse::<u16>()
                                    && self.token() == b"R"
                                    && let Ok(id) = u32::try_from(n)
                                {
                                    return Ok(Obj::Ref(id, g));
                                }
                            }
                            self.pos = save;
                            Ok(Obj::Int(n))
                        } else if !s.is_empty()
                            && s.bytes().all(|c| c.is_ascii_digit() || b"+-.".contains(&c))
                            && s.parse::<f64>().is_ok()
                        {
                            Ok(Obj::Real(s.to_string()))
                        } else {
                            Err(bad(format!(
                                "từ khóa lạ \"{}\" ở vị trí {}",
                                String::from_utf8_lossy(&tok[..tok.len().min(20)]),
                                self.pos
                            )))
                        }
                    }
                }
            }
        }
    }

    fn literal_string(&mut self) -> Result<Vec<u8>> {
        self.pos += 1;
        let mut out = Vec::new();
        let mut depth = 1;
        loop {
            let c = self.peek().ok_or_else(|| bad("chuỗi không kết thúc"))?;
            self.pos += 1;
            match c {
                b'\\' => {
                    let e = self.peek().ok_or_else(|| bad("chuỗi không kết thúc"))?;
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push((v & 0xff) as u8);
                        }
                        other => out.push(other),
                    }
                }
                b'(' => {
                    depth += 1;
                    out.push(c);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(out);
                    }
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
    }
}

fn hexval(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

/// Serialize an object.
pub fn write(out: &mut Vec<u8>, obj: &Obj) {
    match obj {
        Obj::Null => out.extend_from_slice(b"null"),
        Obj::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Obj::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Obj::Real(r) => out.extend_from_slice(r.as_bytes()),
        Obj::Name(n) => {
            out.push(b'/');
            for &c in n {
                if c.is_ascii_graphic() && !is_delim(c) && c != b'#' {
                    out.push(c);
                } else {
                    out.extend_from_slice(format!("#{c:02X}").as_bytes());
                }
            }
        }
        Obj::Str(s) => {
            out.push(b'<');
            out.extend_from_slice(crate::hex(s).as_bytes());
            out.push(b'>');
        }
        Obj::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                write(out, item);
            }
            out.push(b']');
        }
        Obj::Dict(d) => {
            out.extend_from_slice(b"<<");
            for (k, v) in d {
                write(out, &Obj::Name(k.clone()));
                out.push(b' ');
                write(out, v);
            }
            out.extend_from_slice(b">>");
        }
        Obj::Ref(id, g) => out.extend_from_slice(format!("{id} {g} R").as_bytes()),
    }
}

/// A parsed PDF: where each object is, and the newest trailer.
pub struct Document<'a> {
    pub data: &'a [u8],
    offsets: HashMap<u32, (usize, u16)>,
    pub trailer: Dict,
    pub startxref: usize,
    pub size: u32,
}

fn find_last(data: &[u8], needle: &[u8]) -> Option<usize> {
    data.windows(needle.len()).rposition(|w| w == needle)
}

impl<'a> Document<'a> {
    pub fn parse(data: &'a [u8]) -> Result<Self> {
        if !data.starts_with(b"%PDF-") {
            return Err(bad("tệp không bắt đầu bằng %PDF-"));
        }
        let tail_start = data.len().saturating_sub(2048);
        let sx = find_last(&data[tail_start..], b"startxref")
            .map(|p| p + tail_start)
            .ok_or_else(|| bad("không tìm thấy startxref"))?;
        let mut lx = Lexer::new(data, sx + b"startxref".len());
        let startxref: usize = std::str::from_utf8(lx.token())
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("giá trị startxref không hợp lệ"))?;
        let mut offsets = HashMap::new();
        let mut trailer: Option<Dict> = None;
        let mut at = Some(startxref);
        let mut seen = HashSet::new();
        while let Some(pos) = at {
            if pos >= data.len() || !seen.insert(pos) {
                return Err(bad("chuỗi bảng tham chiếu (xref) hỏng"));
            }
            let mut lx = Lexer::new(data, pos);
            lx.skip_ws();
            if !data[lx.pos..].starts_with(b"xref") {
                return Err(SignError::XrefStream);
            }
            lx.pos += 4;
            loop {
                let save = lx.pos;
                let tok = lx.token();
                if tok == b"trailer" {
                    break;
                }
                let start: u32 = std::str::from_utf8(tok)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| bad(format!("bảng xref hỏng ở vị trí {save}")))?;
                let count: u32 = std::str::from_utf8(lx.token())
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| bad("bảng xref hỏng"))?;
                if count > 10_000_000 {
                    return Err(bad("bảng xref quá lớn"));
                }
                for i in 0..count {
                    let off = lx.token();
                    let gen_ = lx.token();
                    let kind = lx.token();
                    let off: usize = std::str::from_utf8(off)
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .ok_or_else(|| bad("dòng xref hỏng"))?;
                    let gen_: u16 = std::str::from_utf8(gen_)
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .ok_or_else(|| bad("dòng xref hỏng"))?;
                    // The newest section is read first and wins.
                    if kind == b"n" {
                        offsets.entry(start + i).or_insert((off, gen_));
                    } else if kind != b"f" {
                        return Err(bad("dòng xref hỏng"));
                    }
                }
            }
            let Obj::Dict(t) = lx.object()? else {
                return Err(bad("trailer không phải từ điển"));
            };
            at = match get(&t, "Prev") {
                Some(Obj::Int(p)) => Some(usize::try_from(*p).map_err(|_| bad("/Prev âm"))?),
                _ => None,
            };
            if trailer.is_none() {
                trailer = Some(t);
            }
        }
        let trailer = trailer.ok_or_else(|| bad("không có trailer"))?;
        if get(&trailer, "Encrypt").is_some() {
            // New objects would have to be encrypted too; refuse rather than corrupt.
            return Err(bad(
                "tệp PDF được mã hóa (có mật khẩu); hãy dùng bản không mã hóa",
            ));
        }
        let size = match get(&trailer, "Size") {
            Some(Obj::Int(n)) => u32::try_from(*n).map_err(|_| bad("/Size không hợp lệ"))?,
            _ => return Err(bad("trailer thiếu /Size")),
        };
        let max_id = offsets.keys().max().copied().unwrap_or(0);
        Ok(Document {
            data,
            offsets,
            trailer,
            startxref,
            size: size.max(max_id + 1),
        })
    }

    /// Object `id` (its dictionary if it is a stream).
    pub fn get(&self, id: u32) -> Result<Obj> {
        let (off, g) = *self.offsets.get(&id).ok_or_else(|| {
            bad(format!(
                "không có đối tượng {id} trong bảng xref (có thể nằm trong luồng đối tượng nén)"
            ))
        })?;
        let mut lx = Lexer::new(self.data, off);
        let n = lx.token();
        let gen_ = lx.token();
        if n != id.to_string().as_bytes() || gen_ != g.to_string().as_bytes() {
            return Err(bad(format!("bảng xref trỏ sai vị trí của đối tượng {id}")));
        }
        lx.expect(b"obj")?;
        lx.object()
    }

    /// Follow references (a few levels) to the object itself.
    pub fn resolve(&self, obj: &Obj) -> Result<Obj> {
        let mut cur = obj.clone();
        for _ in 0..8 {
            match cur {
                Obj::Ref(id, _) => cur = self.get(id)?,
                other => return Ok(other),
            }
        }
        Err(bad("tham chiếu vòng"))
    }

    pub fn dict(&self, obj: &Obj) -> Result<Dict> {
        match self.resolve(obj)? {
            Obj::Dict(d) => Ok(d),
            _ => Err(bad("cần một từ điển")),
        }
    }

    pub fn root_ref(&self) -> Result<(u32, u16)> {
        match get(&self.trailer, "Root") {
            Some(Obj::Ref(id, g)) => Ok((*id, *g)),
            _ => Err(bad("trailer thiếu /Root")),
        }
    }

    pub fn catalog(&self) -> Result<Dict> {
        let (id, _) = self.root_ref()?;
        self.dict(&Obj::Ref(id, 0))
    }

    /// The pages in order, as references.
    pub fn pages(&self) -> Result<Vec<(u32, u16)>> {
        let root = self.catalog()?;
        let top = get(&root, "Pages").ok_or_else(|| bad("danh mục thiếu /Pages"))?;
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        self.walk(top, &mut out, &mut seen, 0)?;
        if out.is_empty() {
            return Err(bad("tệp không có trang nào"));
        }
        Ok(out)
    }

    fn walk(
        &self,
        node: &Obj,
        out: &mut Vec<(u32, u16)>,
        seen: &mut HashSet<u32>,
        depth: usize,
    ) -> Result<()> {
        let Obj::Ref(id, g) = node else {
            return Err(bad("cây trang phải dùng tham chiếu"));
        };
        if depth > MAX_DEPTH || !seen.insert(*id) {
            return Err(bad("cây trang lặp vòng"));
        }
        let d = self.dict(node)?;
        match get(&d, "Type") {
            Some(Obj::Name(n)) if n == b"Pages" => {
                if let Some(Obj::Array(kids)) =
                    get(&d, "Kids").map(|k| self.resolve(k)).transpose()?
                {
                    for k in &kids {
                        self.walk(k, out, seen, depth + 1)?;
                    }
                }
                Ok(())
            }
            _ => {
                out.push((*id, *g));
                Ok(())
            }
        }
    }

    /// A page attribute, inherited from the page tree when the page lacks it.
    pub fn inherited(&self, page: &Dict, key: &str) -> Result<Option<Obj>> {
        let mut cur = page.clone();
        for _ in 0..MAX_DEPTH {
            if let Some(v) = get(&cur, key) {
                return Ok(Some(v.clone()));
            }
            match get(&cur, "Parent") {
                Some(p) => cur = self.dict(p)?,
                None => return Ok(None),
            }
        }
        Ok(None)
    }
}

/// New objects appended after the original bytes, with their own xref
/// section and a trailer pointing back (`/Prev`) to the previous one.
pub struct Update<'d, 'a> {
    doc: &'d Document<'a>,
    next_id: u32,
    objects: Vec<(u32, u16, Vec<u8>)>,
}

impl<'d, 'a> Update<'d, 'a> {
    pub fn new(doc: &'d Document<'a>) -> Self {
        Update {
            doc,
            next_id: doc.size,
            objects: Vec::new(),
        }
    }

    pub fn alloc(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Write a (new version of an) object.
    pub fn put(&mut self, id: u32, gen_: u16, obj: &Obj) {
        let mut body = Vec::new();
        write(&mut body, obj);
        self.objects.push((id, gen_, body));
    }

    /// Write a stream object: `dict` gets its `/Length`.
    pub fn put_stream(&mut self, id: u32, mut dict: Dict, data: &[u8]) {
        set(&mut dict, "Length", Obj::Int(data.len() as i64));
        let mut body = Vec::new();
        write(&mut body, &Obj::Dict(dict));
        body.extend_from_slice(b"\nstream\n");
        body.extend_from_slice(data);
        body.extend_from_slice(b"\nendstream");
        self.objects.push((id, 0, body));
    }

    /// Put raw bytes as the body of object `id` (for the signature dictionary).
    pub fn put_raw(&mut self, id: u32, body: Vec<u8>) {
        self.objects.push((id, 0, body));
    }

    /// The whole new file, and where each new object starts in it.
    pub fn finish(self) -> Result<(Vec<u8>, HashMap<u32, usize>)> {
        let mut out = self.doc.data.to_vec();
        if !out.ends_with(b"\n") {
            out.push(b'\n');
        }
        let mut where_ = HashMap::new();
        let mut entries = Vec::new();
        for (id, g, body) in &self.objects {
            let off = out.len();
            where_.insert(*id, off);
            entries.push((*id, *g, off));
            out.extend_from_slice(format!("{id} {g} obj\n").as_bytes());
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        }
        entries.sort();
        let xref_at = out.len();
        out.extend_from_slice(b"xref\n");
        for (id, g, off) in &entries {
            out.extend_from_slice(format!("{id} 1\n{off:010} {g:05} n\r\n").as_bytes());
        }
        let mut trailer = Dict::new();
        set(&mut trailer, "Size", Obj::Int(i64::from(self.next_id)));
        let (rid, rg) = self.doc.root_ref()?;
        set(&mut trailer, "Root", Obj::Ref(rid, rg));
        for key in ["Info", "ID"] {
            if let Some(v) = get(&self.doc.trailer, key) {
                set(&mut trailer, key, v.clone());
            }
        }
        set(&mut trailer, "Prev", Obj::Int(self.doc.startxref as i64));
        out.extend_from_slice(b"trailer\n");
        write(&mut out, &Obj::Dict(trailer));
        out.extend_from_slice(format!("\nstartxref\n{xref_at}\n%%EOF\n").as_bytes());
        Ok((out, where_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_objects_strings_and_references() {
        let src = b"<< /A 1 0 R /B [1 2.5 -3 (a\\(b\\)c) <48 49>] /C#20D true /E null >>";
        let obj = Lexer::new(src, 0).object().expect("parse");
        let d = obj.as_dict().expect("dict");
        assert_eq!(get(d, "A"), Some(&Obj::Ref(1, 0)));
        assert_eq!(
            get(d, "B"),
            Some(&Obj::Array(vec![
                Obj::Int(1),
                Obj::Real("2.5".into()),
                Obj::Int(-3),
                Obj::Str(b"a(b)c".to_vec()),
                Obj::Str(b"HI".to_vec()),
            ]))
        );
        assert_eq!(get(d, "C D"), Some(&Obj::Bool(true)));
        let mut out = Vec::new();
        write(&mut out, &obj);
        assert_eq!(Lexer::new(&out, 0).object().expect("again"), obj);
    }

    #[test]
    fn refuses_garbage_with_a_clear_error() {
        assert!(matches!(Document::parse(b"hello"), Err(SignError::Pdf(_))));
        assert!(Document::parse(b"%PDF-1.4\nstartxref\n999999\n%%EOF").is_err());
        let mut enc = crate::sample::pdf(&["x"]);
        let at = enc.windows(5).rposition(|w| w == b"/Info").expect("info");
        // The trailer follows the xref table, so offsets stay right.
        enc.splice(at..at + 5, b"/Encrypt".iter().copied());
        let e = Document::parse(&enc).err().map(|e| e.to_string());
        assert!(e.is_some_and(|m| m.contains("mã hóa")));
        let deep = "[".repeat(500);
        assert!(Lexer::new(deep.as_bytes(), 0).object().is_err());
    }

    #[test]
    fn finds_pages_and_appends_an_update() {
        let pdf = crate::sample::pdf(&["Một", "Hai"]);
        let doc = Document::parse(&pdf).expect("parse");
        assert_eq!(doc.pages().expect("pages").len(), 1);
        let mut up = Update::new(&doc);
        let id = up.alloc();
        up.put(id, 0, &Obj::Int(42));
        let (out, _) = up.finish().expect("finish");
        assert!(out.starts_with(&pdf));
        let again = Document::parse(&out).expect("reparse");
        assert_eq!(again.get(id).expect("new obj"), Obj::Int(42));
        assert_eq!(again.pages().expect("pages").len(), 1);
    }
}
