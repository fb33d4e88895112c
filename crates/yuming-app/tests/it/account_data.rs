//! The account holder's own data on both backends: the archive of everything the account
//! holds, and the closure request that staff complete only once nothing is left.

use std::io::Read;

use yuming_app::accounts::{self, LoginInput, NewSubAccountInput, closure};
use yuming_app::dns::{self, RecordChange};
use yuming_app::ops::data_export;
use yuming_app::registrar::domains;
use yuming_app::registrar::export::ArchiveFormat;
use yuming_core::access::Role;
use yuming_test_support::{TestDb, both_backends, fixtures, test_app};

use crate::registrar::{code, ctx, customer, register_input};

fn files_of(tgz: &[u8]) -> Vec<(String, String)> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(tgz));
    archive
        .entries()
        .expect("entries")
        .map(|e| {
            let mut e = e.expect("entry");
            let path = e.path().expect("path").to_string_lossy().into_owned();
            let mut text = String::new();
            e.read_to_string(&mut text).expect("utf-8 file");
            (path, text)
        })
        .collect()
}

both_backends!(
    the_archive_holds_the_accounts_data_and_no_secrets,
    |t: TestDb| async move {
        let (app, _clock) = test_app(&t.db);
        let (alice, contact) = customer(&app, &t, "alice@example.com", 100_000).await;
        domains::register(
            &app,
            &ctx(),
            &alice,
            register_input("mine.com", 1, &contact),
        )
        .await
        .expect("register");
        dns::create_record(
            &app,
            &ctx(),
            &alice,
            "mine.com",
            RecordChange {
                rtype: "A".into(),
                name: "www".into(),
                value: "192.0.2.9".into(),
                ttl: Some(600),
                priority: None,
            },
        )
        .await
        .expect("record");
        let key = accounts::api_keys::create(
            &app,
            &ctx(),
            &alice,
            accounts::api_keys::NewApiKeyInput {
                name: "ci".into(),
                scopes: vec!["read".into()],
                ..Default::default()
            },
        )
        .await
        .expect("key");

        let (name, tgz) = data_export::export(&app, &ctx(), &alice, ArchiveFormat::TarGz)
            .await
            .expect("archive");
        assert!(
            name.starts_with("yuming-data-") && name.ends_with(".tar.gz"),
            "{name}"
        );
        let files = files_of(&tgz);
        let file = |path: &str| {
            files
                .iter()
                .find(|(p, _)| p == &format!("yuming-export/{path}"))
                .map(|(_, text)| text.as_str())
                .unwrap_or_else(|| {
                    panic!(
                        "{path} in {:?}",
                        files.iter().map(|f| &f.0).collect::<Vec<_>>()
                    )
                })
        };
        assert!(file("account.json").contains("alice@example.com"));
        assert!(file("account.json").contains("\"balance_minor\""));
        let contacts = file("contacts.json");
        assert!(contacts.contains(&contact));
        assert!(
            !contacts.contains("11010519491231002X"),
            "document numbers stay masked"
        );
        assert!(file("domains.json").contains("mine.com"));
        assert!(file("domains/mine.com/zone.txt").contains("192.0.2.9"));
        assert!(file("domains/mine.com/dns_history.json").contains("dns.record_create"));
        assert!(file("orders.json").contains("mine.com"));
        assert!(file("ledger.json").contains("amount_minor"));
        let keys = file("api_keys.json");
        assert!(
            keys.contains(&key.key.id) && !keys.contains(&key.secret),
            "no secret"
        );
        assert!(file("audit.json").contains("domain.register"));
        assert!(file("README.txt").contains("ledger.json"));
        for (path, text) in &files {
            if path.ends_with(".json") {
                serde_json::from_str::<serde_json::Value>(text)
                    .unwrap_or_else(|e| panic!("{path} is not JSON: {e}"));
            }
        }
        // The zip holds the same files; producing either is in the audit log.
        let (_, zip) = data_export::export(&app, &ctx(), &alice, ArchiveFormat::Zip)
            .await
            .expect("zip");
        let zip = zip::ZipArchive::new(std::io::Cursor::new(zip)).expect("zip");
        assert_eq!(zip.len(), files.len());
        let trail = yuming_app::platform::audit::list(&app, &alice, None, 50)
            .await
            .expect("audit");
        assert_eq!(
            trail
                .entries
                .iter()
                .filter(|e| e.action == "account.data_export")
                .count(),
            2
        );
    }
);

both_backends!(
    an_account_closes_only_once_nothing_is_left,
    |t: TestDb| async move {
        let (app, _clock) = test_app(&t.db);
        let alice = fixtures::funded_customer(&app, "alice@example.com", 5_000).await;
        let bob = fixtures::customer(&app, "bob@example.com").await;
        let finance = fixtures::staff(&app, "fin@example.com", Role::Finance).await;
        let password = fixtures::PASSWORD;

        assert_eq!(
            code(closure::request(&app, &ctx(), &alice, "not it", None).await),
            "WRONG_PASSWORD"
        );
        let long = "长".repeat(501);
        assert_eq!(
            code(closure::request(&app, &ctx(), &alice, password, Some(&long)).await),
            "INVALID_REASON"
        );
        let asked = closure::request(&app, &ctx(), &alice, password, Some("不再使用"))
            .await
            .expect("request");
        assert_eq!(asked.status, "requested");
        assert_eq!(
            code(closure::request(&app, &ctx(), &alice, password, None).await),
            "CLOSURE_PENDING"
        );
        // Customers do not see the queue; finance does, with what keeps each account open.
        assert_eq!(code(closure::queue(&app, &alice, 10).await), "FORBIDDEN");
        let queue = closure::queue(&app, &finance, 10).await.expect("queue");
        assert_eq!(queue.len(), 1);
        assert_eq!(queue[0].1, vec![closure::Blocker::Balance(5_000)]);
        let refused = closure::decide(&app, &ctx(), &finance, &asked.id, true, None).await;
        let error = refused.expect_err("money is left");
        assert_eq!(error.code, "ACCOUNT_NOT_EMPTY");
        assert!(
            error.message_zh.contains("余额 ¥50.00 待退款"),
            "{}",
            error.message_zh
        );
        assert_eq!(
            code(closure::decide(&app, &ctx(), &finance, &asked.id, false, Some(" ")).await),
            "REASON_REQUIRED"
        );
        // The holder withdraws, and may ask again later.
        closure::withdraw(&app, &ctx(), &alice)
            .await
            .expect("withdraw");
        assert_eq!(
            code(closure::withdraw(&app, &ctx(), &alice).await),
            "NO_CLOSURE_REQUEST"
        );
        assert_eq!(
            closure::current(&app, &alice)
                .await
                .expect("current")
                .map(|c| c.status),
            Some("withdrawn".to_owned())
        );

        // A sub-account cannot close its parent's account.
        let sub = accounts::create_sub_account(
            &app,
            &ctx(),
            &alice,
            NewSubAccountInput {
                account: fixtures::account_input("ops@example.com"),
                rights: vec!["domains:read".into()],
            },
        )
        .await
        .expect("sub-account");
        let sub_actor = fixtures::login(&app, &sub.email).await;
        assert_eq!(
            code(closure::request(&app, &ctx(), &sub_actor, password, None).await),
            "NOT_A_PARENT_ACCOUNT"
        );

        // Nothing left: finance closes it; the holder can no longer log in or use its session.
        let session = accounts::login(
            &app,
            &ctx(),
            LoginInput {
                email: "bob@example.com".into(),
                password: password.into(),
                totp: None,
            },
        )
        .await
        .expect("login");
        let bobs = closure::request(&app, &ctx(), &bob, password, None)
            .await
            .expect("request");
        let done = closure::decide(&app, &ctx(), &finance, &bobs.id, true, Some("已核实"))
            .await
            .expect("complete");
        assert_eq!(done.status, "completed");
        assert_eq!(
            code(closure::decide(&app, &ctx(), &finance, &bobs.id, true, None).await),
            "NO_CLOSURE_REQUEST"
        );
        assert_eq!(
            code(
                accounts::login(
                    &app,
                    &ctx(),
                    LoginInput {
                        email: "bob@example.com".into(),
                        password: password.into(),
                        totp: None,
                    },
                )
                .await
            ),
            "ACCOUNT_DISABLED"
        );
        assert!(
            accounts::authenticate_token(&app, &session.token)
                .await
                .is_err()
        );
        let _ = bob;
    }
);
