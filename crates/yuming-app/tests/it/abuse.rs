//! Public abuse reports: a signed, single-use proof-of-work challenge and a per-address limit
//! guard the form; a report about a domain held here reaches staff as an `abuse` complaint
//! that the domain's holder never sees.

use yuming_app::RequestContext;
use yuming_app::care::{abuse, complaints};
use yuming_app::notify::notices::{self, Mailer};
use yuming_core::access::Role;
use yuming_core::pow;
use yuming_test_support::filing::{PERSON_ID, ready_order, world};
use yuming_test_support::smtp::SmtpSink;
use yuming_test_support::{TestDb, both_backends, fixtures};

fn from_ip(ip: &str) -> RequestContext {
    let mut ctx = fixtures::ctx();
    ctx.client_ip = Some(ip.to_owned());
    ctx
}

fn report(challenge: &str, nonce: &str, domain: &str) -> abuse::AbuseReport {
    abuse::AbuseReport {
        domain: domain.into(),
        category: "phishing".into(),
        body: "https://bad-login.example/ 仿冒网上银行登录页".into(),
        email: "reporter@example.org".into(),
        challenge: challenge.into(),
        nonce: nonce.into(),
    }
}

both_backends!(
    abuse_reports_reach_staff_once_per_challenge,
    |db: TestDb| async move {
        let w = world(&db).await;
        let (holder, _) = ready_order(
            &w,
            "holder@example.com",
            "phish-target.cn",
            "203.0.113.60",
            "13800138000",
            PERSON_ID,
        )
        .await;
        let care = fixtures::staff(&w.app, "care4@example.com", Role::Support).await;
        let ctx = from_ip("198.51.100.20");

        let challenge = abuse::challenge(&w.app);
        let nonce = pow::solve(&challenge, pow::ABUSE_FORM_BITS);
        // Unsolved, forged and unknown-domain reports are refused.
        let unsolved = abuse::report(&w.app, &ctx, &report(&challenge, "1", "phish-target.cn"))
            .await
            .expect_err("unsolved");
        assert_eq!(unsolved.code, "CHALLENGE_FAILED");
        let forged_challenge = format!("{}x", challenge);
        let forged_nonce = pow::solve(&forged_challenge, pow::ABUSE_FORM_BITS);
        let forged = abuse::report(
            &w.app,
            &ctx,
            &report(&forged_challenge, &forged_nonce, "phish-target.cn"),
        )
        .await
        .expect_err("forged");
        assert_eq!(forged.code, "CHALLENGE_FAILED");
        let elsewhere = abuse::report(&w.app, &ctx, &report(&challenge, &nonce, "not-ours.com"))
            .await
            .expect_err("not here");
        assert_eq!(elsewhere.code, "DOMAIN_NOT_HERE");

        let reference = abuse::report(&w.app, &ctx, &report(&challenge, &nonce, "phish-target.cn"))
            .await
            .expect("report");
        let reused = abuse::report(&w.app, &ctx, &report(&challenge, &nonce, "phish-target.cn"))
            .await
            .expect_err("reused");
        assert_eq!(reused.code, "CHALLENGE_FAILED");

        let queue = complaints::queue(&w.app, &care).await.expect("queue");
        let found = queue
            .iter()
            .find(|c| c.id == reference)
            .expect("staff see it");
        assert_eq!(found.kind, "abuse");
        assert_eq!(found.related.as_deref(), Some("phish-target.cn"));
        assert!(found.body.contains("reporter@example.org"));
        assert!(
            complaints::list(&w.app, &holder)
                .await
                .expect("list")
                .is_empty(),
            "the holder does not see reports about them"
        );
        assert_eq!(
            complaints::get(&w.app, &holder, &reference)
                .await
                .expect_err("holder")
                .code,
            "NOT_FOUND"
        );

        // Staff take it up and answer: the reporter, who has no account, hears both by e-mail
        // through the outbox and SMTP (the address was kept sealed), the answer included.
        let sink = SmtpSink::start();
        let mailer = Mailer::new(
            &format!("smtp://127.0.0.1:{}", sink.port),
            "Yuming <noreply@yuming.test>",
        )
        .expect("mailer");
        complaints::acknowledge(&w.app, &ctx, &care, &reference)
            .await
            .expect("acknowledge");
        complaints::answer(
            &w.app,
            &ctx,
            &care,
            &reference,
            "该域名的解析已暂停，持有人已被要求整改。",
        )
        .await
        .expect("answer");
        let (sent, failed) = notices::deliver_email(&w.app, &mailer, 20)
            .await
            .expect("deliver");
        assert_eq!((sent, failed), (2, 0));
        let mails = sink.received();
        assert!(
            mails
                .iter()
                .all(|m| m["to"] == serde_json::json!(["reporter@example.org"])),
            "{mails:?}"
        );
        // Both went out in one delivery run: their order is the outbox's, not the steps'.
        assert!(
            mails
                .iter()
                .any(|m| m["body"].as_str().unwrap_or("").contains("解析已暂停")),
            "the answer itself reaches the reporter: {mails:?}"
        );
        assert!(
            mails.iter().all(|m| m["subject"]
                .as_str()
                .unwrap_or("")
                .contains("phish-target.cn")),
            "{mails:?}"
        );

        // Five reports an hour per address.
        let mut limited = false;
        for _ in 0..6 {
            let challenge = abuse::challenge(&w.app);
            let nonce = pow::solve(&challenge, pow::ABUSE_FORM_BITS);
            if let Err(e) = abuse::report(
                &w.app,
                &from_ip("198.51.100.21"),
                &report(&challenge, &nonce, "phish-target.cn"),
            )
            .await
            {
                assert_eq!(e.code, "RATE_LIMITED");
                limited = true;
            }
        }
        assert!(limited);
    }
);
