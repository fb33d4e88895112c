//! Batch filing: up to 50 sites of one entity in one request, one site and one order per
//! domain, with a result per item. The request as a whole is refused (nothing created) when
//! it names no site or more than 50, mixes entities, or the entity has an order in progress;
//! otherwise each item stands alone: a bad site fails its item only.
//!
//! The orders are `FIRST` for an entity not filed yet and `ADD_SITE` for a filed one. They
//! hold the entity lock together (R-OP-1 for the batch as a whole): each carries
//! `<entity>#<batch>#<n>`; every order creation checks, under the entity's row lock, that no
//! order outside its own batch is in progress, so a single order and a batch (or two
//! batches) cannot both start.

use yuming_core::access::{Actor, Right};

use super::access::authorized_entity;
use super::{NewOrderInput, SiteInput, create_order_with_lock, create_site};
use crate::filing::FilingError;
use crate::platform::crypto::new_id;
use crate::{App, AppError, RequestContext};

/// Most sites per batch.
pub const MAX_BATCH_SITES: usize = 50;

/// One site of a batch.
#[derive(Clone)]
pub struct BatchSite {
    /// The entity (all items name the same one).
    pub entity_id: String,
    /// The site.
    pub site: SiteInput,
}

/// What became of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchSiteResult {
    /// The domain as given.
    pub domain: String,
    /// The site created.
    pub site_id: Option<String>,
    /// Its order.
    pub order_id: Option<String>,
    /// The error code, when the item failed.
    pub code: Option<String>,
    /// The error message (en).
    pub message: Option<String>,
    /// The offending field, relative to the item.
    pub field: Option<String>,
}

/// The outcome of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchFiling {
    /// Batch id (in every order's lock).
    pub id: String,
    /// `FIRST` or `ADD_SITE`.
    pub operation: String,
    /// One result per item, in request order.
    pub results: Vec<BatchSiteResult>,
}

fn failed(domain: &str, error: &AppError) -> BatchSiteResult {
    BatchSiteResult {
        domain: domain.to_owned(),
        site_id: None,
        order_id: None,
        code: Some(error.code.to_owned()),
        message: Some(error.message.clone()),
        field: error.field.clone(),
    }
}

/// Files up to 50 sites of one entity.
pub async fn file_sites(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    items: &[BatchSite],
) -> Result<BatchFiling, AppError> {
    actor.require(Right::IcpManage)?;
    if items.is_empty() || items.len() > MAX_BATCH_SITES {
        return Err(FilingError::BatchSize { got: items.len() }.into());
    }
    let entity_id = items[0].entity_id.clone();
    if let Some(i) = items.iter().position(|item| item.entity_id != entity_id) {
        return Err(
            AppError::from(FilingError::MixedEntities).with_field(format!("items[{i}].entity_id"))
        );
    }
    let mut tx = app.db().write().await?;
    let entity = authorized_entity(&mut tx, actor, &entity_id, Right::IcpManage).await?;
    let busy = tx.filing_entity_has_open_order(&entity.id, None).await?;
    tx.commit().await?;
    if busy {
        return Err(super::orders::order_conflict());
    }
    let operation = if entity.status == "filed" {
        "ADD_SITE"
    } else {
        "FIRST"
    };
    let batch_id = new_id("fbt");
    let mut seen: Vec<String> = Vec::new();
    let mut results = Vec::with_capacity(items.len());
    for (n, item) in items.iter().enumerate() {
        let domain = item.site.domain.trim().to_ascii_lowercase();
        if seen.contains(&domain) {
            results.push(failed(
                &item.site.domain,
                &AppError::from(FilingError::DuplicateDomain),
            ));
            continue;
        }
        seen.push(domain);
        let site = match create_site(app, ctx, actor, &entity.id, &item.site).await {
            Ok(site) => site,
            Err(error) => {
                results.push(failed(&item.site.domain, &error));
                continue;
            }
        };
        let order = create_order_with_lock(
            app,
            ctx,
            actor,
            &NewOrderInput {
                operation: operation.to_owned(),
                entity_id: entity.id.clone(),
                site_id: Some(site.id.clone()),
            },
            Some(format!("{}#{batch_id}#{n}", entity.id)),
        )
        .await;
        results.push(match order {
            Ok(order) => BatchSiteResult {
                domain: item.site.domain.clone(),
                site_id: Some(site.id),
                order_id: Some(order.id),
                code: None,
                message: None,
                field: None,
            },
            Err(error) => BatchSiteResult {
                site_id: Some(site.id),
                ..failed(&item.site.domain, &error)
            },
        });
    }
    Ok(BatchFiling {
        id: batch_id,
        operation: operation.to_owned(),
        results,
    })
}
