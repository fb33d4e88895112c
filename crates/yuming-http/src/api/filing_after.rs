//! After approval: the signed certificate, the footer snippet, and the public look-up and
//! verification (no authentication).

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yuming_app::AppError;
use yuming_app::filing::certificates::{
    self, LookupKey, PublicFiling, SignedCertificate, Verification,
};
use yuming_core::filing::certificate::Certificate;

use crate::dto::ErrorBody;
use crate::extract::{ApiJson, ApiQuery, Auth, Ctx};
use crate::{ApiError, AppState};

/// A certificate's fields (the signed canonical JSON has exactly these keys).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CertificateDto {
    /// Certificate id.
    pub id: String,
    /// 网站备案号.
    pub site_no: String,
    /// 主体备案号.
    pub subject_no: String,
    /// The entity's public name (a person's is masked).
    pub entity_name: String,
    /// §1.4 entity type.
    pub entity_type: String,
    /// Province.
    pub province: String,
    /// The authorised domain.
    pub domain: String,
    /// Site name.
    pub site_name: String,
    /// Unix seconds.
    pub issued_at: i64,
    /// Unix seconds.
    pub valid_until: i64,
    /// The signing key.
    pub key_id: String,
    /// Format version (1).
    pub version: u32,
}

impl From<Certificate> for CertificateDto {
    fn from(c: Certificate) -> Self {
        CertificateDto {
            id: c.id,
            site_no: c.site_no,
            subject_no: c.subject_no,
            entity_name: c.entity_name,
            entity_type: c.entity_type,
            province: c.province,
            domain: c.domain,
            site_name: c.site_name,
            issued_at: c.issued_at.0,
            valid_until: c.valid_until.0,
            key_id: c.key_id,
            version: yuming_core::filing::certificate::VERSION,
        }
    }
}

/// A certificate and its Ed25519 signature.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SignedCertificateDto {
    /// The fields.
    pub certificate: CertificateDto,
    /// Base64 Ed25519 signature of the certificate's canonical JSON.
    pub signature: String,
    /// Replaced by a newer certificate.
    pub superseded: bool,
}

impl From<SignedCertificate> for SignedCertificateDto {
    fn from(s: SignedCertificate) -> Self {
        SignedCertificateDto {
            certificate: s.certificate.into(),
            signature: s.signature,
            superseded: s.superseded,
        }
    }
}

/// The footer line of a filed site.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FooterDto {
    /// The number shown.
    pub number: String,
    /// HTML to paste into the footer.
    pub html: String,
}

/// One verification key.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicKeyDto {
    /// Key id.
    pub key_id: String,
    /// `Ed25519`.
    pub algorithm: String,
    /// Raw 32-byte public key, base64.
    pub public_key: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339, when it stopped signing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<String>,
}

/// The published keys.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicKeysDto {
    /// Newest first.
    pub keys: Vec<PublicKeyDto>,
}

/// A certificate to verify: its JSON and signature, or a printable certificate's bytes and
/// their detached signature.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The certificate object as handed out.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub certificate: Option<serde_json::Value>,
    /// The PDF, base64.
    #[serde(default)]
    pub pdf_base64: Option<String>,
    /// The certificate's signature, or the PDF's `Yuming-Certificate-Signature`.
    pub signature: String,
}

/// A verification result.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CertificateVerificationDto {
    /// Signature good, within validity and current.
    pub valid: bool,
    /// `VALID`, `MALFORMED`, `UNKNOWN_KEY`, `BAD_SIGNATURE`, `NOT_YET_VALID`, `EXPIRED`,
    /// `SUPERSEDED`, `REVOKED`.
    pub reason: String,
    /// The certificate as read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateDto>,
}

impl From<Verification> for CertificateVerificationDto {
    fn from(v: Verification) -> Self {
        CertificateVerificationDto {
            valid: v.valid,
            reason: v.reason.to_owned(),
            certificate: v.certificate.map(CertificateDto::from),
        }
    }
}

/// Look up by one of these.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PublicLookupQuery {
    /// A domain (Unicode or A-label).
    #[serde(default)]
    pub domain: Option<String>,
    /// A site or subject number, e.g. `京ICP备2026000123号-1`.
    #[serde(default)]
    pub number: Option<String>,
}

/// A filed site as the public sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicFilingDto {
    /// Domain.
    pub domain: String,
    /// 网站备案号.
    pub site_no: String,
    /// 主体备案号.
    pub subject_no: String,
    /// 主办单位 (a person's name masked).
    pub entity_name: String,
    /// Entity type.
    pub entity_type: String,
    /// Province.
    pub province: String,
    /// 网站名称.
    pub site_name: String,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<String>,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_valid_until: Option<String>,
    /// To verify.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_id: Option<String>,
}

impl From<PublicFiling> for PublicFilingDto {
    fn from(p: PublicFiling) -> Self {
        PublicFilingDto {
            domain: p.domain,
            site_no: p.site_no,
            subject_no: p.subject_no,
            entity_name: p.entity_name,
            entity_type: p.entity_type,
            province: p.province,
            site_name: p.site_name,
            approved_at: p.approved_at.map(|t| t.to_rfc3339()),
            certificate_valid_until: p.certificate_valid_until.map(|t| t.to_rfc3339()),
            certificate_id: p.certificate_id,
        }
    }
}

/// Public look-up results.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicFilingsDto {
    /// Matching filed sites.
    pub filings: Vec<PublicFilingDto>,
}

/// The current certificate of a filed site.
#[utoipa::path(get, path = "/api/v1/filing/sites/{id}/certificate", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "site id")),
    responses((status = 200, body = SignedCertificateDto), (status = 404, body = ErrorBody)))]
pub async fn certificate(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<SignedCertificateDto>, ApiError> {
    Ok(Json(
        certificates::certificate(&state.app, &actor, &id)
            .await?
            .into(),
    ))
}

/// The printable certificate; `Yuming-Certificate-Signature` signs its bytes.
#[utoipa::path(get, path = "/api/v1/filing/sites/{id}/certificate.pdf", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "site id")),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = ErrorBody)))]
pub async fn certificate_pdf(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (pdf, signature) = certificates::certificate_pdf(&state.app, &actor, &id).await?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"icp-certificate.pdf\"".to_owned(),
            ),
            (
                header::HeaderName::from_static("yuming-certificate-signature"),
                signature,
            ),
        ],
        Body::from(pdf),
    )
        .into_response())
}

/// Issues a fresh certificate (renewal); the previous one is superseded.
#[utoipa::path(post, path = "/api/v1/filing/sites/{id}/certificate/renew", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "site id")),
    responses((status = 200, body = SignedCertificateDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn renew_certificate(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<SignedCertificateDto>, ApiError> {
    Ok(Json(
        certificates::renew_certificate(&state.app, &ctx, &actor, &id)
            .await?
            .into(),
    ))
}

/// The footer snippet of a filed site.
#[utoipa::path(get, path = "/api/v1/filing/sites/{id}/footer", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "site id")),
    responses((status = 200, body = FooterDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn footer(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<FooterDto>, ApiError> {
    let footer = certificates::footer(&state.app, &actor, &id).await?;
    Ok(Json(FooterDto {
        number: footer.number,
        html: footer.html,
    }))
}

/// The platform's certificate verification keys (public).
#[utoipa::path(get, path = "/api/v1/public/filing/keys", tag = "filing",
    responses((status = 200, body = PublicKeysDto)))]
pub async fn public_keys(State(state): State<AppState>) -> Result<Json<PublicKeysDto>, ApiError> {
    let keys = certificates::public_keys(&state.app).await?;
    Ok(Json(PublicKeysDto {
        keys: keys
            .into_iter()
            .map(|k| PublicKeyDto {
                key_id: k.key_id,
                algorithm: k.algorithm.to_owned(),
                public_key: k.public_key,
                created_at: k.created_at.to_rfc3339(),
                retired_at: k.retired_at.map(|t| t.to_rfc3339()),
            })
            .collect(),
    }))
}

/// Verifies a certificate (public): its JSON and signature, or a PDF and its detached
/// signature.
#[utoipa::path(post, path = "/api/v1/public/filing/certificates/verify", tag = "filing",
    request_body = VerifyRequest,
    responses((status = 200, body = CertificateVerificationDto), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    ApiJson(body): ApiJson<VerifyRequest>,
) -> Result<Json<CertificateVerificationDto>, ApiError> {
    certificates::count_public_request(&state.app, &ctx).await?;
    let verification = match (body.certificate, body.pdf_base64) {
        (Some(document), None) => {
            certificates::verify(&state.app, &document, &body.signature).await?
        }
        (None, Some(pdf)) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(pdf.trim())
                .map_err(|_| {
                    AppError::bad_request(
                        "INVALID_BASE64",
                        "pdf_base64 is not base64",
                        "pdf_base64 不是有效的 base64",
                    )
                    .with_field("pdf_base64")
                })?;
            certificates::verify_pdf(&state.app, &bytes, &body.signature).await?
        }
        _ => {
            return Err(AppError::bad_request(
                "CERTIFICATE_REQUIRED",
                "give either certificate or pdf_base64",
                "须提供 certificate 或 pdf_base64 之一",
            )
            .with_field("certificate")
            .into());
        }
    };
    Ok(Json(verification.into()))
}

/// Looks a filing up by domain or number (public; only public fields; rate-limited).
#[utoipa::path(get, path = "/api/v1/public/filings", tag = "filing", params(PublicLookupQuery),
    responses((status = 200, body = PublicFilingsDto), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn public_lookup(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    ApiQuery(query): ApiQuery<PublicLookupQuery>,
) -> Result<Json<PublicFilingsDto>, ApiError> {
    let key = match (query.domain, query.number) {
        (Some(domain), None) => LookupKey::Domain(domain),
        (None, Some(number)) => LookupKey::Number(number),
        _ => {
            return Err(AppError::bad_request(
                "LOOKUP_KEY_REQUIRED",
                "give exactly one of domain or number",
                "须且只能提供 domain 或 number 之一",
            )
            .with_field("domain")
            .into());
        }
    };
    let filings = certificates::public_lookup(&state.app, &ctx, &key).await?;
    Ok(Json(PublicFilingsDto {
        filings: filings.into_iter().map(PublicFilingDto::from).collect(),
    }))
}

/// Which alerts to list.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AlertsQuery {
    /// Only open alerts (default true).
    #[serde(default)]
    pub open: Option<bool>,
}

/// A consistency alert of a filed site.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AlertDto {
    /// Id.
    pub id: String,
    /// The site.
    pub site_id: String,
    /// The site's domain.
    pub domain: String,
    /// `DOMAIN_LOST`, `DOMAIN_UNVERIFIED`, `DOMAIN_EXPIRING`, `UNFILED_ADDRESS`,
    /// `SERVER_EXPIRED`, `SERVER_EXPIRING`, `FOOTER_MISSING`.
    pub kind: String,
    /// `drift` or `risk`.
    pub severity: String,
    /// Why (en).
    pub reason_en: String,
    /// Why (zh-CN).
    pub reason_zh: String,
    /// The fixing action (`CANCEL_SITE`, `CHANGE_SITE`, `CANCEL_ACCESS`, `RENEW_DOMAIN`, …).
    pub fix: String,
    /// Where to start it.
    pub fix_path: String,
    /// RFC 3339.
    pub opened_at: String,
    /// RFC 3339.
    pub last_seen_at: String,
    /// RFC 3339: by when the change must be filed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline_at: Option<String>,
    /// RFC 3339: when it cleared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<String>,
}

/// Alerts.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AlertListDto {
    /// Newest first.
    pub alerts: Vec<AlertDto>,
}

/// One check result.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CheckDto {
    /// `domain`, `dns`, `server`, `footer`.
    pub check: String,
    /// `ok`, `problem`, `unknown`.
    pub outcome: String,
    /// What was seen.
    pub detail: String,
    /// RFC 3339.
    pub checked_at: String,
}

/// Check results.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CheckListDto {
    /// Newest first.
    pub checks: Vec<CheckDto>,
}

/// The consistency monitor's alerts (staff: every tenant's).
#[utoipa::path(get, path = "/api/v1/filing/alerts", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    params(AlertsQuery), responses((status = 200, body = AlertListDto), (status = 403, body = ErrorBody)))]
pub async fn alerts(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(query): ApiQuery<AlertsQuery>,
) -> Result<Json<AlertListDto>, ApiError> {
    let alerts =
        yuming_app::filing::monitor::alerts(&state.app, &actor, query.open.unwrap_or(true)).await?;
    Ok(Json(AlertListDto {
        alerts: alerts
            .into_iter()
            .map(|a| AlertDto {
                id: a.id,
                site_id: a.site_id,
                domain: a.domain,
                kind: a.kind,
                severity: a.severity,
                reason_en: a.reason_en,
                reason_zh: a.reason_zh,
                fix: a.fix,
                fix_path: a.fix_path,
                opened_at: a.opened_at.to_rfc3339(),
                last_seen_at: a.last_seen_at.to_rfc3339(),
                deadline_at: a.deadline_at.map(|t| t.to_rfc3339()),
                resolved_at: a.resolved_at.map(|t| t.to_rfc3339()),
            })
            .collect(),
    }))
}

/// Every consistency check of a filed site, newest first.
#[utoipa::path(get, path = "/api/v1/filing/sites/{id}/checks", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "site id")),
    responses((status = 200, body = CheckListDto), (status = 404, body = ErrorBody)))]
pub async fn checks(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<CheckListDto>, ApiError> {
    let checks = yuming_app::filing::monitor::checks(&state.app, &actor, &id).await?;
    Ok(Json(CheckListDto {
        checks: checks
            .into_iter()
            .map(|c| CheckDto {
                check: c.check,
                outcome: c.outcome,
                detail: c.detail,
                checked_at: c.checked_at.to_rfc3339(),
            })
            .collect(),
    }))
}

/// Makes a filed site due for a consistency check at the next job run.
#[utoipa::path(post, path = "/api/v1/filing/sites/{id}/check-now", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "site id")),
    responses((status = 202), (status = 404, body = ErrorBody)))]
pub async fn check_now(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    yuming_app::filing::monitor::check_now(&state.app, &ctx, &actor, &id).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Orders with one status.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatusCountDto {
    /// Status key.
    pub status: String,
    /// Orders.
    pub count: i64,
}

/// Something that ends within 30 days.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ExpiryDto {
    /// `domain`, `server`, `certificate`.
    pub kind: String,
    /// The domain, server address or certificate id.
    pub subject: String,
    /// RFC 3339.
    pub ends_at: String,
}

/// A status change.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChangeDto {
    /// The order.
    pub order_id: String,
    /// Before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// After.
    pub to: String,
    /// RFC 3339.
    pub at: String,
}

/// An open order with its estimated approval date.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OpenOrderDto {
    /// Order id.
    pub id: String,
    /// Operation.
    pub operation: String,
    /// Status.
    pub status: String,
    /// Province code.
    pub province: u8,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<String>,
    /// RFC 3339: submission plus the median approval time of the same operation in the same
    /// province (else everywhere) on this platform.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_approval: Option<String>,
    /// The median used, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_secs: Option<i64>,
}

/// The filing dashboard.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DashboardDto {
    /// Orders by status.
    pub counts: Vec<StatusCountDto>,
    /// Orders in all.
    pub total: i64,
    /// What ends within 30 days (domains of filed sites, servers, certificates).
    pub expiring: Vec<ExpiryDto>,
    /// The latest status changes.
    pub recent_changes: Vec<ChangeDto>,
    /// Open orders with estimates.
    pub open_orders: Vec<OpenOrderDto>,
}

/// The filing dashboard (customers: their tenant; reviewers: the platform).
#[utoipa::path(get, path = "/api/v1/filing/dashboard", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = DashboardDto), (status = 403, body = ErrorBody)))]
pub async fn dashboard(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<DashboardDto>, ApiError> {
    let d = yuming_app::filing::dashboard::dashboard(&state.app, &actor).await?;
    Ok(Json(DashboardDto {
        counts: d
            .counts
            .into_iter()
            .map(|(status, count)| StatusCountDto { status, count })
            .collect(),
        total: d.total,
        expiring: d
            .expiring
            .into_iter()
            .map(|e| ExpiryDto {
                kind: e.kind,
                subject: e.subject,
                ends_at: e.ends_at.to_rfc3339(),
            })
            .collect(),
        recent_changes: d
            .recent_changes
            .into_iter()
            .map(|c| ChangeDto {
                order_id: c.order_id,
                from: c.from,
                to: c.to,
                at: c.at.to_rfc3339(),
            })
            .collect(),
        open_orders: d
            .open_orders
            .into_iter()
            .map(|o| OpenOrderDto {
                id: o.id,
                operation: o.operation,
                status: o.status,
                province: o.province,
                submitted_at: o.submitted_at.map(|t| t.to_rfc3339()),
                estimated_approval: o.estimated_approval.map(|t| t.to_rfc3339()),
                median_secs: o.median_secs,
            })
            .collect(),
    }))
}

/// One site of a batch filing.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchSiteRequest {
    /// The entity (every item names the same one).
    pub entity_id: String,
    /// The site.
    pub site: crate::filing_dto::SiteDto,
}

/// Up to 50 sites of one entity.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchFilingRequest {
    /// The sites.
    pub items: Vec<BatchSiteRequest>,
}

/// What became of one item.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchSiteResultDto {
    /// The domain as given.
    pub domain: String,
    /// `ok` or `failed`.
    pub status: String,
    /// The site created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_id: Option<String>,
    /// Its order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// The error code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The error message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The offending field of the item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// A batch filing's results.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchFilingDto {
    /// Batch id.
    pub id: String,
    /// `FIRST` (entity not filed yet) or `ADD_SITE`.
    pub operation: String,
    /// One per item, in order.
    pub results: Vec<BatchSiteResultDto>,
}

/// Files up to 50 sites of one entity: one site and one order per domain, a result per item.
#[utoipa::path(post, path = "/api/v1/filing/batches", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    request_body = BatchFilingRequest,
    responses((status = 200, body = BatchFilingDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn batch_filing(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<BatchFilingRequest>,
) -> Result<Json<BatchFilingDto>, ApiError> {
    let items: Vec<yuming_app::filing::batch::BatchSite> = body
        .items
        .into_iter()
        .map(|i| yuming_app::filing::batch::BatchSite {
            entity_id: i.entity_id,
            site: i.site.into(),
        })
        .collect();
    let filed = yuming_app::filing::batch::file_sites(&state.app, &ctx, &actor, &items).await?;
    Ok(Json(BatchFilingDto {
        id: filed.id,
        operation: filed.operation,
        results: filed
            .results
            .into_iter()
            .map(|r| BatchSiteResultDto {
                domain: r.domain,
                status: if r.code.is_none() { "ok" } else { "failed" }.to_owned(),
                site_id: r.site_id,
                order_id: r.order_id,
                code: r.code,
                message: r.message,
                field: r.field,
            })
            .collect(),
    }))
}
