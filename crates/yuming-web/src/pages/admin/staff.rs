//! Administrators see who works in the back office and add staff: each with one role, whose
//! rights the menus and every use case follow.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use yuming_app::accounts::{self, NewAccountInput};
use yuming_core::access::Role;

use super::{StaffForm, require_staff};
use crate::WebState;
use crate::format;
use crate::pages::{Base, FormState, app_error_page, page, submit_once};
use crate::session::{Visitor, status_of};

/// The roles a staff account can have, in the order the form offers them.
const STAFF_ROLES: [Role; 4] = [Role::Reviewer, Role::Support, Role::Finance, Role::Admin];

/// A staff member as the list shows them.
pub struct StaffLine {
    /// E-mail.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role in words.
    pub role: String,
    /// Two-step verification on.
    pub totp: bool,
    /// `active` or `disabled`.
    pub status: String,
    /// Since.
    pub since: String,
}

#[derive(Template)]
#[template(path = "admin/staff.html")]
struct StaffPage {
    base: Base,
    staff: Vec<StaffLine>,
    roles: Vec<(&'static str, String)>,
    form: FormState,
}

async fn staff_page(
    state: &WebState,
    visitor: &Visitor,
    form: FormState,
    status: StatusCode,
) -> Response {
    let actor = match require_staff(visitor, state) {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    let rows = match accounts::staff(&state.app, actor).await {
        Ok(rows) => rows,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let locale = visitor.locale;
    let role_words = |role: Role| locale.t(&format!("admin-role-name-{}", role.as_str()));
    let template = StaffPage {
        base: Base::new(visitor, state, "admin-staff-title", "admin-staff"),
        staff: rows
            .iter()
            .map(|a| StaffLine {
                email: a.email.clone(),
                name: a.display_name.clone(),
                role: role_words(a.role),
                totp: a.totp_enabled,
                status: a.status.clone(),
                since: format::date(a.created_at),
            })
            .collect(),
        roles: STAFF_ROLES
            .iter()
            .map(|r| (r.as_str(), role_words(*r)))
            .collect(),
        form,
    };
    page(visitor, status, &template)
}

/// `GET /admin/staff`.
pub async fn list(State(state): State<WebState>, visitor: Visitor) -> Response {
    staff_page(&state, &visitor, FormState::new(), StatusCode::OK).await
}

/// `POST /admin/staff`: a new staff account with a first password the administrator hands
/// over (the staff member changes it under 登录与安全).
pub async fn create(
    State(state): State<WebState>,
    StaffForm {
        mut visitor,
        actor,
        fields,
    }: StaffForm,
) -> Response {
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let Some(role) = Role::parse(&field("role")).filter(|r| r.is_staff()) else {
        let mut form = FormState::from_fields(&fields);
        form.set_error("role", visitor.locale.t("admin-staff-role-required"));
        return staff_page(&state, &visitor, form, StatusCode::BAD_REQUEST).await;
    };
    let input = NewAccountInput {
        email: field("email"),
        password: field("password"),
        display_name: field("display_name"),
    };
    let app = state.app.clone();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        accounts::create_user(&app, &ctx, &actor, input, role).await?;
        Ok("/admin/staff?done=staff-created".to_owned())
    })
    .await;
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.set("password", "");
            form.fail(visitor.locale, &e, &["email", "password", "display_name"]);
            staff_page(&state, &visitor, form, status_of(&e)).await
        }
    }
}
