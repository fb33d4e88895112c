//! ICP filing over HTTP: the self-check report, reviewer routes refused to customers,
//! another tenant's order, raw-body material uploads beyond the default body limit.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use yuming_test_support::{TestDb, both_backends};

use crate::harness::Harness;

fn person() -> Value {
    json!({"name": "张三", "id_type": "resident_id", "id_number": "11010519491231002X",
           "mobile": "13800138000", "email": "zhangsan@example.com"})
}

/// A colourful 1800 × 1300 PNG (well over the test router's 64 KiB body limit).
fn png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(1800, 1300, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x ^ y) % 256) as u8])
    });
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("png");
    out
}

/// A valid all-black 9 200 × 9 200 RGB PNG: 254 MB decoded, a few hundred KB on the wire.
fn black_png_9200() -> Vec<u8> {
    use std::io::Write;
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        let mut crc = flate2::Crc::new();
        crc.update(&body);
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    const SIDE: u32 = 9_200;
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = SIDE.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&SIDE.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    let row = vec![0u8; 1 + 3 * SIDE as usize];
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    for _ in 0..SIDE {
        z.write_all(&row).expect("deflate");
    }
    chunk(&mut out, b"IDAT", &z.finish().expect("deflate"));
    chunk(&mut out, b"IEND", &[]);
    out
}

both_backends!(filing_over_http, |db: TestDb| async move {
    let story = yuming_test_support::story::Story::new("filing over http");
    let h = Harness::new(db);
    let (_, alice) = h.customer("alice@example.com").await;
    let (_, bob) = h.customer("bob@example.com").await;

    let entity = h
        .call(
            Method::POST,
            "/api/v1/filing/entities",
            Some(&alice),
            Some(json!({
                "entity_type": "PERSON", "name": "张三", "province": "北京",
                "cert_type": "resident_id", "cert_no": "110105194912310021",
                "address": "北京市东城区长安街 1 号", "principal": person()
            })),
        )
        .await;
    assert_eq!(entity.status, StatusCode::CREATED, "{}", entity.json);
    let entity_id = entity.json["id"].as_str().unwrap_or_default().to_owned();
    let bad = h
        .call(
            Method::POST,
            "/api/v1/filing/entities",
            Some(&alice),
            Some(json!({
                "entity_type": "PIRATE", "name": "张三", "province": "北京",
                "cert_type": "resident_id", "cert_no": "1", "address": "x",
                "principal": person()
            })),
        )
        .await;
    assert_eq!(
        (bad.status, bad.code()),
        (StatusCode::BAD_REQUEST, "INVALID_ENTITY_TYPE")
    );

    let site = h
        .call(
            Method::POST,
            &format!("/api/v1/filing/entities/{entity_id}/sites"),
            Some(&alice),
            Some(json!({
                "name": "12345", "domain": "zhangsan.cn", "homepage": "https://zhangsan.cn/",
                "content_types": [100], "purpose": "博客", "principal": person(),
                "servers": ["192.0.2.1"]
            })),
        )
        .await;
    assert_eq!(site.status, StatusCode::CREATED, "{}", site.json);
    let order = h
        .call(
            Method::POST,
            "/api/v1/filing/orders",
            Some(&alice),
            Some(json!({"operation": "FIRST", "entity_id": entity_id,
                        "site_id": site.json["id"]})),
        )
        .await;
    assert_eq!(order.status, StatusCode::CREATED, "{}", order.json);
    assert_eq!(order.json["status"], "DRAFT");
    let order_id = order.json["id"].as_str().unwrap_or_default().to_owned();
    let shown = order.json["payload"]["entity"]["cert_no"]
        .as_str()
        .unwrap_or_default();
    assert!(
        shown.contains('*') && !shown.contains("19491231"),
        "masked: {shown}"
    );

    let check = h
        .call(
            Method::GET,
            &format!("/api/v1/filing/orders/{order_id}/check"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(check.status, StatusCode::OK);
    assert_eq!(check.json["submittable"], false);
    let problems = check.json["problems"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let has = |code: &str, field: &str| {
        problems
            .iter()
            .any(|p| p["code"] == code && p["field"] == field && p["severity"] == "blocking")
    };
    assert!(has("CERT_INVALID", "entity.cert_no"), "{problems:?}");
    assert!(has("SITE_NAME_INVALID", "site.name"), "{problems:?}");
    assert!(has("ACCESS_INVALID", "site.access[0].ip"), "{problems:?}");
    assert!(problems.iter().all(|p| p["fix_zh"].is_string()));

    story.step("A second order for the entity");
    // A second order for the entity: 409.
    let again = h
        .call(
            Method::POST,
            "/api/v1/filing/orders",
            Some(&alice),
            Some(json!({"operation": "FIRST", "entity_id": entity_id,
                        "site_id": site.json["id"]})),
        )
        .await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::CONFLICT, "ORDER_CONFLICT")
    );

    story.step("Material upload");
    // Material upload: raw body, larger than the default body limit.
    let upload = |token: String, kind: &str, bytes: Vec<u8>| {
        Request::builder()
            .method(Method::POST)
            .uri(format!("/api/v1/filing/orders/{order_id}/materials/{kind}"))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "image/png")
            .body(Body::from(bytes))
            .expect("request")
    };
    let file = png();
    assert!(file.len() > 64 * 1024);
    let uploaded = h
        .send(upload(alice.clone(), "id_front", file.clone()))
        .await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.json);
    assert_eq!(uploaded.json["width"], 1800);
    let renamed = h
        .send(upload(
            alice.clone(),
            "id_back",
            b"GIF89a not really a png".to_vec(),
        ))
        .await;
    assert_eq!(
        (renamed.status, renamed.code()),
        (StatusCode::BAD_REQUEST, "MATERIAL_TYPE")
    );
    let material_id = uploaded.json["id"].as_str().unwrap_or_default().to_owned();
    let content = h
        .send(
            Request::builder()
                .uri(format!(
                    "/api/v1/filing/orders/{order_id}/materials/{material_id}/content"
                ))
                .header("authorization", format!("Bearer {alice}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(content.status, StatusCode::OK);
    assert_eq!(content.headers["content-type"], "image/png");

    story.step("Decompression bomb");
    // Decompression bomb: refused from its header with a stable code and the field.
    let bomb = h
        .send(upload(alice.clone(), "other", black_png_9200()))
        .await;
    assert_eq!(
        (
            bomb.status,
            bomb.code(),
            bomb.json["error"]["field"].as_str()
        ),
        (
            StatusCode::BAD_REQUEST,
            "MATERIAL_TOO_MANY_PIXELS",
            Some("file")
        ),
        "{}",
        bomb.json
    );
    // A PNG with a ZIP appended is served back re-encoded, without the archive.
    let mut polyglot = file.clone();
    polyglot.extend_from_slice(b"PK\x03\x04\x14\x00\x00\x00\x00\x00<script>zip payload</script>");
    let stored = h.send(upload(alice.clone(), "other", polyglot)).await;
    assert_eq!(stored.status, StatusCode::CREATED, "{}", stored.json);
    let stored_id = stored.json["id"].as_str().unwrap_or_default().to_owned();
    let served = h
        .send(
            Request::builder()
                .uri(format!(
                    "/api/v1/filing/orders/{order_id}/materials/{stored_id}/content"
                ))
                .header("authorization", format!("Bearer {alice}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(served.status, StatusCode::OK);
    assert!(served.body.starts_with(b"\x89PNG"));
    for needle in [&b"PK\x03\x04"[..], b"zip payload", b"<script>"] {
        assert!(
            !served.body.windows(needle.len()).any(|w| w == needle),
            "{needle:?} served back"
        );
    }

    story.step("Bob");
    // Bob: another tenant's order is 404; reviewer routes are 403.
    for path in [
        format!("/api/v1/filing/orders/{order_id}"),
        format!("/api/v1/filing/orders/{order_id}/check"),
        format!("/api/v1/filing/orders/{order_id}/materials"),
    ] {
        let reply = h.call(Method::GET, &path, Some(&bob), None).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
    }
    let stolen = h.send(upload(bob.clone(), "id_front", file)).await;
    assert_eq!(stolen.status, StatusCode::NOT_FOUND);
    for token in [&alice, &bob] {
        let reply = h
            .call(
                Method::POST,
                &format!("/api/v1/review/filing/{order_id}/claim"),
                Some(token),
                None,
            )
            .await;
        assert_eq!(
            (reply.status, reply.code()),
            (StatusCode::FORBIDDEN, "FORBIDDEN")
        );
        let queue = h
            .call(Method::GET, "/api/v1/review/filing", Some(token), None)
            .await;
        assert_eq!(queue.status, StatusCode::FORBIDDEN);
    }
    let pools = h
        .call(
            Method::POST,
            "/api/v1/admin/filing/ip-pools",
            Some(&alice),
            Some(json!({"cidr": "203.0.113.0/24", "region": "北京", "mainland": true})),
        )
        .await;
    assert_eq!(pools.status, StatusCode::FORBIDDEN);
    let sandbox = h
        .call(
            Method::GET,
            "/api/v1/admin/filing/sandbox/sms?mobile=13800138000",
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(
        (sandbox.status, sandbox.code()),
        (StatusCode::FORBIDDEN, "FORBIDDEN")
    );

    story.step("The document lists the filing routes");
    // The document lists the filing routes.
    let doc = h
        .call(Method::GET, "/api/openapi.json", None, None)
        .await
        .json;
    for path in [
        "/api/v1/filing/orders/{id}/check",
        "/api/v1/filing/orders/{id}/materials/{kind}",
        "/api/v1/review/filing/{id}/reject",
        "/api/v1/admin/filing/rules",
        "/api/v1/admin/filing/sandbox/sms",
    ] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
});

both_backends!(public_filing_endpoints, |db: TestDb| async move {
    let h = Harness::new(db);
    let keys = h
        .call(Method::GET, "/api/v1/public/filing/keys", None, None)
        .await;
    assert_eq!(keys.status, StatusCode::OK, "{}", keys.json);
    assert!(keys.json["keys"].is_array());
    for (query, code, field) in [
        (
            "number=%E4%BA%ACICP%E5%A4%8712%E5%8F%B7",
            "INVALID_ICP_NUMBER",
            "number",
        ),
        ("", "LOOKUP_KEY_REQUIRED", "domain"),
        ("domain=a.cn&number=x", "LOOKUP_KEY_REQUIRED", "domain"),
        ("domain=-bad-.cn", "INVALID_DOMAIN", "domain"),
    ] {
        let reply = h
            .call(
                Method::GET,
                &format!("/api/v1/public/filings?{query}"),
                None,
                None,
            )
            .await;
        assert_eq!(
            (reply.status, reply.code()),
            (StatusCode::BAD_REQUEST, code),
            "{query}"
        );
        assert_eq!(reply.json["error"]["field"], field, "{query}");
    }
    let none = h
        .call(
            Method::GET,
            "/api/v1/public/filings?domain=nobody.cn",
            None,
            None,
        )
        .await;
    assert_eq!(none.status, StatusCode::OK);
    assert_eq!(none.json["filings"], json!([]));
    let forged = h
        .call(
            Method::POST,
            "/api/v1/public/filing/certificates/verify",
            None,
            Some(json!({"certificate": {"id": "x"}, "signature": "AAAA"})),
        )
        .await;
    assert_eq!(forged.status, StatusCode::OK);
    assert_eq!(
        (forged.json["valid"].clone(), forged.json["reason"].clone()),
        (json!(false), json!("MALFORMED"))
    );
    let empty = h
        .call(
            Method::POST,
            "/api/v1/public/filing/certificates/verify",
            None,
            Some(json!({"signature": "AAAA"})),
        )
        .await;
    assert_eq!(
        (empty.status, empty.code()),
        (StatusCode::BAD_REQUEST, "CERTIFICATE_REQUIRED")
    );
    let (_, alice) = h.customer("alice@example.com").await;
    let missing = h
        .call(
            Method::GET,
            "/api/v1/filing/sites/fsi_nope/certificate",
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
});
