//! The self-check: every fact the rules need, gathered in one transaction, and the report of what
//! the authority would reject.

use std::net::IpAddr;

use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;
use yuming_core::filing::{
    self, AuthorityLookup, CheckInput, DomainFacts, DuplicateFacts, EntityFacts, Operation,
    PersonFacts, PreapprovalFacts, ServerFacts, Severity, SiteFacts, rule,
};
use yuming_store::{FilingOrderRow, Tx};

use crate::{App, AppError};

use super::access::authorized_order;
use super::forms::{Payload, PersonInput};
use super::orders::authority_lookup;
use super::rules::blacklist_digests;
use super::rules::rules_for;
use super::sealing::{cert_digests, order_view};
use super::servers::cidr_contains;
use super::shape::{check_entity_shape, corrupt, normalized, parse_date, parse_id_type};
use super::views::CheckReport;
use super::{CONTACT_INDEX, EMAIL_INDEX, MOBILE_INDEX, normal_email, normal_mobile};

fn person_facts(p: &PersonInput, liveness: Option<bool>) -> Result<PersonFacts, AppError> {
    Ok(PersonFacts {
        name: p.name.clone(),
        id_type: parse_id_type(&p.id_type, "principal.id_type")?,
        id_number: p.id_number.clone(),
        id_valid_until: parse_date(p.id_valid_until.as_deref(), "principal.id_valid_until")?,
        mobile: p.mobile.clone(),
        email: p.email.clone(),
        liveness_passed: liveness,
    })
}

/// Gathers the facts of an order and runs the self-check.
pub(super) async fn run_check(
    app: &App,
    tx: &mut Tx,
    row: &FilingOrderRow,
    payload: &Payload,
    lookup: Option<&AuthorityLookup>,
) -> Result<CheckReport, AppError> {
    let now = app.now();
    let today = now.date();
    let operation = Operation::parse(&row.operation).ok_or_else(|| corrupt("operation"))?;
    let rules = rules_for(tx, payload, now).await?;
    let e = &payload.entity;
    let (entity_type, province, cert_type) = check_entity_shape(e)?;
    let materials = tx.filing_materials(&row.id).await?;
    let has_material = |kind: &str| materials.iter().any(|m| m.current && m.kind == kind);
    let entity = EntityFacts {
        entity_type,
        name: e.name.clone(),
        province,
        cert_type,
        cert_no: e.cert_no.clone(),
        cert_valid_until: parse_date(e.cert_valid_until.as_deref(), "entity.cert_valid_until")?,
        // No face-verification service is connected yet: reported as a warning.
        principal: person_facts(&e.principal, None)?,
        principal_is_legal_rep: e.principal_is_legal_rep,
        has_authorisation_letter: has_material("authorisation_letter"),
    };
    let site = match &payload.site {
        Some(s) => Some(SiteFacts {
            name: s.name.clone(),
            domain: s.domain.clone(),
            homepage: s.homepage.clone(),
            content_types: s.content_types.clone(),
            preapprovals: s
                .preapprovals
                .iter()
                .map(|p| {
                    Ok(PreapprovalFacts {
                        content_type: p.content_type,
                        document_no: p.document_no.clone(),
                        valid_until: parse_date(p.valid_until.as_deref(), "site.preapprovals")?,
                    })
                })
                .collect::<Result<_, AppError>>()?,
            purpose: s.purpose.clone(),
            principal: person_facts(&s.principal, None)?,
        }),
        None => None,
    };

    let approved_tlds: Vec<String> = rules
        .text(rule::APPROVED_TLDS)
        .map(|v| v.split(',').map(|t| t.trim().to_owned()).collect())
        .unwrap_or_default();
    let domain = match &payload.site {
        Some(s) => {
            let tld = s.domain.rsplit('.').next().unwrap_or("").to_owned();
            let tld_approved = approved_tlds.contains(&tld);
            Some(match tx.domain_by_name(&s.domain).await? {
                Some(d) if d.purged_at.is_none() => {
                    let (verified, holder) = if d.owner_id != row.owner_id {
                        // Someone else's domain: say only that the holder differs.
                        (true, false)
                    } else {
                        match tx.contact_by_id(&d.registrant_contact_id).await? {
                            Some(c) => {
                                let digests = app.cipher().blind_indexes(
                                    &format!(
                                        "{}:{}",
                                        cert_type.as_str(),
                                        normalized(cert_type, &e.cert_no, today)
                                    ),
                                    CONTACT_INDEX,
                                );
                                (
                                    c.verification_status == "verified",
                                    digests.contains(&c.id_number_digest)
                                        && c.name == e.name.trim(),
                                )
                            }
                            None => (false, false),
                        }
                    };
                    DomainFacts {
                        known: true,
                        real_name_verified: verified,
                        holder_matches: holder,
                        registered_at: Timestamp(d.created_at),
                        expires_at: Timestamp(d.expires_at),
                        resolves: !d.nameservers.trim().is_empty(),
                        tld_approved,
                    }
                }
                _ => DomainFacts {
                    known: false,
                    real_name_verified: false,
                    holder_matches: false,
                    registered_at: now,
                    expires_at: now,
                    resolves: false,
                    tld_approved,
                },
            })
        }
        None => None,
    };

    let pools = tx.ip_pools().await?;
    let mut servers = Vec::new();
    if let Some(s) = &payload.site {
        for ip_text in &s.servers {
            let Ok(ip) = ip_text.trim().parse::<IpAddr>() else {
                continue;
            };
            let in_pool = pools
                .iter()
                .any(|p| p.mainland && cidr_contains(&p.cidr, &ip));
            let owned = tx
                .server_by_ip(&ip.to_string())
                .await?
                .is_some_and(|srv| srv.owner_id == row.owner_id && srv.expires_at > now.0);
            servers.push(ServerFacts {
                ip: ip.to_string(),
                in_mainland_pool: in_pool,
                owned_by_applicant: owned,
            });
        }
    }

    let digests = cert_digests(app, cert_type, &e.cert_no, today);
    let mut duplicates = DuplicateFacts::default();
    let mut contacts = vec![
        (
            "entity.principal.mobile",
            true,
            normal_mobile(&e.principal.mobile),
        ),
        (
            "entity.principal.email",
            false,
            normal_email(&e.principal.email),
        ),
    ];
    if let Some(s) = &payload.site {
        contacts.push((
            "site.principal.mobile",
            true,
            normal_mobile(&s.principal.mobile),
        ));
        contacts.push((
            "site.principal.email",
            false,
            normal_email(&s.principal.email),
        ));
    }
    for (field, mobile, value) in contacts {
        let purpose = if mobile { MOBILE_INDEX } else { EMAIL_INDEX };
        // Used by an entity of another certificate (its index under none of our keys); the
        // contact is stored under the index of whichever master key was current then.
        let mut reused = false;
        for index in app.cipher().blind_indexes(&value, purpose) {
            let users = tx
                .filing_contact_users(mobile, &index, &row.entity_id)
                .await?;
            reused |= users.iter().any(|digest| !digests.contains(digest));
        }
        if reused {
            duplicates.reused_contacts.push(field.to_owned());
        }
    }
    for digest in &digests {
        duplicates.cert_filed_from_other_account |= tx
            .filing_entities_by_cert(digest, &row.entity_id)
            .await?
            .iter()
            .any(|other| other.owner_id != row.owner_id);
        duplicates.other_order_in_flight |= tx
            .filing_cert_has_other_open_order(digest, &row.entity_id)
            .await?;
    }

    let mut blacklist_hits = Vec::new();
    let mut people = vec![
        ("entity.cert_no", cert_type, e.cert_no.clone()),
        (
            "entity.principal.id_number",
            parse_id_type(&e.principal.id_type, "entity.principal.id_type")?,
            e.principal.id_number.clone(),
        ),
    ];
    if let Some(s) = &payload.site {
        people.push((
            "site.principal.id_number",
            parse_id_type(&s.principal.id_type, "site.principal.id_type")?,
            s.principal.id_number.clone(),
        ));
    }
    for (field, id_type, number) in people {
        for digest in blacklist_digests(app, id_type, &number, today) {
            if tx.is_blacklisted(&digest).await? {
                blacklist_hits.push(field.to_owned());
                break;
            }
        }
    }

    let present: Vec<&str> = materials
        .iter()
        .filter(|m| m.current)
        .map(|m| m.kind.as_str())
        .collect();
    let problems = filing::self_check(&CheckInput {
        operation,
        entity: &entity,
        site: site.as_ref(),
        domain: domain.as_ref(),
        servers: &servers,
        duplicates: &duplicates,
        blacklist_hits: &blacklist_hits,
        // No reachability prober for approved sites yet: nothing is reported down.
        existing_sites_down: &[],
        materials: &present,
        authority: lookup,
        rules: &rules,
        now,
    });
    let submittable = problems.iter().all(|p| p.severity != Severity::Blocking);
    Ok(CheckReport {
        problems,
        submittable,
    })
}

/// The self-check report of an order (`GET …/check`).
pub async fn check(app: &App, actor: &Actor, id: &str) -> Result<CheckReport, AppError> {
    let mut tx = app.db().read().await?;
    let row = authorized_order(&mut tx, actor, id, Right::IcpManage).await?;
    tx.commit().await?;
    let payload = order_view(app, &row, true)?.payload;
    let operation = Operation::parse(&row.operation).ok_or_else(|| corrupt("operation"))?;
    let lookup = authority_lookup(app, operation, &payload).await?;
    let mut tx = app.db().read().await?;
    let report = run_check(app, &mut tx, &row, &payload, lookup.as_ref()).await?;
    tx.commit().await?;
    Ok(report)
}
