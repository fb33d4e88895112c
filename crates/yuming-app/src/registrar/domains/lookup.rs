//! The public lookup view behind WHOIS and RDAP, with registrant data redacted unless the
//! registrant consented.

use yuming_core::clock::Timestamp;
use yuming_core::lifecycle::Phase;
use yuming_core::rules::domain_name::{DomainName, DomainPolicy};
use yuming_store::PublishedContact;

use super::records::{DomainView, holds, project_row, view};
use crate::registrar::RegistrarError;
use crate::registrar::catalogue as stored_catalogue;
use crate::{App, AppError};

/// The public facts of a registrant that WHOIS and RDAP may show without consent: the
/// organisation name of a legal person (not personal data), the province and the country
/// (the ICANN Temporary Specification publishes both). Everything else is redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicRegistrant {
    /// The contact id, used as the RDAP entity handle.
    pub handle: String,
    /// The organisation name, for `organization` contacts only.
    pub organization: Option<String>,
    /// Province.
    pub province: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// Name, e-mail and phone, present only when the registrant consented to disclosure.
    pub disclosed: Option<DisclosedRegistrant>,
}

/// What a registrant who consented lets lookups show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosedRegistrant {
    /// Name (person or organisation).
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Phone, EPP form.
    pub phone: String,
}

/// What WHOIS and RDAP show of a registered name: the same view the API builds (statuses and
/// holds at now) plus the registry facts a public lookup needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupView {
    /// The registrar's view at now.
    pub domain: DomainView,
    /// The registry object id (Registry Domain ID, RDAP `handle`).
    pub id: String,
    /// Last change of the registration data.
    pub updated_at: Timestamp,
    /// The registrant's public facts; `None` if the contact row is gone.
    pub registrant: Option<PublicRegistrant>,
}

fn public_registrant(
    app: &App,
    contact: &yuming_store::ContactRow,
    disclose: bool,
) -> Result<PublicRegistrant, AppError> {
    // E-mail and phone are sealed at rest: opened only when the registrant consented.
    let disclosed = if disclose {
        let (email, phone) = crate::registrar::contacts::email_and_phone(app.cipher(), contact)?;
        Some(DisclosedRegistrant {
            name: contact.name.clone(),
            email,
            phone,
        })
    } else {
        None
    };
    Ok(PublicRegistrant {
        handle: contact.id.clone(),
        organization: (contact.kind == "organization").then(|| contact.name.clone()),
        province: contact.province.clone(),
        country: contact.country.clone(),
        disclosed,
    })
}

/// Why a public lookup found nothing.
fn no_such_domain() -> AppError {
    AppError::from(RegistrarError::DomainNotFound)
}

/// Public lookup of a name (WHOIS, RDAP), Unicode or A-label, for anyone. A syntactically
/// invalid name is `INVALID_DOMAIN_NAME` (400); an unknown name, or one the lifecycle has
/// released (even before the scheduler purges it), is `DOMAIN_NOT_FOUND` (404). Names in
/// redemption or pending delete are shown with those statuses.
pub async fn lookup(app: &App, name: &str) -> Result<LookupView, AppError> {
    let parsed = DomainName::parse(name, &DomainPolicy::GENERIC).map_err(|rejection| {
        RegistrarError::InvalidDomainName {
            reason: rejection.to_string(),
        }
    })?;
    let catalogue = stored_catalogue::current(app).await?;
    let now = app.now();
    // Lone reads outside a transaction: a public lookup shows each row as it is, and every
    // RDAP and WHOIS query asks this.
    let row = app
        .db()
        .domain_by_name(parsed.value.ascii())
        .await?
        .ok_or_else(no_such_domain)?;
    let Some(tld) = catalogue.tld(&row.tld) else {
        return Err(AppError::internal(format!(
            "TLD {} left the catalogue",
            row.tld
        )));
    };
    let projection = project_row(&row, tld, now)?;
    if projection.phase == Phase::Released {
        return Err(no_such_domain());
    }
    let (contact, disclose) = match app
        .db()
        .published_contact(&row.registrant_contact_id)
        .await?
    {
        Some(PublishedContact { row, disclose }) => (Some(row), disclose),
        None => (None, false),
    };
    let verified = contact
        .as_ref()
        .is_some_and(|c| c.verification_status == "verified");
    Ok(LookupView {
        domain: view(&row, &projection, holds(&row, tld, verified, now)),
        id: row.id.clone(),
        updated_at: Timestamp(row.updated_at),
        registrant: contact
            .as_ref()
            .map(|c| public_registrant(app, c, disclose))
            .transpose()?,
    })
}

/// Whether a host name is a nameserver of any live domain (RDAP nameserver lookup). The name
/// must be a valid host name (`INVALID_NAMESERVER`, 400); unknown is `NAMESERVER_NOT_FOUND`.
/// Returns the host's A-label and Unicode forms.
pub async fn lookup_nameserver(app: &App, name: &str) -> Result<(String, String), AppError> {
    let parsed = DomainName::parse(name, &DomainPolicy::GENERIC).map_err(|rejection| {
        RegistrarError::InvalidHostName {
            reason: rejection.to_string(),
        }
    })?;
    let ascii = parsed.value.ascii().to_owned();
    let mut tx = app.db().read().await?;
    let used = tx.nameserver_in_use(&ascii).await?;
    tx.commit().await?;
    if !used {
        return Err(RegistrarError::NameserverNotFound.into());
    }
    Ok((ascii, parsed.value.unicode().to_owned()))
}

/// The public facts of a registrant contact, by handle, when it is the registrant of a live
/// domain; any other contact id is `ENTITY_NOT_FOUND`, so handles of contacts that are not
/// published cannot be probed.
pub async fn lookup_registrant(app: &App, handle: &str) -> Result<PublicRegistrant, AppError> {
    let not_found = || AppError::from(RegistrarError::EntityNotFound);
    // Handles are short opaque ids; anything longer is not one of ours.
    if handle.is_empty() || handle.len() > 64 {
        return Err(not_found());
    }
    let mut tx = app.db().read().await?;
    let published = tx.contact_is_registrant(handle).await?;
    tx.commit().await?;
    if !published {
        return Err(not_found());
    }
    // The same lone read as the domain lookup's registrant.
    let PublishedContact { row, disclose } = app
        .db()
        .published_contact(handle)
        .await?
        .ok_or_else(not_found)?;
    public_registrant(app, &row, disclose)
}
