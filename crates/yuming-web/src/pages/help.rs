//! The public help centre (`/help`: contents, articles, search) and the customers' product
//! feedback board (`/console/feedback`).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use yuming_app::care::feedback::{self, FeedbackView};
use yuming_app::care::help::{self, CategoryArticles, SearchResults};

use super::{Base, FormState, SignedInForm, app_error_page, page, submit_once};
use crate::WebState;
use crate::format;
use crate::i18n::Locale;
use crate::session::{Visitor, status_of};

/// How many results the search page shows.
const RESULTS_SHOWN: usize = 20;

/// An article in a listing: address, title, date.
pub struct ArticleLink {
    /// `/help/articles/{slug}`.
    pub href: String,
    /// Title.
    pub title: String,
    /// When published (announcements show it).
    pub date: String,
}

/// A category with its articles.
pub struct CategoryBlock {
    /// Id (for anchors).
    pub id: &'static str,
    /// Name in the page's language.
    pub name: &'static str,
    /// Articles.
    pub articles: Vec<ArticleLink>,
}

fn blocks(locale: Locale, contents: &[CategoryArticles]) -> Vec<CategoryBlock> {
    contents
        .iter()
        .map(|c| CategoryBlock {
            id: c.category.id,
            name: c.category.name(locale.tag()),
            articles: c
                .articles
                .iter()
                .map(|a| ArticleLink {
                    href: format!("/help/articles/{}", a.slug),
                    title: a.title.clone(),
                    date: format::date(a.published_at),
                })
                .collect(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "help/index.html")]
struct IndexPage {
    base: Base,
    announcements: Option<CategoryBlock>,
    categories: Vec<CategoryBlock>,
    query: String,
}

/// `GET /help`.
pub async fn index(State(state): State<WebState>, visitor: Visitor) -> Response {
    let contents = match help::contents(&state.app, visitor.locale.tag()).await {
        Ok(contents) => contents,
        Err(e) => return app_error_page(&visitor, &state, &e),
    };
    let (announcements, categories): (Vec<CategoryBlock>, Vec<CategoryBlock>) =
        blocks(visitor.locale, &contents)
            .into_iter()
            .partition(|b| b.id == "announcements");
    let template = IndexPage {
        base: Base::new(&visitor, &state, "help-title", ""),
        announcements: announcements.into_iter().next(),
        categories,
        query: String::new(),
    };
    page(&visitor, StatusCode::OK, &template)
}

#[derive(Template)]
#[template(path = "help/article.html")]
struct ArticlePage {
    base: Base,
    title: String,
    category_id: &'static str,
    category: &'static str,
    html: String,
    date: String,
    other_locale: bool,
    announcement: bool,
    related: Vec<ArticleLink>,
    query: String,
}

/// `GET /help/articles/{slug}`.
pub async fn article(
    State(state): State<WebState>,
    Path(slug): Path<String>,
    visitor: Visitor,
) -> Response {
    let article = match help::article(&state.app, &slug, visitor.locale.tag()).await {
        Ok(article) => article,
        Err(e) => return app_error_page(&visitor, &state, &e),
    };
    let mut base = Base::new(&visitor, &state, "help-title", "");
    base.title = article.title.clone();
    let template = ArticlePage {
        base,
        category_id: article.category.id,
        category: article.category.name(visitor.locale.tag()),
        html: yuming_core::help::render_html(&article.body),
        date: format::date(article.published_at),
        other_locale: article.other_locale,
        announcement: article.kind == "announcement",
        related: article
            .related
            .iter()
            .take(8)
            .map(|(slug, title)| ArticleLink {
                href: format!("/help/articles/{slug}"),
                title: title.clone(),
                date: String::new(),
            })
            .collect(),
        title: article.title,
        query: String::new(),
    };
    page(&visitor, StatusCode::OK, &template)
}

/// A search result as shown.
pub struct ResultLine {
    /// `/help/articles/{slug}`.
    pub href: String,
    /// Title, matches marked (HTML built by the search: text escaped).
    pub title_html: String,
    /// Passage, matches marked.
    pub snippet_html: String,
    /// Category name.
    pub category: &'static str,
    /// The article is in the other language.
    pub other_locale: bool,
}

#[derive(Template)]
#[template(path = "help/search.html")]
struct SearchPage {
    base: Base,
    query: String,
    results: Vec<ResultLine>,
    any_word: bool,
    other_locale: bool,
}

/// The search's query string.
#[derive(serde::Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// `GET /help/search?q=`.
pub async fn search(
    State(state): State<WebState>,
    visitor: Visitor,
    Query(query): Query<SearchQuery>,
) -> Response {
    let locale = visitor.locale;
    let found = if query.q.trim().is_empty() {
        SearchResults {
            query: String::new(),
            hits: Vec::new(),
            any_word: false,
            other_locale: false,
        }
    } else {
        match help::search(&state.app, &query.q, locale.tag(), RESULTS_SHOWN).await {
            Ok(found) => found,
            Err(e) => return app_error_page(&visitor, &state, &e),
        }
    };
    let mut base = Base::new(&visitor, &state, "help-search-title", "");
    if !found.query.is_empty() {
        base.title = locale.t_args("help-search-title-for", &[("query", found.query.clone())]);
    }
    let template = SearchPage {
        base,
        results: found
            .hits
            .iter()
            .map(|hit| ResultLine {
                href: format!("/help/articles/{}", hit.slug),
                title_html: hit.title_html.clone(),
                snippet_html: hit.snippet_html.clone(),
                category: hit.category.name(locale.tag()),
                other_locale: hit.locale != locale.tag(),
            })
            .collect(),
        any_word: found.any_word,
        other_locale: found.other_locale,
        query: found.query,
    };
    page(&visitor, StatusCode::OK, &template)
}

/// An idea as the board shows it.
pub struct IdeaLine {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// Status code.
    pub status: String,
    /// Status in words.
    pub status_words: String,
    /// Badge class of the status.
    pub badge: &'static str,
    /// Votes.
    pub votes: i64,
    /// What staff said.
    pub note: String,
    /// The reader voted.
    pub voted: bool,
    /// Posted.
    pub date: String,
}

/// The line of an idea.
pub fn idea_line(locale: Locale, idea: &FeedbackView) -> IdeaLine {
    IdeaLine {
        id: idea.id.clone(),
        title: idea.title.clone(),
        body: idea.body.clone(),
        status: idea.status.clone(),
        status_words: locale.t(&format!(
            "feedback-status-{}",
            idea.status.replace('_', "-")
        )),
        badge: match idea.status.as_str() {
            "done" => "success",
            "declined" => "neutral",
            "open" => "info",
            _ => "primary",
        },
        votes: idea.votes,
        note: idea.staff_note.clone().unwrap_or_default(),
        voted: idea.voted,
        date: format::date(idea.created_at),
    }
}

#[derive(Template)]
#[template(path = "console/feedback.html")]
struct FeedbackPage {
    base: Base,
    ideas: Vec<IdeaLine>,
    form: FormState,
}

async fn feedback_page(
    state: &WebState,
    visitor: &Visitor,
    form: FormState,
    status: StatusCode,
) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    let ideas = match feedback::list(&state.app, actor, None).await {
        Ok(ideas) => ideas,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let template = FeedbackPage {
        base: Base::new(visitor, state, "feedback-title", "feedback"),
        ideas: ideas.iter().map(|i| idea_line(visitor.locale, i)).collect(),
        form,
    };
    page(visitor, status, &template)
}

/// `GET /console/feedback`.
pub async fn board(State(state): State<WebState>, visitor: Visitor) -> Response {
    feedback_page(&state, &visitor, FormState::new(), StatusCode::OK).await
}

/// `POST /console/feedback`: a new idea.
pub async fn post(
    State(state): State<WebState>,
    SignedInForm {
        mut visitor,
        actor,
        fields,
        ..
    }: SignedInForm,
) -> Response {
    let app = state.app.clone();
    let title = fields.get("title").cloned().unwrap_or_default();
    let body = fields.get("body").cloned().unwrap_or_default();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        feedback::post(&app, &ctx, &actor, &title, &body).await?;
        Ok("/console/feedback?done=feedback-posted".to_owned())
    })
    .await;
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &["title", "body"]);
            feedback_page(&state, &visitor, form, status_of(&e)).await
        }
    }
}

/// `POST /console/feedback/{id}/vote`.
pub async fn vote(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedInForm { visitor, actor, .. }: SignedInForm,
) -> Response {
    match feedback::vote(&state.app, &actor, &id).await {
        Ok(_) => visitor.redirect(&format!("/console/feedback?done=feedback-voted#idea-{id}")),
        Err(e) => app_error_page(&visitor, &state, &e),
    }
}
