//! Vietnamese text at the boundary: NFC for storage, a folded form for search.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// NFC-normalize and trim: input methods send NFC or NFD, we store NFC.
pub fn nfc(s: &str) -> String {
    s.trim().nfc().collect()
}

/// Invisible characters that reorder text (bidi embeddings, overrides,
/// isolates, marks) or hide in it (zero-width): stripped from what people type,
/// so U+202E cannot make a name read backwards on a page or a form.
pub fn is_invisible_control(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Characters the official documents can print (the embedded DejaVu Serif
/// covers all of them: `crates/documents` tests every one, in each style).
/// Text outside this set is refused where it is typed, so no dossier makes
/// a receipt or a register unprintable.
pub fn is_printable(c: char) -> bool {
    matches!(c,
        ' '..='~'
        | '\u{A0}'..='\u{24F}'     // Latin-1, Latin Extended-A and -B
        | '\u{300}'..='\u{33F}'    // combining diacritics
        | '\u{1E00}'..='\u{1EFB}'  // Latin Extended Additional (Vietnamese)
        | '\u{2010}'..='\u{2026}'  // dashes, quotes, bullets, ellipsis
        | '\u{2030}'..='\u{203A}'  // per mille, primes, angle quotes
        | '\u{20AC}'                // €
        | '\u{2116}'                // №
    ) && !is_invisible_control(c)
}

/// Typed text made safe to keep and print: NFC, trimmed, invisible controls
/// dropped; the first character the documents cannot print is refused.
pub fn printable_text(raw: &str) -> Result<String, char> {
    let cleaned: String = raw.chars().filter(|c| !is_invisible_control(*c)).collect();
    let text = nfc(&cleaned);
    match text
        .chars()
        .find(|c| !is_printable(*c) && *c != '\n' && *c != '\r' && *c != '\t')
    {
        Some(c) => Err(c),
        None => Ok(text),
    }
}

/// Vietnamese without its diacritics, case kept (đ → d, Đ → D): what
/// unaccented channels carry (VNPay's order text, SMS).
pub fn unaccent(s: &str) -> String {
    s.nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            c => c,
        })
        .collect()
}

/// Fold for search: strip diacritics, map đ/Đ to d, lowercase, collapse spaces.
/// "Đăng ký khai sinh" and "dang ky khai sinh" fold to the same string.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in unaccent(s).chars() {
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
    fn typed_text_loses_invisible_controls_and_keeps_only_what_prints() {
        assert_eq!(
            super::printable_text(" Võ\u{202E} Thị\u{200B} Sáu "),
            Ok("Võ Thị Sáu".to_string())
        );
        assert_eq!(super::printable_text("Ấp 1 🏠"), Err('🏠'));
        assert!(
            super::is_printable('ệ')
                && super::is_printable('Đ')
                && !super::is_printable('\u{202E}')
        );
    }

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
