//! Sub-accounts (子账号): the main account creates logins for its staff with a subset of its
//! rights, changes their rights and disables them; each acts in the same tenant and every
//! change is in the activity log.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use yuming_app::ErrorKind;
use yuming_app::accounts::{self, NewAccountInput, NewSubAccountInput};
use yuming_core::access::Right;

use super::{Base, FormState, SignedInForm, app_error_page, page};
use crate::WebState;
use crate::format;
use crate::i18n::Locale;
use crate::session::{Visitor, status_of};

/// The rights a main account can hand out, in the order the form lists them (creating
/// sub-accounts stays with the main account).
fn grantable() -> Vec<Right> {
    Right::ALL
        .into_iter()
        .filter(|r| r.is_customer_right() && *r != Right::SubAccountsManage)
        .collect()
}

fn right_label(locale: Locale, right: Right) -> String {
    locale.t(&format!(
        "right-{}",
        right.as_str().replace([':', '_'], "-")
    ))
}

/// A sub-account in the list, with its rights as checkboxes.
pub struct MemberLine {
    /// Account id.
    pub id: String,
    /// E-mail.
    pub email: String,
    /// Name.
    pub name: String,
    /// Disabled.
    pub disabled: bool,
    /// Created.
    pub created: String,
    /// Every grantable right: (stable name, label, held).
    pub rights: Vec<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "console/team.html")]
struct TeamPage {
    base: Base,
    members: Vec<MemberLine>,
    rights: Vec<(String, String)>,
    form: FormState,
    chosen: Vec<String>,
}

async fn team_page(
    state: &WebState,
    visitor: &Visitor,
    form: FormState,
    chosen: Vec<String>,
    status: StatusCode,
) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(login) => return login,
    };
    let members = match accounts::list_sub_accounts(&state.app, actor).await {
        Ok(members) => members,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let locale = visitor.locale;
    let grantable = grantable();
    let template = TeamPage {
        base: Base::new(visitor, state, "team-title", "team"),
        members: members
            .iter()
            .map(|m| MemberLine {
                id: m.id.clone(),
                email: m.email.clone(),
                name: m.display_name.clone(),
                disabled: m.status != "active",
                created: format::date(m.created_at),
                rights: grantable
                    .iter()
                    .map(|r| {
                        (
                            r.as_str().to_owned(),
                            right_label(locale, *r),
                            m.rights.contains(*r),
                        )
                    })
                    .collect(),
            })
            .collect(),
        rights: grantable
            .iter()
            .map(|r| (r.as_str().to_owned(), right_label(locale, *r)))
            .collect(),
        form,
        chosen,
    };
    page(visitor, status, &template)
}

/// `/console/team`: the sub-accounts and the form for a new one.
pub async fn overview(State(state): State<WebState>, visitor: Visitor) -> Response {
    let chosen = vec!["domains:read".to_owned(), "audit:read".to_owned()];
    team_page(&state, &visitor, FormState::new(), chosen, StatusCode::OK).await
}

const MEMBER_FIELDS: [&str; 4] = ["email", "display_name", "password", "rights"];

/// `POST /console/team`: creates a sub-account.
pub async fn create(
    State(state): State<WebState>,
    SignedInForm {
        visitor,
        actor,
        fields,
        body,
    }: SignedInForm,
) -> Response {
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let rights = super::all_values(&body, "right");
    let input = NewSubAccountInput {
        account: NewAccountInput {
            email: field("email"),
            password: field("password"),
            display_name: field("display_name"),
        },
        rights: rights.clone(),
    };
    match accounts::create_sub_account(&state.app, &visitor.ctx, &actor, input).await {
        Ok(_) => visitor.redirect("/console/team?done=member-created"),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.set("password", "");
            form.fail(visitor.locale, &e, &MEMBER_FIELDS);
            team_page(&state, &visitor, form, rights, status_of(&e)).await
        }
    }
}

/// `POST /console/team/{id}`: replaces a sub-account's rights and turns it on or off.
pub async fn update(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedInForm {
        visitor,
        actor,
        fields,
        body,
    }: SignedInForm,
) -> Response {
    let rights = super::all_values(&body, "right");
    let disabled = fields.get("disabled").is_some_and(|v| v == "on");
    match accounts::update_sub_account(
        &state.app,
        &visitor.ctx,
        &actor,
        &id,
        Some(rights),
        Some(disabled),
    )
    .await
    {
        Ok(_) => visitor.redirect("/console/team?done=member-updated"),
        Err(e) if e.kind == ErrorKind::NotFound => app_error_page(&visitor, &state, &e),
        Err(e) => {
            let mut form = FormState::new();
            form.fail(visitor.locale, &e, &[]);
            let chosen = Vec::new();
            team_page(&state, &visitor, form, chosen, status_of(&e)).await
        }
    }
}

impl TeamPage {
    fn is_chosen(&self, right: &str) -> bool {
        self.chosen.iter().any(|c| c == right)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_grantable_right_has_words_in_both_languages() {
        for right in super::grantable() {
            for locale in crate::i18n::Locale::ALL {
                let key = format!("right-{}", right.as_str().replace([':', '_'], "-"));
                assert!(locale.has(&key), "{key} in {}", locale.tag());
            }
        }
    }
}
