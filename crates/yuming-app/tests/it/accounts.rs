use yuming_app::accounts::{self, LoginInput, NewAccountInput, NewSubAccountInput};
use yuming_app::{AppError, ErrorKind, RequestContext};
use yuming_core::access::{Actor, Right, Role};
use yuming_core::totp;
use yuming_test_support::{TestDb, both_backends, test_app};

fn ctx() -> RequestContext {
    RequestContext {
        request_id: "test".into(),
        client_ip: Some("192.0.2.1".into()),
        ..RequestContext::default()
    }
}

fn input(email: &str) -> NewAccountInput {
    NewAccountInput {
        email: email.into(),
        password: "correct horse battery".into(),
        display_name: "测试用户".into(),
    }
}

fn login(email: &str, password: &str) -> LoginInput {
    LoginInput {
        email: email.into(),
        password: password.into(),
        totp: None,
    }
}

fn code(e: Result<impl std::fmt::Debug, AppError>) -> &'static str {
    e.err().map(|e| e.code).unwrap_or("OK")
}

both_backends!(signup_login_logout, |t: TestDb| async move {
    let (app, _clock) = test_app(&t.db);
    let account = yuming_test_support::signup_verified(&app, &ctx(), input(" Alice@Example.com "))
        .await
        .expect("signup");
    assert_eq!(account.email, "alice@example.com");
    assert_eq!(account.role, Role::Customer);
    assert_eq!(account.tenant_id, account.id);
    assert_eq!(
        accounts::signup(&app, &ctx(), input("alice@example.com"))
            .await
            .expect("answers"),
        accounts::SignupOutcome::AddressTaken,
        "a taken address creates nothing and is not an error the caller can tell apart"
    );

    let session = accounts::login(
        &app,
        &ctx(),
        login("ALICE@example.com", "correct horse battery"),
    )
    .await
    .expect("login");
    let actor = accounts::authenticate_token(&app, &session.token)
        .await
        .expect("token works");
    assert_eq!(actor.account_id, account.id);
    accounts::logout(&app, &ctx(), &actor)
        .await
        .expect("logout");
    assert_eq!(
        code(accounts::authenticate_token(&app, &session.token).await),
        "INVALID_TOKEN"
    );
    assert_eq!(
        code(accounts::authenticate_token(&app, "forged").await),
        "INVALID_TOKEN"
    );
});

both_backends!(bad_signup_input_writes_nothing, |t: TestDb| async move {
    let (app, _clock) = test_app(&t.db);
    let mut weak = input("weak@example.com");
    weak.password = "short".into();
    assert_eq!(
        code(yuming_test_support::signup_verified(&app, &ctx(), weak).await),
        "WEAK_PASSWORD"
    );
    assert_eq!(
        code(yuming_test_support::signup_verified(&app, &ctx(), input("not-an-email")).await),
        "INVALID_EMAIL"
    );
    assert_eq!(
        code(
            yuming_test_support::signup_verified(
                &app,
                &ctx(),
                input("x'); DROP TABLE accounts;--@evil.cn")
            )
            .await
        ),
        "INVALID_EMAIL"
    );
    assert_eq!(
        code(accounts::login(&app, &ctx(), login("weak@example.com", "short")).await),
        "INVALID_CREDENTIALS"
    );
    assert_eq!(
        yuming_app::platform::audit::verify(&app)
            .await
            .expect("verify"),
        Ok(0)
    );
});

both_backends!(sessions_expire_with_the_clock, |t: TestDb| async move {
    let (app, clock) = test_app(&t.db);
    yuming_test_support::signup_verified(&app, &ctx(), input("bob@example.com"))
        .await
        .expect("signup");
    let session = accounts::login(
        &app,
        &ctx(),
        login("bob@example.com", "correct horse battery"),
    )
    .await
    .expect("login");
    clock.advance_secs(app.settings().session_ttl_secs - 1);
    assert!(
        accounts::authenticate_token(&app, &session.token)
            .await
            .is_ok()
    );
    clock.advance_secs(1);
    assert_eq!(
        code(accounts::authenticate_token(&app, &session.token).await),
        "INVALID_TOKEN"
    );
});

both_backends!(repeated_failures_lock_the_account, |t: TestDb| async move {
    let (app, clock) = test_app(&t.db);
    yuming_test_support::signup_verified(&app, &ctx(), input("carol@example.com"))
        .await
        .expect("signup");
    for _ in 0..4 {
        assert_eq!(
            code(
                accounts::login(&app, &ctx(), login("carol@example.com", "wrong password!")).await
            ),
            "INVALID_CREDENTIALS"
        );
    }
    let fifth = accounts::login(&app, &ctx(), login("carol@example.com", "wrong password!"))
        .await
        .expect_err("locks");
    assert_eq!(
        (fifth.code, fifth.kind, fifth.retry_after_secs),
        ("ACCOUNT_LOCKED", ErrorKind::TooManyRequests, Some(60))
    );
    // Even the right password is refused while locked.
    assert_eq!(
        code(
            accounts::login(
                &app,
                &ctx(),
                login("carol@example.com", "correct horse battery")
            )
            .await
        ),
        "ACCOUNT_LOCKED"
    );
    clock.advance_secs(61);
    accounts::login(
        &app,
        &ctx(),
        login("carol@example.com", "correct horse battery"),
    )
    .await
    .expect("unlocked");
});

both_backends!(login_rate_limit_per_ip, |t: TestDb| async move {
    let (app, _clock) = test_app(&t.db);
    let limit = app.settings().login_attempts_per_ip_per_minute;
    for _ in 0..limit {
        assert_eq!(
            code(accounts::login(&app, &ctx(), login("nobody@example.com", "whatever pw")).await),
            "INVALID_CREDENTIALS"
        );
    }
    assert_eq!(
        code(accounts::login(&app, &ctx(), login("nobody@example.com", "whatever pw")).await),
        "RATE_LIMITED"
    );
});

both_backends!(
    password_change_revokes_other_sessions,
    |t: TestDb| async move {
        let (app, _clock) = test_app(&t.db);
        yuming_test_support::signup_verified(&app, &ctx(), input("dan@example.com"))
            .await
            .expect("signup");
        let first = accounts::login(
            &app,
            &ctx(),
            login("dan@example.com", "correct horse battery"),
        )
        .await
        .expect("login");
        let second = accounts::login(
            &app,
            &ctx(),
            login("dan@example.com", "correct horse battery"),
        )
        .await
        .expect("login");
        let actor = accounts::authenticate_token(&app, &first.token)
            .await
            .expect("auth");
        assert_eq!(
            code(
                accounts::change_password(&app, &ctx(), &actor, "wrong", "new passphrase 1").await
            ),
            "WRONG_PASSWORD"
        );
        accounts::change_password(
            &app,
            &ctx(),
            &actor,
            "correct horse battery",
            "new passphrase 1",
        )
        .await
        .expect("change");
        assert!(
            accounts::authenticate_token(&app, &first.token)
                .await
                .is_ok()
        );
        assert_eq!(
            code(accounts::authenticate_token(&app, &second.token).await),
            "INVALID_TOKEN"
        );
        assert_eq!(
            code(
                accounts::login(
                    &app,
                    &ctx(),
                    login("dan@example.com", "correct horse battery")
                )
                .await
            ),
            "INVALID_CREDENTIALS"
        );
        accounts::login(&app, &ctx(), login("dan@example.com", "new passphrase 1"))
            .await
            .expect("new password works");
    }
);

both_backends!(totp_enrolment_and_login, |t: TestDb| async move {
    let (app, clock) = test_app(&t.db);
    yuming_test_support::signup_verified(&app, &ctx(), input("erin@example.com"))
        .await
        .expect("signup");
    let session = accounts::login(
        &app,
        &ctx(),
        login("erin@example.com", "correct horse battery"),
    )
    .await
    .expect("login");
    let actor = accounts::authenticate_token(&app, &session.token)
        .await
        .expect("auth");
    let enrolment = accounts::totp_begin(&app, &ctx(), &actor)
        .await
        .expect("begin");
    assert!(
        enrolment
            .otpauth_url
            .starts_with("otpauth://totp/Yuming:erin@example.com?secret=")
    );
    let secret = totp::base32_decode(&enrolment.secret).expect("base32");
    assert_eq!(
        code(accounts::totp_set_enabled(&app, &ctx(), &actor, "000000", true).await),
        "INVALID_TOTP"
    );
    let now_code = totp::code_at(&secret, app.now());
    accounts::totp_set_enabled(&app, &ctx(), &actor, &now_code, true)
        .await
        .expect("enable");

    assert_eq!(
        code(
            accounts::login(
                &app,
                &ctx(),
                login("erin@example.com", "correct horse battery")
            )
            .await
        ),
        "TOTP_REQUIRED"
    );
    clock.advance_secs(60);
    let fresh = totp::code_at(&secret, app.now());
    let with_code = LoginInput {
        totp: Some(fresh.clone()),
        ..login("erin@example.com", "correct horse battery")
    };
    accounts::login(&app, &ctx(), with_code.clone())
        .await
        .expect("login with code");
    // The same code cannot be used twice.
    assert_eq!(
        code(accounts::login(&app, &ctx(), with_code).await),
        "INVALID_TOTP"
    );
});

both_backends!(
    sub_accounts_get_a_subset_of_rights,
    |t: TestDb| async move {
        let (app, _clock) = test_app(&t.db);
        let parent = yuming_test_support::signup_verified(&app, &ctx(), input("corp@example.com"))
            .await
            .expect("signup");
        let session = accounts::login(
            &app,
            &ctx(),
            login("corp@example.com", "correct horse battery"),
        )
        .await
        .expect("login");
        let parent_actor = accounts::authenticate_token(&app, &session.token)
            .await
            .expect("auth");
        let sub_input = |rights: &[&str]| NewSubAccountInput {
            account: input("ops@example.com"),
            rights: rights.iter().map(|r| r.to_string()).collect(),
        };
        assert_eq!(
            code(
                accounts::create_sub_account(
                    &app,
                    &ctx(),
                    &parent_actor,
                    sub_input(&["staff:admin"])
                )
                .await
            ),
            "RIGHT_NOT_GRANTABLE"
        );
        assert_eq!(
            code(
                accounts::create_sub_account(&app, &ctx(), &parent_actor, sub_input(&["bogus"]))
                    .await
            ),
            "UNKNOWN_RIGHT"
        );
        let sub = accounts::create_sub_account(
            &app,
            &ctx(),
            &parent_actor,
            sub_input(&["domains:read", "dns:manage"]),
        )
        .await
        .expect("create sub");
        assert_eq!(sub.tenant_id, parent.id);
        assert_eq!(sub.parent_id.as_deref(), Some(parent.id.as_str()));

        let sub_session = accounts::login(
            &app,
            &ctx(),
            login("ops@example.com", "correct horse battery"),
        )
        .await
        .expect("sub login");
        let sub_actor: Actor = accounts::authenticate_token(&app, &sub_session.token)
            .await
            .expect("auth");
        assert!(sub_actor.is_sub_account());
        assert!(sub_actor.authorize(&parent.id, Right::DnsManage).is_ok());
        assert!(sub_actor.authorize(&parent.id, Right::BillingPay).is_err());
        // A sub-account cannot create API keys without the right, nor manage sub-accounts.
        assert_eq!(
            code(
                yuming_app::accounts::api_keys::create(
                    &app,
                    &ctx(),
                    &sub_actor,
                    yuming_app::accounts::api_keys::NewApiKeyInput {
                        name: "k".into(),
                        scopes: vec!["read".into()],
                        ..Default::default()
                    }
                )
                .await
            ),
            "FORBIDDEN"
        );
        assert_eq!(
            code(accounts::list_sub_accounts(&app, &sub_actor).await),
            "FORBIDDEN"
        );

        let updated =
            accounts::update_sub_account(&app, &ctx(), &parent_actor, &sub.id, None, Some(true))
                .await
                .expect("disable");
        assert_eq!(updated.status, "disabled");
        assert_eq!(
            code(accounts::authenticate_token(&app, &sub_session.token).await),
            "INVALID_TOKEN"
        );
        assert_eq!(
            accounts::list_sub_accounts(&app, &parent_actor)
                .await
                .expect("list")
                .len(),
            1
        );

        // Another tenant cannot touch the sub-account.
        yuming_test_support::signup_verified(&app, &ctx(), input("rival@example.com"))
            .await
            .expect("signup");
        let rival_session = accounts::login(
            &app,
            &ctx(),
            login("rival@example.com", "correct horse battery"),
        )
        .await
        .expect("login");
        let rival = accounts::authenticate_token(&app, &rival_session.token)
            .await
            .expect("auth");
        assert_eq!(
            code(
                accounts::update_sub_account(&app, &ctx(), &rival, &sub.id, None, Some(false))
                    .await
            ),
            "NOT_FOUND"
        );
    }
);

both_backends!(
    signup_verifies_the_address_before_money_moves,
    |t: TestDb| async move {
        let (app, clock) = test_app(&t.db);
        let accounts::SignupOutcome::Created(view) =
            accounts::signup(&app, &ctx(), input("vera@example.com"))
                .await
                .expect("signup")
        else {
            panic!("a new address creates an account");
        };
        assert!(!view.email_verified);
        // Logging in works; paying does not.
        accounts::login(
            &app,
            &ctx(),
            login("vera@example.com", "correct horse battery"),
        )
        .await
        .expect("an unverified account may log in");
        let amount = yuming_core::money::Money::new(10_000, yuming_core::money::Currency::Cny);
        let credit = yuming_app::billing::credit(
            &app,
            &ctx(),
            &crate::registrar::operator(),
            &view.id,
            amount,
            "t",
        )
        .await;
        assert_eq!(code(credit), "EMAIL_NOT_VERIFIED");

        // The outbox holds the link only sealed.
        let mails = yuming_test_support::email_outbox(&app, &view.id).await;
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].kind, "email_verification");
        assert!(
            mails[0].body.contains("{secret}") && !mails[0].body.contains("yev_"),
            "{}",
            mails[0].body
        );
        assert!(mails[0].secret_sealed.is_some());
        let tokens = yuming_test_support::verification_tokens(&app, &view.id).await;
        assert_eq!(tokens.len(), 1);
        assert!(tokens[0].starts_with("yev_"));

        // A second sign-up with the address tells its owner, and creates nothing.
        assert_eq!(
            accounts::signup(&app, &ctx(), input("Vera@example.com"))
                .await
                .unwrap(),
            accounts::SignupOutcome::AddressTaken
        );
        let mails = yuming_test_support::email_outbox(&app, &view.id).await;
        assert!(
            mails.iter().any(|m| m.kind == "signup_attempt"),
            "{mails:?}"
        );

        // Wrong tokens are refused; a re-send replaces the first link.
        assert_eq!(
            code(
                yuming_app::accounts::verification::verify_email(&app, &ctx(), "yev_forged").await
            ),
            "INVALID_VERIFICATION_TOKEN"
        );
        clock.advance_secs(1);
        yuming_app::accounts::verification::resend(&app, &ctx(), "vera@example.com")
            .await
            .unwrap();
        let tokens = yuming_test_support::verification_tokens(&app, &view.id).await;
        assert_eq!(tokens.len(), 2);
        let (newest, first) = (tokens[0].clone(), tokens[1].clone());
        assert_ne!(newest, first);
        assert_eq!(
            code(yuming_app::accounts::verification::verify_email(&app, &ctx(), &first).await),
            "INVALID_VERIFICATION_TOKEN",
            "replaced"
        );

        // A link expires.
        clock.advance_secs(49 * 3600);
        assert_eq!(
            code(yuming_app::accounts::verification::verify_email(&app, &ctx(), &newest).await),
            "INVALID_VERIFICATION_TOKEN",
            "expired"
        );
        yuming_app::accounts::verification::resend(&app, &ctx(), "vera@example.com")
            .await
            .unwrap();
        let fresh = yuming_test_support::verification_tokens(&app, &view.id)
            .await
            .remove(0);
        yuming_app::accounts::verification::verify_email(&app, &ctx(), &fresh)
            .await
            .expect("verifies");
        assert_eq!(
            code(yuming_app::accounts::verification::verify_email(&app, &ctx(), &fresh).await),
            "INVALID_VERIFICATION_TOKEN",
            "used up"
        );

        let actor = accounts::authenticate_token(
            &app,
            &accounts::login(
                &app,
                &ctx(),
                login("vera@example.com", "correct horse battery"),
            )
            .await
            .unwrap()
            .token,
        )
        .await
        .unwrap();
        assert!(accounts::me(&app, &actor).await.unwrap().email_verified);
        yuming_app::billing::credit(
            &app,
            &ctx(),
            &crate::registrar::operator(),
            &view.id,
            amount,
            "t",
        )
        .await
        .expect("a verified account can be credited");
        // A re-send to a verified address mails nothing.
        yuming_app::accounts::verification::resend(&app, &ctx(), "vera@example.com")
            .await
            .unwrap();
        assert_eq!(
            yuming_test_support::verification_tokens(&app, &view.id)
                .await
                .len(),
            3
        );
        assert_eq!(
            yuming_app::platform::audit::verify(&app)
                .await
                .expect("verify")
                .map(|_| ()),
            Ok(())
        );
    }
);

both_backends!(signups_are_limited_per_source, |t: TestDb| async move {
    let mut settings = yuming_test_support::test_settings();
    settings.signups_per_ip_per_hour = 2;
    let (app, clock) = yuming_test_support::test_app_with(&t.db, settings);
    accounts::signup(&app, &ctx(), input("one@example.com"))
        .await
        .unwrap();
    accounts::signup(&app, &ctx(), input("one@example.com"))
        .await
        .unwrap();
    let third = accounts::signup(&app, &ctx(), input("two@example.com")).await;
    let refused = third.expect_err("over the limit");
    assert_eq!(refused.code, "RATE_LIMITED");
    assert!(refused.retry_after_secs.is_some());
    assert_eq!(
        code(yuming_app::accounts::verification::resend(&app, &ctx(), "one@example.com").await),
        "RATE_LIMITED",
        "re-sends count too"
    );
    let other = RequestContext {
        client_ip: Some("198.51.100.7".into()),
        ..ctx()
    };
    accounts::signup(&app, &other, input("two@example.com"))
        .await
        .expect("another source is not limited");
    clock.advance_secs(3600);
    accounts::signup(&app, &ctx(), input("three@example.com"))
        .await
        .expect("a new hour");
});

both_backends!(
    sessions_are_listed_and_ended_one_by_one_or_all,
    |db: TestDb| async move {
        let (app, _clock) = test_app(&db.db);
        yuming_test_support::fixtures::customer(&app, "sessions@example.com").await;
        let second = yuming_test_support::fixtures::login(&app, "sessions@example.com").await;
        let other = yuming_test_support::fixtures::customer(&app, "other@example.com").await;

        let listed = accounts::sessions(&app, &second).await.expect("sessions");
        assert_eq!(listed.len(), 2);
        assert_eq!(listed.iter().filter(|s| s.current).count(), 1);
        let first_id = listed
            .iter()
            .find(|s| !s.current)
            .map(|s| s.id.clone())
            .expect("the other session");

        // Another account cannot end it, nor learn that it exists.
        assert_eq!(
            yuming_test_support::fixtures::code(
                accounts::revoke_session(&app, &ctx(), &other, &first_id).await
            ),
            "NOT_FOUND"
        );
        accounts::revoke_session(&app, &ctx(), &second, &first_id)
            .await
            .expect("revoke");
        let left = accounts::sessions(&app, &second).await.expect("sessions");
        assert_eq!(left.len(), 1);
        assert!(left[0].current);
        assert_eq!(
            yuming_test_support::fixtures::code(
                accounts::revoke_session(&app, &ctx(), &second, &first_id).await
            ),
            "NOT_FOUND",
            "an ended session cannot be ended again"
        );

        // Everywhere: this session too.
        let third = yuming_test_support::fixtures::login(&app, "sessions@example.com").await;
        let ended = accounts::logout_everywhere(&app, &ctx(), &third)
            .await
            .expect("logout everywhere");
        assert_eq!(ended, 2);
        assert!(
            accounts::sessions(&app, &third)
                .await
                .expect("sessions")
                .is_empty()
        );
        assert_eq!(
            accounts::sessions(&app, &other)
                .await
                .expect("other's")
                .len(),
            1,
            "other accounts keep theirs"
        );
    }
);
