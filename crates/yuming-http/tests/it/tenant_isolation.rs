//! Walks every authenticated route of the OpenAPI document with a second tenant's
//! credentials: another tenant's resources answer 404 and never appear in a response.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use yuming_test_support::{TestDb, both_backends};

use crate::harness::Harness;

both_backends!(
    second_tenant_sees_nothing_of_the_first,
    |db: TestDb| async move {
        let story =
            yuming_test_support::story::Story::new("second tenant sees nothing of the first");
        let h = Harness::new(db);
        let (alice_id, alice) = h.customer("alice@example.com").await;
        let (bob_id, _) = h.customer("bob@example.com").await;

        let key = h
            .call(
                Method::POST,
                "/api/v1/api-keys",
                Some(&alice),
                Some(json!({"name": "alice-key"})),
            )
            .await;
        let key_id = key.json["id"].as_str().unwrap_or_default().to_owned();
        let sub = h
            .call(
                Method::POST,
                "/api/v1/sub-accounts",
                Some(&alice),
                Some(json!({
                    "email": "alice-ops@example.com", "password": "correct horse battery",
                    "display_name": "ops", "rights": ["domains:read"]
                })),
            )
            .await;
        assert_eq!(sub.status, StatusCode::CREATED, "{}", sub.json);
        let sub_id = sub.json["id"].as_str().unwrap_or_default().to_owned();
        let contact = h
            .call(
                Method::POST,
                "/api/v1/contacts",
                Some(&alice),
                Some(json!({
                    "kind": "person", "name": "爱丽丝", "id_type": "resident_id",
                    "id_number": "11010519491231002X", "email": "alice-holder@example.com",
                    "phone": "+86.13800138000",
                    "address": {"country": "CN", "province": "北京市", "city": "北京市",
                                "street": "爱丽丝路 1 号"}
                })),
            )
            .await;
        assert_eq!(contact.status, StatusCode::CREATED, "{}", contact.json);
        let contact_id = contact.json["id"].as_str().unwrap_or_default().to_owned();
        h.fund(&alice_id, 100_000).await;
        let domain = h
            .call(
                Method::POST,
                "/api/v1/domains",
                Some(&alice),
                Some(json!({
                    "name": "alice-shop.com", "years": 1, "registrant_contact_id": contact_id
                })),
            )
            .await;
        assert_eq!(domain.status, StatusCode::CREATED, "{}", domain.json);
        let alice_resources = [
            alice_id.clone(),
            key_id.clone(),
            sub_id.clone(),
            "alice-shop.com".to_owned(),
            contact_id.clone(),
        ];
        let alice_markers = [
            alice_id.as_str(),
            key_id.as_str(),
            sub_id.as_str(),
            contact_id.as_str(),
            "alice@example.com",
            "alice-ops@example.com",
            "alice-key",
            "alice-holder@example.com",
            "爱丽丝",
            "1101**********002X",
            "11010519491231002X",
            "alice-shop",
        ];

        let doc = h
            .call(Method::GET, "/api/openapi.json", None, None)
            .await
            .json;
        let paths = doc["paths"].as_object().cloned().unwrap_or_default();
        let mut walked = 0;
        for (template, operations) in &paths {
            for (method_name, operation) in operations.as_object().into_iter().flatten() {
                let Ok(method) = method_name.to_ascii_uppercase().parse::<Method>() else {
                    continue;
                };
                let secured = operation["security"]
                    .as_array()
                    .is_some_and(|s| !s.is_empty());
                if !secured {
                    continue;
                }
                walked += 1;
                let has_params = template.contains('{');
                let candidates: Vec<String> = if has_params {
                    alice_resources
                        .iter()
                        .map(|id| fill(template, id))
                        .collect()
                } else {
                    vec![template.clone()]
                };
                // A minimal valid body, so that the request reaches the ownership check.
                let body =
                    matches!(method, Method::POST | Method::PUT | Method::PATCH).then(|| {
                        let schema =
                            &operation["requestBody"]["content"]["application/json"]["schema"];
                        sample(&doc, schema)
                    });

                // Without credentials every secured route refuses.
                let anonymous = h
                    .call(method.clone(), &candidates[0], None, body.clone())
                    .await;
                assert_eq!(
                    anonymous.status,
                    StatusCode::UNAUTHORIZED,
                    "{method} {template} without credentials"
                );

                for path in candidates {
                    // A fresh session per call: the walk also visits logout and password change.
                    let bob = h.login("bob@example.com").await;
                    let reply = h
                        .call(method.clone(), &path, Some(&bob), body.clone())
                        .await;
                    assert_ne!(
                        reply.status,
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "{method} {path}"
                    );
                    if has_params {
                        // Staff-only endpoints refuse a customer whatever the id; every other
                        // route hides another tenant's object.
                        let staff_only = operation["tags"]
                            .as_array()
                            .is_some_and(|tags| tags.iter().any(|t| t == "admin"));
                        let expected = if staff_only {
                            StatusCode::FORBIDDEN
                        } else {
                            StatusCode::NOT_FOUND
                        };
                        assert_eq!(
                            reply.status, expected,
                            "{method} {path} as bob: {}",
                            reply.json
                        );
                    }
                    let text = reply.json.to_string();
                    for marker in alice_markers {
                        assert!(
                            !text.contains(marker),
                            "{method} {path} leaked {marker}: {text}"
                        );
                    }
                }
            }
        }
        assert!(walked >= 10, "walked only {walked} secured operations");

        story.step("Alice's resources are untouched and still hers");
        // Alice's resources are untouched and still hers.
        let keys = h
            .call(Method::GET, "/api/v1/api-keys", Some(&alice), None)
            .await;
        let keys: Vec<Value> = keys.json["api_keys"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            keys.iter()
                .any(|k| k["id"] == key_id.as_str() && k.get("revoked_at").is_none())
        );
        let subs = h
            .call(Method::GET, "/api/v1/sub-accounts", Some(&alice), None)
            .await;
        assert_eq!(subs.json["sub_accounts"][0]["status"], "active");
        let contact = h
            .call(
                Method::GET,
                &format!("/api/v1/contacts/{contact_id}"),
                Some(&alice),
                None,
            )
            .await;
        assert_eq!(contact.json["verification"]["status"], "pending");

        story.step("Bob's own audit log holds only bob's entries");
        // Bob's own audit log holds only bob's entries.
        let bob = h.login("bob@example.com").await;
        let audit = h.call(Method::GET, "/api/v1/audit", Some(&bob), None).await;
        let entries = audit.json["entries"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(!entries.is_empty());
        assert!(
            entries.iter().all(|e| e["actor"] == bob_id.as_str()),
            "{}",
            audit.json
        );
    }
);

fn fill(template: &str, id: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                out.push_str(id);
                rest = &rest[start + end + 1..];
            }
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A minimal value satisfying `schema`: required properties only, simple defaults.
fn sample(doc: &Value, schema: &Value) -> Value {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or_default();
        return sample(doc, &doc["components"]["schemas"][name]);
    }
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds
            .iter()
            .find(|k| *k != "null")
            .cloned()
            .unwrap_or(Value::Null),
        other => other.clone(),
    };
    match kind.as_str() {
        Some("string") => json!("x"),
        Some("integer") | Some("number") => json!(1),
        Some("boolean") => json!(false),
        Some("array") => json!([]),
        _ => {
            let mut object = serde_json::Map::new();
            for name in schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                object.insert(name.to_owned(), sample(doc, &schema["properties"][name]));
            }
            Value::Object(object)
        }
    }
}
