//! The help centre: articles in categories, each in zh-CN and English, that staff edit with
//! drafts, publishing and history; announcements, which are articles of their own kind sent to
//! the customers they concern when they matter; and full-text search that segments Chinese
//! (jieba) and stems English, with highlighted snippets.
//!
//! The texts live in the database (`help_articles`, `help_revisions`); the product's own
//! articles are seeded from `yuming_core::help::shipped` and updated with the product for as
//! long as staff have not edited them. The search index is in memory, rebuilt from the
//! published revisions whenever `help_generation` moves — at once on the instance that
//! published, within [`REFRESH_EVERY`] on the others.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value as _,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, Stemmer, StopWordFilter, TextAnalyzer, Token,
    TokenStream, Tokenizer,
};
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument, Term};
use tantivy_jieba::jieba_rs::{Jieba, TokenizeMode};
use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;
use yuming_core::help::{self as rules, ArticleProblem};
use yuming_store::{HelpArticleRow, HelpRevisionRow, PublishedHelpRow, Tx};

use crate::notify::notices::{self, NoticeKind, NoticeRequest};
use crate::platform::audit::{self, Change};
use crate::platform::crypto::new_id;
use crate::{App, AppError, RequestContext};

/// How often an instance asks whether another one published something.
pub const REFRESH_EVERY: Duration = Duration::from_secs(2);
/// The most results a search returns.
pub const SEARCH_LIMIT_MAX: usize = 50;
/// Longest query read (longer ones are cut).
const QUERY_MAX_CHARS: usize = 200;
/// Characters of body text around the matches in a snippet.
const SNIPPET_CHARS: usize = 160;

crate::platform::error::error_enum! {
    /// What the help centre refuses.
    pub enum HelpError {
        /// A slug of the wrong shape.
        InvalidSlug = BadRequest("INVALID_SLUG", field = "slug") => (
            "the address name must be 3 to 64 of a-z, 0-9 and -, starting with a letter",
            "地址名须为 3 到 64 个小写字母、数字或连字符，并以字母开头",
        ),
        /// A title that is empty, too long or not one line.
        InvalidTitle = BadRequest("INVALID_TITLE", field = "title") => (
            format!("write a title of 1 to {} characters on one line", rules::TITLE_MAX_CHARS),
            format!("请填写 1 到 {} 个字符的标题（单行）", rules::TITLE_MAX_CHARS),
        ),
        /// A body that is empty or too long.
        InvalidArticleBody = BadRequest("INVALID_ARTICLE_BODY", field = "body") => (
            format!("write the article in Markdown, 1 to {} characters", rules::BODY_MAX_CHARS),
            format!("请用 Markdown 撰写正文，1 到 {} 个字符", rules::BODY_MAX_CHARS),
        ),
        /// Not a category of the help centre.
        InvalidHelpCategory = BadRequest("INVALID_HELP_CATEGORY", field = "category") => (
            "choose one of the help centre's categories",
            "请选择帮助中心的分类",
        ),
        /// Not a language articles are written in.
        InvalidLocale = BadRequest("INVALID_LOCALE", field = "locale") => (
            "the language must be zh-CN or en",
            "语言须为 zh-CN 或 en",
        ),
        /// Not `all`, `domains` or `filings`.
        InvalidAudience = BadRequest("INVALID_AUDIENCE", field = "audience") => (
            "the audience must be all, domains or filings",
            "通知对象须为 all（全部客户）、domains（持有域名的客户）或 filings（有备案的客户）",
        ),
        /// The slug is used by another article.
        SlugTaken = Conflict("SLUG_TAKEN", field = "slug") => (
            "another article has this address name",
            "该地址名已被其他文章使用",
        ),
        /// No revision with this number.
        NoSuchRevision = NotFound("NO_SUCH_REVISION", field = "revision") => (
            "this article has no such revision in this language",
            "该文章在此语言下没有这个版本",
        ),
    }
}

impl From<ArticleProblem> for HelpError {
    fn from(problem: ArticleProblem) -> HelpError {
        match problem {
            ArticleProblem::Slug => HelpError::InvalidSlug,
            ArticleProblem::Title => HelpError::InvalidTitle,
            ArticleProblem::Body => HelpError::InvalidArticleBody,
            ArticleProblem::Category => HelpError::InvalidHelpCategory,
            ArticleProblem::Locale => HelpError::InvalidLocale,
        }
    }
}

fn checked_value<T>(result: Result<T, ArticleProblem>) -> Result<T, AppError> {
    result.map_err(|p| HelpError::from(p).into())
}

// ---------------------------------------------------------------------------------------------
// Reading

/// One article in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleSummary {
    /// Address name.
    pub slug: String,
    /// Title in the language shown.
    pub title: String,
    /// The language shown (the other one when the asked one has no text yet).
    pub locale: String,
    /// `article` or `announcement`.
    pub kind: String,
    /// When its text was published.
    pub published_at: Timestamp,
}

/// A category with its published articles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryArticles {
    /// The category.
    pub category: &'static rules::Category,
    /// Its articles, in order (announcements newest first).
    pub articles: Vec<ArticleSummary>,
}

/// A published article as readers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleView {
    /// Address name.
    pub slug: String,
    /// The language shown.
    pub locale: String,
    /// Whether that is not the language asked for (no text in it yet).
    pub other_locale: bool,
    /// Category.
    pub category: &'static rules::Category,
    /// `article` or `announcement`.
    pub kind: String,
    /// Title.
    pub title: String,
    /// Markdown.
    pub body: String,
    /// When this text was published.
    pub published_at: Timestamp,
    /// The other articles of its category (address name and title), for "see also".
    pub related: Vec<(String, String)>,
}

/// The published text of each article in `locale`, or in the other language when it has
/// none in `locale`.
fn in_locale(rows: Vec<PublishedHelpRow>, locale: &str) -> Vec<PublishedHelpRow> {
    let mut by_slug: BTreeMap<String, PublishedHelpRow> = BTreeMap::new();
    for row in rows {
        let keep = match by_slug.get(&row.slug) {
            None => true,
            Some(existing) => existing.locale != locale && row.locale == locale,
        };
        if keep {
            by_slug.insert(row.slug.clone(), row);
        }
    }
    let mut rows: Vec<PublishedHelpRow> = by_slug.into_values().collect();
    rows.sort_by(|a, b| {
        (a.category.as_str(), order_key(a), a.slug.as_str()).cmp(&(
            b.category.as_str(),
            order_key(b),
            b.slug.as_str(),
        ))
    });
    rows
}

/// Articles by position; announcements newest first.
fn order_key(row: &PublishedHelpRow) -> i64 {
    if row.kind == "announcement" {
        -row.published_at
    } else {
        row.position
    }
}

fn shown_locale(locale: &str) -> &'static str {
    if locale == "en" { "en" } else { "zh-CN" }
}

/// The help centre's contents in `locale`: every category that has articles, in order.
pub async fn contents(app: &App, locale: &str) -> Result<Vec<CategoryArticles>, AppError> {
    ensure_ready(app).await?;
    let locale = shown_locale(locale);
    let mut tx = app.db().read().await?;
    let rows = tx.published_help(None).await?;
    tx.commit().await?;
    let rows = in_locale(rows, locale);
    Ok(rules::CATEGORIES
        .iter()
        .filter_map(|category| {
            let articles: Vec<ArticleSummary> = rows
                .iter()
                .filter(|r| r.category == category.id)
                .map(|r| ArticleSummary {
                    slug: r.slug.clone(),
                    title: r.title.clone(),
                    locale: r.locale.clone(),
                    kind: r.kind.clone(),
                    published_at: Timestamp(r.published_at),
                })
                .collect();
            (!articles.is_empty()).then_some(CategoryArticles { category, articles })
        })
        .collect())
}

/// One published article in `locale` (or the other language when it has no text in
/// `locale`); `NOT_FOUND` when it does not exist or was never published.
pub async fn article(app: &App, slug: &str, locale: &str) -> Result<ArticleView, AppError> {
    ensure_ready(app).await?;
    let locale = shown_locale(locale);
    let mut tx = app.db().read().await?;
    let rows = tx.published_help(Some(slug)).await?;
    let row = in_locale(rows, locale)
        .into_iter()
        .next()
        .ok_or_else(AppError::not_found)?;
    let siblings = tx.published_help(None).await?;
    tx.commit().await?;
    let category = rules::category(&row.category).unwrap_or(&rules::CATEGORIES[0]);
    let related = in_locale(siblings, locale)
        .into_iter()
        .filter(|r| r.category == row.category && r.slug != row.slug)
        .map(|r| (r.slug, r.title))
        .collect();
    Ok(ArticleView {
        other_locale: row.locale != locale,
        slug: row.slug,
        locale: row.locale,
        category,
        kind: row.kind,
        title: row.title,
        body: row.body,
        published_at: Timestamp(row.published_at),
        related,
    })
}

// ---------------------------------------------------------------------------------------------
// Search

/// One search result.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    /// Address name.
    pub slug: String,
    /// Language of the text that matched.
    pub locale: String,
    /// Category.
    pub category: &'static rules::Category,
    /// The title as HTML, matches in `<mark>` (everything else escaped).
    pub title_html: String,
    /// A passage of the text around the matches as HTML, matches in `<mark>`.
    pub snippet_html: String,
    /// Relevance (BM25), for ordering only.
    pub score: f32,
}

/// What a search found.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResults {
    /// The query as read (trimmed, cut to 200 characters).
    pub query: String,
    /// Best first.
    pub hits: Vec<SearchHit>,
    /// Whether the results match any word rather than every word (nothing matched all).
    pub any_word: bool,
    /// Whether the results come from the other language (nothing matched in the asked one).
    pub other_locale: bool,
}

/// Searches the published articles. Every word must match (Chinese segmented into words,
/// English lower-cased and stemmed, common English words ignored); when nothing matches all
/// of them, articles matching any are returned. Articles in `locale` come first; when none
/// match, the other language's are searched.
pub async fn search(
    app: &App,
    query: &str,
    locale: &str,
    limit: usize,
) -> Result<SearchResults, AppError> {
    ensure_ready(app).await?;
    refresh_if_stale(app).await?;
    let index = app.help_index().current().ok_or_else(|| {
        AppError::internal("the help index is not built although the help centre is ready")
    })?;
    let query: String = query.trim().chars().take(QUERY_MAX_CHARS).collect();
    let locale = shown_locale(locale);
    let limit = limit.clamp(1, SEARCH_LIMIT_MAX);
    index
        .search(&query, locale, limit)
        .map_err(|e| AppError::internal(format!("help search: {e}")))
}

/// The search side of the help centre, kept by [`App`]: the built index, and when this
/// instance last asked the database whether it is still current.
#[derive(Default)]
pub struct HelpIndex {
    built: RwLock<Option<Arc<BuiltIndex>>>,
    ready: tokio::sync::OnceCell<()>,
    checked_at: Mutex<Option<Instant>>,
    rebuilding: AtomicBool,
}

impl HelpIndex {
    fn current(&self) -> Option<Arc<BuiltIndex>> {
        self.built.read().ok().and_then(|b| b.clone())
    }

    fn install(&self, index: BuiltIndex) {
        if let Ok(mut built) = self.built.write() {
            let newer = built
                .as_ref()
                .is_none_or(|b| b.generation <= index.generation);
            if newer {
                *built = Some(Arc::new(index));
            }
        }
    }
}

/// Seeds the shipped articles and builds the index once per process (start-up calls it so
/// that the first reader does not wait).
pub async fn ensure_ready(app: &App) -> Result<(), AppError> {
    app.help_index()
        .ready
        .get_or_try_init(|| async {
            seed_shipped(app).await?;
            rebuild(app).await
        })
        .await
        .map(|_| ())
}

/// Rebuilds the index when another instance moved the generation (checked at most every
/// [`REFRESH_EVERY`]); the rebuild runs in the background and readers keep the old index.
async fn refresh_if_stale(app: &App) -> Result<(), AppError> {
    let help = app.help_index();
    {
        let mut checked = help
            .checked_at
            .lock()
            .map_err(|_| AppError::internal("help index lock poisoned"))?;
        if checked.is_some_and(|at| at.elapsed() < REFRESH_EVERY) {
            return Ok(());
        }
        *checked = Some(Instant::now());
    }
    let mut tx = app.db().read().await?;
    let generation = tx.help_generation().await?;
    tx.commit().await?;
    let stale = help.current().is_none_or(|b| b.generation < generation);
    if stale && !help.rebuilding.swap(true, Ordering::AcqRel) {
        let app = app.clone();
        tokio::spawn(async move {
            if let Err(error) = rebuild(&app).await {
                tracing::warn!(
                    code = error.code,
                    "rebuilding the help index: {}",
                    error.message
                );
            }
            app.help_index().rebuilding.store(false, Ordering::Release);
        });
    }
    Ok(())
}

/// Builds the index from the published revisions (on a blocking thread) and installs it.
pub async fn rebuild(app: &App) -> Result<(), AppError> {
    let mut tx = app.db().read().await?;
    let generation = tx.help_generation().await?;
    let rows = tx.published_help(None).await?;
    tx.commit().await?;
    let index = tokio::task::spawn_blocking(move || BuiltIndex::build(generation, &rows))
        .await
        .map_err(|e| AppError::internal(format!("building the help index: {e}")))?
        .map_err(|e| AppError::internal(format!("building the help index: {e}")))?;
    app.help_index().install(index);
    Ok(())
}

static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Words of Chinese (segmented by jieba) and of other scripts, without the spaces and
/// punctuation between them, numbered in order so that positions stay consecutive.
#[derive(Clone)]
struct Words {
    /// Index with jieba's search mode (long words and the words inside them); queries are cut
    /// in the default mode, whose words the search mode also produced.
    search_mode: bool,
}

struct WordStream {
    tokens: Vec<Token>,
    next: usize,
}

impl TokenStream for WordStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

impl Tokenizer for Words {
    type TokenStream<'a> = WordStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream {
        let mode = if self.search_mode {
            TokenizeMode::Search
        } else {
            TokenizeMode::Default
        };
        let tokens = JIEBA
            .tokenize(text, mode, true)
            .into_iter()
            .filter(|t| t.word.chars().any(char::is_alphanumeric))
            .enumerate()
            .map(|(position, t)| Token {
                offset_from: t.byte_start,
                offset_to: t.byte_end,
                position,
                text: t.word.to_owned(),
                position_length: 1,
            })
            .collect();
        WordStream { tokens, next: 0 }
    }
}

const ANALYZER: &str = "yuming_words";

fn analyzer(search_mode: bool) -> TextAnalyzer {
    TextAnalyzer::builder(Words { search_mode })
        .filter(RemoveLongFilter::limit(60))
        .filter(LowerCaser)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// Words people put around what they ask ("how do I …", "如何…") that articles need not
/// contain; left out of queries only.
const QUESTION_WORDS: [&str; 22] = [
    "how",
    "what",
    "why",
    "when",
    "where",
    "do",
    "does",
    "can",
    "i",
    "my",
    "me",
    "you",
    "your",
    "we",
    "如何",
    "怎么",
    "怎样",
    "什么",
    "为什么",
    "我",
    "的",
    "吗",
];

fn query_analyzer() -> TextAnalyzer {
    let builder = TextAnalyzer::builder(Words { search_mode: false })
        .filter(RemoveLongFilter::limit(60))
        .filter(LowerCaser);
    let questions = StopWordFilter::remove(QUESTION_WORDS.iter().map(|w| (*w).to_owned()));
    match StopWordFilter::new(Language::English) {
        Some(stop_words) => builder
            .filter(stop_words)
            .filter(questions)
            .filter(Stemmer::new(Language::English))
            .build(),
        None => builder
            .filter(questions)
            .filter(Stemmer::new(Language::English))
            .build(),
    }
}

struct Fields {
    slug: Field,
    locale: Field,
    category: Field,
    title: Field,
    body: Field,
}

/// An in-memory index of one generation of the published articles.
struct BuiltIndex {
    generation: i64,
    reader: IndexReader,
    fields: Fields,
}

impl BuiltIndex {
    fn build(generation: i64, rows: &[PublishedHelpRow]) -> tantivy::Result<BuiltIndex> {
        let mut builder = Schema::builder();
        let text = TextOptions::default().set_stored().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let fields = Fields {
            slug: builder.add_text_field("slug", STRING | STORED),
            locale: builder.add_text_field("locale", STRING | STORED),
            category: builder.add_text_field("category", STRING | STORED),
            title: builder.add_text_field("title", text.clone()),
            body: builder.add_text_field("body", text),
        };
        let index = Index::create_in_ram(builder.build());
        index.tokenizers().register(ANALYZER, analyzer(true));
        // One indexing thread: a rebuild must not take both cores from the requests.
        let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, 50_000_000)?;
        for row in rows {
            let mut doc = TantivyDocument::default();
            doc.add_text(fields.slug, &row.slug);
            doc.add_text(fields.locale, &row.locale);
            doc.add_text(fields.category, &row.category);
            doc.add_text(fields.title, &row.title);
            doc.add_text(fields.body, rules::plain_text(&row.body));
            writer.add_document(doc)?;
        }
        writer.commit()?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(BuiltIndex {
            generation,
            reader,
            fields,
        })
    }

    fn terms(&self, query: &str) -> Vec<String> {
        let mut analyzer = query_analyzer();
        let mut stream = analyzer.token_stream(query);
        let mut seen = HashSet::new();
        let mut terms = Vec::new();
        while stream.advance() {
            let text = stream.token().text.clone();
            if seen.insert(text.clone()) {
                terms.push(text);
            }
        }
        terms
    }

    fn word_query(&self, term: &str) -> Box<dyn Query> {
        let title = TermQuery::new(
            Term::from_field_text(self.fields.title, term),
            IndexRecordOption::WithFreqs,
        );
        let body = TermQuery::new(
            Term::from_field_text(self.fields.body, term),
            IndexRecordOption::WithFreqs,
        );
        Box::new(BooleanQuery::new(vec![
            (
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(title), 3.0)),
            ),
            (Occur::Should, Box::new(body)),
        ]))
    }

    fn query(&self, terms: &[String], every_word: bool, locale: Option<&str>) -> BooleanQuery {
        let words: Vec<(Occur, Box<dyn Query>)> = terms
            .iter()
            .map(|t| {
                let occur = if every_word {
                    Occur::Must
                } else {
                    Occur::Should
                };
                (occur, self.word_query(t))
            })
            .collect();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, Box::new(BooleanQuery::new(words)))];
        if let Some(locale) = locale {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(self.fields.locale, locale),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        BooleanQuery::new(clauses)
    }

    fn search(&self, query: &str, locale: &str, limit: usize) -> tantivy::Result<SearchResults> {
        let mut results = SearchResults {
            query: query.to_owned(),
            hits: Vec::new(),
            any_word: false,
            other_locale: false,
        };
        let terms = self.terms(query);
        if terms.is_empty() {
            return Ok(results);
        }
        let searcher = self.reader.searcher();
        let attempts = [
            (true, Some(locale)),
            (false, Some(locale)),
            (true, None),
            (false, None),
        ];
        for (every_word, only_locale) in attempts {
            let query = self.query(&terms, every_word, only_locale);
            let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
            if top.is_empty() {
                continue;
            }
            let mut body_snippets = SnippetGenerator::create(&searcher, &query, self.fields.body)?;
            body_snippets.set_max_num_chars(SNIPPET_CHARS);
            let mut title_snippets =
                SnippetGenerator::create(&searcher, &query, self.fields.title)?;
            title_snippets.set_max_num_chars(rules::TITLE_MAX_CHARS * 4);
            for (score, address) in top {
                let doc: TantivyDocument = searcher.doc(address)?;
                let text = |field: Field| {
                    doc.get_first(field)
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_owned()
                };
                let mut title = title_snippets.snippet_from_doc(&doc);
                title.set_snippet_prefix_postfix("<mark>", "</mark>");
                let mut body = body_snippets.snippet_from_doc(&doc);
                body.set_snippet_prefix_postfix("<mark>", "</mark>");
                let title_html = if title.is_empty() {
                    rules::escape_html(&text(self.fields.title))
                } else {
                    title.to_html()
                };
                let snippet_html = if body.is_empty() {
                    let opening: String =
                        text(self.fields.body).chars().take(SNIPPET_CHARS).collect();
                    rules::escape_html(&opening)
                } else {
                    body.to_html()
                };
                let category = text(self.fields.category);
                results.hits.push(SearchHit {
                    slug: text(self.fields.slug),
                    locale: text(self.fields.locale),
                    category: rules::category(&category).unwrap_or(&rules::CATEGORIES[0]),
                    title_html,
                    snippet_html,
                    score,
                });
            }
            results.any_word = !every_word;
            results.other_locale = only_locale.is_none();
            break;
        }
        Ok(results)
    }
}

// ---------------------------------------------------------------------------------------------
// The shipped articles

/// Adds the product's articles that are missing and updates those staff never edited (the
/// latest revision has no author) when the product's text changed. Idempotent; returns how
/// many revisions it wrote.
pub async fn seed_shipped(app: &App) -> Result<usize, AppError> {
    let now = app.now().0;
    let shipped = rules::shipped();
    let mut tx = app.db().write().await?;
    let latest: BTreeMap<(String, String), HelpRevisionRow> = tx
        .latest_help_revisions()
        .await?
        .into_iter()
        .map(|r| ((r.slug.clone(), r.locale.clone()), r))
        .collect();
    let mut written = 0;
    for article in &shipped {
        let row = HelpArticleRow {
            slug: article.slug.to_owned(),
            kind: "article".into(),
            category: article.category.clone(),
            position: article.order,
            audience: None,
            important: false,
            announced_at: None,
            created_at: now,
            updated_at: now,
        };
        tx.insert_help_article(&row).await?;
        let key = (article.slug.to_owned(), article.locale.to_owned());
        let number = match latest.get(&key) {
            None => 1,
            Some(r)
                if r.author_id.is_none()
                    && (r.title != article.title || r.body != article.body) =>
            {
                r.number + 1
            }
            Some(_) => continue,
        };
        tx.insert_help_revision(&HelpRevisionRow {
            id: new_id("hrv"),
            slug: article.slug.to_owned(),
            locale: article.locale.to_owned(),
            number,
            title: article.title.clone(),
            body: article.body.clone(),
            author_id: None,
            created_at: now,
            published_at: Some(now),
            published_by: None,
        })
        .await?;
        written += 1;
    }
    if written > 0 {
        tx.bump_help_generation().await?;
    }
    tx.commit().await?;
    Ok(written)
}

// ---------------------------------------------------------------------------------------------
// Editing (staff)

/// One language of an article in the editors' list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocaleState {
    /// `zh-CN` or `en`.
    pub locale: &'static str,
    /// The latest title (draft or published).
    pub title: Option<String>,
    /// The revision readers see.
    pub published: Option<i64>,
    /// A newer revision not published yet.
    pub draft: Option<i64>,
}

/// An article with both languages' state, for the editors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditorEntry {
    /// The article's settings.
    pub article: HelpArticleRow,
    /// zh-CN, then en.
    pub locales: Vec<LocaleState>,
    /// Every revision, newest first (empty in the list).
    pub history: Vec<HelpRevisionRow>,
}

impl EditorEntry {
    /// The latest revision in `locale` (the draft when there is one).
    pub fn latest(&self, locale: &str) -> Option<&HelpRevisionRow> {
        self.history.iter().find(|r| r.locale == locale)
    }
}

fn locale_states(revisions: &[HelpRevisionRow]) -> Vec<LocaleState> {
    rules::LOCALES
        .into_iter()
        .map(|locale| {
            let mine: Vec<&HelpRevisionRow> =
                revisions.iter().filter(|r| r.locale == locale).collect();
            let latest = mine.iter().max_by_key(|r| r.number);
            let published = mine
                .iter()
                .filter(|r| r.published_at.is_some())
                .map(|r| r.number)
                .max();
            LocaleState {
                locale,
                title: latest.map(|r| r.title.clone()),
                published,
                draft: latest
                    .map(|r| r.number)
                    .filter(|n| published.is_none_or(|p| *n > p)),
            }
        })
        .collect()
}

/// Every article and announcement with its languages' state (staff).
pub async fn editor_list(app: &App, actor: &Actor) -> Result<Vec<EditorEntry>, AppError> {
    actor.require(Right::CustomerAssist)?;
    ensure_ready(app).await?;
    let mut tx = app.db().read().await?;
    let articles = tx.help_articles().await?;
    let latest = tx.latest_help_revisions().await?;
    let published = tx.published_help(None).await?;
    tx.commit().await?;
    Ok(articles
        .into_iter()
        .map(|article| {
            let locales = rules::LOCALES
                .into_iter()
                .map(|locale| {
                    let latest = latest
                        .iter()
                        .find(|r| r.slug == article.slug && r.locale == locale);
                    let published_number = published
                        .iter()
                        .find(|p| p.slug == article.slug && p.locale == locale)
                        .map(|p| p.number);
                    LocaleState {
                        locale,
                        title: latest.map(|r| r.title.clone()),
                        published: published_number,
                        draft: latest
                            .filter(|l| l.published_at.is_none())
                            .map(|l| l.number),
                    }
                })
                .collect();
            EditorEntry {
                article,
                locales,
                history: Vec::new(),
            }
        })
        .collect())
}

/// One article with its full history (staff).
pub async fn editor_get(app: &App, actor: &Actor, slug: &str) -> Result<EditorEntry, AppError> {
    actor.require(Right::CustomerAssist)?;
    ensure_ready(app).await?;
    let mut tx = app.db().read().await?;
    let article = tx
        .help_article(slug)
        .await?
        .ok_or_else(AppError::not_found)?;
    let history = tx.help_revisions(slug).await?;
    tx.commit().await?;
    Ok(EditorEntry {
        locales: locale_states(&history),
        article,
        history,
    })
}

/// An article's settings as staff enter them.
#[derive(Debug, Clone, Default)]
pub struct ArticleSettings {
    /// Address name (only when creating).
    pub slug: String,
    /// `article` or `announcement`.
    pub kind: String,
    /// Category id (announcements are always in `announcements`).
    pub category: String,
    /// Position in the category.
    pub position: i64,
    /// Announcements: `all`, `domains` or `filings`.
    pub audience: String,
    /// Announcements: send to the audience when published.
    pub important: bool,
}

fn checked_settings(
    settings: &ArticleSettings,
) -> Result<(String, String, Option<String>), AppError> {
    if settings.kind == "announcement" {
        let audience = match settings.audience.trim() {
            "" | "all" => "all",
            "domains" => "domains",
            "filings" => "filings",
            _ => return Err(HelpError::InvalidAudience.into()),
        };
        Ok((
            "announcement".into(),
            "announcements".into(),
            Some(audience.to_owned()),
        ))
    } else {
        let category = checked_value(rules::checked_category(&settings.category))?;
        if category == "announcements" {
            return Err(HelpError::InvalidHelpCategory.into());
        }
        Ok(("article".into(), category.to_owned(), None))
    }
}

/// Staff create an article or announcement (its texts come with [`save`]).
pub async fn create(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    settings: &ArticleSettings,
) -> Result<EditorEntry, AppError> {
    actor.require(Right::CustomerAssist)?;
    let slug = checked_value(rules::checked_slug(&settings.slug))?;
    let (kind, category, audience) = checked_settings(settings)?;
    let now = app.now().0;
    let row = HelpArticleRow {
        slug: slug.clone(),
        kind,
        category,
        position: settings.position.clamp(0, 100_000),
        important: audience.is_some() && settings.important,
        audience,
        announced_at: None,
        created_at: now,
        updated_at: now,
    };
    let mut tx = app.db().write().await?;
    if !tx.insert_help_article(&row).await? {
        return Err(HelpError::SlugTaken.into());
    }
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "help.article.create",
            object_type: "help_article",
            object_id: &slug,
            tenant: "",
            before: Value::Null,
            after: json!({ "kind": row.kind, "category": row.category,
                           "audience": row.audience, "important": row.important }),
        },
    )
    .await?;
    tx.commit().await?;
    editor_get(app, actor, &slug).await
}

/// Staff change an article's settings (category, position; an announcement's audience and
/// whether it is important).
pub async fn update_settings(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    slug: &str,
    settings: &ArticleSettings,
) -> Result<EditorEntry, AppError> {
    actor.require(Right::CustomerAssist)?;
    let mut tx = app.db().write().await?;
    let before = tx
        .help_article(slug)
        .await?
        .ok_or_else(AppError::not_found)?;
    let settings = ArticleSettings {
        kind: before.kind.clone(),
        ..settings.clone()
    };
    let (_, category, audience) = checked_settings(&settings)?;
    let mut row = before.clone();
    row.category = category;
    row.position = settings.position.clamp(0, 100_000);
    row.important = audience.is_some() && settings.important;
    row.audience = audience;
    row.updated_at = app.now().0;
    tx.update_help_article(&row).await?;
    tx.bump_help_generation().await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "help.article.settings",
            object_type: "help_article",
            object_id: slug,
            tenant: "",
            before: json!({ "category": before.category, "position": before.position,
                            "audience": before.audience, "important": before.important }),
            after: json!({ "category": row.category, "position": row.position,
                           "audience": row.audience, "important": row.important }),
        },
    )
    .await?;
    tx.commit().await?;
    rebuild(app).await?;
    editor_get(app, actor, slug).await
}

/// Staff write a new revision of one language of an article: a draft, or published at once.
/// Publishing an important announcement for the first time sends it to its audience.
#[allow(
    clippy::too_many_arguments,
    reason = "one use case, each argument a form field"
)]
pub async fn save(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    slug: &str,
    locale: &str,
    title: &str,
    body: &str,
    publish: bool,
) -> Result<EditorEntry, AppError> {
    actor.require(Right::CustomerAssist)?;
    let locale = checked_value(rules::checked_locale(locale))?;
    let title = checked_value(rules::checked_title(title))?;
    let body = checked_value(rules::checked_body(body))?;
    let now = app.now().0;
    let mut tx = app.db().write().await?;
    let article = tx
        .help_article(slug)
        .await?
        .ok_or_else(AppError::not_found)?;
    let history = tx.help_revisions(slug).await?;
    let number = history
        .iter()
        .filter(|r| r.locale == locale)
        .map(|r| r.number)
        .max()
        .unwrap_or(0)
        + 1;
    let revision = HelpRevisionRow {
        id: new_id("hrv"),
        slug: slug.to_owned(),
        locale: locale.to_owned(),
        number,
        title,
        body,
        author_id: Some(actor.account_id.clone()),
        created_at: now,
        published_at: publish.then_some(now),
        published_by: publish.then(|| actor.account_id.clone()),
    };
    tx.insert_help_revision(&revision).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: if publish {
                "help.article.publish"
            } else {
                "help.article.draft"
            },
            object_type: "help_article",
            object_id: slug,
            tenant: "",
            before: Value::Null,
            after: json!({ "locale": locale, "revision": number, "title": revision.title }),
        },
    )
    .await?;
    if publish {
        after_publish(app, &mut tx, &article, now).await?;
    }
    tx.commit().await?;
    if publish {
        rebuild(app).await?;
    }
    editor_get(app, actor, slug).await
}

/// One article with its texts, for [`import`].
#[derive(Debug, Clone)]
pub struct ImportedArticle {
    /// Address name.
    pub slug: String,
    /// Category id (not `announcements`).
    pub category: String,
    /// Position.
    pub position: i64,
    /// `(locale, title, Markdown)` per language.
    pub texts: Vec<(String, String, String)>,
}

/// Publishes many articles in one transaction and rebuilds the index once (a migration from
/// another help centre, or the benchmark's generated articles). Every article is checked as
/// an edit is; an existing slug is refused with `SLUG_TAKEN` and nothing is written.
pub async fn import(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    articles: &[ImportedArticle],
) -> Result<usize, AppError> {
    actor.require(Right::CustomerAssist)?;
    let now = app.now().0;
    let mut checked = Vec::with_capacity(articles.len());
    for article in articles {
        let slug = checked_value(rules::checked_slug(&article.slug))?;
        let (_, category, _) = checked_settings(&ArticleSettings {
            category: article.category.clone(),
            ..ArticleSettings::default()
        })?;
        let mut texts = Vec::with_capacity(article.texts.len());
        for (locale, title, body) in &article.texts {
            texts.push((
                checked_value(rules::checked_locale(locale))?,
                checked_value(rules::checked_title(title))?,
                checked_value(rules::checked_body(body))?,
            ));
        }
        checked.push((slug, category, article.position, texts));
    }
    let mut tx = app.db().write().await?;
    for (slug, category, position, texts) in &checked {
        let row = HelpArticleRow {
            slug: slug.clone(),
            kind: "article".into(),
            category: category.clone(),
            position: *position,
            audience: None,
            important: false,
            announced_at: None,
            created_at: now,
            updated_at: now,
        };
        if !tx.insert_help_article(&row).await? {
            return Err(HelpError::SlugTaken.into());
        }
        for (locale, title, body) in texts {
            tx.insert_help_revision(&HelpRevisionRow {
                id: new_id("hrv"),
                slug: slug.clone(),
                locale: (*locale).to_owned(),
                number: 1,
                title: title.clone(),
                body: body.clone(),
                author_id: Some(actor.account_id.clone()),
                created_at: now,
                published_at: Some(now),
                published_by: Some(actor.account_id.clone()),
            })
            .await?;
        }
    }
    tx.bump_help_generation().await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "help.article.import",
            object_type: "help_article",
            object_id: "",
            tenant: "",
            before: Value::Null,
            after: json!({ "articles": checked.len() }),
        },
    )
    .await?;
    tx.commit().await?;
    rebuild(app).await?;
    Ok(checked.len())
}

/// Staff publish an earlier revision of one language: a draft as it is, or an older text
/// again (restored as a new revision, so the history keeps what was replaced).
pub async fn publish_revision(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    slug: &str,
    locale: &str,
    number: i64,
) -> Result<EditorEntry, AppError> {
    actor.require(Right::CustomerAssist)?;
    let locale = checked_value(rules::checked_locale(locale))?;
    let now = app.now().0;
    let mut tx = app.db().write().await?;
    let article = tx
        .help_article(slug)
        .await?
        .ok_or_else(AppError::not_found)?;
    let history = tx.help_revisions(slug).await?;
    let chosen = history
        .iter()
        .find(|r| r.locale == locale && r.number == number)
        .ok_or(HelpError::NoSuchRevision)?;
    let latest = history
        .iter()
        .filter(|r| r.locale == locale)
        .map(|r| r.number)
        .max()
        .unwrap_or(number);
    let published_number = if number == latest && chosen.published_at.is_none() {
        tx.publish_help_revision(&chosen.id, Some(&actor.account_id), now)
            .await?;
        number
    } else {
        let restored = HelpRevisionRow {
            id: new_id("hrv"),
            number: latest + 1,
            author_id: Some(actor.account_id.clone()),
            created_at: now,
            published_at: Some(now),
            published_by: Some(actor.account_id.clone()),
            ..chosen.clone()
        };
        tx.insert_help_revision(&restored).await?;
        restored.number
    };
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "help.article.publish",
            object_type: "help_article",
            object_id: slug,
            tenant: "",
            before: Value::Null,
            after: json!({ "locale": locale, "revision": published_number, "from": number }),
        },
    )
    .await?;
    after_publish(app, &mut tx, &article, now).await?;
    tx.commit().await?;
    rebuild(app).await?;
    editor_get(app, actor, slug).await
}

/// After a publication: the index moves on, and an important announcement published for the
/// first time goes to its audience (e-mail and in-app), once.
async fn after_publish(
    app: &App,
    tx: &mut Tx,
    article: &HelpArticleRow,
    now: i64,
) -> Result<(), AppError> {
    tx.bump_help_generation().await?;
    if article.kind != "announcement" || !article.important || article.announced_at.is_some() {
        return Ok(());
    }
    let texts = tx.published_help(Some(&article.slug)).await?;
    let text_in = |locale: &str| {
        texts
            .iter()
            .find(|t| t.locale == locale)
            .or_else(|| texts.first())
            .map(|t| (t.title.clone(), rules::plain_text(&t.body)))
    };
    let (Some((title_zh, body_zh)), Some((title_en, body_en))) = (text_in("zh-CN"), text_in("en"))
    else {
        return Ok(());
    };
    let link = format!(
        "{}/help/articles/{}",
        app.settings().public_url.trim_end_matches('/'),
        article.slug
    );
    let cut = |text: &str| -> String { text.chars().take(600).collect() };
    let audience = tx
        .announcement_audience(article.audience.as_deref().unwrap_or("all"))
        .await?;
    for account_id in audience {
        let mut params = Map::new();
        params.insert("subject".into(), Value::String(format!("公告：{title_zh}")));
        params.insert(
            "body".into(),
            Value::String(format!("{}\n\n全文：{link}", cut(&body_zh))),
        );
        params.insert(
            "subject_en".into(),
            Value::String(format!("Announcement: {title_en}")),
        );
        params.insert(
            "body_en".into(),
            Value::String(format!("{}\n\nRead it in full: {link}", cut(&body_en))),
        );
        notices::enqueue(
            tx,
            &NoticeRequest {
                account_id,
                kind: NoticeKind::Generic,
                occasion: format!("announcement:{}", article.slug),
                params,
                sms_to: None,
            },
            now,
        )
        .await?;
    }
    let mut announced = article.clone();
    announced.announced_at = Some(now);
    tx.update_help_article(&announced).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(slug: &str, locale: &str, category: &str, title: &str, body: &str) -> PublishedHelpRow {
        PublishedHelpRow {
            slug: slug.into(),
            locale: locale.into(),
            number: 1,
            kind: "article".into(),
            category: category.into(),
            position: 10,
            title: title.into(),
            body: body.into(),
            published_at: 0,
        }
    }

    fn index() -> BuiltIndex {
        BuiltIndex::build(
            1,
            &[
                row(
                    "icp-rejection-reasons",
                    "zh-CN",
                    "icp",
                    "备案常见驳回原因",
                    "管局驳回备案时会给出原因。域名未实名会导致驳回。",
                ),
                row(
                    "icp-rejection-reasons",
                    "en",
                    "icp",
                    "Common reasons a filing is rejected",
                    "The authority rejects filings whose domain is not verified.",
                ),
                row(
                    "renewal",
                    "zh-CN",
                    "lifecycle",
                    "续费与自动续费",
                    "到期前续费域名。",
                ),
                row(
                    "renewal",
                    "en",
                    "lifecycle",
                    "Renewal and auto-renew",
                    "Renewing a domain before it expires keeps it.",
                ),
            ],
        )
        .expect("index builds")
    }

    #[test]
    fn chinese_words_are_segmented_and_every_word_must_match() {
        let results = index().search("备案 驳回", "zh-CN", 10).unwrap();
        assert_eq!(results.hits.len(), 1, "{results:?}");
        let hit = &results.hits[0];
        assert_eq!(hit.slug, "icp-rejection-reasons");
        assert!(!results.any_word);
        assert!(
            hit.title_html.contains("<mark>驳回</mark>"),
            "{}",
            hit.title_html
        );
        assert!(hit.snippet_html.contains("<mark>"), "{}", hit.snippet_html);
        // Run together, the words are still found: the query is segmented too.
        let joined = index().search("备案驳回", "zh-CN", 10).unwrap();
        assert_eq!(joined.hits[0].slug, "icp-rejection-reasons");
    }

    #[test]
    fn english_is_stemmed_and_common_words_are_ignored() {
        let results = index().search("how to renew", "en", 10).unwrap();
        assert_eq!(results.hits.len(), 1, "{results:?}");
        assert_eq!(results.hits[0].slug, "renewal");
        assert!(results.hits[0].title_html.contains("<mark>Renewal</mark>"));
    }

    #[test]
    fn nothing_matching_every_word_falls_back_to_any_word_then_the_other_language() {
        let results = index().search("续费 驳回", "zh-CN", 10).unwrap();
        assert!(results.any_word);
        assert_eq!(results.hits.len(), 2);
        let other = index().search("备案", "en", 10).unwrap();
        assert!(other.other_locale);
        assert_eq!(other.hits[0].locale, "zh-CN");
        assert!(
            index()
                .search("  ，。 ", "zh-CN", 10)
                .unwrap()
                .hits
                .is_empty()
        );
    }

    #[test]
    fn snippets_escape_the_text_around_the_highlights() {
        let index = BuiltIndex::build(
            1,
            &[row(
                "x-y",
                "en",
                "dns",
                "Records",
                "Use <script>alert(1)</script> records",
            )],
        )
        .unwrap();
        let hit = &index.search("records", "en", 5).unwrap().hits[0];
        assert!(
            !hit.snippet_html.contains("<script>"),
            "{}",
            hit.snippet_html
        );
        assert!(hit.snippet_html.contains("&lt;script&gt;"));
    }
}
