//! Writing and reading the audit log.

use serde_json::Value;
use yuming_core::access::{Actor, Right};
use yuming_core::audit::ChainBreak;
use yuming_core::clock::Timestamp;
use yuming_store::{NewAuditEntry, StoredAuditEntry, Tx};

use crate::{App, AppError, RequestContext};

/// One state change to record.
pub(crate) struct Change<'a> {
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: &'a str,
    pub tenant: &'a str,
    pub before: Value,
    pub after: Value,
}

/// Appends the audit entry of `change` inside the use case's transaction. Call it as the
/// last write before commit.
pub(crate) async fn record(
    app: &App,
    tx: &mut Tx,
    ctx: &RequestContext,
    actor: &str,
    change: Change<'_>,
) -> Result<(), AppError> {
    let entry = NewAuditEntry {
        actor: actor.to_owned(),
        tenant: change.tenant.to_owned(),
        action: change.action.to_owned(),
        object_type: change.object_type.to_owned(),
        object_id: change.object_id.to_owned(),
        request_id: ctx.request_id.clone(),
        client_request_id: ctx.client_request_id.clone(),
        before: summary(&change.before),
        after: summary(&change.after),
    };
    tx.append_audit(&entry, app.now()).await?;
    crate::platform::idempotency::mark_effect(
        app,
        tx,
        ctx,
        change.action,
        change.object_type,
        change.object_id,
    )
    .await?;
    Ok(())
}

fn summary(value: &Value) -> String {
    if value.is_null() {
        String::new()
    } else {
        value.to_string()
    }
}

/// One audit entry as the entry points show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntryView {
    /// Position in the chain.
    pub seq: i64,
    /// Commit time.
    pub at: Timestamp,
    /// Acting account.
    pub actor: String,
    /// Owning tenant (empty for platform objects).
    pub tenant: String,
    /// Action name.
    pub action: String,
    /// Object kind.
    pub object_type: String,
    /// Object id.
    pub object_id: String,
    /// Request id.
    pub request_id: String,
    /// The client's request id (empty when it sent none).
    pub client_request_id: String,
    /// Summary before (JSON text, empty when there was nothing).
    pub before: String,
    /// Summary after (JSON text, empty when nothing is left).
    pub after: String,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl AuditEntryView {
    /// The hash its fields give (equal to [`AuditEntryView::hash`] unless altered).
    pub fn recomputed_hash(&self) -> String {
        yuming_core::audit::AuditEntry {
            seq: self.seq,
            at: self.at,
            actor: self.actor.clone(),
            tenant: self.tenant.clone(),
            action: self.action.clone(),
            object_type: self.object_type.clone(),
            object_id: self.object_id.clone(),
            request_id: self.request_id.clone(),
            client_request_id: self.client_request_id.clone(),
            before: self.before.clone(),
            after: self.after.clone(),
            prev_hash: self.prev_hash.clone(),
        }
        .compute_hash()
    }
}

impl From<StoredAuditEntry> for AuditEntryView {
    fn from(e: StoredAuditEntry) -> Self {
        AuditEntryView {
            seq: e.seq,
            at: Timestamp(e.at),
            actor: e.actor,
            tenant: e.tenant,
            action: e.action,
            object_type: e.object_type,
            object_id: e.object_id,
            request_id: e.request_id,
            client_request_id: e.client_request_id,
            before: e.before_summary,
            after: e.after_summary,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

/// A page of audit entries visible to the actor, newest first.
pub struct AuditListing {
    /// The entries.
    pub entries: Vec<AuditEntryView>,
    /// Cursor for the next page.
    pub next_before_seq: Option<i64>,
}

/// Lists audit entries: a customer sees its tenant's, staff with the right see all.
pub async fn list(
    app: &App,
    actor: &Actor,
    before_seq: Option<i64>,
    limit: i64,
) -> Result<AuditListing, AppError> {
    actor.require(Right::AuditRead)?;
    let tenant = if actor.role.is_staff() {
        None
    } else {
        Some(actor.tenant_id.as_str())
    };
    let mut tx = app.db().read().await?;
    let page = tx.audit_page(tenant, before_seq, limit).await?;
    tx.commit().await?;
    Ok(AuditListing {
        entries: page.entries.into_iter().map(AuditEntryView::from).collect(),
        next_before_seq: page.next_before_seq,
    })
}

/// What an audit search looks for; empty parts match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// The owning tenant (staff only: a customer always searches its own).
    pub tenant: String,
    /// The acting account.
    pub actor: String,
    /// The action or its beginning, e.g. `contact.` or `account.credit`.
    pub action: String,
    /// The object's id (a domain, a contact, an order…).
    pub object_id: String,
}

/// Searches the audit log, newest first: staff across tenants, a customer in its own.
pub async fn search(
    app: &App,
    actor: &Actor,
    query: &AuditQuery,
    before_seq: Option<i64>,
    limit: i64,
) -> Result<AuditListing, AppError> {
    actor.require(Right::AuditRead)?;
    let given = |s: &str| {
        let s = s.trim();
        (!s.is_empty()).then(|| s.to_owned())
    };
    let tenant = if actor.role.is_staff() {
        given(&query.tenant)
    } else {
        Some(actor.tenant_id.clone())
    };
    let (who, action, object) = (
        given(&query.actor),
        given(&query.action),
        given(&query.object_id),
    );
    let filter = yuming_store::AuditFilter {
        tenant: tenant.as_deref(),
        actor: who.as_deref(),
        action_prefix: action.as_deref(),
        object_id: object.as_deref(),
    };
    let mut tx = app.db().read().await?;
    let page = tx.audit_search(&filter, before_seq, limit).await?;
    tx.commit().await?;
    Ok(AuditListing {
        entries: page.entries.into_iter().map(AuditEntryView::from).collect(),
        next_before_seq: page.next_before_seq,
    })
}

/// Verifies the whole hash chain: the number of intact entries, or the first bad one.
pub async fn verify(app: &App) -> Result<Result<i64, ChainBreak>, AppError> {
    let mut tx = app.db().read().await?;
    let outcome = tx.verify_audit_chain().await?;
    tx.commit().await?;
    Ok(outcome)
}
