//! Support acting for a customer who asked: explicit actions with a reason, audited — a login
//! lock lifted, a verification e-mail sent again — and refused when there is nothing to do.

use axum::http::{Method, StatusCode};
use serde_json::json;
use yuming_test_support::{TestDb, both_backends};

use crate::harness::Harness;

both_backends!(
    support_lifts_a_login_lock_and_resends_a_verification,
    |db: TestDb| async move {
        let h = Harness::new(db);
        let (customer, customer_token) = h.customer("forgetful@example.com").await;
        let (unverified, _) = h.unverified_customer("late@example.com").await;
        let (_, support) = h.staff("helpdesk@example.com", "support").await;
        let (_, reviewer) = h.staff("eyes@example.com", "reviewer").await;
        let assist = |token: String, account: String, body: serde_json::Value| {
            let h = &h;
            async move {
                h.call(
                    Method::POST,
                    &format!("/api/v1/admin/accounts/{account}/assist"),
                    Some(&token),
                    Some(body),
                )
                .await
            }
        };

        // Nothing to unlock yet: refused, and nothing recorded as done.
        let early = assist(
            support.clone(),
            customer.clone(),
            json!({"action": "unlock", "reason": "工单 T-1"}),
        )
        .await;
        assert_eq!(
            (early.status, early.code()),
            (StatusCode::CONFLICT, "NOTHING_TO_DO"),
            "{}",
            early.json
        );

        // Wrong passwords until the account locks; even the right one is refused then.
        let mut locked = false;
        for _ in 0..20 {
            let reply = h
                .call(
                    Method::POST,
                    "/api/v1/auth/login",
                    None,
                    Some(
                        json!({"email": "forgetful@example.com", "password": "wrong wrong wrong"}),
                    ),
                )
                .await;
            if reply.code() == "ACCOUNT_LOCKED" {
                locked = true;
                break;
            }
        }
        assert!(locked, "the account locks after repeated failures");
        let refused = h
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(
                    json!({"email": "forgetful@example.com", "password": "correct horse battery"}),
                ),
            )
            .await;
        assert_eq!(refused.code(), "ACCOUNT_LOCKED", "{}", refused.json);

        // Refusals: no reason, an unknown action, a reviewer, a customer.
        let no_reason = assist(
            support.clone(),
            customer.clone(),
            json!({"action": "unlock", "reason": "  "}),
        )
        .await;
        assert_eq!(no_reason.code(), "REASON_REQUIRED", "{}", no_reason.json);
        let unknown = assist(
            support.clone(),
            customer.clone(),
            json!({"action": "impersonate", "reason": "工单 T-2"}),
        )
        .await;
        assert_eq!(unknown.code(), "UNKNOWN_ACTION", "{}", unknown.json);
        let reviewer_try = assist(
            reviewer.clone(),
            customer.clone(),
            json!({"action": "unlock", "reason": "工单 T-2"}),
        )
        .await;
        assert_eq!(reviewer_try.status, StatusCode::FORBIDDEN);
        let customer_try = assist(
            customer_token.clone(),
            customer.clone(),
            json!({"action": "unlock", "reason": "自己解锁"}),
        )
        .await;
        // As on every admin endpoint, a customer's token is refused before the body is read.
        assert_eq!(customer_try.status, StatusCode::FORBIDDEN);

        let unlocked = assist(
            support.clone(),
            customer.clone(),
            json!({"action": "unlock", "reason": "来电核实身份 T-3"}),
        )
        .await;
        assert_eq!(unlocked.status, StatusCode::NO_CONTENT, "{}", unlocked.json);
        h.login("forgetful@example.com").await;

        // Verification: a verified address has nothing to resend; an unverified one gets a
        // fresh link, and the old one stops working.
        let verified = assist(
            support.clone(),
            customer.clone(),
            json!({"action": "resend_verification", "reason": "T-4"}),
        )
        .await;
        assert_eq!(verified.code(), "NOTHING_TO_DO", "{}", verified.json);
        let before = yuming_test_support::verification_tokens(&h.app, &unverified).await;
        let resent = assist(
            support.clone(),
            unverified.clone(),
            json!({"action": "resend_verification", "reason": "客户未收到邮件 T-5"}),
        )
        .await;
        assert_eq!(resent.status, StatusCode::NO_CONTENT, "{}", resent.json);
        let after = yuming_test_support::verification_tokens(&h.app, &unverified).await;
        assert_eq!(after.len(), before.len() + 1, "a new link was mailed");

        // Each action is in the audit log with its reason.
        let mut tx = h.app.db().read().await.expect("tx");
        let entries = tx
            .audit_search(
                &yuming_store::AuditFilter {
                    action_prefix: Some("customer.assist"),
                    ..Default::default()
                },
                None,
                10,
            )
            .await
            .expect("audit");
        tx.commit().await.expect("commit");
        assert_eq!(entries.entries.len(), 2, "{:?}", entries.entries);
        assert!(
            entries
                .entries
                .iter()
                .any(|e| e.after_summary.contains("来电核实身份 T-3")),
            "{:?}",
            entries.entries
        );
    }
);
