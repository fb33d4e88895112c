//! The help centre and product feedback over the API: public contents, articles and search
//! (Chinese segmented, English stemmed, snippets highlighted), the article of a code, staff
//! editing with drafts, and feedback votes; customers get 403 from the staff operations.

use axum::http::{Method, StatusCode};
use serde_json::json;
use yuming_test_support::{TestDb, both_backends};

use crate::harness::Harness;

both_backends!(
    the_help_centre_is_public_and_searchable_in_both_languages,
    |db: TestDb| async move {
        let h = Harness::new(db);
        let contents = h
            .call(
                Method::GET,
                "/api/v1/public/help/articles?locale=en",
                None,
                None,
            )
            .await;
        assert_eq!(contents.status, StatusCode::OK, "{}", contents.json);
        let categories = contents.json["categories"].as_array().expect("categories");
        assert!(categories.iter().any(|c| c["name"] == "ICP filing"));

        let found = h
            .call(
                Method::GET,
                "/api/v1/public/help/search?q=%E5%A4%87%E6%A1%88%20%E9%A9%B3%E5%9B%9E",
                None,
                None,
            )
            .await;
        assert_eq!(found.status, StatusCode::OK, "{}", found.json);
        assert_eq!(found.json["query"], "备案 驳回");
        assert_eq!(found.json["hits"][0]["slug"], "icp-rejection-reasons");
        let snippet = found.json["hits"][0]["snippet_html"].as_str().unwrap();
        assert!(snippet.contains("<mark>"), "{snippet}");

        let found = h
            .call(
                Method::GET,
                "/api/v1/public/help/search?q=refunds&locale=en&limit=3",
                None,
                None,
            )
            .await;
        let hits = found.json["hits"].as_array().expect("hits");
        assert!(hits.len() <= 3 && !hits.is_empty(), "{}", found.json);
        assert!(hits.iter().any(|h| h["slug"] == "payments-and-refunds"));

        let article = h
            .call(
                Method::GET,
                "/api/v1/public/help/articles/icp-rejection-reasons?locale=zh-CN",
                None,
                None,
            )
            .await;
        assert_eq!(article.status, StatusCode::OK);
        assert_eq!(article.json["title"], "备案常见驳回原因");
        let html = article.json["body_html"].as_str().unwrap();
        assert!(html.contains("id=\"DOMAIN_RESOLVING\""), "{html}");

        let code = h
            .call(
                Method::GET,
                "/api/v1/public/help/codes/DOMAIN_RESOLVING",
                None,
                None,
            )
            .await;
        assert_eq!(
            code.json["path"],
            "/help/articles/icp-rejection-reasons#DOMAIN_RESOLVING"
        );
        let code = h
            .call(
                Method::GET,
                "/api/v1/public/help/codes/INSUFFICIENT_BALANCE",
                None,
                None,
            )
            .await;
        assert_eq!(code.json["slug"], "top-up-and-balance");
        let unknown = h
            .call(
                Method::GET,
                "/api/v1/public/help/codes/NO_SUCH_CODE",
                None,
                None,
            )
            .await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        let missing = h
            .call(
                Method::GET,
                "/api/v1/public/help/articles/nope-nope",
                None,
                None,
            )
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
    }
);

both_backends!(
    staff_edit_articles_and_customers_vote_on_feedback,
    |db: TestDb| async move {
        let h = Harness::new(db);
        let (_, alice) = h.customer("voter@example.com").await;
        let (_, bob) = h.customer("voter2@example.com").await;
        let (_, care) = h.staff("writer2@example.com", "support").await;

        let refused = h
            .call(
                Method::POST,
                "/api/v1/admin/help/articles",
                Some(&alice),
                Some(json!({"slug": "cname-flattening", "category": "dns"})),
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        let created = h
            .call(
                Method::POST,
                "/api/v1/admin/help/articles",
                Some(&care),
                Some(json!({"slug": "cname-flattening", "category": "dns", "position": 40})),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
        let draft = h
            .call(
                Method::PUT,
                "/api/v1/admin/help/articles/cname-flattening/en",
                Some(&care),
                Some(json!({"title": "CNAME flattening", "body": "Apex aliases resolve quickly."})),
            )
            .await;
        assert_eq!(draft.status, StatusCode::OK, "{}", draft.json);
        assert_eq!(draft.json["locales"][1]["draft"], 1);
        let unseen = h
            .call(
                Method::GET,
                "/api/v1/public/help/articles/cname-flattening",
                None,
                None,
            )
            .await;
        assert_eq!(unseen.status, StatusCode::NOT_FOUND);
        let published = h
            .call(
                Method::POST,
                "/api/v1/admin/help/articles/cname-flattening/en/revisions/1/publish",
                Some(&care),
                None,
            )
            .await;
        assert_eq!(published.status, StatusCode::OK, "{}", published.json);
        let found = h
            .call(
                Method::GET,
                "/api/v1/public/help/search?q=apex%20aliases&locale=en",
                None,
                None,
            )
            .await;
        assert_eq!(
            found.json["hits"][0]["slug"], "cname-flattening",
            "{}",
            found.json
        );
        let invalid = h
            .call(
                Method::PUT,
                "/api/v1/admin/help/articles/cname-flattening/en",
                Some(&care),
                Some(json!({"title": "", "body": "x"})),
            )
            .await;
        assert_eq!(
            (invalid.status, invalid.code()),
            (StatusCode::BAD_REQUEST, "INVALID_TITLE")
        );

        let idea = h
            .call(
                Method::POST,
                "/api/v1/feedback",
                Some(&alice),
                Some(json!({"title": "Dark mode", "body": "For the console at night."})),
            )
            .await;
        assert_eq!(idea.status, StatusCode::CREATED, "{}", idea.json);
        let id = idea.json["id"].as_str().unwrap().to_owned();
        for _ in 0..2 {
            let vote = h
                .call(
                    Method::POST,
                    &format!("/api/v1/feedback/{id}/vote"),
                    Some(&bob),
                    None,
                )
                .await;
            assert_eq!(vote.status, StatusCode::OK);
            assert_eq!(vote.json["votes"], 2, "one vote per account");
        }
        let refused = h
            .call(
                Method::PATCH,
                &format!("/api/v1/admin/feedback/{id}"),
                Some(&alice),
                Some(json!({"status": "done"})),
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        let planned = h
            .call(
                Method::PATCH,
                &format!("/api/v1/admin/feedback/{id}"),
                Some(&care),
                Some(json!({"status": "planned", "note": "Next quarter"})),
            )
            .await;
        assert_eq!(planned.status, StatusCode::OK, "{}", planned.json);
        let board = h
            .call(
                Method::GET,
                "/api/v1/feedback?status=planned",
                Some(&bob),
                None,
            )
            .await;
        assert_eq!(board.json["ideas"][0]["staff_note"], "Next quarter");
        assert_eq!(board.json["ideas"][0]["voted"], true);
        let bad = h
            .call(
                Method::GET,
                "/api/v1/feedback?status=nope",
                Some(&bob),
                None,
            )
            .await;
        assert_eq!(bad.code(), "INVALID_STATUS");
    }
);
