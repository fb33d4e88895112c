use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::filing::RejectCode;

#[test]
fn raw_html_is_shown_as_text_and_unsafe_links_are_dropped() {
    let html = render_html(
        "Hello <script>alert(1)</script>\n\n<div onclick=\"x()\">block</div>\n\n\
         [bad](javascript:alert(1)) [data](data:text/html,x) [ok](/help/articles/dns-records) \
         [web](https://beian.miit.gov.cn) [proto](//evil.example/x)\n\n\
         ![pixel](https://tracker.example/p.png) ![local](/assets/logo.svg)",
    );
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");
    assert!(!html.contains("<div"), "{html}");
    assert!(!html.contains("javascript:"), "{html}");
    assert!(!html.contains("data:text"), "{html}");
    assert!(!html.contains("//evil.example"), "{html}");
    assert!(
        html.contains("href=\"/help/articles/dns-records\""),
        "{html}"
    );
    assert!(
        html.contains("href=\"https://beian.miit.gov.cn\""),
        "{html}"
    );
    // An outside image becomes a link: the reader's browser does not fetch it.
    assert!(!html.contains("<img src=\"https://tracker"), "{html}");
    assert!(html.contains("<img src=\"/assets/logo.svg\""), "{html}");
}

#[test]
fn headings_start_at_h2_and_code_headings_get_the_code_as_id() {
    let html = render_html("# Top\n\n### DOMAIN_RESOLVING — 域名仍在解析\n\ntext\n\n## Plain");
    assert!(html.contains("<h2>Top</h2>"), "{html}");
    assert!(html.contains("<h3 id=\"DOMAIN_RESOLVING\">"), "{html}");
    assert!(html.contains("<h2>Plain</h2>"), "{html}");
    let tables = render_html("| a | b |\n|---|---|\n| 1 | 2 |");
    assert!(tables.contains("<table>"), "{tables}");
}

#[test]
fn plain_text_keeps_words_and_drops_markup() {
    let text =
        plain_text("## Title\n\nSome **bold** and `CODE_X` with [a link](/x).\n\n- one\n- two");
    assert_eq!(text, "Title\nSome bold and CODE_X with a link.\none\ntwo");
}

#[test]
fn front_matter_is_read_and_a_file_without_it_is_refused() {
    let (title, category, order, body) =
        parse_front_matter("---\ntitle: A: B\ncategory: dns\norder: 20\n---\n\nBody\n").unwrap();
    assert_eq!(
        (title.as_str(), category.as_str(), order, body.as_str()),
        ("A: B", "dns", 20, "Body")
    );
    assert_eq!(parse_front_matter("no front matter"), None);
    assert_eq!(parse_front_matter("---\ntitle: x\n---\nbody"), None);
}

#[test]
fn slugs_titles_and_bodies_are_checked() {
    assert_eq!(checked_slug(" dns-records ").unwrap(), "dns-records");
    for bad in [
        "ab",
        "Dns",
        "1dns",
        "dns-",
        "dns records",
        "dns_records",
        "域名",
    ] {
        assert_eq!(checked_slug(bad), Err(ArticleProblem::Slug), "{bad}");
    }
    assert_eq!(checked_title("  ").unwrap_err(), ArticleProblem::Title);
    assert_eq!(checked_title("a\nb").unwrap_err(), ArticleProblem::Title);
    assert_eq!(checked_body("a\r\nb").unwrap(), "a\nb");
    assert_eq!(checked_body("\u{7}").unwrap_err(), ArticleProblem::Body);
    assert_eq!(checked_locale("en").unwrap(), "en");
    assert_eq!(checked_locale("fr").unwrap_err(), ArticleProblem::Locale);
    assert_eq!(checked_category("icp").unwrap(), "icp");
    assert_eq!(
        checked_category("nope").unwrap_err(),
        ArticleProblem::Category
    );
}

#[test]
fn every_shipped_file_parses_and_each_article_has_both_languages_alike() {
    let articles = shipped();
    assert_eq!(
        articles.len(),
        SHIPPED_FILES,
        "a shipped file does not parse"
    );
    assert!(
        articles.len() >= 60,
        "at least 30 articles in two languages"
    );
    let mut by_slug: BTreeMap<&str, Vec<&ShippedArticle>> = BTreeMap::new();
    for article in &articles {
        by_slug.entry(article.slug).or_default().push(article);
        assert!(
            category(&article.category).is_some(),
            "{}: category",
            article.slug
        );
        assert!(
            checked_title(&article.title).is_ok(),
            "{}: title",
            article.slug
        );
        assert!(
            checked_body(&article.body).is_ok(),
            "{}: body",
            article.slug
        );
        assert!(!article.body.contains('<'), "{}: raw HTML", article.slug);
    }
    for (slug, both) in by_slug {
        assert_eq!(both.len(), 2, "{slug}");
        assert_eq!(both[0].category, both[1].category, "{slug}");
        assert_eq!(both[0].order, both[1].order, "{slug}");
        assert!(checked_slug(slug).is_ok(), "{slug}");
    }
}

#[test]
fn links_between_shipped_articles_point_to_articles_that_exist() {
    let articles = shipped();
    let slugs: BTreeSet<&str> = articles.iter().map(|a| a.slug).collect();
    for article in &articles {
        for (index, _) in article.body.match_indices("](/help/articles/") {
            let rest = &article.body[index + "](/help/articles/".len()..];
            let target: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
                .collect();
            assert!(
                slugs.contains(target.as_str()),
                "{} ({}) links to a missing article {target}",
                article.slug,
                article.locale
            );
        }
    }
}

#[test]
fn every_code_in_the_table_points_to_a_shipped_article() {
    let articles = shipped();
    let slugs: BTreeSet<&str> = articles.iter().map(|a| a.slug).collect();
    let mut seen = BTreeSet::new();
    for (slug, codes) in CODE_ARTICLES {
        assert!(slugs.contains(slug), "{slug} is not a shipped article");
        for code in *codes {
            assert!(seen.insert(*code), "{code} is listed twice");
            assert_eq!(article_for_code(code).unwrap().slug, *slug);
        }
    }
    for code in STAFF_CODES {
        assert!(seen.insert(*code), "{code} is listed twice");
        assert_eq!(article_for_code(code), None);
    }
}

#[test]
fn every_rejection_and_finding_code_links_to_its_own_section_in_both_languages() {
    let articles = shipped();
    for locale in LOCALES {
        let article = articles
            .iter()
            .find(|a| a.slug == "icp-rejection-reasons" && a.locale == locale)
            .expect("the rejection article ships");
        let html = render_html(&article.body);
        for code in RejectCode::all() {
            let link = article_for_code(code.as_str()).unwrap();
            assert_eq!(
                link.path(),
                format!("/help/articles/icp-rejection-reasons#{}", code.as_str())
            );
            assert!(
                html.contains(&format!("id=\"{}\"", code.as_str())),
                "the {locale} rejection article has no section for {}",
                code.as_str()
            );
        }
    }
}
