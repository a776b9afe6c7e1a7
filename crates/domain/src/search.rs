//! Finding a procedure as people type it: without diacritics, "i" for "y"
//! ("dang ki"), the paper they want instead of the procedure ("giấy khai
//! sinh", "làm khai sinh"), words run together ("khaisinh") and one typo
//! per word. The best match comes first.

use crate::catalog::Procedure;
use crate::text::fold;

/// Words people add around what they want; they never exclude a procedure.
const FILLERS: &[&str] = &[
    "lam", "xin", "thu", "tuc", "muon", "can", "o", "dau", "nhu", "the", "nao", "giay", "cho",
    "toi", "minh", "de", "nop", "ho", "so", "cap",
];

/// Folded, with "y" as "i": Vietnamese spells several words both ways.
fn norm(s: &str) -> String {
    fold(s).replace('y', "i")
}

/// Whether `a` and `b` differ by at most one slip: a letter changed, added,
/// dropped, or two neighbours swapped.
fn one_typo(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    if long.len() - short.len() > 1 {
        return false;
    }
    let mut i = 0;
    while i < short.len() && short[i] == long[i] {
        i += 1;
    }
    if short.len() == long.len() {
        let swapped = i + 1 < short.len()
            && short[i] == long[i + 1]
            && short[i + 1] == long[i]
            && short[i + 2..] == long[i + 2..];
        swapped || short[i..].iter().skip(1).eq(long[i..].iter().skip(1))
    } else {
        short[i..].iter().eq(long[i + 1..].iter())
    }
}

/// How a query word meets a text: exactly (as part of it), run together
/// with its neighbours, or with one typo in a word of four letters or more.
fn meets(word: &str, words: &[&str], joined: &str) -> bool {
    joined.contains(word) || (word.chars().count() >= 4 && words.iter().any(|w| one_typo(word, w)))
}

/// Sort key of a hit, smallest first: the phrase missing from the name,
/// words missing from the name, name length, catalog order.
type Rank = (bool, bool, usize, usize);

/// The procedures matching `q`, best first: the whole query in the name,
/// then every word in the name, then the shorter name, then catalog order.
pub fn search<'a>(procs: &'a [Procedure], q: &str) -> Vec<&'a Procedure> {
    let query = norm(q);
    let all: Vec<&str> = query.split(' ').filter(|w| !w.is_empty()).collect();
    let needed: Vec<&str> = all
        .iter()
        .copied()
        .filter(|w| !FILLERS.iter().any(|f| norm(f) == *w))
        .collect();
    // A query of fillers only ("thủ tục") still searches by its words.
    let needed = if needed.is_empty() { all } else { needed };
    if needed.is_empty() {
        return Vec::new();
    }
    let phrase: String = needed.concat();
    let mut hits: Vec<(Rank, &Procedure)> = procs
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let name = norm(&p.name);
            let name_words: Vec<&str> = name.split(' ').collect();
            let name_joined = name.replace(' ', "");
            let hay = format!("{name} {} {}", norm(&p.field), norm(&p.code));
            let hay_words: Vec<&str> = hay.split(' ').collect();
            let hay_joined = hay.replace(' ', "");
            if !needed.iter().all(|w| meets(w, &hay_words, &hay_joined)) {
                return None;
            }
            let in_name = needed.iter().all(|w| meets(w, &name_words, &name_joined));
            let key = (
                !name_joined.contains(&phrase),
                !in_name,
                name_words.len(),
                i,
            );
            Some((key, p))
        })
        .collect();
    hits.sort_by_key(|(k, _)| *k);
    hits.into_iter().map(|(_, p)| p).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{DEFAULT_CATALOG_JSON, parse_catalog};

    fn first(q: &str) -> Option<String> {
        let procs = parse_catalog(DEFAULT_CATALOG_JSON).expect("catalog");
        search(&procs, q).first().map(|p| p.code.clone())
    }

    #[test]
    fn people_find_the_birth_registration_however_they_type_it() {
        for q in [
            "đăng ký khai sinh",
            "dang ky khai sinh",
            "dang ki khai sinh",
            "giấy khai sinh",
            "làm khai sinh",
            "khaisinh",
            "dang ky khai sinhh",
            "dang ky khia sinh",
            "KHAI SINH",
        ] {
            assert_eq!(first(q).as_deref(), Some("HT-KS"), "{q}");
        }
    }

    #[test]
    fn the_best_match_comes_first_and_nonsense_finds_nothing() {
        assert_eq!(first("kết hôn").as_deref(), Some("HT-KH"));
        assert_eq!(first("tam tru").as_deref(), Some("CTR-TAM"));
        assert_eq!(
            first("xac nhan tinh trang hon nhan").as_deref(),
            Some("HT-XNHN")
        );
        assert_eq!(first("xyz qwerty"), None);
        assert_eq!(first("   "), None);
    }

    #[test]
    fn one_slip_apart() {
        assert!(one_typo("khai", "khia"), "swapped");
        assert!(one_typo("sinh", "sinhh") && one_typo("sinh", "sin") && one_typo("sinh", "sinj"));
        assert!(one_typo("sinh", "sinh"));
        assert!(!one_typo("khai", "kheo") && !one_typo("sinh", "snhi"));
    }
}
