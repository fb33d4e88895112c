//! Registrant contacts: submission with the shared document rules, masking, encryption at
//! rest, the review queue and decisions, tenant isolation.

use yuming_app::accounts::{self, NewSubAccountInput};
use yuming_app::registrar::contacts::{self, AddressFields, ContactView, NewContactInput};
use yuming_app::{App, AppError, ErrorKind, platform::audit};
use yuming_core::access::{Actor, Role};
use yuming_core::contact::{ContactKind, IdType, VerificationStatus};
use yuming_test_support::fixtures::{account_input, ctx, customer, login, staff};
use yuming_test_support::{TestDb, both_backends, test_app};

const ID_NUMBER: &str = "11010519491231002X";
const STREET: &str = "海淀区中关村大街 27 号";

fn person() -> NewContactInput {
    NewContactInput {
        kind: "person".into(),
        name: "张三".into(),
        id_type: "resident_id".into(),
        id_number: ID_NUMBER.into(),
        email: "Zhang.San@Example.com".into(),
        phone: "138 0013 8000".into(),
        address: AddressFields {
            country: "cn".into(),
            province: "北京市".into(),
            city: "北京市".into(),
            street: STREET.into(),
            postal_code: Some("100080".into()),
        },
    }
}

fn organization() -> NewContactInput {
    NewContactInput {
        kind: "organization".into(),
        name: "北京示例科技有限公司".into(),
        id_type: "uscc".into(),
        id_number: "91110000600037341L".into(),
        phone: "+86.1012345678".into(),
        ..person()
    }
}

fn code<T>(result: Result<T, AppError>) -> &'static str {
    result.err().map(|e| e.code).unwrap_or("OK")
}

fn failure<T>(result: Result<T, AppError>) -> (&'static str, Option<String>, ErrorKind) {
    match result {
        Ok(_) => ("OK", None, ErrorKind::Internal),
        Err(error) => {
            let info = error.into_info();
            (info.code, info.field, info.kind)
        }
    }
}

async fn audit_count(app: &App) -> i64 {
    audit::verify(app)
        .await
        .expect("verify")
        .expect("chain intact")
}

async fn create(app: &App, actor: &Actor, input: NewContactInput) -> ContactView {
    contacts::create(app, &ctx(), actor, &input)
        .await
        .expect("create contact")
}

both_backends!(
    persons_and_organizations_are_submitted_pending,
    |t: TestDb| async move {
        let (app, clock) = test_app(&t.db);
        let alice = customer(&app, "alice@example.com").await;
        let before = audit_count(&app).await;

        let zhang = create(&app, &alice, person()).await;
        assert!(zhang.id.starts_with("con_"), "{}", zhang.id);
        assert_eq!(zhang.owner_id, alice.tenant_id);
        assert_eq!(zhang.kind, ContactKind::Person);
        assert_eq!(zhang.name, "张三");
        assert_eq!(zhang.id_type, IdType::ResidentId);
        assert_eq!(zhang.id_number_masked, "1101**********002X");
        assert_eq!(zhang.email, "zhang.san@example.com");
        assert_eq!(zhang.phone, "+86.13800138000");
        assert_eq!(
            (
                zhang.region.country.as_str(),
                zhang.region.province.as_str(),
                zhang.region.city.as_str()
            ),
            ("CN", "北京市", "北京市")
        );
        assert_eq!(zhang.verification.status, VerificationStatus::Pending);
        assert!(!zhang.verification.manual_review);
        assert_eq!(zhang.verification.reason, None);
        assert_eq!(zhang.entity_type_hint, None);

        clock.advance_secs(60);
        let company = create(&app, &alice, organization()).await;
        assert_eq!(company.kind, ContactKind::Organization);
        assert_eq!(company.id_number_masked, "91**************1L");
        assert_eq!(company.phone, "+86.1012345678");
        assert_eq!(company.entity_type_hint.as_deref(), Some("ENTERPRISE"));
        assert_eq!(company.verification.status, VerificationStatus::Pending);
        assert!(!company.verification.manual_review);

        // Documents of people who are not mainland residents, named in any script.
        let smith = create(
            &app,
            &alice,
            NewContactInput {
                name: "John Smith".into(),
                id_type: "passport".into(),
                id_number: "e1234 5678".into(),
                phone: "+1.2025550123".into(),
                address: AddressFields {
                    country: "US".into(),
                    province: "DC".into(),
                    city: "Washington".into(),
                    street: "1600 Pennsylvania Avenue NW".into(),
                    postal_code: Some("20500".into()),
                },
                ..person()
            },
        )
        .await;
        assert_eq!(smith.id_number_masked, "E1*****78");
        for (id_type, number, masked) in [
            ("hk_macau_permit", "H12345678", "H1*****78"),
            ("taiwan_permit", "12345678", "12****78"),
            (
                "foreign_permanent_resident",
                "USA123456789012",
                "US***********12",
            ),
        ] {
            let view = create(
                &app,
                &alice,
                NewContactInput {
                    name: "Chan Tai Man".into(),
                    id_type: id_type.into(),
                    id_number: number.into(),
                    ..person()
                },
            )
            .await;
            assert_eq!(view.id_number_masked, masked, "{id_type}");
        }
        assert_eq!(audit_count(&app).await, before + 6);

        assert_eq!(
            contacts::get(&app, &alice, &zhang.id).await.expect("get"),
            zhang
        );
        let listing = contacts::list(&app, &alice, None, 50).await.expect("list");
        assert_eq!(listing.contacts.len(), 6);
        assert_eq!(listing.contacts[5], zhang, "newest first");
        assert_eq!(listing.next_cursor, None);
    }
);

both_backends!(
    bad_input_is_refused_and_nothing_is_written,
    |t: TestDb| async move {
        let story =
            yuming_test_support::story::Story::new("bad input is refused and nothing is written");
        let (app, _clock) = test_app(&t.db);
        let alice = customer(&app, "alice@example.com").await;
        let before = audit_count(&app).await;

        let with_address = |edit: fn(&mut AddressFields)| {
            let mut input = person();
            edit(&mut input.address);
            input
        };
        let cases: Vec<(NewContactInput, &str, &str)> = vec![
            (
                NewContactInput {
                    kind: "company".into(),
                    ..person()
                },
                "INVALID_CONTACT_KIND",
                "kind",
            ),
            (
                NewContactInput {
                    kind: "Person".into(),
                    ..person()
                },
                "INVALID_CONTACT_KIND",
                "kind",
            ),
            (
                NewContactInput {
                    id_type: "driver_licence".into(),
                    ..person()
                },
                "INVALID_ID_TYPE",
                "id_type",
            ),
            (
                NewContactInput {
                    id_type: "uscc".into(),
                    id_number: "91110000600037341L".into(),
                    ..person()
                },
                "ID_TYPE_NOT_ALLOWED",
                "id_type",
            ),
            (
                NewContactInput {
                    id_type: "resident_id".into(),
                    id_number: ID_NUMBER.into(),
                    ..organization()
                },
                "ID_TYPE_NOT_ALLOWED",
                "id_type",
            ),
            (
                NewContactInput {
                    id_number: "36042619910102009X".into(),
                    ..person()
                },
                "CHECKSUM_MISMATCH",
                "id_number",
            ),
            (
                NewContactInput {
                    id_number: "360426199113010079".into(),
                    ..person()
                },
                "INVALID_DATE",
                "id_number",
            ),
            (
                NewContactInput {
                    id_number: "990426199112010074".into(),
                    ..person()
                },
                "INVALID_REGION",
                "id_number",
            ),
            (
                NewContactInput {
                    id_number: "T60426199101010078".into(),
                    ..person()
                },
                "INVALID_FORMAT",
                "id_number",
            ),
            (
                NewContactInput {
                    id_number: String::new(),
                    ..person()
                },
                "EMPTY",
                "id_number",
            ),
            (
                NewContactInput {
                    id_number: "9111000060003IOZSV".into(),
                    ..organization()
                },
                "INVALID_CHARSET",
                "id_number",
            ),
            (
                NewContactInput {
                    id_number: "12345".into(),
                    ..organization()
                },
                "INVALID_LENGTH",
                "id_number",
            ),
            (
                NewContactInput {
                    id_type: "passport".into(),
                    id_number: "E1".into(),
                    ..person()
                },
                "INVALID_LENGTH",
                "id_number",
            ),
            (
                NewContactInput {
                    id_type: "hk_macau_permit".into(),
                    id_number: "X12345678".into(),
                    ..person()
                },
                "INVALID_FORMAT",
                "id_number",
            ),
            (
                NewContactInput {
                    name: "  ".into(),
                    ..person()
                },
                "INVALID_NAME",
                "name",
            ),
            (
                NewContactInput {
                    name: "张".repeat(101),
                    ..person()
                },
                "INVALID_NAME",
                "name",
            ),
            (
                NewContactInput {
                    name: "Zhang San".into(),
                    ..person()
                },
                "NAME_NOT_CHINESE",
                "name",
            ),
            (
                NewContactInput {
                    name: "Example Technology Ltd".into(),
                    ..organization()
                },
                "NAME_NOT_CHINESE",
                "name",
            ),
            (
                NewContactInput {
                    email: "not-an-email".into(),
                    ..person()
                },
                "INVALID_EMAIL",
                "email",
            ),
            (
                NewContactInput {
                    phone: "12345".into(),
                    ..person()
                },
                "INVALID_PHONE",
                "phone",
            ),
            (
                NewContactInput {
                    phone: "+86-138-0013".into(),
                    ..person()
                },
                "INVALID_PHONE",
                "phone",
            ),
            (
                with_address(|a| a.country = "ZZ".into()),
                "INVALID_COUNTRY",
                "address.country",
            ),
            (
                with_address(|a| a.country = "CHN".into()),
                "INVALID_COUNTRY",
                "address.country",
            ),
            (
                with_address(|a| a.province = String::new()),
                "INVALID_ADDRESS",
                "address.province",
            ),
            (
                with_address(|a| a.city = " ".into()),
                "INVALID_ADDRESS",
                "address.city",
            ),
            (
                with_address(|a| a.street = String::new()),
                "INVALID_ADDRESS",
                "address.street",
            ),
            (
                with_address(|a| a.street = "路".repeat(201)),
                "INVALID_ADDRESS",
                "address.street",
            ),
            (
                with_address(|a| a.postal_code = Some("1000".into())),
                "INVALID_POSTAL_CODE",
                "address.postal_code",
            ),
        ];
        for (input, expected_code, expected_field) in cases {
            let (code, field, kind) = failure(contacts::create(&app, &ctx(), &alice, &input).await);
            assert_eq!(
                (code, field.as_deref(), kind),
                (expected_code, Some(expected_field), ErrorKind::BadRequest),
                "{} {} {:?}",
                input.id_type,
                input.name,
                input.phone
            );
        }
        assert_eq!(audit_count(&app).await, before, "a refusal writes nothing");
        let listing = contacts::list(&app, &alice, None, 50).await.expect("list");
        assert!(listing.contacts.is_empty());

        story.step("The rule's messages come along, in both languages, without echoing the number");
        // The rule's messages come along, in both languages, without echoing the number.
        let Err(error) = contacts::create(
            &app,
            &ctx(),
            &alice,
            &NewContactInput {
                id_number: "36042619910102009X".into(),
                ..person()
            },
        )
        .await
        else {
            panic!("bad check digit accepted");
        };
        assert!(
            error.message.contains("check character should be 3"),
            "{}",
            error.message
        );
        assert!(error.message_zh.contains("校验码"), "{}", error.message_zh);
        assert!(!error.message.contains("36042619910102009X"));

        story
            .step("A sub-account that may only read cannot submit, but sees the tenant's contacts");
        // A sub-account that may only read cannot submit, but sees the tenant's contacts.
        accounts::create_sub_account(
            &app,
            &ctx(),
            &alice,
            NewSubAccountInput {
                account: account_input("alice-ops@example.com"),
                rights: vec!["domains:read".into()],
            },
        )
        .await
        .expect("sub-account");
        let ops = login(&app, "alice-ops@example.com").await;
        assert_eq!(
            failure(contacts::create(&app, &ctx(), &ops, &person()).await).0,
            "FORBIDDEN"
        );
        let zhang = create(&app, &alice, person()).await;
        let seen = contacts::list(&app, &ops, None, 50).await.expect("list");
        assert_eq!(seen.contacts, vec![zhang]);
    }
);

both_backends!(
    document_and_street_are_encrypted_at_rest,
    |t: TestDb| async move {
        let story =
            yuming_test_support::story::Story::new("document and street are encrypted at rest");
        let (app, _clock) = test_app(&t.db);
        let alice = customer(&app, "alice@example.com").await;
        let bob = customer(&app, "bob@example.com").await;
        let zhang = create(&app, &alice, person()).await;
        let company = create(&app, &alice, organization()).await;

        let mut tx = t.db.read().await.expect("tx");
        let row = tx
            .contact_by_id(&zhang.id)
            .await
            .expect("read")
            .expect("row");
        let reviews = tx.contact_reviews(&zhang.id).await.expect("history");
        let company_row = tx
            .contact_by_id(&company.id)
            .await
            .expect("read")
            .expect("row");
        tx.commit().await.expect("commit");

        story.step("Every column of the row");
        // Every column of the row: no text column holds the number or the street, and neither
        // appears inside the sealed blobs.
        let text_columns = [
            &row.id,
            &row.owner_id,
            &row.kind,
            &row.name,
            &row.id_type,
            &row.id_number_masked,
            &row.id_number_digest,
            &row.legacy_email,
            &row.legacy_phone,
            &row.country,
            &row.province,
            &row.city,
            &row.verification_status,
        ];
        let optional_columns = [
            &row.verification_reason,
            &row.entity_type_hint,
            &row.reviewed_by,
        ];
        let secrets = [ID_NUMBER, "19491231", STREET, "中关村", "100080"];
        for secret in secrets {
            for column in text_columns {
                assert!(!column.contains(secret), "{secret} in {column}");
            }
            for column in optional_columns.iter().copied().flatten() {
                assert!(!column.contains(secret), "{secret} in {column}");
            }
            let sealed_contact = [&row.email_sealed, &row.phone_sealed];
            for blob in [&row.id_number_sealed, &row.address_sealed]
                .into_iter()
                .chain(sealed_contact.into_iter().flatten())
            {
                assert!(
                    !blob
                        .windows(secret.len())
                        .any(|window| window == secret.as_bytes()),
                    "{secret} in a sealed column"
                );
            }
            for review in &reviews {
                assert!(
                    !format!("{review:?}").contains(secret),
                    "{secret} in history"
                );
            }
        }
        // E-mail and phone are sealed too; the plaintext columns of older releases stay empty.
        assert!(row.email_sealed.is_some() && row.phone_sealed.is_some());
        assert_eq!(
            (row.legacy_email.as_str(), row.legacy_phone.as_str()),
            ("", "")
        );
        // The blind index is keyed: 64 hex digits, not the plain SHA-256 of the number.
        assert_eq!(row.id_number_digest.len(), 64);
        assert_ne!(
            row.id_number_digest,
            yuming_app::platform::crypto::sha256_hex(ID_NUMBER.as_bytes())
        );
        assert_ne!(
            row.id_number_digest,
            yuming_app::platform::crypto::sha256_hex(format!("resident_id:{ID_NUMBER}").as_bytes())
        );
        assert_ne!(row.id_number_digest, company_row.id_number_digest);
        // Equal documents have equal indexes, across tenants too, without decrypting.
        let again = create(
            &app,
            &bob,
            NewContactInput {
                name: "张三丰".into(),
                ..person()
            },
        )
        .await;
        let mut tx = t.db.read().await.expect("tx");
        let again_row = tx
            .contact_by_id(&again.id)
            .await
            .expect("read")
            .expect("row");
        tx.commit().await.expect("commit");
        assert_eq!(again_row.id_number_digest, row.id_number_digest);
        assert_ne!(again_row.id_number_sealed, row.id_number_sealed);

        story.step("The audit log keeps no personal data either");
        // The audit log keeps no personal data either.
        let entries = audit::list(&app, &Actor::system(), None, 100)
            .await
            .expect("audit")
            .entries;
        assert!(entries.iter().any(|e| e.action == "contact.create"));
        for entry in &entries {
            for secret in secrets
                .iter()
                .chain(["张三", "zhang.san@example.com", "13800138000"].iter())
            {
                assert!(
                    !entry.after.contains(secret) && !entry.before.contains(secret),
                    "{secret} in audit entry {}",
                    entry.action
                );
            }
        }

        story.step("Sealed values are bound to their row");
        // Sealed values are bound to their row: copying one onto another row does not open.
        t.db.execute_raw(&format!(
        "UPDATE contacts SET id_number_sealed = (SELECT id_number_sealed FROM contacts WHERE id = '{}') WHERE id = '{}'",
        zhang.id, company.id
    ))
    .await
    .expect("swap");
        let reviewer = staff(&app, "reviewer@example.com", Role::Reviewer).await;
        assert_eq!(
            code(contacts::get_unmasked(&app, &ctx(), &reviewer, &company.id).await),
            "INTERNAL"
        );

        story.step("A reviewer opens the document");
        // A reviewer opens the document; the opening is audited.
        let before = audit_count(&app).await;
        let document = contacts::get_unmasked(&app, &ctx(), &reviewer, &zhang.id)
            .await
            .expect("unmasked");
        assert_eq!(document.id_number, ID_NUMBER);
        assert_eq!(document.address.street, STREET);
        assert_eq!(document.address.postal_code.as_deref(), Some("100080"));
        assert_eq!(document.address.country, "CN");
        assert_eq!(document.contact, zhang);
        assert_eq!(audit_count(&app).await, before + 1);
        let last = audit::list(&app, &Actor::system(), None, 1)
            .await
            .expect("audit")
            .entries;
        assert_eq!(
            (
                last[0].action.as_str(),
                last[0].actor.as_str(),
                last[0].tenant.as_str()
            ),
            (
                "contact.reveal",
                reviewer.account_id.as_str(),
                alice.tenant_id.as_str()
            )
        );
        // The owner itself cannot open it: reviewers only.
        assert_eq!(
            code(contacts::get_unmasked(&app, &ctx(), &alice, &zhang.id).await),
            "FORBIDDEN"
        );
    }
);

both_backends!(reviewers_approve_and_reject, |t: TestDb| async move {
    let story = yuming_test_support::story::Story::new("reviewers approve and reject");
    let (app, clock) = test_app(&t.db);
    let alice = customer(&app, "alice@example.com").await;
    let reviewer = staff(&app, "reviewer@example.com", Role::Reviewer).await;
    let zhang = create(&app, &alice, person()).await;
    clock.advance_secs(10);
    let company = create(&app, &alice, organization()).await;

    story.step("Customers neither see the queue nor decide, not even on their own contacts");
    // Customers neither see the queue nor decide, not even on their own contacts.
    assert_eq!(
        failure(contacts::review_queue(&app, &alice, None, 50).await).0,
        "FORBIDDEN"
    );
    assert_eq!(
        failure(contacts::decide(&app, &ctx(), &alice, &zhang.id, "approve", None).await).0,
        "FORBIDDEN"
    );
    // Support staff read contacts but do not review them.
    let support = staff(&app, "support@example.com", Role::Support).await;
    assert_eq!(
        contacts::get(&app, &support, &zhang.id).await.map(|c| c.id),
        Ok(zhang.id.clone())
    );
    assert_eq!(
        failure(contacts::review_queue(&app, &support, None, 50).await).0,
        "FORBIDDEN"
    );

    story.step("Separation of duties");
    // Separation of duties: an administrator cannot approve a contact of their own account.
    let admin = staff(&app, "admin@example.com", Role::Admin).await;
    let own = create(&app, &admin, person()).await;
    assert_eq!(
        failure(contacts::decide(&app, &ctx(), &admin, &own.id, "approve", None).await).0,
        "OWN_SUBMISSION"
    );
    contacts::decide(
        &app,
        &ctx(),
        &reviewer,
        &own.id,
        "reject",
        Some("test account"),
    )
    .await
    .expect("another reviewer decides");

    let queue = contacts::review_queue(&app, &reviewer, None, 50)
        .await
        .expect("queue");
    assert_eq!(
        queue
            .contacts
            .iter()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>(),
        vec![zhang.id.as_str(), company.id.as_str()],
        "oldest first"
    );
    assert_eq!(queue.contacts[0].id_number_masked, "1101**********002X");

    let before = audit_count(&app).await;
    for (decision, reason, expected) in [
        ("reject", None, "REASON_REQUIRED"),
        ("reject", Some("   "), "REASON_REQUIRED"),
        ("maybe", None, "INVALID_DECISION"),
        ("", None, "INVALID_DECISION"),
        ("approve", Some(&*"因".repeat(501)), "INVALID_REASON"),
    ] {
        let (code, field, _) =
            failure(contacts::decide(&app, &ctx(), &reviewer, &zhang.id, decision, reason).await);
        assert_eq!(code, expected, "{decision} {reason:?}");
        assert!(field.is_some());
    }
    assert_eq!(
        audit_count(&app).await,
        before,
        "a refused decision writes nothing"
    );

    clock.advance_secs(3600);
    let verified = contacts::decide(&app, &ctx(), &reviewer, &zhang.id, "approve", None)
        .await
        .expect("approve");
    assert_eq!(verified.verification.status, VerificationStatus::Verified);
    assert_eq!(verified.verification.reviewed_at, Some(app.now()));
    let rejected = contacts::decide(
        &app,
        &ctx(),
        &reviewer,
        &company.id,
        "reject",
        Some(" 营业执照名称与所填名称不一致 "),
    )
    .await
    .expect("reject");
    assert_eq!(rejected.verification.status, VerificationStatus::Rejected);
    assert_eq!(
        rejected.verification.reason.as_deref(),
        Some("营业执照名称与所填名称不一致")
    );
    assert_eq!(audit_count(&app).await, before + 2);

    story.step("A decision is final");
    // A decision is final.
    let (code, _, kind) =
        failure(contacts::decide(&app, &ctx(), &reviewer, &zhang.id, "reject", Some("x")).await);
    assert_eq!((code, kind), ("CONTACT_NOT_PENDING", ErrorKind::Conflict));
    assert!(
        contacts::review_queue(&app, &reviewer, None, 50)
            .await
            .expect("queue")
            .contacts
            .is_empty()
    );
    // The owner sees the outcome.
    let seen = contacts::get(&app, &alice, &company.id).await.expect("get");
    assert_eq!(seen.verification, rejected.verification);

    story.step("Every status change is in the history, oldest first");
    // Every status change is in the history, oldest first.
    let document = contacts::get_unmasked(&app, &ctx(), &reviewer, &company.id)
        .await
        .expect("unmasked");
    let history: Vec<_> = document
        .history
        .iter()
        .map(|entry| {
            (
                entry.from,
                entry.to,
                entry.reason.as_deref(),
                entry.actor.as_str(),
            )
        })
        .collect();
    assert_eq!(
        history,
        vec![
            (
                None,
                VerificationStatus::Pending,
                None,
                alice.account_id.as_str()
            ),
            (
                Some(VerificationStatus::Pending),
                VerificationStatus::Rejected,
                Some("营业执照名称与所填名称不一致"),
                reviewer.account_id.as_str()
            ),
        ]
    );

    story.step("Later flows ask for a verified contact inside their own transaction");
    // Later flows ask for a verified contact inside their own transaction.
    let mut tx = app.db().read().await.expect("tx");
    assert_eq!(
        contacts::require_verified(&app, &mut tx, &alice, &zhang.id)
            .await
            .map(|c| c.id),
        Ok(zhang.id.clone())
    );
    let (code, field, kind) =
        failure(contacts::require_verified(&app, &mut tx, &alice, &company.id).await);
    assert_eq!(
        (code, field.as_deref(), kind),
        (
            "CONTACT_NOT_VERIFIED",
            Some("contact_id"),
            ErrorKind::Conflict
        )
    );
    tx.commit().await.expect("commit");
    let pending = create(&app, &alice, person()).await;
    let mut tx = app.db().read().await.expect("tx");
    assert_eq!(
        failure(contacts::require_verified(&app, &mut tx, &alice, &pending.id).await).0,
        "CONTACT_NOT_VERIFIED"
    );
    tx.commit().await.expect("commit");
});

both_backends!(
    another_tenants_contact_is_not_found,
    |t: TestDb| async move {
        let (app, _clock) = test_app(&t.db);
        let alice = customer(&app, "alice@example.com").await;
        let bob = customer(&app, "bob@example.com").await;
        let zhang = create(&app, &alice, person()).await;

        for id in [zhang.id.as_str(), "con_doesnotexist", ""] {
            assert_eq!(
                code(contacts::get(&app, &bob, id).await),
                "NOT_FOUND",
                "{id}"
            );
            assert_eq!(
                code(contacts::get_unmasked(&app, &ctx(), &bob, id).await),
                "NOT_FOUND"
            );
            assert_eq!(
                code(contacts::decide(&app, &ctx(), &bob, id, "approve", None).await),
                "NOT_FOUND"
            );
            // The body is checked only once the contact is found and the actor authorised.
            assert_eq!(
                code(contacts::decide(&app, &ctx(), &bob, id, "", None).await),
                "NOT_FOUND"
            );
            let mut tx = app.db().read().await.expect("tx");
            assert_eq!(
                code(contacts::require_verified(&app, &mut tx, &bob, id).await),
                "NOT_FOUND"
            );
            tx.commit().await.expect("commit");
        }
        assert!(
            contacts::list(&app, &bob, None, 50)
                .await
                .expect("list")
                .contacts
                .is_empty()
        );
        // Untouched.
        assert_eq!(
            contacts::get(&app, &alice, &zhang.id).await.expect("get"),
            zhang
        );
    }
);

both_backends!(
    nonconforming_uscc_goes_to_manual_review,
    |t: TestDb| async move {
        let (app, _clock) = test_app(&t.db);
        let alice = customer(&app, "alice@example.com").await;
        let reviewer = staff(&app, "reviewer@example.com", Role::Reviewer).await;
        let company = create(
            &app,
            &alice,
            NewContactInput {
                id_number: "91350100M0001TGQXM".into(),
                ..organization()
            },
        )
        .await;
        assert_eq!(company.verification.status, VerificationStatus::Pending);
        assert!(company.verification.manual_review);
        assert_eq!(company.id_number_masked, "91**************XM");
        assert_eq!(company.entity_type_hint.as_deref(), Some("ENTERPRISE"));

        let queue = contacts::review_queue(&app, &reviewer, None, 50)
            .await
            .expect("queue");
        assert_eq!(queue.contacts, vec![company.clone()]);
        let verified = contacts::decide(
            &app,
            &ctx(),
            &reviewer,
            &company.id,
            "approve",
            Some("核对营业执照原件无误"),
        )
        .await
        .expect("approve");
        assert_eq!(verified.verification.status, VerificationStatus::Verified);
        assert!(
            verified.verification.manual_review,
            "the finding stays on record"
        );
        assert_eq!(
            verified.verification.reason.as_deref(),
            Some("核对营业执照原件无误")
        );
    }
);

both_backends!(listings_page_with_cursors, |t: TestDb| async move {
    let (app, clock) = test_app(&t.db);
    let alice = customer(&app, "alice@example.com").await;
    let reviewer = staff(&app, "reviewer@example.com", Role::Reviewer).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(create(&app, &alice, person()).await.id);
    }
    // Two more in the same second: the id breaks the tie.
    clock.advance_secs(1);
    ids.push(create(&app, &alice, person()).await.id);
    ids.push(create(&app, &alice, person()).await.id);

    let mut queued = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = contacts::review_queue(&app, &reviewer, cursor.as_deref(), 2)
            .await
            .expect("queue");
        assert!(page.contacts.len() <= 2);
        queued.extend(page.contacts.into_iter().map(|c| (c.created_at, c.id)));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let mut expected = queued.clone();
    expected.sort();
    assert_eq!(queued, expected, "oldest first, ties by id");
    assert_eq!(queued.len(), 5);

    let mut listed = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = contacts::list(&app, &alice, cursor.as_deref(), 2)
            .await
            .expect("list");
        listed.extend(page.contacts.into_iter().map(|c| c.id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let mut reversed: Vec<String> = queued.into_iter().map(|(_, id)| id).collect();
    reversed.reverse();
    assert_eq!(listed, reversed, "newest first");

    for bad in ["", "abc", "12.", ".con_x", "x.con_1", "1.con_'--"] {
        let (code, field, _) = failure(contacts::list(&app, &alice, Some(bad), 2).await);
        assert_eq!(
            (code, field.as_deref()),
            ("INVALID_CURSOR", Some("cursor")),
            "{bad:?}"
        );
    }
});
