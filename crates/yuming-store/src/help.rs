//! The help centre's articles with their revisions, and product feedback with its votes.

use crate::db::{StoreError, Tx, map_err};

/// An article (or announcement) as stored; its texts are in [`HelpRevisionRow`]s.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct HelpArticleRow {
    /// Stable id in URLs.
    pub slug: String,
    /// `article` or `announcement`.
    pub kind: String,
    /// Category id.
    pub category: String,
    /// Position inside the category.
    pub position: i64,
    /// Announcements: who it concerns (`all`, `domains`, `filings`).
    pub audience: Option<String>,
    /// Announcements: sent to the audience as a notice when first published.
    pub important: bool,
    /// When the notices went out.
    pub announced_at: Option<i64>,
    /// Created.
    pub created_at: i64,
    /// Last change of the article's settings or texts.
    pub updated_at: i64,
}

/// One revision of one language of an article.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct HelpRevisionRow {
    /// `hrv_…`.
    pub id: String,
    /// The article.
    pub slug: String,
    /// `zh-CN` or `en`.
    pub locale: String,
    /// 1, 2, … per article and language.
    pub number: i64,
    /// Title.
    pub title: String,
    /// Markdown.
    pub body: String,
    /// Who wrote it; `None` for the text the product ships.
    pub author_id: Option<String>,
    /// Written.
    pub created_at: i64,
    /// Published (then it is what readers see until a later revision is published).
    pub published_at: Option<i64>,
    /// Who published it.
    pub published_by: Option<String>,
}

/// A published revision with its article's settings: what the help centre shows and indexes.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PublishedHelpRow {
    /// The article.
    pub slug: String,
    /// `zh-CN` or `en`.
    pub locale: String,
    /// The revision's number.
    pub number: i64,
    /// `article` or `announcement`.
    pub kind: String,
    /// Category id.
    pub category: String,
    /// Position.
    pub position: i64,
    /// Title.
    pub title: String,
    /// Markdown.
    pub body: String,
    /// When this text was published.
    pub published_at: i64,
}

/// A product idea.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FeedbackRow {
    /// `fbk_…`.
    pub id: String,
    /// The customer (tenant).
    pub owner_id: String,
    /// The account that wrote it.
    pub author_id: String,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// `open`, `planned`, `in_progress`, `done`, `declined`.
    pub status: String,
    /// Votes.
    pub votes: i64,
    /// What staff said about it.
    pub staff_note: Option<String>,
    /// Written.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
}

macro_rules! article_columns {
    () => {
        "slug, kind, category, position, audience, important, announced_at, created_at, updated_at"
    };
}

macro_rules! revision_columns {
    () => {
        "id, slug, locale, number, title, body, author_id, created_at, published_at, published_by"
    };
}

macro_rules! feedback_columns {
    () => {
        "id, owner_id, author_id, title, body, status, votes, staff_note, created_at, updated_at"
    };
}

impl Tx {
    /// Stores a new article; `false` when the slug is taken.
    pub async fn insert_help_article(&mut self, row: &HelpArticleRow) -> Result<bool, StoreError> {
        let sql = concat!(
            "INSERT INTO help_articles (",
            article_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (slug) DO NOTHING"
        );
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(&row.slug)
            .bind(&row.kind)
            .bind(&row.category)
            .bind(row.position)
            .bind(&row.audience)
            .bind(row.important)
            .bind(row.announced_at)
            .bind(row.created_at)
            .bind(row.updated_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    /// Writes an article's settings back.
    pub async fn update_help_article(&mut self, row: &HelpArticleRow) -> Result<(), StoreError> {
        let sql = "UPDATE help_articles SET kind = $2, category = $3, position = $4, audience = $5, \
                   important = $6, announced_at = $7, updated_at = $8 WHERE slug = $1";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.slug)
            .bind(&row.kind)
            .bind(&row.category)
            .bind(row.position)
            .bind(&row.audience)
            .bind(row.important)
            .bind(row.announced_at)
            .bind(row.updated_at)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// An article by slug.
    pub async fn help_article(&mut self, slug: &str) -> Result<Option<HelpArticleRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            article_columns!(),
            " FROM help_articles WHERE slug = $1"
        );
        on_conn!(self, c => sqlx::query_as::<_, HelpArticleRow>(sql)
            .bind(slug)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }

    /// Every article, by category and position.
    pub async fn help_articles(&mut self) -> Result<Vec<HelpArticleRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            article_columns!(),
            " FROM help_articles ORDER BY category, position, slug"
        );
        on_conn!(self, c => sqlx::query_as::<_, HelpArticleRow>(sql)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Stores a revision (its number must be the next one for its article and language).
    pub async fn insert_help_revision(&mut self, row: &HelpRevisionRow) -> Result<(), StoreError> {
        let sql = concat!(
            "INSERT INTO help_revisions (",
            revision_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        );
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.slug)
            .bind(&row.locale)
            .bind(row.number)
            .bind(&row.title)
            .bind(&row.body)
            .bind(&row.author_id)
            .bind(row.created_at)
            .bind(row.published_at)
            .bind(&row.published_by)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// Marks a revision published.
    pub async fn publish_help_revision(
        &mut self,
        id: &str,
        by: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE help_revisions SET published_at = $2, published_by = $3 WHERE id = $1";
        on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(now)
            .bind(by)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// Every revision of an article, newest first (both languages).
    pub async fn help_revisions(&mut self, slug: &str) -> Result<Vec<HelpRevisionRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            revision_columns!(),
            " FROM help_revisions WHERE slug = $1 ORDER BY number DESC, locale"
        );
        on_conn!(self, c => sqlx::query_as::<_, HelpRevisionRow>(sql)
            .bind(slug)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// The latest revision of every article and language (drafts included), for the seeding
    /// of shipped texts and the editors' list.
    pub async fn latest_help_revisions(&mut self) -> Result<Vec<HelpRevisionRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            revision_columns!(),
            " FROM help_revisions r WHERE number = (SELECT MAX(number) FROM help_revisions l \
             WHERE l.slug = r.slug AND l.locale = r.locale)"
        );
        on_conn!(self, c => sqlx::query_as::<_, HelpRevisionRow>(sql)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// What readers see: the latest published revision of every article and language, with
    /// the article's settings; `slug` narrows it to one article.
    pub async fn published_help(
        &mut self,
        slug: Option<&str>,
    ) -> Result<Vec<PublishedHelpRow>, StoreError> {
        let sql = "SELECT r.slug, r.locale, r.number, a.kind, a.category, a.position, r.title, r.body, \
                   r.published_at FROM help_revisions r JOIN help_articles a ON a.slug = r.slug \
                   WHERE r.published_at IS NOT NULL AND ($1 IS NULL OR r.slug = $1) \
                   AND r.number = (SELECT MAX(p.number) FROM help_revisions p WHERE \
                   p.slug = r.slug AND p.locale = r.locale AND p.published_at IS NOT NULL) \
                   ORDER BY a.category, a.position, r.slug, r.locale";
        on_conn!(self, c => sqlx::query_as::<_, PublishedHelpRow>(sql)
            .bind(slug)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Moves the help centre's generation on (every instance rebuilds its index from it).
    pub async fn bump_help_generation(&mut self) -> Result<i64, StoreError> {
        let sql = "UPDATE help_generation SET generation = generation + 1 WHERE id = 1 \
                   RETURNING generation";
        on_conn!(self, c => sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(c)
            .await
            .map_err(map_err))
    }

    /// The help centre's generation.
    pub async fn help_generation(&mut self) -> Result<i64, StoreError> {
        let sql = "SELECT generation FROM help_generation WHERE id = 1";
        on_conn!(self, c => sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(c)
            .await
            .map_err(map_err))
    }

    /// The customers (top-level, active) an announcement for `audience` goes to: `all`,
    /// `domains` (holding a domain) or `filings` (with an ICP filing order).
    pub async fn announcement_audience(
        &mut self,
        audience: &str,
    ) -> Result<Vec<String>, StoreError> {
        let sql = match audience {
            "domains" => {
                "SELECT a.id FROM accounts a WHERE a.role = 'customer' AND a.parent_id IS NULL \
                 AND a.status = 'active' AND EXISTS (SELECT 1 FROM domains d WHERE d.owner_id = a.id) \
                 ORDER BY a.id"
            }
            "filings" => {
                "SELECT a.id FROM accounts a WHERE a.role = 'customer' AND a.parent_id IS NULL \
                 AND a.status = 'active' AND EXISTS (SELECT 1 FROM filing_orders o \
                 WHERE o.owner_id = a.id) ORDER BY a.id"
            }
            _ => {
                "SELECT a.id FROM accounts a WHERE a.role = 'customer' AND a.parent_id IS NULL \
                 AND a.status = 'active' ORDER BY a.id"
            }
        };
        on_conn!(self, c => sqlx::query_scalar::<_, String>(sql)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Stores a new idea.
    pub async fn insert_feedback(&mut self, row: &FeedbackRow) -> Result<(), StoreError> {
        let sql = concat!(
            "INSERT INTO feedback (",
            feedback_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        );
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.owner_id)
            .bind(&row.author_id)
            .bind(&row.title)
            .bind(&row.body)
            .bind(&row.status)
            .bind(row.votes)
            .bind(&row.staff_note)
            .bind(row.created_at)
            .bind(row.updated_at)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// An idea by id.
    pub async fn feedback(&mut self, id: &str) -> Result<Option<FeedbackRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            feedback_columns!(),
            " FROM feedback WHERE id = $1"
        );
        on_conn!(self, c => sqlx::query_as::<_, FeedbackRow>(sql)
            .bind(id)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }

    /// Ideas, most votes first; `status` narrows the list.
    pub async fn feedback_list(
        &mut self,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<FeedbackRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            feedback_columns!(),
            " FROM feedback WHERE ($1 IS NULL OR status = $1) \
             ORDER BY votes DESC, created_at DESC, id LIMIT $2 + 0"
        );
        on_conn!(self, c => sqlx::query_as::<_, FeedbackRow>(sql)
            .bind(status)
            .bind(limit)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Sets an idea's status and staff note.
    pub async fn set_feedback_status(
        &mut self,
        id: &str,
        status: &str,
        note: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE feedback SET status = $2, staff_note = $3, updated_at = $4 WHERE id = $1";
        on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(status)
            .bind(note)
            .bind(now)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// Records one account's vote (once) and counts it; `false` when it had voted already.
    pub async fn vote_feedback(
        &mut self,
        id: &str,
        account_id: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let sql = "INSERT INTO feedback_votes (feedback_id, account_id, voted_at) \
                   VALUES ($1, $2, $3) ON CONFLICT (feedback_id, account_id) DO NOTHING";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(account_id)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        if n == 1 {
            let sql = "UPDATE feedback SET votes = votes + 1 WHERE id = $1";
            on_conn!(self, c => sqlx::query(sql)
                .bind(id)
                .execute(c)
                .await
                .map(|_| ())
                .map_err(map_err))?;
        }
        Ok(n == 1)
    }

    /// The ideas `account_id` voted for.
    pub async fn feedback_voted_by(&mut self, account_id: &str) -> Result<Vec<String>, StoreError> {
        let sql = "SELECT feedback_id FROM feedback_votes WHERE account_id = $1";
        on_conn!(self, c => sqlx::query_scalar::<_, String>(sql)
            .bind(account_id)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }
}
