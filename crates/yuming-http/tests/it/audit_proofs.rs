//! Verifiable operation evidence over the API: the public signed tree head, a customer's
//! receipt for its own entry (another tenant's is 404), consistency proofs between heads,
//! and `/readyz` and `/metrics` beside them.

use axum::http::{Method, StatusCode};
use yuming_app::platform::audit_tree::{Receipt, consistent, receipt_valid};
use yuming_http::dto::{AuditReceiptDto, ConsistencyProofDto, TreeHeadDto};
use yuming_test_support::{TestDb, both_backends};

use crate::harness::Harness;

both_backends!(
    receipts_and_tree_heads_over_the_api,
    |db: TestDb| async move {
        let h = Harness::new(db);
        let (_, alice) = h.customer("alice@example.com").await;
        let (_, bob) = h.customer("bob@example.com").await;

        let sth = h
            .call(Method::GET, "/api/v1/public/audit/sth", None, None)
            .await;
        assert_eq!(sth.status, StatusCode::OK, "{}", sth.json);
        let first: TreeHeadDto = serde_json::from_value(sth.json.clone()).expect("a head");
        assert_eq!(first.algorithm, "Ed25519");

        let audit = h
            .call(Method::GET, "/api/v1/audit", Some(&alice), None)
            .await;
        let seq = audit.json["entries"][0]["seq"]
            .as_i64()
            .expect("alice has entries");
        let path = format!("/api/v1/audit/{seq}/proof");
        let proof = h.call(Method::GET, &path, Some(&alice), None).await;
        assert_eq!(proof.status, StatusCode::OK, "{}", proof.json);
        let receipt: AuditReceiptDto = serde_json::from_value(proof.json).expect("a receipt");
        assert_eq!(receipt_valid(&Receipt::from(receipt.clone())), Ok(()));

        let refused = h.call(Method::GET, &path, Some(&bob), None).await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.json);
        let anonymous = h.call(Method::GET, &path, None, None).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

        // Later entries, a later head, and the proof that it extends the first.
        h.customer("carol@example.com").await;
        let later = h
            .call(Method::GET, "/api/v1/public/audit/sth", None, None)
            .await;
        let later: TreeHeadDto = serde_json::from_value(later.json).expect("a head");
        assert!(later.tree_size > first.tree_size);
        let kept = h
            .call(
                Method::GET,
                &format!("/api/v1/public/audit/sth/{}", first.tree_size),
                None,
                None,
            )
            .await;
        assert_eq!(kept.status, StatusCode::OK);
        let path = format!(
            "/api/v1/public/audit/consistency?first={}&second={}",
            first.tree_size, later.tree_size
        );
        let proof = h.call(Method::GET, &path, None, None).await;
        assert_eq!(proof.status, StatusCode::OK, "{}", proof.json);
        let proof: ConsistencyProofDto = serde_json::from_value(proof.json).expect("a proof");
        assert_eq!(
            consistent(&first.clone().into(), &later.clone().into(), &proof.proof),
            Ok(())
        );

        let bad = h
            .call(
                Method::GET,
                "/api/v1/public/audit/consistency?first=0&second=1",
                None,
                None,
            )
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert_eq!(bad.json["error"]["code"], "INVALID_TREE_SIZES");
        let missing = h
            .call(Method::GET, "/api/v1/public/audit/sth/999999", None, None)
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
    }
);

both_backends!(readiness_and_metrics, |db: TestDb| async move {
    let h = Harness::new(db);
    let ready = h.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.json);
    assert_eq!(ready.json["status"], "ready");
    assert_eq!(ready.json["migrations"], true);

    h.call(
        Method::GET,
        "/api/v1/domains/check?name=free-name.com",
        None,
        None,
    )
    .await;
    let metrics = h.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(metrics.status, StatusCode::OK);
    let text = String::from_utf8_lossy(&metrics.body);
    assert!(
        text.contains("yuming_db_pool_connections{state=\"max\"}"),
        "{text}"
    );
    assert!(
        text.contains("# TYPE yuming_webhook_queue_depth gauge"),
        "{text}"
    );
});
