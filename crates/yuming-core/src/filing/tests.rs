use time::macros::date;

use super::*;
use crate::contact::IdType;

const NOW: Timestamp = Timestamp(1_782_000_000); // 2026-06-21

fn rules() -> RuleSet {
    RuleSet::default()
        .with(rule::DOMAIN_MIN_AGE_DAYS, "30")
        .with(rule::DOMAIN_MIN_REMAINING_DAYS, "90")
        .with(rule::CERT_MIN_REMAINING_DAYS, "90")
        .with(rule::PERSONAL_PURPOSE_MAX_CHARS, "200")
}

fn person(id: &str, mobile: &str, email: &str) -> PersonFacts {
    PersonFacts {
        name: "张三".into(),
        id_type: IdType::ResidentId,
        id_number: id.into(),
        id_valid_until: None,
        mobile: mobile.into(),
        email: email.into(),
        liveness_passed: Some(true),
    }
}

fn personal_entity() -> EntityFacts {
    EntityFacts {
        entity_type: EntityType::Person,
        name: "张三".into(),
        province: 11,
        cert_type: IdType::ResidentId,
        cert_no: "11010519491231002X".into(),
        cert_valid_until: None,
        principal: person("11010519491231002X", "13800138000", "a@example.com"),
        principal_is_legal_rep: true,
        has_authorisation_letter: false,
    }
}

fn site() -> SiteFacts {
    SiteFacts {
        name: "张三的小站".into(),
        domain: "zhangsan.cn".into(),
        homepage: "https://www.zhangsan.cn/".into(),
        content_types: vec![100],
        preapprovals: vec![],
        purpose: "记录生活".into(),
        principal: person("11010519491231002X", "13800138000", "a@example.com"),
    }
}

fn domain() -> DomainFacts {
    DomainFacts {
        known: true,
        real_name_verified: true,
        holder_matches: true,
        registered_at: NOW.plus_days(-60),
        expires_at: NOW.plus_days(300),
        resolves: false,
        tld_approved: true,
    }
}

fn server() -> ServerFacts {
    ServerFacts {
        ip: "203.0.113.10".into(),
        in_mainland_pool: true,
        owned_by_applicant: true,
    }
}

struct Case {
    entity: EntityFacts,
    site: SiteFacts,
    domain: DomainFacts,
    servers: Vec<ServerFacts>,
    duplicates: DuplicateFacts,
    blacklist: Vec<String>,
    down: Vec<String>,
    authority: AuthorityLookup,
    operation: Operation,
    rules: RuleSet,
    materials: Vec<&'static str>,
}

impl Case {
    fn good() -> Case {
        Case {
            entity: personal_entity(),
            site: site(),
            domain: domain(),
            servers: vec![server()],
            duplicates: DuplicateFacts::default(),
            blacklist: vec![],
            down: vec![],
            authority: AuthorityLookup::default(),
            operation: Operation::First,
            rules: rules(),
            materials: vec![
                "id_front",
                "id_back",
                "verification_photo",
                "commitment_letter",
                "business_licence",
                "preapproval",
            ],
        }
    }

    fn run(&self) -> Vec<CheckProblem> {
        self_check(&CheckInput {
            operation: self.operation,
            entity: &self.entity,
            site: Some(&self.site),
            domain: Some(&self.domain),
            servers: &self.servers,
            duplicates: &self.duplicates,
            blacklist_hits: &self.blacklist,
            existing_sites_down: &self.down,
            materials: &self.materials,
            authority: Some(&self.authority),
            rules: &self.rules,
            now: NOW,
        })
    }

    fn blocking(&self) -> Vec<(RejectCode, String)> {
        self.run()
            .into_iter()
            .filter(|p| p.severity == Severity::Blocking)
            .map(|p| (p.code, p.field))
            .collect()
    }
}

#[test]
fn a_complete_personal_order_passes() {
    assert_eq!(Case::good().run(), vec![]);
}

#[test]
fn every_detectable_code_is_produced() {
    let mut seen = std::collections::BTreeSet::new();
    let mut expect = |case: Case, code: RejectCode, field: &str| {
        let found = case.blocking();
        assert!(
            found.iter().any(|(c, f)| *c == code && f == field),
            "{code:?} on {field}: {found:?}"
        );
        seen.insert(code);
    };
    let mut c = Case::good();
    c.domain.holder_matches = false;
    expect(c, RejectCode::DomainNotVerified, "site.domain");
    let mut c = Case::good();
    c.domain.expires_at = NOW.plus_days(60);
    expect(c, RejectCode::DomainCheckFail, "site.domain");
    let mut c = Case::good();
    c.domain.registered_at = NOW.plus_days(-3);
    expect(c, RejectCode::DomainCheckFail, "site.domain");
    let mut c = Case::good();
    c.domain.tld_approved = false;
    expect(c, RejectCode::DomainCheckFail, "site.domain");
    let mut c = Case::good();
    c.domain.resolves = true;
    expect(c, RejectCode::DomainResolving, "site.domain");
    let mut c = Case::good();
    c.site.name = "12345".into();
    expect(c, RejectCode::SiteNameInvalid, "site.name");
    let mut c = Case::good();
    c.site.content_types = vec![3];
    expect(c, RejectCode::ContentInvalid, "site.content_types");
    let mut c = Case::good();
    c.site.purpose = "字".repeat(201);
    expect(c, RejectCode::ContentInvalid, "site.purpose");
    let mut c = Case::good();
    c.down = vec!["old.example.cn".into()];
    expect(c, RejectCode::ExistingSiteDown, "entity.sites");
    let mut c = enterprise_case();
    c.entity.principal_is_legal_rep = false;
    expect(c, RejectCode::PrincipalNotLegalRep, "entity.principal");
    let mut c = Case::good();
    c.duplicates.reused_contacts = vec!["entity.principal.mobile".into()];
    expect(c, RejectCode::ContactInvalid, "entity.principal.mobile");
    let mut c = Case::good();
    c.entity.cert_no = "110105194912310021".into();
    expect(c, RejectCode::CertInvalid, "entity.cert_no");
    let mut c = Case::good();
    c.entity.cert_valid_until = Some(date!(2026 - 08 - 01));
    expect(c, RejectCode::CertInvalid, "entity.cert_valid_until");
    let mut c = Case::good();
    c.site.principal.liveness_passed = Some(false);
    expect(c, RejectCode::LivenessFail, "site.principal.liveness");
    let mut c = Case::good();
    c.authority.subject_filed = Some(SubjectAtAuthority {
        subject_no: "京ICP备2020000001号".into(),
        empty_shell: false,
        at_this_provider: true,
    });
    expect(c, RejectCode::AlreadyFiled, "operation");
    let mut c = Case::good();
    c.duplicates.other_order_in_flight = true;
    expect(c, RejectCode::OrderConflict, "entity.cert_no");
    let mut c = Case::good();
    c.operation = Operation::AddSite;
    expect(c, RejectCode::WrongType, "operation");
    let mut c = Case::good();
    c.operation = Operation::AddSite;
    c.authority.subject_filed = Some(SubjectAtAuthority {
        subject_no: "京ICP备2020000001号".into(),
        empty_shell: true,
        at_this_provider: true,
    });
    expect(c, RejectCode::EmptyShell, "operation");
    let mut c = enterprise_case();
    c.site.content_types = vec![3];
    c.site.preapprovals = vec![PreapprovalFacts {
        content_type: 3,
        document_no: "教审2020-1".into(),
        valid_until: Some(date!(2026 - 01 - 01)),
    }];
    expect(c, RejectCode::PreapprovalInvalid, "site.preapprovals");
    let mut c = Case::good();
    c.servers[0].in_mainland_pool = false;
    expect(c, RejectCode::AccessInvalid, "site.access[0].ip");
    let mut c = Case::good();
    c.blacklist = vec!["entity.cert_no".into()];
    expect(c, RejectCode::Blacklisted, "entity.cert_no");
    let all: std::collections::BTreeSet<_> = RejectCode::all().collect();
    assert_eq!(seen, all);
}

fn enterprise_case() -> Case {
    let mut c = Case::good();
    c.entity = EntityFacts {
        entity_type: EntityType::Enterprise,
        name: "北京示例科技有限公司".into(),
        province: 11,
        cert_type: IdType::Uscc,
        cert_no: "91110000600037341L".into(),
        cert_valid_until: None,
        principal: person("11010519491231002X", "13800138000", "a@example.com"),
        principal_is_legal_rep: true,
        has_authorisation_letter: false,
    };
    c.site.name = "示例科技官网".into();
    c.site.content_types = vec![0];
    c
}

#[test]
fn a_complete_enterprise_order_passes_and_warnings_do_not_block() {
    let mut c = enterprise_case();
    assert_eq!(c.blocking(), vec![]);
    c.site.principal.liveness_passed = None;
    let problems = c.run();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].severity, Severity::Warning);
    assert_eq!(problems[0].code, RejectCode::LivenessFail);
}

#[test]
fn missing_materials_are_warnings() {
    let mut c = enterprise_case();
    c.materials = vec!["id_front"];
    let problems = c.run();
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    assert!(problems.iter().all(|p| p.severity == Severity::Warning));
    for field in [
        "materials.id_back",
        "materials.verification_photo",
        "materials.commitment_letter",
        "materials.business_licence",
    ] {
        assert!(fields.contains(&field), "{field} in {fields:?}");
    }
    assert!(!fields.contains(&"materials.id_front"));
}

#[test]
fn minors_are_refused_where_the_province_requires_18() {
    let mut c = Case::good();
    // Born 2010-01-01: 16 in 2026.
    let minor = "110105201001010011";
    let check = crate::rules::resident_id::check_char(&minor[..17]).expect("check char");
    let minor = format!("{}{check}", &minor[..17]);
    c.entity.cert_no = minor.clone();
    c.entity.principal.id_number = minor.clone();
    c.site.principal.id_number = minor;
    assert_eq!(c.blocking(), vec![]);
    c.rules = rules().with(rule::PERSON_MIN_AGE, "18");
    assert!(
        c.blocking()
            .contains(&(RejectCode::CertInvalid, "entity.principal.id_number".into()))
    );
}

#[test]
fn cancellations_skip_the_content_checks() {
    let mut c = Case::good();
    c.operation = Operation::CancelSite;
    c.site.name = "ab".into();
    c.domain.resolves = true;
    assert_eq!(c.run(), vec![]);
}

#[test]
fn the_state_machine_follows_section_1_7() {
    use OrderEvent as E;
    use OrderStatus as S;
    let path = [
        (S::Draft, E::VerifyType, S::Filling),
        (S::Filling, E::Submit, S::ProviderReview),
        (S::ProviderReview, E::ProviderReject, S::ProviderRejected),
        (S::ProviderRejected, E::Submit, S::ProviderReview),
        (S::ProviderReview, E::ProviderPass, S::PendingSubmitMiit),
        (
            S::PendingSubmitMiit,
            E::PushToAuthority { sms: true },
            S::SmsVerify,
        ),
        (S::SmsVerify, E::SmsFailed, S::Returned),
        (S::Returned, E::Submit, S::ProviderReview),
        (S::SmsVerify, E::SmsVerified, S::BureauReview),
        (S::BureauReview, E::BureauReject, S::BureauRejected),
        (S::BureauRejected, E::Submit, S::ProviderReview),
        (S::BureauReview, E::BureauApprove, S::Approved),
        (
            S::PendingSubmitMiit,
            E::PushToAuthority { sms: false },
            S::BureauReview,
        ),
    ];
    for (from, event, to) in path {
        assert_eq!(from.apply(event), Ok(to), "{from:?} {event:?}");
    }
    for status in STATUSES.iter().map(|(s, _, _)| *s) {
        let abandoned = status.apply(E::Abandon);
        assert_eq!(abandoned.is_ok(), !status.is_final(), "{status:?}");
        assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
    }
    assert!(S::Draft.apply(E::Submit).is_err());
    assert!(S::Approved.apply(E::BureauReject).is_err());
    assert!(S::ProviderReview.apply(E::SmsVerified).is_err());
}

#[test]
fn rejected_orders_reopen_only_the_rejected_fields() {
    let rejected = vec!["site.name".to_owned(), "entity.principal".to_owned()];
    let s = OrderStatus::ProviderRejected;
    assert!(field_editable(s, &rejected, "site.name"));
    assert!(field_editable(s, &rejected, "entity.principal.mobile"));
    assert!(!field_editable(s, &rejected, "site.purpose"));
    assert!(!field_editable(s, &rejected, "entity.principality"));
    assert!(field_editable(OrderStatus::Draft, &[], "entity.cert_no"));
    assert!(!field_editable(OrderStatus::Filling, &[], "entity.cert_no"));
    assert!(field_editable(OrderStatus::Filling, &[], "site.name"));
    assert!(!field_editable(
        OrderStatus::ProviderReview,
        &[],
        "site.name"
    ));
    let all = vec!["entity".to_owned()];
    assert!(!field_editable(s, &all, "entity.cert_no"));
}

#[test]
fn type_determination_follows_section_1_3() {
    let none = AuthorityLookup::default();
    assert_eq!(determine_type(&none, false), Ok(Operation::First));
    let subject = |shell, here| AuthorityLookup {
        subject_filed: Some(SubjectAtAuthority {
            subject_no: "京ICP备2020000001号".into(),
            empty_shell: shell,
            at_this_provider: here,
        }),
        site_filed: None,
    };
    assert_eq!(
        determine_type(&subject(false, true), false),
        Ok(Operation::AddSite)
    );
    assert_eq!(
        determine_type(&subject(false, false), false),
        Ok(Operation::AddSiteNoLocal)
    );
    assert_eq!(
        determine_type(&subject(true, true), false),
        Err(RejectCode::EmptyShell)
    );
    assert_eq!(
        determine_type(&subject(true, true), true),
        Ok(Operation::AddSite)
    );
    let site = |same, here| AuthorityLookup {
        subject_filed: None,
        site_filed: Some(SiteAtAuthority {
            same_subject: same,
            accessed_here: here,
        }),
    };
    assert_eq!(
        determine_type(&site(true, false), false),
        Ok(Operation::AddAccess)
    );
    assert_eq!(
        determine_type(&site(true, true), false),
        Err(RejectCode::AlreadyFiled)
    );
    assert_eq!(
        determine_type(&site(false, false), false),
        Err(RejectCode::DomainNotVerified)
    );
}

#[test]
fn the_rules_table_picks_the_most_specific_row_in_force() {
    let row = |scope, value: &str, from: i64| RuleRow {
        scope,
        key: rule::PERSON_MIN_AGE.into(),
        value: value.into(),
        effective_from: Timestamp(from),
    };
    let rows = vec![
        row(RuleScope::National, "0", 0),
        row(RuleScope::Province(12), "18", 100),
        row(RuleScope::Province(12), "20", 10_000),
        row(RuleScope::Provider("other".into()), "30", 0),
    ];
    assert_eq!(
        RuleSet::resolve(&rows, 12, "yuming", Timestamp(50)).int(rule::PERSON_MIN_AGE),
        Some(0)
    );
    assert_eq!(
        RuleSet::resolve(&rows, 12, "yuming", Timestamp(500)).int(rule::PERSON_MIN_AGE),
        Some(18)
    );
    assert_eq!(
        RuleSet::resolve(&rows, 12, "yuming", Timestamp(20_000)).int(rule::PERSON_MIN_AGE),
        Some(20)
    );
    assert_eq!(
        RuleSet::resolve(&rows, 11, "yuming", Timestamp(500)).int(rule::PERSON_MIN_AGE),
        Some(0)
    );
    assert_eq!(
        RuleSet::resolve(&rows, 11, "other", Timestamp(500)).int(rule::PERSON_MIN_AGE),
        Some(30)
    );
}

#[test]
fn an_operation_changes_only_its_own_data() {
    assert!(Operation::ChangeSite.may_change("site.name"));
    assert!(!Operation::ChangeSite.may_change("entity.address"));
    assert!(Operation::ChangeSubject.may_change("entity.principal.mobile"));
    assert!(!Operation::ChangeSubject.may_change("site.servers"));
    assert!(Operation::ChangeAll.may_change("site.name"));
    assert!(Operation::ChangeAll.may_change("entity.name"));
    assert!(Operation::First.may_change("site.purpose"));
    for cancel in [
        Operation::CancelSite,
        Operation::CancelSubject,
        Operation::CancelAccess,
    ] {
        assert!(!cancel.may_change("site.name"), "{cancel:?}");
    }
}
