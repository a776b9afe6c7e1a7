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
}
