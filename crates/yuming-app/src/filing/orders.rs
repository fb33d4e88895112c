//! Filing orders: created from an entity and site, read, updated while a draft, and the authority's
//! operation-type lookup.

use serde_json::Value;
use yuming_core::access::{Actor, Right};
use yuming_core::filing::{self, AuthorityLookup, Operation, OrderEvent, OrderStatus, rule};
use yuming_store::FilingOrderRow;

use crate::filing::FilingError;
use crate::platform::audit::{self, Change};
use crate::platform::crypto::new_id;
use crate::{App, AppError, RequestContext};

use super::access::{authorized_entity, authorized_order};
use super::forms::Payload;
use super::rules::rules_for;
use super::sealing::{
    cert_key, entity_context, open_json, order_context, order_summary, order_view, seal_json,
    site_context,
};
use super::shape::{
    authority_error, check_entity_shape, check_site_shape, concurrent, parse_id_type,
    transition_error,
};
use super::transitions::transition;
use super::views::OrderView;

/// A new order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrderInput {
    /// §1.2 key.
    pub operation: String,
    /// The entity.
    pub entity_id: String,
    /// The site, for operations that carry one.
    pub site_id: Option<String>,
}

/// Creates a draft order. The entity's lock (one non-final order, R-OP-1) is taken here.
pub async fn create_order(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    input: &NewOrderInput,
) -> Result<OrderView, AppError> {
    create_order_with_lock(app, ctx, actor, input, None).await
}

/// The entity lock is held by the entity's id (R-OP-1); the orders of one batch filing hold
/// `<entity>#<batch>#<n>` together instead, and the batch checks beforehand that the entity
/// has no order in progress.
pub(crate) async fn create_order_with_lock(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    input: &NewOrderInput,
    batch_lock: Option<String>,
) -> Result<OrderView, AppError> {
    let mut tx = app.db().write().await?;
    let entity = authorized_entity(&mut tx, actor, &input.entity_id, Right::IcpManage).await?;
    // Under the entity's row lock: no other order (a single one, or another batch) may be
    // in progress; a batch's own siblings may.
    tx.lock_filing_entity(&entity.id).await?;
    let siblings = batch_lock.as_deref().and_then(|lock| {
        lock.rsplit_once('#')
            .map(|(prefix, _)| format!("{prefix}#"))
    });
    if tx
        .filing_entity_has_open_order(&entity.id, siblings.as_deref())
        .await?
    {
        return Err(order_conflict());
    }
    let operation = Operation::parse(&input.operation)
        .ok_or_else(|| AppError::from(FilingError::InvalidOperation))?;
    let filed = entity.status == "filed";
    if entity.status == "cancelled" || (operation.needs_existing_filing() && !filed) {
        return Err(FilingError::EntityNotFiled.into());
    }
    if operation == Operation::First && filed {
        return Err(FilingError::AlreadyFiled.into());
    }
    let site = match (&input.site_id, operation.has_site()) {
        (Some(site_id), true) => {
            let site = tx
                .filing_site(site_id)
                .await?
                .filter(|s| s.entity_id == entity.id)
                .ok_or_else(AppError::not_found)?;
            let want_filed = !operation.creates_site() && operation != Operation::AddAccess;
            if (site.status == "filed") != want_filed || site.status == "cancelled" {
                return Err(FilingError::SiteState { want_filed }.into());
            }
            Some(site)
        }
        (None, true) => {
            return Err(FilingError::SiteRequired.into());
        }
        (_, false) => None,
    };
    let payload = Payload {
        entity: open_json(app, &entity.data_sealed, &entity_context(&entity.id))?,
        site: match &site {
            Some(s) => Some(open_json(app, &s.data_sealed, &site_context(&s.id))?),
            None => None,
        },
    };
    let now = app.now();
    let id = new_id("for");
    let row = FilingOrderRow {
        id: id.clone(),
        owner_id: entity.owner_id.clone(),
        entity_id: entity.id.clone(),
        site_id: site.as_ref().map(|s| s.id.clone()),
        operation: operation.as_str().to_owned(),
        status: OrderStatus::Draft.as_str().to_owned(),
        lock_key: Some(batch_lock.unwrap_or_else(|| entity.id.clone())),
        payload_sealed: seal_json(app, &payload, &order_context(&id))?,
        rejected_fields: "[]".into(),
        claimed_by: None,
        authority_ticket: None,
        submitted_at: None,
        created_at: now.0,
        updated_at: now.0,
    };
    tx.insert_filing_order(&row, &actor.account_id)
        .await
        .map_err(|e| {
            if e.is_conflict_on("lock_key") {
                order_conflict()
            } else {
                e.into()
            }
        })?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "filing.order.create",
            object_type: "filing_order",
            object_id: &id,
            tenant: &row.owner_id,
            before: Value::Null,
            after: order_summary(&row),
        },
    )
    .await?;
    tx.commit().await?;
    order_view(app, &row, false)
}

/// Opens an order on a filed site — 变更网站, 注销网站 or 取消接入 (or 新增接入 of a site
/// filed elsewhere) — for the site's own entity.
pub async fn create_site_order(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    site_id: &str,
    operation: &str,
) -> Result<OrderView, AppError> {
    let entity_id = {
        let mut tx = app.db().read().await?;
        let site = tx
            .filing_site(site_id)
            .await?
            .ok_or_else(AppError::not_found)?;
        tx.commit().await?;
        site.entity_id
    };
    // The entity is authorised there: another tenant's site is not found.
    let input = NewOrderInput {
        operation: operation.to_owned(),
        entity_id,
        site_id: Some(site_id.to_owned()),
    };
    create_order(app, ctx, actor, &input).await
}

/// Changes some fields of the order's proposed data by dotted path (`site.name`,
/// `site.principal.mobile`, `site.servers`, …), as a form edits them, leaving the others
/// (and the unmasked document numbers) as they are; the same checks as [`update_order`]
/// decide which fields may change now.
pub async fn update_order_fields(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
    changes: &[(String, Value)],
) -> Result<OrderView, AppError> {
    let payload: Payload = {
        let mut tx = app.db().read().await?;
        let row = authorized_order(&mut tx, actor, id, Right::IcpManage).await?;
        tx.commit().await?;
        open_json(app, &row.payload_sealed, &order_context(&row.id))?
    };
    let mut json = serde_json::to_value(&payload).map_err(|e| AppError::internal(e.to_string()))?;
    for (path, value) in changes {
        let unknown = || {
            AppError::from(FilingError::UnknownField {
                field: path.clone(),
            })
        };
        let slot = path
            .split('.')
            .try_fold(&mut json, |node, key| node.get_mut(key))
            .ok_or_else(unknown)?;
        *slot = value.clone();
    }
    let changed: Payload = serde_json::from_value(json).map_err(|_| {
        let field = changes.first().map(|(p, _)| p.clone()).unwrap_or_default();
        AppError::from(FilingError::InvalidFieldValue { field })
    })?;
    if changed == payload {
        return get_order(app, actor, id).await;
    }
    update_order(app, ctx, actor, id, &changed).await
}

pub(super) fn order_conflict() -> AppError {
    AppError::from(FilingError::OrderConflict)
}

/// One order (numbers masked).
pub async fn get_order(app: &App, actor: &Actor, id: &str) -> Result<OrderView, AppError> {
    let mut tx = app.db().read().await?;
    let row = authorized_order(&mut tx, actor, id, Right::IcpManage).await?;
    tx.commit().await?;
    order_view(app, &row, false)
}

/// The actor's orders, newest first.
pub async fn list_orders(app: &App, actor: &Actor) -> Result<Vec<OrderView>, AppError> {
    actor.require(Right::IcpManage)?;
    let mut tx = app.db().read().await?;
    let rows = tx.filing_orders_of_owner(&actor.tenant_id).await?;
    tx.commit().await?;
    rows.iter().map(|r| order_view(app, r, false)).collect()
}

/// Flattens a JSON document into `path → leaf` pairs (`entity.principal.mobile`).
fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&path, v, out);
            }
        }
        other => out.push((prefix.to_owned(), other.clone())),
    }
}

/// Replaces the order's proposed data. Every changed field must be editable now: all but
/// the frozen ones while filling, only the rejected ones after a rejection (R-OP-3, §1.3).
pub async fn update_order(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
    payload: &Payload,
) -> Result<OrderView, AppError> {
    let mut tx = app.db().write().await?;
    let mut row = authorized_order(&mut tx, actor, id, Right::IcpManage).await?;
    let view = order_view(app, &row, true)?;
    check_entity_shape(&payload.entity)?;
    let mut payload = payload.clone();
    match (&mut payload.site, view.payload.site.is_some()) {
        (Some(site), true) => site.domain = check_site_shape(site)?,
        (None, false) => {}
        _ => {
            return Err(FilingError::SiteMismatch.into());
        }
    }
    let as_json =
        |p: &Payload| serde_json::to_value(p).map_err(|e| AppError::internal(e.to_string()));
    let (mut before, mut after) = (Vec::new(), Vec::new());
    flatten("", &as_json(&view.payload)?, &mut before);
    flatten("", &as_json(&payload)?, &mut after);
    let old: std::collections::BTreeMap<_, _> = before.into_iter().collect();
    let new: std::collections::BTreeMap<_, _> = after.into_iter().collect();
    let mut changed: Vec<&String> = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .map(|(k, _)| k)
        .collect();
    changed.extend(old.keys().filter(|k| !new.contains_key(*k)));
    for field in changed {
        if !view.operation.may_change(field) {
            return Err(FilingError::FieldOutsideOperation {
                field: field.clone(),
                operation: view.operation.as_str(),
                operation_zh: view.operation.label_zh(),
            }
            .into());
        }
        if !filing::field_editable(view.status, &view.rejected_fields, field) {
            return Err(FilingError::FieldLocked {
                field: field.clone(),
                status: view.status.as_str(),
                status_zh: view.status.label_zh(),
            }
            .into());
        }
    }
    let expected = row.status.clone();
    row.payload_sealed = seal_json(app, &payload, &order_context(&row.id))?;
    row.updated_at = app.now().0;
    if !tx
        .update_filing_order(&row, &expected, &actor.account_id, None)
        .await?
    {
        return Err(concurrent());
    }
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "filing.order.update",
            object_type: "filing_order",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: Value::Null,
            after: order_summary(&row),
        },
    )
    .await?;
    tx.commit().await?;
    order_view(app, &row, false)
}

/// Asks the authority what is filed for the order's certificate and domain (none for
/// operations on filed data).
pub(super) async fn authority_lookup(
    app: &App,
    operation: Operation,
    payload: &Payload,
) -> Result<Option<AuthorityLookup>, AppError> {
    if !(operation.creates_site() || operation == Operation::AddAccess) {
        return Ok(None);
    }
    let today = app.now().date();
    let cert_type = parse_id_type(&payload.entity.cert_type, "entity.cert_type")?;
    let key = cert_key(cert_type, &payload.entity.cert_no, today);
    let domain = payload.site.as_ref().map(|s| s.domain.as_str());
    app.filing_authority()
        .lookup(&key, domain)
        .await
        .map(Some)
        .map_err(authority_error)
}

/// 验证备案类型: determines the filing type with the authority (§1.3). The declared
/// operation must match it; then the verified fields freeze (DRAFT → FILLING).
pub async fn verify_type(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
) -> Result<OrderView, AppError> {
    let view = get_order(app, actor, id).await?;
    let mut tx = app.db().read().await?;
    let row = authorized_order(&mut tx, actor, id, Right::IcpManage).await?;
    tx.commit().await?;
    let unmasked = order_view(app, &row, true)?;
    view.status
        .apply(OrderEvent::VerifyType)
        .map_err(transition_error)?;
    if let Some(lookup) = authority_lookup(app, view.operation, &unmasked.payload).await? {
        let mut tx = app.db().read().await?;
        let rules = rules_for(&mut tx, &unmasked.payload, app.now()).await?;
        tx.commit().await?;
        let determined = filing::determine_type(&lookup, rules.flag(rule::EMPTY_SHELL_ADD_OK))
            .and_then(|op| filing::check_declared_type(view.operation, op).map(|()| op));
        if let Err(code) = determined {
            return Err(FilingError::FilingTypeMismatch {
                operation: view.operation.as_str(),
                reason: code.as_str(),
            }
            .into());
        }
    }
    transition(
        app,
        ctx,
        actor,
        id,
        OrderEvent::VerifyType,
        Right::IcpManage,
        None,
        |_| Ok(()),
    )
    .await
}
