//! Complaints and appeals: deadlines in China's working days (a complaint filed on New Year's
//! Day 2026 is due after the holiday, on the worked Sunday), escalation to administrators
//! once per deadline under clock jumps, acknowledgement and the written answer reaching the
//! customer, the regulators' CSV, and tenant isolation.

use yuming_app::care::complaints;
use yuming_app::notify::notices;
use yuming_core::access::Role;
use yuming_core::clock::Timestamp;
use yuming_test_support::{TestDb, both_backends, fixtures, test_app};

both_backends!(
    complaints_are_acknowledged_escalated_and_answered_on_working_days,
    |db: TestDb| async move {
        let (app, clock) = test_app(&db.db);
        let ctx = fixtures::ctx();
        let alice = fixtures::customer(&app, "unhappy@example.com").await;
        let bob = fixtures::customer(&app, "curious@example.com").await;
        let care = fixtures::staff(&app, "care@example.com", Role::Support).await;
        let boss = fixtures::staff(&app, "boss@example.com", Role::Admin).await;
        let reviewer = fixtures::staff(&app, "eyes@example.com", Role::Reviewer).await;

        let refused = complaints::file(&app, &ctx, &alice, "rant", "s", "b", "")
            .await
            .expect_err("kind");
        assert_eq!(refused.code, "INVALID_KIND");
        let refused = complaints::file(&app, &ctx, &alice, "complaint", " ", "b", "")
            .await
            .expect_err("subject");
        assert_eq!(refused.code, "INVALID_SUBJECT");

        // 2026-01-01 08:00 CST, a holiday: acknowledgement is due at the end of the first
        // working day after it (Sunday 01-04, worked in exchange), the answer after 15.
        let filed = complaints::file(
            &app,
            &ctx,
            &alice,
            "appeal",
            "实名审核驳回有误",
            "我的证件清晰完整，请复核。",
            "example-appeal.cn",
        )
        .await
        .expect("file");
        assert_eq!(
            filed.ack_due_at,
            Timestamp(1_767_542_399),
            "2026-01-04 23:59:59 CST"
        );
        assert_eq!(
            filed.resolution_due_at,
            Timestamp(1_769_097_599),
            "2026-01-22 23:59:59 CST"
        );
        assert_eq!(complaints::escalate(&app).await.expect("escalate"), 0);

        // Another customer and a reviewer see nothing of it.
        assert_eq!(
            complaints::get(&app, &bob, &filed.id)
                .await
                .expect_err("bob")
                .code,
            "NOT_FOUND"
        );
        assert!(complaints::queue(&app, &reviewer).await.is_err());
        assert!(complaints::list(&app, &bob).await.expect("list").is_empty());

        // Three hours before the acknowledgement is due: escalated once.
        clock.set(Timestamp(filed.ack_due_at.0 - 3 * 3600));
        assert_eq!(complaints::escalate(&app).await.expect("escalate"), 1);
        assert_eq!(complaints::escalate(&app).await.expect("again"), 0);
        let inbox = notices::inbox(&app, &boss, None, 20).await.expect("inbox");
        assert!(
            inbox.iter().any(|n| n.subject.contains("受理即将到期")),
            "{:?}",
            inbox.iter().map(|n| &n.subject).collect::<Vec<_>>()
        );
        assert!(
            notices::inbox(&app, &care, None, 20)
                .await
                .expect("inbox")
                .is_empty(),
            "supervisors only"
        );

        let acknowledged = complaints::acknowledge(&app, &ctx, &care, &filed.id)
            .await
            .expect("acknowledge");
        assert_eq!(acknowledged.status, "acknowledged");
        assert_eq!(
            complaints::acknowledge(&app, &ctx, &care, &filed.id)
                .await
                .expect_err("twice")
                .code,
            "COMPLAINT_STEP"
        );
        let told = notices::inbox(&app, &alice, None, 20).await.expect("inbox");
        assert!(
            told.iter().any(|n| n.body.contains("我们已受理")),
            "{told:?}"
        );

        // The answer is late: escalated as overdue, then given.
        clock.set(Timestamp(filed.resolution_due_at.0 + 60));
        assert_eq!(complaints::escalate(&app).await.expect("escalate"), 1);
        let inbox = notices::inbox(&app, &boss, None, 20).await.expect("inbox");
        assert!(inbox.iter().any(|n| n.subject.contains("书面答复已超期")));
        let empty = complaints::answer(&app, &ctx, &care, &filed.id, "  ")
            .await
            .expect_err("empty");
        assert_eq!(empty.code, "INVALID_BODY");
        let answered = complaints::answer(
            &app,
            &ctx,
            &care,
            &filed.id,
            "经复核，您的证件符合要求，已重新通过实名审核。",
        )
        .await
        .expect("answer");
        assert_eq!(answered.status, "answered");
        let seen = complaints::get(&app, &alice, &filed.id).await.expect("get");
        assert_eq!(
            seen.answer.as_deref(),
            Some("经复核，您的证件符合要求，已重新通过实名审核。")
        );
        assert!(seen.escalated);
        assert!(
            complaints::queue(&app, &care)
                .await
                .expect("queue")
                .is_empty()
        );

        let csv = complaints::export_csv(
            &app,
            &care,
            time::macros::date!(2026 - 01 - 01),
            time::macros::date!(2026 - 01 - 31),
        )
        .await
        .expect("csv");
        let line = csv
            .lines()
            .find(|l| l.starts_with(&filed.id))
            .expect("the complaint is exported");
        assert!(line.contains(",appeal,"), "{line}");
        assert!(line.contains("\"实名审核驳回有误\""), "{line}");
        assert!(
            line.ends_with(",yes,2026-01-22 23:59,2026-01-23 00:00,no"),
            "{line}"
        );
        assert!(
            !csv.contains("证件清晰完整"),
            "no complaint text in the export"
        );
        let none = complaints::export_csv(
            &app,
            &care,
            time::macros::date!(2026 - 02 - 01),
            time::macros::date!(2026 - 02 - 28),
        )
        .await
        .expect("csv");
        assert_eq!(none.lines().count(), 1, "header only");
    }
);
