-- The help centre (issue 19): articles in categories, each in zh-CN and English, every edit a
-- revision (drafts, publishing, history); announcements are articles of their own kind that
-- may be sent to the customers they concern. The search index is rebuilt from the published
-- revisions whenever help_generation moves, on every instance.
CREATE TABLE help_articles (
    slug          TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    category      TEXT NOT NULL,
    position      BIGINT NOT NULL,
    audience      TEXT,
    important     BOOLEAN NOT NULL,
    announced_at  BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX help_articles_category_idx ON help_articles (category, position);

CREATE TABLE help_revisions (
    id            TEXT PRIMARY KEY,
    slug          TEXT NOT NULL,
    locale        TEXT NOT NULL,
    number        BIGINT NOT NULL,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    author_id     TEXT,
    created_at    BIGINT NOT NULL,
    published_at  BIGINT,
    published_by  TEXT,
    UNIQUE (slug, locale, number)
);
CREATE INDEX help_revisions_published_idx ON help_revisions (published_at);

CREATE TABLE help_generation (
    id          BIGINT PRIMARY KEY,
    generation  BIGINT NOT NULL
);
INSERT INTO help_generation (id, generation) VALUES (1, 0);

-- Product feedback: ideas customers vote on, with a status staff set.
CREATE TABLE feedback (
    id           TEXT PRIMARY KEY,
    owner_id     TEXT NOT NULL,
    author_id    TEXT NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    status       TEXT NOT NULL,
    votes        BIGINT NOT NULL,
    staff_note   TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX feedback_votes_idx ON feedback (votes, created_at);

CREATE TABLE feedback_votes (
    feedback_id  TEXT NOT NULL,
    account_id   TEXT NOT NULL,
    voted_at     BIGINT NOT NULL,
    PRIMARY KEY (feedback_id, account_id)
);
