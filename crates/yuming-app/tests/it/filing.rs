//! ICP filing stories against the sandbox authority, each on SQLite and PostgreSQL: personal
//! and enterprise first filings from draft to number, then add-site, change and cancel-site;
//! risk limits, SMS verification, reviewer rights, tenant isolation, materials.

pub(crate) use yuming_test_support::fixtures::{code, ctx, operator};

use std::sync::Arc;

use yuming_app::filing::{
    self, EntityInput, FieldRejection, FilingAuthority, NewOrderInput, OrderView, Payload,
    SandboxConfig, SandboxFilingAuthority, materials,
};
use yuming_app::platform::validation::{self, ValidationKind, ValidationOptions};
use yuming_app::registrar::domains::{self, DomainUpdate};
use yuming_app::{App, ErrorKind, RequestContext, registrar::cancellations};
use yuming_core::access::Actor;
use yuming_core::filing::{OrderStatus, RejectCode, Severity};
use yuming_test_support::{TestDb, both_backends};

pub(crate) use yuming_test_support::filing::{
    PERSON_ID, World, add_server, approved_first_filing, customer, person, personal_entity, pushed,
    ready_order, ready_order_with, register, sandbox_config, site, stop_resolving,
    verified_contact, world, world_with, world_with_keys,
};

const USCC: &str = "91110000600037341L";
const LEGAL_REP_ID: &str = "110105197512120028";

fn ctx_ip(ip: &str) -> RequestContext {
    RequestContext {
        request_id: "test".into(),
        client_ip: Some(ip.into()),
        ..RequestContext::default()
    }
}

fn enterprise_entity() -> EntityInput {
    EntityInput {
        entity_type: "ENTERPRISE".into(),
        name: "北京示例科技有限公司".into(),
        province: "11".into(),
        cert_type: "uscc".into(),
        cert_no: USCC.into(),
        cert_valid_until: Some("2040-01-01".into()),
        address: "北京市海淀区中关村大街 27 号".into(),
        principal: person("李四", LEGAL_REP_ID, "13900139000", "lisi@example.com"),
        principal_is_legal_rep: true,
    }
}

pub(crate) fn blocking(report: &filing::CheckReport) -> Vec<(RejectCode, String)> {
    report
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Blocking)
        .map(|p| (p.code, p.field.clone()))
        .collect()
}

/// Review, SMS and authority: takes a submitted order to APPROVED.
async fn through_review(w: &World, applicant: &Actor, order: &str, mobile: &str) -> OrderView {
    let queue = filing::review_queue(&w.app, &w.reviewer)
        .await
        .expect("queue");
    assert!(queue.iter().any(|o| o.id == order), "in the queue");
    filing::claim(&w.app, &ctx(), &w.reviewer, order)
        .await
        .expect("claim");
    let review = filing::review_view(&w.app, &ctx(), &w.reviewer, order)
        .await
        .expect("review view");
    assert!(review.check.submittable);
    let pushed = filing::approve(&w.app, &ctx(), &w.reviewer, order)
        .await
        .expect("approve");
    let needs_sms = pushed.status == OrderStatus::SmsVerify;
    if needs_sms {
        let code = w
            .authority
            .last_code_for(mobile)
            .await
            .expect("sms code sent");
        let verified = filing::verify_sms(&w.app, &ctx(), applicant, order, &code)
            .await
            .expect("sms");
        assert_eq!(verified.status, OrderStatus::BureauReview);
    } else {
        assert_eq!(pushed.status, OrderStatus::BureauReview);
    }
    // The bureau decides after the sandbox's delay; sync picks the decision up.
    let early = filing::sync(&w.app).await.expect("sync");
    assert_eq!(early.changed, 0);
    w.clock.advance_secs(3601);
    let report = filing::sync(&w.app).await.expect("sync");
    assert!(report.changed >= 1);
    let done = filing::get_order(&w.app, applicant, order)
        .await
        .expect("order");
    assert_eq!(done.status, OrderStatus::Approved);
    done
}

both_backends!(
    personal_first_filing_then_add_change_and_cancel_site,
    |db: TestDb| async move {
        let story = yuming_test_support::story::Story::new(
            "personal first filing then add change and cancel site",
        );
        let w = world(&db).await;
        let app = &w.app;
        let alice = customer(app, "alice@example.com").await;
        let contact =
            verified_contact(app, &alice, "person", "张三", "resident_id", PERSON_ID).await;
        register(app, &alice, "zhangsan.cn", &contact).await;
        register(app, &alice, "zhangsan-blog.cn", &contact).await;
        add_server(&w, &alice, "203.0.113.10").await;

        story.step("Draft with mistakes");
        // Draft with mistakes: a wrong check digit, a name of two letters, a server outside the
        // mainland pools; the domain is new and resolves.
        let mut entity_input = personal_entity();
        entity_input.cert_no = "110105194912310021".into();
        let entity = filing::create_entity(app, &ctx(), &alice, &entity_input)
            .await
            .expect("entity");
        let mut site_input = site(
            "ab",
            "zhangsan.cn",
            person("张三", PERSON_ID, "13800138000", "zhangsan@example.com"),
            "192.0.2.10",
        );
        site_input.principal.id_number = "110105194912310021".into();
        let site1 = filing::create_site(app, &ctx(), &alice, &entity.id, &site_input)
            .await
            .expect("site");
        let order = filing::create_order(
            app,
            &ctx(),
            &alice,
            &NewOrderInput {
                operation: "FIRST".into(),
                entity_id: entity.id.clone(),
                site_id: Some(site1.id.clone()),
            },
        )
        .await
        .expect("order");
        assert_eq!(order.status, OrderStatus::Draft);
        assert!(!order.payload.entity.cert_no.contains("19491231"), "masked");

        let report = filing::check(app, &alice, &order.id).await.expect("check");
        let found = blocking(&report);
        for expected in [
            (RejectCode::CertInvalid, "entity.cert_no"),
            (RejectCode::SiteNameInvalid, "site.name"),
            (RejectCode::AccessInvalid, "site.access[0].ip"),
            (RejectCode::DomainResolving, "site.domain"),
            (RejectCode::DomainCheckFail, "site.domain"),
            (RejectCode::DomainNotVerified, "site.domain"),
        ] {
            assert!(
                found.contains(&(expected.0, expected.1.to_owned())),
                "{expected:?} in {found:?}"
            );
        }
        assert!(
            report
                .problems
                .iter()
                .all(|p| !p.message_zh.is_empty() && !p.fix.is_empty())
        );
        // The self-check and POST /api/v1/validate run the same site-name rule.
        let validated = validation::validate(
            ValidationKind::SiteName,
            "ab",
            app.now().date(),
            &ValidationOptions {
                owner: Some("personal".into()),
                unit_name: None,
            },
        );
        let from_check: Vec<&str> = report
            .problems
            .iter()
            .filter(|p| p.field == "site.name")
            .map(|p| p.message.as_str())
            .collect();
        let from_validate: Vec<&str> = validated
            .errors
            .iter()
            .map(|p| p.message.as_str())
            .collect();
        assert!(!from_check.is_empty());
        assert_eq!(from_check, from_validate);
        assert_eq!(
            code(filing::submit(app, &ctx(), &alice, &order.id).await),
            "INVALID_STATE",
            "a draft is verified first"
        );

        story.step("Fixes");
        // Fixes: the number, the name, the server, DNS off, and 31 days for the domain to age.
        let mut payload = Payload {
            entity: personal_entity(),
            site: Some(site(
                "张三的学习笔记",
                "zhangsan.cn",
                person("张三", PERSON_ID, "13800138000", "zhangsan@example.com"),
                "203.0.113.10",
            )),
        };
        filing::update_order(app, &ctx(), &alice, &order.id, &payload)
            .await
            .expect("fix");
        stop_resolving(app, &alice, "zhangsan.cn").await;
        w.clock.advance_days(31);
        let report = filing::check(app, &alice, &order.id).await.expect("check");
        assert_eq!(blocking(&report), vec![], "{:?}", report.problems);
        assert!(report.submittable);
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.code == RejectCode::LivenessFail && p.severity == Severity::Warning)
        );

        let filling = filing::verify_type(app, &ctx(), &alice, &order.id)
            .await
            .expect("verify type");
        assert_eq!(filling.status, OrderStatus::Filling);
        // Verified fields are frozen now.
        let mut frozen = payload.clone();
        frozen.entity.cert_no = "11010519491231003X".into();
        let err = filing::update_order(app, &ctx(), &alice, &order.id, &frozen)
            .await
            .expect_err("frozen");
        assert_eq!(err.code, "FIELD_LOCKED");
        assert_eq!(err.field.as_deref(), Some("entity.cert_no"));

        let submitted = filing::submit(app, &ctx(), &alice, &order.id)
            .await
            .expect("submit");
        assert_eq!(submitted.status, OrderStatus::ProviderReview);

        story.step("The reviewer rejects the site name only");
        // The reviewer rejects the site name only; only that field reopens.
        filing::claim(app, &ctx(), &w.reviewer, &order.id)
            .await
            .expect("claim");
        let rejected = filing::reject(
            app,
            &ctx(),
            &w.reviewer,
            &order.id,
            &[FieldRejection {
                field: "site.name".into(),
                code: "SITE_NAME_INVALID".into(),
                comment: "名称请与网站内容相符".into(),
            }],
        )
        .await
        .expect("reject");
        assert_eq!(rejected.status, OrderStatus::ProviderRejected);
        assert_eq!(rejected.rejected_fields, vec!["site.name".to_owned()]);
        let mut other_field = payload.clone();
        if let Some(s) = other_field.site.as_mut() {
            s.purpose = "别的描述".into();
        }
        assert_eq!(
            code(filing::update_order(app, &ctx(), &alice, &order.id, &other_field).await),
            "FIELD_LOCKED"
        );
        if let Some(s) = payload.site.as_mut() {
            s.name = "张三的读书笔记".into();
        }
        filing::update_order(app, &ctx(), &alice, &order.id, &payload)
            .await
            .expect("fix rejected field");
        filing::add_note(app, &ctx(), &alice, &order.id, "message", "已修改网站名称")
            .await
            .expect("message");
        filing::add_note(
            app,
            &ctx(),
            &w.reviewer,
            &order.id,
            "call",
            "已电话核实负责人",
        )
        .await
        .expect("call log");
        let notes = filing::notes(app, &alice, &order.id).await.expect("notes");
        assert_eq!(
            notes.iter().map(|n| n.kind.as_str()).collect::<Vec<_>>(),
            ["rejection", "message", "call"]
        );
        filing::submit(app, &ctx(), &alice, &order.id)
            .await
            .expect("resubmit");

        through_review(&w, &alice, &order.id, "13800138000").await;
        let (entity_now, sites) = filing::get_entity(app, &alice, &entity.id)
            .await
            .expect("entity");
        assert_eq!(
            entity_now.subject_no.as_deref(),
            Some("京ICP备2026000123号")
        );
        assert_eq!(sites[0].site_no.as_deref(), Some("京ICP备2026000123号-1"));
        // Every status change notified the applicant (in-app here; e-mail rows wait in the
        // outbox for the mailer).
        let inbox = yuming_app::notify::notices::inbox(app, &alice, None, 100)
            .await
            .expect("inbox");
        assert!(inbox.iter().all(|n| n.kind == "icp_status_changed"));
        assert!(inbox.len() >= 8, "{} notices", inbox.len());
        assert!(
            inbox
                .iter()
                .any(|n| n.body.contains("管局审核通过 (APPROVED)")),
            "{:?}",
            inbox.iter().map(|n| &n.body).collect::<Vec<_>>()
        );
        for number in ["京ICP备2026000123号-1", "京ICP备2026000123号"] {
            let checked = validation::validate(
                ValidationKind::IcpNumber,
                number,
                app.now().date(),
                &ValidationOptions::default(),
            );
            assert!(checked.valid, "{number}: {:?}", checked.errors);
        }
        let history = filing::history(app, &alice, &order.id)
            .await
            .expect("history");
        let path: Vec<&str> = history.iter().map(|h| h.to.as_str()).collect();
        assert_eq!(
            path,
            [
                "DRAFT",
                "FILLING",
                "PROVIDER_REVIEW",
                "PROVIDER_REJECTED",
                "PROVIDER_REVIEW",
                "PENDING_SUBMIT_MIIT",
                "SMS_VERIFY",
                "BUREAU_REVIEW",
                "APPROVED"
            ]
        );

        story.step("Add a site under the filed entity");
        // Add a site under the filed entity: the authority knows the subject, so FIRST is wrong.
        w.clock.advance_days(1);
        stop_resolving(app, &alice, "zhangsan-blog.cn").await;
        let site2 = filing::create_site(
            app,
            &ctx(),
            &alice,
            &entity.id,
            &site(
                "张三的摄影小站",
                "zhangsan-blog.cn",
                person("张三", PERSON_ID, "13800138000", "zhangsan@example.com"),
                "203.0.113.10",
            ),
        )
        .await
        .expect("site 2");
        assert_eq!(
            code(
                filing::create_order(
                    app,
                    &ctx(),
                    &alice,
                    &NewOrderInput {
                        operation: "FIRST".into(),
                        entity_id: entity.id.clone(),
                        site_id: Some(site2.id.clone()),
                    },
                )
                .await
            ),
            "ALREADY_FILED"
        );
        let add = filing::create_order(
            app,
            &ctx(),
            &alice,
            &NewOrderInput {
                operation: "ADD_SITE".into(),
                entity_id: entity.id.clone(),
                site_id: Some(site2.id.clone()),
            },
        )
        .await
        .expect("add-site order");
        filing::verify_type(app, &ctx(), &alice, &add.id)
            .await
            .expect("verify");
        filing::submit(app, &ctx(), &alice, &add.id)
            .await
            .expect("submit add-site");
        // The reviewer sees the entity's first order beside this one, with its rejection.
        let review = filing::review_view(app, &ctx(), &w.reviewer, &add.id)
            .await
            .expect("review view");
        assert_eq!(review.earlier.len(), 1, "{:?}", review.earlier);
        assert_eq!(review.earlier[0].id, order.id);
        assert_eq!(review.earlier[0].operation, "FIRST");
        assert!(
            review.earlier[0]
                .decisions
                .iter()
                .any(|d| d.kind == "rejection" && d.from_staff),
            "{:?}",
            review.earlier[0].decisions
        );
        through_review(&w, &alice, &add.id, "13800138000").await;
        let (_, sites) = filing::get_entity(app, &alice, &entity.id)
            .await
            .expect("entity");
        let numbers: Vec<Option<&str>> = sites.iter().map(|s| s.site_no.as_deref()).collect();
        assert_eq!(
            numbers,
            [Some("京ICP备2026000123号-1"), Some("京ICP备2026000123号-2")]
        );

        story.step("Change the first site's name");
        // Change the first site's name.
        w.clock.advance_days(1);
        let change = filing::create_order(
            app,
            &ctx(),
            &alice,
            &NewOrderInput {
                operation: "CHANGE_SITE".into(),
                entity_id: entity.id.clone(),
                site_id: Some(site1.id.clone()),
            },
        )
        .await
        .expect("change order");
        filing::verify_type(app, &ctx(), &alice, &change.id)
            .await
            .expect("verify");
        let mut changed = filing::get_order(app, &alice, &change.id)
            .await
            .expect("order")
            .payload;
        changed.entity = personal_entity();
        if let Some(s) = changed.site.as_mut() {
            s.name = "张三的技术笔记".into();
            s.principal = person("张三", PERSON_ID, "13800138000", "zhangsan@example.com");
        }
        filing::update_order(app, &ctx(), &alice, &change.id, &changed)
            .await
            .expect("change");
        filing::submit(app, &ctx(), &alice, &change.id)
            .await
            .expect("submit change");
        through_review(&w, &alice, &change.id, "13800138000").await;
        let (_, sites) = filing::get_entity(app, &alice, &entity.id)
            .await
            .expect("entity");
        assert_eq!(
            sites[0].site_no.as_deref(),
            Some("京ICP备2026000123号-1"),
            "number kept"
        );

        story.step("Cancel the second site");
        // Cancel the second site.
        w.clock.advance_days(1);
        // Cancelling (注销) the domain of a filed site is held at the checklist's filings step
        // until the site's filing is cancelled.
        let release = cancellations::create(app, &ctx(), &alice, &["zhangsan-blog.cn".to_owned()])
            .await
            .expect("cancellation request");
        assert_eq!(
            release.domains[0]
                .filings
                .iter()
                .map(|f| f.number.as_str())
                .collect::<Vec<_>>(),
            vec!["京ICP备2026000123号-2"]
        );
        cancellations::confirm_step(app, &ctx(), &alice, &release.id, "status")
            .await
            .expect("status step");
        assert_eq!(
            code(cancellations::confirm_step(app, &ctx(), &alice, &release.id, "filings").await),
            "FILINGS_BOUND"
        );
        let site2_certificate =
            yuming_app::filing::certificates::certificate(app, &alice, &site2.id)
                .await
                .expect("certificate of the second site");
        let cancel = filing::create_order(
            app,
            &ctx(),
            &alice,
            &NewOrderInput {
                operation: "CANCEL_SITE".into(),
                entity_id: entity.id.clone(),
                site_id: Some(site2.id.clone()),
            },
        )
        .await
        .expect("cancel order");
        filing::verify_type(app, &ctx(), &alice, &cancel.id)
            .await
            .expect("verify");
        filing::submit(app, &ctx(), &alice, &cancel.id)
            .await
            .expect("submit cancel");
        through_review(&w, &alice, &cancel.id, "13800138000").await;
        let (_, sites) = filing::get_entity(app, &alice, &entity.id)
            .await
            .expect("entity");
        assert_eq!(sites[1].status, "cancelled");
        assert_eq!(sites[0].status, "filed");
        // Its certificate no longer stands: the filing was cancelled.
        let document: serde_json::Value =
            serde_json::from_str(&site2_certificate.certificate.canonical_json()).expect("json");
        assert_eq!(
            yuming_app::filing::certificates::verify(app, &document, &site2_certificate.signature)
                .await
                .expect("verify")
                .reason,
            "REVOKED"
        );
        let release = cancellations::get(app, &alice, &release.id)
            .await
            .expect("cancellation");
        assert!(release.domains[0].filings.is_empty());
        cancellations::confirm_step(app, &ctx(), &alice, &release.id, "filings")
            .await
            .expect("no filing holds the domain any more");
    }
);

/// A colourful PNG, `w` × `h`, with an optional pHYs density.
fn png(w: u32, h: u32, dpi: Option<u32>, grey: bool) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        if grey {
            let v = ((x + y) % 256) as u8;
            image::Rgb([v, v, v])
        } else {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x * y) % 251) as u8])
        }
    });
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("encode png");
    match dpi {
        Some(dpi) => insert_phys(&out, dpi),
        None => out,
    }
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
    out
}

/// Inserts a pHYs chunk after IHDR (8-byte signature + 25-byte IHDR chunk).
fn insert_phys(png: &[u8], dpi: u32) -> Vec<u8> {
    let ppm = (f64::from(dpi) / 0.0254).round() as u32;
    let mut data = ppm.to_be_bytes().to_vec();
    data.extend_from_slice(&ppm.to_be_bytes());
    data.push(1);
    let mut out = png[..33].to_vec();
    out.extend(chunk(b"pHYs", &data));
    out.extend_from_slice(&png[33..]);
    out
}

fn jpeg(w: u32, h: u32, dpi: u16) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut out = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80);
    encoder.set_pixel_density(image::codecs::jpeg::PixelDensity::dpi(dpi));
    encoder.encode_image(&img).expect("encode jpeg");
    out
}

/// A PNG that claims 50 000 × 50 000 pixels.
fn bomb() -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = 50_000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&50_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    out.extend(chunk(b"IHDR", &ihdr));
    out.extend(chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    out.extend(chunk(b"IEND", &[]));
    out
}

/// A PNG whose header claims 6 000 × 6 000 pixels of 16-bit RGBA: within the pixel budget,
/// but 288 MB to decode.
fn wide_bomb() -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = 6_000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&6_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[16, 6, 0, 0, 0]);
    out.extend(chunk(b"IHDR", &ihdr));
    out.extend(chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    out.extend(chunk(b"IEND", &[]));
    out
}

/// The decompression bomb of the security review: a valid, all-black 9 200 × 9 200 RGB PNG
/// (84.6 Mpx, 254 MB decoded) that compresses to a few hundred KB.
pub fn black_png_9200() -> Vec<u8> {
    use std::io::Write;
    const SIDE: u32 = 9_200;
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = SIDE.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&SIDE.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    out.extend(chunk(b"IHDR", &ihdr));
    let row = vec![0u8; 1 + 3 * SIDE as usize];
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    for _ in 0..SIDE {
        z.write_all(&row).expect("deflate");
    }
    let idat = z.finish().expect("deflate");
    out.extend(chunk(b"IDAT", &idat));
    out.extend(chunk(b"IEND", &[]));
    out
}

/// Decoded RGBA pixels, to compare images whatever their encoding.
fn pixels(file: &[u8]) -> (u32, u32, Vec<u8>) {
    let img = image::load_from_memory(file).expect("decodes").to_rgba8();
    (img.width(), img.height(), img.into_raw())
}

/// A ZIP archive holding one HTML file with `marker` in it.
fn zip_with(marker: &str) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("index.html", zip::write::SimpleFileOptions::default())
        .expect("zip entry");
    zip.write_all(marker.as_bytes()).expect("zip write");
    zip.finish().expect("zip").into_inner()
}

/// Inserts a tEXt chunk after IHDR.
fn insert_text(png: &[u8], keyword: &str, text: &str) -> Vec<u8> {
    let mut data = keyword.as_bytes().to_vec();
    data.push(0);
    data.extend_from_slice(text.as_bytes());
    let mut out = png[..33].to_vec();
    out.extend(chunk(b"tEXt", &data));
    out.extend_from_slice(&png[33..]);
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The density a stored PNG states (pHYs, pixels per metre → dpi).
fn png_dpi(file: &[u8]) -> Option<u32> {
    let decoder = png::Decoder::new(std::io::Cursor::new(file));
    let reader = decoder.read_info().expect("png");
    reader
        .info()
        .pixel_dims
        .filter(|d| d.unit == png::Unit::Meter)
        .map(|d| (f64::from(d.xppu) * 0.0254).round() as u32)
}

both_backends!(
    materials_are_reencoded_and_bombs_refused,
    |db: TestDb| async move {
        let w = world(&db).await;
        let app = &w.app;
        let (alice, order) = ready_order(
            &w,
            "alice@example.com",
            "alice-scans.cn",
            "203.0.113.31",
            "13800138000",
            PERSON_ID,
        )
        .await;

        // The 9 200 × 9 200 bomb is refused from its header, before any decoding.
        let bomb = black_png_9200();
        assert!(bomb.len() < 1_000_000, "{} bytes", bomb.len());
        let refused = materials::upload(app, &ctx(), &alice, &order, "other", bomb)
            .await
            .expect_err("refused");
        assert_eq!(
            (refused.code, refused.kind, refused.field.as_deref()),
            (
                "MATERIAL_TOO_MANY_PIXELS",
                ErrorKind::BadRequest,
                Some("file")
            )
        );
        assert!(
            refused.message.contains("9200 × 9200"),
            "{}",
            refused.message
        );

        // A PNG+ZIP polyglot and a PNG with a script in a text chunk are accepted as images, but
        // what is stored and served back is a fresh PNG without the payloads.
        let scan = png(1800, 1300, Some(300), false);
        let marker = "<html>polyglot payload 7f3a</html>";
        let mut polyglot = scan.clone();
        polyglot.extend(zip_with(marker));
        let scripted = insert_text(&scan, "Comment", "<script>alert(document.cookie)</script>");
        for (kind, upload) in [("other", polyglot), ("authorisation_letter", scripted)] {
            let view = materials::upload(app, &ctx(), &alice, &order, kind, upload.clone())
                .await
                .expect("accepted");
            let (content_type, stored) = materials::download(app, &alice, &order, &view.id)
                .await
                .expect("download");
            assert_eq!(content_type, "image/png");
            assert_ne!(stored, upload);
            for needle in [
                &b"PK\x03\x04"[..],
                b"polyglot payload",
                b"<script>",
                b"tEXt",
            ] {
                assert!(!contains(&stored, needle), "{kind}: {needle:?} survived");
            }
            assert_eq!(pixels(&stored), pixels(&scan), "{kind}: same picture");
            // The density the rule book checked is kept in the stored file.
            assert_eq!((view.dpi, png_dpi(&stored)), (Some(300), Some(300)));
            assert_eq!(view.size_bytes, stored.len() as i64);
        }

        // A JPEG scan stays a JPEG and keeps its JFIF density.
        let jpg = jpeg(1800, 1300, 300);
        let view = materials::upload(app, &ctx(), &alice, &order, "id_front", jpg)
            .await
            .expect("jpeg scan");
        let (content_type, stored) = materials::download(app, &alice, &order, &view.id)
            .await
            .expect("download");
        assert_eq!((content_type.as_str(), view.dpi), ("image/jpeg", Some(300)));
        assert_eq!(&stored[..2], &[0xFF, 0xD8]);
        assert_eq!(
            u16::from_be_bytes([stored[14], stored[15]]),
            300,
            "JFIF Xdensity"
        );
    }
);

both_backends!(
    enterprise_first_filing_with_materials,
    |db: TestDb| async move {
        let story =
            yuming_test_support::story::Story::new("enterprise first filing with materials");
        let w = world(&db).await;
        let app = &w.app;
        let corp = customer(app, "corp@example.com").await;
        let contact = verified_contact(
            app,
            &corp,
            "organization",
            "北京示例科技有限公司",
            "uscc",
            USCC,
        )
        .await;
        register(app, &corp, "example-tech.cn", &contact).await;
        stop_resolving(app, &corp, "example-tech.cn").await;
        add_server(&w, &corp, "203.0.113.20").await;
        w.clock.advance_days(31);

        story.step("The principal is not the legal representative");
        // The principal is not the legal representative: an authorisation letter is needed.
        let mut entity_input = enterprise_entity();
        entity_input.principal_is_legal_rep = false;
        let entity = filing::create_entity(app, &ctx(), &corp, &entity_input)
            .await
            .expect("entity");
        let mut site_input = site(
            "示例科技官网",
            "example-tech.cn",
            person("王五", PERSON_ID, "13700137000", "wangwu@example.com"),
            "203.0.113.20",
        );
        site_input.content_types = vec![0, 3];
        let s = filing::create_site(app, &ctx(), &corp, &entity.id, &site_input)
            .await
            .expect("site");
        let order = filing::create_order(
            app,
            &ctx(),
            &corp,
            &NewOrderInput {
                operation: "FIRST".into(),
                entity_id: entity.id.clone(),
                site_id: Some(s.id.clone()),
            },
        )
        .await
        .expect("order");
        let found = blocking(&filing::check(app, &corp, &order.id).await.expect("check"));
        assert!(
            found.contains(&(RejectCode::PrincipalNotLegalRep, "entity.principal".into())),
            "{found:?}"
        );
        assert!(
            found.contains(&(RejectCode::ContentInvalid, "site.preapprovals".into())),
            "{found:?}"
        );

        story.step("Materials");
        // Materials: every bad upload is refused with its own code; nothing is stored.
        for (bytes, expected) in [
            (vec![0u8; materials::MAX_BYTES + 1], "MATERIAL_TOO_LARGE"),
            (b"%PDF-1.7 renamed to letter.png".to_vec(), "MATERIAL_TYPE"),
            (
                png(1800, 1300, None, false)[..5000].to_vec(),
                "MATERIAL_CORRUPT",
            ),
            (bomb(), "MATERIAL_TOO_MANY_PIXELS"),
            (wide_bomb(), "MATERIAL_BOMB"),
            (png(1800, 1300, None, true), "MATERIAL_GREYSCALE"),
            (png(1000, 700, None, false), "MATERIAL_TOO_SMALL"),
            (png(1800, 1300, Some(150), false), "MATERIAL_LOW_DPI"),
            (jpeg(1800, 1300, 96), "MATERIAL_LOW_DPI"),
        ] {
            let got = code(
                materials::upload(app, &ctx(), &corp, &order.id, "authorisation_letter", bytes)
                    .await,
            );
            assert_eq!(got, expected);
        }
        assert_eq!(
            materials::list(app, &corp, &order.id)
                .await
                .expect("list")
                .len(),
            0
        );
        let first = materials::upload(
            app,
            &ctx(),
            &corp,
            &order.id,
            "authorisation_letter",
            jpeg(1000, 800, 300),
        )
        .await
        .expect("jpeg at 300 dpi");
        assert_eq!(first.dpi, Some(300));
        let letter = png(1800, 1300, None, false);
        let second = materials::upload(
            app,
            &ctx(),
            &corp,
            &order.id,
            "authorisation_letter",
            letter.clone(),
        )
        .await
        .expect("png without density but with A5-at-300-dpi pixels");
        let listed = materials::list(app, &corp, &order.id).await.expect("list");
        assert_eq!(listed.len(), 2, "history kept");
        assert_eq!(listed.iter().filter(|m| m.current).count(), 1);
        let (content_type, bytes) = materials::download(app, &corp, &order.id, &second.id)
            .await
            .expect("download");
        assert_eq!(content_type, "image/png");
        assert_eq!(
            pixels(&bytes),
            pixels(&letter),
            "the stored file shows the same image"
        );

        story.step("Pre-approval for education content");
        // Pre-approval for education content.
        let mut payload = filing::get_order(app, &corp, &order.id)
            .await
            .expect("order")
            .payload;
        payload.entity = entity_input.clone();
        if let Some(site) = payload.site.as_mut() {
            site.principal = person("王五", PERSON_ID, "13700137000", "wangwu@example.com");
            site.preapprovals = vec![filing::PreapprovalInput {
                content_type: 3,
                document_no: "京教审〔2025〕12号".into(),
                valid_until: Some("2030-01-01".into()),
            }];
        }
        filing::update_order(app, &ctx(), &corp, &order.id, &payload)
            .await
            .expect("fix");
        let report = filing::check(app, &corp, &order.id).await.expect("check");
        assert_eq!(blocking(&report), vec![], "{:?}", report.problems);
        filing::verify_type(app, &ctx(), &corp, &order.id)
            .await
            .expect("verify");
        filing::submit(app, &ctx(), &corp, &order.id)
            .await
            .expect("submit");
        through_review(&w, &corp, &order.id, "13900139000").await;
        let (entity_now, sites) = filing::get_entity(app, &corp, &entity.id)
            .await
            .expect("entity");
        assert_eq!(
            entity_now.subject_no.as_deref(),
            Some("京ICP备2026000123号")
        );
        assert_eq!(sites[0].site_no.as_deref(), Some("京ICP备2026000123号-1"));
        // Materials are frozen once the order left the applicant.
        assert_eq!(
            code(materials::upload(app, &ctx(), &corp, &order.id, "other", letter).await),
            "ORDER_NOT_EDITABLE"
        );
    }
);

both_backends!(bad_input_is_refused_clearly, |db: TestDb| async move {
    let story = yuming_test_support::story::Story::new("bad input is refused clearly");
    let w = world(&db).await;
    let app = &w.app;
    let (alice, order) = ready_order(
        &w,
        "alice@example.com",
        "alice-notes.cn",
        "203.0.113.30",
        "13800138000",
        PERSON_ID,
    )
    .await;
    w.clock.advance_days(31);
    filing::verify_type(app, &ctx(), &alice, &order)
        .await
        .expect("verify");

    story.step("One in-flight order per entity");
    // One in-flight order per entity.
    let entity_id = filing::get_order(app, &alice, &order)
        .await
        .expect("order")
        .entity_id;
    let (_, sites) = filing::get_entity(app, &alice, &entity_id)
        .await
        .expect("entity");
    let second = NewOrderInput {
        operation: "FIRST".into(),
        entity_id: entity_id.clone(),
        site_id: Some(sites[0].id.clone()),
    };
    let err = filing::create_order(app, &ctx(), &alice, &second)
        .await
        .expect_err("locked");
    assert_eq!(
        (err.code, err.kind),
        ("ORDER_CONFLICT", ErrorKind::Conflict)
    );

    story.step("Another tenant");
    // Another tenant: someone else's domain, a server of someone else, the order is 404.
    let bob = customer(app, "bob@example.com").await;
    assert_eq!(
        code(filing::get_order(app, &bob, &order).await),
        "NOT_FOUND"
    );
    assert_eq!(
        code(filing::submit(app, &ctx(), &bob, &order).await),
        "NOT_FOUND"
    );
    assert_eq!(code(filing::check(app, &bob, &order).await), "NOT_FOUND");
    assert_eq!(
        code(materials::upload(app, &ctx(), &bob, &order, "other", vec![1]).await),
        "NOT_FOUND"
    );
    let bob_entity = filing::create_entity(app, &ctx(), &bob, &enterprise_entity())
        .await
        .expect("bob entity");
    let bob_site = filing::create_site(
        app,
        &ctx(),
        &bob,
        &bob_entity.id,
        &site(
            "示例科技官网",
            "alice-notes.cn",
            person("李四", LEGAL_REP_ID, "13900139000", "lisi@example.com"),
            "203.0.113.30",
        ),
    )
    .await
    .expect("bob site");
    let bob_order = filing::create_order(
        app,
        &ctx(),
        &bob,
        &NewOrderInput {
            operation: "FIRST".into(),
            entity_id: bob_entity.id.clone(),
            site_id: Some(bob_site.id.clone()),
        },
    )
    .await
    .expect("bob order");
    let found = blocking(
        &filing::check(app, &bob, &bob_order.id)
            .await
            .expect("check"),
    );
    assert!(
        found.contains(&(RejectCode::DomainNotVerified, "site.domain".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&(RejectCode::AccessInvalid, "site.access[0].ip".into())),
        "{found:?}"
    );

    story.step("Reviewer actions by a customer");
    // Reviewer actions by a customer: 403, whoever owns the order.
    for (actor, expected) in [(&alice, ErrorKind::Forbidden), (&bob, ErrorKind::Forbidden)] {
        let err = filing::claim(app, &ctx(), actor, &order)
            .await
            .expect_err("not staff");
        assert_eq!(err.kind, expected);
        let err = filing::approve(app, &ctx(), actor, &order)
            .await
            .expect_err("not staff");
        assert_eq!(err.kind, expected);
    }
    assert_eq!(
        filing::review_queue(app, &alice)
            .await
            .expect_err("queue")
            .kind,
        ErrorKind::Forbidden
    );

    story.step("Three submissions a day per account");
    // Three submissions a day per account: the 4th is refused with the reset time.
    for round in 0..3 {
        filing::submit(app, &ctx_ip("198.51.100.1"), &alice, &order)
            .await
            .unwrap_or_else(|e| panic!("submission {round}: {e}"));
        filing::claim(app, &ctx(), &w.reviewer, &order)
            .await
            .expect("claim");
        filing::reject(
            app,
            &ctx(),
            &w.reviewer,
            &order,
            &[FieldRejection {
                field: "site.purpose".into(),
                code: "CONTENT_INVALID".into(),
                comment: "请补充".into(),
            }],
        )
        .await
        .expect("reject");
    }
    let err = filing::submit(app, &ctx_ip("198.51.100.1"), &alice, &order)
        .await
        .expect_err("4th");
    assert_eq!(
        (err.code, err.kind),
        ("SUBMISSION_LIMIT", ErrorKind::TooManyRequests)
    );
    assert!(err.message.contains("resets at"), "{}", err.message);
    let retry = err.retry_after_secs.expect("retry after");
    assert!(retry > 0 && retry <= 86_400);
    w.clock.advance_secs(retry);
    filing::submit(app, &ctx_ip("198.51.100.1"), &alice, &order)
        .await
        .expect("next day");

    story.step("Five per source IP per day, whichever account submits");
    // Five per source IP per day, whichever account submits.
    filing::claim(app, &ctx(), &w.reviewer, &order)
        .await
        .expect("claim");
    filing::reject(
        app,
        &ctx(),
        &w.reviewer,
        &order,
        &[FieldRejection {
            field: "site.purpose".into(),
            code: "CONTENT_INVALID".into(),
            comment: "请补充".into(),
        }],
    )
    .await
    .expect("reject");
    let (carol, carol_order) = ready_order(
        &w,
        "carol@example.com",
        "carol-notes.cn",
        "203.0.113.31",
        "13600136000",
        "110105198001010016",
    )
    .await;
    w.clock.advance_days(31);
    filing::verify_type(app, &ctx(), &carol, &carol_order)
        .await
        .expect("verify");
    let ip = "198.51.100.9";
    for _ in 0..2 {
        filing::submit(app, &ctx_ip(ip), &alice, &order)
            .await
            .expect("alice via ip");
        filing::claim(app, &ctx(), &w.reviewer, &order)
            .await
            .expect("claim");
        filing::reject(
            app,
            &ctx(),
            &w.reviewer,
            &order,
            &[FieldRejection {
                field: "site.purpose".into(),
                code: "CONTENT_INVALID".into(),
                comment: "请补充".into(),
            }],
        )
        .await
        .expect("reject");
    }
    for _ in 0..3 {
        filing::submit(app, &ctx_ip(ip), &carol, &carol_order)
            .await
            .expect("carol via ip");
        filing::claim(app, &ctx(), &w.reviewer, &carol_order)
            .await
            .expect("claim");
        filing::reject(
            app,
            &ctx(),
            &w.reviewer,
            &carol_order,
            &[FieldRejection {
                field: "site.purpose".into(),
                code: "CONTENT_INVALID".into(),
                comment: "请补充".into(),
            }],
        )
        .await
        .expect("reject");
    }
    assert_eq!(
        code(filing::submit(app, &ctx_ip(ip), &alice, &order).await),
        "SUBMISSION_LIMIT",
        "6th from one IP"
    );

    story.step("SMS");
    // SMS: five wrong codes leave tries, the 6th returns the order to the applicant.
    filing::submit(app, &ctx_ip("198.51.100.2"), &alice, &order)
        .await
        .expect("submit");
    filing::claim(app, &ctx(), &w.reviewer, &order)
        .await
        .expect("claim");
    let pushed = filing::approve(app, &ctx(), &w.reviewer, &order)
        .await
        .expect("approve");
    assert_eq!(pushed.status, OrderStatus::SmsVerify);
    let good = w
        .authority
        .last_code_for("13800138000")
        .await
        .expect("code");
    let wrong = if good == "000000" { "111111" } else { "000000" };
    for remaining in (1..=5).rev() {
        let err = filing::verify_sms(app, &ctx(), &alice, &order, wrong)
            .await
            .expect_err("wrong");
        assert_eq!(err.code, "SMS_CODE_WRONG");
        assert!(
            err.message.contains(&format!("{remaining} tries left")),
            "{}",
            err.message
        );
    }
    assert_eq!(
        code(filing::verify_sms(app, &ctx(), &alice, &order, wrong).await),
        "SMS_RETURNED"
    );
    assert_eq!(
        filing::get_order(app, &alice, &order)
            .await
            .expect("order")
            .status,
        OrderStatus::Returned
    );
    // The right code no longer helps; the applicant resubmits.
    assert_eq!(
        code(filing::verify_sms(app, &ctx(), &alice, &order, &good).await),
        "INVALID_STATE"
    );

    story.step("An SMS code that is never entered expires after 24 h");
    // An SMS code that is never entered expires after 24 h; sync returns the order.
    w.clock.advance_days(1);
    filing::submit(app, &ctx_ip("198.51.100.3"), &alice, &order)
        .await
        .expect("resubmit");
    filing::claim(app, &ctx(), &w.reviewer, &order)
        .await
        .expect("claim");
    filing::approve(app, &ctx(), &w.reviewer, &order)
        .await
        .expect("approve");
    w.clock.advance_secs(24 * 3600);
    filing::sync(app).await.expect("sync");
    assert_eq!(
        filing::get_order(app, &alice, &order)
            .await
            .expect("order")
            .status,
        OrderStatus::Returned
    );

    story.step("Abandoning releases the entity's lock");
    // Abandoning releases the entity's lock.
    let abandoned = filing::abandon(app, &ctx(), &alice, &order)
        .await
        .expect("abandon");
    assert_eq!(abandoned.status, OrderStatus::Abandoned);
    assert_eq!(
        code(filing::abandon(app, &ctx(), &alice, &order).await),
        "INVALID_STATE"
    );
    filing::create_order(app, &ctx(), &alice, &second)
        .await
        .expect("lock released");
});

both_backends!(
    blacklist_duplicates_and_rules_table,
    |db: TestDb| async move {
        let w = world(&db).await;
        let app = &w.app;
        let (alice, order) = ready_order(
            &w,
            "alice@example.com",
            "alice-notes.cn",
            "203.0.113.30",
            "13800138000",
            PERSON_ID,
        )
        .await;
        w.clock.advance_days(31);
        assert_eq!(
            blocking(&filing::check(app, &alice, &order).await.expect("check")),
            vec![]
        );

        // The same certificate from another account, and a phone another entity uses.
        let (bob, bob_order) = ready_order(
            &w,
            "bob@example.com",
            "bob-notes.cn",
            "203.0.113.31",
            "13800138000",
            PERSON_ID,
        )
        .await;
        w.clock.advance_days(31);
        let found = blocking(&filing::check(app, &bob, &bob_order).await.expect("check"));
        assert!(
            found.contains(&(RejectCode::OrderConflict, "entity.cert_no".into())),
            "{found:?}"
        );
        let found = blocking(&filing::check(app, &alice, &order).await.expect("check"));
        assert!(
            found.contains(&(RejectCode::OrderConflict, "entity.cert_no".into())),
            "{found:?}"
        );
        filing::abandon(app, &ctx(), &bob, &bob_order)
            .await
            .expect("abandon");

        let (carol, carol_order) = ready_order(
            &w,
            "carol@example.com",
            "carol-notes.cn",
            "203.0.113.32",
            "13800138000",
            "110105198001010016",
        )
        .await;
        w.clock.advance_days(31);
        let found = blocking(
            &filing::check(app, &carol, &carol_order)
                .await
                .expect("check"),
        );
        assert!(
            found.contains(&(RejectCode::ContactInvalid, "entity.principal.mobile".into())),
            "{found:?}"
        );

        // Operators blacklist a person: every order naming them is blocked.
        assert_eq!(
            code(filing::blacklist(app, &ctx(), &alice, "resident_id", PERSON_ID, "x").await),
            "FORBIDDEN"
        );
        filing::blacklist(
            app,
            &ctx(),
            &operator(),
            "resident_id",
            PERSON_ID,
            "虚假材料",
        )
        .await
        .expect("blacklist");
        let found = blocking(&filing::check(app, &alice, &order).await.expect("check"));
        assert!(
            found.contains(&(RejectCode::Blacklisted, "entity.cert_no".into())),
            "{found:?}"
        );

        // The rules table: Tianjin-style minimum age applies from its effective date on.
        let minor = "110105201001010011";
        let rule = filing::RuleInput {
            scope: "province".into(),
            scope_key: "11".into(),
            key: "person.min_age".into(),
            value: "18".into(),
            source: "test".into(),
            effective_from: app.now().plus_days(10),
        };
        filing::add_rule(app, &ctx(), &operator(), &rule)
            .await
            .expect("rule");
        assert_eq!(
            code(filing::add_rule(app, &ctx(), &alice, &rule).await),
            "FORBIDDEN"
        );
        let check_char = yuming_core::rules::resident_id::check_char(&minor[..17]).expect("char");
        let minor = format!("{}{check_char}", &minor[..17]);
        let (dave, dave_order) = ready_order(
            &w,
            "dave@example.com",
            "dave-notes.cn",
            "203.0.113.33",
            "13500135000",
            &minor,
        )
        .await;
        w.clock.advance_days(31);
        let found = blocking(&filing::check(app, &dave, &dave_order).await.expect("check"));
        assert!(
            found.contains(&(RejectCode::CertInvalid, "entity.principal.id_number".into())),
            "{found:?}"
        );
        let rules = filing::list_rules(app, &operator()).await.expect("rules");
        assert!(
            rules
                .iter()
                .any(|r| r.rule_key == "submit.per_account_per_day" && r.value == "3")
        );
    }
);

both_backends!(
    bureau_rejection_reopens_the_order,
    |db: TestDb| async move {
        let w = world(&db).await;
        let app = &w.app;
        // A bureau that rejects everything, deciding after 10 minutes.
        let strict = Arc::new(SandboxFilingAuthority::new(
            SandboxConfig {
                decision_delay_secs: 600,
                rejection_rate: 1.0,
                seed: 3,
                ..SandboxConfig::default()
            },
            app.db().clone(),
            app.cipher().clone(),
        ));
        app.set_filing_authority(strict.clone());
        let (alice, order) = ready_order(
            &w,
            "alice@example.com",
            "alice-notes.cn",
            "203.0.113.30",
            "13800138000",
            PERSON_ID,
        )
        .await;
        w.clock.advance_days(31);
        filing::verify_type(app, &ctx(), &alice, &order)
            .await
            .expect("verify");
        filing::submit(app, &ctx(), &alice, &order)
            .await
            .expect("submit");
        filing::claim(app, &ctx(), &w.reviewer, &order)
            .await
            .expect("claim");
        filing::approve(app, &ctx(), &w.reviewer, &order)
            .await
            .expect("approve");
        let code = strict.last_code_for("13800138000").await.expect("sms");
        filing::verify_sms(app, &ctx(), &alice, &order, &code)
            .await
            .expect("sms");
        w.clock.advance_secs(601);
        let report = filing::sync(app).await.expect("sync");
        assert_eq!((report.changed, report.failed), (1, 0));
        let rejected = filing::get_order(app, &alice, &order).await.expect("order");
        assert_eq!(rejected.status, OrderStatus::BureauRejected);
        let notes = filing::notes(app, &alice, &order).await.expect("notes");
        assert!(
            notes
                .iter()
                .any(|n| n.kind == "rejection" && n.code.as_deref() == Some("CONTENT_INVALID"))
        );
        // The applicant fixes and resubmits: back to the provider's review, with a new ticket.
        filing::submit(app, &ctx(), &alice, &order)
            .await
            .expect("resubmit");
        filing::claim(app, &ctx(), &w.reviewer, &order)
            .await
            .expect("claim");
        let pushed = filing::approve(app, &ctx(), &w.reviewer, &order)
            .await
            .expect("approve");
        assert_eq!(pushed.status, OrderStatus::SmsVerify);
        let history = filing::history(app, &alice, &order).await.expect("history");
        assert!(
            history
                .iter()
                .any(|h| h.to == "BUREAU_REJECTED" && h.actor == "authority")
        );
    }
);

both_backends!(
    status_change_email_reaches_a_real_smtp_server,
    |db: TestDb| async move {
        let w = world(&db).await;
        let app = &w.app;
        let (alice, order) = ready_order(
            &w,
            "alice@example.com",
            "alice-mail.cn",
            "203.0.113.40",
            "13800138000",
            PERSON_ID,
        )
        .await;
        w.clock.advance_days(31);
        filing::verify_type(app, &ctx(), &alice, &order)
            .await
            .expect("verify");
        filing::submit(app, &ctx(), &alice, &order)
            .await
            .expect("submit");
        let sink = yuming_test_support::smtp::SmtpSink::start();
        let mailer = yuming_app::notify::notices::Mailer::new(
            &format!("smtp://127.0.0.1:{}", sink.port),
            "noreply@yuming.test",
        )
        .expect("mailer");
        let (sent, failed) = yuming_app::notify::notices::deliver_email(app, &mailer, 100)
            .await
            .expect("deliver");
        assert_eq!(failed, 0);
        assert!(sent >= 1, "{sent} sent");
        let mail = sink.received();
        assert_eq!(mail.len(), sent);
        let filing_mail: Vec<_> = mail
            .iter()
            .filter(|m| {
                m["subject"]
                    .as_str()
                    .is_some_and(|s| s.contains("备案状态变更"))
            })
            .collect();
        assert!(!filing_mail.is_empty(), "{mail:?}");
        // Named by the site and its domain (the order id only as a reference in the body).
        for m in &filing_mail {
            assert_eq!(m["to"], serde_json::json!(["alice@example.com"]));
            assert_eq!(
                m["subject"],
                "网站“张三的学习笔记”（alice-mail.cn）的备案状态变更"
            );
            assert!(
                m["body"].as_str().is_some_and(|b| b
                    .starts_with("您为网站“张三的学习笔记”（alice-mail.cn）提交的备案申请")
                    && b.contains(order.as_str())),
                "{m}"
            );
        }
        // The submission moved the order into the provider's review: that change was mailed.
        assert!(
            filing_mail.iter().any(|m| m["body"]
                .as_str()
                .is_some_and(|b| b.contains("(PROVIDER_REVIEW)"))),
            "{filing_mail:?}"
        );
        // Delivered once: a second run finds nothing due.
        let again = yuming_app::notify::notices::deliver_email(app, &mailer, 100)
            .await
            .expect("deliver");
        assert_eq!(again, (0, 0));
    }
);

both_backends!(status_changes_text_the_applicant, |db: TestDb| async move {
    let w = world(&db).await;
    let app = &w.app;
    let (alice, order) = ready_order(
        &w,
        "alice@example.com",
        "alice-sms.cn",
        "203.0.113.41",
        "13800138000",
        PERSON_ID,
    )
    .await;
    w.clock.advance_days(31);
    filing::verify_type(app, &ctx(), &alice, &order)
        .await
        .expect("verify");
    filing::submit(app, &ctx(), &alice, &order)
        .await
        .expect("submit");
    // Queued, not yet sent: nothing reads as sent before the gateway ran.
    assert!(
        yuming_app::notify::notices::sms_sent(app, &alice.account_id, 100)
            .await
            .expect("sms")
            .is_empty()
    );
    let gateway = yuming_app::notify::notices::SandboxSmsGateway;
    let (sent, failed) = yuming_app::notify::notices::deliver_sms(app, &gateway, 100)
        .await
        .expect("deliver");
    assert_eq!(failed, 0);
    assert!(sent >= 1, "{sent} sent");
    let texts = yuming_app::notify::notices::sms_sent(app, &alice.account_id, 100)
        .await
        .expect("sms");
    assert_eq!(texts.len(), sent);
    // One SMS per status change, to the principal's mobile, like the in-app notices.
    let inbox = yuming_app::notify::notices::inbox(app, &alice, None, 100)
        .await
        .expect("inbox");
    let filing_inbox = inbox
        .iter()
        .filter(|n| n.kind == "icp_status_changed")
        .count();
    assert_eq!(
        texts
            .iter()
            .filter(|t| t.kind == "icp_status_changed")
            .count(),
        filing_inbox
    );
    assert!(texts.iter().all(|t| t.recipient == "13800138000"));
    assert!(
        texts
            .iter()
            .any(|t| t.body.contains(&order) && t.body.contains("(PROVIDER_REVIEW)")),
        "{:?}",
        texts.iter().map(|t| &t.body).collect::<Vec<_>>()
    );
    // The reviewer's approval pushes it on: the next change is texted too, once.
    filing::claim(app, &ctx(), &w.reviewer, &order)
        .await
        .expect("claim");
    filing::approve(app, &ctx(), &w.reviewer, &order)
        .await
        .expect("approve");
    let (more, _) = yuming_app::notify::notices::deliver_sms(app, &gateway, 100)
        .await
        .expect("deliver");
    assert!(more >= 1);
    let texts = yuming_app::notify::notices::sms_sent(app, &alice.account_id, 100)
        .await
        .expect("sms");
    assert!(texts.iter().any(|t| t.body.contains("(SMS_VERIFY)")));
    assert_eq!(
        yuming_app::notify::notices::deliver_sms(app, &gateway, 100)
            .await
            .expect("deliver"),
        (0, 0)
    );
});

/// Another instance over the same database (same master key and clock), with its own
/// sandbox connector object: what `yuming jobs run-once` or the next start is.
fn second_instance(w: &World) -> App {
    let app = App::new(
        w.app.db().clone(),
        Arc::new(w.clock.clone()),
        w.app.cipher().clone(),
        yuming_test_support::test_settings(),
    );
    app.set_filing_authority(Arc::new(SandboxFilingAuthority::new(
        sandbox_config(),
        app.db().clone(),
        app.cipher().clone(),
    )));
    app
}

both_backends!(
    sandbox_authority_is_shared_by_instances_and_survives_restarts,
    |db: TestDb| async move {
        let story = yuming_test_support::story::Story::new(
            "sandbox authority is shared by instances and survives restarts",
        );
        let w = world(&db).await;
        let (alice, alice_order) = ready_order(
            &w,
            "alice@example.com",
            "alice-notes.cn",
            "203.0.113.30",
            "13800138000",
            PERSON_ID,
        )
        .await;
        let (bob, bob_order) = ready_order(
            &w,
            "bob@example.com",
            "bob-notes.cn",
            "203.0.113.31",
            "13900139000",
            LEGAL_REP_ID,
        )
        .await;
        w.clock.advance_days(31);
        // "serve" opens both tickets at the sandbox authority.
        pushed(&w, &alice, &alice_order).await;
        pushed(&w, &bob, &bob_order).await;

        story.step("A second instance, with a connector object of its own, sees the messages the authority…");
        // A second instance, with a connector object of its own, sees the messages the
        // authority sent and takes the SMS codes: nothing lives in the first one's memory.
        let other = second_instance(&w);
        let sandbox =
            SandboxFilingAuthority::new(sandbox_config(), db.db.clone(), w.app.cipher().clone());
        for (actor, order, mobile) in [
            (&alice, &alice_order, "13800138000"),
            (&bob, &bob_order, "13900139000"),
        ] {
            let texts = sandbox.sms_sent_to(mobile).await.expect("texts");
            assert_eq!(texts.len(), 1, "one code per submission: {texts:?}");
            assert!(texts[0].contains("24小时内有效"));
            let code = sandbox.last_code_for(mobile).await.expect("code");
            let verified = filing::verify_sms(&other, &ctx(), actor, order, &code)
                .await
                .expect("verified through the other instance");
            assert_eq!(verified.status, OrderStatus::BureauReview);
        }
        // Platform admins read the sandbox's messages (there is no phone); customers cannot.
        let read = filing::authority::sandbox_messages(&other, &operator(), " 13800138000 ")
            .await
            .expect("admin reads");
        assert_eq!(read.len(), 1);
        assert!(read[0].body.contains("核验码"));
        assert_eq!(
            code(filing::authority::sandbox_messages(&other, &alice, "13800138000").await),
            "FORBIDDEN"
        );
        // The same order pushed twice (two instances at once) keeps one ticket and one code.
        let twice = yuming_app::filing::Submission {
            order_id: "order-pushed-twice".into(),
            operation: yuming_core::filing::Operation::First,
            province: 11,
            cert_key: "resident_id:110105194912310021".into(),
            domain: Some("twice.cn".into()),
            site_no: None,
            mobiles: vec!["13700137000".into()],
        };
        let other_authority = other.filing_authority();
        let now = w.app.now();
        let (first, second) = tokio::join!(
            sandbox.submit(&twice, now),
            other_authority.submit(&twice, now)
        );
        assert_eq!(first.expect("first").id, second.expect("second").id);
        assert_eq!(
            sandbox
                .sms_sent_to("13700137000")
                .await
                .expect("texts")
                .len(),
            1
        );
        // The code is stored only as a hash.
        let mut tx = db.db.read().await.expect("tx");
        let code = sandbox.last_code_for("13800138000").await.expect("code");
        assert_eq!(
            tx.sandbox_numbers_issued().await.expect("numbers"),
            (0, 0),
            "nothing decided yet"
        );
        tx.commit().await.expect("commit");
        let dump = {
            let mut out = Vec::new();
            db.db.dump_sql(&mut out).await.expect("dump");
            String::from_utf8_lossy(&out).to_string()
        };
        let tickets: Vec<&str> = dump
            .lines()
            .filter(|l| l.contains("sandbox_authority_tickets"))
            .collect();
        assert_eq!(tickets.len(), 3, "{tickets:?}");
        assert!(tickets.iter().all(|l| !l.contains(&format!("'{code}'"))));

        story.step(
            "After a restart (a third instance, a fresh connector) the bureau decides and two…",
        );
        // After a restart (a third instance, a fresh connector) the bureau decides and two
        // instances sync at the same moment: each order moves once, each number is issued once.
        let third = second_instance(&w);
        w.clock.advance_secs(3601);
        let (a, b) = tokio::join!(filing::sync(&other), filing::sync(&third));
        let (a, b) = (a.expect("sync"), b.expect("sync"));
        assert_eq!(a.changed + b.changed, 2, "{a:?} {b:?}");
        assert_eq!((a.failed, b.failed), (0, 0));
        let again = filing::sync(&third).await.expect("sync");
        assert_eq!(again.changed, 0, "nothing left to do");
        assert_eq!(
            sandbox.numbers_on_file().await.expect("numbers"),
            (2, 2),
            "two subjects, two sites"
        );
        let mut numbers = Vec::new();
        for (actor, order) in [(&alice, &alice_order), (&bob, &bob_order)] {
            let view = filing::get_order(&third, actor, order)
                .await
                .expect("order");
            assert_eq!(view.status, OrderStatus::Approved);
            let history = filing::history(&third, actor, order)
                .await
                .expect("history");
            assert_eq!(
                history
                    .iter()
                    .filter(|h| h.to == OrderStatus::Approved.as_str())
                    .count(),
                1,
                "approved once: {history:?}"
            );
            let entities = filing::list_entities(&third, actor)
                .await
                .expect("entities");
            let (entity, sites) = filing::get_entity(&third, actor, &entities[0].id)
                .await
                .expect("entity");
            numbers.push((
                entity.subject_no.expect("subject no"),
                sites[0].site_no.clone(),
            ));
        }
        numbers.sort();
        assert_eq!(
            numbers,
            [
                (
                    "京ICP备2026000123号".to_owned(),
                    Some("京ICP备2026000123号-1".to_owned())
                ),
                (
                    "京ICP备2026000124号".to_owned(),
                    Some("京ICP备2026000124号-1".to_owned())
                ),
            ],
            "distinct serials from the shared counter"
        );
    }
);

use yuming_test_support::pdf_text;

both_backends!(
    approved_site_gets_a_signed_certificate_footer_and_public_record,
    |db: TestDb| async move {
        let story = yuming_test_support::story::Story::new(
            "approved site gets a signed certificate footer and public record",
        );
        use yuming_app::filing::certificates::{self, LookupKey};
        let w = world(&db).await;
        let app = &w.app;
        let (alice, order) = ready_order(
            &w,
            "alice@example.com",
            "alice-notes.cn",
            "203.0.113.30",
            "13800138000",
            PERSON_ID,
        )
        .await;
        let (entity, sites) = approved_first_filing(&w, &alice, &order).await;
        let site_id = sites[0].id.clone();
        assert_eq!(sites[0].site_no.as_deref(), Some("京ICP备2026000123号-1"));

        story.step("The certificate was issued with the approval and verifies");
        // The certificate was issued with the approval and verifies.
        let signed = certificates::certificate(app, &alice, &site_id)
            .await
            .expect("certificate");
        let cert = &signed.certificate;
        assert_eq!(cert.site_no, "京ICP备2026000123号-1");
        assert_eq!(cert.subject_no, entity.subject_no.clone().expect("subject"));
        assert_eq!(cert.domain, "alice-notes.cn");
        assert_eq!(cert.entity_name, "张*", "a person's name is masked");
        assert_eq!(cert.valid_until.0 - cert.issued_at.0, 365 * 86_400);
        let document: serde_json::Value =
            serde_json::from_str(&cert.canonical_json()).expect("json");
        let verified = certificates::verify(app, &document, &signed.signature)
            .await
            .expect("verify");
        assert_eq!((verified.valid, verified.reason), (true, "VALID"));
        // One changed byte, in a field or in the signature, and it fails.
        let mut altered = document.clone();
        altered["domain"] = serde_json::json!("alice-notes.cm");
        assert_eq!(
            certificates::verify(app, &altered, &signed.signature)
                .await
                .expect("verify")
                .reason,
            "BAD_SIGNATURE"
        );
        let mut signature = signed.signature.clone().into_bytes();
        signature[3] = if signature[3] == b'A' { b'B' } else { b'A' };
        let signature = String::from_utf8(signature).expect("ascii");
        assert_eq!(
            certificates::verify(app, &document, &signature)
                .await
                .expect("verify")
                .reason,
            "BAD_SIGNATURE"
        );
        let mut unknown = document.clone();
        unknown["key_id"] = serde_json::json!("fsk-nope");
        assert_eq!(
            certificates::verify(app, &unknown, &signed.signature)
                .await
                .expect("verify")
                .reason,
            "UNKNOWN_KEY"
        );
        assert_eq!(
            certificates::verify(app, &serde_json::json!({"id": 1}), &signed.signature)
                .await
                .expect("verify")
                .reason,
            "MALFORMED"
        );
        let keys = certificates::public_keys(app).await.expect("keys");
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].key_id, cert.key_id);

        story.step("The PDF");
        // The PDF: signed bytes, one flipped byte fails, a PDF reader finds the number.
        let (pdf, pdf_signature) = certificates::certificate_pdf(app, &alice, &site_id)
            .await
            .expect("pdf");
        assert!(pdf.starts_with(b"%PDF-1.4"));
        assert!(
            certificates::verify_pdf(app, &pdf, &pdf_signature)
                .await
                .expect("verify")
                .valid
        );
        let mut flipped = pdf.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x01;
        assert_eq!(
            certificates::verify_pdf(app, &flipped, &pdf_signature)
                .await
                .expect("verify")
                .reason,
            "BAD_SIGNATURE"
        );
        let text = pdf_text(&pdf);
        assert!(text.contains("京ICP备2026000123号-1"), "{text}");
        assert!(text.contains("alice-notes.cn"), "{text}");
        // Another tenant sees none of it.
        let bob = customer(app, "bob@example.com").await;
        assert_eq!(
            code(certificates::certificate(app, &bob, &site_id).await),
            "NOT_FOUND"
        );
        assert_eq!(
            code(certificates::footer(app, &bob, &site_id).await),
            "NOT_FOUND"
        );

        story.step("The footer shows the site number");
        // The footer shows the site number; a province rule (as Guangdong has) switches it
        // to the subject number.
        let footer = certificates::footer(app, &alice, &site_id)
            .await
            .expect("footer");
        assert_eq!(footer.number, "京ICP备2026000123号-1");
        assert!(footer.html.contains("https://beian.miit.gov.cn/"));
        filing::add_rule(
            app,
            &ctx(),
            &operator(),
            &filing::RuleInput {
                scope: "province".into(),
                scope_key: "11".into(),
                key: "footer.subject_number".into(),
                value: "1".into(),
                source: "test".into(),
                effective_from: app.now(),
            },
        )
        .await
        .expect("rule");
        assert_eq!(
            certificates::footer(app, &alice, &site_id)
                .await
                .expect("footer")
                .number,
            "京ICP备2026000123号"
        );

        story.step("The public record");
        // The public record: by domain and by number, public fields only.
        for key in [
            LookupKey::Domain("ALICE-NOTES.cn".into()),
            LookupKey::Number("京ICP备2026000123号-1".into()),
            LookupKey::Number("京ICP备2026000123号".into()),
        ] {
            let found = certificates::public_lookup(app, &ctx_ip("198.51.100.9"), &key)
                .await
                .expect("lookup");
            assert_eq!(found.len(), 1, "{key:?}");
            let shown = format!("{found:?}");
            // (The site name, which the applicant chose and MIIT publishes, may name them.)
            for secret in [
                "13800138000",
                "p.alice",
                "11010519491231002X",
                "19491231",
                "203.0.113",
            ] {
                assert!(!shown.contains(secret), "{secret} leaked: {shown}");
            }
            assert_eq!(found[0].entity_name, "张*");
            assert_eq!(found[0].certificate_id.as_deref(), Some(cert.id.as_str()));
        }
        let malformed = certificates::public_lookup(
            app,
            &ctx_ip("198.51.100.9"),
            &LookupKey::Number("京ICP备12号".into()),
        )
        .await
        .expect_err("malformed");
        assert_eq!(
            (malformed.code, malformed.field.as_deref()),
            ("INVALID_ICP_NUMBER", Some("number"))
        );
        assert!(
            certificates::public_lookup(
                app,
                &ctx_ip("198.51.100.9"),
                &LookupKey::Domain("nobody.cn".into())
            )
            .await
            .expect("none")
            .is_empty()
        );

        story.step("Renewal");
        // Renewal: reminded once within 30 days of the end; a renewal supersedes the old one.
        w.clock.set(yuming_core::clock::Timestamp(
            cert.valid_until.0 - 31 * 86_400,
        ));
        assert_eq!(certificates::remind_renewals(app).await.expect("remind"), 0);
        w.clock.advance_days(2);
        assert!(certificates::remind_renewals(app).await.expect("remind") >= 1);
        assert_eq!(certificates::remind_renewals(app).await.expect("again"), 0);
        let reminders: Vec<_> = yuming_app::notify::notices::inbox(app, &alice, None, 100)
            .await
            .expect("inbox")
            .into_iter()
            .filter(|n| n.kind == "filing_certificate_renewal")
            .collect();
        assert_eq!(reminders.len(), 1);
        assert!(
            reminders[0]
                .body
                .contains("网站“张三的学习笔记”（alice-notes.cn，"),
            "{:?}",
            reminders[0]
        );
        let renewed = certificates::renew_certificate(app, &ctx(), &alice, &site_id)
            .await
            .expect("renew");
        assert_ne!(renewed.certificate.id, cert.id);
        assert_eq!(
            certificates::verify(app, &document, &signed.signature)
                .await
                .expect("verify")
                .reason,
            "SUPERSEDED"
        );
        let renewed_doc: serde_json::Value =
            serde_json::from_str(&renewed.certificate.canonical_json()).expect("json");
        // A new signing key: what the old one signed still verifies; new certificates use the
        // new key; both are published.
        assert_eq!(
            code(certificates::rotate_signing_key(app, &ctx(), &alice).await),
            "FORBIDDEN"
        );
        let rotated = certificates::rotate_signing_key(app, &ctx(), &operator())
            .await
            .expect("rotate");
        assert_ne!(rotated.key_id, renewed.certificate.key_id);
        assert!(
            certificates::verify(app, &renewed_doc, &renewed.signature)
                .await
                .expect("verify")
                .valid
        );
        let keys = certificates::public_keys(app).await.expect("keys");
        assert_eq!(keys.len(), 2);
        assert_eq!(keys.iter().filter(|k| k.retired_at.is_some()).count(), 1);
        assert!(
            certificates::verify(app, &renewed_doc, &renewed.signature)
                .await
                .expect("verify")
                .valid
        );
        w.clock.set(yuming_core::clock::Timestamp(
            renewed.certificate.valid_until.0 + 1,
        ));
        assert_eq!(
            certificates::verify(app, &renewed_doc, &renewed.signature)
                .await
                .expect("verify")
                .reason,
            "EXPIRED"
        );
    }
);

/// A homepage for the monitor: what it serves is switched by the test.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Page {
    WithoutNumber,
    WithNumber,
    /// 50 MB of filler, streamed.
    Huge,
    /// Never answers within the monitor's timeout.
    Hangs,
}

async fn homepage_server(page: Arc<std::sync::Mutex<Page>>) -> u16 {
    use axum::body::Body;
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let page = *page.lock().expect("lock");
            async move {
                match page {
                    Page::WithoutNumber => Body::from("<html><body><footer>© 张三</footer></body></html>"),
                    Page::WithNumber => Body::from(
                        "<html><body><footer><a href=\"https://beian.miit.gov.cn/\">京ICP备2026000123号-1</a></footer></body></html>",
                    ),
                    Page::Huge => {
                        let chunk = bytes_of(1 << 20);
                        Body::from_stream(futures_util::stream::iter(
                            (0..50).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
                        ))
                    }
                    Page::Hangs => {
                        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                        Body::from("late")
                    }
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    port
}

fn bytes_of(n: usize) -> axum::body::Bytes {
    axum::body::Bytes::from(vec![b'x'; n])
}

both_backends!(
    consistency_monitor_raises_and_clears_alerts,
    |db: TestDb| async move {
        let story =
            yuming_test_support::story::Story::new("consistency monitor raises and clears alerts");
        use yuming_app::filing::monitor;
        let w = world_with(
            &db,
            yuming_app::AppSettings {
                private_targets: true,
                footer_timeout_secs: 1,
                ..yuming_test_support::test_settings()
            },
        )
        .await;
        let app = &w.app;
        // The test's server is on loopback, so loopback is a (test) mainland pool.
        filing::add_ip_pool(app, &ctx(), &operator(), "127.0.0.0/8", "北京", true)
            .await
            .expect("pool");
        let page = Arc::new(std::sync::Mutex::new(Page::WithoutNumber));
        let port = homepage_server(Arc::clone(&page)).await;
        let (alice, order) = ready_order_with(
            &w,
            "alice@example.com",
            "alice-notes.cn",
            "127.0.0.1",
            "13800138000",
            PERSON_ID,
            Some(format!("http://www.alice-notes.cn:{port}/")),
        )
        .await;
        let (_, sites) = approved_first_filing(&w, &alice, &order).await;
        let site_id = sites[0].id.clone();

        story.step("Live on the platform's DNS");
        // Live on the platform's DNS: apex and www at the filed address.
        domains::update(
            app,
            &ctx(),
            &alice,
            "alice-notes.cn",
            DomainUpdate {
                nameservers: Some(vec!["ns1.example.net".into(), "ns2.example.net".into()]),
                locked: None,
                auto_renew: None,
            },
        )
        .await
        .expect("delegate to the platform");
        let record = |name: &str, value: &str| yuming_app::dns::RecordChange {
            rtype: "A".into(),
            name: name.into(),
            value: value.into(),
            ttl: None,
            priority: None,
        };
        for name in ["@", "www"] {
            yuming_app::dns::create_record(
                app,
                &ctx(),
                &alice,
                "alice-notes.cn",
                record(name, "127.0.0.1"),
            )
            .await
            .expect("record");
        }
        let interval = app.settings().monitor_interval_secs;
        let open_kinds = |app: App, alice: Actor| async move {
            let mut kinds: Vec<String> = monitor::alerts(&app, &alice, true)
                .await
                .expect("alerts")
                .into_iter()
                .map(|a| a.kind)
                .collect();
            kinds.sort();
            kinds
        };

        story.step("Cycle 1");
        // Cycle 1: the footer lacks the number; two instances at once check the site once.
        let (a, b) = tokio::join!(monitor::run(app, 10), monitor::run(app, 10));
        let (a, b) = (a.expect("run"), b.expect("run"));
        assert_eq!(a.checked + b.checked, 1, "{a:?} {b:?}");
        assert_eq!(
            open_kinds(app.clone(), alice.clone()).await,
            ["FOOTER_MISSING"]
        );
        let checks = monitor::checks(app, &alice, &site_id)
            .await
            .expect("checks");
        assert_eq!(checks.len(), 4, "domain, dns, server, footer: {checks:?}");
        assert!(checks.iter().any(|c| c.check == "dns" && c.outcome == "ok"));
        // Not due again before the interval.
        assert_eq!(monitor::run(app, 10).await.expect("run").checked, 0);

        story.step("The domain now also points at an address not filed");
        // The domain now also points at an address not filed: one more alert, with the
        // 48-hour deadline to file the change; the footer alert is not repeated.
        let stray = yuming_app::dns::create_record(
            app,
            &ctx(),
            &alice,
            "alice-notes.cn",
            record("www", "198.51.100.7"),
        )
        .await
        .expect("record");
        w.clock.advance_secs(interval);
        let report = monitor::run(app, 10).await.expect("run");
        assert_eq!((report.checked, report.opened), (1, 1));
        assert_eq!(
            open_kinds(app.clone(), alice.clone()).await,
            ["FOOTER_MISSING", "UNFILED_ADDRESS"]
        );
        let alerts = monitor::alerts(app, &alice, true).await.expect("alerts");
        let unfiled = alerts
            .iter()
            .find(|a| a.kind == "UNFILED_ADDRESS")
            .expect("alert");
        assert!(
            unfiled.reason_en.contains("198.51.100.7"),
            "{}",
            unfiled.reason_en
        );
        assert_eq!(
            unfiled.deadline_at.map(|d| d.0 - unfiled.opened_at.0),
            Some(48 * 3600)
        );
        assert_eq!(unfiled.fix, "CHANGE_SITE");
        let notices = yuming_app::notify::notices::inbox(app, &alice, None, 100)
            .await
            .expect("inbox");
        assert_eq!(
            notices.iter().filter(|n| n.kind == "filing_alert").count(),
            2,
            "one notice per alert, not per cycle"
        );
        assert!(notices.iter().any(|n| n.kind == "psb_filing_reminder"));
        // The site's principal gets the alerts by SMS as well.
        yuming_app::notify::notices::deliver_sms(
            app,
            &yuming_app::notify::notices::SandboxSmsGateway,
            100,
        )
        .await
        .expect("sms");
        let texts = yuming_app::notify::notices::sms_sent(app, &alice.tenant_id, 100)
            .await
            .expect("texts");
        assert_eq!(
            texts
                .iter()
                .filter(|t| t.kind == "filing_alert" && t.recipient == "13800138000")
                .count(),
            2
        );

        story.step("The 48 hours pass with the change unfiled");
        // The 48 hours pass with the change unfiled: one final notice, not one per cycle.
        let filing_notices = |app: App, alice: Actor| async move {
            yuming_app::notify::notices::inbox(&app, &alice, None, 100)
                .await
                .expect("inbox")
                .into_iter()
                .filter(|n| n.kind == "filing_alert")
                .count()
        };
        w.clock.advance_secs(48 * 3600);
        monitor::run(app, 10).await.expect("run");
        assert_eq!(filing_notices(app.clone(), alice.clone()).await, 3);
        w.clock.advance_secs(interval);
        monitor::run(app, 10).await.expect("run");
        assert_eq!(filing_notices(app.clone(), alice.clone()).await, 3);

        story.step("Fixed");
        // Fixed: the stray record goes, the footer shows the number; both clear.
        yuming_app::dns::delete_record(app, &ctx(), &alice, "alice-notes.cn", &stray.id)
            .await
            .expect("delete");
        *page.lock().expect("lock") = Page::WithNumber;
        w.clock.advance_secs(interval);
        let report = monitor::run(app, 10).await.expect("run");
        assert_eq!(report.resolved, 2);
        assert!(open_kinds(app.clone(), alice.clone()).await.is_empty());
        let history = monitor::alerts(app, &alice, false).await.expect("all");
        assert!(history.iter().all(|a| a.resolved_at.is_some()));

        story.step("A 50 MB page and a page that never answers");
        // A 50 MB page and a page that never answers: "unknown", no alert, nothing crashes.
        for served in [Page::Huge, Page::Hangs] {
            *page.lock().expect("lock") = served;
            w.clock.advance_secs(interval);
            let report = monitor::run(app, 10).await.expect("run");
            assert_eq!((report.checked, report.opened), (1, 0));
            let checks = monitor::checks(app, &alice, &site_id)
                .await
                .expect("checks");
            let footer = checks.iter().find(|c| c.check == "footer").expect("footer");
            assert_eq!(footer.outcome, "unknown", "{footer:?}");
        }
        *page.lock().expect("lock") = Page::WithNumber;

        story.step("30 days ahead of the server's end");
        // 30 days ahead of the server's end: a filing-risk alert offering to cancel the access.
        let servers = filing::list_servers(app, &alice).await.expect("servers");
        let server_end = servers
            .iter()
            .find(|s| s.ip == "127.0.0.1")
            .expect("server")
            .expires_at;
        w.clock
            .set(yuming_core::clock::Timestamp(server_end.0 - 29 * 86_400));
        monitor::run(app, 10).await.expect("run");
        assert_eq!(
            open_kinds(app.clone(), alice.clone()).await,
            ["SERVER_EXPIRING"]
        );
        let board = yuming_app::filing::dashboard::dashboard(app, &alice)
            .await
            .expect("dashboard");
        assert!(
            board
                .expiring
                .iter()
                .any(|e| e.kind == "server" && e.subject == "127.0.0.1"),
            "{:?}",
            board.expiring
        );
        let alerts = monitor::alerts(app, &alice, true).await.expect("alerts");
        assert_eq!(
            (alerts[0].severity.as_str(), alerts[0].fix.as_str()),
            ("risk", "CANCEL_ACCESS")
        );
        // 30 days ahead of the domain's expiry (the server has ended by then): the domain risk
        // opens, the server risk turns into drift.
        let domain = domains::get(app, &alice, "alice-notes.cn")
            .await
            .expect("domain");
        w.clock.set(yuming_core::clock::Timestamp(
            domain.expires_at.0 - 29 * 86_400,
        ));
        monitor::run(app, 10).await.expect("run");
        assert_eq!(
            open_kinds(app.clone(), alice.clone()).await,
            ["DOMAIN_EXPIRING", "SERVER_EXPIRED"]
        );
        // A site whose filing is cancelled has nothing left to keep consistent.
        db.db
            .execute_raw(&format!(
                "UPDATE filing_sites SET status = 'cancelled' WHERE id = '{site_id}'"
            ))
            .await
            .expect("cancel the site");
        assert_eq!(monitor::run(app, 10).await.expect("run").resolved, 2);
        assert!(open_kinds(app.clone(), alice.clone()).await.is_empty());

        story.step("Another tenant sees none of it");
        // Another tenant sees none of it.
        let bob = customer(app, "bob@example.com").await;
        assert!(
            monitor::alerts(app, &bob, false)
                .await
                .expect("bob")
                .is_empty()
        );
        assert_eq!(
            code(monitor::checks(app, &bob, &site_id).await),
            "NOT_FOUND"
        );
    }
);

both_backends!(
    dashboard_matches_the_orders_in_the_database,
    |db: TestDb| async move {
        use std::collections::BTreeMap;
        use yuming_app::filing::dashboard;
        let w = world(&db).await;
        let app = &w.app;
        let alice = customer(app, "alice@example.com").await;
        let bob = customer(app, "bob@example.com").await;
        let base = app.now().0 - 400 * 86_400;
        let provinces = [11_i64, 44, 51];
        // Expected figures, computed here from what is generated.
        let mut counts: BTreeMap<String, i64> = BTreeMap::new();
        let mut durations: BTreeMap<(String, i64), Vec<i64>> = BTreeMap::new();
        let mut open_submitted: Vec<(String, String, i64, i64)> = Vec::new();
        let mut open_total = 0;
        let mut tx = db.db.write().await.expect("tx");
        for i in 0..300_i64 {
            let owner = if i % 5 == 4 { &bob } else { &alice };
            let province = provinces[(i % 3) as usize];
            let operation = if i % 2 == 0 { "FIRST" } else { "ADD_SITE" };
            let entity_id = format!("fen_gen{i}");
            tx.insert_filing_entity(&yuming_store::FilingEntityRow {
                id: entity_id.clone(),
                owner_id: owner.tenant_id.clone(),
                entity_type: "PERSON".into(),
                province,
                name: format!("测试{i}"),
                cert_type: "resident_id".into(),
                cert_digest: format!("digest{i}"),
                cert_masked: "1101**********002X".into(),
                principal_mobile_index: format!("mobile{i}"),
                principal_email_index: format!("email{i}"),
                data_sealed: vec![0],
                subject_no: None,
                status: "draft".into(),
                created_at: base + i,
                updated_at: base + i,
            })
            .await
            .expect("entity");
            let mut order = yuming_store::FilingOrderRow {
                id: format!("for_gen{i:03}"),
                owner_id: owner.tenant_id.clone(),
                entity_id,
                site_id: None,
                operation: operation.into(),
                status: "DRAFT".into(),
                lock_key: None,
                payload_sealed: vec![0],
                rejected_fields: "[]".into(),
                claimed_by: None,
                authority_ticket: None,
                submitted_at: None,
                created_at: base + i,
                updated_at: base + i,
            };
            tx.insert_filing_order(&order, "test").await.expect("order");
            let status = if i % 10 == 5 {
                "DRAFT"
            } else {
                let submitted = base + 1_000 + i * 600;
                order.status = "PROVIDER_REVIEW".into();
                order.submitted_at = Some(submitted);
                order.updated_at = submitted;
                assert!(
                    tx.update_filing_order(&order, "DRAFT", "test", None)
                        .await
                        .expect("submit")
                );
                if i % 4 == 0 {
                    if owner.tenant_id == alice.tenant_id {
                        open_submitted.push((
                            order.id.clone(),
                            operation.into(),
                            province,
                            submitted,
                        ));
                    }
                    "PROVIDER_REVIEW"
                } else {
                    let duration = ((i * 7_919) % 20 + 1) * 86_400 + i;
                    order.status = "APPROVED".into();
                    order.updated_at = submitted + duration;
                    assert!(
                        tx.update_filing_order(&order, "PROVIDER_REVIEW", "test", None)
                            .await
                            .expect("approve")
                    );
                    durations
                        .entry((operation.to_owned(), province))
                        .or_default()
                        .push(duration);
                    "APPROVED"
                }
            };
            if owner.tenant_id == alice.tenant_id {
                *counts.entry(status.to_owned()).or_default() += 1;
                if status != "APPROVED" {
                    open_total += 1;
                }
            }
        }
        tx.commit().await.expect("commit");

        let board = dashboard::dashboard(app, &alice).await.expect("dashboard");
        assert_eq!(board.counts, counts.clone().into_iter().collect::<Vec<_>>());
        assert_eq!(board.total, counts.values().sum::<i64>());
        assert_eq!(board.open_orders.len(), open_total);
        let lower_median = |values: &[i64]| {
            let mut v = values.to_vec();
            v.sort_unstable();
            v[(v.len() - 1) / 2]
        };
        for (id, operation, province, submitted) in &open_submitted {
            let open = board
                .open_orders
                .iter()
                .find(|o| &o.id == id)
                .expect("open order listed");
            let expected = lower_median(&durations[&(operation.clone(), *province)]);
            assert_eq!(open.median_secs, Some(expected), "{id}");
            assert_eq!(
                open.estimated_approval,
                Some(yuming_core::clock::Timestamp(submitted + expected)),
                "{id}"
            );
        }
        assert!(
            board
                .open_orders
                .iter()
                .filter(|o| o.status == "DRAFT")
                .all(|o| o.estimated_approval.is_none())
        );
        assert_eq!(board.recent_changes.len(), 20);
        assert!(
            board
                .recent_changes
                .windows(2)
                .all(|pair| pair[0].at.0 >= pair[1].at.0)
        );
        // Bob's board counts only Bob's orders; staff see the platform.
        let bob_board = dashboard::dashboard(app, &bob).await.expect("bob");
        assert_eq!(bob_board.total, 60);
        let staff = dashboard::dashboard(app, &w.reviewer).await.expect("staff");
        assert_eq!(staff.total, 300);
    }
);

both_backends!(
    batch_filing_of_fifty_sites_for_one_entity,
    |db: TestDb| async move {
        use yuming_app::filing::batch::{self, BatchSite};
        let w = world(&db).await;
        let app = &w.app;
        let alice = customer(app, "alice@example.com").await;
        let bob = customer(app, "bob@example.com").await;
        let entity = filing::create_entity(app, &ctx(), &alice, &personal_entity())
            .await
            .expect("entity");
        let mut other_input = personal_entity();
        other_input.cert_no = LEGAL_REP_ID.into();
        other_input.principal = person("张三", LEGAL_REP_ID, "13900139000", "other@example.com");
        let other = filing::create_entity(app, &ctx(), &alice, &other_input)
            .await
            .expect("entity");
        let item = |entity_id: &str, n: usize| BatchSite {
            entity_id: entity_id.to_owned(),
            site: site(
                "张三的学习笔记",
                &format!("notes{n}.cn"),
                person("张三", PERSON_ID, "13800138000", "zhangsan@example.com"),
                "203.0.113.30",
            ),
        };
        let orders_of = |app: App, actor: Actor| async move {
            filing::list_orders(&app, &actor)
                .await
                .expect("orders")
                .len()
        };

        // 51 sites, or sites of two entities: refused whole, nothing created.
        let too_many: Vec<BatchSite> = (0..51).map(|n| item(&entity.id, n)).collect();
        let error = batch::file_sites(app, &ctx(), &alice, &too_many)
            .await
            .expect_err("51");
        assert_eq!(
            (error.code, error.field.as_deref()),
            ("TOO_MANY_DOMAINS", Some("items"))
        );
        let mut mixed: Vec<BatchSite> = (0..3).map(|n| item(&entity.id, n)).collect();
        mixed.push(item(&other.id, 3));
        let error = batch::file_sites(app, &ctx(), &alice, &mixed)
            .await
            .expect_err("mixed");
        assert_eq!(
            (error.code, error.field.as_deref()),
            ("MIXED_ENTITIES", Some("items[3].entity_id"))
        );
        assert_eq!(orders_of(app.clone(), alice.clone()).await, 0);
        // Another tenant's entity: not found.
        let error = batch::file_sites(app, &ctx(), &bob, &[item(&entity.id, 0)])
            .await
            .expect_err("bob");
        assert_eq!(error.code, "NOT_FOUND");

        // 50 sites: 50 results; a duplicate and a bad domain fail alone.
        let mut fifty: Vec<BatchSite> = (0..50).map(|n| item(&entity.id, n)).collect();
        fifty[10].site.domain = "notes3.cn".into();
        fifty[20].site.domain = "not a domain".into();
        let filed = batch::file_sites(app, &ctx(), &alice, &fifty)
            .await
            .expect("batch");
        assert_eq!(filed.operation, "FIRST");
        assert_eq!(filed.results.len(), 50);
        let failed: Vec<(&str, &str)> = filed
            .results
            .iter()
            .filter_map(|r| r.code.as_deref().map(|c| (r.domain.as_str(), c)))
            .collect();
        assert_eq!(failed.len(), 2, "{failed:?}");
        assert_eq!(failed[0], ("notes3.cn", "DUPLICATE_DOMAIN"));
        assert_eq!(failed[1].0, "not a domain");
        assert_eq!(orders_of(app.clone(), alice.clone()).await, 48);
        assert!(
            filed
                .results
                .iter()
                .filter(|r| r.code.is_none())
                .all(|r| r.order_id.is_some() && r.site_id.is_some())
        );
        // The batch holds the entity: a single order and a second batch are refused.
        let error = filing::create_order(
            app,
            &ctx(),
            &alice,
            &NewOrderInput {
                operation: "FIRST".into(),
                entity_id: entity.id.clone(),
                site_id: filed.results[0].site_id.clone(),
            },
        )
        .await
        .expect_err("locked");
        assert_eq!(error.code, "ORDER_CONFLICT");
        assert_eq!(
            code(batch::file_sites(app, &ctx(), &alice, &[item(&entity.id, 99)]).await),
            "ORDER_CONFLICT"
        );
    }
);

both_backends!(
    self_check_keeps_matching_after_a_master_key_rotation,
    |db: TestDb| async move {
        let old_key = yuming_app::platform::crypto::Cipher::generate_key_base64();
        let w = world_with_keys(&db, yuming_test_support::test_settings(), &old_key).await;
        let (alice, order) = ready_order(
            &w,
            "alice@example.com",
            "alice-notes.cn",
            "203.0.113.30",
            "13800138000",
            PERSON_ID,
        )
        .await;
        w.clock.advance_days(31);
        filing::blacklist(
            &w.app,
            &ctx(),
            &operator(),
            "resident_id",
            PERSON_ID,
            "伪造材料",
        )
        .await
        .expect("blacklist");
        let before = blocking(&filing::check(&w.app, &alice, &order).await.expect("check"));
        assert!(
            before
                .iter()
                .any(|(code, _)| *code == RejectCode::Blacklisted),
            "{before:?}"
        );

        // Another instance after the rotation: a new master key, the old one kept as previous.
        let (rotated, clock) = yuming_test_support::test_app_with_keys(
            &db.db,
            yuming_test_support::test_settings(),
            &yuming_app::platform::crypto::Cipher::generate_key_base64(),
            &[old_key],
        );
        clock.set(w.app.now());
        let after = blocking(
            &filing::check(&rotated, &alice, &order)
                .await
                .expect("check"),
        );
        assert_eq!(
            after, before,
            "the blacklist, the holder match and the duplicate checks still see the rows \
             indexed under the old key"
        );
    }
);

both_backends!(
    two_reviewers_claiming_at_once_cannot_both_hold_the_order,
    |db: TestDb| async move {
        let w = world(&db).await;
        let (alice, order) = ready_order(
            &w,
            "race-claim@example.com",
            "race-claim.cn",
            "203.0.113.46",
            "13800138000",
            yuming_test_support::filing::PERSON_ID,
        )
        .await;
        w.clock.advance_days(31);
        filing::verify_type(&w.app, &ctx(), &alice, &order)
            .await
            .expect("type check");
        filing::submit(&w.app, &ctx(), &alice, &order)
            .await
            .expect("submit");
        let other = yuming_test_support::filing::reviewer(&w.app, "racer@example.com").await;
        let request = ctx();
        let (a, b) = tokio::join!(
            filing::claim(&w.app, &request, &w.reviewer, &order),
            filing::claim(&w.app, &request, &other, &order),
        );
        assert!(
            a.is_ok() != b.is_ok(),
            "exactly one claim wins: {a:?} / {b:?}"
        );
        let loser = if a.is_ok() { b } else { a };
        assert_eq!(code(loser), "CLAIMED_BY_OTHER");
        let holder = if a_won(&w, &order).await {
            &w.reviewer
        } else {
            &other
        };
        filing::release(&w.app, &ctx(), holder, &order)
            .await
            .expect("release");
        // Free again: anyone may claim it.
        filing::claim(&w.app, &ctx(), &other, &order)
            .await
            .expect("claim after release");
    }
);

/// Whether the world's reviewer holds the order's claim.
async fn a_won(w: &yuming_test_support::filing::World, order: &str) -> bool {
    filing::review_view(&w.app, &ctx(), &w.reviewer, order)
        .await
        .expect("view")
        .order
        .claimed_by
        .as_deref()
        == Some(w.reviewer.account_id.as_str())
}
