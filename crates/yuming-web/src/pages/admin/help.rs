//! Staff edit the help centre (articles and announcements: drafts, publishing, history) and
//! answer product feedback with a status.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use yuming_app::care::feedback;
use yuming_app::care::help::{self, ArticleSettings, EditorEntry};

use super::{StaffForm, require_staff};
use crate::WebState;
use crate::format;
use crate::pages::help::{IdeaLine, idea_line};
use crate::pages::{Base, FormState, app_error_page, page, submit_once};
use crate::session::{Visitor, status_of};

/// A line of the editors' list.
pub struct EditorLine {
    /// Address name.
    pub slug: String,
    /// Title (Chinese, else English).
    pub title: String,
    /// Category name.
    pub category: &'static str,
    /// `article` or `announcement` in words.
    pub kind: String,
    /// Per language: (tag, state in words, badge).
    pub locales: Vec<(&'static str, String, &'static str)>,
}

fn locale_words(
    visitor: &Visitor,
    entry: &EditorEntry,
) -> Vec<(&'static str, String, &'static str)> {
    entry
        .locales
        .iter()
        .map(|l| {
            let (key, badge) = match (l.published, l.draft) {
                (_, Some(_)) => ("admin-help-has-draft", "warning"),
                (Some(_), None) => ("admin-help-published", "success"),
                (None, None) => ("admin-help-missing", "neutral"),
            };
            (l.locale, visitor.locale.t(key), badge)
        })
        .collect()
}

#[derive(Template)]
#[template(path = "admin/help.html")]
struct ListPage {
    base: Base,
    lines: Vec<EditorLine>,
    categories: Vec<(&'static str, &'static str)>,
    form: FormState,
}

async fn list_page(
    state: &WebState,
    visitor: &Visitor,
    form: FormState,
    status: StatusCode,
) -> Response {
    let actor = match require_staff(visitor, state) {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    let entries = match help::editor_list(&state.app, actor).await {
        Ok(entries) => entries,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let tag = visitor.locale.tag();
    let lines = entries
        .iter()
        .map(|entry| EditorLine {
            slug: entry.article.slug.clone(),
            title: entry
                .locales
                .iter()
                .find_map(|l| l.title.clone())
                .unwrap_or_default(),
            category: yuming_core::help::category(&entry.article.category)
                .map_or("", |c| c.name(tag)),
            kind: visitor
                .locale
                .t(&format!("admin-help-kind-{}", entry.article.kind)),
            locales: locale_words(visitor, entry),
        })
        .collect();
    let template = ListPage {
        base: Base::new(visitor, state, "admin-help-title", "admin-help"),
        lines,
        categories: yuming_core::help::CATEGORIES
            .iter()
            .filter(|c| c.id != "announcements")
            .map(|c| (c.id, c.name(tag)))
            .collect(),
        form,
    };
    page(visitor, status, &template)
}

/// `GET /admin/help`.
pub async fn list(State(state): State<WebState>, visitor: Visitor) -> Response {
    list_page(&state, &visitor, FormState::new(), StatusCode::OK).await
}

fn settings_of(fields: &std::collections::HashMap<String, String>) -> ArticleSettings {
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    ArticleSettings {
        slug: field("slug"),
        kind: field("kind"),
        category: field("category"),
        position: field("position").trim().parse().unwrap_or(100),
        audience: field("audience"),
        important: fields.get("important").is_some_and(|v| v == "on"),
    }
}

/// `POST /admin/help`: a new article or announcement.
pub async fn create(
    State(state): State<WebState>,
    StaffForm {
        mut visitor,
        actor,
        fields,
    }: StaffForm,
) -> Response {
    let app = state.app.clone();
    let settings = settings_of(&fields);
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        let entry = help::create(&app, &ctx, &actor, &settings).await?;
        Ok(format!(
            "/admin/help/{}?done=help-created",
            entry.article.slug
        ))
    })
    .await;
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &["slug", "category", "audience"]);
            list_page(&state, &visitor, form, status_of(&e)).await
        }
    }
}

/// One language's editor.
pub struct LocaleEditor {
    /// `zh-CN` or `en`.
    pub locale: &'static str,
    /// Heading.
    pub name: String,
    /// The latest title.
    pub title: String,
    /// The latest body (Markdown).
    pub body: String,
    /// State in words and badge.
    pub state: (String, &'static str),
    /// A draft's preview (rendered as readers would see it).
    pub preview_html: Option<String>,
    /// Its form (errors and values after a failed save).
    pub form: FormState,
}

/// A line of the history.
pub struct RevisionLine {
    /// Language.
    pub locale: String,
    /// Number.
    pub number: i64,
    /// Title.
    pub title: String,
    /// Who wrote it (the product's text says so).
    pub author: String,
    /// When.
    pub at: String,
    /// Published when.
    pub published: String,
}

#[derive(Template)]
#[template(path = "admin/help_article.html")]
struct EditorPage {
    base: Base,
    slug: String,
    announcement: bool,
    announced: String,
    category: String,
    categories: Vec<(&'static str, &'static str)>,
    position: i64,
    audience: String,
    important: bool,
    editors: Vec<LocaleEditor>,
    history: Vec<RevisionLine>,
    settings: FormState,
    history_form: FormState,
}

async fn editor_page(
    state: &WebState,
    visitor: &Visitor,
    slug: &str,
    failed: Option<(&str, FormState)>,
    status: StatusCode,
) -> Response {
    let actor = match require_staff(visitor, state) {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    let entry = match help::editor_get(&state.app, actor, slug).await {
        Ok(entry) => entry,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let locale = visitor.locale;
    let tag = locale.tag();
    let states = locale_words(visitor, &entry);
    let mut failed = failed;
    let editors = yuming_core::help::LOCALES
        .into_iter()
        .zip(states)
        .map(|(code, (_, words, badge))| {
            let latest = entry.latest(code);
            let draft = entry
                .locales
                .iter()
                .find(|l| l.locale == code)
                .and_then(|l| l.draft);
            let form = match failed.take() {
                Some((which, form)) if which == code => form,
                other => {
                    failed = other;
                    FormState::new()
                }
            };
            LocaleEditor {
                locale: code,
                name: locale.t(&format!("admin-help-locale-{code}")),
                title: form
                    .typed("title")
                    .map(str::to_owned)
                    .or_else(|| latest.map(|r| r.title.clone()))
                    .unwrap_or_default(),
                body: form
                    .typed("body")
                    .map(str::to_owned)
                    .or_else(|| latest.map(|r| r.body.clone()))
                    .unwrap_or_default(),
                state: (words, badge),
                preview_html: draft
                    .and(latest)
                    .map(|r| yuming_core::help::render_html(&r.body)),
                form,
            }
        })
        .collect();
    let history = entry
        .history
        .iter()
        .map(|r| RevisionLine {
            locale: r.locale.clone(),
            number: r.number,
            title: r.title.clone(),
            author: match &r.author_id {
                None => locale.t("admin-help-shipped"),
                Some(id) => id.clone(),
            },
            at: format::datetime(yuming_core::clock::Timestamp(r.created_at)),
            published: r
                .published_at
                .map(|at| format::datetime(yuming_core::clock::Timestamp(at)))
                .unwrap_or_default(),
        })
        .collect();
    let (settings, history_form) = match failed {
        Some(("settings", form)) => (form, FormState::new()),
        Some((_, form)) => (FormState::new(), form),
        None => (FormState::new(), FormState::new()),
    };
    let article = &entry.article;
    let mut base = Base::new(visitor, state, "admin-help-title", "admin-help");
    base.title = entry
        .locales
        .iter()
        .find_map(|l| l.title.clone())
        .unwrap_or_else(|| article.slug.clone());
    let template = EditorPage {
        base,
        slug: article.slug.clone(),
        announcement: article.kind == "announcement",
        announced: article
            .announced_at
            .map(|at| format::datetime(yuming_core::clock::Timestamp(at)))
            .unwrap_or_default(),
        category: article.category.clone(),
        categories: yuming_core::help::CATEGORIES
            .iter()
            .filter(|c| c.id != "announcements")
            .map(|c| (c.id, c.name(tag)))
            .collect(),
        position: article.position,
        audience: article.audience.clone().unwrap_or_default(),
        important: article.important,
        editors,
        history,
        settings,
        history_form,
    };
    page(visitor, status, &template)
}

/// `GET /admin/help/{slug}`.
pub async fn show(
    State(state): State<WebState>,
    Path(slug): Path<String>,
    visitor: Visitor,
) -> Response {
    editor_page(&state, &visitor, &slug, None, StatusCode::OK).await
}

/// `POST /admin/help/{slug}/{action}`: `save` (a language's text, `intent` draft or publish),
/// `publish` (a revision from the history), `settings`.
pub async fn action(
    State(state): State<WebState>,
    Path((slug, action)): Path<(String, String)>,
    StaffForm {
        mut visitor,
        actor,
        fields,
    }: StaffForm,
) -> Response {
    let app = state.app.clone();
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let locale = field("locale");
    let (title, body, intent) = (field("title"), field("body"), field("intent"));
    let number: i64 = field("revision").trim().parse().unwrap_or(0);
    let settings = settings_of(&fields);
    let article = slug.clone();
    let which = action.clone();
    let lang = locale.clone();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        let done = match which.as_str() {
            "save" => {
                let publish = intent == "publish";
                help::save(&app, &ctx, &actor, &article, &lang, &title, &body, publish).await?;
                if publish {
                    "help-published"
                } else {
                    "help-draft-saved"
                }
            }
            "publish" => {
                help::publish_revision(&app, &ctx, &actor, &article, &lang, number).await?;
                "help-published"
            }
            "settings" => {
                help::update_settings(&app, &ctx, &actor, &article, &settings).await?;
                "help-settings-saved"
            }
            _ => return Err(yuming_app::AppError::not_found()),
        };
        Ok(format!("/admin/help/{article}?done={done}"))
    })
    .await;
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(
                visitor.locale,
                &e,
                &["title", "body", "category", "audience"],
            );
            let which = match action.as_str() {
                "save" if locale == "en" => "en",
                "save" => "zh-CN",
                "settings" => "settings",
                _ => "history",
            };
            editor_page(&state, &visitor, &slug, Some((which, form)), status_of(&e)).await
        }
    }
}

#[derive(Template)]
#[template(path = "admin/feedback.html")]
struct FeedbackPage {
    base: Base,
    ideas: Vec<IdeaLine>,
    statuses: Vec<(&'static str, String)>,
    form: FormState,
}

/// `GET /admin/feedback`.
pub async fn feedback_board(State(state): State<WebState>, visitor: Visitor) -> Response {
    feedback_page(&state, &visitor, FormState::new(), StatusCode::OK).await
}

async fn feedback_page(
    state: &WebState,
    visitor: &Visitor,
    form: FormState,
    status: StatusCode,
) -> Response {
    let actor = match require_staff(visitor, state) {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    let ideas = match feedback::list(&state.app, actor, None).await {
        Ok(ideas) => ideas,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let template = FeedbackPage {
        base: Base::new(visitor, state, "admin-feedback-title", "admin-feedback"),
        ideas: ideas.iter().map(|i| idea_line(visitor.locale, i)).collect(),
        statuses: feedback::STATUSES
            .iter()
            .map(|s| {
                (
                    *s,
                    visitor
                        .locale
                        .t(&format!("feedback-status-{}", s.replace('_', "-"))),
                )
            })
            .collect(),
        form,
    };
    page(visitor, status, &template)
}

/// `POST /admin/feedback/{id}/status`.
pub async fn feedback_status(
    State(state): State<WebState>,
    Path(id): Path<String>,
    StaffForm {
        mut visitor,
        actor,
        fields,
    }: StaffForm,
) -> Response {
    let app = state.app.clone();
    let status = fields.get("status").cloned().unwrap_or_default();
    let note = fields.get("note").cloned().unwrap_or_default();
    let idea = id.clone();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        feedback::set_status(&app, &ctx, &actor, &idea, &status, &note).await?;
        Ok(format!("/admin/feedback?done=feedback-updated#idea-{idea}"))
    })
    .await;
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &[]);
            feedback_page(&state, &visitor, form, status_of(&e)).await
        }
    }
}
