use super::*;
use crate::rules::test_support::{assert_well_formed, garbage, render};

fn check(input: &str, expect: &str) {
    let result = Uscc::parse(input);
    assert_well_formed(&result);
    assert_eq!(
        render(&result, |uscc| uscc.as_str().to_owned()),
        expect,
        "input: {input:?}"
    );
}

#[test]
fn spec_valid() {
    for code in [
        "91110000600037341L",
        "91320621MA1MRHG205",
        "91110000717883277U",
        "121200004013590816",
        "92340602MA2PBQAH7E",
        "91620105L015101280",
        "9144030071526726XG",
        "91310115MA1K3BTP2B",
    ] {
        check(code, &format!("ok {code}"));
    }
}

#[test]
fn normalisation() {
    check("91 110000 600037341L", "ok 91110000600037341L");
    check("91-110000-600037341L", "ok 91110000600037341L");
    check("91110000600037341l", "ok 91110000600037341L");
    check(
        "９１１１００００６０００３７３４１Ｌ",
        "ok 91110000600037341L",
    );
    check("\t91110000600037341L\n", "ok 91110000600037341L");
}

#[test]
fn spec_invalid_checksum() {
    check("91110000600037341N", "err CHECKSUM_MISMATCH review");
    check("91320621MA1MRHG207", "err CHECKSUM_MISMATCH review");
    // python-stdnum calls this a format error (it wants 8 leading digits);
    // GB 32100 allows authority A, so only the check character is wrong.
    check("A1110000600037341L", "err CHECKSUM_MISMATCH review");
}

#[test]
fn spec_invalid_charset_and_length() {
    check("9111000060003IOZSV", "err INVALID_CHARSET");
    check("12345", "err INVALID_LENGTH");
    check("", "err EMPTY");
    check(" - ", "err EMPTY");
    check("91110000600037341LL", "err INVALID_LENGTH");
    check("9111000060003734中L", "err INVALID_CHARSET");
}

#[test]
fn spec_real_but_nonconforming_go_to_manual_review() {
    for code in [
        "91350100M0001TGQXM",
        "91350211M0000XUF46",
        "91350203M0001FUE2P",
    ] {
        let result = Uscc::parse(code);
        assert_well_formed(&result);
        let rejection = result.err();
        assert_eq!(
            rejection.as_ref().map(|r| r.codes()),
            Some(vec![code::CHECKSUM_MISMATCH]),
            "{code}"
        );
        assert_eq!(
            rejection.as_ref().map(|r| r.manual_review_possible),
            Some(true)
        );
        assert_eq!(
            rejection.and_then(|r| r.normalized),
            Some(code.to_owned()),
            "the normalised code is kept for the review queue"
        );
    }
}

#[test]
fn spec_nonconforming_computed_check_chars() {
    // The spec records what the standard check character would have been.
    assert_eq!(check_char("91350100M0001TGQX"), Some('1'));
    assert_eq!(check_char("91350211M0000XUF4"), Some('R'));
    assert_eq!(check_char("91350203M0001FUE2"), Some('J'));
}

#[test]
fn worked_example() {
    // Spec §2.2: S = 538, 538 mod 31 = 11, 31 - 11 = 20 -> L.
    assert_eq!(check_char("91110000600037341"), Some('L'));
    assert_eq!(check_char("9111000060003734"), None);
    assert_eq!(check_char("9111000060003734I"), None);
}

#[test]
fn structure_problems_are_not_reviewable() {
    // Authority B does not exist; the check character is right for the body.
    let body = "B1110000600037341";
    let code = format!("{body}{}", check_char(body).unwrap_or('0'));
    check(&code, "err INVALID_AUTHORITY");
    // Authority 9 (工商) has no category 4.
    let body = "94110000600037341";
    let code = format!("{body}{}", check_char(body).unwrap_or('0'));
    check(&code, "err INVALID_CATEGORY");
    // Region with letters.
    let body = "91A10000600037341";
    let code = format!("{body}{}", check_char(body).unwrap_or('0'));
    check(&code, "err INVALID_REGION");
    // Organisation code check position must be a digit or X.
    let body = "9111000060003734A";
    let code = format!("{body}{}", check_char(body).unwrap_or('0'));
    check(&code, "err INVALID_FORMAT");
}

#[test]
fn inner_org_code_mismatch_is_reviewable() {
    // Organisation code 60003734-2 is wrong (should end in 1); the outer
    // check character is recomputed so only the inner check fails.
    let body = "91110000600037342";
    let code = format!("{body}{}", check_char(body).unwrap_or('0'));
    check(&code, "err ORG_CODE_CHECKSUM_MISMATCH review");
}

#[test]
fn unknown_region_is_a_warning() {
    let body = "91990000600037341";
    let code = format!("{body}{}", check_char(body).unwrap_or('0'));
    check(&code, &format!("ok {code} warn UNKNOWN_REGION"));
    // National-level registrations use 10xxxx.
    let body = "91100000600037341";
    let code = format!("{body}{}", check_char(body).unwrap_or('0'));
    check(&code, &format!("ok {code}"));
}

#[test]
fn details() {
    let parsed = Uscc::parse("91320621MA1MRHG205").map(|valid| valid.value);
    let Ok(uscc) = parsed else {
        panic!("vector must parse: {parsed:?}");
    };
    assert_eq!(uscc.authority_code(), '9');
    assert_eq!(uscc.authority_name_zh(), "工商");
    assert_eq!(uscc.category_code(), '1');
    assert_eq!(uscc.category_name_zh(), "企业");
    assert_eq!(uscc.region_code(), "320621");
    assert_eq!(uscc.org_code(), "MA1MRHG20");
    assert_eq!(uscc.entity_hint(), EntityTypeHint::Enterprise);
    assert_eq!(uscc.to_string(), "91320621MA1MRHG205");
}

#[test]
fn entity_hints() {
    for (code, hint, key) in [
        (
            "91110000600037341L",
            EntityTypeHint::Enterprise,
            Some("ENTERPRISE"),
        ),
        (
            "92340602MA2PBQAH7E",
            EntityTypeHint::IndividualBusiness,
            None,
        ),
        ("93", EntityTypeHint::FarmerCooperative, None),
        ("11", EntityTypeHint::GovernmentOrgan, Some("GOV")),
        (
            "121200004013590816",
            EntityTypeHint::PublicInstitution,
            Some("PUBLIC_INST"),
        ),
        ("13", EntityTypeHint::MassOrganisation, Some("MASS_ORG")),
        ("31", EntityTypeHint::LawFirm, Some("LAW_FIRM")),
        ("32", EntityTypeHint::Notary, Some("NOTARY")),
        ("34", EntityTypeHint::ForensicInstitution, Some("FORENSIC")),
        ("35", EntityTypeHint::Arbitration, Some("ARBITRATION")),
        (
            "41",
            EntityTypeHint::ForeignCulturalCentre,
            Some("FOREIGN_CULTURE"),
        ),
        ("51", EntityTypeHint::SocialOrganisation, Some("SOCIAL_ORG")),
        (
            "52",
            EntityTypeHint::PrivateNonEnterprise,
            Some("PRIVATE_NONENT"),
        ),
        ("53", EntityTypeHint::Foundation, Some("FOUNDATION")),
        ("71", EntityTypeHint::ReligiousVenue, Some("RELIGIOUS")),
        ("N1", EntityTypeHint::Collective, Some("COLLECTIVE")),
        ("n3", EntityTypeHint::Collective, Some("COLLECTIVE")),
        ("Y1", EntityTypeHint::Other, None),
        ("9", EntityTypeHint::Other, None),
        ("", EntityTypeHint::Other, None),
    ] {
        assert_eq!(EntityTypeHint::from_code(code), hint, "{code}");
        assert_eq!(hint.subject_type_key(), key, "{code}");
        assert!(!hint.label_zh().is_empty());
    }
}

#[test]
fn every_authority_category_pair_parses() {
    for authority in &AUTHORITIES {
        for (category, name) in authority.categories {
            let body = format!("{}{}110000600037341", authority.code, category);
            let code = format!("{body}{}", check_char(&body).unwrap_or('0'));
            let parsed = Uscc::parse(&code).map(|valid| valid.value);
            assert_eq!(
                parsed.as_ref().map(|uscc| uscc.category_name_zh()),
                Ok(*name),
                "{code}"
            );
        }
    }
}

#[test]
fn garbage_never_panics() {
    for input in garbage() {
        assert_well_formed(&Uscc::parse(&input));
        let _ = check_char(&input);
        let _ = EntityTypeHint::from_code(&input);
    }
}
