use super::*;
use crate::rules::Valid;
use crate::rules::test_support::{assert_well_formed, garbage, render};

fn check(kind: TravelDocumentKind, input: &str, expect: &str) {
    let result = TravelDocument::parse(kind, input);
    assert_well_formed(&result);
    assert_eq!(
        render(&result, |document| document.as_str().to_owned()),
        expect,
        "{kind:?} input: {input:?}"
    );
}

/// A current foreign permanent resident ID with a correct check character.
fn foreign_resident(first17: &str) -> String {
    let check = resident_id::check_char(first17).unwrap_or('?');
    format!("{first17}{check}")
}

#[test]
fn passports() {
    use TravelDocumentKind::Passport;
    check(Passport, "E12345678", "ok E12345678");
    check(Passport, "G1234567", "ok G1234567");
    check(Passport, " ej 123 4567 ", "ok EJ1234567");
    check(Passport, "１２３４５", "ok 12345");
    check(Passport, "A2345678901234567", "ok A2345678901234567");
    check(Passport, "1234", "err INVALID_LENGTH");
    check(Passport, "A23456789012345678", "err INVALID_LENGTH");
    check(Passport, "E1234-5678", "err INVALID_CHARSET");
    check(Passport, "护照12345", "err INVALID_CHARSET");
    check(Passport, "", "err EMPTY");
    check(Passport, " \t ", "err EMPTY");
}

#[test]
fn hong_kong_and_macau_permits() {
    use TravelDocumentKind::HkMacauPermit;
    check(HkMacauPermit, "H12345678", "ok H12345678");
    check(HkMacauPermit, "M1234567801", "ok M1234567801");
    check(HkMacauPermit, "h12345678", "ok H12345678");
    check(HkMacauPermit, "H1234567", "ok H1234567 warn LEGACY_FORMAT");
    check(HkMacauPermit, "H123456", "ok H123456 warn LEGACY_FORMAT");
    check(HkMacauPermit, "HA123456", "ok HA123456 warn LEGACY_FORMAT");
    check(
        HkMacauPermit,
        "MB1234567",
        "ok MB1234567 warn LEGACY_FORMAT",
    );
    check(HkMacauPermit, "X12345678", "err INVALID_FORMAT");
    check(HkMacauPermit, "12345678", "err INVALID_FORMAT");
    check(HkMacauPermit, "HAB12345", "err INVALID_FORMAT");
    check(HkMacauPermit, "H1234567A", "err INVALID_FORMAT");
    check(HkMacauPermit, "H12345678A", "err INVALID_LENGTH");
    check(HkMacauPermit, "H123456789", "err INVALID_LENGTH");
    check(HkMacauPermit, "H12345", "err INVALID_LENGTH");
    check(HkMacauPermit, "H", "err INVALID_LENGTH");
    check(HkMacauPermit, "H123456789012", "err INVALID_LENGTH");
}

#[test]
fn taiwan_permits() {
    use TravelDocumentKind::TaiwanPermit;
    check(TaiwanPermit, "12345678", "ok 12345678");
    check(TaiwanPermit, "1234 5678", "ok 12345678");
    check(
        TaiwanPermit,
        "A123456789",
        "ok A123456789 warn LEGACY_FORMAT",
    );
    check(
        TaiwanPermit,
        "0123456789",
        "ok 0123456789 warn LEGACY_FORMAT",
    );
    check(TaiwanPermit, "1234567A", "err INVALID_FORMAT");
    check(TaiwanPermit, "1234567", "err INVALID_LENGTH");
    check(TaiwanPermit, "123456789012", "err INVALID_LENGTH");
}

#[test]
fn foreign_permanent_resident_ids() {
    use TravelDocumentKind::ForeignPermanentResident;
    let current = foreign_resident("93615619800101001");
    check(ForeignPermanentResident, &current, &format!("ok {current}"));
    // The check character can be X, as in GB 11643; lowercase is folded.
    let with_x = (0..1000)
        .map(|n| foreign_resident(&format!("9110001980010{n:04}")))
        .find(|number| number.ends_with('X'))
        .unwrap_or_default();
    check(
        ForeignPermanentResident,
        &with_x.to_ascii_lowercase(),
        &format!("ok {with_x}"),
    );
    let mut wrong_check = current.clone();
    let last = if current.ends_with('0') { '1' } else { '0' };
    wrong_check.replace_range(17.., &last.to_string());
    check(
        ForeignPermanentResident,
        &wrong_check,
        "err CHECKSUM_MISMATCH",
    );
    check(
        ForeignPermanentResident,
        "USA123456789012",
        "ok USA123456789012 warn LEGACY_FORMAT",
    );
    check(
        ForeignPermanentResident,
        "usa123456789012",
        "ok USA123456789012 warn LEGACY_FORMAT",
    );
    check(
        ForeignPermanentResident,
        "US1234567890123",
        "err INVALID_FORMAT",
    );
    check(
        ForeignPermanentResident,
        "11010519491231002X",
        "err INVALID_FORMAT",
    );
    check(
        ForeignPermanentResident,
        "9361561980010100A1",
        "err INVALID_FORMAT",
    );
    check(
        ForeignPermanentResident,
        "936156198001010",
        "err INVALID_FORMAT",
    );
    check(
        ForeignPermanentResident,
        "9361561980010100",
        "err INVALID_LENGTH",
    );
}

#[test]
fn numbers_are_masked_and_never_echoed() {
    let passport =
        TravelDocument::parse(TravelDocumentKind::Passport, "E12345678").map(Valid::into_value);
    let Ok(passport) = passport else {
        panic!("valid passport refused: {passport:?}");
    };
    assert_eq!(passport.mask(), "E1*****78");
    assert_eq!(passport.kind(), TravelDocumentKind::Passport);
    assert!(!passport.is_legacy_format());
    assert!(!format!("{passport:?}").contains("12345678"));
    assert_eq!(passport.to_string(), "E12345678");

    for kind in [
        TravelDocumentKind::Passport,
        TravelDocumentKind::HkMacauPermit,
        TravelDocumentKind::TaiwanPermit,
        TravelDocumentKind::ForeignPermanentResident,
    ] {
        let input = "Z98765432109876543210";
        let Err(rejection) = TravelDocument::parse(kind, input) else {
            panic!("{kind:?} accepted {input}");
        };
        for problem in &rejection.problems {
            assert!(!problem.message.contains(input), "{problem}");
            assert!(!problem.message_zh.contains(input), "{problem}");
            assert!(problem.message_zh.contains(kind.name_zh()), "{problem}");
        }
    }
}

#[test]
fn garbage_never_panics() {
    for input in garbage() {
        for kind in [
            TravelDocumentKind::Passport,
            TravelDocumentKind::HkMacauPermit,
            TravelDocumentKind::TaiwanPermit,
            TravelDocumentKind::ForeignPermanentResident,
        ] {
            assert_well_formed(&TravelDocument::parse(kind, &input));
        }
    }
}
