//! Invoices (发票) of paid top-ups: the customer asks for one (personal or company, the
//! company's tax id being its unified social credit code), finance issues it with the tax
//! authority's number and a PDF, or rejects it with a reason. Each top-up order can be on one
//! invoice only; a rejection frees its orders. The buyer's details and the PDF are sealed.

use serde::{Deserialize, Serialize};
use serde_json::json;
use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;
use yuming_core::money::{Currency, Money};
use yuming_core::rules::uscc::Uscc;
use yuming_store::{InvoiceRow, OrderRow};

use crate::platform::audit::{self, Change};
use crate::platform::crypto::new_id;
use crate::{App, AppError, RequestContext};

crate::platform::error::error_enum! {
    /// What the invoice use cases refuse.
    pub enum InvoiceError {
        /// Neither `personal` nor `company`.
        InvalidKind = BadRequest("INVALID_INVOICE_KIND", field = "kind") => (
            "the invoice is personal or company",
            "发票抬头类型须为个人或企业",
        ),
        /// A detail out of bounds, naming the field.
        InvalidField { field: &'static str } = BadRequest("INVALID_INVOICE_FIELD", field = field) => (
            format!("{field} is missing or too long (at most 100 printable characters)"),
            format!("{field} 缺失或过长（最多 100 个可打印字符）"),
        ),
        /// A company's tax id that is not a valid unified social credit code.
        InvalidTaxId = BadRequest("INVALID_TAX_ID", field = "tax_id") => (
            "the tax id must be a valid 18-character unified social credit code",
            "纳税人识别号须为有效的 18 位统一社会信用代码",
        ),
        /// Nothing paid is left to invoice (or a named order is not an uninvoiced top-up).
        NothingToInvoice = BadRequest("NOTHING_TO_INVOICE", field = "order_ids") => (
            "there is no paid amount left to invoice",
            "没有可开票的已支付金额",
        ),
        /// Another request took the same orders first.
        AlreadyInvoiced = Conflict("ALREADY_INVOICED", field = "order_ids") => (
            "these payments are on another invoice",
            "这些款项已在其他发票申请中",
        ),
        /// Issued or rejected already.
        AlreadyDecided = Conflict("INVOICE_DECIDED") => (
            "this invoice was decided already",
            "该发票申请已处理",
        ),
        /// An invoice number that is not 8–20 digits, or is in use.
        InvalidNumber = BadRequest("INVALID_INVOICE_NUMBER", field = "number") => (
            "the invoice number is 8 to 20 digits and unique",
            "发票号码须为 8 到 20 位数字且不重复",
        ),
        /// A rejection without a reason.
        ReasonRequired = BadRequest("REASON_REQUIRED", field = "reason") => (
            "say why the invoice is rejected (1–200 characters)",
            "请填写驳回原因（1–200 个字符）",
        ),
        /// The PDF of an invoice not issued.
        NotIssued = Conflict("INVOICE_NOT_ISSUED") => (
            "the invoice is not issued yet",
            "发票尚未开具",
        ),
    }
}

/// The buyer's details printed on the invoice (sealed at rest).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceBuyer {
    /// The title (抬头): a person's or a company's name.
    pub title: String,
    /// A company's tax id (its USCC), normalised.
    #[serde(default)]
    pub tax_id: String,
    /// Registered address (optional, companies).
    #[serde(default)]
    pub address: String,
    /// Telephone (optional, companies).
    #[serde(default)]
    pub phone: String,
    /// Bank (optional, companies).
    #[serde(default)]
    pub bank: String,
    /// Bank account (optional, companies).
    #[serde(default)]
    pub bank_account: String,
    /// Where the electronic invoice is sent (optional).
    #[serde(default)]
    pub email: String,
}

/// An invoice request.
#[derive(Debug, Clone, Default)]
pub struct InvoiceRequest {
    /// `personal` or `company`.
    pub kind: String,
    /// The buyer.
    pub buyer: InvoiceBuyer,
    /// The top-up orders to invoice; empty: every paid top-up not invoiced yet.
    pub order_ids: Vec<String>,
}

/// An invoice as shown.
#[derive(Debug, Clone)]
pub struct InvoiceView {
    /// Id.
    pub id: String,
    /// `personal` or `company`.
    pub kind: String,
    /// The buyer.
    pub buyer: InvoiceBuyer,
    /// The amount.
    pub amount: Money,
    /// `requested`, `issued`, `rejected`.
    pub status: String,
    /// The invoice number, once issued.
    pub number: Option<String>,
    /// Why it was rejected.
    pub reason: Option<String>,
    /// When it was asked for.
    pub created_at: Timestamp,
    /// When it was decided.
    pub decided_at: Option<Timestamp>,
}

fn details_context(id: &str) -> String {
    format!("invoice.details:{id}")
}

fn pdf_context(id: &str) -> String {
    format!("invoice.pdf:{id}")
}

fn view_of(app: &App, row: &InvoiceRow) -> Result<InvoiceView, AppError> {
    let details = app
        .cipher()
        .open(&row.details, &details_context(&row.id))
        .map_err(|e| AppError::internal(format!("invoice details: {e}")))?;
    let buyer: InvoiceBuyer = serde_json::from_slice(&details)
        .map_err(|e| AppError::internal(format!("invoice details: {e}")))?;
    Ok(InvoiceView {
        id: row.id.clone(),
        kind: row.kind.clone(),
        buyer,
        amount: crate::billing::payments::stored_money(row.amount, &row.currency)?,
        status: row.status.clone(),
        number: row.number.clone(),
        reason: row.reason.clone(),
        created_at: Timestamp(row.created_at),
        decided_at: row.decided_at.map(Timestamp),
    })
}

fn check_text(field: &'static str, value: &str, required: bool) -> Result<String, AppError> {
    let value = value.trim();
    if (required && value.is_empty())
        || value.chars().count() > 100
        || value.chars().any(char::is_control)
    {
        return Err(InvoiceError::InvalidField { field }.into());
    }
    Ok(value.to_owned())
}

/// What a top-up order can still be invoiced for: its amount less refunds of its payment.
async fn invoiceable_amount(tx: &mut yuming_store::Tx, order: &OrderRow) -> Result<i64, AppError> {
    let detail: serde_json::Value = serde_json::from_str(&order.detail).unwrap_or_default();
    let refunded = match detail["payment_id"].as_str() {
        Some(payment_id) => tx.payment(payment_id).await?.map_or(0, |p| p.refunded),
        None => 0,
    };
    Ok((order.amount - refunded).max(0))
}

/// The paid top-ups not invoiced yet and their invoiceable total (CNY).
pub async fn invoiceable(
    app: &App,
    actor: &Actor,
) -> Result<(Vec<(OrderRow, i64)>, Money), AppError> {
    actor.require(Right::BillingRead)?;
    let mut tx = app.db().read().await?;
    let orders = tx.uninvoiced_topups(&actor.tenant_id).await?;
    let mut out = Vec::new();
    let mut total = 0;
    for order in orders.into_iter().filter(|o| o.currency == "CNY") {
        let amount = invoiceable_amount(&mut tx, &order).await?;
        if amount > 0 {
            total += amount;
            out.push((order, amount));
        }
    }
    tx.commit().await?;
    Ok((out, Money::new(total, Currency::Cny)))
}

/// Asks for an invoice of paid top-ups.
pub async fn request(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    input: InvoiceRequest,
) -> Result<InvoiceView, AppError> {
    actor.require(Right::BillingPay)?;
    let company = match input.kind.as_str() {
        "personal" => false,
        "company" => true,
        _ => return Err(InvoiceError::InvalidKind.into()),
    };
    let b = &input.buyer;
    let mut buyer = InvoiceBuyer {
        title: check_text("title", &b.title, true)?,
        tax_id: String::new(),
        address: check_text("address", &b.address, false)?,
        phone: check_text("phone", &b.phone, false)?,
        bank: check_text("bank", &b.bank, false)?,
        bank_account: check_text("bank_account", &b.bank_account, false)?,
        email: check_text("email", &b.email, false)?,
    };
    if company {
        buyer.tax_id = Uscc::parse(&b.tax_id)
            .map(|v| v.value.to_string())
            .map_err(|_| InvoiceError::InvalidTaxId)?;
    }
    let id = new_id("inv");
    let now = app.now();
    let mut tx = app.db().write().await?;
    let open = tx.uninvoiced_topups(&actor.tenant_id).await?;
    let chosen: Vec<OrderRow> = if input.order_ids.is_empty() {
        open
    } else {
        let mut chosen = Vec::new();
        for order_id in &input.order_ids {
            let order = open
                .iter()
                .find(|o| &o.id == order_id)
                .ok_or(InvoiceError::NothingToInvoice)?;
            chosen.push(order.clone());
        }
        chosen
    };
    let mut total = 0;
    let mut items = Vec::new();
    for order in chosen.iter().filter(|o| o.currency == "CNY") {
        let amount = invoiceable_amount(&mut tx, order).await?;
        if amount > 0 {
            total += amount;
            items.push((order.id.clone(), amount));
        }
    }
    if total == 0 {
        return Err(InvoiceError::NothingToInvoice.into());
    }
    let details = serde_json::to_vec(&buyer).map_err(|e| AppError::internal(e.to_string()))?;
    let row = InvoiceRow {
        id: id.clone(),
        owner_id: actor.tenant_id.clone(),
        actor_id: actor.account_id.clone(),
        kind: input.kind.clone(),
        details: app.cipher().seal(&details, &details_context(&id)),
        amount: total,
        currency: "CNY".into(),
        status: "requested".into(),
        number: None,
        reason: None,
        decided_by: None,
        decided_at: None,
        pdf: None,
        created_at: now.0,
    };
    tx.insert_invoice(&row).await?;
    for (order_id, amount) in &items {
        if !tx.insert_invoice_item(&id, order_id, *amount).await? {
            return Err(InvoiceError::AlreadyInvoiced.into());
        }
    }
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "invoice.request",
            object_type: "invoice",
            object_id: &id,
            tenant: &actor.tenant_id,
            before: serde_json::Value::Null,
            after: json!({ "kind": input.kind, "amount": total, "orders": items.iter().map(|(o, _)| o).collect::<Vec<_>>() }),
        },
    )
    .await?;
    tx.commit().await?;
    view_of(app, &row)
}

/// The tenant's invoices, newest first.
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<InvoiceView>, AppError> {
    actor.require(Right::BillingRead)?;
    let mut tx = app.db().read().await?;
    let rows = tx.invoices_of_owner(&actor.tenant_id, 200).await?;
    tx.commit().await?;
    rows.iter().map(|r| view_of(app, r)).collect()
}

async fn load(app: &App, actor: &Actor, id: &str, right: Right) -> Result<InvoiceRow, AppError> {
    let mut tx = app.db().read().await?;
    let row = tx.invoice(id).await?;
    tx.commit().await?;
    let row = row.ok_or_else(AppError::not_found)?;
    actor.authorize(&row.owner_id, right)?;
    Ok(row)
}

/// One invoice of the actor's tenant (or any, for finance staff).
pub async fn get(app: &App, actor: &Actor, id: &str) -> Result<InvoiceView, AppError> {
    view_of(app, &load(app, actor, id, Right::BillingRead).await?)
}

/// Requests waiting for finance, oldest first.
pub async fn queue(app: &App, actor: &Actor) -> Result<Vec<InvoiceView>, AppError> {
    actor.require(Right::BillingManage)?;
    let mut tx = app.db().read().await?;
    let rows = tx.invoices_in_status("requested", 200).await?;
    tx.commit().await?;
    rows.iter().map(|r| view_of(app, r)).collect()
}

/// Issues a requested invoice under the tax authority's `number` (finance staff): the PDF is
/// made and kept, sealed.
pub async fn issue(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
    number: &str,
) -> Result<InvoiceView, AppError> {
    actor.require(Right::BillingManage)?;
    let number = number.trim();
    if !(8..=20).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(InvoiceError::InvalidNumber.into());
    }
    let row = load(app, actor, id, Right::BillingManage).await?;
    let view = view_of(app, &row)?;
    let now = app.now();
    let pdf = render(&view, number, now);
    let mut tx = app.db().write().await?;
    let issued = tx
        .issue_invoice(
            id,
            number,
            &app.cipher().seal(&pdf, &pdf_context(id)),
            &actor.account_id,
            now.0,
        )
        .await
        .map_err(|e| match e {
            yuming_store::StoreError::Conflict(_) => AppError::from(InvoiceError::InvalidNumber),
            other => other.into(),
        })?;
    if !issued {
        return Err(InvoiceError::AlreadyDecided.into());
    }
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "invoice.issue",
            object_type: "invoice",
            object_id: id,
            tenant: &row.owner_id,
            before: json!({ "status": "requested" }),
            after: json!({ "status": "issued", "number": number }),
        },
    )
    .await?;
    tx.commit().await?;
    get(app, actor, id).await
}

/// Rejects a requested invoice with a reason (finance staff); its payments can be invoiced
/// again.
pub async fn reject(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
    reason: &str,
) -> Result<InvoiceView, AppError> {
    actor.require(Right::BillingManage)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(InvoiceError::ReasonRequired.into());
    }
    let row = load(app, actor, id, Right::BillingManage).await?;
    let mut tx = app.db().write().await?;
    if !tx
        .reject_invoice(id, reason, &actor.account_id, app.now().0)
        .await?
    {
        return Err(InvoiceError::AlreadyDecided.into());
    }
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "invoice.reject",
            object_type: "invoice",
            object_id: id,
            tenant: &row.owner_id,
            before: json!({ "status": "requested" }),
            after: json!({ "status": "rejected", "reason": reason }),
        },
    )
    .await?;
    tx.commit().await?;
    get(app, actor, id).await
}

/// An issued invoice's PDF.
pub async fn pdf(app: &App, actor: &Actor, id: &str) -> Result<(String, Vec<u8>), AppError> {
    let row = load(app, actor, id, Right::BillingRead).await?;
    let (Some(sealed), Some(number)) = (&row.pdf, &row.number) else {
        return Err(InvoiceError::NotIssued.into());
    };
    let pdf = app
        .cipher()
        .open(sealed, &pdf_context(id))
        .map_err(|e| AppError::internal(format!("invoice pdf: {e}")))?;
    Ok((format!("invoice-{number}.pdf"), pdf))
}

/// The invoice as a one-page PDF.
fn render(view: &InvoiceView, number: &str, issued: Timestamp) -> Vec<u8> {
    let b = &view.buyer;
    let mut lines: Vec<crate::platform::pdf::Line> = vec![
        (20.0, "电子发票（普通发票） Electronic invoice".to_owned()),
        (12.0, String::new()),
        (12.0, format!("发票号码 Number: {number}")),
        (12.0, format!("开票日期 Date: {}", issued.date())),
        (12.0, format!("购买方 Buyer: {}", b.title)),
    ];
    if !b.tax_id.is_empty() {
        lines.push((12.0, format!("纳税人识别号 Tax id: {}", b.tax_id)));
    }
    for (label, value) in [
        (
            "地址、电话 Address, phone",
            format!("{} {}", b.address, b.phone),
        ),
        (
            "开户行及账号 Bank, account",
            format!("{} {}", b.bank, b.bank_account),
        ),
    ] {
        if !value.trim().is_empty() {
            lines.push((12.0, format!("{label}: {}", value.trim())));
        }
    }
    lines.extend([
        (
            12.0,
            "项目 Item: *信息技术服务*域名服务费 Domain services".to_owned(),
        ),
        (
            12.0,
            format!("价税合计 Total (tax included): {}", view.amount),
        ),
        (12.0, String::new()),
        (9.0, format!("申请编号 Request: {}", view.id)),
    ]);
    crate::platform::pdf::text_page(&format!("发票 {number}"), &lines)
}
