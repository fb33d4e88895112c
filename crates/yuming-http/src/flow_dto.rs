//! Wire types of the lifecycle flows: transfers and changes of holder, cancellation
//! requests, batches, auto-renew settings.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yuming_app::registrar::batches::{AutoRenewView, BatchView};
use yuming_app::registrar::cancellations::CancellationView;
use yuming_app::registrar::transfers::TransferView;
use yuming_core::clock::Timestamp;

use crate::dto::MoneyDto;

/// Request to transfer a domain into the caller's account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    /// The domain, Unicode or A-label.
    pub name: String,
    /// Its auth code, from the current holder. Wrong codes are rate-limited per account.
    pub auth_code: String,
    /// The caller's verified registrant contact that will hold the domain.
    pub registrant_contact_id: String,
}

/// The holder's answer to a transfer request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferDecisionRequest {
    /// `approve` or `reject`.
    #[schema(example = "approve")]
    pub decision: String,
    /// Why (1–500 characters); required to reject.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A change of holder (过户) offered to another account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HolderChangeRequest {
    /// The e-mail of the account that will hold the domain.
    pub to_email: String,
    /// A verified registrant contact of that account.
    pub to_contact_id: String,
}

/// A transfer or change of holder.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TransferDto {
    /// Opaque id.
    pub id: String,
    /// `transfer` or `holder_change`.
    pub kind: String,
    /// A-label of the domain.
    pub domain: String,
    /// `pending`, `approved`, `auto_approved`, `rejected`, `cancelled`.
    pub status: String,
    /// Whether the caller's account gains the domain.
    pub gaining: bool,
    /// When requested.
    pub requested_at: String,
    /// When silence approves it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_approves_at: Option<String>,
    /// When decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<String>,
    /// A rejection's reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The fee paid by the gaining side (refunded when rejected or cancelled).
    pub fee: MoneyDto,
}

impl From<TransferView> for TransferDto {
    fn from(v: TransferView) -> Self {
        TransferDto {
            id: v.id,
            kind: v.kind,
            domain: v.domain,
            status: v.status,
            gaining: v.gaining,
            requested_at: v.requested_at.to_rfc3339(),
            auto_approves_at: v.auto_approves_at.map(Timestamp::to_rfc3339),
            decided_at: v.decided_at.map(Timestamp::to_rfc3339),
            reason: v.reason,
            fee: v.fee.into(),
        }
    }
}

/// Transfers and changes of holder of the caller's account, both directions.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TransferList {
    /// Newest first.
    pub transfers: Vec<TransferDto>,
}

/// Automatic renewal of one domain.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AutoRenewDto {
    /// A-label.
    pub name: String,
    /// On or off.
    pub enabled: bool,
    /// Days before expiry at which the domain is renewed (0: on the day of expiry).
    pub days_before: u32,
}

impl From<AutoRenewView> for AutoRenewDto {
    fn from(v: AutoRenewView) -> Self {
        AutoRenewDto {
            name: v.name,
            enabled: v.enabled,
            days_before: v.days_before,
        }
    }
}

/// A change of automatic renewal; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoRenewRequest {
    /// On or off.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Days before expiry, 0–60.
    #[serde(default)]
    pub days_before: Option<u32>,
}

/// A batch operation over up to 50 domains.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// `register`, `renew`, `auto_renew`, `nameservers`, `lock`, `unlock` or `cancel`.
    #[schema(example = "lock")]
    pub operation: String,
    /// 1–50 domain names.
    pub domains: Vec<String>,
    /// Years, for `renew` and `register` (every name; one year when left out for `register`).
    #[serde(default)]
    pub years: Option<u32>,
    /// The registrant of every name, for `register`.
    #[serde(default)]
    pub registrant_contact_id: Option<String>,
    /// Automatic renewal of the new names, for `register` (default on).
    #[serde(default)]
    pub auto_renew: Option<bool>,
    /// A coupon code for `register`, applied to each name (each takes one use).
    #[serde(default)]
    pub coupon: Option<String>,
    /// On or off, for `auto_renew`.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// The new list, for `nameservers`; for `register`, the new names' (the platform's when
    /// left out).
    #[serde(default)]
    pub nameservers: Option<Vec<String>>,
}

/// One item of a batch.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchItemDto {
    /// The domain as given.
    pub domain: String,
    /// `pending`, `succeeded`, `failed`.
    pub status: String,
    /// A failure's error code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// A failure's message, or for `cancel` the cancellation request id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// A failure's message in Chinese.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_zh: Option<String>,
    /// A paid item's order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
}

/// A batch and its progress.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchDto {
    /// Opaque id; `GET /api/v1/batches/{id}` shows progress.
    pub id: String,
    /// The operation.
    pub operation: String,
    /// `running` or `completed`.
    pub status: String,
    /// Items.
    pub total: usize,
    /// Items finished.
    pub done: usize,
    /// Items failed.
    pub failed: usize,
    /// Per item, in request order.
    pub items: Vec<BatchItemDto>,
    /// When requested.
    pub created_at: String,
    /// When finished.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
}

impl From<BatchView> for BatchDto {
    fn from(v: BatchView) -> Self {
        BatchDto {
            id: v.id,
            operation: v.operation,
            status: v.status,
            total: v.total,
            done: v.done,
            failed: v.failed,
            items: v
                .items
                .into_iter()
                .map(|i| BatchItemDto {
                    domain: i.domain,
                    status: i.status,
                    code: i.code,
                    message: i.message,
                    message_zh: i.message_zh,
                    order_id: i.order_id,
                })
                .collect(),
            created_at: v.created_at.to_rfc3339(),
            finished_at: v.finished_at.map(Timestamp::to_rfc3339),
        }
    }
}

/// Starts a cancellation request (注销).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancellationRequest {
    /// 1–50 of the caller's domains.
    pub domains: Vec<String>,
}

/// Confirms the next checklist step.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancellationStepRequest {
    /// `status`, `filings`, `export` or `final_notice`, in that order.
    #[schema(example = "status")]
    pub step: String,
}

/// A supporting document.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentUpload {
    /// File name.
    pub name: String,
    /// Content, standard base64.
    pub content_base64: String,
}

/// Submits a completed checklist for staff review.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancellationSubmitRequest {
    /// The TOTP code, for accounts with two-factor authentication.
    #[serde(default)]
    pub totp: Option<String>,
    /// The e-mailed confirmation code, for accounts without.
    #[serde(default)]
    pub code: Option<String>,
    /// A supporting document (required for Chinese IDNs under some TLDs).
    #[serde(default)]
    pub document: Option<DocumentUpload>,
}

/// Export format.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// `tar.gz` (default) or `zip`.
    #[serde(default)]
    pub format: Option<String>,
}

/// An ICP filing that depends on a domain.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DependentFilingDto {
    /// Filing or licence number.
    pub number: String,
    /// What to do about it.
    pub note: String,
}

/// One domain of a cancellation request.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CancellationDomainDto {
    /// A-label.
    pub name: String,
    /// Lifecycle phase now.
    pub phase: String,
    /// What approval would refund now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_preview: Option<MoneyDto>,
    /// ICP filings that depend on it (the checklist's `filings` step).
    pub filings: Vec<DependentFilingDto>,
    /// After the decision: `deleted` or the error code that kept it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// End of the 30-day watch for stray traffic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monitor_until: Option<String>,
    /// DNS queries for the name counted during the watch (traffic that still expects it).
    pub stray_queries: i64,
    /// When the last of them arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_stray_at: Option<String>,
}

/// A cancellation request.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CancellationDto {
    /// Opaque id.
    pub id: String,
    /// `draft`, `submitted`, `approved`, `rejected`.
    pub status: String,
    /// Steps confirmed so far.
    pub confirmed_steps: Vec<String>,
    /// The next step, while a draft.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_step: Option<String>,
    /// Submission needs TOTP (else the e-mailed code).
    pub requires_totp: bool,
    /// Submission needs a supporting document.
    pub requires_document: bool,
    /// A document was uploaded.
    pub document_uploaded: bool,
    /// The domains.
    pub domains: Vec<CancellationDomainDto>,
    /// A rejection's reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Always true: an approved cancellation cannot be undone.
    pub irreversible: bool,
    /// The irreversibility warning, English and Chinese.
    pub warning: String,
}

impl From<CancellationView> for CancellationDto {
    fn from(v: CancellationView) -> Self {
        CancellationDto {
            id: v.id,
            status: v.status,
            confirmed_steps: v.confirmed_steps,
            next_step: v.next_step,
            requires_totp: v.requires_totp,
            requires_document: v.requires_document,
            document_uploaded: v.document_uploaded,
            domains: v
                .domains
                .into_iter()
                .map(|d| CancellationDomainDto {
                    name: d.name,
                    phase: d.phase,
                    refund_preview: d.refund_preview.map(MoneyDto::from),
                    filings: d
                        .filings
                        .into_iter()
                        .map(|f| DependentFilingDto {
                            number: f.number,
                            note: f.note,
                        })
                        .collect(),
                    result: d.result,
                    monitor_until: d.monitor_until.map(Timestamp::to_rfc3339),
                    stray_queries: d.stray_queries,
                    last_stray_at: d.last_stray_at.map(Timestamp::to_rfc3339),
                })
                .collect(),
            reason: v.reason,
            irreversible: true,
            warning: v.warning.to_owned(),
        }
    }
}

/// Cancellation requests waiting for review.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CancellationList {
    /// Oldest first.
    pub cancellations: Vec<CancellationDto>,
}
