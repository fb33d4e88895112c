//! Administrators keep the filing checks' inputs: the rules table (national and provincial
//! values with their source and start date), the provider's address pools (which server
//! addresses count as mainland access), and the blacklist of people and certificates proven to
//! have filed false data.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use yuming_app::AppError;
use yuming_app::filing::{self, RuleInput};
use yuming_core::clock::Timestamp;

use super::{StaffForm, require_staff};
use crate::WebState;
use crate::format;
use crate::pages::{Base, FormState, app_error_page, page, submit_once};
use crate::session::{Visitor, status_of};

/// An address pool as the page lists it.
pub struct PoolLine {
    /// CIDR.
    pub cidr: String,
    /// Region.
    pub region: String,
    /// Mainland access.
    pub mainland: bool,
    /// Added.
    pub added: String,
}

/// A rule as the page lists it.
pub struct RuleLine {
    /// `national` or the province code.
    pub scope: String,
    /// The rule's key.
    pub key: String,
    /// Its value.
    pub value: String,
    /// Where it comes from.
    pub source: String,
    /// From when.
    pub from: String,
}

#[derive(Template)]
#[template(path = "admin/filing_settings.html")]
struct SettingsPage {
    base: Base,
    pools: Vec<PoolLine>,
    rules: Vec<RuleLine>,
    /// The form that failed (`pool`, `rule` or `blacklist`) with what was typed.
    failed: Option<(&'static str, FormState)>,
    form: FormState,
}

impl SettingsPage {
    fn form_of(&self, which: &str) -> &FormState {
        match &self.failed {
            Some((failed, form)) if *failed == which => form,
            _ => &self.form,
        }
    }
}

async fn settings_page(
    state: &WebState,
    visitor: &Visitor,
    failed: Option<(&'static str, FormState)>,
    status: StatusCode,
) -> Response {
    let actor = match require_staff(visitor, state) {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    let loaded = async {
        Ok::<_, AppError>((
            filing::list_ip_pools(&state.app, actor).await?,
            filing::list_rules(&state.app, actor).await?,
        ))
    }
    .await;
    let (pools, rules) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let template = SettingsPage {
        base: Base::new(
            visitor,
            state,
            "admin-filing-settings-title",
            "admin-filing-settings",
        ),
        pools: pools
            .iter()
            .map(|p| PoolLine {
                cidr: p.cidr.clone(),
                region: p.region.clone(),
                mainland: p.mainland,
                added: format::date(p.created_at),
            })
            .collect(),
        rules: rules
            .iter()
            .map(|r| RuleLine {
                scope: if r.scope_key.is_empty() {
                    r.scope.clone()
                } else {
                    format!("{} {}", r.scope, r.scope_key)
                },
                key: r.rule_key.clone(),
                value: r.value.clone(),
                source: r.source.clone(),
                from: format::date(r.effective_from),
            })
            .collect(),
        failed,
        form: FormState::new(),
    };
    page(visitor, status, &template)
}

/// `GET /admin/filing-settings`.
pub async fn show(State(state): State<WebState>, visitor: Visitor) -> Response {
    settings_page(&state, &visitor, None, StatusCode::OK).await
}

/// `POST /admin/filing-settings/{which}`: adds an address `pool`, a `rule` or a `blacklist`
/// entry, once per rendering of its form.
pub async fn add(
    State(state): State<WebState>,
    Path(which): Path<String>,
    StaffForm {
        mut visitor,
        actor,
        fields,
    }: StaffForm,
) -> Response {
    let which: &'static str = match which.as_str() {
        "pool" => "pool",
        "rule" => "rule",
        "blacklist" => "blacklist",
        _ => return app_error_page(&visitor, &state, &AppError::not_found()),
    };
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let app = state.app.clone();
    let today = Timestamp(visitor.now.0);
    let (cidr, region, mainland) = (
        field("cidr"),
        field("region"),
        fields.contains_key("mainland"),
    );
    let rule = RuleInput {
        scope: field("scope"),
        scope_key: field("scope_key"),
        key: field("key"),
        value: field("value"),
        source: field("source"),
        effective_from: today,
    };
    let (id_type, number, reason) = (field("id_type"), field("number"), field("reason"));
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        match which {
            "pool" => {
                filing::add_ip_pool(&app, &ctx, &actor, &cidr, &region, mainland).await?;
            }
            "rule" => {
                filing::add_rule(&app, &ctx, &actor, &rule).await?;
            }
            _ => filing::blacklist(&app, &ctx, &actor, &id_type, &number, &reason).await?,
        }
        Ok(format!(
            "/admin/filing-settings?done=filing-setting-added#{which}"
        ))
    })
    .await;
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(
                visitor.locale,
                &e,
                &[
                    "cidr",
                    "region",
                    "scope",
                    "scope_key",
                    "key",
                    "value",
                    "source",
                    "id_type",
                    "number",
                    "reason",
                ],
            );
            settings_page(&state, &visitor, Some((which, form)), status_of(&e)).await
        }
    }
}
