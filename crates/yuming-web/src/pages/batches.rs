//! Batch operations from the domain list: the names picked by checkboxes go to the same
//! batch use case as `POST /api/v1/batches`; the batch's page shows each name's progress and
//! reloads itself while the batch runs.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use yuming_app::AppError;
use yuming_app::registrar::batches::{self, BatchOperation, BatchView};

use super::console::{ListQuery, domains_page};
use super::{Base, FormState, SignedInForm, app_error_page, page, submit_once};
use crate::WebState;
use crate::format;
use crate::i18n::Locale;
use crate::session::Visitor;

/// The batch form's fields that can carry an error.
const BATCH_FIELDS: [&str; 4] = ["domains", "operation", "years", "nameservers"];

/// The operation the batch form asks for, as the use case takes it.
fn operation_of(
    fields: &std::collections::HashMap<String, String>,
) -> Result<BatchOperation, AppError> {
    let field = |name: &str| fields.get(name).map_or("", String::as_str);
    match field("operation") {
        "renew" => Ok(BatchOperation::Renew {
            years: field("years").parse().unwrap_or(0),
        }),
        "auto_renew_on" => Ok(BatchOperation::AutoRenew { enabled: true }),
        "auto_renew_off" => Ok(BatchOperation::AutoRenew { enabled: false }),
        "lock" => Ok(BatchOperation::Lock { locked: true }),
        "unlock" => Ok(BatchOperation::Lock { locked: false }),
        "nameservers" => Ok(BatchOperation::Nameservers {
            nameservers: super::split_hosts(field("nameservers")),
        }),
        _ => Err(AppError::bad_request(
            "INVALID_OPERATION",
            "choose what to do with the selected domains",
            "请选择要对所选域名执行的操作",
        )
        .with_field("operation")),
    }
}

/// `POST /console/domains/batch`: starts a batch over the checked names (once per rendering
/// of the list, so a double click renews once).
pub async fn start(
    State(state): State<WebState>,
    SignedInForm {
        mut visitor,
        actor,
        fields,
        body,
    }: SignedInForm,
) -> Response {
    let names = super::all_values(&body, "domain");
    let operation = operation_of(&fields);
    let app = state.app.clone();
    // The key covers the whole selection: the same form sent with other names is another
    // request, refused as a reuse of the key rather than replayed.
    let mut keyed = fields.clone();
    keyed.insert("domain".to_owned(), names.join(","));
    let done = submit_once(&state, &mut visitor, &keyed, |ctx| async move {
        let batch = batches::start(&app, &ctx, &actor, operation?, names).await?;
        Ok(format!("/console/batches/{}?done=batch-started", batch.id))
    })
    .await;
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &BATCH_FIELDS);
            let status = crate::session::status_of(&e);
            domains_page(&state, &visitor, ListQuery::default(), form, status).await
        }
    }
}

/// One name of a batch as its page shows it.
pub struct ItemLine {
    /// The name as given.
    pub domain: String,
    /// `pending`, `succeeded` or `failed`, for the badge.
    pub badge: &'static str,
    /// The state in words.
    pub status: String,
    /// Why it failed: the code and the message.
    pub problem: String,
}

#[derive(Template)]
#[template(path = "console/batch.html")]
struct BatchPage {
    base: Base,
    operation: String,
    running: bool,
    done: usize,
    total: usize,
    failed: usize,
    created: String,
    items: Vec<ItemLine>,
}

fn batch_page(visitor: &Visitor, state: &WebState, batch: &BatchView) -> Response {
    let locale = visitor.locale;
    let items = batch
        .items
        .iter()
        .map(|item| {
            let (badge, key) = match item.status.as_str() {
                "succeeded" => ("success", "batch-item-succeeded"),
                "failed" => ("error", "batch-item-failed"),
                _ => ("primary", "batch-item-pending"),
            };
            // Items that failed before both messages were kept have the English one only.
            let message = match locale {
                Locale::ZhCn => item.message_zh.as_ref().or(item.message.as_ref()),
                Locale::En => item.message.as_ref(),
            };
            let problem = match (&item.code, message) {
                (Some(code), Some(message)) if item.status == "failed" => {
                    format!("{message} ({code})")
                }
                (Some(code), _) => code.clone(),
                _ => String::new(),
            };
            ItemLine {
                domain: format::unicode_name(&item.domain),
                badge,
                status: locale.t(key),
                problem,
            }
        })
        .collect();
    let template = BatchPage {
        base: Base::new(visitor, state, "batch-title", "domains"),
        operation: locale.t(&format!("batch-op-{}", batch.operation.replace('_', "-"))),
        running: batch.status == "running",
        done: batch.done,
        total: batch.total,
        failed: batch.failed,
        created: format::datetime(batch.created_at),
        items,
    };
    page(visitor, StatusCode::OK, &template)
}

/// `/console/batches/{id}`: the batch's progress, name by name.
pub async fn show(
    State(state): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(login) => return login,
    };
    match batches::get(&state.app, actor, &id).await {
        Ok(batch) => batch_page(&visitor, &state, &batch),
        Err(e) => app_error_page(&visitor, &state, &e),
    }
}
