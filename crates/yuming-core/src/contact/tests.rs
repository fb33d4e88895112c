use time::macros::date;

use super::*;

const TODAY: Date = date!(2026 - 05 - 01);

fn document(id_type: IdType, input: &str) -> Result<CheckedDocument, Vec<&'static str>> {
    check_document(id_type, input, TODAY).map_err(|rejection| rejection.codes())
}

#[test]
fn names_round_trip() {
    for id_type in IdType::ALL {
        assert_eq!(IdType::parse(id_type.as_str()), Some(id_type));
    }
    assert_eq!(IdType::parse("RESIDENT_ID"), None);
    for kind in [ContactKind::Person, ContactKind::Organization] {
        assert_eq!(ContactKind::parse(kind.as_str()), Some(kind));
    }
    assert_eq!(ContactKind::parse("company"), None);
    for status in [
        VerificationStatus::Pending,
        VerificationStatus::Verified,
        VerificationStatus::Rejected,
    ] {
        assert_eq!(VerificationStatus::parse(status.as_str()), Some(status));
    }
    assert_eq!(
        ReviewDecision::parse("approve"),
        Some(ReviewDecision::Approve)
    );
    assert_eq!(
        ReviewDecision::parse("reject"),
        Some(ReviewDecision::Reject)
    );
    assert_eq!(ReviewDecision::parse(""), None);
}

#[test]
fn persons_use_personal_documents_and_organisations_their_uscc() {
    for id_type in IdType::ALL {
        assert_eq!(
            id_type.allowed_for(ContactKind::Person),
            id_type != IdType::Uscc
        );
        assert_eq!(
            id_type.allowed_for(ContactKind::Organization),
            id_type == IdType::Uscc
        );
    }
}

#[test]
fn only_a_pending_contact_is_decided() {
    use ReviewDecision::{Approve, Reject};
    use VerificationStatus::{Pending, Rejected, Verified};
    assert_eq!(Pending.decide(Approve), Ok(Verified));
    assert_eq!(Pending.decide(Reject), Ok(Rejected));
    for decided in [Verified, Rejected] {
        for decision in [Approve, Reject] {
            assert_eq!(decided.decide(decision), Err(ContactError::NotPending));
        }
    }
}

#[test]
fn resident_ids() {
    let Ok(id) = document(IdType::ResidentId, "11010519491231002x") else {
        panic!("spec vector refused");
    };
    assert_eq!(id.number, "11010519491231002X");
    assert_eq!(id.masked, "1101**********002X");
    assert!(id.name_must_be_chinese && !id.manual_review);
    assert!(!format!("{id:?}").contains("19491231"));

    let Ok(hong_kong) = document(IdType::ResidentId, "810000199408230021") else {
        panic!("residence permit refused");
    };
    assert!(!hong_kong.name_must_be_chinese);

    assert_eq!(
        document(IdType::ResidentId, "36042619910102009X").err(),
        Some(vec!["CHECKSUM_MISMATCH"])
    );
    assert_eq!(
        document(IdType::ResidentId, "360426199113010079").err(),
        Some(vec!["INVALID_DATE"])
    );
}

#[test]
fn usccs_and_manual_review() {
    let Ok(valid) = document(IdType::Uscc, "91110000600037341L") else {
        panic!("spec vector refused");
    };
    assert_eq!(valid.masked, "91**************1L");
    assert_eq!(valid.entity_type_hint, Some("ENTERPRISE"));
    assert!(valid.name_must_be_chinese && !valid.manual_review);

    // A real entity whose code breaks the check character rule (§2.2).
    let Ok(nonconforming) = document(IdType::Uscc, "91350100m0001tgqxm") else {
        panic!("nonconforming code refused");
    };
    assert_eq!(nonconforming.number, "91350100M0001TGQXM");
    assert!(nonconforming.manual_review);
    assert_eq!(nonconforming.entity_type_hint, Some("ENTERPRISE"));

    assert_eq!(
        document(IdType::Uscc, "9111000060003IOZSV").err(),
        Some(vec!["INVALID_CHARSET"])
    );
    assert_eq!(
        document(IdType::Uscc, "12345").err(),
        Some(vec!["INVALID_LENGTH"])
    );
    // Individual businesses have no fixed filing type: no hint.
    let Ok(individual) = document(IdType::Uscc, "92340602MA2PBQAH7E") else {
        panic!("spec vector refused");
    };
    assert_eq!(individual.entity_type_hint, None);
}

#[test]
fn travel_documents_are_masked_generically() {
    let Ok(passport) = document(IdType::Passport, "e12345678") else {
        panic!("passport refused");
    };
    assert_eq!(passport.number, "E12345678");
    assert_eq!(passport.masked, "E1*****78");
    assert!(!passport.name_must_be_chinese);
    assert_eq!(
        document(IdType::HkMacauPermit, "X12345678").err(),
        Some(vec!["INVALID_FORMAT"])
    );
    assert!(document(IdType::TaiwanPermit, "12345678").is_ok());
    assert_eq!(
        document(IdType::ForeignPermanentResident, "123").err(),
        Some(vec!["INVALID_LENGTH"])
    );
}

#[test]
fn names() {
    assert_eq!(parse_contact_name("  张三 ", true), Ok("张三".to_owned()));
    assert_eq!(
        parse_contact_name("John Smith", false),
        Ok("John Smith".to_owned())
    );
    assert_eq!(
        parse_contact_name("Zhang San", true),
        Err(ContactError::NameNotChinese)
    );
    assert_eq!(
        parse_contact_name("北京Example科技有限公司", true),
        Ok("北京Example科技有限公司".to_owned())
    );
    assert_eq!(
        parse_contact_name("  ", false),
        Err(ContactError::InvalidName)
    );
    assert_eq!(
        parse_contact_name("张\u{0}三", true),
        Err(ContactError::InvalidName)
    );
    assert_eq!(
        parse_contact_name(&"名".repeat(100), true).map(|n| n.chars().count()),
        Ok(100)
    );
    assert_eq!(
        parse_contact_name(&"名".repeat(101), true),
        Err(ContactError::InvalidName)
    );
}

#[test]
fn phones() {
    let check = |raw: &str| Phone::parse(raw).map(|phone| phone.as_str().to_owned());
    assert_eq!(check("+86.13800138000"), Ok("+86.13800138000".to_owned()));
    assert_eq!(check("13800138000"), Ok("+86.13800138000".to_owned()));
    assert_eq!(check("138 0013 8000"), Ok("+86.13800138000".to_owned()));
    assert_eq!(check("+86 138-0013-8000"), Ok("+86.13800138000".to_owned()));
    assert_eq!(check("+86.1012345678"), Ok("+86.1012345678".to_owned()));
    assert_eq!(check("+1.2025550123"), Ok("+1.2025550123".to_owned()));
    assert_eq!(check("+852.21234567"), Ok("+852.21234567".to_owned()));
    for bad in [
        "",
        "12345",
        "12800138000",
        "1380013800",
        "+86",
        "+86.",
        "+.13800138000",
        "+0086.13800138000",
        "+86.1380013800a",
        "+1.1234567890123456",
        "+8613800138",
        "tel:+86.13800138000",
        "+86..13800138000",
    ] {
        assert_eq!(check(bad), Err(ContactError::InvalidPhone), "{bad:?}");
    }
    assert_eq!(check(&"1".repeat(100)), Err(ContactError::InvalidPhone));
}

#[test]
fn countries() {
    assert!(COUNTRY_CODES.windows(2).all(|pair| pair[0] < pair[1]));
    assert!(
        COUNTRY_CODES
            .iter()
            .all(|code| code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()))
    );
    assert_eq!(parse_country("cn"), Ok("CN"));
    assert_eq!(parse_country(" HK "), Ok("HK"));
    assert_eq!(parse_country("US"), Ok("US"));
    for bad in ["", "C", "CHN", "ZZ", "UK", "中国"] {
        assert_eq!(
            parse_country(bad),
            Err(ContactError::InvalidCountry),
            "{bad:?}"
        );
    }
}

#[test]
fn addresses() {
    let input = AddressInput {
        country: "cn",
        province: " 北京市 ",
        city: "北京市",
        street: "海淀区中关村大街 1 号",
        postal_code: Some(" 100080 "),
    };
    assert_eq!(
        Address::parse(&input),
        Ok(Address {
            country: "CN",
            province: "北京市".to_owned(),
            city: "北京市".to_owned(),
            street: "海淀区中关村大街 1 号".to_owned(),
            postal_code: Some("100080".to_owned()),
        })
    );
    let without_postal_code = Address::parse(&AddressInput {
        postal_code: Some(""),
        ..input
    });
    assert_eq!(without_postal_code.map(|a| a.postal_code), Ok(None));
    let cases = [
        (
            AddressInput {
                country: "XX",
                ..input
            },
            ContactError::InvalidCountry,
        ),
        (
            AddressInput {
                province: " ",
                ..input
            },
            ContactError::InvalidAddressPart(AddressPart::Province),
        ),
        (
            AddressInput { city: "", ..input },
            ContactError::InvalidAddressPart(AddressPart::City),
        ),
        (
            AddressInput {
                street: "",
                ..input
            },
            ContactError::InvalidAddressPart(AddressPart::Street),
        ),
        (
            AddressInput {
                street: &"路".repeat(201),
                ..input
            },
            ContactError::InvalidAddressPart(AddressPart::Street),
        ),
        (
            AddressInput {
                city: "a\u{7}b",
                ..input
            },
            ContactError::InvalidAddressPart(AddressPart::City),
        ),
        (
            AddressInput {
                postal_code: Some("10008"),
                ..input
            },
            ContactError::InvalidPostalCode,
        ),
        (
            AddressInput {
                country: "GB",
                postal_code: Some("SW1A_1AA"),
                ..input
            },
            ContactError::InvalidPostalCode,
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(Address::parse(&input), Err(expected), "{input:?}");
    }
    let london = Address::parse(&AddressInput {
        country: "GB",
        postal_code: Some("sw1a 1aa"),
        ..input
    });
    assert_eq!(
        london.map(|a| a.postal_code),
        Ok(Some("SW1A 1AA".to_owned()))
    );
    assert_eq!(
        Address::parse(&AddressInput {
            street: &"路".repeat(200),
            ..input
        })
        .map(|a| a.street.chars().count()),
        Ok(200)
    );
}

#[test]
fn debug_output_leaves_out_the_street() {
    let input = AddressInput {
        country: "CN",
        province: "北京市",
        city: "北京市",
        street: "中关村大街 27 号",
        postal_code: Some("100080"),
    };
    assert!(!format!("{input:?}").contains("中关村"));
    let address = Address::parse(&input).map(|address| format!("{address:?}"));
    assert_eq!(
        address.as_deref(),
        Ok(r#"Address { country: "CN", province: "北京市", city: "北京市", .. }"#)
    );
}

#[test]
fn review_reasons() {
    assert_eq!(
        parse_review_reason(None, ReviewDecision::Reject),
        Err(ContactError::ReasonRequired)
    );
    assert_eq!(
        parse_review_reason(Some("  "), ReviewDecision::Reject),
        Err(ContactError::ReasonRequired)
    );
    assert_eq!(parse_review_reason(None, ReviewDecision::Approve), Ok(None));
    assert_eq!(
        parse_review_reason(
            Some(" 证件照片模糊\n姓名与证件不符 "),
            ReviewDecision::Reject
        ),
        Ok(Some("证件照片模糊\n姓名与证件不符".to_owned()))
    );
    assert_eq!(
        parse_review_reason(Some(&"因".repeat(501)), ReviewDecision::Reject),
        Err(ContactError::InvalidReason)
    );
    assert_eq!(
        parse_review_reason(Some("a\u{1b}[31m"), ReviewDecision::Approve),
        Err(ContactError::InvalidReason)
    );
}
