//! Personal data at rest (security review item 11), on SQLite and PostgreSQL: after a
//! contact and a filing with distinctive phone, e-mail and ID values went all the way to the
//! sandbox authority and the SMS outbox, neither the database files (SQLite: the file and its
//! WAL) nor a dump hold those values in clear, while every read still returns them. Rows an
//! older release stored in clear are sealed by the start-up conversion.

use yuming_app::filing::{self, FilingAuthority, NewOrderInput};
use yuming_app::registrar::contacts::{self, AddressFields, NewContactInput};
use yuming_app::{App, notify::notices, ops::at_rest, registrar::domains};
use yuming_core::access::Actor;
use yuming_core::filing::{OrderStatus, RejectCode};
use yuming_store::Backend;
use yuming_test_support::{TestDb, both_backends};

use crate::filing::{
    World, add_server, blocking, ctx, customer, operator, person, personal_entity, pushed,
    ready_order, register, site, stop_resolving, world,
};

const ID_NUMBER: &str = "110105198803152438";
const CONTACT_EMAIL: &str = "qx7.holder@example.org";
const CONTACT_PHONE: &str = "+86.13312345678";
const MOBILE: &str = "13987650123";
const PRINCIPAL_EMAIL: &str = "qx7.principal@example.net";
const DOMAIN: &str = "sealed-notes.cn";

/// What must never be readable in the database: the values and the digits of the phone.
const SECRETS: [&str; 5] = [
    ID_NUMBER,
    CONTACT_EMAIL,
    "13312345678",
    MOBILE,
    PRINCIPAL_EMAIL,
];

struct Filed {
    actor: Actor,
    contact: String,
    order: String,
}

/// A verified, disclosed contact and a personal first filing of the same person, taken
/// through the reviewer, the sandbox authority's SMS code and its approval; SMS notices sent.
async fn file_with_distinctive_data(w: &World) -> Filed {
    let app = &w.app;
    let actor = customer(app, "owner@example.com").await;
    let contact = contacts::create(
        app,
        &ctx(),
        &actor,
        &NewContactInput {
            kind: "person".into(),
            name: "张三".into(),
            id_type: "resident_id".into(),
            id_number: ID_NUMBER.into(),
            email: CONTACT_EMAIL.into(),
            phone: CONTACT_PHONE.into(),
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
    contacts::set_disclosure(app, &ctx(), &actor, &contact.id, true)
        .await
        .expect("disclose");
    register(app, &actor, DOMAIN, &contact.id).await;
    stop_resolving(app, &actor, DOMAIN).await;
    add_server(w, &actor, "203.0.113.40").await;
    let mut entity_input = personal_entity();
    entity_input.cert_no = ID_NUMBER.into();
    entity_input.principal = person("张三", ID_NUMBER, MOBILE, PRINCIPAL_EMAIL);
    let entity = filing::create_entity(app, &ctx(), &actor, &entity_input)
        .await
        .expect("entity");
    let site_input = site(
        "张三的学习笔记",
        DOMAIN,
        person("张三", ID_NUMBER, MOBILE, PRINCIPAL_EMAIL),
        "203.0.113.40",
    );
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
    .expect("order")
    .id;
    w.clock.advance_days(31);
    pushed(w, &actor, &order).await;
    let code = w.authority.last_code_for(MOBILE).await.expect("sms code");
    filing::verify_sms(app, &ctx(), &actor, &order, &code)
        .await
        .expect("sms");
    w.clock.advance_secs(3601);
    filing::sync(app).await.expect("sync");
    let (sent, failed) = notices::deliver_sms(app, &notices::SandboxSmsGateway, 100)
        .await
        .expect("deliver");
    assert!(sent >= 1 && failed == 0, "{sent} sent, {failed} failed");
    Filed {
        actor,
        contact: contact.id,
        order,
    }
}

/// Every read that shows the values still shows them.
async fn reads_return_the_values(w: &World, filed: &Filed) {
    let app: &App = &w.app;
    let contact = contacts::get(app, &filed.actor, &filed.contact)
        .await
        .expect("contact");
    assert_eq!(
        (contact.email.as_str(), contact.phone.as_str()),
        (CONTACT_EMAIL, CONTACT_PHONE)
    );
    let listed = contacts::list(app, &filed.actor, None, 10)
        .await
        .expect("list");
    assert_eq!(listed.contacts[0].email, CONTACT_EMAIL);
    let document = contacts::get_unmasked(app, &ctx(), &operator(), &filed.contact)
        .await
        .expect("document");
    assert_eq!(document.id_number, ID_NUMBER);
    // WHOIS/RDAP show the disclosed registrant's e-mail and phone.
    let public = domains::lookup(app, DOMAIN).await.expect("lookup");
    let disclosed = public
        .registrant
        .and_then(|r| r.disclosed)
        .expect("disclosed registrant");
    assert_eq!(
        (disclosed.email.as_str(), disclosed.phone.as_str()),
        (CONTACT_EMAIL, CONTACT_PHONE)
    );
    let order = filing::get_order(app, &filed.actor, &filed.order)
        .await
        .expect("order");
    assert_eq!(order.status, OrderStatus::Approved);
    assert_eq!(order.payload.entity.principal.mobile, MOBILE);
    assert_eq!(order.payload.entity.principal.email, PRINCIPAL_EMAIL);
    assert_ne!(
        order.payload.entity.cert_no, ID_NUMBER,
        "masked for the owner"
    );
    // The sandbox authority finds what it filed, and the texts it sent to the mobile.
    let lookup = w
        .authority
        .lookup(&format!("resident_id:{ID_NUMBER}"), Some(DOMAIN))
        .await
        .expect("authority lookup");
    assert!(lookup.subject_filed.is_some(), "subject on file");
    assert!(
        lookup.site_filed.is_some_and(|s| s.same_subject),
        "site on file under the same subject"
    );
    assert_eq!(
        w.authority.sms_sent_to(MOBILE).await.expect("texts").len(),
        1
    );
    assert_eq!(
        filing::authority::sandbox_messages(app, &operator(), MOBILE)
            .await
            .expect("admin reads")
            .len(),
        1
    );
    // The SMS notices went to the principal's mobile.
    let texts = notices::sms_sent(app, &filed.actor.account_id, 100)
        .await
        .expect("sms");
    assert!(!texts.is_empty());
    assert!(texts.iter().all(|t| t.recipient == MOBILE), "{texts:?}");
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The secrets found in `bytes`, in clear or (for dumps, which write binary values as hex)
/// hex-encoded.
fn found_in(bytes: &[u8]) -> Vec<&'static str> {
    SECRETS
        .iter()
        .copied()
        .filter(|secret| {
            contains(bytes, secret.as_bytes())
                || contains(bytes, hex::encode(secret.as_bytes()).as_bytes())
        })
        .collect()
}

async fn dump(db: &TestDb) -> Vec<u8> {
    let mut out = Vec::new();
    db.db.dump_sql(&mut out).await.expect("dump");
    out
}

/// The SQLite database file and its WAL, as an attacker copying the data dir gets them.
fn sqlite_files(db: &TestDb) -> Vec<u8> {
    let path = db.url.strip_prefix("sqlite://").expect("sqlite url");
    let mut bytes = std::fs::read(path).expect("database file");
    if let Ok(wal) = std::fs::read(format!("{path}-wal")) {
        bytes.extend(wal);
    }
    bytes
}

async fn assert_nothing_in_clear(db: &TestDb) {
    let dump = dump(db).await;
    assert_eq!(found_in(&dump), Vec::<&str>::new(), "in the dump");
    if db.backend() == Backend::Sqlite {
        assert_eq!(
            found_in(&sqlite_files(db)),
            Vec::<&str>::new(),
            "in the database file or its WAL"
        );
    }
}

both_backends!(
    personal_data_is_not_stored_in_clear,
    |db: TestDb| async move {
        let w = world(&db).await;
        let filed = file_with_distinctive_data(&w).await;
        assert_nothing_in_clear(&db).await;
        reads_return_the_values(&w, &filed).await;
        // Nothing was left for the start-up conversion.
        assert_eq!(
            at_rest::seal_legacy_plaintext(&w.app)
                .await
                .expect("seal")
                .total(),
            0
        );
    }
);

/// Puts the values back in clear the way releases before migration 0018 stored them.
async fn as_an_older_release_wrote_it(db: &TestDb) {
    let cert_key = format!("resident_id:{ID_NUMBER}");
    let defer = match db.backend() {
        Backend::Sqlite => "PRAGMA defer_foreign_keys = ON;",
        Backend::Postgres => "SET CONSTRAINTS sandbox_authority_sites_cert_key_fkey DEFERRED;",
    };
    let sql = format!(
        "UPDATE contacts SET email = '{CONTACT_EMAIL}', phone = '{CONTACT_PHONE}', \
            email_sealed = NULL, phone_sealed = NULL, phone_index = NULL; \
         UPDATE filing_entities SET principal_mobile = '{MOBILE}', \
            principal_email = '{PRINCIPAL_EMAIL}', principal_mobile_index = NULL, \
            principal_email_index = NULL; \
         UPDATE filing_sites SET principal_mobile = ' {MOBILE} ', \
            principal_email = '{PRINCIPAL_EMAIL}', principal_mobile_index = NULL, \
            principal_email_index = NULL; \
         UPDATE sandbox_authority_tickets SET cert_key = '{cert_key}', cert_sealed = NULL; \
         {defer} \
         UPDATE sandbox_authority_subjects SET cert_key = '{cert_key}'; \
         UPDATE sandbox_authority_sites SET cert_key = '{cert_key}'; \
         UPDATE sandbox_authority_sms SET mobile = '{MOBILE}', mobile_index = NULL; \
         UPDATE notice_outbox SET recipient = '{MOBILE}', recipient_sealed = NULL \
            WHERE channel = 'sms';"
    );
    db.db.execute_raw(&sql).await.expect("downgrade");
}

both_backends!(
    rows_an_older_release_stored_in_clear_are_sealed_at_start,
    |db: TestDb| async move {
        let w = world(&db).await;
        let filed = file_with_distinctive_data(&w).await;
        as_an_older_release_wrote_it(&db).await;
        let before = dump(&db).await;
        assert_eq!(found_in(&before).len(), SECRETS.len(), "the downgrade took");
        if db.backend() == Backend::Sqlite {
            assert!(
                !found_in(&sqlite_files(&db)).is_empty(),
                "the file check sees values in clear"
            );
        }
        // Until converted, contacts read from the old columns.
        let contact = contacts::get(&w.app, &filed.actor, &filed.contact)
            .await
            .expect("contact");
        assert_eq!(contact.email, CONTACT_EMAIL);

        let report = at_rest::seal_legacy_plaintext(&w.app).await.expect("seal");
        assert_eq!(report.contacts, 1);
        assert_eq!(report.contact_phones, 1, "indexed once sealed");
        assert_eq!(report.filing_principals, 2, "entity and site");
        assert!(report.sandbox_rows >= 3, "{report:?}");
        assert!(report.sms_notices >= 1, "{report:?}");
        assert_eq!(
            at_rest::seal_legacy_plaintext(&w.app)
                .await
                .expect("again")
                .total(),
            0,
            "idempotent"
        );
        assert_nothing_in_clear(&db).await;
        reads_return_the_values(&w, &filed).await;
        // Support finds the customer by the contact's phone through the backfilled index.
        let support = yuming_test_support::fixtures::staff(
            &w.app,
            "helpdesk@example.com",
            yuming_core::access::Role::Support,
        )
        .await;
        let found = yuming_app::ops::support::find_customer(
            &w.app,
            &yuming_test_support::fixtures::ctx(),
            &support,
            "133 1234 5678",
        )
        .await
        .expect("found by the contact's phone");
        assert_eq!(found.account_id, filed.actor.tenant_id);

        // The converted indexes match what new rows are indexed by: another customer's
        // filing naming the same mobile is caught by the duplicate check.
        let (carol, carol_order) = ready_order(
            &w,
            "carol@example.com",
            "carol-notes.cn",
            "203.0.113.32",
            MOBILE,
            "110105198001010016",
        )
        .await;
        let found = blocking(
            &filing::check(&w.app, &carol, &carol_order)
                .await
                .expect("check"),
        );
        assert!(
            found.contains(&(RejectCode::ContactInvalid, "entity.principal.mobile".into())),
            "{found:?}"
        );
        assert_nothing_in_clear(&db).await;
    }
);
