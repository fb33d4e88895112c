//! Finance work in the browser: invoice requests issued or refused, payment alerts closed,
//! bank statements imported and their unmatched lines assigned to a customer. Each form goes
//! through the same use case as the API's finance endpoint.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use yuming_app::AppError;
use yuming_app::billing::{bank, invoices, payments};
use yuming_core::clock::Timestamp;
use yuming_core::money::{Currency, Money};

use super::{StaffForm, require_staff};
use crate::WebState;
use crate::format;
use crate::pages::upload::UploadForm;
use crate::pages::{Base, FormState, app_error_page, page, submit_once};
use crate::session::{Visitor, status_of};

/// An invoice request as the page shows it.
pub struct InvoiceLine {
    /// Id.
    pub id: String,
    /// Buyer's title and tax number.
    pub buyer: String,
    /// 普通 or 专用.
    pub kind: String,
    /// Amount.
    pub amount: String,
    /// Requested.
    pub requested: String,
}

/// A payment alert.
pub struct AlertLine {
    /// Id.
    pub id: String,
    /// Gateway and kind.
    pub what: String,
    /// Its detail.
    pub detail: String,
    /// Raised.
    pub raised: String,
}

/// An unmatched statement line.
pub struct BankLine {
    /// Id.
    pub id: String,
    /// Booked on.
    pub booked_on: String,
    /// Amount.
    pub amount: String,
    /// Payer's name and account.
    pub payer: String,
    /// The transfer's memo as the bank printed it.
    pub memo: String,
}

/// A credit or debit waiting for a second finance person.
pub struct CreditRequestLine {
    /// Id.
    pub id: String,
    /// Credit or debit, in words.
    pub direction: String,
    /// A debit (money taken back).
    pub debit: bool,
    /// The customer's account.
    pub tenant: String,
    /// Amount.
    pub amount: String,
    /// Why.
    pub note: String,
    /// Who asked, and when.
    pub asked: String,
    /// The viewer asked for it (and so cannot decide it).
    pub own: bool,
}

#[derive(Template)]
#[template(path = "admin/finance.html")]
struct FinancePage {
    base: Base,
    credits: Vec<CreditRequestLine>,
    invoices: Vec<InvoiceLine>,
    alerts: Vec<AlertLine>,
    lines: Vec<BankLine>,
    /// The form that failed, by its anchor (`invoice-<id>`, `alert-<id>`, `line-<id>`,
    /// `statement`), with what was typed and what was wrong.
    failed: Option<(String, FormState)>,
    /// A fresh form (its idempotency key) for every other form on the page.
    form: FormState,
    /// The last import's summary.
    imported: Option<String>,
}

impl FinancePage {
    /// The state of the `kind` form of item `id` (its anchor `<kind>-<id>`, or `<kind>`
    /// without an id): the failed one, or a fresh one.
    fn form_of(&self, kind: &str, id: &str) -> &FormState {
        let anchor = if id.is_empty() {
            kind.to_owned()
        } else {
            format!("{kind}-{id}")
        };
        match &self.failed {
            Some((failed, form)) if *failed == anchor => form,
            _ => &self.form,
        }
    }
}

async fn finance_page(
    state: &WebState,
    visitor: &Visitor,
    failed: Option<(String, FormState)>,
    imported: Option<String>,
    status: StatusCode,
) -> Response {
    let actor = match require_staff(visitor, state) {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    let app = &state.app;
    let loaded = async {
        Ok::<_, AppError>((
            invoices::queue(app, actor).await?,
            payments::alerts(app, actor, false).await?,
            bank::lines(app, actor, Some("unmatched")).await?,
            yuming_app::billing::credit_requests::pending(app, actor).await?,
        ))
    }
    .await;
    let (requests, alerts, lines, credits) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let locale = visitor.locale;
    let template = FinancePage {
        base: Base::new(visitor, state, "admin-finance-title", "admin-finance"),
        credits: credits
            .iter()
            .map(|c| CreditRequestLine {
                id: c.id.clone(),
                direction: locale.t(&format!("admin-credit-direction-{}", c.direction.as_str())),
                debit: c.direction == yuming_app::billing::credit_requests::Direction::Debit,
                tenant: c.tenant_id.clone(),
                amount: format::money(c.amount),
                note: c.note.clone(),
                asked: format!("{} · {}", c.requested_by, format::datetime(c.requested_at)),
                own: c.requested_by == actor.account_id,
            })
            .collect(),
        invoices: requests
            .iter()
            .map(|i| InvoiceLine {
                id: i.id.clone(),
                buyer: format!("{} · {}", i.buyer.title, i.buyer.tax_id),
                kind: locale.t(&format!("invoices-kind-{}", i.kind)),
                amount: format::money(i.amount),
                requested: format::datetime(i.created_at),
            })
            .collect(),
        alerts: alerts
            .iter()
            .map(|a| AlertLine {
                id: a.id.clone(),
                what: format!("{} · {}", a.gateway, a.kind),
                detail: a.detail.clone(),
                raised: format::datetime(Timestamp(a.created_at)),
            })
            .collect(),
        lines: lines
            .iter()
            .map(|l| BankLine {
                id: l.row.id.clone(),
                booked_on: l.row.booked_on.clone(),
                amount: format::money(Money::new(
                    l.row.amount,
                    Currency::parse(&l.row.currency).unwrap_or(Currency::Cny),
                )),
                payer: format!("{} · {}", l.payer_name, l.payer_account),
                memo: l.row.memo.clone(),
            })
            .collect(),
        failed,
        form: FormState::new(),
        imported,
    };
    page(visitor, status, &template)
}

/// `GET /admin/finance`: what waits for finance.
pub async fn overview(State(state): State<WebState>, visitor: Visitor) -> Response {
    finance_page(&state, &visitor, None, None, StatusCode::OK).await
}

/// `POST /admin/finance/invoices/{id}/{action}`: `issue` under the tax authority's number,
/// or `reject` with a reason the customer reads.
pub async fn invoice_action(
    State(state): State<WebState>,
    Path((id, action)): Path<(String, String)>,
    StaffForm {
        mut visitor,
        actor,
        fields,
    }: StaffForm,
) -> Response {
    let text = fields.get("text").cloned().unwrap_or_default();
    let app = state.app.clone();
    let invoice = id.clone();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        match action.as_str() {
            "issue" => invoices::issue(&app, &ctx, &actor, &invoice, &text).await?,
            "reject" => invoices::reject(&app, &ctx, &actor, &invoice, &text).await?,
            _ => return Err(AppError::not_found()),
        };
        Ok("/admin/finance?done=invoice-decided".to_owned())
    })
    .await;
    finish(&state, visitor, &fields, done, format!("invoice-{id}")).await
}

/// `POST /admin/finance/credits/{id}/{decision}`: a second finance person approves the
/// credit (booked at once) or rejects it with a reason.
pub async fn decide_credit(
    State(state): State<WebState>,
    Path((id, decision)): Path<(String, String)>,
    StaffForm {
        mut visitor,
        actor,
        fields,
    }: StaffForm,
) -> Response {
    let reason = fields.get("text").cloned().unwrap_or_default();
    let app = state.app.clone();
    let request = id.clone();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        let approve = match decision.as_str() {
            "approve" => true,
            "reject" => false,
            _ => return Err(AppError::not_found()),
        };
        yuming_app::billing::credit_requests::decide(
            &app,
            &ctx,
            &actor,
            &request,
            approve,
            Some(&reason),
        )
        .await?;
        Ok("/admin/finance?done=credit-decided#credit-requests".to_owned())
    })
    .await;
    finish(&state, visitor, &fields, done, format!("credit-{id}")).await
}

/// `POST /admin/finance/alerts/{id}/resolve`: the alert was dealt with.
pub async fn resolve_alert(
    State(state): State<WebState>,
    Path(id): Path<String>,
    StaffForm {
        mut visitor,
        actor,
        fields,
    }: StaffForm,
) -> Response {
    let app = state.app.clone();
    let alert = id.clone();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        payments::resolve_alert(&app, &ctx, &actor, &alert).await?;
        Ok("/admin/finance?done=alert-resolved".to_owned())
    })
    .await;
    finish(&state, visitor, &fields, done, format!("alert-{id}")).await
}

/// `POST /admin/finance/lines/{id}/assign`: an unmatched line credited to the customer with
/// this e-mail.
pub async fn assign_line(
    State(state): State<WebState>,
    Path(id): Path<String>,
    StaffForm {
        mut visitor,
        actor,
        fields,
    }: StaffForm,
) -> Response {
    let email = fields.get("email").cloned().unwrap_or_default();
    let app = state.app.clone();
    let line = id.clone();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        let account = yuming_app::accounts::tenant_of_email(&app, &email)
            .await
            .map_err(|e| e.with_field("email"))?;
        bank::assign(&app, &ctx, &actor, &line, &account).await?;
        Ok("/admin/finance?done=line-assigned".to_owned())
    })
    .await;
    finish(&state, visitor, &fields, done, format!("line-{id}")).await
}

async fn finish(
    state: &WebState,
    visitor: Visitor,
    fields: &std::collections::HashMap<String, String>,
    done: Result<String, AppError>,
    anchor: String,
) -> Response {
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) => {
            let mut form = FormState::from_fields(fields);
            form.fail(visitor.locale, &e, &["text", "email"]);
            finance_page(state, &visitor, Some((anchor, form)), None, status_of(&e)).await
        }
    }
}

/// `POST /admin/finance/statements`: a bank statement (CSV) imported; lines carrying a
/// transfer's reference are matched at once, the others wait below.
pub async fn import_statement(State(state): State<WebState>, form: UploadForm) -> Response {
    if let Err(answer) = require_staff(&form.visitor, &state) {
        return answer;
    }
    let UploadForm {
        visitor,
        actor,
        fields,
        file,
    } = form;
    let result = match file {
        Ok(file) => bank::import_statement(&state.app, &visitor.ctx, &actor, &file.bytes).await,
        Err(problem) => Err(problem.error()),
    };
    match result {
        Ok(report) => {
            let summary = visitor.locale.t_args(
                "admin-statement-imported",
                &[
                    ("lines", report.lines.to_string()),
                    ("matched", report.matched.to_string()),
                    ("unmatched", report.unmatched.to_string()),
                    ("duplicates", report.duplicates.to_string()),
                ],
            );
            finance_page(&state, &visitor, None, Some(summary), StatusCode::OK).await
        }
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &["file"]);
            let status = status_of(&e);
            finance_page(
                &state,
                &visitor,
                Some(("statement".into(), form)),
                None,
                status,
            )
            .await
        }
    }
}

/// The period of a revenue report, as typed (`YYYY-MM-DD`); empty means the last 7 days.
#[derive(Debug, Default, serde::Deserialize)]
pub struct PeriodQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// The period shown when none is asked for: the last 7 days up to today (CST).
fn last_week(now: Timestamp) -> (time::Date, time::Date) {
    let today = yuming_app::billing::report::day_of(now);
    (today - time::Duration::days(6), today)
}

/// The period asked for, or the field that is not a date.
fn period(query: &PeriodQuery, now: Timestamp) -> Result<(time::Date, time::Date), AppError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let (_, today) = last_week(now);
    let parse = |text: &str, field: &'static str, default: time::Date| {
        let text = text.trim();
        if text.is_empty() {
            return Ok(default);
        }
        time::Date::parse(text, &format).map_err(|_| {
            AppError::bad_request(
                "INVALID_DATE",
                "enter a date as YYYY-MM-DD",
                "请按 YYYY-MM-DD 格式填写日期",
            )
            .with_field(field)
        })
    };
    let to = parse(&query.to, "to", today)?;
    let from = parse(&query.from, "from", to - time::Duration::days(6))?;
    Ok((from, to))
}

/// One group of the report as the page shows it.
pub struct RevenueRowView {
    /// Day.
    pub day: String,
    /// TLD (Unicode, with its dot), or a dash.
    pub tld: String,
    /// Operation in words.
    pub operation: String,
    /// Orders.
    pub orders: i64,
    /// Amount.
    pub amount: String,
}

#[derive(Template)]
#[template(path = "admin/revenue.html")]
struct RevenuePage {
    base: Base,
    from: String,
    to: String,
    error: Option<(String, String)>,
    rows: Vec<RevenueRowView>,
    totals: Vec<String>,
    csv: String,
}

/// `GET /admin/finance/revenue?from=&to=`: revenue per day, TLD and operation.
pub async fn revenue(
    State(state): State<WebState>,
    visitor: Visitor,
    axum::extract::Query(query): axum::extract::Query<PeriodQuery>,
) -> Response {
    let actor = match require_staff(&visitor, &state) {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    let locale = visitor.locale;
    let asked = period(&query, visitor.now);
    let report = match &asked {
        Ok((from, to)) => yuming_app::billing::report::revenue(&state.app, actor, *from, *to).await,
        Err(e) => Err(e.clone()),
    };
    let (from, to) = asked.unwrap_or_else(|_| last_week(visitor.now));
    let (rows, totals, error, status) = match report {
        Ok(report) => (
            report
                .lines
                .iter()
                .map(|l| RevenueRowView {
                    day: l.day.to_string(),
                    tld: if l.tld.is_empty() {
                        "—".into()
                    } else {
                        format!(".{}", format::unicode_name(&l.tld))
                    },
                    operation: {
                        let key = format!("order-kind-{}", l.operation.replace('_', "-"));
                        if locale.has(&key) {
                            locale.t(&key)
                        } else {
                            l.operation.clone()
                        }
                    },
                    orders: l.orders,
                    amount: format::money(l.amount),
                })
                .collect(),
            report.totals.iter().map(|m| format::money(*m)).collect(),
            None,
            StatusCode::OK,
        ),
        Err(e) if e.kind == yuming_app::ErrorKind::BadRequest => {
            let field = e.field.clone().unwrap_or_default();
            let status = status_of(&e);
            (
                Vec::new(),
                Vec::new(),
                Some((field, locale.error_message(&e))),
                status,
            )
        }
        Err(e) => return app_error_page(&visitor, &state, &e),
    };
    let pairs = [("from", query.from.as_str()), ("to", query.to.as_str())];
    let template = RevenuePage {
        base: Base::new(&visitor, &state, "admin-revenue-title", "admin-revenue"),
        from: if query.from.is_empty() {
            from.to_string()
        } else {
            query.from.clone()
        },
        to: if query.to.is_empty() {
            to.to_string()
        } else {
            query.to.clone()
        },
        error,
        rows,
        totals,
        csv: format!(
            "/admin/finance/revenue.csv?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        ),
    };
    page(&visitor, status, &template)
}

/// `GET /admin/finance/revenue.csv?from=&to=`: the same report as a CSV download.
pub async fn revenue_csv(
    State(state): State<WebState>,
    visitor: Visitor,
    axum::extract::Query(query): axum::extract::Query<PeriodQuery>,
) -> Response {
    use axum::response::IntoResponse as _;
    let actor = match require_staff(&visitor, &state) {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    let report = match period(&query, visitor.now) {
        Ok((from, to)) => yuming_app::billing::report::revenue(&state.app, actor, from, to).await,
        Err(e) => Err(e),
    };
    match report {
        Ok(report) => {
            let name = format!("revenue-{}-{}.csv", report.from, report.to);
            let body = yuming_app::billing::report::to_csv(&report);
            visitor.finish(
                (
                    [
                        (
                            axum::http::header::CONTENT_TYPE,
                            "text/csv; charset=utf-8".to_owned(),
                        ),
                        (
                            axum::http::header::CONTENT_DISPOSITION,
                            format!("attachment; filename=\"{name}\""),
                        ),
                    ],
                    body,
                )
                    .into_response(),
            )
        }
        Err(e) => app_error_page(&visitor, &state, &e),
    }
}
