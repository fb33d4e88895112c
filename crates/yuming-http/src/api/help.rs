//! The help centre over the API: its contents, articles and search (public), the article that
//! explains an error or finding code (public), staff editing with drafts and publishing, and
//! product feedback with votes.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yuming_app::AppError;
use yuming_app::care::feedback::{self, FeedbackView};
use yuming_app::care::help::{self, ArticleSettings, EditorEntry};

use crate::dto::ErrorBody;
use crate::extract::{ApiJson, ApiQuery, Auth, Ctx};
use crate::{ApiError, AppState};

/// The language asked for.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LocaleQuery {
    /// `zh-CN` (default) or `en`; an article without text in it comes in the other one.
    #[serde(default)]
    pub locale: Option<String>,
}

fn locale_of(query: &LocaleQuery) -> &str {
    query.locale.as_deref().unwrap_or("zh-CN")
}

/// An article in a listing.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ArticleSummaryDto {
    /// Address name: `/help/articles/{slug}`.
    pub slug: String,
    /// Title.
    pub title: String,
    /// The language of the title.
    pub locale: String,
    /// `article` or `announcement`.
    pub kind: String,
    /// When the text was published (RFC 3339).
    pub published_at: String,
}

/// A category with its articles.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HelpCategoryDto {
    /// Id.
    pub id: String,
    /// Name in the language asked for.
    pub name: String,
    /// Articles in order.
    pub articles: Vec<ArticleSummaryDto>,
}

/// The help centre's contents.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HelpContentsDto {
    /// Categories that have articles, announcements first.
    pub categories: Vec<HelpCategoryDto>,
}

/// A published article.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ArticleDto {
    /// Address name.
    pub slug: String,
    /// The language of the text.
    pub locale: String,
    /// Category id.
    pub category: String,
    /// `article` or `announcement`.
    pub kind: String,
    /// Title.
    pub title: String,
    /// The text in Markdown.
    pub body_markdown: String,
    /// The text as safe HTML (no raw HTML from the source, unsafe links removed).
    pub body_html: String,
    /// When this text was published (RFC 3339).
    pub published_at: String,
}

/// What to search for.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HelpSearchQuery {
    /// Words; Chinese is segmented, English stemmed (`备案 驳回`, `renew domain`).
    pub q: String,
    /// `zh-CN` (default) or `en`: articles in it come first.
    #[serde(default)]
    pub locale: Option<String>,
    /// At most this many results (1 to 50, default 10).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// A search result.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HelpHitDto {
    /// Address name.
    pub slug: String,
    /// The language of the text that matched.
    pub locale: String,
    /// Category id.
    pub category: String,
    /// The title as HTML, matches in `<mark>`, everything else escaped.
    pub title_html: String,
    /// A passage around the matches as HTML, matches in `<mark>`.
    pub snippet_html: String,
    /// Relevance, for ordering only.
    pub score: f32,
}

/// What a search found.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HelpSearchDto {
    /// The query as read.
    pub query: String,
    /// Best first.
    pub hits: Vec<HelpHitDto>,
    /// No article had every word; these have some.
    pub any_word: bool,
    /// Nothing matched in the language asked for; these are in the other one.
    pub other_locale: bool,
}

/// The article that explains a code.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CodeHelpDto {
    /// The error or finding code.
    pub code: String,
    /// The article's address name.
    pub slug: String,
    /// The path of the article (and its section) on the help centre.
    pub path: String,
}

/// The help centre's contents: categories with their published articles.
#[utoipa::path(get, path = "/api/v1/public/help/articles", tag = "help", params(LocaleQuery),
    responses((status = 200, body = HelpContentsDto)))]
pub async fn contents(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<LocaleQuery>,
) -> Result<Json<HelpContentsDto>, ApiError> {
    let locale = locale_of(&query);
    let contents = help::contents(&state.app, locale).await?;
    Ok(Json(HelpContentsDto {
        categories: contents
            .into_iter()
            .map(|c| HelpCategoryDto {
                id: c.category.id.to_owned(),
                name: c.category.name(locale).to_owned(),
                articles: c
                    .articles
                    .into_iter()
                    .map(|a| ArticleSummaryDto {
                        slug: a.slug,
                        title: a.title,
                        locale: a.locale,
                        kind: a.kind,
                        published_at: a.published_at.to_rfc3339(),
                    })
                    .collect(),
            })
            .collect(),
    }))
}

/// One published article.
#[utoipa::path(get, path = "/api/v1/public/help/articles/{slug}", tag = "help",
    params(("slug" = String, Path, description = "the article's address name"), LocaleQuery),
    responses((status = 200, body = ArticleDto), (status = 404, body = ErrorBody)))]
pub async fn article(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    ApiQuery(query): ApiQuery<LocaleQuery>,
) -> Result<Json<ArticleDto>, ApiError> {
    let article = help::article(&state.app, &slug, locale_of(&query)).await?;
    Ok(Json(ArticleDto {
        body_html: yuming_core::help::render_html(&article.body),
        slug: article.slug,
        locale: article.locale,
        category: article.category.id.to_owned(),
        kind: article.kind,
        title: article.title,
        body_markdown: article.body,
        published_at: article.published_at.to_rfc3339(),
    }))
}

/// Full-text search over the published articles, with highlighted snippets.
#[utoipa::path(get, path = "/api/v1/public/help/search", tag = "help", params(HelpSearchQuery),
    responses((status = 200, body = HelpSearchDto), (status = 400, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<HelpSearchQuery>,
) -> Result<Json<HelpSearchDto>, ApiError> {
    let found = help::search(
        &state.app,
        &query.q,
        query.locale.as_deref().unwrap_or("zh-CN"),
        query.limit.unwrap_or(10),
    )
    .await?;
    Ok(Json(HelpSearchDto {
        query: found.query,
        any_word: found.any_word,
        other_locale: found.other_locale,
        hits: found
            .hits
            .into_iter()
            .map(|h| HelpHitDto {
                slug: h.slug,
                locale: h.locale,
                category: h.category.id.to_owned(),
                title_html: h.title_html,
                snippet_html: h.snippet_html,
                score: h.score,
            })
            .collect(),
    }))
}

/// The help article that explains an error code or a self-check finding code.
#[utoipa::path(get, path = "/api/v1/public/help/codes/{code}", tag = "help",
    params(("code" = String, Path, description = "an error or finding code, e.g. INSUFFICIENT_BALANCE")),
    responses((status = 200, body = CodeHelpDto), (status = 404, body = ErrorBody)))]
pub async fn code(Path(code): Path<String>) -> Result<Json<CodeHelpDto>, ApiError> {
    let link = yuming_core::help::article_for_code(&code).ok_or_else(AppError::not_found)?;
    Ok(Json(CodeHelpDto {
        path: link.path(),
        slug: link.slug.to_owned(),
        code,
    }))
}

/// A new article or announcement.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewArticleDto {
    /// Address name: 3 to 64 of `a-z`, `0-9`, `-`, starting with a letter.
    pub slug: String,
    /// `article` (default) or `announcement`.
    #[serde(default)]
    pub kind: Option<String>,
    /// Category id (articles; announcements are in `announcements`).
    #[serde(default)]
    pub category: Option<String>,
    /// Position in the category (default 100).
    #[serde(default)]
    pub position: Option<i64>,
    /// Announcements: `all` (default), `domains` or `filings`.
    #[serde(default)]
    pub audience: Option<String>,
    /// Announcements: notify the audience when first published.
    #[serde(default)]
    pub important: bool,
}

/// A new revision of one language of an article.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevisionRequest {
    /// Title, one line, up to 120 characters.
    pub title: String,
    /// Markdown (no raw HTML is rendered), up to 60 000 characters.
    pub body: String,
    /// Publish at once (default: save as a draft).
    #[serde(default)]
    pub publish: bool,
}

/// One language's state.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LocaleStateDto {
    /// `zh-CN` or `en`.
    pub locale: String,
    /// The revision readers see.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<i64>,
    /// A newer revision not published yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub draft: Option<i64>,
}

/// One revision.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RevisionDto {
    /// `zh-CN` or `en`.
    pub locale: String,
    /// 1, 2, … per language.
    pub number: i64,
    /// Title.
    pub title: String,
    /// Markdown.
    pub body: String,
    /// Who wrote it; absent for the text the product ships.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_id: Option<String>,
    /// Written (RFC 3339).
    pub created_at: String,
    /// Published (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
}

/// An article with its history, for editors.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EditorArticleDto {
    /// Address name.
    pub slug: String,
    /// `article` or `announcement`.
    pub kind: String,
    /// Category id.
    pub category: String,
    /// Position.
    pub position: i64,
    /// Announcements: who it goes to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// Announcements: notified when first published.
    pub important: bool,
    /// When the audience was notified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub announced_at: Option<String>,
    /// Both languages' state.
    pub locales: Vec<LocaleStateDto>,
    /// Every revision, newest first.
    pub history: Vec<RevisionDto>,
}

impl From<EditorEntry> for EditorArticleDto {
    fn from(e: EditorEntry) -> Self {
        let stamp = |at: i64| yuming_core::clock::Timestamp(at).to_rfc3339();
        EditorArticleDto {
            slug: e.article.slug,
            kind: e.article.kind,
            category: e.article.category,
            position: e.article.position,
            audience: e.article.audience,
            important: e.article.important,
            announced_at: e.article.announced_at.map(stamp),
            locales: e
                .locales
                .into_iter()
                .map(|l| LocaleStateDto {
                    locale: l.locale.to_owned(),
                    published: l.published,
                    draft: l.draft,
                })
                .collect(),
            history: e
                .history
                .into_iter()
                .map(|r| RevisionDto {
                    locale: r.locale,
                    number: r.number,
                    title: r.title,
                    body: r.body,
                    author_id: r.author_id,
                    created_at: stamp(r.created_at),
                    published_at: r.published_at.map(stamp),
                })
                .collect(),
        }
    }
}

/// Staff create an article or announcement (its texts come as revisions).
#[utoipa::path(post, path = "/api/v1/admin/help/articles", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    request_body = NewArticleDto,
    responses((status = 201, body = EditorArticleDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<NewArticleDto>,
) -> Result<(StatusCode, Json<EditorArticleDto>), ApiError> {
    let settings = ArticleSettings {
        slug: body.slug,
        kind: body.kind.unwrap_or_else(|| "article".into()),
        category: body.category.unwrap_or_default(),
        position: body.position.unwrap_or(100),
        audience: body.audience.unwrap_or_default(),
        important: body.important,
    };
    let entry = help::create(&state.app, &ctx, &actor, &settings).await?;
    Ok((StatusCode::CREATED, Json(entry.into())))
}

/// An article with its full history (staff).
#[utoipa::path(get, path = "/api/v1/admin/help/articles/{slug}", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    params(("slug" = String, Path, description = "the article's address name")),
    responses((status = 200, body = EditorArticleDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn editor_get(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(slug): Path<String>,
) -> Result<Json<EditorArticleDto>, ApiError> {
    Ok(Json(
        help::editor_get(&state.app, &actor, &slug).await?.into(),
    ))
}

/// Staff write a new revision of one language: a draft, or published at once. Publishing an
/// important announcement for the first time notifies its audience.
#[utoipa::path(put, path = "/api/v1/admin/help/articles/{slug}/{locale}", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    params(("slug" = String, Path, description = "the article's address name"),
        ("locale" = String, Path, description = "zh-CN or en")),
    request_body = RevisionRequest,
    responses((status = 200, body = EditorArticleDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn save(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path((slug, locale)): Path<(String, String)>,
    ApiJson(body): ApiJson<RevisionRequest>,
) -> Result<Json<EditorArticleDto>, ApiError> {
    let entry = help::save(
        &state.app,
        &ctx,
        &actor,
        &slug,
        &locale,
        &body.title,
        &body.body,
        body.publish,
    )
    .await?;
    Ok(Json(entry.into()))
}

/// Staff publish a revision: a draft as it is, or an older text again (as a new revision).
#[utoipa::path(post, path = "/api/v1/admin/help/articles/{slug}/{locale}/revisions/{number}/publish", tag = "admin",
    security(("bearer" = []), ("api_key" = [])),
    params(("slug" = String, Path, description = "the article's address name"),
        ("locale" = String, Path, description = "zh-CN or en"),
        ("number" = i64, Path, description = "the revision's number")),
    responses((status = 200, body = EditorArticleDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn publish(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path((slug, locale, number)): Path<(String, String, i64)>,
) -> Result<Json<EditorArticleDto>, ApiError> {
    let entry = help::publish_revision(&state.app, &ctx, &actor, &slug, &locale, number).await?;
    Ok(Json(entry.into()))
}

/// A product idea.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FeedbackDto {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// `open`, `planned`, `in_progress`, `done`, `declined`.
    pub status: String,
    /// Votes.
    pub votes: i64,
    /// What staff said about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staff_note: Option<String>,
    /// Whether the caller voted for it.
    pub voted: bool,
    /// Whether the caller's account posted it.
    pub mine: bool,
    /// Posted (RFC 3339).
    pub created_at: String,
}

impl From<FeedbackView> for FeedbackDto {
    fn from(f: FeedbackView) -> Self {
        FeedbackDto {
            id: f.id,
            title: f.title,
            body: f.body,
            status: f.status,
            votes: f.votes,
            staff_note: f.staff_note,
            voted: f.voted,
            mine: f.mine,
            created_at: f.created_at.to_rfc3339(),
        }
    }
}

/// The board.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FeedbackList {
    /// Most votes first.
    pub ideas: Vec<FeedbackDto>,
}

/// Narrows the board.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedbackQuery {
    /// Only ideas with this status.
    #[serde(default)]
    pub status: Option<String>,
}

/// A new idea.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFeedbackDto {
    /// One line, up to 120 characters.
    pub title: String,
    /// Up to 10 000 characters.
    pub body: String,
}

/// A status for an idea.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackStatusRequest {
    /// `open`, `planned`, `in_progress`, `done`, `declined`.
    pub status: String,
    /// What to tell customers, up to 1 000 characters.
    #[serde(default)]
    pub note: Option<String>,
}

/// Every idea, most votes first.
#[utoipa::path(get, path = "/api/v1/feedback", tag = "support", security(("bearer" = []), ("api_key" = [])),
    params(FeedbackQuery),
    responses((status = 200, body = FeedbackList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn feedback_list(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(query): ApiQuery<FeedbackQuery>,
) -> Result<Json<FeedbackList>, ApiError> {
    let ideas = feedback::list(&state.app, &actor, query.status.as_deref()).await?;
    Ok(Json(FeedbackList {
        ideas: ideas.into_iter().map(Into::into).collect(),
    }))
}

/// Posts an idea (counted as the poster's vote).
#[utoipa::path(post, path = "/api/v1/feedback", tag = "support", security(("bearer" = []), ("api_key" = [])),
    request_body = NewFeedbackDto,
    responses((status = 201, body = FeedbackDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn feedback_post(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<NewFeedbackDto>,
) -> Result<(StatusCode, Json<FeedbackDto>), ApiError> {
    let idea = feedback::post(&state.app, &ctx, &actor, &body.title, &body.body).await?;
    Ok((StatusCode::CREATED, Json(idea.into())))
}

/// Votes for an idea (once per account; again changes nothing).
#[utoipa::path(post, path = "/api/v1/feedback/{id}/vote", tag = "support", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "idea id")),
    responses((status = 200, body = FeedbackDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn feedback_vote(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<FeedbackDto>, ApiError> {
    Ok(Json(feedback::vote(&state.app, &actor, &id).await?.into()))
}

/// Staff set an idea's status and note.
#[utoipa::path(patch, path = "/api/v1/admin/feedback/{id}", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "idea id")), request_body = FeedbackStatusRequest,
    responses((status = 200, body = FeedbackDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn feedback_status(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<FeedbackStatusRequest>,
) -> Result<Json<FeedbackDto>, ApiError> {
    let idea = feedback::set_status(
        &state.app,
        &ctx,
        &actor,
        &id,
        &body.status,
        body.note.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(Json(idea.into()))
}
