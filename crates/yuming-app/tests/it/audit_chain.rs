use yuming_app::accounts::{self, NewAccountInput};
use yuming_app::{RequestContext, platform::audit};
use yuming_core::access::Actor;
use yuming_core::audit::{BreakKind, ChainBreak};
use yuming_test_support::{TestDb, both_backends, test_app};

fn input(email: &str) -> NewAccountInput {
    NewAccountInput {
        email: email.into(),
        password: "correct horse battery".into(),
        display_name: "x".into(),
    }
}

both_backends!(
    every_change_is_chained_and_verified,
    |t: TestDb| async move {
        let (app, _clock) = test_app(&t.db);
        for i in 0..5 {
            accounts::signup(
                &app,
                &RequestContext::internal("req-1"),
                input(&format!("u{i}@example.com")),
            )
            .await
            .expect("signup");
        }
        assert_eq!(audit::verify(&app).await.expect("verify"), Ok(5));

        let listing = audit::list(&app, &Actor::system(), None, 2)
            .await
            .expect("list");
        assert_eq!(
            listing.entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![5, 4]
        );
        assert_eq!(listing.next_before_seq, Some(4));
        assert_eq!(listing.entries[0].request_id, "req-1");
        assert!(!listing.entries[0].after.contains("password"));

        t.db.execute_raw("UPDATE audit_log SET after_summary = '{\"email\":\"mallory@example.com\"}' WHERE seq = 3")
        .await
        .expect("tamper");
        assert_eq!(
            audit::verify(&app).await.expect("verify"),
            Err(ChainBreak {
                seq: 3,
                kind: BreakKind::ContentChanged
            })
        );
    }
);

both_backends!(deleted_entries_are_detected, |t: TestDb| async move {
    let (app, _clock) = test_app(&t.db);
    for i in 0..4 {
        accounts::signup(
            &app,
            &RequestContext::internal("r"),
            input(&format!("u{i}@example.com")),
        )
        .await
        .expect("signup");
    }
    t.db.execute_raw("DELETE FROM audit_log WHERE seq = 4")
        .await
        .expect("delete last");
    assert_eq!(
        audit::verify(&app).await.expect("verify"),
        Err(ChainBreak {
            seq: 4,
            kind: BreakKind::Truncated
        })
    );
    t.db.execute_raw("DELETE FROM audit_log WHERE seq = 2")
        .await
        .expect("delete middle");
    assert_eq!(
        audit::verify(&app).await.expect("verify"),
        Err(ChainBreak {
            seq: 2,
            kind: BreakKind::Missing
        })
    );
});

both_backends!(concurrent_writers_keep_one_chain, |t: TestDb| async move {
    let (app, _clock) = test_app(&t.db);
    let mut tasks = Vec::new();
    for i in 0..20 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            accounts::signup(
                &app,
                &RequestContext::internal("c"),
                input(&format!("c{i}@example.com")),
            )
            .await
        }));
    }
    for task in tasks {
        task.await.expect("join").expect("signup");
    }
    assert_eq!(audit::verify(&app).await.expect("verify"), Ok(20));
});
