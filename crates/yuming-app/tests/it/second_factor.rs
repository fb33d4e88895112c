//! One attempt counter for every check of an account's secrets (security review, items 5, 6
//! and 13): concurrent logins cannot outrun the lockout, TOTP enable/disable and password
//! changes count towards it, and a TOTP code that changed the enrolment is used up.

use yuming_app::accounts::{self, LoginInput, NewAccountInput};
use yuming_app::{App, AppError, ErrorKind, RequestContext};
use yuming_core::access::Actor;
use yuming_core::clock::Timestamp;
use yuming_core::credentials::LockoutPolicy;
use yuming_core::totp;
use yuming_store::{Db, Reservation, Settlement};
use yuming_test_support::{TestDb, both_backends, test_app};

const PASSWORD: &str = "correct horse battery";

fn ctx() -> RequestContext {
    RequestContext::internal("test")
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

async fn signed_in(app: &App, email: &str) -> Actor {
    yuming_test_support::signup_verified(
        app,
        &ctx(),
        NewAccountInput {
            email: email.into(),
            password: PASSWORD.into(),
            display_name: "x".into(),
        },
    )
    .await
    .expect("signup");
    let session = accounts::login(app, &ctx(), login(email, PASSWORD))
        .await
        .expect("login");
    accounts::authenticate_token(app, &session.token)
        .await
        .expect("auth")
}

/// Enrols TOTP and returns the secret; the enabling code's step is used up.
async fn with_totp(app: &App, actor: &Actor) -> Vec<u8> {
    let enrolment = accounts::totp_begin(app, &ctx(), actor)
        .await
        .expect("begin");
    let secret = totp::base32_decode(&enrolment.secret).expect("base32");
    let now_code = totp::code_at(&secret, app.now());
    accounts::totp_set_enabled(app, &ctx(), actor, &now_code, true)
        .await
        .expect("enable");
    secret
}

both_backends!(
    concurrent_wrong_logins_cannot_outrun_the_lockout,
    |t: TestDb| async move {
        let (app, _clock) = test_app(&t.db);
        signed_in(&app, "mallory-target@example.com").await;
        let threshold = app.settings().lockout.threshold;
        let attempts: Vec<_> = (0..20)
            .map(|_| {
                let app = app.clone();
                tokio::spawn(async move {
                    accounts::login(
                        &app,
                        &ctx(),
                        login("mallory-target@example.com", "wrong password!"),
                    )
                    .await
                    .err()
                    .map(|e| e.code)
                })
            })
            .collect();
        let mut codes = Vec::new();
        for attempt in attempts {
            codes.push(attempt.await.expect("task"));
        }
        let wrong = codes
            .iter()
            .filter(|c| **c == Some("INVALID_CREDENTIALS"))
            .count();
        let locked = codes
            .iter()
            .filter(|c| **c == Some("ACCOUNT_LOCKED"))
            .count();
        // Each attempt is counted before its password is checked: only `threshold` of the 20
        // are checked at all, and the last of those locks the account.
        assert_eq!(
            (wrong, locked),
            (threshold as usize - 1, 21 - threshold as usize),
            "{codes:?}"
        );
        assert_eq!(
            code(
                accounts::login(&app, &ctx(), login("mallory-target@example.com", PASSWORD)).await
            ),
            "ACCOUNT_LOCKED"
        );
    }
);

async fn reserve(db: &Db, account_id: &str, policy: LockoutPolicy, now: Timestamp) -> Reservation {
    let mut tx = db.write().await.expect("tx");
    let reservation = tx
        .reserve_attempt(account_id, now.0, |n| {
            policy.locked_until(n, now).map(|t| t.0)
        })
        .await
        .expect("reserve");
    tx.commit().await.expect("commit");
    reservation
}

both_backends!(
    a_right_attempt_keeps_attempts_reserved_after_it,
    |t: TestDb| async move {
        let (app, _clock) = test_app(&t.db);
        let actor = signed_in(&app, "race@example.com").await;
        let policy = app.settings().lockout;
        let now = app.now();
        // The right password is reserved first, four wrong guesses after it; the fourth
        // reaches the threshold and locks at once, so a fifth is refused unchecked.
        let right = reserve(&t.db, &actor.account_id, policy, now).await;
        assert_eq!(
            right,
            Reservation::Reserved {
                count: 1,
                locks_until: None
            }
        );
        for _ in 0..3 {
            assert!(matches!(
                reserve(&t.db, &actor.account_id, policy, now).await,
                Reservation::Reserved { .. }
            ));
        }
        assert!(matches!(
            reserve(&t.db, &actor.account_id, policy, now).await,
            Reservation::Reserved {
                count: 5,
                locks_until: Some(_)
            }
        ));
        assert!(matches!(
            reserve(&t.db, &actor.account_id, policy, now).await,
            Reservation::Locked { .. }
        ));
        // The right one succeeds: it takes back itself only, not the guesses after it.
        let mut tx = t.db.write().await.expect("tx");
        tx.settle_attempt(
            &actor.account_id,
            Settlement::Success { count: 1 },
            policy.threshold,
            now.0,
        )
        .await
        .expect("settle");
        tx.commit().await.expect("commit");
        let mut tx = t.db.read().await.expect("tx");
        let row = tx
            .account_by_id(&actor.account_id)
            .await
            .expect("row")
            .expect("account");
        tx.commit().await.expect("commit");
        assert_eq!((row.failed_logins, row.locked_until), (4, None));
        // So one more wrong password locks the account.
        assert_eq!(
            code(accounts::login(&app, &ctx(), login("race@example.com", "wrong password!")).await),
            "ACCOUNT_LOCKED"
        );
    }
);

both_backends!(
    totp_disable_guesses_lock_the_account,
    |t: TestDb| async move {
        let (app, clock) = test_app(&t.db);
        let actor = signed_in(&app, "stolen-session@example.com").await;
        let secret = with_totp(&app, &actor).await;
        clock.advance_secs(30);
        let wrong = if totp::code_at(&secret, app.now()) == "123456" {
            "654321"
        } else {
            "123456"
        };
        for _ in 0..4 {
            assert_eq!(
                code(accounts::totp_set_enabled(&app, &ctx(), &actor, wrong, false).await),
                "INVALID_TOTP"
            );
        }
        let fifth = accounts::totp_set_enabled(&app, &ctx(), &actor, wrong, false)
            .await
            .expect_err("locks");
        assert_eq!(
            (fifth.code, fifth.kind, fifth.retry_after_secs),
            ("ACCOUNT_LOCKED", ErrorKind::TooManyRequests, Some(60))
        );
        // Locked means locked everywhere: the right code and the password are refused too.
        let right = totp::code_at(&secret, app.now());
        assert_eq!(
            code(accounts::totp_set_enabled(&app, &ctx(), &actor, &right, false).await),
            "ACCOUNT_LOCKED"
        );
        let with_code = LoginInput {
            totp: Some(right.clone()),
            ..login("stolen-session@example.com", PASSWORD)
        };
        assert_eq!(
            code(accounts::login(&app, &ctx(), with_code).await),
            "ACCOUNT_LOCKED"
        );
        assert!(accounts::me(&app, &actor).await.expect("me").totp_enabled);
        // After the lock, the owner's right code disables TOTP and clears the count.
        clock.advance_secs(61);
        let right = totp::code_at(&secret, app.now());
        accounts::totp_set_enabled(&app, &ctx(), &actor, &right, false)
            .await
            .expect("disable");
        assert!(!accounts::me(&app, &actor).await.expect("me").totp_enabled);
    }
);

both_backends!(
    password_change_and_login_share_one_counter,
    |t: TestDb| async move {
        let (app, _clock) = test_app(&t.db);
        let actor = signed_in(&app, "shared@example.com").await;
        for _ in 0..2 {
            assert_eq!(
                code(
                    accounts::login(&app, &ctx(), login("shared@example.com", "wrong password!"))
                        .await
                ),
                "INVALID_CREDENTIALS"
            );
        }
        for _ in 0..2 {
            assert_eq!(
                code(
                    accounts::change_password(
                        &app,
                        &ctx(),
                        &actor,
                        "wrong guess",
                        "new passphrase 1"
                    )
                    .await
                ),
                "WRONG_PASSWORD"
            );
        }
        assert_eq!(
            code(
                accounts::change_password(&app, &ctx(), &actor, "wrong guess", "new passphrase 1")
                    .await
            ),
            "ACCOUNT_LOCKED"
        );
        assert_eq!(
            code(accounts::login(&app, &ctx(), login("shared@example.com", PASSWORD)).await),
            "ACCOUNT_LOCKED"
        );
    }
);

both_backends!(the_enabling_code_is_used_up, |t: TestDb| async move {
    let (app, clock) = test_app(&t.db);
    let actor = signed_in(&app, "replay@example.com").await;
    let enrolment = accounts::totp_begin(&app, &ctx(), &actor)
        .await
        .expect("begin");
    let secret = totp::base32_decode(&enrolment.secret).expect("base32");
    let enabling = totp::code_at(&secret, app.now());
    accounts::totp_set_enabled(&app, &ctx(), &actor, &enabling, true)
        .await
        .expect("enable");
    // Whoever watched the enabling code cannot log in with it.
    let replay = LoginInput {
        totp: Some(enabling.clone()),
        ..login("replay@example.com", PASSWORD)
    };
    assert_eq!(
        code(accounts::login(&app, &ctx(), replay).await),
        "INVALID_TOTP"
    );
    // A code that logged in cannot disable TOTP either.
    clock.advance_secs(60);
    let fresh = totp::code_at(&secret, app.now());
    accounts::login(
        &app,
        &ctx(),
        LoginInput {
            totp: Some(fresh.clone()),
            ..login("replay@example.com", PASSWORD)
        },
    )
    .await
    .expect("login");
    assert_eq!(
        code(accounts::totp_set_enabled(&app, &ctx(), &actor, &fresh, false).await),
        "INVALID_TOTP"
    );
    clock.advance_secs(30);
    let next = totp::code_at(&secret, app.now());
    accounts::totp_set_enabled(&app, &ctx(), &actor, &next, false)
        .await
        .expect("disable with a new code");
});

both_backends!(
    cancellation_totp_guesses_share_the_lockout,
    |t: TestDb| async move {
        use yuming_app::registrar::cancellations::{self, Submission};
        let (app, clock) = test_app(&t.db);
        let (alice, contact) =
            crate::registrar::customer(&app, &t, "cancel@example.com", 100_000).await;
        yuming_app::registrar::domains::register(
            &app,
            &ctx(),
            &alice,
            crate::registrar::register_input("bye.com", 1, &contact),
        )
        .await
        .expect("register");
        let secret = with_totp(&app, &alice).await;
        let request = cancellations::create(&app, &ctx(), &alice, &["bye.com".to_owned()])
            .await
            .expect("create");
        for step in ["status", "filings", "export", "final_notice"] {
            cancellations::confirm_step(&app, &ctx(), &alice, &request.id, step)
                .await
                .expect("step");
        }
        clock.advance_secs(30);
        let wrong = if totp::code_at(&secret, app.now()) == "123456" {
            "654321"
        } else {
            "123456"
        };
        let guess = || Submission {
            totp: Some(wrong.to_owned()),
            ..Submission::default()
        };
        // Before: five wrong codes per request and hour, with a new request for more guesses.
        // Now the account's counter decides: four wrong codes, then the lock.
        for _ in 0..4 {
            assert_eq!(
                code(cancellations::submit(&app, &ctx(), &alice, &request.id, guess()).await),
                "INVALID_CONFIRMATION"
            );
        }
        assert_eq!(
            code(cancellations::submit(&app, &ctx(), &alice, &request.id, guess()).await),
            "ACCOUNT_LOCKED"
        );
        assert_eq!(
            code(accounts::login(&app, &ctx(), login("cancel@example.com", PASSWORD)).await),
            "ACCOUNT_LOCKED"
        );
    }
);
