//! Registrant contacts of the caller's tenant, submitted for real-name verification.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use yuming_app::registrar::contacts::{self, AddressFields, NewContactInput};

use crate::dto::{
    ContactCreateRequest, ContactDto, ContactList, ContactListQuery, DisclosureDto, ErrorBody,
};
use crate::extract::{ApiJson, ApiQuery, Auth, Ctx};
use crate::{ApiError, AppState};

/// Submits a registrant contact; it stays `pending` until a reviewer decides.
#[utoipa::path(post, path = "/api/v1/contacts", tag = "contacts", security(("bearer" = []), ("api_key" = [])),
    request_body = ContactCreateRequest,
    responses((status = 201, body = ContactDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<ContactCreateRequest>,
) -> Result<(StatusCode, Json<ContactDto>), ApiError> {
    let input = NewContactInput {
        kind: body.kind,
        name: body.name,
        id_type: body.id_type,
        id_number: body.id_number,
        email: body.email,
        phone: body.phone,
        address: AddressFields {
            country: body.address.country,
            province: body.address.province,
            city: body.address.city,
            street: body.address.street,
            postal_code: body.address.postal_code,
        },
    };
    let contact = contacts::create(&state.app, &ctx, &actor, &input).await?;
    Ok((StatusCode::CREATED, Json(contact.into())))
}

/// Lists the tenant's contacts, newest first.
#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts", security(("bearer" = []), ("api_key" = [])),
    params(ContactListQuery),
    responses((status = 200, body = ContactList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(query): ApiQuery<ContactListQuery>,
) -> Result<Json<ContactList>, ApiError> {
    let listing = contacts::list(
        &state.app,
        &actor,
        query.cursor.as_deref(),
        query.limit.unwrap_or(50),
    )
    .await?;
    Ok(Json(ContactList {
        contacts: listing.contacts.into_iter().map(ContactDto::from).collect(),
        next_cursor: listing.next_cursor,
    }))
}

/// One contact of the tenant.
#[utoipa::path(get, path = "/api/v1/contacts/{id}", tag = "contacts", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "contact id")),
    responses((status = 200, body = ContactDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<ContactDto>, ApiError> {
    Ok(Json(contacts::get(&state.app, &actor, &id).await?.into()))
}

/// Whether the contact consented to WHOIS/RDAP showing its name, e-mail and phone.
#[utoipa::path(get, path = "/api/v1/contacts/{id}/disclosure", tag = "contacts", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "contact id")),
    responses((status = 200, body = DisclosureDto), (status = 404, body = ErrorBody)))]
pub async fn disclosure(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<DisclosureDto>, ApiError> {
    let disclose = contacts::disclosure(&state.app, &actor, &id).await?;
    Ok(Json(DisclosureDto { disclose }))
}

/// Gives or withdraws the consent: with `disclose: true`, WHOIS and RDAP show the name,
/// e-mail and phone (never the identity number or street address); the default is redacted.
#[utoipa::path(put, path = "/api/v1/contacts/{id}/disclosure", tag = "contacts", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "contact id")), request_body = DisclosureDto,
    responses((status = 200, body = DisclosureDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn set_disclosure(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DisclosureDto>,
) -> Result<Json<DisclosureDto>, ApiError> {
    let disclose = contacts::set_disclosure(&state.app, &ctx, &actor, &id, body.disclose).await?;
    Ok(Json(DisclosureDto { disclose }))
}
