//! Personal data at rest: the one-time conversion of what releases before migration 0018
//! stored in clear.
//!
//! Contact e-mails and phones, filing principals' mobiles and e-mails, the sandbox
//! authority's certificate keys and mobiles and the mobiles of SMS notices are sealed or
//! replaced by keyed blind indexes when written (see each module). Rows an older release
//! wrote still hold them in plaintext columns; [`seal_legacy_plaintext`] converts them and
//! empties those columns. It needs the master key, so it runs when the application is built
//! (every `yuming` command that opens the application, `serve` first of all), after the
//! migrations; it is idempotent and safe on several instances at once (each row is updated
//! only while it is still unconverted).

use crate::filing::authority::{SANDBOX_CERT_INDEX, SANDBOX_MOBILE_INDEX, ticket_cert_context};
use crate::filing::{EMAIL_INDEX, MOBILE_INDEX, normal_email, normal_mobile};
use crate::{App, AppError};

/// Rows converted per transaction.
const BATCH: i64 = 200;

/// How many rows [`seal_legacy_plaintext`] converted, per kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SealReport {
    /// Contacts (e-mail and phone sealed).
    pub contacts: usize,
    /// Contacts whose phone was given its blind index.
    pub contact_phones: usize,
    /// Filing entities and sites (principal's mobile and e-mail indexed).
    pub filing_principals: usize,
    /// Sandbox authority tickets, filed subjects and text messages.
    pub sandbox_rows: usize,
    /// SMS notices in the outbox.
    pub sms_notices: usize,
}

impl SealReport {
    /// Every converted row.
    pub fn total(&self) -> usize {
        self.contacts
            + self.contact_phones
            + self.filing_principals
            + self.sandbox_rows
            + self.sms_notices
    }
}

/// Seals or indexes every value an older release stored in clear and empties the plaintext
/// columns; on SQLite the file is then compacted so that the old bytes do not linger in free
/// pages or the WAL. Returns what it converted (all zero once done).
pub async fn seal_legacy_plaintext(app: &App) -> Result<SealReport, AppError> {
    let cipher = app.cipher();
    let mut report = SealReport::default();
    loop {
        let mut tx = app.db().write().await?;
        let rows = tx.contacts_in_clear(BATCH).await?;
        if rows.is_empty() {
            break;
        }
        for (id, email, phone) in &rows {
            let email_sealed = cipher.seal(
                email.as_bytes(),
                &crate::registrar::contacts::email_context(id),
            );
            let phone_sealed = cipher.seal(
                phone.as_bytes(),
                &crate::registrar::contacts::phone_context(id),
            );
            if tx
                .seal_contact_in_clear(id, &email_sealed, &phone_sealed)
                .await?
            {
                report.contacts += 1;
            }
        }
        tx.commit().await?;
    }
    // Contacts written before their phones were indexed (migration 0037).
    loop {
        let mut tx = app.db().write().await?;
        let rows = tx.contacts_without_phone_index(BATCH).await?;
        if rows.is_empty() {
            break;
        }
        for (id, sealed) in &rows {
            let phone = cipher
                .open(sealed, &crate::registrar::contacts::phone_context(id))
                .map_err(|e| AppError::internal(format!("contact {id} phone: {e}")))?;
            let phone = String::from_utf8(phone)
                .map_err(|_| AppError::internal(format!("contact {id} phone is not UTF-8")))?;
            let index = cipher.blind_index(
                &crate::registrar::contacts::normal_phone(&phone),
                crate::registrar::contacts::PHONE_INDEX,
            );
            if tx.set_contact_phone_index(id, &index).await? {
                report.contact_phones += 1;
            }
        }
        tx.commit().await?;
    }
    for sites in [false, true] {
        loop {
            let mut tx = app.db().write().await?;
            let rows = tx.filing_principals_in_clear(sites, BATCH).await?;
            if rows.is_empty() {
                break;
            }
            for (id, mobile, email) in &rows {
                let mobile_index = cipher.blind_index(&normal_mobile(mobile), MOBILE_INDEX);
                let email_index = cipher.blind_index(&normal_email(email), EMAIL_INDEX);
                if tx
                    .index_filing_principal_in_clear(sites, id, &mobile_index, &email_index)
                    .await?
                {
                    report.filing_principals += 1;
                }
            }
            tx.commit().await?;
        }
    }
    loop {
        let mut tx = app.db().write().await?;
        let rows = tx.sandbox_tickets_in_clear(BATCH).await?;
        if rows.is_empty() {
            break;
        }
        for (id, cert_key) in &rows {
            let index = cipher.blind_index(cert_key, SANDBOX_CERT_INDEX);
            let sealed = cipher.seal(cert_key.as_bytes(), &ticket_cert_context(id));
            if tx.seal_sandbox_ticket_in_clear(id, &index, &sealed).await? {
                report.sandbox_rows += 1;
            }
        }
        tx.commit().await?;
    }
    loop {
        let mut tx = app.db().write().await?;
        let keys = tx.sandbox_subjects_in_clear(BATCH).await?;
        if keys.is_empty() {
            break;
        }
        for cert_key in &keys {
            let index = cipher.blind_index(cert_key, SANDBOX_CERT_INDEX);
            tx.rekey_sandbox_subject(cert_key, &index).await?;
            report.sandbox_rows += 1;
        }
        tx.commit().await?;
    }
    loop {
        let mut tx = app.db().write().await?;
        let rows = tx.sandbox_sms_in_clear(BATCH).await?;
        if rows.is_empty() {
            break;
        }
        for (id, mobile) in &rows {
            let index = cipher.blind_index(mobile.trim(), SANDBOX_MOBILE_INDEX);
            tx.index_sandbox_sms_in_clear(*id, &index).await?;
            report.sandbox_rows += 1;
        }
        tx.commit().await?;
    }
    loop {
        let mut tx = app.db().write().await?;
        let rows = tx.sms_notices_in_clear(BATCH).await?;
        if rows.is_empty() {
            break;
        }
        for (id, recipient) in &rows {
            let sealed = crate::notify::notices::seal_recipient(cipher, id, recipient.trim());
            tx.seal_sms_notice_in_clear(id, &sealed).await?;
            report.sms_notices += 1;
        }
        tx.commit().await?;
    }
    if report.total() > 0
        && let Err(e) = app.db().compact().await
    {
        // The data is sealed either way; only the old bytes may stay in free pages until the
        // next VACUUM (e.g. another process held the database).
        tracing::warn!(error = %e, "could not compact the database after sealing personal data");
    }
    Ok(report)
}
