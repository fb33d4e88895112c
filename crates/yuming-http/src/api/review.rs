//! Reviewers' queues: real-name verification of registrant contacts.

use axum::Json;
use axum::extract::{Path, State};
use yuming_app::registrar::contacts;

use crate::dto::{
    ContactDocumentDto, ContactListQuery, ErrorBody, ReviewContactDto, ReviewContactList,
    ReviewDecisionRequest,
};
use crate::extract::{ApiJson, ApiQuery, Auth, Ctx};
use crate::{ApiError, AppState};

/// Contacts waiting for real-name review, oldest first (reviewers).
#[utoipa::path(get, path = "/api/v1/review/contacts", tag = "review", security(("bearer" = []), ("api_key" = [])),
    params(ContactListQuery),
    responses((status = 200, body = ReviewContactList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn contact_queue(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(query): ApiQuery<ContactListQuery>,
) -> Result<Json<ReviewContactList>, ApiError> {
    let listing = contacts::review_queue(
        &state.app,
        &actor,
        query.cursor.as_deref(),
        query.limit.unwrap_or(50),
    )
    .await?;
    Ok(Json(ReviewContactList {
        contacts: listing
            .contacts
            .into_iter()
            .map(ReviewContactDto::from)
            .collect(),
        next_cursor: listing.next_cursor,
    }))
}

/// A contact's unmasked document, address and history (reviewers; every call is audited).
#[utoipa::path(get, path = "/api/v1/review/contacts/{id}", tag = "review", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "contact id")),
    responses((status = 200, body = ContactDocumentDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn contact_document(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<ContactDocumentDto>, ApiError> {
    let document = contacts::get_unmasked(&state.app, &ctx, &actor, &id).await?;
    Ok(Json(document.into()))
}

/// Approves or rejects a pending contact (reviewers); a rejection needs a reason.
#[utoipa::path(post, path = "/api/v1/review/contacts/{id}/decision", tag = "review", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "contact id")), request_body = ReviewDecisionRequest,
    responses((status = 200, body = ReviewContactDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn contact_decision(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReviewDecisionRequest>,
) -> Result<Json<ReviewContactDto>, ApiError> {
    let seen = body
        .seen
        .as_deref()
        .map(|s| crate::api::filing::parse_time(s, "seen"))
        .transpose()?;
    let contact = contacts::decide_seen(
        &state.app,
        &ctx,
        &actor,
        &id,
        body.decision.as_deref().unwrap_or_default(),
        body.reason.as_deref(),
        seen,
    )
    .await?;
    Ok(Json(contact.into()))
}

/// Domains held for a naming review, oldest first (reviewers).
#[utoipa::path(get, path = "/api/v1/review/domains", tag = "review", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = crate::dto::DomainList), (status = 403, body = ErrorBody)))]
pub async fn domain_queue(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<crate::dto::DomainList>, ApiError> {
    let views =
        yuming_app::registrar::domains::naming_review_queue(&state.app, &actor, 100).await?;
    Ok(Json(crate::dto::DomainList {
        domains: views.into_iter().map(crate::dto::DomainDto::from).collect(),
    }))
}

/// Approves a held name, or rejects it: the registration is deleted and refunded in full.
#[utoipa::path(post, path = "/api/v1/review/domains/{name}/decision", tag = "review", security(("bearer" = []), ("api_key" = [])),
    params(("name" = String, Path, description = "domain name")), request_body = ReviewDecisionRequest,
    responses((status = 200, body = crate::dto::NamingDecisionDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn domain_decision(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<ReviewDecisionRequest>,
) -> Result<Json<crate::dto::NamingDecisionDto>, ApiError> {
    let view = yuming_app::registrar::domains::decide_naming_review(
        &state.app,
        &ctx,
        &actor,
        &name,
        body.decision.as_deref(),
        body.reason.as_deref(),
    )
    .await?;
    Ok(Json(crate::dto::NamingDecisionDto {
        approved: view.is_some(),
        domain: view.map(crate::dto::DomainDto::from),
    }))
}
