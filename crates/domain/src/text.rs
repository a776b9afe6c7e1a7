//! Vietnamese text at the boundary: NFC for storage, a folded form for search.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// NFC-normalize and trim: input methods send NFC or NFD, we store NFC.
pub fn nfc(s: &str) -> String {
    s.trim().nfc().collect()
}

/// Fold for search: strip diacritics, map đ/Đ to d, lowercase, collapse spaces.
/// "Đăng ký khai sinh" and "dang ky khai sinh" fold to the same string.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        let c = match c {
            'đ' | 'Đ' => 'd',
            c => c,
        };
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// Show a person's name in public without revealing it: initials of the
/// family and middle names, the given name (last word) kept. "Nguyễn Văn An" → "N. V. An".
pub fn mask_name(full_name: &str) -> String {
    let words: Vec<&str> = full_name.split_whitespace().collect();
    let Some((last, rest)) = words.split_last() else {
        return String::new();
    };
    let mut out = String::new();
    for w in rest {
        if let Some(c) = w.nfc().next() {
            out.push(c);
            out.push_str(". ");
        }
    }
    out.push_str(last);
    out
}

/// Money in VND as Vietnamese write it: "1.500.000 ₫".
pub fn format_vnd(amount: u64) -> String {
    let digits = amount.to_string();
    let mut out = String::with_capacity(digits.len() + 6);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out.push_str(" ₫");
    out
}

/// One CSV field, always quoted; a leading =, +, - or @ is escaped so a
/// spreadsheet never runs it as a formula (names and notes are typed by people).
pub fn csv_field(f: &str) -> String {
    let safe = if f.starts_with(['=', '+', '-', '@']) {
        format!("'{f}")
    } else {
        f.to_string()
    };
    format!("\"{}\"", safe.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_quotes_and_defuses_formulas() {
        use super::csv_field;
        assert_eq!(csv_field("a\"b"), "\"a\"\"b\"");
        assert_eq!(csv_field("=1+1"), "\"'=1+1\"");
        assert_eq!(csv_field("-2"), "\"'-2\"");
        assert_eq!(csv_field("Nguyễn Văn A"), "\"Nguyễn Văn A\"");
    }
    use super::*;

    #[test]
    fn fold_ignores_diacritics_and_d() {
        assert_eq!(fold("Đăng ký  khai sinh"), "dang ky khai sinh");
        assert_eq!(fold("dang ky khai sinh"), "dang ky khai sinh");
        // NFD input folds the same as NFC.
        let nfd: String = "Đăng ký kết hôn".nfd().collect();
        assert_eq!(fold(&nfd), "dang ky ket hon");
    }

    #[test]
    fn nfc_normalizes_decomposed_input() {
        let nfd: String = "Nguyễn".nfd().collect();
        assert_ne!(nfd, "Nguyễn");
        assert_eq!(nfc(&nfd), "Nguyễn");
    }

    #[test]
    fn masks_names_keeping_given_name() {
        assert_eq!(mask_name("Nguyễn Văn An"), "N. V. An");
        assert_eq!(mask_name("  Lê   Thị Hồng  Đào "), "L. T. H. Đào");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn formats_vnd() {
        assert_eq!(format_vnd(1_500_000), "1.500.000 ₫");
        assert_eq!(format_vnd(8000), "8.000 ₫");
        assert_eq!(format_vnd(0), "0 ₫");
    }
}
