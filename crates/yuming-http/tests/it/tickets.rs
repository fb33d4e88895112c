//! Support tickets over the API: a customer opens one, support answers (the customer is
//! notified), the customer closes and rates it; bad input is refused field by field; another
//! customer gets 404; a ticket past its first-response time alerts support once.

use axum::http::{Method, StatusCode};
use serde_json::json;
use yuming_test_support::{TestDb, both_backends};

use crate::harness::Harness;

both_backends!(
    a_ticket_is_opened_answered_closed_and_rated,
    |db: TestDb| async move {
        let h = Harness::new(db);
        let (_, alice) = h.customer("asker@example.com").await;
        let (_, bob) = h.customer("nosy@example.com").await;
        let (helper_id, helper) = h.staff("helper@example.com", "support").await;
        let (_, reviewer) = h.staff("eyes@example.com", "reviewer").await;

        // Bad input: each refusal names its field, nothing is stored.
        for (body, code, field) in [
            (
                json!({"category": "weather", "subject": "s", "body": "b"}),
                "INVALID_CATEGORY",
                "category",
            ),
            (
                json!({"category": "dns", "subject": "  ", "body": "b"}),
                "INVALID_SUBJECT",
                "subject",
            ),
            (
                json!({"category": "dns", "subject": "s", "body": "b", "priority": "asap"}),
                "INVALID_PRIORITY",
                "priority",
            ),
            (
                json!({"category": "dns", "subject": "s", "body": "b", "related": "someone-else.com"}),
                "INVALID_RELATED",
                "related",
            ),
        ] {
            let refused = h
                .call(Method::POST, "/api/v1/tickets", Some(&alice), Some(body))
                .await;
            assert_eq!(
                (refused.status, refused.code()),
                (StatusCode::BAD_REQUEST, code),
                "{}",
                refused.json
            );
            assert_eq!(refused.json["error"]["field"], field);
        }

        let opened = h
            .call(
                Method::POST,
                "/api/v1/tickets",
                Some(&alice),
                Some(json!({"category": "dns", "subject": "解析不生效",
                            "body": "我添加的 A 记录一个小时了还查不到。", "priority": "high"})),
            )
            .await;
        assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.json);
        assert_eq!(opened.json["status"], "open");
        assert_eq!(opened.json["priority"], "high");
        let id = opened.json["id"].as_str().expect("id").to_owned();
        let path = format!("/api/v1/tickets/{id}");

        // Another customer, and a reviewer: 404 and 403.
        let stranger = h.call(Method::GET, &path, Some(&bob), None).await;
        assert_eq!(stranger.status, StatusCode::NOT_FOUND);
        let sneaky = h
            .call(
                Method::POST,
                &format!("{path}/messages"),
                Some(&bob),
                Some(json!({"body": "我也来看看"})),
            )
            .await;
        assert_eq!(sneaky.status, StatusCode::NOT_FOUND);
        let listed = h
            .call(Method::GET, "/api/v1/tickets", Some(&bob), None)
            .await;
        assert_eq!(listed.json["tickets"], json!([]));
        let queue_refused = h
            .call(Method::GET, "/api/v1/admin/tickets", Some(&reviewer), None)
            .await;
        assert_eq!(queue_refused.status, StatusCode::FORBIDDEN);

        // Support sees it in the queue and answers; the customer is notified.
        let queue = h
            .call(Method::GET, "/api/v1/admin/tickets", Some(&helper), None)
            .await;
        assert_eq!(
            queue.json["tickets"][0]["id"],
            id.as_str(),
            "{}",
            queue.json
        );
        let answered = h
            .call(
                Method::POST,
                &format!("{path}/messages"),
                Some(&helper),
                Some(json!({"body": "记录已生效，TTL 为 600 秒，请稍后再查。"})),
            )
            .await;
        assert_eq!(answered.status, StatusCode::OK, "{}", answered.json);
        assert_eq!(answered.json["status"], "answered");
        assert_eq!(answered.json["assignee"], helper_id.as_str());
        let inbox = h
            .call(Method::GET, "/api/v1/notifications", Some(&alice), None)
            .await;
        assert!(
            inbox.json["notifications"]
                .as_array()
                .expect("notifications")
                .iter()
                .any(|n| n["subject"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("解析不生效")),
            "{}",
            inbox.json
        );
        let thread = h.call(Method::GET, &path, Some(&alice), None).await;
        let messages = thread.json["messages"].as_array().expect("messages");
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[1]["from_staff"], true);

        // Staff change the priority (due times follow) and refuse a customer as assignee.
        let bad_assignee = h
            .call(
                Method::PATCH,
                &format!("/api/v1/admin/tickets/{id}"),
                Some(&helper),
                Some(json!({"assignee": "acc_nobody"})),
            )
            .await;
        assert_eq!(
            bad_assignee.code(),
            "INVALID_ASSIGNEE",
            "{}",
            bad_assignee.json
        );
        let lowered = h
            .call(
                Method::PATCH,
                &format!("/api/v1/admin/tickets/{id}"),
                Some(&helper),
                Some(json!({"priority": "low"})),
            )
            .await;
        assert_eq!(lowered.json["priority"], "low", "{}", lowered.json);
        assert_ne!(
            lowered.json["first_response_due_at"],
            opened.json["first_response_due_at"]
        );

        // Rating waits for closing; then once.
        let early = h
            .call(
                Method::POST,
                &format!("{path}/rating"),
                Some(&alice),
                Some(json!({"stars": 5})),
            )
            .await;
        assert_eq!(early.code(), "NOT_RATABLE", "{}", early.json);
        let closed = h
            .call(Method::POST, &format!("{path}/close"), Some(&alice), None)
            .await;
        assert_eq!(closed.json["status"], "closed", "{}", closed.json);
        let bad_stars = h
            .call(
                Method::POST,
                &format!("{path}/rating"),
                Some(&alice),
                Some(json!({"stars": 9})),
            )
            .await;
        assert_eq!(bad_stars.code(), "INVALID_RATING");
        let rated = h
            .call(
                Method::POST,
                &format!("{path}/rating"),
                Some(&alice),
                Some(json!({"stars": 4, "comment": "答复很快"})),
            )
            .await;
        assert_eq!(rated.json["rating"], 4, "{}", rated.json);
        let again = h
            .call(
                Method::POST,
                &format!("{path}/rating"),
                Some(&alice),
                Some(json!({"stars": 1})),
            )
            .await;
        assert_eq!(again.code(), "NOT_RATABLE");
        let staff_on_closed = h
            .call(
                Method::POST,
                &format!("{path}/messages"),
                Some(&helper),
                Some(json!({"body": "补充"})),
            )
            .await;
        assert_eq!(staff_on_closed.code(), "TICKET_CLOSED");
        // The customer writing again reopens it for support.
        let reopened = h
            .call(
                Method::POST,
                &format!("{path}/messages"),
                Some(&alice),
                Some(json!({"body": "又不行了"})),
            )
            .await;
        assert_eq!(reopened.json["status"], "open", "{}", reopened.json);
        assert!(reopened.json.get("rating").is_none(), "{}", reopened.json);
    }
);

both_backends!(
    a_ticket_past_its_first_response_time_alerts_support_once,
    |db: TestDb| async move {
        let h = Harness::new(db);
        let (_, alice) = h.customer("waiting@example.com").await;
        let (_, helper) = h.staff("helper2@example.com", "support").await;
        let opened = h
            .call(
                Method::POST,
                "/api/v1/tickets",
                Some(&alice),
                Some(json!({"category": "billing", "subject": "充值未到账",
                            "body": "昨天的转账还没到账。", "priority": "urgent"})),
            )
            .await;
        assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.json);
        let id = opened.json["id"].as_str().expect("id").to_owned();
        assert_eq!(
            yuming_app::care::tickets::sla_sweep(&h.app)
                .await
                .expect("sweep"),
            0,
            "not late yet"
        );
        // An urgent ticket promises a first answer within the hour.
        h.clock.advance_secs(3601);
        assert_eq!(
            yuming_app::care::tickets::sla_sweep(&h.app)
                .await
                .expect("sweep"),
            1
        );
        assert_eq!(
            yuming_app::care::tickets::sla_sweep(&h.app)
                .await
                .expect("sweep"),
            0,
            "alerted once"
        );
        let inbox = h
            .call(Method::GET, "/api/v1/notifications", Some(&helper), None)
            .await;
        assert!(
            inbox.json["notifications"]
                .as_array()
                .expect("notifications")
                .iter()
                .any(|n| n["subject"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("充值未到账")),
            "{}",
            inbox.json
        );
        let queue = h
            .call(Method::GET, "/api/v1/admin/tickets", Some(&helper), None)
            .await;
        assert_eq!(queue.json["tickets"][0]["id"], id.as_str());
        assert_eq!(queue.json["tickets"][0]["breached"], true);
        let unknown = h
            .call(
                Method::GET,
                "/api/v1/admin/tickets?status=lost",
                Some(&helper),
                None,
            )
            .await;
        assert_eq!(unknown.code(), "INVALID_STATUS");
    }
);

both_backends!(
    an_attachment_is_uploaded_raw_and_downloaded_by_the_other_side,
    |db: TestDb| async move {
        use axum::body::Body;
        use axum::http::Request;
        let h = Harness::new(db);
        let (_, alice) = h.customer("attaches@example.com").await;
        let (_, bob) = h.customer("snoops@example.com").await;
        let (_, care) = h.staff("care-att@example.com", "support").await;
        let opened = h
            .call(
                Method::POST,
                "/api/v1/tickets",
                Some(&alice),
                Some(json!({"category": "dns", "subject": "解析不生效", "body": "见截图。"})),
            )
            .await;
        let id = opened.json["id"].as_str().expect("id").to_owned();
        let upload = |token: &str, name: &str, bytes: Vec<u8>| {
            Request::builder()
                .method(Method::POST)
                .uri(format!(
                    "/api/v1/tickets/{id}/attachments?file_name={name}&message=screenshot"
                ))
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "image/png")
                .body(Body::from(bytes))
                .expect("request")
        };
        let png = yuming_test_support::fixtures::document_png(400, 300);
        let stored = h.send(upload(&alice, "shot.png", png.clone())).await;
        assert_eq!(stored.status, StatusCode::CREATED, "{}", stored.json);
        let wrong = h
            .send(upload(
                &alice,
                "notes.png",
                b"plain text, not an image".to_vec(),
            ))
            .await;
        assert_eq!(wrong.code(), "ATTACHMENT_TYPE", "{}", wrong.json);
        let big = h
            .send(upload(&alice, "big.png", vec![0u8; 5 * 1024 * 1024 + 1]))
            .await;
        assert_eq!(big.code(), "ATTACHMENT_TOO_LARGE", "{}", big.json);
        let stranger = h.send(upload(&bob, "x.png", png.clone())).await;
        assert_eq!(stranger.status, StatusCode::NOT_FOUND);

        let thread = h
            .call(
                Method::GET,
                &format!("/api/v1/tickets/{id}"),
                Some(&care),
                None,
            )
            .await;
        let messages = thread.json["messages"].as_array().expect("messages");
        let last = messages.last().expect("a message");
        assert_eq!(last["body"], "screenshot");
        let url = last["attachments"][0]["url"]
            .as_str()
            .expect("url")
            .to_owned();
        let download = h
            .send(
                Request::builder()
                    .uri(&url)
                    .header("authorization", format!("Bearer {care}"))
                    .body(Body::empty())
                    .expect("request"),
            )
            .await;
        assert_eq!(download.status, StatusCode::OK);
        assert!(download.body.starts_with(b"\x89PNG"), "the file as stored");
    }
);
