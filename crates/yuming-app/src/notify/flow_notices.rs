//! The one place where the lifecycle flows (transfers, changes of holder, cancellations)
//! hand a notice to the user: each flow event becomes a `notices::enqueue` in the flow's
//! own transaction, once per occasion (the request id and the event).

use serde_json::{Map, Value};
use yuming_core::clock::Timestamp;
use yuming_store::Tx;

use crate::AppError;
use crate::notify::notices::{self, NoticeKind, NoticeRequest};

fn text(detail: &Value, key: &str) -> String {
    match &detail[key] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// Notifies `tenant` of the flow event `kind` (e.g. `transfer.requested`) described by
/// `detail`, as part of `tx`.
pub(crate) async fn notify(
    tx: &mut Tx,
    tenant: &str,
    kind: &str,
    detail: &Value,
    now: Timestamp,
) -> Result<(), AppError> {
    let domain = text(detail, "domain");
    let id = [text(detail, "transfer_id"), text(detail, "cancellation_id")].concat();
    let status = text(detail, "status");
    let mut params = Map::new();
    params.insert("domain".into(), Value::String(domain.clone()));
    let generic = |params: &mut Map<String, Value>, zh: (String, String), en: (String, String)| {
        params.insert("subject".into(), Value::String(zh.0));
        params.insert("body".into(), Value::String(zh.1));
        params.insert("subject_en".into(), Value::String(en.0));
        params.insert("body_en".into(), Value::String(en.1));
        NoticeKind::Generic
    };
    let notice_kind = match (kind, status.as_str()) {
        ("transfer.requested", _) => NoticeKind::TransferRequested,
        ("transfer.completed", _) => NoticeKind::TransferApproved,
        ("transfer.ended", "rejected") => NoticeKind::TransferRejected,
        ("transfer.ended", _) => generic(
            &mut params,
            (
                format!("域名 {domain} 的转移申请已撤回"),
                format!("域名 {domain} 的转移或过户申请已撤回，费用已退回。"),
            ),
            (
                format!("Transfer of {domain} withdrawn"),
                format!(
                    "The transfer or change of holder of {domain} was withdrawn; any fee was refunded."
                ),
            ),
        ),
        ("holder_change.offered", _) => generic(
            &mut params,
            (
                format!("域名 {domain} 过户待您接受"),
                format!(
                    "有账户希望将域名 {domain} 过户给您，请在控制台接受或拒绝（申请号 {id}）。"
                ),
            ),
            (
                format!("{domain} offered to you"),
                format!(
                    "An account offers you the domain {domain}; accept or decline it in the console (request {id})."
                ),
            ),
        ),
        ("cancellation.final_notice", _) => generic(
            &mut params,
            (
                "域名注销最终通知".to_owned(),
                format!(
                    "您正在注销域名 {}。{}",
                    text(detail, "domains"),
                    text(detail, "warning")
                ),
            ),
            (
                "Final notice before cancellation".to_owned(),
                format!(
                    "You are cancelling {}. {}",
                    text(detail, "domains"),
                    text(detail, "warning")
                ),
            ),
        ),
        ("cancellation.confirmation_code", _) => generic(
            &mut params,
            (
                "域名注销确认码".to_owned(),
                format!("您的注销确认码是 {}，30 分钟内有效。", text(detail, "code")),
            ),
            (
                "Cancellation confirmation code".to_owned(),
                format!(
                    "Your cancellation confirmation code is {}; it is valid for 30 minutes.",
                    text(detail, "code")
                ),
            ),
        ),
        ("cancellation.decided", "approved") => {
            params.insert("domain".into(), Value::String(text(detail, "domains")));
            NoticeKind::Cancellation
        }
        ("cancellation.decided", _) => generic(
            &mut params,
            (
                "域名注销申请未通过".to_owned(),
                format!("您的注销申请 {id} 未通过审核：{}", text(detail, "reason")),
            ),
            (
                "Cancellation request rejected".to_owned(),
                format!(
                    "Your cancellation request {id} was rejected: {}",
                    text(detail, "reason")
                ),
            ),
        ),
        _ => return Err(AppError::internal(format!("unknown flow notice {kind}"))),
    };
    let request = NoticeRequest {
        account_id: tenant.to_owned(),
        kind: notice_kind,
        occasion: format!("{kind}:{id}:{status}"),
        params,
        sms_to: None,
    };
    notices::enqueue(tx, &request, now.0).await?;
    Ok(())
}
