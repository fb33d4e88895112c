//! Contacts over HTTP: the contract shape of `POST /api/v1/contacts`, masking, errors on the
//! envelope, and the reviewer endpoints.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use yuming_app::RequestContext;
use yuming_app::accounts::{self, NewAccountInput};
use yuming_core::access::{Actor, Role};
use yuming_test_support::{TestDb, both_backends};

use crate::harness::Harness;

const ID_NUMBER: &str = "11010519491231002X";
const STREET: &str = "海淀区中关村大街 27 号";

fn person() -> Value {
    json!({
        "kind": "person",
        "name": "张三",
        "id_type": "resident_id",
        "id_number": ID_NUMBER,
        "email": "zhang.san@example.com",
        "phone": "13800138000",
        "address": {
            "country": "CN", "province": "北京市", "city": "北京市",
            "street": STREET, "postal_code": "100080"
        }
    })
}

async fn reviewer(h: &Harness) -> String {
    accounts::create_user(
        &h.app,
        &RequestContext::internal("test"),
        &Actor::system(),
        NewAccountInput {
            email: "reviewer@example.com".into(),
            password: "correct horse battery".into(),
            display_name: "初审员".into(),
        },
        Role::Reviewer,
    )
    .await
    .expect("reviewer");
    h.login("reviewer@example.com").await
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    keys.sort_unstable();
    keys
}

both_backends!(contacts_over_http, |db: TestDb| async move {
    let story = yuming_test_support::story::Story::new("contacts over http");
    let h = Harness::new(db);
    let (alice_id, alice) = h.customer("alice@example.com").await;

    let created = h
        .call(
            Method::POST,
            "/api/v1/contacts",
            Some(&alice),
            Some(person()),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let contact = &created.json;
    assert_eq!(
        keys(contact),
        vec![
            "address",
            "created_at",
            "email",
            "id",
            "id_number_masked",
            "id_type",
            "kind",
            "name",
            "phone",
            "verification"
        ]
    );
    assert_eq!(
        keys(&contact["address"]),
        vec!["city", "country", "province"]
    );
    assert_eq!(
        contact["verification"],
        json!({"status": "pending", "manual_review": false})
    );
    assert_eq!(contact["id_number_masked"], "1101**********002X");
    assert_eq!(contact["phone"], "+86.13800138000");
    assert_eq!(contact["kind"], "person");
    assert_eq!(contact["id_type"], "resident_id");
    let id = contact["id"].as_str().unwrap_or_default().to_owned();
    assert!(id.starts_with("con_"));
    let text = created.json.to_string();
    assert!(
        !text.contains(ID_NUMBER) && !text.contains(STREET),
        "{text}"
    );

    let fetched = h
        .call(
            Method::GET,
            &format!("/api/v1/contacts/{id}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(fetched.json, created.json);
    let listed = h
        .call(Method::GET, "/api/v1/contacts?limit=10", Some(&alice), None)
        .await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.json, json!({"contacts": [created.json.clone()]}));
    let bad_cursor = h
        .call(
            Method::GET,
            "/api/v1/contacts?cursor=nope",
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(
        (bad_cursor.status, bad_cursor.code()),
        (StatusCode::BAD_REQUEST, "INVALID_CURSOR")
    );

    story.step("Rule failures and malformed bodies answer on the error envelope, naming the field");
    // Rule failures and malformed bodies answer on the error envelope, naming the field.
    let audit_before = h.audit_count().await;
    let mut bad_check_digit = person();
    bad_check_digit["id_number"] = json!("36042619910102009X");
    let mut unknown_field = person();
    unknown_field["address"]["district"] = json!("海淀区");
    let mut missing_city = person();
    if let Some(address) = missing_city["address"].as_object_mut() {
        address.remove("city");
    }
    let mut uscc_person = person();
    uscc_person["id_type"] = json!("uscc");
    for (body, status, code, field) in [
        (
            bad_check_digit,
            StatusCode::BAD_REQUEST,
            "CHECKSUM_MISMATCH",
            "id_number",
        ),
        (
            unknown_field,
            StatusCode::BAD_REQUEST,
            "UNKNOWN_FIELD",
            "address.district",
        ),
        (
            missing_city,
            StatusCode::BAD_REQUEST,
            "MISSING_FIELD",
            "address.city",
        ),
        (
            uscc_person,
            StatusCode::BAD_REQUEST,
            "ID_TYPE_NOT_ALLOWED",
            "id_type",
        ),
    ] {
        let reply = h
            .call(Method::POST, "/api/v1/contacts", Some(&alice), Some(body))
            .await;
        assert_eq!(
            (reply.status, reply.code()),
            (status, code),
            "{}",
            reply.json
        );
        assert_eq!(reply.json["error"]["field"], field, "{}", reply.json);
    }
    assert_eq!(h.audit_count().await, audit_before);

    story.step("A retried submission with the same Idempotency-Key creates one contact");
    // A retried submission with the same Idempotency-Key creates one contact.
    h.clock.advance_secs(60);
    let submit = |key: &str| {
        Request::builder()
            .method(Method::POST)
            .uri("/api/v1/contacts")
            .header("authorization", format!("Bearer {alice}"))
            .header("content-type", "application/json")
            .header("idempotency-key", key)
            .body(Body::from(person().to_string()))
            .expect("request")
    };
    let first = h.send(submit("contact-1")).await;
    let second = h.send(submit("contact-1")).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(second.json, first.json);
    assert_eq!(h.audit_count().await, audit_before + 1);
    let second_id = first.json["id"].as_str().unwrap_or_default().to_owned();

    story.step("Customers have no reviewer endpoints");
    // Customers have no reviewer endpoints.
    let queue = h
        .call(Method::GET, "/api/v1/review/contacts", Some(&alice), None)
        .await;
    assert_eq!(
        (queue.status, queue.code()),
        (StatusCode::FORBIDDEN, "FORBIDDEN")
    );
    let own_decision = h
        .call(
            Method::POST,
            &format!("/api/v1/review/contacts/{id}/decision"),
            Some(&alice),
            Some(json!({"decision": "approve"})),
        )
        .await;
    assert_eq!(own_decision.status, StatusCode::FORBIDDEN);

    let reviewer = reviewer(&h).await;
    let queue = h
        .call(
            Method::GET,
            "/api/v1/review/contacts?limit=1",
            Some(&reviewer),
            None,
        )
        .await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.json);
    assert_eq!(queue.json["contacts"][0]["id"], id.as_str(), "oldest first");
    assert_eq!(queue.json["contacts"][0]["owner_id"], alice_id.as_str());
    assert!(!queue.json.to_string().contains(ID_NUMBER));
    let cursor = queue.json["next_cursor"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let next = h
        .call(
            Method::GET,
            &format!("/api/v1/review/contacts?limit=1&cursor={cursor}"),
            Some(&reviewer),
            None,
        )
        .await;
    assert_eq!(next.json["contacts"][0]["id"], second_id.as_str());
    assert!(next.json.get("next_cursor").is_none(), "{}", next.json);

    let document = h
        .call(
            Method::GET,
            &format!("/api/v1/review/contacts/{id}"),
            Some(&reviewer),
            None,
        )
        .await;
    assert_eq!(document.status, StatusCode::OK, "{}", document.json);
    assert_eq!(document.json["id_number"], ID_NUMBER);
    assert_eq!(document.json["address"]["street"], STREET);
    assert_eq!(document.json["contact"]["id"], id.as_str());
    assert_eq!(document.json["history"][0]["to"], "pending");

    let decision_path = format!("/api/v1/review/contacts/{id}/decision");
    let decide = |body: Value| h.call(Method::POST, &decision_path, Some(&reviewer), Some(body));
    let no_reason = decide(json!({"decision": "reject"})).await;
    assert_eq!(
        (no_reason.status, no_reason.code()),
        (StatusCode::BAD_REQUEST, "REASON_REQUIRED")
    );
    assert_eq!(no_reason.json["error"]["field"], "reason");
    let no_decision = decide(json!({})).await;
    assert_eq!(
        (no_decision.status, no_decision.code()),
        (StatusCode::BAD_REQUEST, "INVALID_DECISION")
    );
    // A decision on what the reviewer saw: an older `changed_at` is refused, nothing changes.
    let changed_at = document.json["changed_at"]
        .as_str()
        .expect("changed_at")
        .to_owned();
    let stale = decide(json!({"decision": "approve", "seen": "2020-01-01T00:00:00Z"})).await;
    assert_eq!(
        (stale.status, stale.code()),
        (StatusCode::CONFLICT, "CHANGED_SINCE_OPENED"),
        "{}",
        stale.json
    );
    let not_a_time = decide(json!({"decision": "approve", "seen": "yesterday"})).await;
    assert_eq!(not_a_time.code(), "INVALID_TIME", "{}", not_a_time.json);
    let rejected =
        decide(json!({"decision": "reject", "reason": "证件信息与姓名不符", "seen": changed_at}))
            .await;
    assert_eq!(rejected.status, StatusCode::OK, "{}", rejected.json);
    assert_eq!(rejected.json["verification"]["status"], "rejected");
    assert_eq!(
        rejected.json["verification"]["reason"],
        "证件信息与姓名不符"
    );
    assert!(rejected.json["verification"]["reviewed_at"].is_string());
    let again = decide(json!({"decision": "approve"})).await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::CONFLICT, "CONTACT_NOT_PENDING")
    );

    story.step("The customer sees the outcome with the reason");
    // The customer sees the outcome with the reason.
    let seen = h
        .call(
            Method::GET,
            &format!("/api/v1/contacts/{id}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(
        seen.json["verification"],
        json!({
            "status": "rejected",
            "reason": "证件信息与姓名不符",
            "manual_review": false,
            "reviewed_at": rejected.json["verification"]["reviewed_at"].clone()
        })
    );

    let doc = h.call(Method::GET, "/api/openapi.json", None, None).await;
    for path in [
        "/api/v1/contacts",
        "/api/v1/contacts/{id}",
        "/api/v1/review/contacts",
        "/api/v1/review/contacts/{id}",
        "/api/v1/review/contacts/{id}/decision",
    ] {
        assert!(doc.json["paths"][path].is_object(), "{path} undocumented");
    }
});

both_backends!(contact_documents_over_http, |db: TestDb| async move {
    let h = Harness::new(db);
    let (_, alice) = h.customer("alice@example.com").await;
    let (_, mallory) = h.customer("mallory@example.com").await;
    let created = h
        .call(
            Method::POST,
            "/api/v1/contacts",
            Some(&alice),
            Some(person()),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let id = created.json["id"].as_str().expect("id").to_owned();
    let upload = |token: &str, kind: &str, bytes: Vec<u8>| {
        Request::builder()
            .method(Method::POST)
            .uri(format!("/api/v1/contacts/{id}/documents/{kind}"))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "image/png")
            .body(Body::from(bytes))
            .expect("request")
    };
    let scan = yuming_test_support::fixtures::document_png(1100, 700);

    let listed = h
        .call(
            Method::GET,
            &format!("/api/v1/contacts/{id}/documents"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(listed.json["required"], json!(["id_front", "id_back"]));
    assert_eq!(listed.json["missing"], json!(["id_front", "id_back"]));
    // A resident ID card has no licence side; a small image is refused by the image rules.
    let wrong_kind = h
        .send(upload(&alice, "business_licence", scan.clone()))
        .await;
    assert_eq!(
        (wrong_kind.status, wrong_kind.code()),
        (StatusCode::BAD_REQUEST, "INVALID_DOCUMENT_KIND")
    );
    let small = h
        .send(upload(
            &alice,
            "id_front",
            yuming_test_support::fixtures::document_png(600, 400),
        ))
        .await;
    assert_eq!(
        (small.status, small.code()),
        (StatusCode::BAD_REQUEST, "MATERIAL_TOO_SMALL")
    );
    // Another tenant finds no such contact.
    let theirs = h.send(upload(&mallory, "id_front", scan.clone())).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    for kind in ["id_front", "id_back"] {
        let stored = h.send(upload(&alice, kind, scan.clone())).await;
        assert_eq!(stored.status, StatusCode::CREATED, "{}", stored.json);
        assert_eq!(
            (stored.json["width"].clone(), stored.json["kind"].clone()),
            (json!(1100), json!(kind))
        );
    }
    let listed = h
        .call(
            Method::GET,
            &format!("/api/v1/contacts/{id}/documents"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(listed.json["missing"], json!([]));
    let front = listed.json["documents"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    // The reviewer sees the images with the unmasked data; each fetch is audited.
    let reviewer = reviewer(&h).await;
    let full = h
        .call(
            Method::GET,
            &format!("/api/v1/review/contacts/{id}"),
            Some(&reviewer),
            None,
        )
        .await;
    assert_eq!(
        full.json["documents"]["missing"],
        json!([]),
        "{}",
        full.json
    );
    let before = h.audit_count().await;
    let image = h
        .call(
            Method::GET,
            &format!("/api/v1/contacts/{id}/documents/{front}/content"),
            Some(&reviewer),
            None,
        )
        .await;
    assert_eq!(image.status, StatusCode::OK);
    assert_eq!(image.headers["content-type"], "image/png");
    assert_eq!(image.headers["cache-control"], "no-store");
    assert!(image.body.starts_with(b"\x89PNG"));
    assert_eq!(
        h.audit_count().await,
        before + 1,
        "the reviewer's look is recorded"
    );
    let denied = h
        .call(
            Method::GET,
            &format!("/api/v1/contacts/{id}/documents/{front}/content"),
            Some(&mallory),
            None,
        )
        .await;
    assert_eq!(denied.status, StatusCode::NOT_FOUND);

    // Decided: the images stay as reviewed.
    let decided = h
        .call(
            Method::POST,
            &format!("/api/v1/review/contacts/{id}/decision"),
            Some(&reviewer),
            Some(json!({ "decision": "approve" })),
        )
        .await;
    assert_eq!(decided.status, StatusCode::OK, "{}", decided.json);
    let late = h.send(upload(&alice, "id_front", scan)).await;
    assert_eq!(
        (late.status, late.code()),
        (StatusCode::CONFLICT, "CONTACT_DOCUMENTS_LOCKED")
    );
});
