//! An ICP filing world for tests: an application with the sandbox filing authority (whose SMS
//! codes a test can read), mainland and overseas address pools and a reviewer, and the steps
//! that take an order from draft to the authority. Shared by the use-case stories of
//! `yuming-app` and the console's page tests.

use std::sync::Arc;

use yuming_app::App;
use yuming_app::accounts;
use yuming_app::filing::{
    self, EntityInput, NewOrderInput, PersonInput, SandboxConfig, SandboxFilingAuthority,
    ServerInput, SiteInput,
};
use yuming_app::registrar::contacts::{self, AddressFields, NewContactInput};
use yuming_app::registrar::domains::{self, DomainUpdate, RegisterInput};
use yuming_core::access::{Actor, Role};
use yuming_core::filing::OrderStatus;

use crate::TestDb;
use crate::fixtures::{account_input, ctx, login, operator};

/// The resident ID number of the person every filing world files for (a valid check digit).
pub const PERSON_ID: &str = "11010519491231002X";

/// A customer with a balance of 100 000 CNY.
pub async fn customer(app: &App, email: &str) -> Actor {
    crate::fixtures::funded_customer(app, email, 10_000_000).await
}

pub async fn reviewer(app: &App, email: &str) -> Actor {
    accounts::create_user(
        app,
        &ctx(),
        &Actor::system(),
        account_input(email),
        Role::Reviewer,
    )
    .await
    .expect("reviewer");
    login(app, email).await
}

/// A verified registrant contact; returns its id.
pub async fn verified_contact(
    app: &App,
    actor: &Actor,
    kind: &str,
    name: &str,
    id_type: &str,
    number: &str,
) -> String {
    let contact = contacts::create(
        app,
        &ctx(),
        actor,
        &NewContactInput {
            kind: kind.into(),
            name: name.into(),
            id_type: id_type.into(),
            id_number: number.into(),
            email: "holder@example.com".into(),
            phone: "+86.13800138000".into(),
            address: AddressFields {
                country: "CN".into(),
                province: "北京市".into(),
                city: "北京市".into(),
                street: "长安街 1 号".into(),
                postal_code: None,
            },
        },
    )
    .await
    .expect("contact");
    contacts::decide(app, &ctx(), &operator(), &contact.id, "approve", None)
        .await
        .expect("verify contact");
    contact.id
}

/// Registers `name` for 2 years (resolving: default nameservers).
pub async fn register(app: &App, actor: &Actor, name: &str, contact: &str) {
    domains::register(
        app,
        &ctx(),
        actor,
        RegisterInput {
            name: name.into(),
            years: 2,
            registrant_contact_id: contact.into(),
            nameservers: None,
            auto_renew: false,
            coupon: None,
        },
    )
    .await
    .expect("register");
}

pub async fn stop_resolving(app: &App, actor: &Actor, name: &str) {
    domains::update(
        app,
        &ctx(),
        actor,
        name,
        DomainUpdate {
            nameservers: Some(vec![]),
            locked: None,
            auto_renew: None,
        },
    )
    .await
    .expect("clear nameservers");
}

pub fn person(name: &str, id: &str, mobile: &str, email: &str) -> PersonInput {
    PersonInput {
        name: name.into(),
        id_type: "resident_id".into(),
        id_number: id.into(),
        id_valid_until: None,
        mobile: mobile.into(),
        email: email.into(),
    }
}

pub fn personal_entity() -> EntityInput {
    EntityInput {
        entity_type: "PERSON".into(),
        name: "张三".into(),
        province: "北京".into(),
        cert_type: "resident_id".into(),
        cert_no: PERSON_ID.into(),
        cert_valid_until: None,
        address: "北京市东城区长安街 1 号".into(),
        principal: person("张三", PERSON_ID, "13800138000", "zhangsan@example.com"),
        principal_is_legal_rep: true,
    }
}

pub fn site(name: &str, domain: &str, principal: PersonInput, ip: &str) -> SiteInput {
    SiteInput {
        name: name.into(),
        domain: domain.into(),
        homepage: format!("https://www.{domain}/"),
        content_types: vec![100],
        preapprovals: vec![],
        purpose: "记录生活与学习".into(),
        languages: vec!["zh-CN".into()],
        principal,
        servers: vec![ip.into()],
        remarks: None,
    }
}

/// The sandbox authority every test world starts with.
pub fn sandbox_config() -> SandboxConfig {
    SandboxConfig {
        decision_delay_secs: 3600,
        first_serial: 123,
        seed: 7,
        ..SandboxConfig::default()
    }
}

pub struct World {
    pub app: App,
    pub clock: yuming_app::platform::clock::FakeClock,
    pub authority: Arc<SandboxFilingAuthority>,
    pub reviewer: Actor,
}

pub async fn world(db: &TestDb) -> World {
    world_with(db, crate::test_settings()).await
}

pub async fn world_with(db: &TestDb, settings: yuming_app::AppSettings) -> World {
    world_with_keys(
        db,
        settings,
        &yuming_app::platform::crypto::Cipher::generate_key_base64(),
    )
    .await
}

pub async fn world_with_keys(
    db: &TestDb,
    settings: yuming_app::AppSettings,
    master_key: &str,
) -> World {
    let (app, clock) = crate::test_app_with_keys(&db.db, settings, master_key, &[]);
    let authority = Arc::new(SandboxFilingAuthority::new(
        sandbox_config(),
        app.db().clone(),
        app.cipher().clone(),
    ));
    app.set_filing_authority(authority.clone());
    filing::add_ip_pool(&app, &ctx(), &operator(), "203.0.113.0/24", "北京", true)
        .await
        .expect("pool");
    filing::add_ip_pool(&app, &ctx(), &operator(), "192.0.2.0/24", "香港", false)
        .await
        .expect("pool");
    let reviewer = reviewer(&app, "reviewer@example.com").await;
    World {
        app,
        clock,
        authority,
        reviewer,
    }
}

pub async fn add_server(w: &World, actor: &Actor, ip: &str) {
    filing::add_servers(
        &w.app,
        &ctx(),
        actor,
        &[ServerInput {
            ip: ip.into(),
            region: "北京".into(),
            expires_at: w.app.now().plus_days(400),
        }],
    )
    .await
    .expect("server");
}

/// A customer with a clean personal order in FILLING; returns (actor, order id).
pub async fn ready_order(
    w: &World,
    email: &str,
    domain: &str,
    ip: &str,
    mobile: &str,
    id: &str,
) -> (Actor, String) {
    ready_order_with(w, email, domain, ip, mobile, id, None).await
}

/// [`ready_order`] with the site's homepage given.
pub async fn ready_order_with(
    w: &World,
    email: &str,
    domain: &str,
    ip: &str,
    mobile: &str,
    id: &str,
    homepage: Option<String>,
) -> (Actor, String) {
    let app = &w.app;
    let actor = customer(app, email).await;
    let contact = verified_contact(app, &actor, "person", "张三", "resident_id", id).await;
    register(app, &actor, domain, &contact).await;
    stop_resolving(app, &actor, domain).await;
    add_server(w, &actor, ip).await;
    let mut entity_input = personal_entity();
    entity_input.cert_no = id.into();
    entity_input.principal = person("张三", id, mobile, &format!("p.{email}"));
    let entity = filing::create_entity(app, &ctx(), &actor, &entity_input)
        .await
        .expect("entity");
    let mut site_input = site(
        "张三的学习笔记",
        domain,
        person("张三", id, mobile, &format!("p.{email}")),
        ip,
    );
    if let Some(homepage) = homepage {
        site_input.homepage = homepage;
    }
    let s = filing::create_site(app, &ctx(), &actor, &entity.id, &site_input)
        .await
        .expect("site");
    let order = filing::create_order(
        app,
        &ctx(),
        &actor,
        &NewOrderInput {
            operation: "FIRST".into(),
            entity_id: entity.id.clone(),
            site_id: Some(s.id.clone()),
        },
    )
    .await
    .expect("order");
    (actor, order.id)
}

/// Takes a ready first filing (of the principal on 13800138000) through the authority to its
/// numbers, a month after the domain's registration; returns the entity and its sites.
pub async fn approved_first_filing(
    w: &World,
    applicant: &Actor,
    order: &str,
) -> (filing::EntityView, Vec<filing::SiteView>) {
    let app = &w.app;
    w.clock.advance_days(31);
    pushed(w, applicant, order).await;
    let sms_code = w
        .authority
        .last_code_for("13800138000")
        .await
        .expect("code");
    filing::verify_sms(app, &ctx(), applicant, order, &sms_code)
        .await
        .expect("sms");
    w.clock.advance_secs(3601);
    filing::sync(app).await.expect("sync");
    let entities = filing::list_entities(app, applicant)
        .await
        .expect("entities");
    filing::get_entity(app, applicant, &entities[0].id)
        .await
        .expect("entity")
}

/// Takes an order to the authority: type check, submission, review.
pub async fn pushed(w: &World, applicant: &Actor, order: &str) {
    let app = &w.app;
    filing::verify_type(app, &ctx(), applicant, order)
        .await
        .expect("verify");
    filing::submit(app, &ctx(), applicant, order)
        .await
        .expect("submit");
    filing::claim(app, &ctx(), &w.reviewer, order)
        .await
        .expect("claim");
    let pushed = filing::approve(app, &ctx(), &w.reviewer, order)
        .await
        .expect("approve");
    assert_eq!(pushed.status, OrderStatus::SmsVerify);
}
