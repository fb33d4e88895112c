//! Passkeys as the second factor: adding one, logging in with it (and only with a fresh,
//! matching answer), a cloned authenticator caught by its counter, removal, and a deployment
//! served at an IP address where browsers cannot use them.

use yuming_app::accounts::passkeys::{self, PasskeyAssertion, PasskeyCeremony};
use yuming_app::accounts::{self, LoginInput, LoginStep, NewAccountInput, SecondStepInput};
use yuming_app::{App, RequestContext};
use yuming_core::access::Actor;
use yuming_test_support::fixtures::code;
use yuming_test_support::webauthn::SoftAuthenticator;
use yuming_test_support::{TestDb, both_backends, test_app, test_app_with, test_settings};

const PASSWORD: &str = "correct horse battery";
const ORIGIN: &str = "http://localhost:8080";

fn ctx() -> RequestContext {
    RequestContext::internal("test")
}

fn login(email: &str) -> LoginInput {
    LoginInput {
        email: email.into(),
        password: PASSWORD.into(),
        totp: None,
    }
}

/// The second step answered with a passkey.
fn with_passkey(answer: PasskeyAssertion) -> SecondStepInput {
    SecondStepInput {
        ticket: answer.challenge_id.clone(),
        totp: None,
        passkey: Some(answer),
    }
}

async fn signed_in(app: &App, email: &str) -> Actor {
    yuming_test_support::signup_verified(
        app,
        &ctx(),
        NewAccountInput {
            email: email.into(),
            password: PASSWORD.into(),
            display_name: "Passkey user".into(),
        },
    )
    .await
    .expect("signup");
    let session = accounts::login(app, &ctx(), login(email))
        .await
        .expect("login");
    accounts::authenticate_token(app, &session.token)
        .await
        .expect("auth")
}

/// Logs in with the password and returns the passkey ceremony offered.
async fn second_step(app: &App, email: &str) -> PasskeyCeremony {
    match accounts::login_step(app, &ctx(), login(email)).await {
        Ok(LoginStep::SecondFactor(step)) => {
            let ceremony = step.passkey.expect("passkey offered");
            assert_eq!(
                ceremony.challenge_id, step.ticket,
                "the ticket is the challenge"
            );
            ceremony
        }
        other => panic!("expected the second-factor step, got {other:?}"),
    }
}

both_backends!(
    a_passkey_becomes_the_second_factor,
    |t: TestDb| async move {
        let (app, clock) = test_app(&t.db);
        let actor = signed_in(&app, "pk@example.com").await;
        let mut authenticator = SoftAuthenticator::new(ORIGIN);

        let ceremony = passkeys::registration_options(&app, &actor)
            .await
            .expect("options");
        assert_eq!(ceremony.options["rp"]["id"], "localhost");
        assert_eq!(ceremony.options["attestation"], "none");
        let added = passkeys::register(
            &app,
            &ctx(),
            &actor,
            authenticator.register(&ceremony, "Laptop"),
        )
        .await
        .expect("register");
        assert_eq!(added.name, "Laptop");
        // The same challenge cannot register twice.
        assert_eq!(
            code(
                passkeys::register(&app, &ctx(), &actor, authenticator.register(&ceremony, "x"))
                    .await
            ),
            "INVALID_PASSKEY"
        );
        // The next ceremony excludes the credential already there.
        let again = passkeys::registration_options(&app, &actor)
            .await
            .expect("options");
        assert_eq!(
            again.options["excludeCredentials"][0]["id"],
            authenticator.credential_id()
        );
        assert_eq!(
            code(
                passkeys::register(
                    &app,
                    &ctx(),
                    &actor,
                    authenticator.register(&again, "Twice")
                )
                .await
            ),
            "PASSKEY_EXISTS"
        );

        // The password alone no longer logs in.
        assert_eq!(
            code(accounts::login(&app, &ctx(), login("pk@example.com")).await),
            "SECOND_FACTOR_REQUIRED"
        );
        let ceremony = second_step(&app, "pk@example.com").await;
        assert_eq!(
            ceremony.options["allowCredentials"][0]["id"],
            authenticator.credential_id()
        );
        let answer = authenticator.assert(&ceremony);
        let session = accounts::login_second_step(&app, &ctx(), with_passkey(answer.clone()))
            .await
            .expect("login with the passkey");
        assert_eq!(session.account.id, actor.account_id);
        // The ticket is used up with the login: the same answer cannot log in again.
        assert_eq!(
            code(accounts::login_second_step(&app, &ctx(), with_passkey(answer)).await),
            "LOGIN_STEP_EXPIRED"
        );
        let listed = passkeys::list(&app, &actor).await.expect("list");
        assert_eq!(listed.len(), 1);
        assert!(listed[0].last_used_at.is_some());

        // A wrong password never reaches the passkey step.
        assert_eq!(
            code(
                accounts::login_step(
                    &app,
                    &ctx(),
                    LoginInput {
                        password: "wrong password here".into(),
                        ..login("pk@example.com")
                    }
                )
                .await
            ),
            "INVALID_CREDENTIALS"
        );

        // A copy of the authenticator with an older counter is refused.
        let ceremony = second_step(&app, "pk@example.com").await;
        let cloned = authenticator.copy_with_counter(0).assert(&ceremony);
        assert_eq!(
            code(accounts::login_second_step(&app, &ctx(), with_passkey(cloned)).await),
            "INVALID_PASSKEY"
        );
        // Another account's ceremony does not fit this account's passkey.
        let other = signed_in(&app, "other@example.com").await;
        let mut stranger = SoftAuthenticator::new(ORIGIN);
        let theirs = passkeys::registration_options(&app, &other)
            .await
            .expect("options");
        passkeys::register(&app, &ctx(), &other, stranger.register(&theirs, ""))
            .await
            .expect("register");
        let ceremony = second_step(&app, "pk@example.com").await;
        assert_eq!(
            code(
                accounts::login_second_step(&app, &ctx(), with_passkey(stranger.assert(&ceremony)))
                    .await
            ),
            "INVALID_PASSKEY"
        );

        // A wrong answer leaves the ticket usable; the right one then logs in. A ticket is
        // good for five minutes only.
        let ceremony = second_step(&app, "pk@example.com").await;
        let ticket = ceremony.challenge_id.clone();
        assert_eq!(
            code(
                accounts::login_second_step(
                    &app,
                    &ctx(),
                    SecondStepInput {
                        ticket: ticket.clone(),
                        totp: Some("123456".into()),
                        passkey: None,
                    }
                )
                .await
            ),
            "SECOND_FACTOR_REQUIRED",
            "no TOTP on this account: a code is no answer"
        );
        let ceremony = second_step(&app, "pk@example.com").await;
        clock.advance_secs(301);
        assert_eq!(
            code(
                accounts::login_second_step(
                    &app,
                    &ctx(),
                    with_passkey(authenticator.assert(&ceremony))
                )
                .await
            ),
            "LOGIN_STEP_EXPIRED"
        );
        assert_eq!(
            code(accounts::resume_second_step(&app, &ticket).await),
            "LOGIN_STEP_EXPIRED"
        );
        let ceremony = second_step(&app, "pk@example.com").await;
        accounts::login_second_step(&app, &ctx(), with_passkey(authenticator.assert(&ceremony)))
            .await
            .expect("a fresh step logs in");

        // Removing it brings back the password-only login; the audit log has both changes.
        passkeys::remove(&app, &ctx(), &actor, &listed[0].id)
            .await
            .expect("remove");
        assert_eq!(
            code(passkeys::remove(&app, &ctx(), &other, &listed[0].id).await),
            "NOT_FOUND"
        );
        accounts::login(&app, &ctx(), login("pk@example.com"))
            .await
            .expect("password only again");
        let mut tx = t.db.read().await.expect("tx");
        let page = tx
            .audit_page(Some(&actor.tenant_id), None, 100)
            .await
            .expect("audit");
        let actions: Vec<&str> = page.entries.iter().map(|e| e.action.as_str()).collect();
        assert!(actions.contains(&"account.passkey_add"), "{actions:?}");
        assert!(actions.contains(&"account.passkey_remove"), "{actions:?}");
    }
);

both_backends!(passkeys_need_a_host_name, |t: TestDb| async move {
    let settings = yuming_app::AppSettings {
        public_url: "http://127.0.0.1:8080".into(),
        ..test_settings()
    };
    let (app, _clock) = test_app_with(&t.db, settings);
    let actor = signed_in(&app, "ip@example.com").await;
    assert!(!passkeys::available(&app));
    assert_eq!(
        code(passkeys::registration_options(&app, &actor).await),
        "PASSKEYS_UNAVAILABLE"
    );
});

both_backends!(
    passkey_or_totp_and_wrong_answers_count,
    |t: TestDb| async move {
        let (app, _clock) = test_app(&t.db);
        let actor = signed_in(&app, "both@example.com").await;
        let enrolment = accounts::totp_begin(&app, &ctx(), &actor)
            .await
            .expect("begin");
        let secret = yuming_core::totp::base32_decode(&enrolment.secret).expect("base32");
        let now_code = yuming_core::totp::code_at(&secret, app.now());
        accounts::totp_set_enabled(&app, &ctx(), &actor, &now_code, true)
            .await
            .expect("enable");
        let mut authenticator = SoftAuthenticator::new(ORIGIN);
        let ceremony = passkeys::registration_options(&app, &actor)
            .await
            .expect("options");
        passkeys::register(
            &app,
            &ctx(),
            &actor,
            authenticator.register(&ceremony, "Key"),
        )
        .await
        .expect("register");

        // Both are offered; the API's one-call login says which are needed.
        let step = match accounts::login_step(&app, &ctx(), login("both@example.com")).await {
            Ok(LoginStep::SecondFactor(step)) => step,
            other => panic!("{other:?}"),
        };
        assert!(step.totp && step.passkey.is_some());
        assert_eq!(
            code(accounts::login(&app, &ctx(), login("both@example.com")).await),
            "SECOND_FACTOR_REQUIRED"
        );
        // The TOTP code answers the step as well as the passkey would.
        let code_now = yuming_core::totp::code_at(&secret, app.now().plus_secs(30));
        let session = accounts::login_second_step(
            &app,
            &ctx(),
            SecondStepInput {
                ticket: step.ticket.clone(),
                totp: Some(code_now),
                passkey: None,
            },
        )
        .await
        .expect("TOTP at the second step");
        assert_eq!(session.account.id, actor.account_id);

        // Wrong passkey answers count like wrong passwords: the fifth failure locks.
        let step = match accounts::login_step(&app, &ctx(), login("both@example.com")).await {
            Ok(LoginStep::SecondFactor(step)) => step,
            other => panic!("{other:?}"),
        };
        let mut stranger = SoftAuthenticator::new(ORIGIN);
        let ceremony = step.passkey.clone().expect("ceremony");
        for _ in 0..4 {
            assert_eq!(
                code(
                    accounts::login_second_step(
                        &app,
                        &ctx(),
                        with_passkey(stranger.assert(&ceremony))
                    )
                    .await
                ),
                "INVALID_PASSKEY"
            );
        }
        // The fifth locks (the answer says so), and then even the right passkey waits.
        assert_eq!(
            code(
                accounts::login_second_step(&app, &ctx(), with_passkey(stranger.assert(&ceremony)))
                    .await
            ),
            "ACCOUNT_LOCKED"
        );
        assert_eq!(
            code(
                accounts::login_second_step(
                    &app,
                    &ctx(),
                    with_passkey(authenticator.assert(&ceremony))
                )
                .await
            ),
            "ACCOUNT_LOCKED"
        );
    }
);
