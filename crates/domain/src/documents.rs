//! Uploaded documents: the kinds we accept, told by content, not by name.

/// Media types accepted for scanned papers.
pub const ACCEPTED: [&str; 3] = ["application/pdf", "image/jpeg", "image/png"];

/// The media type of a file from its first bytes, if it is one we accept.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else {
        None
    }
}

/// Largest image we accept: a scan at 600 dpi of an A3 page is about
/// 7000 × 10000; anything much larger is a decompression bomb.
pub const MAX_PIXELS: u64 = 80_000_000;
pub const MAX_SIDE: u32 = 20_000;

/// Width and height of a PNG or JPEG, read from its header only.
pub fn image_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        // The IHDR chunk comes first: width and height at bytes 16..24.
        let w = u32::from_be_bytes(bytes.get(16..20)?.try_into().ok()?);
        let h = u32::from_be_bytes(bytes.get(20..24)?.try_into().ok()?);
        return Some((w, h));
    }
    if bytes.starts_with(&[0xFF, 0xD8]) {
        // Walk the segments to the first start-of-frame marker.
        let mut i = 2usize;
        while i + 4 <= bytes.len() {
            if bytes[i] != 0xFF {
                return None;
            }
            let marker = bytes[i + 1];
            if marker == 0xFF {
                i += 1;
                continue;
            }
            let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
            let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
            if is_sof {
                let h = u16::from_be_bytes([*bytes.get(i + 5)?, *bytes.get(i + 6)?]);
                let w = u16::from_be_bytes([*bytes.get(i + 7)?, *bytes.get(i + 8)?]);
                return Some((u32::from(w), u32::from(h)));
            }
            if len < 2 {
                return None;
            }
            i = i.checked_add(2 + len)?;
        }
    }
    None
}

/// Why an image is refused, if it is: no readable size, or too many pixels.
pub fn check_image(bytes: &[u8]) -> Result<(), &'static str> {
    match image_size(bytes) {
        None => Err("Không đọc được kích thước ảnh (tệp hỏng?)"),
        Some((w, h))
            if w == 0
                || h == 0
                || w > MAX_SIDE
                || h > MAX_SIDE
                || u64::from(w) * u64::from(h) > MAX_PIXELS =>
        {
            Err("Ảnh quá lớn: tối đa 20.000 điểm ảnh mỗi chiều và 80 triệu điểm ảnh")
        }
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sniffs_by_content() {
        assert_eq!(super::sniff(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(super::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(super::sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(super::sniff(b"GIF89a"), None);
        assert_eq!(super::sniff(b"<html>%PDF-"), None);
        assert_eq!(super::sniff(b""), None);
    }

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        v.extend_from_slice(&w.to_be_bytes());
        v.extend_from_slice(&h.to_be_bytes());
        v.extend_from_slice(&[8, 2, 0, 0, 0]);
        v
    }

    fn jpeg(w: u16, h: u16) -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, b'J', b'F'];
        v.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08]);
        v.extend_from_slice(&h.to_be_bytes());
        v.extend_from_slice(&w.to_be_bytes());
        v.extend_from_slice(&[3, 1, 0x22, 0]);
        v
    }

    #[test]
    fn image_sizes_come_from_headers() {
        assert_eq!(super::image_size(&png(1200, 1600)), Some((1200, 1600)));
        assert_eq!(super::image_size(&jpeg(3000, 4000)), Some((3000, 4000)));
        assert!(super::check_image(&png(1200, 1600)).is_ok());
        assert!(
            super::check_image(&png(100_000, 100_000)).is_err(),
            "decompression bomb"
        );
        assert!(
            super::check_image(&png(15_000, 15_000)).is_err(),
            "225 megapixels"
        );
        assert!(super::check_image(&png(0, 10)).is_err());
        assert!(super::check_image(b"\xFF\xD8\xFF").is_err(), "truncated");
    }
}
