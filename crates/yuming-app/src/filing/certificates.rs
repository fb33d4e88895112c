//! After approval: the signed filing certificate, the footer snippet and the public look-up.
//!
//! A certificate is issued in the transaction that records the approval of a site (and again
//! on renewal), signed with the platform's Ed25519 key. The key is made on first use, kept
//! sealed with the master key, and its public half is published
//! ([`public_keys`]), so anyone can check a certificate offline or through [`verify`].

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::signature::{ED25519, KeyPair, UnparsedPublicKey};
use serde::Deserialize;
use serde_json::{Map, Value};
use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;
use yuming_core::filing::certificate::{Certificate, masked_person_name};
use yuming_core::rules::Rejection;
use yuming_core::rules::domain_name::{DomainName, DomainPolicy};
use yuming_core::rules::icp_number::{IcpFilingNumber, IcpParseOptions};
use yuming_core::rules::province;
use yuming_store::{CertificateRow, FilingEntityRow, FilingSiteRow, Tx};

use super::SiteInput;
use super::sealing::{open_json, site_context};
use crate::filing::FilingError;
use crate::notify::notices::{NoticeKind, NoticeRequest};
use crate::platform::crypto::new_id;
use crate::platform::signing_key;
use crate::{App, AppError, RequestContext};

/// Days before a certificate ends that its renewal reminder goes out.
pub const RENEWAL_REMINDER_DAYS: i64 = 30;

/// A certificate with its signature, as handed out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCertificate {
    /// The fields.
    pub certificate: Certificate,
    /// Base64 Ed25519 signature of [`Certificate::canonical_json`].
    pub signature: String,
    /// Superseded by a newer certificate.
    pub superseded: bool,
}

/// A published verification key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// Key id (as in certificates).
    pub key_id: String,
    /// `Ed25519`.
    pub algorithm: &'static str,
    /// The raw 32-byte public key, base64.
    pub public_key: String,
    /// Made.
    pub created_at: Timestamp,
    /// No longer signing since.
    pub retired_at: Option<Timestamp>,
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Signature good, within its validity and not superseded.
    pub valid: bool,
    /// `VALID`, `MALFORMED`, `UNKNOWN_KEY`, `BAD_SIGNATURE`, `NOT_YET_VALID`, `EXPIRED`,
    /// `SUPERSEDED`, `REVOKED` (the filing was cancelled).
    pub reason: &'static str,
    /// The certificate, when it parsed.
    pub certificate: Option<Certificate>,
}

/// The footer line a filed site must show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Footer {
    /// The number shown (the site number, or the subject number where the province says so).
    pub number: String,
    /// HTML to paste into the page footer.
    pub html: String,
}

/// What the public look-up shows of a filed site: the fields MIIT's own search shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicFiling {
    /// Domain.
    pub domain: String,
    /// 网站备案号.
    pub site_no: String,
    /// 主体备案号.
    pub subject_no: String,
    /// 主办单位: an organisation's name; a person's masked.
    pub entity_name: String,
    /// §1.4 entity type.
    pub entity_type: String,
    /// Province.
    pub province: String,
    /// 网站名称.
    pub site_name: String,
    /// When the current certificate was issued (审核通过).
    pub approved_at: Option<Timestamp>,
    /// Until when the certificate is valid.
    pub certificate_valid_until: Option<Timestamp>,
    /// The certificate id, to verify.
    pub certificate_id: Option<String>,
}

fn entity_public_name(entity: &FilingEntityRow) -> String {
    if entity.entity_type == "PERSON" {
        masked_person_name(&entity.name)
    } else {
        entity.name.clone()
    }
}

fn province_name(code: i64) -> String {
    u8::try_from(code)
        .ok()
        .and_then(province::by_code)
        .map_or_else(|| code.to_string(), |p| p.name_zh.to_owned())
}

/// Issues (or renews) the certificate of a filed site in `tx`; the caller commits.
pub(super) async fn issue(
    app: &App,
    tx: &mut Tx,
    site: &FilingSiteRow,
    entity: &FilingEntityRow,
) -> Result<CertificateRow, AppError> {
    let (Some(site_no), Some(subject_no)) = (&site.site_no, &entity.subject_no) else {
        return Err(FilingError::NotFiled.into());
    };
    let input: SiteInput = open_json(app, &site.data_sealed, &site_context(&site.id))?;
    let (key_id, pair) = signing_key::signing_key(app, tx).await?;
    let now = app.now();
    let certificate = Certificate {
        id: new_id("fce"),
        subject_no: subject_no.clone(),
        site_no: site_no.clone(),
        entity_name: entity_public_name(entity),
        entity_type: entity.entity_type.clone(),
        province: province_name(entity.province),
        domain: site.domain.clone(),
        site_name: input.name.trim().to_owned(),
        issued_at: now,
        valid_until: now.plus_days(app.settings().certificate_validity_days),
        key_id,
    };
    let document = certificate.canonical_json();
    let signature = BASE64.encode(pair.sign(document.as_bytes()).as_ref());
    let row = CertificateRow {
        id: certificate.id.clone(),
        site_id: site.id.clone(),
        owner_id: site.owner_id.clone(),
        document,
        signature,
        key_id: certificate.key_id.clone(),
        issued_at: now.0,
        valid_until: certificate.valid_until.0,
        superseded_at: None,
    };
    tx.insert_certificate(&row).await?;
    Ok(row)
}

/// Parses a certificate from its JSON fields (the canonical form or any equivalent object).
pub fn parse_certificate(value: &Value) -> Option<Certificate> {
    let object = value.as_object()?;
    let text = |key: &str| object.get(key)?.as_str().map(str::to_owned);
    let int = |key: &str| object.get(key)?.as_i64();
    if int("version")? != i64::from(yuming_core::filing::certificate::VERSION) {
        return None;
    }
    Some(Certificate {
        id: text("id")?,
        subject_no: text("subject_no")?,
        site_no: text("site_no")?,
        entity_name: text("entity_name")?,
        entity_type: text("entity_type")?,
        province: text("province")?,
        domain: text("domain")?,
        site_name: text("site_name")?,
        issued_at: Timestamp(int("issued_at")?),
        valid_until: Timestamp(int("valid_until")?),
        key_id: text("key_id")?,
    })
}

fn signed_of(row: &CertificateRow) -> Result<SignedCertificate, AppError> {
    let value: Value = serde_json::from_str(&row.document)
        .map_err(|_| AppError::internal("stored certificate unreadable".to_owned()))?;
    Ok(SignedCertificate {
        certificate: parse_certificate(&value)
            .ok_or_else(|| AppError::internal("stored certificate unreadable".to_owned()))?,
        signature: row.signature.clone(),
        superseded: row.superseded_at.is_some(),
    })
}

async fn owned_site(tx: &mut Tx, actor: &Actor, site_id: &str) -> Result<FilingSiteRow, AppError> {
    let site = tx
        .filing_site(site_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    actor.authorize(&site.owner_id, Right::IcpManage)?;
    Ok(site)
}

/// The current certificate of one of the actor's filed sites.
pub async fn certificate(
    app: &App,
    actor: &Actor,
    site_id: &str,
) -> Result<SignedCertificate, AppError> {
    let mut tx = app.db().read().await?;
    let site = owned_site(&mut tx, actor, site_id).await?;
    let row = tx.current_certificate(&site.id).await?;
    tx.commit().await?;
    let row = row.ok_or_else(|| AppError::from(FilingError::NoCertificate))?;
    signed_of(&row)
}

/// The printable certificate and the detached signature of its bytes (`<key id>.<base64>`).
pub async fn certificate_pdf(
    app: &App,
    actor: &Actor,
    site_id: &str,
) -> Result<(Vec<u8>, String), AppError> {
    let signed = certificate(app, actor, site_id).await?;
    let pdf = super::certificate_pdf::render(&signed.certificate, &signed.signature);
    let mut tx = app.db().read().await?;
    let key = tx
        .signing_keys()
        .await?
        .into_iter()
        .find(|k| k.key_id == signed.certificate.key_id)
        .ok_or_else(|| AppError::internal("the certificate's key is gone".to_owned()))?;
    tx.commit().await?;
    let pair = signing_key::key_pair(app, &key)?;
    let signature = format!("{}.{}", key.key_id, BASE64.encode(pair.sign(&pdf).as_ref()));
    Ok((pdf, signature))
}

/// Issues a fresh certificate for one of the actor's filed sites (renewal), superseding the
/// current one.
pub async fn renew_certificate(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    site_id: &str,
) -> Result<SignedCertificate, AppError> {
    let mut tx = app.db().write().await?;
    let site = owned_site(&mut tx, actor, site_id).await?;
    if site.status != "filed" {
        return Err(FilingError::NotFiledNoCertificate.into());
    }
    let entity = tx
        .filing_entity(&site.entity_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let row = issue(app, &mut tx, &site, &entity).await?;
    crate::platform::audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        crate::platform::audit::Change {
            action: "filing.certificate.renew",
            object_type: "filing_site",
            object_id: &site.id,
            tenant: &site.owner_id,
            before: Value::Null,
            after: serde_json::json!({ "certificate": row.id, "valid_until": row.valid_until }),
        },
    )
    .await?;
    tx.commit().await?;
    signed_of(&row)
}

/// Replaces the signing key (platform admins; `yuming filing rotate-signing-key`): the
/// current key is retired, a new one signs from now on, and certificates signed before keep
/// verifying under the retired key, which stays published.
pub async fn rotate_signing_key(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
) -> Result<PublicKey, AppError> {
    actor.require(Right::PlatformAdmin)?;
    let now = app.now();
    let mut tx = app.db().write().await?;
    let retired = tx.retire_signing_keys(now.0).await?;
    let (key_id, pair) = signing_key::signing_key(app, &mut tx).await?;
    crate::platform::audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        crate::platform::audit::Change {
            action: "filing.signing_key.rotate",
            object_type: "signing_key",
            object_id: &key_id,
            tenant: &actor.tenant_id,
            before: serde_json::json!({ "retired": retired }),
            after: serde_json::json!({ "key_id": key_id }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(PublicKey {
        key_id,
        algorithm: "Ed25519",
        public_key: BASE64.encode(pair.public_key().as_ref()),
        created_at: now,
        retired_at: None,
    })
}

/// Every signing key's public half (no authentication: anyone may verify).
pub async fn public_keys(app: &App) -> Result<Vec<PublicKey>, AppError> {
    let mut tx = app.db().read().await?;
    let keys = tx.signing_keys().await?;
    tx.commit().await?;
    Ok(keys
        .into_iter()
        .map(|k| PublicKey {
            key_id: k.key_id,
            algorithm: "Ed25519",
            public_key: k.public_key,
            created_at: Timestamp(k.created_at),
            retired_at: k.retired_at.map(Timestamp),
        })
        .collect())
}

async fn public_key_bytes(app: &App, key_id: &str) -> Result<Option<Vec<u8>>, AppError> {
    let mut tx = app.db().read().await?;
    let key = tx
        .signing_keys()
        .await?
        .into_iter()
        .find(|k| k.key_id == key_id);
    tx.commit().await?;
    Ok(key.and_then(|k| BASE64.decode(k.public_key).ok()))
}

fn invalid(reason: &'static str, certificate: Option<Certificate>) -> Verification {
    Verification {
        valid: false,
        reason,
        certificate,
    }
}

/// Checks a certificate (its JSON fields and base64 signature): the signature under the
/// published key it names, its validity at now, and that it was not superseded.
pub async fn verify(
    app: &App,
    document: &Value,
    signature: &str,
) -> Result<Verification, AppError> {
    let Some(certificate) = parse_certificate(document) else {
        return Ok(invalid("MALFORMED", None));
    };
    let Ok(signature_bytes) = BASE64.decode(signature.trim()) else {
        return Ok(invalid("BAD_SIGNATURE", Some(certificate)));
    };
    let Some(public) = public_key_bytes(app, &certificate.key_id).await? else {
        return Ok(invalid("UNKNOWN_KEY", Some(certificate)));
    };
    if UnparsedPublicKey::new(&ED25519, &public)
        .verify(certificate.canonical_json().as_bytes(), &signature_bytes)
        .is_err()
    {
        return Ok(invalid("BAD_SIGNATURE", Some(certificate)));
    }
    let now = app.now();
    if now.0 < certificate.issued_at.0 {
        return Ok(invalid("NOT_YET_VALID", Some(certificate)));
    }
    if !certificate.valid_at(now) {
        return Ok(invalid("EXPIRED", Some(certificate)));
    }
    let mut tx = app.db().read().await?;
    let current = tx
        .filed_sites_matching(None, Some(&certificate.site_no))
        .await?;
    if current.is_empty() {
        tx.commit().await?;
        // No filed site carries the number any more: the filing was cancelled.
        return Ok(invalid("REVOKED", Some(certificate)));
    }
    let mut superseded = true;
    for site in current {
        if let Some(row) = tx.current_certificate(&site.id).await?
            && row.id == certificate.id
        {
            superseded = false;
        }
    }
    tx.commit().await?;
    if superseded {
        return Ok(invalid("SUPERSEDED", Some(certificate)));
    }
    Ok(Verification {
        valid: true,
        reason: "VALID",
        certificate: Some(certificate),
    })
}

/// Checks the detached signature (`<key id>.<base64>`) of a printable certificate's bytes.
pub async fn verify_pdf(app: &App, pdf: &[u8], signature: &str) -> Result<Verification, AppError> {
    let Some((key_id, encoded)) = signature.trim().split_once('.') else {
        return Ok(invalid("BAD_SIGNATURE", None));
    };
    let Ok(signature_bytes) = BASE64.decode(encoded) else {
        return Ok(invalid("BAD_SIGNATURE", None));
    };
    let Some(public) = public_key_bytes(app, key_id).await? else {
        return Ok(invalid("UNKNOWN_KEY", None));
    };
    if UnparsedPublicKey::new(&ED25519, &public)
        .verify(pdf, &signature_bytes)
        .is_err()
    {
        return Ok(invalid("BAD_SIGNATURE", None));
    }
    Ok(Verification {
        valid: true,
        reason: "VALID",
        certificate: None,
    })
}

/// The footer line of one of the actor's filed sites, linking to the MIIT filing system.
/// Which number it shows is a province rule (`footer.subject_number`; Guangdong shows the
/// subject number).
pub async fn footer(app: &App, actor: &Actor, site_id: &str) -> Result<Footer, AppError> {
    let mut tx = app.db().read().await?;
    let site = owned_site(&mut tx, actor, site_id).await?;
    let entity = tx
        .filing_entity(&site.entity_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let province = u8::try_from(entity.province).unwrap_or(0);
    let rules = super::rules::rules_for_province(&mut tx, province, app.now()).await?;
    tx.commit().await?;
    let (Some(site_no), Some(subject_no)) = (site.site_no, entity.subject_no) else {
        return Err(FilingError::NotFiled.into());
    };
    let number = if rules.flag("footer.subject_number") {
        subject_no
    } else {
        site_no
    };
    let html = format!(
        "<a href=\"https://beian.miit.gov.cn/\" target=\"_blank\" rel=\"noopener\">{}</a>",
        html_escape(&number)
    );
    Ok(Footer { number, html })
}

fn first_problem(rejection: &Rejection) -> (String, String) {
    rejection
        .problems
        .first()
        .map(|p| (p.message.clone(), p.message_zh.clone()))
        .unwrap_or_default()
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Counts one public filing request (look-up or verification) against the source IP's
/// per-minute allowance (`filing.public_lookups_per_ip_per_minute`).
pub async fn count_public_request(app: &App, ctx: &RequestContext) -> Result<(), AppError> {
    if let Some(ip) = &ctx.client_ip {
        crate::platform::rate_limit::hit(
            app,
            &format!("filing_public:ip:{ip}"),
            app.settings().public_lookups_per_ip_per_minute,
            60,
        )
        .await?;
    }
    Ok(())
}

/// What to look a filing up by.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub enum LookupKey {
    /// A domain (Unicode or A-label).
    Domain(String),
    /// A site or subject number.
    Number(String),
}

/// The public look-up by domain or filing number: only public fields, rate-limited per
/// source IP. A malformed number is a 400 naming what is wrong with it.
pub async fn public_lookup(
    app: &App,
    ctx: &RequestContext,
    key: &LookupKey,
) -> Result<Vec<PublicFiling>, AppError> {
    count_public_request(app, ctx).await?;
    let (domain, number) = match key {
        LookupKey::Domain(domain) => {
            let parsed = DomainName::parse(domain.trim(), &DomainPolicy::GENERIC).map_err(|r| {
                let (reason, reason_zh) = first_problem(&r);
                FilingError::LookupDomain { reason, reason_zh }
            })?;
            (Some(parsed.value.ascii().to_owned()), None)
        }
        LookupKey::Number(number) => {
            let parsed =
                IcpFilingNumber::parse(number.trim(), IcpParseOptions::strict(app.now().date()))
                    .map_err(|r| {
                        let (reason, reason_zh) = first_problem(&r);
                        FilingError::LookupNumber { reason, reason_zh }
                    })?;
            (None, Some(parsed.value.to_string()))
        }
    };
    let mut tx = app.db().read().await?;
    let sites = tx
        .filed_sites_matching(domain.as_deref(), number.as_deref())
        .await?;
    let mut out = Vec::with_capacity(sites.len());
    for site in sites {
        let Some(entity) = tx.filing_entity(&site.entity_id).await? else {
            continue;
        };
        let input: SiteInput = open_json(app, &site.data_sealed, &site_context(&site.id))?;
        let certificate = tx.current_certificate(&site.id).await?;
        out.push(PublicFiling {
            domain: site.domain.clone(),
            site_no: site.site_no.clone().unwrap_or_default(),
            subject_no: entity.subject_no.clone().unwrap_or_default(),
            entity_name: entity_public_name(&entity),
            entity_type: entity.entity_type.clone(),
            province: province_name(entity.province),
            site_name: input.name.trim().to_owned(),
            approved_at: certificate.as_ref().map(|c| Timestamp(c.issued_at)),
            certificate_valid_until: certificate.as_ref().map(|c| Timestamp(c.valid_until)),
            certificate_id: certificate.map(|c| c.id),
        });
    }
    tx.commit().await?;
    Ok(out)
}

/// Sends the renewal reminder of every current certificate ending within
/// [`RENEWAL_REMINDER_DAYS`], once per certificate. Returns how many notices were new.
pub async fn remind_renewals(app: &App) -> Result<usize, AppError> {
    let now = app.now();
    let mut tx = app.db().write().await?;
    let due = tx
        .certificates_ending_between(now.0, now.plus_days(RENEWAL_REMINDER_DAYS).0, 500)
        .await?;
    let mut sent = 0;
    for row in due {
        let signed = signed_of(&row)?;
        let mut params = Map::new();
        params.insert(
            "domain".into(),
            Value::String(signed.certificate.domain.clone()),
        );
        params.insert(
            "site".into(),
            Value::String(signed.certificate.site_name.clone()),
        );
        params.insert(
            "number".into(),
            Value::String(signed.certificate.site_no.clone()),
        );
        params.insert(
            "valid_until".into(),
            Value::String(signed.certificate.valid_until.date().to_string()),
        );
        sent += crate::notify::notices::enqueue(
            &mut tx,
            &NoticeRequest {
                account_id: row.owner_id.clone(),
                kind: NoticeKind::FilingCertificateRenewal,
                occasion: format!("certificate_renewal:{}", row.id),
                params,
                sms_to: None,
            },
            now.0,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(sent)
}
