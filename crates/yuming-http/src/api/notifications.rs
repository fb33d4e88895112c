//! The caller's in-app notices and notice preferences.

use axum::Json;
use axum::extract::{Path, State};
use yuming_app::notify::notices;
use yuming_core::clock::Timestamp;

use crate::dto::{
    ErrorBody, NotificationDto, NotificationList, NotificationPreferenceDto,
    NotificationPreferenceRequest, NotificationPreferences, TimePageQuery, UnreadCount,
};
use crate::extract::{ApiJson, ApiQuery, Auth, Ctx};
use crate::{ApiError, AppState};

/// In-app notices, newest first, with the unread count.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", security(("bearer" = []), ("api_key" = [])),
    params(TimePageQuery), responses((status = 200, body = NotificationList), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(query): ApiQuery<TimePageQuery>,
) -> Result<Json<NotificationList>, ApiError> {
    let items = notices::inbox(&state.app, &actor, query.before, query.limit.unwrap_or(50)).await?;
    let unread = notices::unread_count(&state.app, &actor).await?;
    Ok(Json(NotificationList {
        notifications: items
            .into_iter()
            .map(|i| NotificationDto {
                id: i.id,
                kind: i.kind,
                subject: i.subject,
                body: i.body,
                created_at: Timestamp(i.created_at).to_rfc3339(),
                read_at: i.read_at.map(|at| Timestamp(at).to_rfc3339()),
            })
            .collect(),
        unread,
    }))
}

/// How many in-app notices are unread.
#[utoipa::path(get, path = "/api/v1/notifications/unread-count", tag = "notifications", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = UnreadCount), (status = 401, body = ErrorBody)))]
pub async fn unread_count(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<UnreadCount>, ApiError> {
    Ok(Json(UnreadCount {
        unread: notices::unread_count(&state.app, &actor).await?,
    }))
}

/// Marks an in-app notice read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "notice id")),
    responses((status = 200, body = UnreadCount), (status = 404, body = ErrorBody)))]
pub async fn mark_read(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<UnreadCount>, ApiError> {
    notices::mark_read(&state.app, &ctx, &actor, &id).await?;
    Ok(Json(UnreadCount {
        unread: notices::unread_count(&state.app, &actor).await?,
    }))
}

/// The channels of every notice kind (defaults where none was chosen).
#[utoipa::path(get, path = "/api/v1/notification-preferences", tag = "notifications", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = NotificationPreferences), (status = 401, body = ErrorBody)))]
pub async fn preferences(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<NotificationPreferences>, ApiError> {
    let prefs = notices::preferences(&state.app, &actor).await?;
    Ok(Json(NotificationPreferences {
        preferences: prefs
            .into_iter()
            .map(|p| NotificationPreferenceDto {
                kind: p.kind,
                channels: p.channels,
            })
            .collect(),
    }))
}

/// Chooses the channels of one notice kind.
#[utoipa::path(put, path = "/api/v1/notification-preferences/{kind}", tag = "notifications", security(("bearer" = []), ("api_key" = [])),
    params(("kind" = String, Path, description = "notice kind, e.g. expiry_reminder")),
    request_body = NotificationPreferenceRequest,
    responses((status = 200, body = NotificationPreferenceDto), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "no such notice kind")))]
pub async fn set_preference(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(kind): Path<String>,
    ApiJson(body): ApiJson<NotificationPreferenceRequest>,
) -> Result<Json<NotificationPreferenceDto>, ApiError> {
    let pref = notices::set_preference(&state.app, &ctx, &actor, &kind, &body.channels).await?;
    Ok(Json(NotificationPreferenceDto {
        kind: pref.kind,
        channels: pref.channels,
    }))
}
