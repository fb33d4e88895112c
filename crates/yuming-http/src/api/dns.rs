//! Hosted DNS: records of a domain's zone and its master-file import/export.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use yuming_app::AppError;
use yuming_app::dns::{self, ImportMode, RecordChange};

use crate::dto::{
    DnsRecordDto, DnsRecordRequest, DnsZoneDto, ErrorBody, ZoneFileDto, ZoneHistoryDto,
};
use crate::extract::{ApiJson, Auth, Ctx};
use crate::{ApiError, AppState};

fn change_of(body: DnsRecordRequest) -> RecordChange {
    RecordChange {
        rtype: body.rtype,
        name: body.name,
        value: body.value,
        ttl: body.ttl,
        priority: body.priority,
    }
}

/// The domain's zone and its records; another tenant's domain is 404.
#[utoipa::path(get, path = "/api/v1/domains/{name}/records", tag = "dns", security(("bearer" = []), ("api_key" = [])),
    params(("name" = String, Path, description = "domain name")),
    responses((status = 200, body = DnsZoneDto), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(name): Path<String>,
) -> Result<Json<DnsZoneDto>, ApiError> {
    Ok(Json(
        dns::list_records(&state.app, &actor, &name).await?.into(),
    ))
}

/// Adds a record; the zone's serial increases.
#[utoipa::path(post, path = "/api/v1/domains/{name}/records", tag = "dns", security(("bearer" = []), ("api_key" = [])),
    params(("name" = String, Path, description = "domain name")), request_body = DnsRecordRequest,
    responses((status = 201, body = DnsRecordDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<DnsRecordRequest>,
) -> Result<(StatusCode, Json<DnsRecordDto>), ApiError> {
    let view = dns::create_record(&state.app, &ctx, &actor, &name, change_of(body)).await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// Replaces a record's content.
#[utoipa::path(put, path = "/api/v1/domains/{name}/records/{id}", tag = "dns", security(("bearer" = []), ("api_key" = [])),
    params(("name" = String, Path, description = "domain name"), ("id" = String, Path, description = "record id")),
    request_body = DnsRecordRequest,
    responses((status = 200, body = DnsRecordDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path((name, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<DnsRecordRequest>,
) -> Result<Json<DnsRecordDto>, ApiError> {
    let view = dns::update_record(&state.app, &ctx, &actor, &name, &id, change_of(body)).await?;
    Ok(Json(view.into()))
}

/// Deletes a record.
#[utoipa::path(delete, path = "/api/v1/domains/{name}/records/{id}", tag = "dns", security(("bearer" = []), ("api_key" = [])),
    params(("name" = String, Path, description = "domain name"), ("id" = String, Path, description = "record id")),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path((name, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    dns::delete_record(&state.app, &ctx, &actor, &name, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The zone as an RFC 1035 master file.
#[utoipa::path(get, path = "/api/v1/domains/{name}/zone", tag = "dns", security(("bearer" = []), ("api_key" = [])),
    params(("name" = String, Path, description = "domain name")),
    responses((status = 200, body = ZoneFileDto), (status = 404, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(name): Path<String>,
) -> Result<Json<ZoneFileDto>, ApiError> {
    Ok(Json(ZoneFileDto {
        zone_file: dns::export_zone(&state.app, &actor, &name).await?,
        mode: None,
    }))
}

/// Imports a master file, replacing the zone's records (default) or merging into them; all or
/// nothing.
#[utoipa::path(post, path = "/api/v1/domains/{name}/zone", tag = "dns", security(("bearer" = []), ("api_key" = [])),
    params(("name" = String, Path, description = "domain name")), request_body = ZoneFileDto,
    responses((status = 200, body = DnsZoneDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<ZoneFileDto>,
) -> Result<Json<DnsZoneDto>, ApiError> {
    let mode = match body.mode.as_deref() {
        None | Some("replace") => ImportMode::Replace,
        Some("merge") => ImportMode::Merge,
        Some(_) => {
            return Err(AppError::bad_request(
                "IMPORT_MODE_INVALID",
                "mode must be replace or merge",
                "mode 必须是 replace 或 merge",
            )
            .with_field("mode")
            .into());
        }
    };
    let view = dns::import_zone(&state.app, &ctx, &actor, &name, &body.zone_file, mode).await?;
    Ok(Json(view.into()))
}

/// The zone's changes, newest first (up to 200): each record added, changed or deleted with
/// what it replaced, each import, and the serial it produced.
#[utoipa::path(get, path = "/api/v1/domains/{name}/records/history", tag = "dns", security(("bearer" = []), ("api_key" = [])),
    params(("name" = String, Path, description = "domain name")),
    responses((status = 200, body = ZoneHistoryDto), (status = 404, body = ErrorBody)))]
pub async fn history(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(name): Path<String>,
) -> Result<Json<ZoneHistoryDto>, ApiError> {
    Ok(Json(dns::history(&state.app, &actor, &name).await?.into()))
}
