//! Registrant contacts of the caller's tenant, submitted for real-name verification.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use yuming_app::registrar::contact_documents;
use yuming_app::registrar::contacts::{self, AddressFields, NewContactInput};

use crate::api::filing::{image_response, read_upload};
use crate::dto::{
    ContactCreateRequest, ContactDto, ContactImageDto, ContactImagesDto, ContactList,
    ContactListQuery, DisclosureDto, ErrorBody,
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

/// The contact's identity document images: the kinds its document type needs, which are
/// missing, and every upload (the contact's tenant, or a reviewer).
#[utoipa::path(get, path = "/api/v1/contacts/{id}/documents", tag = "contacts", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "contact id")),
    responses((status = 200, body = ContactImagesDto), (status = 404, body = ErrorBody)))]
pub async fn documents(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<ContactImagesDto>, ApiError> {
    Ok(Json(
        contact_documents::list(&state.app, &actor, &id)
            .await?
            .into(),
    ))
}

/// Uploads an identity document image of a contact waiting for review: the raw JPEG or PNG
/// as the body. `kind` is one of the document type's kinds (`id_front` and `id_back` for
/// cards and permits, `id_front` for a passport's photo page, `business_licence` for an
/// organisation). The image rules of filing materials apply (≤ 5 MB, ≥ 300 dpi where stated,
/// else the pixels of a 300 dpi scan, colour). A re-upload of a kind replaces it.
#[utoipa::path(post, path = "/api/v1/contacts/{id}/documents/{kind}", tag = "contacts", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "contact id"),
        ("kind" = String, Path, description = "id_front, id_back or business_licence")),
    request_body(content = Vec<u8>, content_type = "image/jpeg", description = "the file (image/png also accepted)"),
    responses((status = 201, body = ContactImageDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "`MATERIALS_BUSY`: too many images being checked; retry after `Retry-After` seconds")))]
pub async fn upload_document(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path((id, kind)): Path<(String, String)>,
    body: Body,
) -> Result<(StatusCode, Json<ContactImageDto>), ApiError> {
    let bytes = read_upload(body).await?;
    let view = contact_documents::upload(&state.app, &ctx, &actor, &id, &kind, bytes).await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// An identity document image (the contact's tenant, or a reviewer: each fetch by staff is
/// recorded in the audit log).
#[utoipa::path(get, path = "/api/v1/contacts/{id}/documents/{document_id}/content", tag = "contacts", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "contact id"), ("document_id" = String, Path, description = "document id")),
    responses((status = 200, content_type = "image/jpeg", description = "the image"), (status = 404, body = ErrorBody)))]
pub async fn document_content(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path((id, document_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (content_type, bytes) =
        contact_documents::content(&state.app, &ctx, &actor, &id, &document_id).await?;
    Ok(image_response(&content_type, bytes))
}
