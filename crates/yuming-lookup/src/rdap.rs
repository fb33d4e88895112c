//! RDAP JSON (RFC 9083) with the ICANN gTLD RDAP response profile's notices, events and
//! registrar entity, and RFC 9537 redaction of the registrant's personal data.

use serde_json::{Value, json};
use yuming_app::registrar::domains::{LookupView, PublicRegistrant};
use yuming_core::clock::Timestamp;

use crate::{ICANN_EPP_STATUS_URL, ICANN_INACCURACY_FORM, LookupSettings};

/// The media type of every RDAP answer (RFC 7480 §4.2).
pub const CONTENT_TYPE: &str = "application/rdap+json";

/// Conformance identifiers of every answer.
const CONFORMANCE: [&str; 3] = [
    "rdap_level_0",
    "icann_rdap_response_profile_1",
    "icann_rdap_technical_implementation_guide_1",
];

/// The RDAP status value (RFC 8056 §2) of an EPP or RGP status: `ok` is `active`, the rest
/// split their camel case into lower-case words (`clientTransferProhibited` →
/// `client transfer prohibited`, `redemptionPeriod` → `redemption period`).
pub fn status_of(epp: &str) -> String {
    if epp == "ok" {
        return "active".to_owned();
    }
    let mut out = String::with_capacity(epp.len() + 4);
    for c in epp.chars() {
        if c.is_ascii_uppercase() {
            out.push(' ');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn conformance(redacting: bool) -> Value {
    let mut list: Vec<&str> = CONFORMANCE.to_vec();
    if redacting {
        list.push("redacted");
    }
    json!(list)
}

fn link(self_url: &str, rel: &str, href: &str, media: &str) -> Value {
    json!({"value": self_url, "rel": rel, "href": href, "type": media})
}

/// The ICANN profile's notices: terms of use, status codes, inaccuracy complaints.
fn notices(settings: &LookupSettings, self_url: &str) -> Value {
    json!([
        {
            "title": "Terms of Use",
            "description": [
                "Registration data is provided for lookups of domain registration records only. \
                 Personal data is redacted; to contact a registrant, write to the registrar."
            ],
            "links": [link(self_url, "terms-of-service", &settings.terms_url, "text/html")]
        },
        {
            "title": "Status Codes",
            "description": [
                format!("For more information on domain status codes, please visit {ICANN_EPP_STATUS_URL}")
            ],
            "links": [link(self_url, "glossary", ICANN_EPP_STATUS_URL, "text/html")]
        },
        {
            "title": "RDDS Inaccuracy Complaint Form",
            "description": [
                format!("URL of the ICANN RDDS Inaccuracy Complaint Form: {ICANN_INACCURACY_FORM}")
            ],
            "links": [link(self_url, "help", ICANN_INACCURACY_FORM, "text/html")]
        }
    ])
}

fn self_link(self_url: &str) -> Value {
    json!([link(self_url, "self", self_url, CONTENT_TYPE)])
}

fn event(action: &str, at: Timestamp) -> Value {
    json!({"eventAction": action, "eventDate": at.to_rfc3339()})
}

fn redaction(name: &str, method: &str, path_key: &str, path: String) -> Value {
    json!({
        "name": {"type": name},
        path_key: path,
        "pathLang": "jsonpath",
        "method": method,
        "reason": {"description": "Server policy"}
    })
}

/// The registrant entity and the RFC 9537 redactions it needs. `base` is the JSONPath of
/// the entity in the answer; `with_handle` keeps the handle (an entity lookup by handle).
fn registrant_entity(
    registrant: &PublicRegistrant,
    base: &str,
    with_handle: bool,
    settings: &LookupSettings,
) -> (Value, Vec<Value>) {
    let vcard = format!("{base}.vcardArray[1]");
    let mut redacted = Vec::new();
    if !with_handle {
        redacted.push(redaction(
            "Registry Registrant ID",
            "removal",
            "prePath",
            format!("{base}.handle"),
        ));
    }
    let disclosed = registrant.disclosed.as_ref();
    if disclosed.is_none() {
        redacted.push(redaction(
            "Registrant Name",
            "emptyValue",
            "postPath",
            format!("{vcard}[?(@[0]=='fn')][3]"),
        ));
    }
    let mut properties = vec![
        json!(["version", {}, "text", "4.0"]),
        json!(["fn", {}, "text", disclosed.map_or("", |d| d.name.as_str())]),
    ];
    match &registrant.organization {
        Some(org) => properties.push(json!(["org", {}, "text", org])),
        None => redacted.push(redaction(
            "Registrant Organization",
            "removal",
            "prePath",
            format!("{vcard}[?(@[0]=='org')]"),
        )),
    }
    properties.push(json!([
        "adr",
        {"cc": registrant.country},
        "text",
        ["", "", "", "", registrant.province, "", ""]
    ]));
    let adr = format!("{vcard}[?(@[0]=='adr')][3]");
    redacted.push(redaction(
        "Registrant Street",
        "emptyValue",
        "postPath",
        format!("{adr}[:3]"),
    ));
    redacted.push(redaction(
        "Registrant City",
        "emptyValue",
        "postPath",
        format!("{adr}[3]"),
    ));
    redacted.push(redaction(
        "Registrant Postal Code",
        "emptyValue",
        "postPath",
        format!("{adr}[5]"),
    ));
    match disclosed {
        Some(d) => {
            properties.push(json!(["tel", {"type": "voice"}, "uri", format!("tel:{}", d.phone)]));
            properties.push(json!(["email", {}, "text", d.email]));
        }
        None => {
            redacted.push(redaction(
                "Registrant Phone",
                "removal",
                "prePath",
                format!("{vcard}[?(@[0]=='tel')]"),
            ));
            redacted.push(redaction(
                "Registrant Email",
                "removal",
                "prePath",
                format!("{vcard}[?(@[0]=='email')]"),
            ));
        }
    }
    let mut entity = json!({
        "objectClassName": "entity",
        "roles": ["registrant"],
        "vcardArray": ["vcard", properties],
        "remarks": [{
            "title": "REDACTED FOR PRIVACY",
            "type": "object redacted due to authorization",
            "description": ["Some of the data in this object has been removed."]
        }]
    });
    if with_handle {
        entity["handle"] = json!(registrant.handle);
        entity["links"] = self_link(&format!(
            "{}/entity/{}",
            settings.rdap_base_url, registrant.handle
        ));
    }
    (entity, redacted)
}

/// The registrar entity with its abuse contact (ICANN profile §2.4).
fn registrar_entity(settings: &LookupSettings) -> Value {
    json!({
        "objectClassName": "entity",
        "roles": ["registrar"],
        "vcardArray": ["vcard", [
            ["version", {}, "text", "4.0"],
            ["fn", {}, "text", settings.registrar_name]
        ]],
        "links": [{
            "value": settings.registrar_url,
            "rel": "about",
            "href": settings.registrar_url,
            "type": "text/html"
        }],
        "entities": [{
            "objectClassName": "entity",
            "roles": ["abuse"],
            "vcardArray": ["vcard", [
                ["version", {}, "text", "4.0"],
                ["fn", {}, "text", "Abuse contact"],
                ["tel", {"type": "voice"}, "uri", format!("tel:{}", settings.abuse_phone)],
                ["email", {}, "text", settings.abuse_email]
            ]]
        }]
    })
}

fn nameserver_object(ascii: &str, unicode: Option<&str>, settings: &LookupSettings) -> Value {
    let mut ns = json!({
        "objectClassName": "nameserver",
        "ldhName": ascii,
        "links": self_link(&format!("{}/nameserver/{ascii}", settings.rdap_base_url)),
    });
    if let Some(unicode) = unicode.filter(|u| *u != ascii) {
        ns["unicodeName"] = json!(unicode);
    }
    ns
}

/// The domain object answer (RFC 9083 §5.3).
pub fn domain(view: &LookupView, settings: &LookupSettings, now: Timestamp) -> Value {
    let d = &view.domain;
    let self_url = format!("{}/domain/{}", settings.rdap_base_url, d.ascii);
    let mut entities = Vec::new();
    let mut redacted = Vec::new();
    if let Some(registrant) = &view.registrant {
        let (entity, r) = registrant_entity(
            registrant,
            "$.entities[?(@.roles[0]=='registrant')]",
            false,
            settings,
        );
        entities.push(entity);
        redacted = r;
    }
    entities.push(registrar_entity(settings));
    let status: Vec<String> = d
        .statuses
        .iter()
        .chain(&d.grace_periods)
        .map(|s| status_of(s))
        .collect();
    let mut answer = json!({
        "rdapConformance": conformance(!redacted.is_empty()),
        "objectClassName": "domain",
        "handle": view.id,
        "ldhName": d.ascii,
        "status": status,
        "events": [
            event("registration", d.created_at),
            event("expiration", d.expires_at),
            event("last changed", view.updated_at),
            event("last update of RDAP database", now),
        ],
        "nameservers": d.nameservers.iter()
            .map(|ns| nameserver_object(ns, None, settings))
            .collect::<Vec<_>>(),
        "secureDNS": {"delegationSigned": false},
        "entities": entities,
        "links": self_link(&self_url),
        "port43": settings.whois_server,
        "notices": notices(settings, &self_url),
    });
    if d.name != d.ascii {
        answer["unicodeName"] = json!(d.name);
    }
    if !redacted.is_empty() {
        answer["redacted"] = json!(redacted);
    }
    answer
}

/// The nameserver object answer (RFC 9083 §5.2).
pub fn nameserver(ascii: &str, unicode: &str, settings: &LookupSettings, now: Timestamp) -> Value {
    let self_url = format!("{}/nameserver/{ascii}", settings.rdap_base_url);
    let mut answer = nameserver_object(ascii, Some(unicode), settings);
    answer["rdapConformance"] = conformance(false);
    answer["status"] = json!(["active"]);
    answer["events"] = json!([event("last update of RDAP database", now)]);
    answer["notices"] = notices(settings, &self_url);
    answer
}

/// The entity answer for a registrant handle (RFC 9083 §5.1), redacted.
pub fn entity(registrant: &PublicRegistrant, settings: &LookupSettings, now: Timestamp) -> Value {
    let self_url = format!("{}/entity/{}", settings.rdap_base_url, registrant.handle);
    let (mut answer, redacted) = registrant_entity(registrant, "$", true, settings);
    answer["rdapConformance"] = conformance(true);
    answer["events"] = json!([event("last update of RDAP database", now)]);
    answer["notices"] = notices(settings, &self_url);
    answer["redacted"] = json!(redacted);
    answer
}

/// The help answer (RFC 9083 §7).
pub fn help(settings: &LookupSettings) -> Value {
    let self_url = format!("{}/help", settings.rdap_base_url);
    let mut notices = notices(settings, &self_url);
    if let Some(list) = notices.as_array_mut() {
        list.insert(
            0,
            json!({
                "title": "Yuming RDAP",
                "description": [
                    "Queries: /rdap/domain/{name} (Unicode or A-label), /rdap/nameserver/{name}, \
                     /rdap/entity/{handle}, /rdap/help.",
                    "Rate limited per source IP; over the limit the answer is 429 with Retry-After."
                ],
                "links": [link(&self_url, "self", &self_url, CONTENT_TYPE)]
            }),
        );
    }
    json!({"rdapConformance": conformance(false), "notices": notices})
}

/// An error answer (RFC 9083 §6): `errorCode` is the HTTP status.
pub fn error(status: u16, title: &str, description: &str, settings: &LookupSettings) -> Value {
    let self_url = format!("{}/help", settings.rdap_base_url);
    json!({
        "rdapConformance": conformance(false),
        "errorCode": status,
        "title": title,
        "description": [description],
        "notices": notices(settings, &self_url),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8056_status_values() {
        for (epp, rdap) in [
            ("ok", "active"),
            ("inactive", "inactive"),
            ("clientTransferProhibited", "client transfer prohibited"),
            ("serverHold", "server hold"),
            ("pendingDelete", "pending delete"),
            ("redemptionPeriod", "redemption period"),
            ("autoRenewPeriod", "auto renew period"),
            ("addPeriod", "add period"),
        ] {
            assert_eq!(status_of(epp), rdap);
        }
    }
}
