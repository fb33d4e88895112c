//! `POST /api/v1/validate`: the shared rule code over HTTP, rate-limited per source IP.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use yuming_app::AppSettings;
use yuming_test_support::{TestDb, both_backends, test_settings};

use crate::harness::{Harness, Reply};

async fn validate(h: &Harness, kind: &str, value: &str) -> Reply {
    let reply = h
        .call(
            Method::POST,
            "/api/v1/validate",
            None,
            Some(json!({"type": kind, "value": value})),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{kind} {value}: {}",
        reply.json
    );
    reply
}

fn codes(reply: &Reply) -> Vec<String> {
    reply.json["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["code"].as_str().map(str::to_owned))
        .collect()
}

both_backends!(
    validate_answers_from_the_rule_book,
    |db: TestDb| async move {
        let h = Harness::new(db);

        let id = validate(&h, "resident_id", "11010519491231002x").await;
        assert_eq!(id.json["valid"], true);
        assert_eq!(id.json["normalized"], "11010519491231002X");
        assert_eq!(id.json["details"]["birth_date"], "1949-12-31");
        assert_eq!(id.json["details"]["masked"], "1101**********002X");
        let bad_id = validate(&h, "resident_id", "36042619910102009X").await;
        assert_eq!(
            (bad_id.json["valid"].clone(), codes(&bad_id)),
            (Value::Bool(false), vec!["CHECKSUM_MISMATCH".to_owned()])
        );
        assert!(
            bad_id.json["errors"][0]["message_zh"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );

        let uscc = validate(&h, "uscc", "91110000600037341L").await;
        assert_eq!(uscc.json["valid"], true);
        assert_eq!(uscc.json["details"]["entity_type"], "ENTERPRISE");
        let pilot = validate(&h, "uscc", "91350100M0001TGQXM").await;
        assert_eq!(
            (
                pilot.json["valid"].clone(),
                pilot.json["manual_review_possible"].clone()
            ),
            (Value::Bool(false), Value::Bool(true))
        );

        assert_eq!(
            validate(&h, "org_code", "60003734-1").await.json["valid"],
            true
        );
        let icp = validate(&h, "icp_number", "滇ICP备2023001289号-1").await;
        assert_eq!(icp.json["details"]["site"], "1");
        assert_eq!(
            codes(&validate(&h, "icp_number", "川ICP备2022009836号").await),
            vec!["INVALID_PREFIX".to_owned()]
        );
        assert_eq!(
            validate(&h, "psb_number", "甘公网安备 62090202000584号")
                .await
                .json["valid"],
            true
        );

        let idn = validate(&h, "domain", "例子.中国").await;
        assert_eq!(idn.json["normalized"], "xn--fsqu00a.xn--fiqs8s");
        assert_eq!(
            codes(&validate(&h, "domain", "abc--d.cn").await),
            vec!["CONSECUTIVE_HYPHENS".to_owned()]
        );
        assert_eq!(
            validate(&h, "domain", "abc--d.com").await.json["valid"],
            true
        );
        assert_eq!(
            codes(&validate(&h, "site_name", "中国科技网").await)
                .first()
                .map(String::as_str),
            Some("FORBIDDEN_PREFIX")
        );

        assert_eq!(
            validate(&h, "hk_macau_permit", "H12345678").await.json["valid"],
            true
        );
        assert_eq!(
            validate(&h, "taiwan_permit", "1234567").await.json["valid"],
            false
        );
        let garbage = validate(&h, "domain", &"\u{0}\u{1F600}".repeat(3000)).await;
        assert_eq!(garbage.json["valid"], false);

        let unknown = h
            .call(
                Method::POST,
                "/api/v1/validate",
                None,
                Some(json!({"type": "driving_licence", "value": "x"})),
            )
            .await;
        assert_eq!(
            (unknown.status, unknown.code()),
            (StatusCode::BAD_REQUEST, "INVALID_TYPE")
        );
    }
);

both_backends!(validate_is_rate_limited_per_ip, |db: TestDb| async move {
    let h = Harness::with_settings(
        db,
        AppSettings {
            validate_per_ip_per_minute: 3,
            ..test_settings()
        },
    );
    let request = |ip: [u8; 4]| {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/validate")
            .header("content-type", "application/json")
            .body(Body::from(
                json!({"type": "uscc", "value": "91110000600037341L"}).to_string(),
            ))
            .expect("request");
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from((ip, 40000))));
        request
    };
    for _ in 0..3 {
        assert_eq!(h.send(request([192, 0, 2, 1])).await.status, StatusCode::OK);
    }
    let limited = h.send(request([192, 0, 2, 1])).await;
    assert_eq!(
        (limited.status, limited.code()),
        (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED")
    );
    assert!(limited.headers.get("retry-after").is_some());
    assert_eq!(
        h.send(request([192, 0, 2, 2])).await.status,
        StatusCode::OK,
        "another IP is not limited"
    );
});
