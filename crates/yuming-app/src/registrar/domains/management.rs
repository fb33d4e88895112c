//! Changes to a registration: nameservers, locks and auto-renew, the auth code, a change of
//! registrant contact.

use serde_json::json;
use yuming_core::access::{Actor, Right};
use yuming_core::catalogue::TldPolicy;
use yuming_core::clock::Timestamp;
use yuming_core::lifecycle::{self, DomainRecord};
use yuming_core::rules::epp_status::EppStatus;
use yuming_store::DomainRow;

use super::records::{
    DomainView, apply_record, lifecycle_error, parse_nameservers, record_of, view_of,
};
use super::registration::{auth_code_context, new_auth_code, record_change};
use super::renewal::load_for_update;
use crate::registrar::RegistrarError;
use crate::registrar::catalogue as stored_catalogue;
use crate::{App, AppError, RequestContext};

/// A change to a domain's registration data (EPP `<update>`).
#[derive(Debug, Clone, Default)]
pub struct DomainUpdate {
    /// New nameservers.
    pub nameservers: Option<Vec<String>>,
    /// Registrar lock: sets or clears clientTransferProhibited, clientDeleteProhibited and
    /// clientUpdateProhibited together.
    pub locked: Option<bool>,
    /// Automatic renewal.
    pub auto_renew: Option<bool>,
}

const LOCK_FLAGS: [EppStatus; 3] = [
    EppStatus::ClientTransferProhibited,
    EppStatus::ClientDeleteProhibited,
    EppStatus::ClientUpdateProhibited,
];

pub(crate) fn status_prohibits(status: EppStatus) -> AppError {
    RegistrarError::StatusProhibits {
        status: status.as_epp(),
    }
    .into()
}

/// The lifecycle facts of a domain that may be updated at `now`: not deleted, and not under
/// the registry's update lock. (The registrar's own lock is the caller's to weigh: unlocking
/// must stay possible.)
pub(crate) fn updatable_record(
    row: &DomainRow,
    tld: &TldPolicy,
    now: Timestamp,
) -> Result<DomainRecord, AppError> {
    let record = record_of(row)?;
    let projection = lifecycle::project(&record, &tld.periods, now).map_err(lifecycle_error)?;
    if projection.phase.is_deleted() {
        return Err(RegistrarError::NotUpdatableInPhase.into());
    }
    if record.flags.contains(EppStatus::ServerUpdateProhibited) {
        return Err(status_prohibits(EppStatus::ServerUpdateProhibited));
    }
    Ok(record)
}

/// Updates nameservers, the registrar lock and automatic renewal.
pub async fn update(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    name: &str,
    change: DomainUpdate,
) -> Result<DomainView, AppError> {
    let nameservers = change
        .nameservers
        .as_deref()
        .map(parse_nameservers)
        .transpose()?;
    let catalogue = stored_catalogue::current(app).await?;
    let now = app.now();
    let mut tx = app.db().write().await?;
    let (mut row, tld) =
        load_for_update(&mut tx, &catalogue, actor, name, Right::DomainsManage).await?;
    let mut record = updatable_record(&row, tld, now)?;
    // With the registrar lock on, only unlocking (and auto-renew) is accepted.
    let unlocking = change.locked == Some(false);
    if record.flags.contains(EppStatus::ClientUpdateProhibited)
        && nameservers.is_some()
        && !unlocking
    {
        return Err(status_prohibits(EppStatus::ClientUpdateProhibited));
    }
    let before =
        json!({ "nameservers": row.nameservers, "flags": row.flags, "auto_renew": row.auto_renew });
    if let Some(locked) = change.locked {
        for flag in LOCK_FLAGS {
            if locked {
                record.flags.insert(flag).map_err(lifecycle_error)?;
            } else {
                record.flags.remove(flag);
            }
        }
    }
    if let Some(auto_renew) = change.auto_renew {
        record.auto_renew = auto_renew;
    }
    apply_record(&mut row, &record);
    if let Some(servers) = &nameservers {
        row.nameservers = servers.join(",");
    }
    row.updated_at = now.0;
    app.registry(&tld.registry)?.update(&mut tx, &row).await?;
    let after =
        json!({ "nameservers": row.nameservers, "flags": row.flags, "auto_renew": row.auto_renew });
    record_change(
        app,
        &mut tx,
        ctx,
        actor,
        &row,
        "domain.update",
        None,
        before,
        after,
        now,
    )
    .await?;
    let view = view_of(&mut tx, &row, tld, now).await?;
    tx.commit().await?;
    Ok(view)
}

/// The domain's auth code (transfer secret), optionally replaced by a new one first.
pub async fn auth_code(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    name: &str,
    reset: bool,
) -> Result<String, AppError> {
    let catalogue = stored_catalogue::current(app).await?;
    let now = app.now();
    let mut tx = if reset {
        app.db().write().await?
    } else {
        app.db().read().await?
    };
    let (mut row, tld) =
        load_for_update(&mut tx, &catalogue, actor, name, Right::DomainsManage).await?;
    let code = if reset {
        let code = new_auth_code();
        row.auth_code_sealed = app
            .cipher()
            .seal(code.as_bytes(), &auth_code_context(&row.id));
        row.updated_at = now.0;
        app.registry(&tld.registry)?.update(&mut tx, &row).await?;
        // The new code itself is never recorded.
        let nothing = serde_json::Value::Null;
        record_change(
            app,
            &mut tx,
            ctx,
            actor,
            &row,
            "domain.auth_code_reset",
            None,
            nothing.clone(),
            nothing,
            now,
        )
        .await?;
        code
    } else {
        let plain = app
            .cipher()
            .open(&row.auth_code_sealed, &auth_code_context(&row.id))
            .map_err(|e| AppError::internal(format!("auth code: {e}")))?;
        String::from_utf8(plain).map_err(|_| AppError::internal("auth code is not UTF-8"))?
    };
    tx.commit().await?;
    Ok(code)
}

/// Changes the registrant (过户 inside one tenant or to another of its contacts): the new
/// holder's real name must be verified (spec §3.1 RN-5/RN-6), and update locks apply.
pub async fn change_registrant(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    name: &str,
    contact_id: &str,
) -> Result<DomainView, AppError> {
    let catalogue = stored_catalogue::current(app).await?;
    let now = app.now();
    let mut tx = app.db().write().await?;
    let (mut row, tld) =
        load_for_update(&mut tx, &catalogue, actor, name, Right::DomainsManage).await?;
    let record = updatable_record(&row, tld, now)?;
    if record.flags.contains(EppStatus::ClientUpdateProhibited) {
        return Err(status_prohibits(EppStatus::ClientUpdateProhibited));
    }
    crate::registrar::contacts::require_verified(app, &mut tx, actor, contact_id).await?;
    let before = json!({ "registrant_contact_id": row.registrant_contact_id });
    row.registrant_contact_id = contact_id.to_owned();
    row.updated_at = now.0;
    app.registry(&tld.registry)?.update(&mut tx, &row).await?;
    let after = json!({ "registrant_contact_id": row.registrant_contact_id });
    record_change(
        app,
        &mut tx,
        ctx,
        actor,
        &row,
        "domain.registrant_change",
        None,
        before,
        after,
        now,
    )
    .await?;
    let view = view_of(&mut tx, &row, tld, now).await?;
    tx.commit().await?;
    Ok(view)
}
