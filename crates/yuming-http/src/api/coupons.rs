//! Coupons (finance staff); customers pass a code as `coupon` when they register or renew.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yuming_app::registrar::coupons::{self, CouponInput, CouponView};
use yuming_core::clock::Timestamp;

use crate::dto::ErrorBody;
use crate::extract::{ApiJson, Auth, Ctx};
use crate::{ApiError, AppState};

/// A coupon to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CouponRequest {
    /// The code customers type: 3–32 letters, digits, `-` or `_` (case does not matter).
    pub code: String,
    /// `amount` (a fixed sum off) or `percent`.
    pub kind: String,
    /// Minor units off (amount) or percent off (1–100).
    pub value: i64,
    /// Currency of an amount coupon and of `min_order` (default CNY).
    #[serde(default)]
    pub currency: Option<String>,
    /// TLDs it applies to (`top`, `.中国`); absent: all.
    #[serde(default)]
    pub tlds: Vec<String>,
    /// `register`, `renew`, `transfer`, `restore`; absent: all.
    #[serde(default)]
    pub operations: Vec<String>,
    /// Only the first year of a multi-year term is discounted.
    #[serde(default)]
    pub first_year_only: bool,
    /// Valid from (RFC 3339).
    #[serde(default)]
    pub starts_at: Option<String>,
    /// Valid until (RFC 3339, exclusive).
    #[serde(default)]
    pub ends_at: Option<String>,
    /// Total redemptions.
    #[serde(default)]
    pub max_uses: Option<i64>,
    /// Redemptions per customer account.
    #[serde(default)]
    pub max_uses_per_account: Option<i64>,
    /// Minimum purchase, minor units.
    #[serde(default)]
    pub min_order: Option<i64>,
}

/// A coupon.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CouponDto {
    /// Id.
    pub id: String,
    /// Code.
    pub code: String,
    /// `amount` or `percent`.
    pub kind: String,
    /// Minor units or percent.
    pub value: i64,
    /// Currency.
    pub currency: String,
    /// TLDs (A-labels); empty: all.
    pub tlds: Vec<String>,
    /// Operations; empty: all.
    pub operations: Vec<String>,
    /// Only the first year is discounted.
    pub first_year_only: bool,
    /// Valid from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<String>,
    /// Valid until.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<String>,
    /// Total redemptions allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_uses: Option<i64>,
    /// Per account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_uses_per_account: Option<i64>,
    /// Minimum purchase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_order: Option<i64>,
    /// Redemptions so far.
    pub uses: i64,
    /// Their total discount, minor units.
    pub discounted: i64,
    /// Switched off.
    pub disabled: bool,
}

impl From<CouponView> for CouponDto {
    fn from(v: CouponView) -> Self {
        let list = |s: &str| -> Vec<String> {
            s.split(',')
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let r = v.row;
        CouponDto {
            tlds: list(&r.tlds),
            operations: list(&r.operations),
            id: r.id,
            code: r.code,
            kind: r.kind,
            value: r.value,
            currency: r.currency,
            first_year_only: r.first_year_only != 0,
            starts_at: r.starts_at.map(|t| Timestamp(t).to_rfc3339()),
            ends_at: r.ends_at.map(|t| Timestamp(t).to_rfc3339()),
            max_uses: r.max_uses,
            max_uses_per_account: r.max_uses_per_account,
            min_order: r.min_order,
            uses: r.uses,
            discounted: v.discounted,
            disabled: r.disabled_at.is_some(),
        }
    }
}

pub(crate) fn instant(field: &'static str, text: Option<&str>) -> Result<Option<i64>, ApiError> {
    text.map(|t| {
        time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
            .map(|d| d.unix_timestamp())
            .map_err(|_| {
                ApiError::from(
                    yuming_app::AppError::bad_request(
                        "INVALID_TIME",
                        "not an RFC 3339 time",
                        "时间格式须为 RFC 3339",
                    )
                    .with_field(field),
                )
            })
    })
    .transpose()
}

/// Creates a coupon (finance staff).
#[utoipa::path(post, path = "/api/v1/admin/coupons", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    request_body = CouponRequest,
    responses((status = 201, body = CouponDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<CouponRequest>,
) -> Result<(StatusCode, Json<CouponDto>), ApiError> {
    let input = CouponInput {
        starts_at: instant("starts_at", body.starts_at.as_deref())?,
        ends_at: instant("ends_at", body.ends_at.as_deref())?,
        code: body.code,
        kind: body.kind,
        value: body.value,
        currency: body.currency,
        tlds: body.tlds,
        operations: body.operations,
        first_year_only: body.first_year_only,
        max_uses: body.max_uses,
        max_uses_per_account: body.max_uses_per_account,
        min_order: body.min_order,
    };
    let row = coupons::create(&state.app, &ctx, &actor, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(
            CouponView {
                row,
                redemptions: 0,
                discounted: 0,
            }
            .into(),
        ),
    ))
}

/// Coupons with their use so far (finance staff).
#[utoipa::path(get, path = "/api/v1/admin/coupons", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<CouponDto>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<Vec<CouponDto>>, ApiError> {
    let views = coupons::list(&state.app, &actor).await?;
    Ok(Json(views.into_iter().map(Into::into).collect()))
}

/// Switches a coupon off (finance staff); redemptions made stay.
#[utoipa::path(delete, path = "/api/v1/admin/coupons/{id}", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "coupon id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn disable(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    coupons::disable(&state.app, &ctx, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
