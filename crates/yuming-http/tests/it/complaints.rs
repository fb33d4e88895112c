//! Complaints over the API: filed by a customer with its working-day deadlines, acknowledged
//! and answered by support, exported for regulators; another customer gets 404.

use axum::http::{Method, StatusCode};
use serde_json::json;
use yuming_test_support::{TestDb, both_backends};

use crate::harness::Harness;

both_backends!(
    a_complaint_is_filed_acknowledged_answered_and_exported,
    |db: TestDb| async move {
        let h = Harness::new(db);
        let (_, alice) = h.customer("complains@example.com").await;
        let (_, bob) = h.customer("bystander@example.com").await;
        let (_, care) = h.staff("care3@example.com", "support").await;

        let bad = h
            .call(
                Method::POST,
                "/api/v1/complaints",
                Some(&alice),
                Some(json!({"kind": "rant", "subject": "s", "body": "b"})),
            )
            .await;
        assert_eq!(
            (bad.status, bad.code()),
            (StatusCode::BAD_REQUEST, "INVALID_KIND")
        );
        let filed = h
            .call(
                Method::POST,
                "/api/v1/complaints",
                Some(&alice),
                Some(json!({"kind": "complaint", "subject": "续费被重复扣款",
                            "body": "同一个域名扣了两次续费。", "related": "example.cn"})),
            )
            .await;
        assert_eq!(filed.status, StatusCode::CREATED, "{}", filed.json);
        // Filed on New Year's Day 2026: acknowledgement due on the worked Sunday 01-04.
        assert_eq!(filed.json["ack_due_at"], "2026-01-04T15:59:59Z");
        assert_eq!(filed.json["status"], "received");
        let id = filed.json["id"].as_str().expect("id").to_owned();

        let stranger = h
            .call(
                Method::GET,
                &format!("/api/v1/complaints/{id}"),
                Some(&bob),
                None,
            )
            .await;
        assert_eq!(stranger.status, StatusCode::NOT_FOUND);
        let not_staff = h
            .call(Method::GET, "/api/v1/admin/complaints", Some(&alice), None)
            .await;
        assert_eq!(not_staff.status, StatusCode::FORBIDDEN);

        let queue = h
            .call(Method::GET, "/api/v1/admin/complaints", Some(&care), None)
            .await;
        assert_eq!(
            queue.json["complaints"][0]["id"],
            id.as_str(),
            "{}",
            queue.json
        );
        let acked = h
            .call(
                Method::POST,
                &format!("/api/v1/admin/complaints/{id}/acknowledge"),
                Some(&care),
                None,
            )
            .await;
        assert_eq!(acked.json["status"], "acknowledged", "{}", acked.json);
        let answered = h
            .call(
                Method::POST,
                &format!("/api/v1/admin/complaints/{id}/answer"),
                Some(&care),
                Some(json!({"text": "已退回重复扣除的款项。"})),
            )
            .await;
        assert_eq!(answered.json["status"], "answered", "{}", answered.json);
        let again = h
            .call(
                Method::POST,
                &format!("/api/v1/admin/complaints/{id}/answer"),
                Some(&care),
                Some(json!({"text": "再答一次"})),
            )
            .await;
        assert_eq!(again.code(), "COMPLAINT_STEP");
        let seen = h
            .call(
                Method::GET,
                &format!("/api/v1/complaints/{id}"),
                Some(&alice),
                None,
            )
            .await;
        assert_eq!(seen.json["answer"], "已退回重复扣除的款项。");

        let csv = h
            .send(
                axum::http::Request::get(
                    "/api/v1/admin/complaints/export?from=2026-01-01&to=2026-01-31",
                )
                .header("authorization", format!("Bearer {care}"))
                .body(axum::body::Body::empty())
                .expect("request"),
            )
            .await;
        assert_eq!(csv.status, StatusCode::OK);
        let text = String::from_utf8_lossy(&csv.body).into_owned();
        assert!(text.contains(&id), "{text}");
        assert!(text.contains(",yes,"), "{text}");
        let bad_period = h
            .call(
                Method::GET,
                "/api/v1/admin/complaints/export?from=january&to=2026-01-31",
                Some(&care),
                None,
            )
            .await;
        assert_eq!(bad_period.code(), "INVALID_DATE");
    }
);
