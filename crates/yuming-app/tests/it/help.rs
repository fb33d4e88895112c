//! The help centre: the shipped articles are seeded once and searchable in Chinese and
//! English; staff drafts stay unseen until published; the history restores an older text;
//! important announcements reach their audience once; product feedback counts one vote per
//! account; and every error code the application can return has its article (or is one only
//! staff meet).

use std::collections::BTreeSet;

use yuming_app::care::feedback;
use yuming_app::care::help::{self, ArticleSettings, ImportedArticle};
use yuming_app::notify::notices;
use yuming_core::access::Role;
use yuming_test_support::{TestDb, both_backends, fixtures, test_app};

both_backends!(
    shipped_articles_are_seeded_once_and_found_in_both_languages,
    |db: TestDb| async move {
        let (app, _clock) = test_app(&db.db);
        let contents = help::contents(&app, "zh-CN").await.expect("contents");
        let articles: usize = contents.iter().map(|c| c.articles.len()).sum();
        assert!(articles >= 30, "{articles} articles");
        assert!(contents.iter().any(|c| c.category.id == "icp"));
        // Seeding again writes nothing: the product's texts are already there.
        assert_eq!(help::seed_shipped(&app).await.expect("seed"), 0);

        let found = help::search(&app, "备案 驳回", "zh-CN", 10)
            .await
            .expect("search");
        assert!(!found.any_word, "{found:?}");
        assert_eq!(found.hits[0].slug, "icp-rejection-reasons", "{found:?}");
        assert!(found.hits[0].snippet_html.contains("<mark>"));

        let found = help::search(&app, "how do I renew a domain automatically", "en", 10)
            .await
            .expect("search");
        assert!(
            found
                .hits
                .iter()
                .take(3)
                .any(|h| h.slug == "renewal-and-auto-renew"),
            "{found:?}"
        );
        assert!(found.hits.iter().all(|h| h.locale == "en"));

        let article = help::article(&app, "icp-rejection-reasons", "en")
            .await
            .expect("article");
        assert_eq!(article.locale, "en");
        assert!(article.body.contains("### DOMAIN_RESOLVING"));
        assert!(!article.related.is_empty());
        assert_eq!(
            help::article(&app, "no-such-article", "en")
                .await
                .expect_err("missing")
                .code,
            "NOT_FOUND"
        );
    }
);

both_backends!(
    drafts_stay_unseen_until_published_and_history_restores_older_text,
    |db: TestDb| async move {
        let (app, _clock) = test_app(&db.db);
        let ctx = fixtures::ctx();
        let support = fixtures::staff(&app, "writer@example.com", Role::Support).await;
        let customer = fixtures::customer(&app, "reader@example.com").await;
        let settings = ArticleSettings {
            slug: "mx-records".into(),
            kind: "article".into(),
            category: "dns".into(),
            position: 30,
            ..ArticleSettings::default()
        };
        assert_eq!(
            help::create(&app, &ctx, &customer, &settings)
                .await
                .expect_err("customers do not edit")
                .code,
            "FORBIDDEN"
        );
        let bad = ArticleSettings {
            slug: "MX".into(),
            ..settings.clone()
        };
        assert_eq!(
            help::create(&app, &ctx, &support, &bad)
                .await
                .expect_err("slug")
                .code,
            "INVALID_SLUG"
        );
        help::create(&app, &ctx, &support, &settings)
            .await
            .expect("create");
        assert_eq!(
            help::create(&app, &ctx, &support, &settings)
                .await
                .expect_err("taken")
                .code,
            "SLUG_TAKEN"
        );

        // A draft: the editors see it, readers and search do not.
        let entry = help::save(
            &app,
            &ctx,
            &support,
            "mx-records",
            "zh-CN",
            "邮件交换记录",
            "设置 **MX** 记录，让邮件送达邮局服务器。<script>alert(1)</script>",
            false,
        )
        .await
        .expect("draft");
        assert_eq!(entry.locales[0].draft, Some(1));
        assert_eq!(entry.locales[0].published, None);
        assert!(help::article(&app, "mx-records", "zh-CN").await.is_err());
        let found = help::search(&app, "邮局服务器", "zh-CN", 10)
            .await
            .expect("search");
        assert!(found.hits.iter().all(|h| h.slug != "mx-records"));

        // Published: read, found, safe.
        help::publish_revision(&app, &ctx, &support, "mx-records", "zh-CN", 1)
            .await
            .expect("publish");
        let article = help::article(&app, "mx-records", "zh-CN")
            .await
            .expect("read");
        assert_eq!(article.title, "邮件交换记录");
        let html = yuming_core::help::render_html(&article.body);
        assert!(html.contains("<strong>MX</strong>") && !html.contains("<script>"));
        let found = help::search(&app, "邮局服务器", "zh-CN", 10)
            .await
            .expect("search");
        assert_eq!(found.hits[0].slug, "mx-records", "{found:?}");
        // English readers get the Chinese text until there is an English one.
        let article = help::article(&app, "mx-records", "en")
            .await
            .expect("fallback");
        assert!(article.other_locale);

        // A second text published at once replaces it; the first can be restored.
        help::save(
            &app,
            &ctx,
            &support,
            "mx-records",
            "zh-CN",
            "MX 记录",
            "新的正文：优先级数字越小越优先。",
            true,
        )
        .await
        .expect("publish 2");
        assert_eq!(
            help::article(&app, "mx-records", "zh-CN")
                .await
                .unwrap()
                .title,
            "MX 记录"
        );
        let entry = help::publish_revision(&app, &ctx, &support, "mx-records", "zh-CN", 1)
            .await
            .expect("restore");
        assert_eq!(entry.history.len(), 3, "restoring adds a revision");
        assert_eq!(entry.locales[0].published, Some(3));
        assert_eq!(
            help::article(&app, "mx-records", "zh-CN")
                .await
                .unwrap()
                .title,
            "邮件交换记录"
        );
        // Two drafts on top of the restored text: the editors' list still names revision 3
        // as the one readers see, and the newest draft as the draft.
        for draft in ["草稿一", "草稿二"] {
            help::save(
                &app,
                &ctx,
                &support,
                "mx-records",
                "zh-CN",
                draft,
                "正文",
                false,
            )
            .await
            .expect("draft");
        }
        let listed = help::editor_list(&app, &support).await.expect("list");
        let mx = listed
            .iter()
            .find(|e| e.article.slug == "mx-records")
            .expect("listed");
        assert_eq!(
            (mx.locales[0].published, mx.locales[0].draft),
            (Some(3), Some(5))
        );
        assert_eq!(
            help::publish_revision(&app, &ctx, &support, "mx-records", "zh-CN", 9)
                .await
                .expect_err("no such revision")
                .code,
            "NO_SUCH_REVISION"
        );
        assert_eq!(
            help::save(&app, &ctx, &support, "mx-records", "fr", "t", "b", true)
                .await
                .expect_err("locale")
                .code,
            "INVALID_LOCALE"
        );
    }
);

both_backends!(
    important_announcements_reach_their_audience_once,
    |db: TestDb| async move {
        let (app, _clock) = test_app(&db.db);
        let ctx = fixtures::ctx();
        let admin = fixtures::staff(&app, "ops@example.com", Role::Admin).await;
        let alice = fixtures::customer(&app, "alice@example.com").await;
        let bob = fixtures::customer(&app, "bob@example.com").await;

        let settings = ArticleSettings {
            slug: "filing-rules-2027".into(),
            kind: "announcement".into(),
            audience: "all".into(),
            important: true,
            ..ArticleSettings::default()
        };
        let entry = help::create(&app, &ctx, &admin, &settings)
            .await
            .expect("create");
        assert_eq!(entry.article.category, "announcements");
        help::save(
            &app,
            &ctx,
            &admin,
            "filing-rules-2027",
            "en",
            "New filing rules from 2027",
            "Site names must not contain the word *portal*.",
            true,
        )
        .await
        .expect("publish en");
        help::save(
            &app,
            &ctx,
            &admin,
            "filing-rules-2027",
            "zh-CN",
            "2027 年起的备案新规",
            "网站名称不得包含“门户”。",
            true,
        )
        .await
        .expect("publish zh");
        for customer in [&alice, &bob] {
            let inbox = notices::inbox(&app, customer, None, 20)
                .await
                .expect("inbox");
            let told: Vec<_> = inbox
                .iter()
                .filter(|n| {
                    n.subject.contains("New filing rules") || n.subject.contains("备案新规")
                })
                .collect();
            assert_eq!(told.len(), 1, "once, on the first publication: {inbox:?}");
        }
        let staff_inbox = notices::inbox(&app, &admin, None, 20).await.expect("inbox");
        assert!(staff_inbox.iter().all(|n| !n.subject.contains("备案新规")));
        let contents = help::contents(&app, "zh-CN").await.expect("contents");
        assert_eq!(contents[0].category.id, "announcements");
        assert_eq!(contents[0].articles[0].title, "2027 年起的备案新规");

        // An announcement for domain holders goes to nobody here: no one holds a domain.
        let for_holders = ArticleSettings {
            slug: "dns-maintenance".into(),
            audience: "domains".into(),
            ..settings.clone()
        };
        help::create(&app, &ctx, &admin, &for_holders)
            .await
            .expect("create");
        help::save(
            &app,
            &ctx,
            &admin,
            "dns-maintenance",
            "zh-CN",
            "DNS 维护",
            "维护通知",
            true,
        )
        .await
        .expect("publish");
        let inbox = notices::inbox(&app, &alice, None, 20).await.expect("inbox");
        assert!(inbox.iter().all(|n| !n.subject.contains("DNS 维护")));
        let bad = ArticleSettings {
            slug: "x-bad".into(),
            audience: "everyone".into(),
            ..settings
        };
        assert_eq!(
            help::create(&app, &ctx, &admin, &bad)
                .await
                .expect_err("audience")
                .code,
            "INVALID_AUDIENCE"
        );
    }
);

both_backends!(
    feedback_counts_one_vote_per_account_and_staff_set_its_status,
    |db: TestDb| async move {
        let (app, _clock) = test_app(&db.db);
        let ctx = fixtures::ctx();
        let alice = fixtures::customer(&app, "alice@example.com").await;
        let bob = fixtures::customer(&app, "bob@example.com").await;
        let support = fixtures::staff(&app, "pm@example.com", Role::Support).await;

        assert_eq!(
            feedback::post(&app, &ctx, &alice, " ", "x")
                .await
                .expect_err("title")
                .code,
            "INVALID_TITLE"
        );
        let idea = feedback::post(&app, &ctx, &alice, "批量修改 DNS", "一次改多个域名的解析")
            .await
            .expect("post");
        assert_eq!((idea.votes, idea.voted, idea.mine), (1, true, true));
        let again = feedback::vote(&app, &alice, &idea.id)
            .await
            .expect("vote again");
        assert_eq!(again.votes, 1, "one vote per account");
        let bobs = feedback::vote(&app, &bob, &idea.id)
            .await
            .expect("bob votes");
        assert_eq!(bobs.votes, 2);
        let board = feedback::list(&app, &bob, None).await.expect("board");
        assert_eq!(board.len(), 1);
        assert!(board[0].voted && !board[0].mine);
        assert_eq!(
            feedback::vote(&app, &bob, "fbk_missing")
                .await
                .expect_err("missing")
                .code,
            "NOT_FOUND"
        );
        assert_eq!(
            feedback::set_status(&app, &ctx, &alice, &idea.id, "done", "")
                .await
                .expect_err("customers do not decide")
                .code,
            "FORBIDDEN"
        );
        assert_eq!(
            feedback::set_status(&app, &ctx, &support, &idea.id, "shipped", "")
                .await
                .expect_err("status")
                .code,
            "INVALID_STATUS"
        );
        let planned = feedback::set_status(&app, &ctx, &support, &idea.id, "planned", "下个版本")
            .await
            .expect("status");
        assert_eq!(planned.status, "planned");
        let board = feedback::list(&app, &alice, Some("planned"))
            .await
            .expect("board");
        assert_eq!(board[0].staff_note.as_deref(), Some("下个版本"));
        assert!(
            feedback::list(&app, &alice, Some("done"))
                .await
                .unwrap()
                .is_empty()
        );
    }
);

both_backends!(
    an_import_publishes_many_articles_in_one_go_or_none,
    |db: TestDb| async move {
        let (app, _clock) = test_app(&db.db);
        let ctx = fixtures::ctx();
        let support = fixtures::staff(&app, "import@example.com", Role::Support).await;
        let article = |slug: &str, title: &str| ImportedArticle {
            slug: slug.into(),
            category: "dns".into(),
            position: 50,
            texts: vec![(
                "en".into(),
                title.into(),
                format!("About {title} zebrafish."),
            )],
        };
        let imported = help::import(
            &app,
            &ctx,
            &support,
            &[
                article("caa-records", "CAA records"),
                article("srv-records", "SRV records"),
            ],
        )
        .await
        .expect("import");
        assert_eq!(imported, 2);
        let found = help::search(&app, "zebrafish", "en", 10)
            .await
            .expect("search");
        assert_eq!(found.hits.len(), 2);
        // One slug taken: nothing of the batch is written.
        let refused = help::import(
            &app,
            &ctx,
            &support,
            &[
                article("naptr-records", "NAPTR"),
                article("caa-records", "again"),
            ],
        )
        .await
        .expect_err("taken");
        assert_eq!(refused.code, "SLUG_TAKEN");
        assert!(help::article(&app, "naptr-records", "en").await.is_err());
    }
);

/// The error codes the application's source can return: the stable code of every
/// `error_enum!` entry and every `AppError` built in place.
fn codes_in_source() -> BTreeSet<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["yuming-app/src", "yuming-http/src", "yuming-web/src"] {
        let mut stack = vec![root.join(dir)];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("source dir") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    files.push(path);
                }
            }
        }
    }
    let kinds = [
        "BadRequest(",
        "Conflict(",
        "Forbidden(",
        "NotFound(",
        "Unprocessable(",
        "PaymentRequired(",
        "TooManyRequests(",
        "Unauthenticated(",
        "Unavailable(",
        "Internal(",
    ];
    let builders = ["bad(", "bad_request(", "unauthenticated(", "AppError::new("];
    let mut codes = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read source");
        let mut take = |rest: &str| {
            // Skip whitespace and an `ErrorKind::X,` argument, then read a quoted code.
            let rest = rest.trim_start();
            let rest = match rest.strip_prefix("ErrorKind::") {
                Some(after) => after
                    .split_once(',')
                    .map_or("", |(_, after)| after)
                    .trim_start(),
                None => rest,
            };
            if let Some(quoted) = rest.strip_prefix('"') {
                let code: String = quoted
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                if code.len() >= 4 && quoted[code.len()..].starts_with('"') {
                    codes.insert(code);
                }
            }
        };
        for marker in kinds.iter().chain(builders.iter()) {
            for (index, _) in text.match_indices(marker) {
                take(&text[index + marker.len()..]);
            }
        }
    }
    codes
}

#[test]
fn every_error_code_has_a_help_article_or_is_met_only_by_staff() {
    let codes = codes_in_source();
    assert!(
        codes.len() > 150,
        "the scan found only {} codes",
        codes.len()
    );
    for must in [
        "INSUFFICIENT_BALANCE",
        "SELF_CHECK_FAILED",
        "RATE_LIMITED",
        "INVALID_SLUG",
    ] {
        assert!(codes.contains(must), "the scan misses {must}");
    }
    let missing: Vec<&String> = codes
        .iter()
        .filter(|code| {
            yuming_core::help::article_for_code(code).is_none()
                && !yuming_core::help::STAFF_CODES.contains(&code.as_str())
        })
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a help article (add them to yuming_core::help::CODE_ARTICLES, or to \
         STAFF_CODES when only staff meet them): {missing:?}"
    );
}
