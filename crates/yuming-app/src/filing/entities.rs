//! Filing entities (主体) and sites (网站): created by their owner, read back masked.

use serde_json::{Value, json};
use yuming_core::access::{Actor, Right};
use yuming_store::{FilingEntityRow, FilingSiteRow};

use crate::filing::FilingError;
use crate::platform::audit::{self, Change};
use crate::platform::crypto::new_id;
use crate::{App, AppError, RequestContext};

use super::access::authorized_entity;
use super::forms::{EntityInput, SiteInput};
use super::principal_indexes;
use super::sealing::{cert_digest, entity_context, seal_json, site_context};
use super::shape::{check_entity_shape, check_site_shape, masked};
use super::views::{EntityView, SiteView};

/// Creates a draft entity of the actor's tenant.
pub async fn create_entity(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    input: &EntityInput,
) -> Result<EntityView, AppError> {
    actor.require(Right::IcpManage)?;
    let (entity_type, province, cert_type) = check_entity_shape(input)?;
    let now = app.now();
    let today = now.date();
    let id = new_id("fen");
    let (principal_mobile_index, principal_email_index) = principal_indexes(app, &input.principal);
    let row = FilingEntityRow {
        id: id.clone(),
        owner_id: actor.tenant_id.clone(),
        entity_type: entity_type.as_str().to_owned(),
        province: i64::from(province),
        name: input.name.trim().to_owned(),
        cert_type: cert_type.as_str().to_owned(),
        cert_digest: cert_digest(app, cert_type, &input.cert_no, today),
        cert_masked: masked(cert_type, &input.cert_no, today),
        principal_mobile_index,
        principal_email_index,
        data_sealed: seal_json(app, input, &entity_context(&id))?,
        subject_no: None,
        status: "draft".into(),
        created_at: now.0,
        updated_at: now.0,
    };
    let mut tx = app.db().write().await?;
    tx.insert_filing_entity(&row).await?;
    let view = EntityView::from_row(&row);
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "filing.entity.create",
            object_type: "filing_entity",
            object_id: &id,
            tenant: &actor.tenant_id,
            before: Value::Null,
            after: json!({"entity_type": row.entity_type, "province": row.province,
                          "cert_masked": row.cert_masked}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// The actor's entities.
pub async fn list_entities(app: &App, actor: &Actor) -> Result<Vec<EntityView>, AppError> {
    actor.require(Right::IcpManage)?;
    let mut tx = app.db().read().await?;
    let rows = tx.filing_entities_of_owner(&actor.tenant_id).await?;
    tx.commit().await?;
    Ok(rows.iter().map(EntityView::from_row).collect())
}

/// One entity and its sites.
pub async fn get_entity(
    app: &App,
    actor: &Actor,
    id: &str,
) -> Result<(EntityView, Vec<SiteView>), AppError> {
    let mut tx = app.db().read().await?;
    let row = authorized_entity(&mut tx, actor, id, Right::IcpManage).await?;
    let sites = tx.filing_sites_of_entity(&row.id).await?;
    tx.commit().await?;
    Ok((
        EntityView::from_row(&row),
        sites.iter().map(SiteView::from_row).collect(),
    ))
}

/// Adds a draft site to an entity.
pub async fn create_site(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    entity_id: &str,
    input: &SiteInput,
) -> Result<SiteView, AppError> {
    let mut tx = app.db().write().await?;
    let entity = authorized_entity(&mut tx, actor, entity_id, Right::IcpManage).await?;
    if entity.status == "cancelled" {
        return Err(FilingError::EntityCancelled.into());
    }
    let domain = check_site_shape(input)?;
    let now = app.now();
    let id = new_id("fsi");
    let (principal_mobile_index, principal_email_index) = principal_indexes(app, &input.principal);
    let mut stored = input.clone();
    stored.domain = domain.clone();
    let row = FilingSiteRow {
        id: id.clone(),
        owner_id: entity.owner_id.clone(),
        entity_id: entity.id.clone(),
        domain,
        principal_mobile_index,
        principal_email_index,
        data_sealed: seal_json(app, &stored, &site_context(&id))?,
        site_no: None,
        status: "draft".into(),
        created_at: now.0,
        updated_at: now.0,
    };
    tx.insert_filing_site(&row).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "filing.site.create",
            object_type: "filing_site",
            object_id: &id,
            tenant: &entity.owner_id,
            before: Value::Null,
            after: json!({"entity_id": entity.id, "domain": row.domain}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(SiteView::from_row(&row))
}
