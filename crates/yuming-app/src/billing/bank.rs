//! Bank transfer top-ups (对公转账): a customer asks for one and gets the operator's account
//! with a unique reference to write in the transfer's memo; finance imports the bank's
//! statement (CSV), each credit line carrying a valid reference is credited to that
//! customer at once — whatever its amount: a partial payment leaves the request open for the
//! rest, an over-payment is credited in full and raised for finance to look at — and lines
//! without one wait for finance to assign them by hand. A line is imported once (by the
//! bank's transaction id), so importing overlapping statements credits nothing twice.

use serde_json::json;
use yuming_core::access::{Actor, Right};
use yuming_core::bank_statement::{self, StatementError};
use yuming_core::money::{Currency, Money};
pub use yuming_store::{BankStatementLineRow, BankTransferRow};

use super::{BillingError, MAX_TOP_UP_MINOR, top_up_received};
use crate::platform::audit::{self, Change};
use crate::platform::crypto::{new_id, random_bytes};
use crate::{App, AppError, RequestContext};

/// The operator's account customers transfer to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankAccount {
    /// The account holder (户名).
    pub account_name: String,
    /// The bank and branch (开户行).
    pub bank_name: String,
    /// The account number.
    pub account_number: String,
}

/// Largest statement accepted, bytes.
pub const MAX_STATEMENT_BYTES: usize = 4 << 20;

const PAYER_CONTEXT: &str = "bank_statement_line.payer";

crate::platform::error::error_enum! {
    /// What bank transfers refuse.
    pub enum BankError {
        /// No bank account is configured.
        NotOffered = BadRequest("UNKNOWN_PAYMENT_METHOD", field = "method") => (
            "bank transfer is not offered here",
            "暂不支持对公转账",
        ),
        /// The statement cannot be read.
        Statement { why: String } = BadRequest("INVALID_STATEMENT", field = "statement") => (
            format!("the statement cannot be read: {why}"),
            format!("无法读取银行流水：{why}"),
        ),
        /// The line was matched or assigned already.
        LineSettled = Conflict("STATEMENT_LINE_SETTLED", field = "line") => (
            "this statement line has been credited already",
            "该流水已入账",
        ),
    }
}

/// A transfer request with the account to pay to.
#[derive(Debug, Clone)]
pub struct TransferView {
    /// The request.
    pub row: BankTransferRow,
    /// Where to transfer to (absent when bank transfer was switched off since).
    pub payee: Option<BankAccount>,
}

fn offered(app: &App) -> Result<BankAccount, AppError> {
    app.settings()
        .bank_account
        .clone()
        .ok_or_else(|| BankError::NotOffered.into())
}

/// Asks for a bank transfer top-up of `amount`: a unique reference to write in the memo.
pub async fn request(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    amount: Money,
) -> Result<TransferView, AppError> {
    actor.require(Right::BillingPay)?;
    let payee = offered(app)?;
    if amount.currency() != Currency::Cny {
        return Err(super::payments::PaymentError::UnsupportedCurrency.into());
    }
    if amount.minor() <= 0 || amount.minor() > MAX_TOP_UP_MINOR {
        return Err(BillingError::InvalidCredit.into());
    }
    let now = app.now();
    let mut tx = app.db().write().await?;
    crate::accounts::verification::require_verified(&mut tx, &actor.tenant_id).await?;
    let mut row = BankTransferRow {
        id: new_id("btr"),
        owner_id: actor.tenant_id.clone(),
        actor_id: actor.account_id.clone(),
        reference: String::new(),
        amount: amount.minor(),
        currency: amount.currency().code().to_owned(),
        received: 0,
        status: "awaiting".into(),
        created_at: now.0,
        updated_at: now.0,
    };
    // 40 random bits: a clash is rare, and the unique index turns one into another draw.
    let mut stored = false;
    for _ in 0..5 {
        row.reference = bank_statement::new_reference(random_bytes::<8>());
        if tx.insert_bank_transfer(&row).await? {
            stored = true;
            break;
        }
    }
    if !stored {
        return Err(AppError::internal("no free bank transfer reference"));
    }
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "bank_transfer.request",
            object_type: "bank_transfer",
            object_id: &row.id,
            tenant: &actor.tenant_id,
            before: serde_json::Value::Null,
            after: json!({ "amount": row.amount, "currency": row.currency, "reference": row.reference }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(TransferView {
        row,
        payee: Some(payee),
    })
}

/// The tenant's transfer requests, newest first.
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<TransferView>, AppError> {
    actor.require(Right::BillingRead)?;
    let mut tx = app.db().read().await?;
    let rows = tx.bank_transfers_of(&actor.tenant_id, 100).await?;
    tx.commit().await?;
    let payee = app.settings().bank_account.clone();
    Ok(rows
        .into_iter()
        .map(|row| TransferView {
            row,
            payee: payee.clone(),
        })
        .collect())
}

/// One transfer request of the tenant.
pub async fn get(app: &App, actor: &Actor, id: &str) -> Result<TransferView, AppError> {
    let mut tx = app.db().read().await?;
    let row = tx.bank_transfer(id).await?;
    tx.commit().await?;
    let row = row
        .filter(|r| actor.authorize(&r.owner_id, Right::BillingRead).is_ok())
        .ok_or_else(AppError::not_found)?;
    Ok(TransferView {
        row,
        payee: app.settings().bank_account.clone(),
    })
}

/// What one statement import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Credit lines read.
    pub lines: usize,
    /// Lines imported before (by transaction id), skipped.
    pub duplicates: usize,
    /// Lines credited to the customer whose reference they carry.
    pub matched: usize,
    /// Of those, less than the request asked for.
    pub partial: usize,
    /// Of those, more than the request asked for (raised for finance).
    pub over: usize,
    /// Lines without a known reference, waiting to be assigned.
    pub unmatched: usize,
}

/// The status of a request that has received `received` of `amount`.
fn status_after(received: i64, amount: i64) -> &'static str {
    match received.cmp(&amount) {
        std::cmp::Ordering::Less => "partly_received",
        std::cmp::Ordering::Equal => "received",
        std::cmp::Ordering::Greater => "over_received",
    }
}

/// Imports a bank statement (finance staff): UTF-8 or GBK CSV, in one transaction.
pub async fn import_statement(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    bytes: &[u8],
) -> Result<ImportReport, AppError> {
    actor.require(Right::BillingManage)?;
    if bytes.len() > MAX_STATEMENT_BYTES {
        return Err(BankError::Statement {
            why: format!("larger than {MAX_STATEMENT_BYTES} bytes"),
        }
        .into());
    }
    // Chinese banks export GBK as often as UTF-8.
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => encoding_rs::GBK.decode(bytes).0.into_owned(),
    };
    let lines = bank_statement::parse_statement(&text)
        .map_err(|e: StatementError| AppError::from(BankError::Statement { why: e.to_string() }))?;
    let now = app.now();
    let mut report = ImportReport {
        lines: lines.len(),
        ..ImportReport::default()
    };
    let mut tx = app.db().write().await?;
    for line in &lines {
        let id = new_id("bsl");
        let payer = json!({ "name": line.payer_name, "account": line.payer_account }).to_string();
        let mut row = BankStatementLineRow {
            payer_sealed: app
                .cipher()
                .seal(payer.as_bytes(), &format!("{PAYER_CONTEXT}:{id}")),
            id,
            txn_id: line.txn_id.clone(),
            booked_on: line.booked_on.clone(),
            amount: line.amount.minor(),
            currency: line.amount.currency().code().to_owned(),
            memo: line.memo.clone(),
            status: "unmatched".into(),
            transfer_id: None,
            owner_id: None,
            order_id: None,
            imported_by: actor.account_id.clone(),
            imported_at: now.0,
            settled_by: None,
            settled_at: None,
        };
        let transfer = match bank_statement::find_reference(&line.memo) {
            Some(reference) => tx
                .bank_transfer_by_reference(&reference)
                .await?
                .filter(|t| t.status != "cancelled" && t.currency == row.currency),
            None => None,
        };
        if let Some(transfer) = &transfer {
            row.status = "matched".into();
            row.transfer_id = Some(transfer.id.clone());
            row.owner_id = Some(transfer.owner_id.clone());
            row.order_id = Some(new_id("ord"));
            row.settled_at = Some(now.0);
        }
        // The line is stored before anything is credited: a line imported before is
        // refused by its transaction id and credits nothing again.
        if !tx.insert_bank_statement_line(&row).await? {
            report.duplicates += 1;
            continue;
        }
        if let (Some(transfer), Some(order_id)) = (&transfer, &row.order_id) {
            top_up_received(
                &mut tx,
                order_id,
                &transfer.owner_id,
                &transfer.actor_id,
                line.amount,
                &format!("bank transfer {}", transfer.reference),
                json!({ "method": "bank", "bank_transfer_id": transfer.id, "statement_line_id": row.id, "txn_id": line.txn_id }),
                now,
            )
            .await?;
        }
        match &transfer {
            Some(transfer) => {
                let received = transfer.received + line.amount.minor();
                let status = status_after(received, transfer.amount);
                tx.receive_bank_transfer(&transfer.id, line.amount.minor(), status, now.0)
                    .await?;
                report.matched += 1;
                match status {
                    "partly_received" => report.partial += 1,
                    "over_received" => {
                        report.over += 1;
                        super::payments::raise(
                            &mut tx,
                            "bank",
                            "over_payment",
                            None,
                            &format!(
                                "bank transfer {} asked {} and has received {} (line {})",
                                transfer.reference, transfer.amount, received, line.txn_id
                            ),
                            now,
                        )
                        .await?;
                    }
                    _ => {}
                }
            }
            None => report.unmatched += 1,
        }
    }
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "bank_statement.import",
            object_type: "bank_statement",
            object_id: "import",
            tenant: &actor.tenant_id,
            before: serde_json::Value::Null,
            after: json!({ "lines": report.lines, "matched": report.matched, "unmatched": report.unmatched, "duplicates": report.duplicates }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}

/// A statement line with the payer opened for finance.
#[derive(Debug, Clone)]
pub struct LineView {
    /// The stored line.
    pub row: BankStatementLineRow,
    /// The payer's account name.
    pub payer_name: String,
    /// The payer's account number.
    pub payer_account: String,
}

/// Statement lines, newest first, optionally of one status (finance staff).
pub async fn lines(
    app: &App,
    actor: &Actor,
    status: Option<&str>,
) -> Result<Vec<LineView>, AppError> {
    actor.require(Right::BillingManage)?;
    let mut tx = app.db().read().await?;
    let rows = tx.bank_statement_lines(status, 500).await?;
    tx.commit().await?;
    rows.into_iter()
        .map(|row| {
            let opened = app
                .cipher()
                .open(&row.payer_sealed, &format!("{PAYER_CONTEXT}:{}", row.id))
                .map_err(|e| AppError::internal(format!("payer of line {}: {e}", row.id)))?;
            let payer: serde_json::Value = serde_json::from_slice(&opened).unwrap_or_default();
            Ok(LineView {
                payer_name: payer["name"].as_str().unwrap_or_default().to_owned(),
                payer_account: payer["account"].as_str().unwrap_or_default().to_owned(),
                row,
            })
        })
        .collect()
}

/// Credits an unmatched line to a customer account by hand (finance staff), e.g. when the
/// payer forgot the reference and phoned in.
pub async fn assign(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    line_id: &str,
    account_id: &str,
) -> Result<BankStatementLineRow, AppError> {
    actor.require(Right::BillingManage)?;
    let now = app.now();
    let mut tx = app.db().write().await?;
    let line = tx
        .bank_statement_line(line_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if line.status != "unmatched" {
        return Err(BankError::LineSettled.into());
    }
    let account = tx
        .account_by_id(account_id)
        .await?
        .filter(|a| a.role == "customer" && a.parent_id.is_none())
        .ok_or_else(|| {
            AppError::bad_request(
                "UNKNOWN_ACCOUNT",
                "no such customer account",
                "客户账户不存在",
            )
            .with_field("account_id")
        })?;
    let amount = super::payments::stored_money(line.amount, &line.currency)?;
    let order_id = new_id("ord");
    top_up_received(
        &mut tx,
        &order_id,
        &account.id,
        &actor.account_id,
        amount,
        &format!("bank transfer line {}", line.txn_id),
        json!({ "method": "bank", "statement_line_id": line.id, "txn_id": line.txn_id, "assigned_by": actor.account_id }),
        now,
    )
    .await?;
    if !tx
        .assign_bank_statement_line(line_id, &account.id, &order_id, &actor.account_id, now.0)
        .await?
    {
        return Err(BankError::LineSettled.into());
    }
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "bank_statement.assign",
            object_type: "bank_statement_line",
            object_id: line_id,
            tenant: &account.id,
            before: json!({ "status": "unmatched" }),
            after: json!({ "status": "assigned", "account_id": account.id, "amount": line.amount, "order_id": order_id }),
        },
    )
    .await?;
    let line = tx
        .bank_statement_line(line_id)
        .await?
        .ok_or_else(|| AppError::internal("the line vanished"))?;
    tx.commit().await?;
    Ok(line)
}
