//! Every parser of outside input, fed arbitrary bytes and near-valid
//! variants: it answers Ok or a clear error, and never panics.

use motcua_domain::calendar::{parse_date, parse_instant};
use motcua_domain::catalog::{DEFAULT_CATALOG_JSON, parse_catalog, parse_hhmm};
use motcua_domain::documents::{check_image, image_size, sniff};
use motcua_domain::dossier::{
    ApplicantInput, field, is_well_formed_code, normalize_key, normalize_phone,
};
use motcua_domain::text::{fold, mask_name, nfc};
use motcua_domain::units::{NATIONAL_UNITS_CSV, parse_units_csv};
use proptest::prelude::*;
use time::macros::date;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn text_functions_never_panic(s in "\\PC*") {
        let _ = fold(&s);
        let _ = nfc(&s);
        let _ = mask_name(&s);
        let _ = normalize_key(&s);
        let _ = normalize_phone(&s);
        let _ = is_well_formed_code(&s);
        let _ = parse_hhmm(&s);
        let _ = parse_date(&s);
        let _ = parse_instant(&s);
    }

    #[test]
    fn applicant_validation_never_panics(name in "\\PC{0,120}", id in "[0-9a-z ]{0,14}", dob in "[0-9/-]{0,12}",
                                         phone in "[+0-9 .]{0,15}", email in "\\PC{0,40}", addr in "\\PC{0,320}") {
        let input = ApplicantInput { full_name: name, id_number: id, date_of_birth: dob, phone, email: Some(email), address: addr };
        let today = date!(2026 - 11 - 23);
        if let Ok(a) = input.validate(today) {
            // What is accepted is what each field validator accepts.
            prop_assert_eq!(field::id_number(&a.id_number).ok(), Some(a.id_number.clone()));
            prop_assert!(a.date_of_birth <= today);
            prop_assert_eq!(a.phone.len(), 10);
        }
    }

    #[test]
    fn uploads_sniffing_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64), kind in 0u8..3) {
        let mut data = match kind { 0 => b"\x89PNG\r\n\x1a\n".to_vec(), 1 => vec![0xFF, 0xD8, 0xFF], _ => b"%PDF-".to_vec() };
        data.extend(bytes);
        let _ = sniff(&data);
        let _ = image_size(&data);
        let _ = check_image(&data);
    }

}

proptest! {
    // Each case parses a whole file (the national list is 190 KB): fewer cases.
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn catalog_parser_never_panics(cut in 0usize..27_000, junk in "\\PC{0,8}") {
        let mut text = DEFAULT_CATALOG_JSON.to_string();
        let at = text.char_indices().map(|(i, _)| i).take_while(|i| *i <= cut).last().unwrap_or(0);
        text.insert_str(at, &junk);
        let _ = parse_catalog(&text);
        let _ = parse_catalog(&text[..at]);
    }

    #[test]
    fn units_parser_never_panics(cut in 0usize..200_000, junk in "[,0-9a-zA-Z\n]{0,6}") {
        let mut text = NATIONAL_UNITS_CSV.to_string();
        let at = text.char_indices().map(|(i, _)| i).take_while(|i| *i <= cut).last().unwrap_or(0);
        text.insert_str(at, &junk);
        let _ = parse_units_csv(&text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn card_readers_never_panic(s in "\\PC{0,200}", fields in proptest::collection::vec("[0-9A-Za-zÀ-ỹ ,]{0,20}", 0..10)) {
        let today = time::macros::date!(2026 - 11 - 23);
        let _ = motcua_domain::identity::parse_card(&s, today);
        let _ = motcua_domain::identity::parse_card(&fields.join("|"), today);
        let _ = motcua_domain::identity::parse_card(&fields.join("\n"), today);
        let _ = motcua_domain::identity::check_digit(&s);
    }

    #[test]
    fn mrz_shaped_noise_never_panics(l in proptest::collection::vec("[A-Z0-9<]{30}", 3)) {
        let _ = motcua_domain::identity::parse_mrz_td1(&l.join("\n"), time::macros::date!(2026 - 11 - 23));
    }
}
